frappe.query_reports["Lead Score Calibration"] = {
	filters: [
		{ fieldname: "from_date", label: __("Closed From"), fieldtype: "Date", reqd: 1,
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -12) },
		{ fieldname: "to_date", label: __("Closed To"), fieldtype: "Date", reqd: 1, default: frappe.datetime.get_today() },
		{ fieldname: "group_by", label: __("Group By"), fieldtype: "Select", options: ["Band", "Score Decile"].join("\n"), default: "Band" },
	],
};
