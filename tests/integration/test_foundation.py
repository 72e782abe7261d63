"""Foundation: the app is installed, its fields are on Lead, settings refuse bad values."""

import frappe
import pytest
from frappe.utils import add_days, today

from lead_policy.setup.fields import get_custom_fields
from lead_policy.setup.install import apply_custom_fields

from .fixtures import user_with_roles
from .helpers import make_lead, set_settings


def test_app_is_installed_with_erpnext():
	apps = frappe.get_installed_apps()
	assert "lead_policy" in apps
	assert apps.index("erpnext") < apps.index("lead_policy")


def test_custom_fields_exist_on_lead_with_columns():
	meta = frappe.get_meta("Lead")
	columns = set(frappe.db.get_table_columns("Lead"))
	for doctype, fields in get_custom_fields().items():
		for f in fields:
			assert frappe.db.exists("Custom Field", {"dt": doctype, "fieldname": f["fieldname"]}), f[
				"fieldname"
			]
			assert meta.has_field(f["fieldname"]), f["fieldname"]
			if f["fieldtype"] not in frappe.model.no_value_fields and f["fieldtype"] != "Table":
				assert f["fieldname"] in columns, f["fieldname"]


def test_applying_fields_again_changes_nothing():
	"""What every migrate does: the second run must not touch the records the first one wrote."""
	apply_custom_fields()
	before = frappe.get_all(
		"Custom Field", filters={"module": "Lead Policy"}, fields=["name", "modified"], order_by="name"
	)
	apply_custom_fields()
	after = frappe.get_all(
		"Custom Field", filters={"module": "Lead Policy"}, fields=["name", "modified"], order_by="name"
	)
	assert before == after
	assert len(after) == sum(len(f) for f in get_custom_fields().values())


@pytest.mark.commits  # the field's update alters the table (DDL commits); it ends as migrate leaves it
def test_the_lead_list_filter_bar_holds_what_a_rep_filters_by_and_migrate_trims_an_older_install():
	name = frappe.db.get_value("Custom Field", {"dt": "Lead", "fieldname": "lead_score"})
	frappe.db.set_value("Custom Field", name, "in_standard_filter", 1)  # as installed before
	apply_custom_fields()
	frappe.clear_cache(doctype="Lead")
	erpnext = {"job_title", "status", "company_name", "territory"}  # ERPNext's own filters stay
	ours = {f.fieldname for f in frappe.get_meta("Lead").fields if f.in_standard_filter} - erpnext
	assert ours == {
		"score_band",
		"response_status",
		"has_consent",
		"validation_status",
		"qualification_summary",
	}


def test_settings_have_policy_defaults():
	"""What a new site gets, whatever this site's settings were changed to: the policy's targets and
	bands, and an install that dates the policy from the day it runs."""
	from lead_policy.setup.install import make_default_records

	s = frappe.new_doc("Lead Policy Settings")
	assert (s.target_conversion_rate, s.target_retention_rate, s.target_roi) == (40, 90, 2)
	assert (s.hot_min_score, s.warm_min_score) == (80, 50)
	frappe.db.set_single_value("Lead Policy Settings", {"defaults_installed": 0, "effective_date": None})
	frappe.clear_document_cache("Lead Policy Settings", "Lead Policy Settings")
	make_default_records()
	assert str(frappe.db.get_single_value("Lead Policy Settings", "effective_date")) == today()


@pytest.mark.parametrize(
	"values,label",
	[
		({"target_conversion_rate": 140}, "Target Lead Conversion Rate"),
		({"target_retention_rate": -5}, "Target Customer Retention"),
		({"target_roi": 0}, "Target ROI"),
		({"warm_min_score": 85, "hot_min_score": 80}, "Hot From Score"),
		({"hot_weight": -1}, "Workload Weight of a Hot Lead"),
		({"blocked_email_domains": "mailinator.com\nnot a domain!!, @@"}, "Blocked E-mail Domains"),
	],
)
def test_settings_refuse_bad_values_naming_the_field(values, label):
	with pytest.raises(frappe.ValidationError) as err:
		set_settings(**values)
	assert label in str(err.value)
	# named once, and a whole number as typed ("140", not "140.0")
	assert str(err.value).count(label) == 1 and ".0" not in str(err.value).split("not ")[-1]


