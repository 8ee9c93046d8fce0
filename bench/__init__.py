"""Reproducible benchmarks; each writes its numbers to docs/."""
