// Qualification (handbook 4) on the Lead form. ERPNext's Qualification Status, Qualified By and
// Qualified On follow the Need / Budget / Authority answers on the Lead Policy tab (the server
// computes them and puts back any value typed in), so the form shows them read-only and says where
// to qualify instead of offering edits that would be undone.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		for (const field of ["qualification_status", "qualified_by", "qualified_on"]) {
			frm.set_df_property(field, "read_only", 1);
		}
		frm.set_df_property(
			"qualification_status",
			"description",
			__("Follows the Need, Budget and Authority answers on the Lead Policy tab.")
		);
		if (frm.is_new() || !frm.fields_dict.qualification_need) return;
		const answers = ["qualification_need", "qualification_budget", "qualification_authority"].map(
			(field) => frm.doc[field] || "Unknown"
		);
		const confirmed = answers.filter((a) => a === "Yes").length;
		const not_met = answers.filter((a) => a === "No").length;
		if (!confirmed && !not_met) return;
		let text = __("{0} of {1} confirmed", [confirmed, answers.length]);
		if (not_met) text += ", " + __("{0} not met", [not_met]);
		const colors = { Qualified: "green", "In Process": "orange" };
		lead_policy.top_indicator(
			frm,
			__("Qualification: {0}", [text]),
			colors[frm.doc.qualification_status] || "gray",
			"qualification"
		);
	},
});
