frappe.ui.form.on("Lead Handover", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.acknowledged) return;
		const can_ack = frappe.session.user === frm.doc.to_user || frappe.user.has_role(["Sales Manager", "System Manager"]);
		if (can_ack) {
			frm.add_custom_button(__("Acknowledge"), () =>
				frappe
					.call("lead_policy.assignment.handover.acknowledge", { handover: frm.doc.name, note: frm.doc.handover_note })
					.then(() => {
						frappe.show_alert({ message: __("Handover acknowledged: the lead is yours."), indicator: "green" });
						frm.reload_doc();
					})
			).addClass("btn-primary");
		}
	},
});
