"""The policy's starting response targets (policy 5.1) for sites installed before response times
existed; install creates them on new sites. Once, by this patch, so targets an admin deletes later
stay deleted."""

from lead_policy.response.targets import ensure_default_targets


def execute():
	ensure_default_targets()