def test_a_settings_message_that_starts_with_its_label_does_not_repeat_it():
	with pytest.raises(frappe.ValidationError) as err:
		set_settings(target_conversion_rate=150)
	message = str(err.value)
	assert message.startswith(
		"<b>Target Lead Conversion Rate</b> must be a percentage between 0 and 100, not 150."
	)


def test_review_date_must_follow_effective_date():
	with pytest.raises(frappe.ValidationError) as err:
		set_settings(effective_date=today(), next_review_date=add_days(today(), -1))
	assert "Next Review Date" in str(err.value)
	assert "after the Effective Date" in str(err.value)


def test_review_date_defaults_to_one_year_after_effective_date():
	s = set_settings(effective_date="2026-03-01", next_review_date=None)
	assert str(s.next_review_date) == "2027-03-01"


def test_sales_user_can_read_but_not_edit_settings():
	user = user_with_roles("lp-sales-user@example.com", ["Sales User"])
	frappe.set_user(user)
	assert frappe.has_permission("Lead Policy Settings", "read")
	assert not frappe.has_permission("Lead Policy Settings", "write")
	frappe.set_user("Administrator")
	manager = user_with_roles("lp-sales-manager@example.com", ["Sales Manager"])
	frappe.set_user(manager)
	assert frappe.has_permission("Lead Policy Settings", "write")


def test_erpnext_lead_still_converts_with_app_installed():
	from erpnext.crm.doctype.lead.lead import make_customer, make_opportunity

	lead = make_lead(company_name="Convert Co")
	contact_links = {"link_doctype": "Lead", "link_name": lead.name, "parenttype": "Contact"}
	assert frappe.db.count("Dynamic Link", contact_links) == 1  # ERPNext made the lead's Contact
	customer = make_customer(lead.name)
	customer.customer_group = frappe.db.get_value("Customer Group", {"is_group": 0})
	customer.territory = frappe.db.get_value("Territory", {"is_group": 0})
	customer.insert()
	assert customer.lead_name == lead.name
	opportunity = make_opportunity(lead.name)
	opportunity.insert()
	assert opportunity.party_name == lead.name
	with pytest.raises(frappe.DuplicateEntryError):
		make_lead(email_id=lead.email_id)


def test_policy_review_reminder_goes_to_review_owner_once():
	from lead_policy.scheduler.policy_review import daily

	owner = user_with_roles("lp-sales-manager@example.com", ["Sales Manager"])
	review = {"reference_type": "Lead Policy Settings", "reference_name": "Lead Policy Settings"}
	frappe.db.delete("ToDo", review)  # a review the site's own scheduler put on someone's list
	set_settings(
		effective_date=add_days(today(), -350), next_review_date=add_days(today(), 15), review_owner=owner
	)
	todo = daily()
	assert frappe.get_all("ToDo", filters=review, fields=["name", "allocated_to", "status"]) == [
		{"name": todo, "allocated_to": owner, "status": "Open"}
	]
	assert daily() == todo  # not a second one
	assert frappe.db.count("ToDo", review) == 1
	set_settings(next_review_date=add_days(today(), 200))
	frappe.db.delete("ToDo", {"name": todo})
	assert daily() is None
	assert frappe.db.count("ToDo", review) == 0


def test_the_patch_clears_a_working_day_the_install_filled_with_its_own_time_only():
	from frappe.utils import get_time

	from lead_policy.patches import clear_install_time_working_day as patch

	settings = "Lead Policy Settings"
	frappe.db.set_single_value(
		settings, {"work_day_start": "13:08:34.174588", "work_day_end": "13:08:34.174622"}
	)
	patch.execute()
	stored = frappe.db.get_singles_dict(settings)
	assert (stored.get("work_day_start"), stored.get("work_day_end")) == (None, None)
	frappe.db.set_single_value(settings, {"work_day_start": "09:00:00", "work_day_end": "17:00:00"})
	patch.execute()  # a working day someone chose stays
	assert get_time(frappe.db.get_single_value(settings, "work_day_end")) == get_time("17:00:00")
	frappe.clear_document_cache(settings, settings)
