"""Agent Client Protocol backend for tracker: `backend: acp` runs an agent node on an ACP
agent (claude-agent-acp, codex-acp, gemini) over JSON-RPC on its stdio.

Importing this package is cheap; the protocol code (`tracker_acp.backend`) loads only
when a run first uses the backend.
"""
