"""Lead capture endpoints: the API for integrations and the public enquiry form.

Both go through ``lead_policy.intake.capture.capture``, so a lead from either gets the same source
tracking, validation, duplicate handling and consent evidence.

* ``create_lead`` (POST /api/method/lead_policy.api.create_lead): for authenticated integrations
  (API key and secret) allowed to create Leads. Malformed payloads are refused with HTTP 422 and
  ``invalid_fields`` (one message per field); wrong types with 417. Returns the lead, or the
  existing lead with ``duplicate: true``. A capture that collides with another request (a deadlock,
  ERPNext's Contact named after the same person) is tried again (``intake.retry``); if it still
  cannot be stored, the answer is 503 with ``Retry-After``, nothing is kept, and an Error Log has it.
* ``submit_inquiry`` (POST /api/method/lead_policy.api.submit_inquiry): the /get-in-touch form,
  no account needed; rate-limited per IP address, with a honeypot field against bots.
"""

import json

import frappe
from frappe import _
from frappe.utils import cint, escape_html, now_datetime
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.wrappers import Response

from lead_policy.intake import capture as intake
from lead_policy.intake import retry
from lead_policy.intake.client_ip import client_ip
from lead_policy.intake.payload import reach_problems
from lead_policy.policy import validation as checks
from lead_policy.policy.lead_fields import PHONE_FIELDS
from lead_policy.policy.network import rate_limit_bucket
from lead_policy.policy.retry import RETRY_AFTER
from lead_policy.settings import get_settings

CONSENT_KEYS = {"channel", "purpose", "status", "lawful_basis", "evidence", "consent_on", "source_reference"}
IGNORED_KEYS = {"cmd", "csrf_token", "data"}
WEB_FORM_EXTRAS = {"country", "city", "job_title", "website", "request_type"}
HONEYPOT = "website_url"  # hidden on the form: people leave it empty, bots fill it in


# ---------- API ----------


@frappe.whitelist(methods=["POST"])
def create_lead(
	first_name: str | None = None,
	middle_name: str | None = None,
	last_name: str | None = None,
	lead_name: str | None = None,
	salutation: str | None = None,
	company_name: str | None = None,
	job_title: str | None = None,
	email_id: str | None = None,
	mobile_no: str | None = None,
	phone: str | None = None,
	whatsapp_no: str | None = None,
	website: str | None = None,
	city: str | None = None,
	state: str | None = None,
	country: str | None = None,
	territory: str | None = None,
	industry: str | None = None,
	market_segment: str | None = None,
	no_of_employees: str | None = None,
	request_type: str | None = None,
	language: str | None = None,
	source: str | None = None,
	campaign: str | None = None,
	utm_source: str | None = None,
	utm_medium: str | None = None,
	utm_campaign: str | None = None,
	received_at: str | None = None,
	notes: str | None = None,
	consent: list[dict] | str | None = None,
	**unknown,
) -> dict:
	"""Create a lead from an integration (form tool, marketing platform, partner portal).

	``source`` is a Lead Source, ``campaign`` a Campaign (name or Campaign Name), ``received_at``
	when the enquiry reached the integration (ISO 8601; it drives the capture deadline), ``consent``
	a list of ``{channel, purpose, status, lawful_basis, evidence, consent_on, source_reference}``.
	"""
	if not frappe.has_permission("Lead", "create"):
		frappe.throw(_("You are not allowed to create leads."), frappe.PermissionError)
	payload = {
		k: v
		for k, v in {
			"first_name": first_name,
			"middle_name": middle_name,
			"last_name": last_name,
			"lead_name": lead_name,
			"salutation": salutation,
			"company_name": company_name,
			"job_title": job_title,
			"email_id": email_id,
			"mobile_no": mobile_no,
			"phone": phone,
			"whatsapp_no": whatsapp_no,
			"website": website,
			"city": city,
			"state": state,
			"country": country,
			"territory": territory,
			"industry": industry,
			"market_segment": market_segment,
			"no_of_employees": no_of_employees,
			"request_type": request_type,
			"language": language,
			"source": source,
			"campaign_name": campaign,
			"utm_source": utm_source,
			"utm_medium": utm_medium,
			"utm_campaign": utm_campaign,
			"received_at": received_at,
			"notes": notes,
		}.items()
		if v is not None
	}
	# unknown fields go in too: strict intake refuses each of them with its own message
	payload.update({k: v for k, v in unknown.items() if k not in IGNORED_KEYS})
	entries, consent_errors = _consent_entries(consent)
	try:
		if consent_errors:  # report every problem of the payload at once, and save nothing
			raise intake.IntakeRejected({**intake.payload_errors(payload), **consent_errors})
		result = retry.run(intake.capture, payload, intake.API, strict=True, consent=entries)
	except intake.IntakeRejected as e:
		frappe.local.response["invalid_fields"] = e.errors
		frappe.throw(
			"<br>".join(f"<b>{escape_html(k)}</b>: {v}" for k, v in e.errors.items()),
			intake.IntakeRejected,
			title=_("Lead Not Created"),
		)
	except retry.NotStored:
		_keep_unsaved(
			_("API lead could not be stored"),
			_(
				"This lead sent through the API was not stored: it kept colliding with other requests"
				" saving at the same moment. The caller was told to send it again; if it does not arrive,"
				" enter it as a lead, then delete this log: it holds personal data."
			),
			payload,
			entries,
		)
		raise _not_stored() from None
	if result.created:
		frappe.local.response["http_status_code"] = 201
	out = result.as_dict()
	# a new lead's is known from its insert; a repeat enquiry's is the existing lead's
	out["validation_status"] = (
		result.validation_status
		if result.created
		else frappe.db.get_value("Lead", result.lead, "validation_status")
	)
	return out


