"""Fixtures for the listening panel's tests: no audio output device, and a shown panel."""

from __future__ import annotations

import pytest

from app.audio import availability


@pytest.fixture
def no_device(monkeypatch):
    """Audio rendered but played on a clock: no output device, whatever this machine has."""
    monkeypatch.setenv("POLYPHONY_AUDIO_DRIVERS", "none")
    availability.clear_cache()
    yield
    availability.clear_cache()


def shown_panel(qtbot):
    """A ListenPanel at a laptop-like size, shown; the caller shuts it down."""
    from app.ui.listen import ListenPanel

    widget = ListenPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    widget.show()
    return widget


@pytest.fixture
def panel(qtbot, no_device):
    widget = shown_panel(qtbot)
    yield widget
    widget.shutdown()
