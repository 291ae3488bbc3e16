"""Benchmarks: `make bench` measures the suite against raw building blocks measured in the same run."""
