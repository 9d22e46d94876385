"""Entry point of tracker-swebench in the `tracker` plugin group.

tracker-swebench is a separate command (`tracker-swebench`), not an engine extension: it
registers no handler, gate UI, sink or backend, so `tracker plugins` shows it as installed
with nothing registered.
"""
