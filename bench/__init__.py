"""Side-by-side benchmarks of tactica against the raw libraries it builds on (`make bench`).

Results are printed as ratios with medians and spreads, never as pass/fail: timings depend
on the machine, and a goal that is missed should be seen, not hidden behind a red test.
"""
