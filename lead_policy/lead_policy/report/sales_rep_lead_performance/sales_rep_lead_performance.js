frappe.query_reports["Sales Rep Lead Performance"] = {
	filters: [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_start() },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_end() },
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company",
			default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		{ fieldname: "source", label: __("Lead Source"), fieldtype: "Link", options: "Lead Source" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "Campaign" },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
	],
	// a figure that cannot be computed (nothing to divide by) is "n/a", never a blank or 0
	formatter(value, row, column, data, default_formatter) {
		// the owner's name in the Lead Owner column, still linking to the user (rows carry lead_owner_name)
		if (column.fieldname === "lead_owner" && data && data.lead_owner_name) {
			frappe.utils.add_link_title("User", value, data.lead_owner_name);
		}
		const na_columns = ["response_compliance", "conversion_rate", "days_to_conversion"];
		if ((value === null || value === undefined) && na_columns.includes(column.fieldname) && data) {
			return `<span class="text-muted">${__("n/a")}</span>`;
		}
		return default_formatter(value, row, column, data);
	},
};
