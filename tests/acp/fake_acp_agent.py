"""A fake ACP agent for tests: speaks JSON-RPC 2.0 over stdio like claude-agent-acp.

Usage: fake_acp_agent.py [scenario]. Scenarios:
  happy     thoughts, text chunks, a tool call with a permission request, an fs write
            inside the working dir, an fs write outside it, an fs read, then end_turn
  usage     like happy, and the prompt response reports token usage
  crash     prints to stderr and exits 3 in the middle of the prompt turn
  initfail  answers initialize with a JSON-RPC error
  empty     ends the turn without saying anything
  hang      never answers the prompt (until session/cancel)
  terminal  runs `echo` through terminal/create and reports its output
Everything received and every reply to its own requests is appended to $FAKE_ACP_LOG
(one JSON object per line) so tests can assert what the client did.
"""

from __future__ import annotations

import json
import os
import sys

LOG = os.environ.get("FAKE_ACP_LOG", "")
OUTSIDE = os.environ.get("FAKE_ACP_OUTSIDE", "/tmp/fake-acp-outside.txt")
_next_id = 1000


def log(kind: str, data: object) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"kind": kind, "data": data}) + "\n")


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def read() -> dict | None:
    line = sys.stdin.readline()
    if not line:
        return None
    message = json.loads(line)
    log("received", message)
    return message


def call(method: str, params: dict) -> dict:
    """A request to the client; returns its whole reply (result or error)."""
    global _next_id
    _next_id += 1
    send({"jsonrpc": "2.0", "id": _next_id, "method": method, "params": params})
    while True:
        message = read()
        if message is None:
            sys.exit(0)
        if message.get("id") == _next_id and "method" not in message:
            log("reply", {"method": method, "reply": message})
            return message


def update(session: str, body: dict) -> None:
    send(
        {
            "jsonrpc": "2.0",
            "method": "session/update",
            "params": {"sessionId": session, "update": body},
        }
    )


def chunk(session: str, kind: str, text: str) -> None:
    update(session, {"sessionUpdate": kind, "content": {"type": "text", "text": text}})


def happy_turn(session: str, cwd: str) -> None:
    chunk(session, "agent_thought_chunk", "Thinking about the task.")
    chunk(session, "agent_message_chunk", "Hello ")
    update(session, {"sessionUpdate": "plan", "entries": []})
    target = os.path.join(cwd, "out", "result.txt")
    update(
        session,
        {
            "sessionUpdate": "tool_call",
            "toolCallId": "tc-1",
            "title": "Write out/result.txt",
            "kind": "edit",
            "status": "pending",
            "rawInput": {"path": target},
            "locations": [{"path": target}],
        },
    )
    call(
        "session/request_permission",
        {
            "sessionId": session,
            "toolCall": {"toolCallId": "tc-1", "locations": [{"path": target}]},
            "options": [
                {"optionId": "no", "name": "Reject", "kind": "reject_once"},
                {"optionId": "yes", "name": "Allow", "kind": "allow_once"},
                {"optionId": "always", "name": "Always", "kind": "allow_always"},
            ],
        },
    )
    call(
        "fs/write_text_file",
        {"sessionId": session, "path": target, "content": "line 1\nline 2\nline 3\n"},
    )
    call("fs/write_text_file", {"sessionId": session, "path": OUTSIDE, "content": "escaped"})
    call("fs/write_text_file", {"sessionId": session, "path": "relative.txt", "content": "x"})
    call(
        "fs/write_text_file",
        {"sessionId": session, "path": os.path.join(cwd, "..", "up.txt"), "content": "x"},
    )
    call("fs/read_text_file", {"sessionId": session, "path": target, "line": 2, "limit": 1})
    update(
        session,
        {
            "sessionUpdate": "tool_call_update",
            "toolCallId": "tc-1",
            "status": "completed",
            "content": [{"type": "content", "content": {"type": "text", "text": "wrote 3 lines"}}],
        },
    )
    chunk(session, "agent_message_chunk", "world.")


def terminal_turn(session: str) -> None:
    created = call(
        "terminal/create",
        {"sessionId": session, "command": "echo", "args": ["hi from terminal"]},
    )
    terminal = created["result"]["terminalId"]
    call("terminal/wait_for_exit", {"sessionId": session, "terminalId": terminal})
    output = call("terminal/output", {"sessionId": session, "terminalId": terminal})
    call("terminal/release", {"sessionId": session, "terminalId": terminal})
    denied = call(
        "terminal/create",
        {"sessionId": session, "command": "sh", "args": ["-c", "eval $DANGER"]},
    )
    text = output["result"]["output"].strip()
    chunk(session, "agent_message_chunk", f"terminal said: {text}; denied: {'error' in denied}")


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "happy"
    if scenario == "--version":
        print("fake-acp 1.0")
        return
    session = "sess-1"
    cwd = os.getcwd()
    while True:
        message = read()
        if message is None:
            return
        method, msg_id = message.get("method"), message.get("id")
        params = message.get("params") or {}
        if method == "initialize":
            if scenario == "initfail":
                send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32603, "message": "no"}})
                continue
            send(
                {
                    "jsonrpc": "2.0",
                    "id": msg_id,
                    "result": {"protocolVersion": 1, "agentCapabilities": {}},
                }
            )
        elif method == "session/new":
            cwd = params.get("cwd", cwd)
            models = {
                "availableModels": [{"modelId": "default"}, {"modelId": "claude-sonnet-4-6"}],
                "currentModelId": "default",
            }
            send(
                {"jsonrpc": "2.0", "id": msg_id, "result": {"sessionId": session, "models": models}}
            )
        elif method == "session/set_model":
            send({"jsonrpc": "2.0", "id": msg_id, "result": {}})
        elif method == "session/cancel":
            return
        elif method == "session/prompt":
            if scenario == "crash":
                chunk(session, "agent_message_chunk", "Starting")
                sys.stderr.write("boom: the agent fell over\n")
                sys.stderr.flush()
                sys.exit(3)
            if scenario == "hang":
                continue
            if scenario in ("happy", "usage"):
                happy_turn(session, cwd)
            elif scenario == "terminal":
                terminal_turn(session)
            result: dict = {"stopReason": "end_turn"}
            if scenario == "usage":
                result["usage"] = {"inputTokens": 1200, "outputTokens": 300, "totalTokens": 1500}
            send({"jsonrpc": "2.0", "id": msg_id, "result": result})


if __name__ == "__main__":
    main()
