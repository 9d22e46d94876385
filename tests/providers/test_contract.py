"""Runs the shared provider contract (contract.py) for every case in conftest.CASES."""

from __future__ import annotations

from contract import ProviderContract


class TestProviderContract(ProviderContract):
    pass
