"""Small pipelines shared by the library API tests."""

from __future__ import annotations

HEAD = """workflow lib
  goal: exercise the library
  start: Start
  exit: Done

  agent Start
    label: Start

  agent Done
    label: Done
"""

TOOL_ONLY = (
    HEAD
    + """
  tool Greet
    command:
      printf hello
    timeout: 10s

  edges
    Start -> Greet
    Greet -> Done
"""
)

AGENT = (
    HEAD
    + """
  agent Work
    prompt: Write the greeting file.
    auto_status: true

  edges
    Start -> Work
    Work -> Done
"""
)

DOT = (
    "digraph flow {\n"
    "  Start [shape=Mdiamond];\n  Done [shape=Msquare];\n"
    '  Touch [shape=parallelogram, tool_command="printf dot"];\n'
    "  Start -> Touch -> Done;\n}\n"
)

KEY_VARS = (
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_COMPAT_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "TRACKER_SCRIPTED_FILE",
    "TRACKER_GATEWAY_URL",
)
