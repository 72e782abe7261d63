"""KPIs and reports (policy 1.3, 8): the filters the reports share and their set-based queries.

The arithmetic (rates, ROI, status against target, trend, periods) is in lead_policy.policy.kpi; the
reports themselves are in lead_policy/lead_policy/report/.
"""
