"""A row of widgets in one call: ``hbox("Job", (combo, 2), "Epoch", combo2, button)``.

A string becomes a label; ``(widget, stretch)`` gives a widget its share of
the spare width. The form rows of the panels read as what they show.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget


def hbox(*items: str | QWidget | tuple[QWidget, int]) -> QHBoxLayout:
    row = QHBoxLayout()
    for item in items:
        widget, stretch = item if isinstance(item, tuple) else (item, 0)
        row.addWidget(QLabel(widget) if isinstance(widget, str) else widget, stretch)
    return row
