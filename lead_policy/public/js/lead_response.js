// Response time (policy 5.1) on the Lead form: Respond By with an indicator a rep reads at a glance
// (on time / due soon / overdue) and, once answered, Met or Missed with the response time. The
// server keeps the fields (lead_policy.response.clock); this only shows them.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		if (frm.is_new() || !frm.doc.response_status) return;
		const status = frm.doc.response_status;
		if (status === "Met" || status === "Missed") {
			const hours = frm.doc.response_time_hours;
			const text =
				hours || hours === 0
					? __("Response {0}: {1} working hours", [__(status), format_number(hours, null, 1)])
					: __("Response {0}", [__(status)]);
			frm.dashboard.add_indicator(text, status === "Met" ? "green" : "red");
			return;
		}
		if (status !== "Pending" || !frm.doc.respond_by) return;
		const due = frappe.datetime.str_to_obj(frm.doc.respond_by);
		const now = frappe.datetime.str_to_obj(frappe.datetime.now_datetime());
		const minutes = (due - now) / 60000;
		const when = frappe.datetime.str_to_user(frm.doc.respond_by);
		if (minutes < 0) {
			frm.dashboard.add_indicator(__("Response overdue since {0}", [when]), "red");
		} else if (minutes <= 60) {
			frm.dashboard.add_indicator(__("Respond by {0} (due soon)", [when]), "orange");
		} else {
			frm.dashboard.add_indicator(__("Respond by {0}", [when]), "blue");
		}
	},
});
