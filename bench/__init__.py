"""Benchmarks (see docs/performance.md). Not part of the application."""
