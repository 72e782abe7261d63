frappe.ui.form.on("Lead Scoring Rule", {
	onload(frm) {
		// offer the Lead's fields for Field conditions
		frappe.model.with_doctype("Lead", () => {
			const fields = frappe.meta
				.get_docfields("Lead")
				.filter((df) => !frappe.model.no_value_type.includes(df.fieldtype))
				.map((df) => ({ value: df.fieldname, label: `${__(df.label || df.fieldname)} (${df.fieldname})` }));
			frm.set_df_property("field", "options", fields);
		});
	},
});
