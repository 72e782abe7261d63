// Right to erasure for leads: Frappe's "Delete Data" needs a User with the address, which a lead
// usually is not. This button erases the lead data (and runs Frappe's flow when there is a User).
frappe.ui.form.on("Personal Data Deletion Request", {
	refresh(frm) {
		if (frm.doc.status !== "Pending Approval" || !frappe.user.has_role("System Manager")) return;
		frm.add_custom_button(__("Erase Lead Data"), () => {
			frappe.confirm(
				__("Anonymise every lead with {0} and its consent, handover and activity records? This cannot be undone.", [
					frappe.utils.escape_html(frm.doc.email),
				]),
				() =>
					frappe
						.call("lead_policy.consent.privacy.process_deletion_request", { request: frm.doc.name })
						.then(() => frm.reload_doc())
			);
		});
	},
});
