"""Indexes earlier versions created and a newer one replaced: dropped once, by this patch, instead
of being looked for on every migrate."""

import frappe

RETIRED_INDEXES = {"Lead": ["lead_policy_owner_status"]}


def execute():
	for doctype, names in RETIRED_INDEXES.items():
		for name in names:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")
