"""The Compose tab: accompany a melody or generate pieces with a trained job (Qt widgets)."""

from app.ui.compose.compose_panel import ComposePanel

__all__ = ["ComposePanel"]
