"""Consent and data protection (policy 2): the consent ledger, the e-mail guard, the suppression
list and re-subscription, contact logged without consent, erasure and deletion."""
