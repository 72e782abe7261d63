"""Installing the app saved Lead Policy Settings as Frappe had made them: a document never saved
gets the current time in every Time field, so Working Day Start and End were the same instant,
microseconds apart, and every working-hours figure (response times, deadlines, follow-ups) came
out 0 or at that time of day. Such a window (shorter than a second) is cleared: the clock runs
24 hours until the admin sets the team's hours. A working day someone chose is left alone."""

import frappe

from lead_policy.setup.install import is_install_time_window

SETTINGS = "Lead Policy Settings"


def execute():
	stored = frappe.db.get_singles_dict(SETTINGS)
	if is_install_time_window(stored.get("work_day_start"), stored.get("work_day_end")):
		frappe.db.set_single_value(SETTINGS, {"work_day_start": None, "work_day_end": None})
		frappe.clear_document_cache(SETTINGS, SETTINGS)
