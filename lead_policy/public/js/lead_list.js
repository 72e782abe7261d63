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
})();