def _consent_entries(consent) -> tuple[list[dict], dict[str, str]]:
	"""Consent rows from the payload, each checked against the Lead Consent options."""
	if consent in (None, "", []):
		return [], {}
	if isinstance(consent, str):
		try:
			consent = json.loads(consent)
		except ValueError:
			return [], {"consent": _("consent must be a JSON list of objects.")}
	if isinstance(consent, dict):
		consent = [consent]
	if not isinstance(consent, list) or not all(isinstance(c, dict) for c in consent):
		return [], {"consent": _("consent must be a list of objects.")}
	meta = frappe.get_meta("Lead Consent")
	entries, errors = [], {}
	for i, row in enumerate(consent):
		prefix = f"consent[{i}]"
		unknown = set(row) - CONSENT_KEYS
		if unknown:
			errors[prefix] = _("Unknown keys {0}; use {1}.").format(
				", ".join(sorted(unknown)), ", ".join(sorted(CONSENT_KEYS))
			)
			continue
		for key in ("channel", "purpose"):
			if not row.get(key):
				errors[f"{prefix}.{key}"] = _("{0} is required.").format(key)
		for key, value in row.items():
			if value is not None and not isinstance(value, str):
				errors[f"{prefix}.{key}"] = _("{0} must be text.").format(key)
			elif value and meta.get_field(key) and meta.get_field(key).fieldtype == "Select":
				options = [o for o in (meta.get_field(key).options or "").split("\n") if o]
				if value not in options:
					errors[f"{prefix}.{key}"] = _("{0} must be one of {1}.").format(key, ", ".join(options))
			elif isinstance(value, str) and len(value) > 2000:
				errors[f"{prefix}.{key}"] = _("{0} is longer than {1} characters.").format(key, 2000)
		entries.append({**{k: v for k, v in row.items() if v not in (None, "")}, "source": "API"})
	return entries, errors


# ---------- the public enquiry form ----------


