"""Benchmark scripts that need the test stand-ins (so they live outside ``ciw bench``)."""
