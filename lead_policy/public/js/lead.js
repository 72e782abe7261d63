// Lead form additions: score panel, override action. Logic lives on the server.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		// first of the app's Lead scripts (hooks.py order): the other scripts add to this summary
		lead_policy.reset_summary(frm);
		lead_policy.read_only_breakdown(frm);
		if (frm.is_new()) return;
		lead_policy.render_score(frm);
		if (frappe.user.has_role(["Sales Manager", "System Manager"])) {
			frm.add_custom_button(__("Override Score"), () => lead_policy.override_score(frm), __("Lead Policy"));
		}
		// another rep's lead is theirs or a manager's to hand over (the server says so too)
		const owner = frm.doc.lead_owner;
		const may_hand_over = !owner || owner === frappe.session.user || frappe.user.has_role(["Sales Manager", "System Manager"]);
		if (frm.perm[0] && frm.perm[0].write && may_hand_over) {
			frm.add_custom_button(__("Reassign"), () => lead_policy.reassign(frm), __("Lead Policy"));
		}
		lead_policy.consent_buttons(frm);
		lead_policy.intake_panel(frm);
		lead_policy.one_avatar_per_assignee(frm);
	},
});

frappe.provide("lead_policy");

// A lead with data issues has two open ToDos for its owner (the lead, and its issues): Frappe's
// sidebar draws an avatar per ToDo ("RQ RQ"). Its renderer (the form's refresh, and after an
// assignment is added) is given each person once; the docinfo keeps every ToDo.
lead_policy.one_avatar_per_assignee = function (frm) {
	const assign_to = frm.assign_to;
	if (!assign_to || assign_to.lp_once) return;
	assign_to.lp_once = true;
	const render = assign_to.render.bind(assign_to);
	assign_to.render = (assignments) => {
		const seen = new Set();
		render((assignments || []).filter((a) => !seen.has(a.owner) && seen.add(a.owner)));
		frm.get_docinfo().assignments = assignments;
	};
	assign_to.refresh();
};

lead_policy.BAND_COLORS = { Hot: "red", Warm: "orange", Cold: "blue" };

// The lead's state in one line above the tabs: band and score, consent, response and follow-up,
// qualification, data issues, then the action plan. ERPNext's Lead form keeps the dashboard (where
// frm.dashboard.add_indicator puts its pills) under the Connections tab, out of sight on every other tab.
lead_policy.reset_summary = function (frm) {
	frm.layout.wrapper.find(".lp-summary").remove();
	frm.lp_summary = null;
};

lead_policy.summary = function (frm) {
	if (!frm.lp_summary) {
		frm.lp_summary = $(`<div class="lp-summary" style="padding: var(--padding-sm) var(--padding-md) 0;">
				<div class="lp-summary-indicators" style="display: flex; flex-wrap: wrap; gap: var(--margin-sm);"></div>
				<div class="lp-summary-plan text-muted small" style="margin-top: var(--margin-xs);"></div>
			</div>`).insertBefore(frm.layout.wrapper.children(".form-page"));
	}
	return frm.lp_summary;
};

// An indicator pill in the summary; key names it for tests and styles (lp-summary-<key>).
lead_policy.top_indicator = function (frm, label, color, key) {
	const pill = $(`<span class="indicator-pill ${color || "gray"}"></span>`).text(label);
	const row = lead_policy.summary(frm).find(".lp-summary-indicators");
	if (key) {
		// one pill per key: handlers of two refreshes in a row (a new lead's first save) would repeat it
		row.children(`[data-lp="${key}"]`).remove();
		pill.addClass(`lp-summary-${key}`).attr("data-lp", key);
	}
	row.append(pill);
	return pill;
};

