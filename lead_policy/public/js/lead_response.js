// Response time (policy 5.1) on the Lead form: Respond By with an indicator a rep reads at a glance
// (on time / due soon / overdue) and, once answered, Met or Missed with the response time. The
// server keeps the fields (lead_policy.response.clock); this only shows them.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		// the message of the previous refresh (layout messages outlive a refresh)
		frm.layout.message.find(".lp-response-message").remove();
		if (!frm.layout.message.children().length) frm.layout.message.addClass("hidden");
		if (frm.is_new() || !frm.doc.response_status) return;
		const status = frm.doc.response_status;
		// Missed by the breach job while nobody has answered yet: still overdue, not a response time
		const unanswered = status === "Missed" && !frm.doc.first_responded_at;
		if (unanswered && frm.doc.respond_by) {
			const when = frappe.datetime.str_to_user(frm.doc.respond_by);
			lead_policy.top_indicator(frm, __("Response overdue since {0}", [when]), "red", "response");
			urgent(frm, __("Response overdue: this lead was due for an answer by {0}.", [when]), "red");
			return;
		}
		if (status === "Met" || status === "Missed") {
			const hours = frm.doc.response_time_hours;
			const text =
				hours || hours === 0
					? __("Response {0}: {1} working hours", [__(status), format_number(hours, null, 1)])
					: __("Response {0}", [__(status)]);
			lead_policy.top_indicator(frm, text, status === "Met" ? "green" : "red", "response");
			return;
		}
		if (status !== "Pending" || !frm.doc.respond_by) return;
		const due = frappe.datetime.str_to_obj(frm.doc.respond_by);
		const now = frappe.datetime.str_to_obj(frappe.datetime.now_datetime());
		const minutes = (due - now) / 60000;
		const when = frappe.datetime.str_to_user(frm.doc.respond_by);
		// overdue or due soon needs the rep now: a pill in the summary and a message saying what to do
		if (minutes < 0) {
			lead_policy.top_indicator(frm, __("Response overdue since {0}", [when]), "red", "response");
			urgent(frm, __("Response overdue: this lead was due for an answer by {0}.", [when]), "red");
		} else if (minutes <= 60) {
			lead_policy.top_indicator(frm, __("Respond by {0} (due soon)", [when]), "orange", "response");
			urgent(frm, __("Respond by {0}: e-mail, call, or use Log Interaction.", [when]), "orange");
		} else {
			lead_policy.top_indicator(frm, __("Respond by {0}", [when]), "blue", "response");
		}
	},
});

function urgent(frm, text, color) {
	frm.layout.show_message(text, color);
	frm.layout.message.children(".form-message").last().addClass("lp-response-message");
}
