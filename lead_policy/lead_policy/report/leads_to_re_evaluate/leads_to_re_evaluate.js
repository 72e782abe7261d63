// One-click Recycle / Keep for managers; the server checks the role and write access again.
frappe.query_reports["Leads to Re-evaluate"] = {
	filters: [
		{ fieldname: "show", label: __("Show"), fieldtype: "Select", default: "All",
			options: [
				{ value: "All", label: __("All") },
				{ value: "Due for Re-evaluation", label: __("Due for Re-evaluation") },
				{ value: "Awaiting Manager Review", label: __("Awaiting Manager Review") },
			] },
		{ fieldname: "within_days", label: __("Due Within (days)"), fieldtype: "Int", default: 0,
			description: __("Also list leads whose re-evaluation date comes within this many days.") },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "disqualification_reason", label: __("Disqualification Reason"), fieldtype: "Link", options: "Lead Disqualification Reason" },
	],
	formatter(value, row, column, data, default_formatter) {
		// the owner's name in the Lead Owner column, still linking to the user (rows carry lead_owner_name)
		if (column.fieldname === "lead_owner" && data && data.lead_owner_name) {
			frappe.utils.add_link_title("User", value, data.lead_owner_name);
		}
		if (column.fieldname !== "actions") return default_formatter(value, row, column, data);
		if (!data || !data.lead || !frappe.user.has_role(["Sales Manager", "System Manager"])) return "";
		const lead = frappe.utils.escape_html(data.lead);
		const keep = data.disqualified ? __("Keep Disqualified") : __("Keep with Owner");
		const name = frappe.utils.escape_html(data.lead_name || data.lead);
		return `<button class="btn btn-xs btn-primary lp-recycle" data-lead="${lead}" data-name="${name}">${__("Recycle")}</button>
			<button class="btn btn-xs btn-default lp-keep" data-lead="${lead}">${keep}</button>`;
	},
	onload(report) {
		const act = (method, lead, done) =>
			frappe.call({ method, args: { lead }, freeze: true }).then((r) => {
				frappe.show_alert({ message: done(r.message || {}), indicator: "green" });
				report.refresh();
			});
		report.page.wrapper.on("click", ".lp-recycle", (e) => {
			const lead = $(e.currentTarget).attr("data-lead");
			const name = $(e.currentTarget).attr("data-name") || lead;
			// it moves the lead to another rep at once (and re-opens a disqualified one): ask first
			frappe.confirm(__("Recycle {0} ({1})? It goes to another rep now, with a handover note.", [frappe.utils.escape_html(name), frappe.utils.escape_html(lead)]), () =>
				act("lead_policy.disposition.recycle.recycle_lead", lead, (m) => __("{0} recycled: now with {1}.", [lead, m.lead_owner ? m.lead_owner_name || m.lead_owner : __("nobody")]))
			);
		});
		report.page.wrapper.on("click", ".lp-keep", (e) => {
			const lead = $(e.currentTarget).attr("data-lead");
			act("lead_policy.disposition.recycle.keep", lead, (m) =>
				m.re_evaluate_on ? __("{0} kept disqualified until {1}.", [lead, frappe.datetime.str_to_user(m.re_evaluate_on)]) : __("{0} kept with its owner.", [lead]));
		});
	},
};