lead_policy.render_score = function (frm) {
	const field = frm.fields_dict.score_summary;
	if (!frm.doc.score_band || !field) return;
	const colors = lead_policy.BAND_COLORS;
	const plan = (frm.doc.__onload || {}).lead_policy_action_plan;
	const esc = frappe.utils.escape_html;
	lead_policy.top_indicator(
		frm,
		__("{0} · Score {1}/100", [__(frm.doc.score_band), frm.doc.lead_score || 0]),
		colors[frm.doc.score_band] || "gray",
		"band"
	);
	if (plan) {
		lead_policy
			.summary(frm)
			.find(".lp-summary-plan")
			.html(`<b>${__("Action plan")}:</b> ${esc(plan)}`);
	}
	field.$wrapper.html(`
		<div class="lead-policy-score" style="margin-bottom: var(--margin-md)">
			<p>
				<span class="indicator-pill ${colors[frm.doc.score_band] || "gray"}">${__(frm.doc.score_band)} &middot; ${frm.doc.lead_score || 0}/100</span>
				&nbsp; ${__("Behavioral")} <b>${frm.doc.behavioral_score || 0}</b>/30 &middot;
				${__("Demographic")} <b>${frm.doc.demographic_score || 0}</b>/20 &middot;
				${__("Engagement")} <b>${frm.doc.engagement_score || 0}</b>/50
			</p>
			${plan ? `<p><b>${__("Action plan")}:</b> ${esc(plan)}</p>` : ""}
			${frm.doc.score_override_reason ? `<p class="text-muted">${__("Score overridden: {0}", [esc(frm.doc.score_override_reason)])}</p>` : ""}
			${(frm.doc.score_breakdown || []).length ? "" : `<p class="text-muted">${__("No scoring rule fired for this lead.")}</p>`}
		</div>`);
};

// The breakdown is written by scoring alone: show it as a plain table, without the row checkboxes
// and edit pencils Frappe draws even on a read-only grid (they suggest rows could be changed).
lead_policy.read_only_breakdown = function (frm) {
	const field = frm.fields_dict.score_breakdown;
	if (!field || !field.grid) return;
	field.grid.cannot_add_rows = true;
	frm.set_df_property("score_breakdown", "cannot_add_rows", 1);
	frm.set_df_property("score_breakdown", "cannot_delete_rows", 1);
	field.grid.wrapper.addClass("lead-policy-read-only-grid");
	if (!document.getElementById("lead-policy-read-only-grid")) {
		$(`<style id="lead-policy-read-only-grid">
			.lead-policy-read-only-grid .row-check,
			.lead-policy-read-only-grid .btn-open-row { display: none !important; }
		</style>`).appendTo("head");
	}
};

lead_policy.override_score = function (frm) {
	const d = new frappe.ui.Dialog({
		title: __("Override Score"),
		fields: [
			{ fieldname: "score", fieldtype: "Int", label: __("Score (0-100)"), description: __("Leave empty to remove the override.") },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
			{ fieldname: "valid_until", fieldtype: "Date", label: __("Valid Until"), description: __("Leave empty to keep it until removed.") },
		],
		primary_action_label: __("Save"),
		primary_action(values) {
			const has_score = !(values.score === undefined || values.score === null || values.score === "");
			// said here before anything is sent; the server checks the same and explains it again
			if (has_score && (values.score < 0 || values.score > 100)) {
				frappe.msgprint({ title: __("Invalid Score"), message: __("The score must be between 0 and 100."), indicator: "red" });
				return;
			}
			if (has_score && !(values.reason || "").trim()) {
				frappe.msgprint({ title: __("Reason Required"), message: __("Give a reason for the override: it is kept in the lead's score history."), indicator: "red" });
				return;
			}
			// no score: the key is left out (an empty value would reach the server as "", not "none")
			const args = { lead: frm.doc.name, reason: values.reason, valid_until: values.valid_until };
			if (has_score) args.score = values.score;
			frappe
				.call("lead_policy.scoring.lead_score.override_score", args)
				.then(() => {
					d.hide();
					frm.reload_doc();
				});
		},
	});
	d.show();
};

// The reasons come from the server, the list it checks against: Lead Handover's Reason options
// without those only the app's own steps record (a first assignment, recycling, conversion).
lead_policy.reassign = function (frm) {
	frappe
		.call({ method: "lead_policy.assignment.assign.reassign_reasons", type: "GET" })
		.then((r) => lead_policy.reassign_dialog(frm, r.message || []));
};

