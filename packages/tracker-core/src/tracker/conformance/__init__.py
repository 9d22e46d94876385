"""Conformance tooling: reproduce the reference's golden traces (engine.md §9)."""
