"""Response time (policy 5.1): targets, the clock on each lead, and the escalation ladder."""