lead_policy.reassign_dialog = function (frm, reasons) {
	const d = new frappe.ui.Dialog({
		title: __("Reassign Lead"),
		fields: [
			{ fieldname: "to_user", fieldtype: "Link", options: "User", label: __("New Owner"), reqd: 1,
				// only people who may work leads (the server refuses anyone else)
				get_query: () => ({ query: "lead_policy.assignment.assign.owner_candidates" }) },
			{ fieldname: "reason", fieldtype: "Select", label: __("Reason"), reqd: 1,
				options: reasons.map((value) => ({ value, label: __(value) })), default: "Reassignment" },
			{ fieldname: "details", fieldtype: "Small Text", label: __("Reason Details") },
			{ fieldname: "note", fieldtype: "Text Editor", label: __("Handover Note"),
				description: __("Leave empty to fill it from the lead's score, interactions, tasks and consent.") },
		],
		primary_action_label: __("Reassign"),
		primary_action(values) {
			frappe.call({ method: "lead_policy.assignment.assign.reassign", args: { lead: frm.doc.name, ...values } }).then((r) => {
				d.hide();
				// after the reload: Frappe's boot knows only the session's own user; the reloaded
				// form's docinfo carries the new owner's name (from their assignment)
				Promise.resolve(frm.reload_doc()).then(() => {
					// people know the new owner and the lead by name, not the handover by its ID
					const esc = frappe.utils.escape_html;
					// user_info, not user.full_name: that says "You" for oneself ("You now owns ...")
					const owner = esc((frappe.user_info(values.to_user) || {}).fullname || values.to_user);
					const lead = esc(frm.doc.lead_name || frm.doc.name);
					let message = __("{0} now owns {1}.", [owner, lead]);
					if (r.message) {
						const url = frappe.utils.get_form_link("Lead Handover", r.message);
						message += ` <a href="${url}">${__("Open the handover note")}</a>`;
					}
					frappe.show_alert({ message, indicator: "green" }, 7);
				});
			});
		},
	});
	d.show();
};

// Consent (policy 2.2): the ledger is append-only, so the form records grants and opt-outs.
lead_policy.CONSENT_CHANNELS = ["Email", "Phone", "SMS/WhatsApp", "Post"];

lead_policy.consent_buttons = function (frm) {
	if (frm.doc.consent_status) {
		const withdrawn = /Withdrawn|Unsubscribed/.test(frm.doc.consent_status);
		lead_policy.top_indicator(frm, __("Consent: {0}", [frm.doc.consent_status]), withdrawn ? "red" : "green", "consent");
	} else if (!frm.doc.anonymised_on) {
		lead_policy.top_indicator(frm, __("No consent on record"), "orange", "consent");
	}
	if (frm.doc.anonymised_on || !frappe.model.can_create("Lead Consent")) return;
	frm.add_custom_button(__("Record Consent"), () => lead_policy.record_consent(frm), __("Lead Policy"));
	frm.add_custom_button(__("Record Opt-out"), () => lead_policy.record_opt_out(frm), __("Lead Policy"));
	frm.add_custom_button(
		__("Consent History"),
		() => frappe.set_route("List", "Lead Consent", { lead: frm.doc.name }),
		__("Lead Policy")
	);
};

lead_policy.record_consent = function (frm) {
	const d = new frappe.ui.Dialog({
		title: __("Record Consent"),
		fields: [
			{ fieldname: "channel", fieldtype: "Select", label: __("Channel"), options: lead_policy.CONSENT_CHANNELS, reqd: 1, default: "Email" },
			{ fieldname: "purpose", fieldtype: "Select", label: __("Purpose"), options: ["Sales Contact", "Marketing/Nurture"], reqd: 1 },
			{ fieldname: "lawful_basis", fieldtype: "Select", label: __("Lawful Basis"), options: ["Consent", "Contract", "Legitimate Interest"], reqd: 1, default: "Consent",
				description: __("Marketing/Nurture needs Consent. Legitimate Interest counts only where the settings allow it.") },
			{ fieldname: "source", fieldtype: "Select", label: __("Captured Via"), options: ["Call", "Email", "Letter", "Web Form", "Manual"], reqd: 1, default: "Call" },
			{ fieldname: "source_reference", fieldtype: "Data", label: __("Captured Where"), description: __("Call log, e-mail, form or event") },
			{ fieldname: "evidence", fieldtype: "Small Text", label: __("Evidence"), reqd: 1, description: __("What the person agreed to, in their words if possible.") },
		],
		primary_action_label: __("Record"),
		primary_action(values) {
			frappe.call("lead_policy.consent.ledger.add_consent", { lead: frm.doc.name, ...values }).then(() => {
				d.hide();
				frappe.show_alert({
					message: __("Consent recorded: {0} for {1}.", [__(values.channel), __(values.purpose)]),
					indicator: "green",
				});
				frm.reload_doc();
			});
		},
	});
	d.show();
};

