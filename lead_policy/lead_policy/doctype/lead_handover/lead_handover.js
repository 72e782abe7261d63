// Who handed what to whom, and why, is the lead's history (policy 4.3): the server refuses changes to
// it (assignment/handover.validate_handover); the form shows those fields read-only so nobody types
// into a field only to be refused at save.
const LOCKED = ["lead", "from_user", "to_user", "reason", "reason_details"];

frappe.ui.form.on("Lead Handover", {
	refresh(frm) {
		if (frm.is_new()) return;
		const manager = frappe.user.has_role(["Sales Manager", "System Manager"]);
		const locked = frm.doc.acknowledged && !frappe.user.has_role("System Manager");
		// the note stays editable until the handover is acknowledged; managers may correct the rest
		for (const field of [...LOCKED, "handover_note"]) {
			const read_only = locked || (!manager && field !== "handover_note");
			frm.set_df_property(field, "read_only", read_only ? 1 : 0);
		}
		if (locked) frm.disable_save();
		if (frm.doc.acknowledged) return;
		const can_ack = frappe.session.user === frm.doc.to_user || manager;
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
