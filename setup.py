import re
from pathlib import Path

from setuptools import find_packages, setup

# read the version without importing the package (its modules import frappe)
__version__ = re.search(
	r'__version__ = "([^"]+)"', (Path(__file__).parent / "lead_policy/__init__.py").read_text()
)[1]

setup(
	name="lead_policy",
	version=__version__,
	description="Sales lead handling policy for ERPNext: consent, scoring, assignment, follow-up, KPIs",
	author="lead_policy contributors",
	license="MIT",
	packages=find_packages(exclude=("tests", "tests.*", "benchmarks")),
	zip_safe=False,
	include_package_data=True,
	python_requires=">=3.10",
	# frappe and erpnext come from the bench (they are not on PyPI); pytest runs the tests.
	install_requires=[],
	# phonenumbers and rapidfuzz (used by lead_policy/policy) come with Frappe and ERPNext on a bench
	extras_require={"test": ["pytest>=7", "hypothesis>=6", "phonenumbers>=8", "rapidfuzz>=3"]},
)
