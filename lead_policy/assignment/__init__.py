"""Assignment (policy 4): choosing the owner, handovers, and the reps' workload counters."""
