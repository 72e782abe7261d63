frappe.query_reports["Monthly Sales Report"] = {
	filters: [
		// no default dates: empty means the last complete month, which is also what the pack's Auto
		// Email Report sends (dates saved there would freeze every e-mail to one month)
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date",
			description: __("Leave both dates empty for the last complete month.") },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date" },
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company",
			default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		{ fieldname: "source", label: __("Lead Source"), fieldtype: "Link", options: "Lead Source" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "Campaign" },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "group_by", label: __("Team"), fieldtype: "Select", default: "Territory",
			options: [
				{ value: "Territory", label: __("Territory") },
				{ value: "Lead Owner", label: __("Lead Owner") },
			] },
	],
	// rows without an amount (targets, challenges, open leads) leave the money column empty,
	// instead of Frappe's "0.00" for a missing value
	formatter(value, row, column, data, default_formatter) {
		if (column.fieldname === "revenue" && (value === null || value === undefined || value === "") && data) {
			return "";
		}
		return default_formatter(value, row, column, data);
	},
};
