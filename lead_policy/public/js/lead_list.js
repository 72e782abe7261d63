// ERPNext's Lead list script is loaded first; its indicator stays for every status but the app's own.
(function () {
	const settings = (frappe.listview_settings["Lead"] = frappe.listview_settings["Lead"] || {});
	const erpnext_indicator = settings.get_indicator;
	settings.get_indicator = function (doc) {
		if (doc.status === "Disqualified") {
			return [__("Disqualified"), "darkgrey", "status,=,Disqualified"];
		}
		return erpnext_indicator ? erpnext_indicator(doc) : [__(doc.status), frappe.utils.guess_colour(doc.status), "status,=," + doc.status];
	};

	// the band as the same coloured pill as on the form (Hot red, Warm orange, Cold blue); a click on
	// it filters the list by that band
	const BAND_COLORS = { Hot: "red", Warm: "orange", Cold: "blue" };
	settings.formatters = settings.formatters || {};
	settings.formatters.score_band = function (value) {
		if (!value) return "";
		const band = frappe.utils.escape_html(value);
		return `<span class="indicator-pill ${BAND_COLORS[value] || "gray"} filterable lp-band" data-filter="score_band,=,${band}">${__(band)}</span>`;
	};
	// Respond By is a deadline only while someone still has to answer: a converted, disqualified or
	// Do Not Contact lead keeps it as history (its response status says Not Required), not as a to-do
	settings.formatters.respond_by = function (value, df, doc) {
		if (!value || (doc && (doc.response_status === "Not Required" || lead_policy_list.CLOSED.includes(doc.status)))) return "";
		return frappe.format(value, df, { inline: true }, doc);
	};
	settings.add_fields = [...new Set([...(settings.add_fields || []), "lead_score", "score_band", "respond_by", "response_status", "next_follow_up"])];

	// "My Leads by Priority": the rep's open leads, highest score first, one click from the list
	const erpnext_onload = settings.onload;
	settings.onload = function (listview) {
		if (erpnext_onload) erpnext_onload.apply(this, arguments);
		listview.page.add_inner_button(__("My Leads by Priority"), () => lead_policy_list.my_leads_by_priority(listview));
	};
})();

const lead_policy_list = {
	CLOSED: ["Converted", "Do Not Contact", "Disqualified"],
	my_leads_by_priority(listview) {
		listview.filter_area.clear(false).then(() => {
			listview.sort_selector.set_value("lead_score", "desc");
			listview.filter_area.add([
				["Lead", "lead_owner", "=", frappe.session.user],
				["Lead", "status", "not in", lead_policy_list.CLOSED],
			]);
		});
	},
};
