"""The Lead statuses the policy treats as closed.

A closed lead is out of its owner's open workload, is not reassigned when its band or territory
changes, and is not rescored (its score stays as it was when it closed).
"""

# "Disqualified" is the app's own status (policy 7.2, lead_policy.policy.disposition), added to ERPNext's
# options by a Property Setter; a disqualified lead waits for its re-evaluation, nobody works on it.
CLOSED_STATUSES = ("Converted", "Do Not Contact", "Disqualified")
