# Copyright (c) 2026, lead_policy contributors
# License: MIT. See LICENSE

from frappe.model.document import Document


class LeadNurtureProgramTerritory(Document):
	pass
