// Follow-ups Due (handbook 9): open leads whose next follow-up has come or comes soon. Reps see
// only the leads they may read; the server decides.
frappe.query_reports["Follow-ups Due"] = {
	filters: [
		{ fieldname: "within_days", label: __("Due Within (days)"), fieldtype: "Int", default: 0,
			description: __("0: overdue and due today. More: also the follow-ups of the coming days.") },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "score_band", label: __("Band"), fieldtype: "Select",
			options: [
				{ value: "", label: "" },
				{ value: "Hot", label: __("Hot") },
				{ value: "Warm", label: __("Warm") },
				{ value: "Cold", label: __("Cold") },
			] },
	],
	formatter(value, row, column, data, default_formatter) {
		// the owner's name in the Lead Owner column, still linking to the user (rows carry lead_owner_name)
		if (column.fieldname === "lead_owner" && data && data.lead_owner_name) {
			frappe.utils.add_link_title("User", value, data.lead_owner_name);
		}
		const out = default_formatter(value, row, column, data);
		if (column.fieldname !== "due_state" || !data) return out;
		const colors = { Overdue: "red", "Due Today": "orange", Upcoming: "blue" };
		return `<span class="indicator-pill ${colors[data.due_state_key] || "gray"}">${out}</span>`;
	},
};
