// Copyright (c) 2026, lead_policy contributors
// License: MIT. See LICENSE

frappe.ui.form.on("Lead Policy Settings", {
	enable_consent(frm) {
		// Only a System Manager can change the switch (permlevel 1); turning it off takes effect for
		// every lead at once, so ask before the form is saved with it. Re-ticking it needs no question.
		if (frm.doc.enable_consent) return;
		frappe.confirm(
			__(
				"Switch off Enforce Consent? E-mail will then reach leads that never consented or that opted out, e-mails lose their unsubscribe link, and leads without consent are no longer anonymised after the retention period. Policy 2 requires consent before any contact."
			),
			() => {},
			() => frm.set_value("enable_consent", 1)
		);
	},
});
