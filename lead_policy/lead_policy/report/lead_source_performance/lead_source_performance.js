frappe.query_reports["Lead Source Performance"] = {
	filters: [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_start() },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date", reqd: 1, default: frappe.datetime.month_end() },
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company",
			default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		{ fieldname: "source", label: __("Lead Source"), fieldtype: "Link", options: "Lead Source" },
		{ fieldname: "campaign", label: __("Campaign"), fieldtype: "Link", options: "Campaign" },
		{ fieldname: "lead_owner", label: __("Lead Owner"), fieldtype: "Link", options: "User" },
		{ fieldname: "group_by", label: __("Group By"), fieldtype: "Select",
			options: ["Lead Source", "Campaign", "Lead Source and Campaign"].join("\n"), default: "Lead Source" },
	],
	// a figure that cannot be computed (nothing to divide by) is "n/a", never a blank or 0
	formatter(value, row, column, data, default_formatter) {
		const na_columns = ["conversion_rate", "cost", "cost_per_lead", "cost_per_conversion", "revenue", "roi"];
		if ((value === null || value === undefined) && na_columns.includes(column.fieldname) && data) {
			return `<span class="text-muted">${__("n/a")}</span>`;
		}
		// leads and costs without a source (or campaign) form a row of their own, named as in the chart
		if (!value && ["source", "campaign"].includes(column.fieldname) && data) {
			return `<span class="text-muted">${__("Not Set")}</span>`;
		}
		return default_formatter(value, row, column, data);
	},
};
