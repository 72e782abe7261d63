"""The Lead statuses the policy treats as closed.

A closed lead is out of its owner's open workload, is not reassigned when its band or territory
changes, and is not rescored (its score stays as it was when it closed).
"""

CLOSED_STATUSES = ("Converted", "Do Not Contact")
