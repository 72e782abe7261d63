// Nurturing (policy 6, handbook 5.2 and 9): the lead's nurture program, and a rep's Enrol / Remove.
// Rules on the server (lead_policy.nurture.enrolment); this only shows and asks.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		if (frm.is_new() || frm.doc.anonymised_on) return;
		frappe
			.call("lead_policy.nurture.enrolment.lead_nurture", { lead: frm.doc.name })
			.then((r) => lead_policy.nurture_panel(frm, r.message || {}));
	},
});

frappe.provide("lead_policy");

lead_policy.nurture_panel = function (frm, info) {
	const current = info.current;
	lead_policy.summary(frm).find(".lp-summary-nurture").remove(); // a refresh answered twice
	if (current) {
		const next = current.next_due
			? __("next step {0}", [frappe.datetime.str_to_user(current.next_due)])
			: __("no step due");
		const text = current.hold_reason
			? __("Nurture: {0}, waiting: {1}", [current.program, current.hold_reason])
			: __("Nurture: {0} ({1})", [current.program, next]);
		lead_policy.top_indicator(frm, text, current.hold_reason ? "orange" : "blue", "nurture");
	}
	const can_write = frm.perm[0] && frm.perm[0].write;
	if (!can_write || ["Converted", "Do Not Contact", "Disqualified"].includes(frm.doc.status)) return;
	if (current) {
		frm.add_custom_button(__("Remove from Nurture"), () => lead_policy.nurture_remove(frm, current), __("Lead Policy"));
	}
	if ((info.programs || []).length && frm.doc.score_band !== "Hot") {
		frm.add_custom_button(
			current ? __("Move to Another Nurture Program") : __("Enrol in Nurture Program"),
			() => lead_policy.nurture_enrol(frm, info),
			__("Lead Policy")
		);
	}
};

lead_policy.nurture_enrol = function (frm, info) {
	const choices = info.programs.filter((p) => !info.current || p !== info.current.program);
	const d = new frappe.ui.Dialog({
		title: __("Enrol in Nurture Program"),
		fields: [
			{
				fieldname: "program", fieldtype: "Select", label: __("Program"), reqd: 1,
				options: choices,
				default: choices.length === 1 ? choices[0] : undefined, // the only one: nothing to choose
			},
		],
		primary_action_label: __("Enrol"),
		primary_action(values) {
			frappe
				.call({
					method: "lead_policy.nurture.actions.enrol",
					args: { lead: frm.doc.name, program: values.program },
					freeze: true,
				})
				.then((r) => {
					d.hide();
					const waiting = r.message && r.message.waiting;
					if (waiting) {
						// enrolled, but nothing is sent yet: said now, not the next day by the run
						frappe.msgprint({
							title: __("Enrolled, Waiting for Consent"),
							message: __("Enrolled in {0}.", [frappe.utils.escape_html(values.program)]) + " " + frappe.utils.escape_html(waiting),
							indicator: "orange",
						});
					} else {
						frappe.show_alert({ message: __("Enrolled in {0}", [values.program]), indicator: "green" });
					}
					frm.reload_doc();
				});
		},
	});
	d.show();
};

lead_policy.nurture_remove = function (frm, current) {
	const d = new frappe.ui.Dialog({
		title: __("Remove from {0}", [current.program]),
		fields: [{ fieldname: "note", fieldtype: "Small Text", label: __("Why") }],
		primary_action_label: __("Remove"),
		primary_action(values) {
			frappe
				.call({
					method: "lead_policy.nurture.enrolment.remove_lead",
					args: { lead: frm.doc.name, note: values.note },
					freeze: true,
				})
				.then(() => {
					d.hide();
					frm.reload_doc();
				});
		},
	});
	d.show();
};
