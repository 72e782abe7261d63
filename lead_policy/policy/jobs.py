"""When a record that says "a job is working on me" is lying: the job died and nobody will finish.

Pure: the record's status, how long it has not moved, and what the queue says about its job.

A worker killed mid-job (a deploy, the OOM killer, a restart) never writes "Failed": the record stays
Queued or Processing for ever and refuses to run again. It is stuck when it has not progressed for
``stale_after`` and the queue no longer has its job waiting or running; a job the queue still calls
running is believed until it has been silent longer than the queue would let it run at all (RQ
stops a job at its timeout, and a job still "started" after that died with its worker).
"""

from datetime import timedelta

QUEUED = "Queued"
PROCESSING = "Processing"
BUSY = (QUEUED, PROCESSING)

# RQ job states (rq.job.JobStatus values)
WAITING = frozenset({"queued", "deferred", "scheduled"})
RUNNING = frozenset({"started"})


def is_stuck(
	status: str | None,
	idle: timedelta,
	job_state: str | None,
	stale_after: timedelta,
	job_timeout: timedelta,
) -> bool:
	"""``idle``: time since the record last progressed; ``job_state``: its job's RQ state, None when
	the queue has no such job (never queued, expired, or a run inside a web request)."""
	if status not in BUSY:
		return False
	if job_state in WAITING:
		return False  # waiting its turn in the queue: it will run
	if job_state in RUNNING:
		return idle > job_timeout + stale_after
	return idle > stale_after
