"""The public enquiry form (policy 1.1): /get-in-touch. Submissions go to lead_policy.api.submit_inquiry."""

import frappe
from frappe import _

from lead_policy.settings import get_settings

no_cache = 1
sitemap = 1


def get_context(context):
	settings = get_settings()
	context.title = _("Get in Touch")
	context.no_breadcrumbs = 1
	context.consent_text = settings.get("web_form_consent_text") or ""
	context.marketing_text = settings.get("web_form_marketing_text") or ""
	context.company = frappe.db.get_default("company") or ""
	return context
