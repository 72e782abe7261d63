"""Interactions and follow-ups (policy 5.2, handbook 6.2 and 9), in the Frappe layer.

``log``: the Log Interaction action and API: a call, meeting, social message or other touch becomes
ERPNext's own record (Call Log, Event, CRM Note) and exactly one Lead Activity.
``followup``: on each Lead Activity, the Lead's interaction counts and Last Contacted, its Next
Follow-up by band and the owner's follow-up ToDo. The rules are in ``lead_policy.policy.followup``.
"""