@frappe.whitelist(allow_guest=True, methods=["POST"])
def submit_inquiry(
	first_name: str | None = None,
	last_name: str | None = None,
	email: str | None = None,
	phone: str | None = None,
	company: str | None = None,
	message: str | None = None,
	consent: str | int | bool | None = None,
	marketing: str | int | bool | None = None,
	utm_source: str | None = None,
	utm_medium: str | None = None,
	utm_campaign: str | None = None,
	page: str | None = None,
	website_url: str | None = None,
	**unknown,
) -> dict:
	"""The /get-in-touch form: anyone may send an enquiry; it becomes a lead with its consent."""
	settings = get_settings()
	_rate_limit(cint(settings.get("web_form_rate_limit")))
	thanks = {"ok": True, "message": _("Thank you! We have your enquiry and will be in touch shortly.")}
	if website_url:  # the honeypot: answer as usual, keep nothing
		return thanks
	visitor_errors = {}
	if not (first_name or "").strip() and not (last_name or "").strip():
		visitor_errors["first_name"] = _("Please tell us your name.")
	if not (email or "").strip() and not (phone or "").strip():
		visitor_errors["email"] = _("Please give an e-mail address or a phone number so we can reply.")
	else:
		visitor_errors.update(_unreachable(email, phone, unknown.get("country"), settings))
	if not _ticked(consent):
		visitor_errors["consent"] = _("Please tick the box so that we may contact you about your enquiry.")
	if visitor_errors:
		frappe.local.response["invalid_fields"] = visitor_errors
		frappe.throw(
			"<br>".join(escape_html(m) for m in visitor_errors.values()),
			frappe.ValidationError,
			title=_("Please Check the Form"),
		)
	payload = {
		"first_name": first_name,
		"last_name": last_name,
		"email_id": email,
		"mobile_no": phone,
		"company_name": company,
		"notes": message,
		"utm_source": utm_source,
		"utm_medium": utm_medium,
		"utm_campaign": utm_campaign,
		# fields a site may add to its copy of the form; anything else a bot sends is ignored
		**{k: v for k, v in unknown.items() if k in WEB_FORM_EXTRAS},
	}
	payload = {k: v for k, v in payload.items() if v not in (None, "")}
	entries = _form_consent(settings, payload, _ticked(marketing), page)
	try:
		# a collision with another enquiry saved at the same moment is tried again (intake.retry); when
		# that is exhausted too (NotStored), the visitor is asked to try again like for any failure
		retry.run(
			intake.capture,
			payload,
			intake.WEB_FORM,
			consent=entries,
			# the activity's details default to the message as intake cleaned it (formula triggers,
			# markup): the visitor's raw text would reach exports of the lead's activities
			activity="Form Submission",
		)
	except Exception:
		submitted = {
			"first_name": first_name,
			"last_name": last_name,
			"email": email,
			"phone": phone,
			"company": company,
			"message": message,
			"consent": consent,
			"marketing": marketing,
			"utm_source": utm_source,
			"utm_medium": utm_medium,
			"utm_campaign": utm_campaign,
			"page": page,
			**{k: v for k, v in unknown.items() if k in WEB_FORM_EXTRAS},
		}
		_keep_unsaved(
			_("Web form enquiry could not be saved"),
			_(
				"This enquiry from the web form was not saved as a lead. Enter it as a lead (with the"
				" consent below), then delete this log: it holds the visitor's personal data."
			),
			submitted,
			entries,
		)
		frappe.throw(
			_("Sorry, we could not save your enquiry. Please try again later or write to us by e-mail."),
			title=_("Not Sent"),
		)
	return thanks


def _keep_unsaved(title: str, intro: str, submitted: dict, entries: list[dict]) -> None:
	"""An enquiry that was not stored, kept in the Error Log for an admin: what was submitted, the
	consent it would have recorded, and why it failed (call it in the ``except``).

	Everything the failed capture wrote is rolled back first, and the log is committed on its own:
	the error answered next makes Frappe roll back the request, and a log written in it would go too."""
	traceback = frappe.get_traceback()
	frappe.db.rollback()
	submitted = {k: str(v)[:10000] for k, v in submitted.items() if v not in (None, "")}
	try:
		frappe.log_error(
			title=title,
			message=intro
			+ "\n\n"
			+ _("Submitted:")
			+ "\n"
			+ json.dumps(submitted, indent=1, ensure_ascii=False)
			+ "\n\n"
			+ _("Consent that would have been recorded:")
			+ "\n"
			+ json.dumps(entries, indent=1, ensure_ascii=False, default=str)
			+ "\n\n"
			+ traceback,
		)
		frappe.db.commit()
	except Exception:
		# the caller still gets its answer; the server log keeps what happened
		frappe.logger("lead_policy").exception("lead intake: the error log could not be written")


def _not_stored() -> ServiceUnavailable:
	"""The API's answer when a lead could not be stored although the payload is fine: 503 with
	``Retry-After``, so that a client retries later instead of dropping the lead (422 would tell it
	the payload is wrong). Not 409: nothing in the request conflicts, it is the server that was busy.

	Raised as an HTTP exception carrying its own response, because Frappe v15 lets a whitelisted
	method set no response header when it fails; Frappe answers it as it is and rolls back the request."""
	message = _(
		"The lead was not stored: other enquiries were being saved at the same moment. Nothing was kept;"
		" please send it again in a few seconds."
	)
	frappe.local.response["http_status_code"] = 503
	body = {
		"exc_type": "LeadNotStored",
		"not_stored": True,
		"retry_after": RETRY_AFTER,
		"message": message,
		"_server_messages": json.dumps(
			[json.dumps({"message": message, "title": _("Lead Not Stored"), "indicator": "orange"})]
		),
	}
	response = Response(
		json.dumps(body), status=503, mimetype="application/json", headers={"Retry-After": str(RETRY_AFTER)}
	)
	return ServiceUnavailable(description=message, response=response)


