"""Terminal dashboard for tracker (textual)."""
