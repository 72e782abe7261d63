"""Gunicorn settings of the HTTP benchmark (``benchmarks/http_load.py``), for both sites alike.

Each worker replaces Frappe's gravatar look-up on Contact and Lead creation with an immediate empty
answer (``benchmarks.common.neutralise_network``, the function the in-process benchmarks call): this
machine has no internet, and a 5 s time-out per lead would measure nothing else. The same file is
used for the gunicorn of the site with the app and for the one without it.
"""

import importlib.util
from pathlib import Path


def post_worker_init(worker):
	path = Path(__file__).resolve().with_name("common.py")
	spec = importlib.util.spec_from_file_location("lp_bench_common", path)
	module = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(module)
	module.neutralise_network()
	worker.log.info("lead_policy benchmark: gravatar look-ups neutralised in worker %s", worker.pid)
