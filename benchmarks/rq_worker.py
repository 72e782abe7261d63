"""An RQ worker for the bulk benchmark (``bulk_workers.py``): Frappe's own worker in burst mode (it
exits when its queues are empty), with the gravatar look-up neutralised first, as in every other
benchmark. Run from the bench's ``sites`` folder: ``python rq_worker.py long,default``."""

import importlib.util
import sys
from pathlib import Path


def main() -> None:
	spec = importlib.util.spec_from_file_location(
		"lp_bench_common", Path(__file__).resolve().with_name("common.py")
	)
	module = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(module)
	module.neutralise_network()  # before the worker forks a work horse per job: they inherit it

	from frappe.utils.background_jobs import start_worker

	start_worker(queue=sys.argv[1] if len(sys.argv) > 1 else "long", quiet=True, burst=True)


if __name__ == "__main__":
	main()