lead_policy.record_opt_out = function (frm) {
	const d = new frappe.ui.Dialog({
		title: __("Record Opt-out"),
		fields: [
			{ fieldname: "channel", fieldtype: "Select", label: __("Channel"), options: ["All", ...lead_policy.CONSENT_CHANNELS], reqd: 1, default: "All" },
			// no preset: the ledger keeps how the person asked as evidence, so the rep says it
			{ fieldname: "how", fieldtype: "Select", label: __("How Did They Ask"), reqd: 1,
				options: [{ value: "", label: "" }, ...["Email", "Call", "Letter", "Manual"].map((value) => ({ value, label: __(value) }))] },
			{ fieldname: "note", fieldtype: "Small Text", label: __("Note") },
		],
		primary_action_label: __("Record Opt-out"),
		primary_action(values) {
			frappe.call("lead_policy.consent.ledger.record_opt_out", { lead: frm.doc.name, ...values }).then(() => {
				d.hide();
				frappe.show_alert({ message: __("Opt-out recorded; contact on that channel stops now."), indicator: "green" });
				frm.reload_doc();
			});
		},
	});
	d.show();
};

// Intake (policy 3.2): data issues and possible duplicates, with the manager's merge action.
lead_policy.intake_panel = function (frm) {
	if (frm.doc.validation_status === "Needs Attention") {
		lead_policy.top_indicator(frm, __("Needs Attention"), "orange", "validation");
		frm.dashboard.set_headline(
			`<b>${__("Data issues")}:</b> ${frappe.utils.escape_html(frm.doc.validation_issues || "").replace(/\n/g, " &middot; ")}`
		);
	}
	if (frm.doc.captured_late) lead_policy.top_indicator(frm, __("Captured Late"), "red", "captured-late");
	if (frm.doc.duplicate_of && !frm.doc.disabled) {
		lead_policy.top_indicator(frm, __("Possible duplicate of {0}", [frm.doc.duplicate_of]), "purple", "duplicate");
	}
	if (frm.doc.duplicate_of && !frm.doc.disabled && frappe.user.has_role(["Sales Manager", "System Manager"])) {
		frm.add_custom_button(__("Merge into {0}", [frm.doc.duplicate_of]), () => lead_policy.merge(frm, frm.doc.duplicate_of, frm.doc.name), __("Lead Policy"));
	}
	if (!frm.doc.disabled && frappe.user.has_role(["Sales Manager", "System Manager"])) {
		frm.add_custom_button(__("Merge a Duplicate into This Lead"), () => {
			const d = new frappe.ui.Dialog({
				title: __("Merge a Duplicate"),
				fields: [{ fieldname: "duplicate", fieldtype: "Link", options: "Lead", label: __("Duplicate Lead"), reqd: 1,
					get_query: () => ({ filters: { name: ["!=", frm.doc.name], disabled: 0 } }) }],
				primary_action_label: __("Merge"),
				primary_action(values) {
					d.hide();
					lead_policy.merge(frm, frm.doc.name, values.duplicate);
				},
			});
			d.show();
		}, __("Lead Policy"));
	}
};

lead_policy.merge = function (frm, keep, duplicate) {
	frappe.confirm(
		__("Move everything linked to {0} (e-mails, notes, activities, consent, ToDos, handovers) to {1} and disable {0}?", [duplicate, keep]),
		() => frappe.call({ method: "lead_policy.intake.merge.merge_leads", args: { keep, duplicate }, freeze: true }).then(() => {
			frappe.show_alert({ message: __("{0} merged into {1}", [duplicate, keep]), indicator: "green" });
			frappe.set_route("Form", "Lead", keep);
		})
	);
};

