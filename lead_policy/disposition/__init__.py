"""Lead disposition in the Frappe layer (policy 7): qualification, conversion, rejection and recycling."""
