"""inchframe's benchmarks: ``python -m benchmarks [--quick] [--only SUITES] [--docs]``.

See benchmarks/run.py and docs/performance.md.
"""
