"""`python -m tracker_swebench` = the `tracker-swebench` command."""

from tracker_swebench.cli import main

main()
