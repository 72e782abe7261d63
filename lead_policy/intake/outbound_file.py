"""Reading the list file of an Outbound Lead Batch (policy 1.2): which file the user may load, its
size checked before anything is read, and its rows (CSV, or an Excel sheet read as a stream) with
their column headings mapped onto the batch's row fields."""

import os
import zipfile

import frappe
from frappe import _
from frappe.utils import escape_html
from frappe.utils.csvutils import read_csv_content

MAX_ROWS = 20000  # rows a batch takes: the reader stops beyond them
MAX_FILE_BYTES = 10 * 1024 * 1024  # 20000 rows of a list are 2-4 MB as CSV
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an .xlsx unpacked (XML is verbose)
# Column headings a list may use, after lower-casing and dropping everything but letters
HEADINGS = {
	"firstname": "first_name",
	"givenname": "first_name",
	"forename": "first_name",
	"lastname": "last_name",
	"surname": "last_name",
	"familyname": "last_name",
	"organisation": "company_name",
	"organization": "company_name",
	"company": "company_name",
	"companyname": "company_name",
	"account": "company_name",
	"email": "email_id",
	"emailaddress": "email_id",
	"emailid": "email_id",
	"mail": "email_id",
	"phone": "phone",
	"phonenumber": "phone",
	"mobile": "phone",
	"mobileno": "phone",
	"telephone": "phone",
	"tel": "phone",
	"jobtitle": "job_title",
	"title": "job_title",
	"position": "job_title",
	"country": "country",
	"territory": "territory",
	"region": "territory",
	"industry": "industry",
	"sector": "industry",
	"lawfulbasis": "lawful_basis",
	"consentevidence": "consent_evidence",
	"consent": "consent_evidence",
	"optin": "consent_evidence",
}


def map_headings(headings) -> tuple[dict[int, str], list[str]]:
	"""Column index -> row field for the headings that name one (the first column per field), and
	the headings that name none."""
	mapping, ignored = {}, []
	for index, heading in enumerate(headings):
		key = "".join(c for c in str(heading or "").lower() if c.isalpha())
		fieldname = HEADINGS.get(key)
		if fieldname and fieldname not in mapping.values():
			mapping[index] = fieldname
		elif str(heading or "").strip():
			ignored.append(str(heading))
	return mapping, ignored


def read_table(doc) -> list[list]:
	"""The rows of the batch's list file, after checking the user may use it and its size."""
	file = _list_file(doc)
	name = (file.file_name or file.file_url or "").lower()
	if not name.endswith((".csv", ".xlsx")):
		frappe.throw(_("List File: attach a .csv or .xlsx file."), title=_("Unsupported File"))
	path = file.get_full_path()
	size = os.path.getsize(path) if os.path.isfile(path) else None
	if size is None:
		frappe.throw(
			_("List File: {0} is missing on the server; attach the list again.").format(
				escape_html(file.file_name or file.file_url)
			),
			title=_("No List File"),
		)
	# before anything is read: a huge upload would otherwise be parsed in full in the request
	if size > MAX_FILE_BYTES:
		_too_big(file, size, MAX_FILE_BYTES)
	if name.endswith(".xlsx"):
		return _read_xlsx(file, path)
	return read_csv_content(file.get_content())


def _list_file(doc):
	"""The File behind ``source_file`` that this user may load into this batch.

	``source_file`` is only a URL the client sent: without this check a manager could load any file
	of the site (another document's private attachment) into the batch and read it as rows. The
	File must be attached to this batch or uploaded by the user, and readable by them.
	"""
	user = frappe.session.user
	candidates = frappe.get_all(
		"File",
		filters={"file_url": doc.source_file, "is_folder": 0},
		fields=["name", "owner", "attached_to_doctype", "attached_to_name"],
		order_by="creation desc",
	)
	for row in candidates:
		attached = row.attached_to_doctype == doc.doctype and row.attached_to_name == doc.name
		if not (attached or row.owner == user):
			continue
		file = frappe.get_doc("File", row.name)
		if not file.is_remote_file and frappe.has_permission("File", "read", doc=file, user=user):
			return file
	frappe.throw(
		_(
			"List File: {0} is not a file attached to this batch or uploaded by you. Attach the list to"
			" this batch with the List File field, then press Load Rows."
		).format(escape_html(doc.source_file)),
		frappe.PermissionError,
		title=_("Not Allowed"),
	)


def _too_big(file, size: int, limit: int) -> None:
	frappe.throw(
		_(
			"List File: {0} is {1} MB; a list file can be at most {2} MB (about {3} rows). Split the list"
			" into several batches."
		).format(
			escape_html(file.file_name or file.file_url),
			f"{size / 1024 / 1024:.1f}",
			f"{limit / 1024 / 1024:g}",
			MAX_ROWS,
		),
		title=_("List File Too Large"),
	)


def _read_xlsx(file, path: str) -> list[list]:
	"""An Excel sheet's rows, read as a stream: an .xlsx is a zip archive, and a small one can
	unpack to gigabytes, so the unpacked size is checked from the archive's directory first."""
	# imported here: openpyxl takes about 0.1 s to import and only an .xlsx list needs it
	from openpyxl import load_workbook

	try:
		with zipfile.ZipFile(path) as archive:
			unpacked = sum(entry.file_size for entry in archive.infolist())
	except zipfile.BadZipFile:
		frappe.throw(
			_("List File: {0} is not an Excel (.xlsx) file; save it again as .xlsx or .csv.").format(
				escape_html(file.file_name or file.file_url)
			),
			title=_("Unsupported File"),
		)
	if unpacked > MAX_UNPACKED_BYTES:
		_too_big(file, unpacked, MAX_UNPACKED_BYTES)
	workbook = load_workbook(filename=path, read_only=True, data_only=True)
	try:
		rows, filled = [], 0
		for values in workbook.active.iter_rows(values_only=True):
			rows.append(list(values))
			filled += any(str(v or "").strip() for v in values)
			if filled > MAX_ROWS + 1:  # the heading and more rows than any batch takes: stop reading
				break
		return rows
	finally:
		workbook.close()
