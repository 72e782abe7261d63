// Interactions and follow-up (policy 5.2, handbook 6.2 and 9): Log Interaction and the follow-up
// indicator. The server checks the inputs and permissions again and writes ERPNext's own records.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		if (frm.is_new()) return;
		lead_policy.follow_up_indicator(frm);
		const can_write = frm.perm[0] && frm.perm[0].write;
		if (!can_write || (frm.doc.disabled && frm.doc.duplicate_of)) return;
		frm.add_custom_button(__("Log Interaction"), () => lead_policy.log_interaction(frm), __("Lead Policy"));
	},
});

frappe.provide("lead_policy");

lead_policy.follow_up_indicator = function (frm) {
	if (!frm.doc.next_follow_up) return;
	const due = frappe.datetime.str_to_obj(frm.doc.next_follow_up);
	const now = frappe.datetime.str_to_obj(frappe.datetime.now_datetime());
	const when = frappe.datetime.str_to_user(frm.doc.next_follow_up);
	if (due < now) {
		lead_policy.top_indicator(frm, __("Follow-up overdue since {0}", [when]), "red", "follow-up");
	} else if (frappe.datetime.obj_to_str(due).slice(0, 10) === frappe.datetime.get_today()) {
		lead_policy.top_indicator(frm, __("Follow-up due today at {0}", [when]), "orange", "follow-up");
	} else {
		lead_policy.top_indicator(frm, __("Next follow-up {0}", [when]), "blue", "follow-up");
	}
};

lead_policy.log_interaction = function (frm) {
	frappe.call("lead_policy.interactions.log.interaction_options").then((r) => {
		const options = r.message || {};
		const outcomes_of = (type) => (options.outcomes || {})[type] || [];
		const as_options = (values) => values.map((value) => ({ value, label: __(value) }));
		// no outcome is preset: pressing Log at once must not record a call that connected
		const outcome_options = (values) => [{ value: "", label: "" }, ...as_options(values)];
		const d = new frappe.ui.Dialog({
			title: __("Log Interaction"),
			fields: [
				{
					fieldname: "interaction_type", fieldtype: "Select", label: __("Type"), reqd: 1, default: "Call",
					options: as_options(options.types || []),
					onchange() {
						const allowed = outcomes_of(d.get_value("interaction_type"));
						d.set_df_property("outcome", "options", outcome_options(allowed));
						if (!allowed.includes(d.get_value("outcome"))) d.set_value("outcome", "");
					},
				},
				{
					fieldname: "direction", fieldtype: "Select", label: __("Direction"), reqd: 1, default: "Outgoing",
					options: as_options(options.directions || []),
					description: __("Outgoing: we contacted them. Incoming: they contacted us."),
				},
				{
					fieldname: "outcome", fieldtype: "Select", label: __("Outcome"), reqd: 1,
					options: outcome_options(outcomes_of("Call")),
					description: __("What came of it: a call that did not get through counts differently."),
				},
				{ fieldname: "column_break_when", fieldtype: "Column Break" },
				{
					fieldname: "occurred_on", fieldtype: "Datetime", label: __("When"),
					default: frappe.datetime.now_datetime(),
					description: __("When it happened; not in the future."),
				},
				{
					fieldname: "next_follow_up", fieldtype: "Datetime", label: __("Next Follow-up"),
					description: __("Leave empty to follow the band's cadence (Lead Policy Settings > Follow-up)."),
				},
				{ fieldname: "section_notes", fieldtype: "Section Break" },
				{ fieldname: "notes", fieldtype: "Small Text", label: __("Notes"), description: __("What was said; kept on the record.") },
				{ fieldname: "next_step", fieldtype: "Data", label: __("Next Step"), description: __("e.g. send the quotation") },
			],
			size: "large",
			primary_action_label: __("Log"),
			primary_action(values) {
				frappe
					.call({
						method: "lead_policy.interactions.log.log_interaction",
						args: { lead: frm.doc.name, ...values },
						freeze: true,
					})
					.then((res) => {
						d.hide();
						const out = res.message || {};
						let message = __("{0} logged.", [__(values.interaction_type)]);
						if (out.next_follow_up) {
							message += " " + __("Next follow-up: {0}.", [frappe.datetime.str_to_user(out.next_follow_up)]);
						}
						frappe.show_alert({ message, indicator: out.flagged_without_consent ? "orange" : "green" }, 7);
						if (out.flagged_without_consent) {
							frappe.msgprint({
								title: __("Logged Without Consent"),
								// the server's words: which consent is missing, or that the person opted out
								message: out.consent_flag || __("The interaction is recorded, and flagged on the lead. Record the lead's consent or opt-out."),
								indicator: "orange",
							});
						}
						frm.reload_doc();
					});
			},
		});
		d.show();
	});
};
