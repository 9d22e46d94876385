"""`python -m tracker.conformance golden <fixture.dip>`: print the schema-v2 trace."""

from __future__ import annotations

import sys

from tracker.conformance.golden import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
