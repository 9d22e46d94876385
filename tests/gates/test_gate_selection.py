"""Which interviewer a run gets, and the gate UIs core registers through the plugin hook."""

from __future__ import annotations

import io

import pytest
from tracker.gates.auto_approve import AutoApproveInterviewer
from tracker.gates.autopilot import AutopilotInterviewer
from tracker.gates.console import ConsoleInterviewer
from tracker.gates.select import choose_interviewer
from tracker.llm.client import Client
from tracker.llm.scripted import ScriptedProvider
from tracker.plugins.manager import build_registry


def client() -> Client:
    return Client({"scripted": ScriptedProvider([])})


def test_priority_auto_approve_then_webhook_then_autopilot_then_interactive() -> None:
    console = ConsoleInterviewer(output=io.StringIO())
    webhook = AutoApproveInterviewer()  # stands in for a webhook interviewer
    everything = dict(webhook=webhook, autopilot="lax", llm_client=client(), interactive=console)
    assert isinstance(
        choose_interviewer(auto_approve=True, **everything).interviewer, AutoApproveInterviewer
    )
    assert choose_interviewer(**everything).interviewer is webhook
    del everything["webhook"]
    chosen = choose_interviewer(**everything)
    assert isinstance(chosen.interviewer, AutopilotInterviewer)
    assert chosen.interviewer.persona == "lax" and chosen.warning == ""
    assert choose_interviewer(interactive=console).interviewer is console
    assert choose_interviewer().interviewer is None


def test_autopilot_without_a_client() -> None:
    chosen = choose_interviewer(autopilot="")
    assert isinstance(chosen.interviewer, AutoApproveInterviewer)
    assert "auto-approving" in chosen.warning
    console = ConsoleInterviewer(output=io.StringIO())
    chosen = choose_interviewer(
        autopilot="mid", interactive=console, on_missing_client="interactive"
    )
    assert chosen.interviewer is console and "interactive" in chosen.warning
    with pytest.raises(ValueError, match="needs an LLM client"):
        choose_interviewer(autopilot="mid", on_missing_client="error")
    with pytest.raises(ValueError, match="unknown autopilot persona"):
        choose_interviewer(autopilot="boss", llm_client=client())


def test_core_registers_its_gate_uis() -> None:
    registry = build_registry()
    gate_uis = registry.entries["gate_uis"]
    assert {"console", "auto-approve", "autopilot"} <= set(gate_uis)
    assert all(gate_uis[n].plugin == "core" for n in ("console", "auto-approve", "autopilot"))
    out = io.StringIO()
    assert isinstance(gate_uis["console"].spec.factory(output=out), ConsoleInterviewer)
    assert isinstance(gate_uis["auto-approve"].spec.factory(), AutoApproveInterviewer)
    pilot = gate_uis["autopilot"].spec.factory(client(), "hard")
    assert isinstance(pilot, AutopilotInterviewer) and pilot.persona == "hard"
