"""doc_events on Frappe's Contact: ERPNext creates one with every new lead, named after the person;
the name is made safe against another enquiry taking it at the same moment."""

from lead_policy.intake import contact_name


def autoname(doc, method=None):
	contact_name.reserve_name(doc)
