// Copyright (c) 2026, lead_policy contributors
// License: MIT. See LICENSE

frappe.ui.form.on("Lead Policy Settings", {
	refresh(frm) {
		// the annual policy review (policy 9): only managers complete it, the method checks it too
		if (!frappe.user.has_role(["System Manager", "Sales Manager"])) return;
		frm.add_custom_button(__("Complete Policy Review"), () => complete_policy_review(frm));
		show_review_history(frm);
	},
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

function complete_policy_review(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Complete Policy Review"),
		fields: [
			{
				fieldname: "changes",
				fieldtype: "Small Text",
				label: __("What Changed"),
				reqd: 1,
				description: __("What the review changed in the policy or its settings, or that nothing changed."),
			},
			{
				fieldname: "new_version",
				fieldtype: "Data",
				label: __("New Policy Version"),
				description: __("Empty: the next number after {0}.", [frm.doc.policy_version || "-"]),
			},
		],
		primary_action_label: __("Complete Review"),
		primary_action(values) {
			if (frm.is_dirty()) {
				frappe.msgprint(__("Save the settings first: the review records the saved policy."));
				return;
			}
			frappe
				.call({
					method: "lead_policy.config.policy_review.complete_policy_review",
					args: values,
					freeze: true,
				})
				.then((r) => {
					dialog.hide();
					frappe.show_alert({
						message: __("Policy version {0} recorded; next review on {1}.", [
							r.message.policy_version,
							frappe.datetime.str_to_user(r.message.next_review_date),
						]),
						indicator: "green",
					});
					frm.reload_doc();
				});
		},
	});
	dialog.show();
}

function show_review_history(frm) {
	frappe.call("lead_policy.config.policy_review.review_history").then((r) => {
		const reviews = r.message || [];
		if (!reviews.length) return;
		const rows = reviews
			.map(
				(v) => `<tr>
					<td>${frappe.datetime.str_to_user(v.reviewed_on)}</td>
					<td>${frappe.utils.escape_html(frappe.user.full_name(v.reviewed_by))}</td>
					<td>${frappe.utils.escape_html(v.previous_version || "")} &rarr; ${frappe.utils.escape_html(v.policy_version)}</td>
					<td>${frappe.utils.escape_html(v.changes || "")}</td>
				</tr>`
			)
			.join("");
		frm.dashboard.add_section(
			`<table class="table table-condensed">
				<thead><tr><th>${__("Reviewed On")}</th><th>${__("Reviewed By")}</th>
				<th>${__("Version")}</th><th>${__("What Changed")}</th></tr></thead>
				<tbody>${rows}</tbody>
			</table>
			<a href="/app/lead-policy-review">${__("All policy reviews")}</a>`,
			__("Policy Reviews")
		);
		frm.dashboard.show();
	});
}
