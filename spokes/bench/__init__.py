"""Benchmark: a large data set, page timings and query counts, whole-stack throughput."""
