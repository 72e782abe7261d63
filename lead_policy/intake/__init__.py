"""Intake (policy 1, 3.2): every channel through one capture, validation, duplicates and merging,
and outbound lists vetted row by row."""
