"""The lead handling policy's decisions as plain Python.

Nothing in this package imports frappe: plain data goes in, decisions come out. The Frappe layer
(``lead_policy.events``, ``lead_policy.scheduler``, the doctype controllers) loads settings and
records, calls these functions and writes the results back.
"""
