"""The listening panel: piano roll with playhead, transport, A/B, export (Qt widgets only)."""

from app.ui.listen.listen_panel import ListenPanel
from app.ui.listen.samples import SampleItem

__all__ = ["ListenPanel", "SampleItem"]
