"""``make bench``: measurements of speed, cost and reliability, each against a baseline taken in
the same run (these machines are noisy: ratios and counts, not absolute times). Never part of the
pass/fail test suite; it always exits 0 and prints PASS/MISS against each target.
"""
