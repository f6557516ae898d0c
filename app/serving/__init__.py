"""Serving: the nginx recipe, whole responses behind a proxy, and a real server for tests and
benchmarks."""
