"""Lead nurturing (policy 6, handbook 5.2 and 9): programs, enrolments, the daily run, tracking."""
