// Outbound Lead Batch: load the list file, vet the rows, follow the progress.
frappe.ui.form.on("Outbound Lead Batch", {
	refresh(frm) {
		if (frm.is_new()) return;
		const busy = ["Queued", "Processing"].includes(frm.doc.status);
		if (frm.doc.source_file && !busy) {
			frm.add_custom_button(__("Load Rows from File"), () =>
				frappe.call({
					method: "lead_policy.intake.outbound_batch.load_rows",
					args: { batch: frm.doc.name },
					freeze: true,
					callback(r) {
						if (!r.message) return;
						let text = __("{0} rows added.", [r.message.added]);
						if (r.message.ignored_columns.length) {
							text += " " + __("Columns not used: {0}", [r.message.ignored_columns.map(frappe.utils.escape_html).join(", ")]);
						}
						frappe.msgprint(text);
						frm.reload_doc();
					},
				})
			);
		}
		const todo = (frm.doc.rows || []).filter((r) => ["Pending", "Held"].includes(r.status)).length;
		if (todo && !busy) {
			frm.add_custom_button(__("Vet and Create Leads"), () =>
				frappe.confirm(__("Vet {0} Pending and Held rows and create leads from those accepted?", [todo]), () =>
					frappe.call({
						method: "lead_policy.intake.outbound_batch.process",
						args: { batch: frm.doc.name },
						freeze: true,
						callback(r) {
							if (r.message && r.message.queued) {
								frappe.show_alert(__("Vetting {0} rows in the background.", [r.message.rows]));
							}
							frm.reload_doc();
						},
					})
				)
			).addClass("btn-primary");
		}
		if (frm.doc.total_rows) {
			frm.dashboard.add_indicator(__("Accepted: {0}", [frm.doc.accepted_count]), "green");
			frm.dashboard.add_indicator(__("Held: {0}", [frm.doc.held_count]), "orange");
			frm.dashboard.add_indicator(__("Rejected: {0}", [frm.doc.rejected_count]), "red");
			if (frm.doc.pending_count) frm.dashboard.add_indicator(__("Pending: {0}", [frm.doc.pending_count]), "gray");
		}
		frm.add_custom_button(__("Leads"), () => frappe.set_route("List", "Lead", { outbound_batch: frm.doc.name }), __("View"));
	},
});

frappe.realtime.on("progress", (data) => {
	if (cur_frm && cur_frm.doctype === "Outbound Lead Batch" && data.percent >= 100) cur_frm.reload_doc();
});
