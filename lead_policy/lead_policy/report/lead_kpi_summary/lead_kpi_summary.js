frappe.query_reports["Lead KPI Summary"] = {
	filters: [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_start() },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_end() },
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company",
			default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		{ fieldname: "source", label: __("Lead Source"), fieldtype: "Link", options: "Lead Source" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "Campaign" },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "previous_periods", label: __("Previous Periods"), fieldtype: "Int", default: 3,
			description: __("How many periods of the same length before this one the trend looks at.") },
	],
};
