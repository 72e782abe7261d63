// Nurture Program Performance (policy 6, handbook 9): one row per program.
frappe.query_reports["Nurture Program Performance"] = {
	filters: [
		{
			fieldname: "program",
			label: __("Program"),
			fieldtype: "Link",
			options: "Lead Nurture Program",
		},
		{
			fieldname: "from_date",
			label: __("Enrolled From"),
			fieldtype: "Date",
		},
		{
			fieldname: "to_date",
			label: __("Enrolled To"),
			fieldtype: "Date",
		},
	],
};
