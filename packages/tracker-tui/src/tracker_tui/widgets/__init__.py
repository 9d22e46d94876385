"""The dashboard's widgets (cli-tui.md §9.1): each renders one part of `DashboardState`."""

from tracker_tui.widgets.activity import ActivityLog
from tracker_tui.widgets.header import HeaderBar
from tracker_tui.widgets.nodelist import NodeList
from tracker_tui.widgets.statusbar import StatusBar
from tracker_tui.widgets.trail import Trail

__all__ = ["ActivityLog", "HeaderBar", "NodeList", "StatusBar", "Trail"]
