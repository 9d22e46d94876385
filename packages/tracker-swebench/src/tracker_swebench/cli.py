"""The `tracker-swebench` command (not implemented yet)."""

import sys


def main() -> None:
    print("tracker-swebench: not implemented yet (see README, 'Unfinished')", file=sys.stderr)
    sys.exit(1)
