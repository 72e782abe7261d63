// Rejection (policy 7.2): Disqualify with a reason from the managed list, Re-open. Rules on the server.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		if (frm.is_new()) return;
		lead_policy.disposition_panel(frm);
		const can_write = frm.perm[0] && frm.perm[0].write;
		if (!can_write || frm.doc.anonymised_on) return;
		// another rep's lead is theirs or a manager's to disqualify or re-open (as with Reassign)
		const owner = frm.doc.lead_owner;
		if (owner && owner !== frappe.session.user && !frappe.user.has_role(["Sales Manager", "System Manager"])) return;
		if (frm.doc.status === "Disqualified") {
			frm.add_custom_button(__("Re-open"), () => lead_policy.reopen(frm), __("Lead Policy"));
		} else if (!["Converted", "Do Not Contact"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Disqualify"), () => lead_policy.disqualify(frm), __("Lead Policy"));
		}
	},
});

frappe.provide("lead_policy");

lead_policy.disposition_panel = function (frm) {
	if (frm.doc.status === "Disqualified") {
		const when = frm.doc.re_evaluate_on
			? __("re-evaluate on {0}", [frappe.datetime.str_to_user(frm.doc.re_evaluate_on)])
			: __("no re-evaluation date");
		lead_policy.top_indicator(
			frm,
			__("Disqualified: {0} ({1})", [__(frm.doc.disqualification_reason || ""), when]),
			"darkgrey",
			"disposition"
		);
	}
	if (frm.doc.recycle_review) {
		lead_policy.top_indicator(frm, __("Awaiting manager review (recycling)"), "orange", "recycling");
	}
};

lead_policy.disqualify = function (frm) {
	const d = new frappe.ui.Dialog({
		title: __("Disqualify Lead"),
		fields: [
			{
				fieldname: "reason", fieldtype: "Link", options: "Lead Disqualification Reason", label: __("Reason"), reqd: 1,
				get_query: () => ({ filters: { enabled: 1 } }),
				onchange() {
					const reason = d.get_value("reason");
					if (!reason) return;
					// the date the reason proposes; the rep may change it before pressing Disqualify
					frappe.call("lead_policy.disposition.disqualify.reason_defaults", { reason }).then((r) => {
						const info = r.message || {};
						d.set_value("re_evaluate_on", info.re_evaluate_on || "");
						d.set_df_property("note", "reqd", info.requires_note ? 1 : 0);
					});
				},
			},
			{ fieldname: "note", fieldtype: "Small Text", label: __("Note"),
				description: __("Why, in a sentence: the next person to look at this lead will read it.") },
			{ fieldname: "re_evaluate_on", fieldtype: "Date", label: __("Re-evaluate On"),
				description: __("Proposed from the reason's delay; the lead is listed in Leads to Re-evaluate from this day.") },
		],
		primary_action_label: __("Disqualify"),
		primary_action(values) {
			frappe
				.call({
					method: "lead_policy.disposition.disqualify.disqualify",
					args: { lead: frm.doc.name, ...values },
					freeze: true,
				})
				.then((r) => {
					d.hide();
					frm.reload_doc();
					const date = (r.message || {}).re_evaluate_on;
					frappe.show_alert({
						message: date
							? __("Disqualified; to be re-evaluated on {0}.", [frappe.datetime.str_to_user(date)])
							: __("Disqualified."),
						indicator: "green",
					});
				});
		},
	});
	d.show();
};

lead_policy.reopen = function (frm) {
	frappe.confirm(__("Re-open this lead? It goes back to its owner's open leads."), () =>
		frappe.call({ method: "lead_policy.disposition.disqualify.reopen", args: { lead: frm.doc.name }, freeze: true }).then(() => {
			frm.reload_doc();
			frappe.show_alert({ message: __("Lead re-opened."), indicator: "green" });
		})
	);
};
