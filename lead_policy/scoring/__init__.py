"""Scoring (policy 3): the score and its breakdown from rules, and the activity signals behind it."""