def _unreachable(email, phone, country, settings) -> dict[str, str]:
	"""Messages for the form's contact fields when neither the e-mail address nor the phone number
	works: thanking for an enquiry nobody can answer would leave the visitor waiting for ever.
	A reachable enquiry passes as before (a bad second detail is only flagged on the lead)."""
	values = {"email_id": str(email or "").strip(), "mobile_no": str(phone or "").strip()}
	if isinstance(country, str):
		values["country"] = country
	errors = {}
	for problem in reach_problems(values, settings):
		if problem.field == "email_id" and values["email_id"]:
			address = checks.normalise_email(values["email_id"])[:140]
			if checks.email_syntax_ok(address):
				errors["email"] = _(
					'Please check your e-mail address: we cannot reply to "{0}" (a disposable, placeholder'
					" or no-reply address). Give your own address or a phone number."
				).format(address)
			else:
				errors["email"] = _(
					'Please correct your e-mail address: "{0}" is not a valid address (it should look like'
					" name@example.com)."
				).format(address)
		elif problem.field in PHONE_FIELDS and values["mobile_no"]:
			errors["phone"] = _(
				'Please check your phone number: "{0}" is not a number we can call. Include the country'
				" code, for example +49 30 1234567."
			).format(values["mobile_no"][:40])
	return errors


def _ticked(value) -> bool:
	return value in (True, 1) or str(value).strip().lower() in ("1", "on", "yes", "true")


def _rate_limit(limit: int) -> None:
	"""At most ``limit`` submissions per client address and hour (0: no limit).

	The address is ``client_ip()``, not ``frappe.local.request_ip``: Frappe takes that from the
	X-Forwarded-For header a visitor writes, so a bot could claim a fresh address per request,
	and behind a proxy every visitor would share the proxy's bucket. IPv6 counts per /64.

	Why not Frappe's ``frappe.rate_limiter.rate_limit`` (v15): its ``limit`` may be a callable, but
	what it counts by is ``frappe.local.request_ip`` or a value of ``frappe.form_dict`` named by
	``key``, never a callable. Keying it on the client address would mean writing the address into
	the request's form data from a second decorator, a side channel through the request. It also
	does nothing without ``frappe.request`` (a call from code or a test), refuses every request at
	limit 0 (here: no limit), answers with its own generic message, and can leave a counter without
	expiry: when the key expires between its ``get`` and ``incrby``, ``incrby`` recreates it without
	a TTL and nothing sets one again, so the address stays blocked. The counter here heals that."""
	if limit <= 0:
		return
	key = frappe.cache.make_key(f"lead_policy:web_form:{rate_limit_bucket(client_ip())}")
	count = frappe.cache.incrby(key, 1)
	# a worker stopped between the two calls would leave a counter that never expires: heal it
	if count == 1 or (count > limit and frappe.cache.ttl(key) < 0):
		frappe.cache.expire(key, 3600)
	if count > limit:
		frappe.throw(
			_("Too many enquiries from your network; please try again in an hour."),
			frappe.RateLimitExceededError,
			title=_("Please Wait"),
		)


def _form_consent(settings, payload, marketing: bool, page: str | None) -> list[dict]:
	"""Ledger rows for the boxes ticked, with the wording shown and where, when and from where."""
	when = now_datetime()
	where = (page or "/get-in-touch")[:140]
	context = _("Ticked on {0} at {1} from {2} ({3}).").format(
		where,
		when.strftime("%Y-%m-%d %H:%M:%S"),
		client_ip() or _("unknown address"),
		(_user_agent() or _("unknown browser"))[:200],
	)
	wording = settings.get("web_form_consent_text") or ""
	base = {
		"status": "Granted",
		"lawful_basis": "Consent",
		"source": "Web Form",
		"source_reference": where,
		"consent_on": when,
	}
	rows = []
	if payload.get("email_id"):
		rows.append(
			{**base, "channel": "Email", "purpose": "Sales Contact", "evidence": f"{wording}\n{context}"}
		)
	if payload.get("mobile_no"):
		rows.append(
			{**base, "channel": "Phone", "purpose": "Sales Contact", "evidence": f"{wording}\n{context}"}
		)
	if marketing and payload.get("email_id") and settings.get("web_form_marketing_text"):
		rows.append(
			{
				**base,
				"channel": "Email",
				"purpose": "Marketing/Nurture",
				"evidence": f"{settings.web_form_marketing_text}\n{context}",
			}
		)
	return rows


def _user_agent() -> str | None:
	return frappe.get_request_header("User-Agent") if getattr(frappe.local, "request", None) else None
