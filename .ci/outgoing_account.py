"""Give a CI site a default outgoing Email Account, as every production site has.

Usage (from the bench's sites/ folder): python outgoing_account.py SITE
No SMTP server is needed: the tests mute sending, so mail is queued and captured, never sent.
"""

import sys

import frappe

frappe.init(site=sys.argv[1], sites_path=".")
frappe.connect()
frappe.flags.in_test = True  # skips Frappe's SMTP connection check at save: CI has no mail server
has_default = frappe.db.exists("Email Account", {"default_outgoing": 1})
if not has_default and frappe.db.exists("Email Account", "CI Outgoing"):
	# a test that made its own default account took the flag away: give it back
	frappe.db.set_value("Email Account", "CI Outgoing", "default_outgoing", 1)
	frappe.db.commit()
if not frappe.db.exists("Email Account", {"default_outgoing": 1}):
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "CI Outgoing",
			"email_id": "ci-outgoing@example.com",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "localhost",
			"smtp_port": 2525,
			"password": "unused",
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
print("default outgoing account:", frappe.db.get_value("Email Account", {"default_outgoing": 1}))
frappe.destroy()
