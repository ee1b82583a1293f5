"""Benchmarks of the product, outside the test suite: `scripts/bench`, see docs/benchmarks.md."""
