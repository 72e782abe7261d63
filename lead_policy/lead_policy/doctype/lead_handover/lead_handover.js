// Who handed what to whom, and why, is the lead's history (policy 4.3): the server refuses changes to
// it (assignment/handover.validate_handover); the form shows those fields read-only so nobody types
// into a field only to be refused at save.
const LOCKED = ["lead", "from_user", "to_user", "reason", "reason_details"];

frappe.ui.form.on("Lead Handover", {
	refresh(frm) {
		if (frm.is_new()) return;
		const manager = frappe.user.has_role(["Sales Manager", "System Manager"]);
		const locked = frm.doc.acknowledged && !frappe.user.has_role("System Manager");
		// the note stays editable for the new owner until they acknowledge it; managers may correct
		// the rest; the previous owner (who wrote theirs when handing over) adds a comment instead
		const new_owner = frappe.session.user === frm.doc.to_user;
		for (const field of [...LOCKED, "handover_note"]) {
			const read_only = locked || (!manager && (field !== "handover_note" || !new_owner));
			frm.set_df_property(field, "read_only", read_only ? 1 : 0);
		}
		if (!locked && !manager && !new_owner) frm.disable_save();
		if (locked) frm.disable_save();
		if (frm.doc.acknowledged) return;
		const can_ack = frappe.session.user === frm.doc.to_user || manager;
		if (can_ack) {
			frm.add_custom_button(__("Acknowledge"), () =>
				frappe
					.call("lead_policy.assignment.handover.acknowledge", { handover: frm.doc.name, note: frm.doc.handover_note })
					.then(() => {
						// a conversion hands over the account, not the lead (which stays with its rep); a
						// manager may acknowledge for the new owner
						const esc = frappe.utils.escape_html;
						const to = esc((frappe.user_info(frm.doc.to_user) || {}).fullname || frm.doc.to_user);
						const mine = frappe.session.user === frm.doc.to_user;
						let message = mine ? __("Handover acknowledged: the lead is yours.") : __("Handover acknowledged for {0}.", [to]);
						if (frm.doc.reason === "Conversion") {
							const lead = esc(frm.doc.lead_name || frm.doc.lead);
							message = mine
								? __("Handover acknowledged: the account of {0} is yours; the lead stays with its rep.", [lead])
								: __("Handover acknowledged: the account of {0} is with {1}.", [lead, to]);
						}
						frappe.show_alert({ message, indicator: "green" });
						frm.reload_doc();
					})
			).addClass("btn-primary");
		}
	},
});
