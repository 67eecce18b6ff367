"""Light and dark: the window follows the desktop's palette, or the user's
choice in View > Theme (System / Light / Dark), remembered between runs.

Widgets that paint themselves (the charts, the piano roll, the job list's
status colours) ask this module for colours made from the current
``QPalette`` and repaint on ``QEvent.PaletteChange``, so a desktop switching
to dark while the app runs is followed too. Forcing Light or Dark uses the
Fusion style (native styles may ignore a palette); System puts back the
style and palette the application started with.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QActionGroup, QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.ui import ui_settings

THEMES = ("system", "light", "dark")
THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
SETTING = "view/theme"

_original: tuple[str, QPalette] | None = None  # the style and palette at start-up


def _set_colors(palette: QPalette, roles: dict) -> QPalette:
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    return palette


def dark_palette() -> QPalette:
    p = _set_colors(QPalette(), {
        QPalette.Window: "#2b2d31", QPalette.WindowText: "#e6e6e6", QPalette.Base: "#1f2023",
        QPalette.AlternateBase: "#292a2e", QPalette.ToolTipBase: "#3a3c42",
        QPalette.ToolTipText: "#f0f0f0", QPalette.Text: "#e6e6e6", QPalette.Button: "#35373c",
        QPalette.ButtonText: "#e6e6e6", QPalette.BrightText: "#ff6b6b", QPalette.Highlight: "#3d7bd9",
        QPalette.HighlightedText: "#ffffff", QPalette.Link: "#6fa8ff", QPalette.Mid: "#4a4c52",
        QPalette.Dark: "#18191b", QPalette.Light: "#4d5056", QPalette.Shadow: "#000000",
        QPalette.PlaceholderText: "#8c8f96"})
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#7a7d84"))
    return p


def light_palette() -> QPalette:
    p = _set_colors(QPalette(), {
        QPalette.Window: "#efefef", QPalette.WindowText: "#1b1b1b", QPalette.Base: "#ffffff",
        QPalette.AlternateBase: "#f5f5f5", QPalette.ToolTipBase: "#ffffdc",
        QPalette.ToolTipText: "#1b1b1b", QPalette.Text: "#1b1b1b", QPalette.Button: "#e8e8e8",
        QPalette.ButtonText: "#1b1b1b", QPalette.BrightText: "#d00000", QPalette.Highlight: "#308cc6",
        QPalette.HighlightedText: "#ffffff", QPalette.Link: "#0b57d0", QPalette.Mid: "#b8b8b8",
        QPalette.Dark: "#9f9f9f", QPalette.Light: "#ffffff", QPalette.Shadow: "#767676",
        QPalette.PlaceholderText: "#7a7a7a"})
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, QColor("#9a9a9a"))
    return p


def saved_theme() -> str:
    value = ui_settings.settings().value(SETTING, "system")
    return value if value in THEMES else "system"


def apply_theme(choice: str, remember: bool = True) -> None:
    """Switch the whole application to ``choice`` (one of THEMES)."""
    global _original
    if choice not in THEMES:
        raise ValueError(f"theme must be one of {', '.join(THEMES)}, not {choice!r}")
    app = QApplication.instance()
    if _original is None:
        _original = (app.style().name(), QPalette(app.palette()))
    if choice == "system":
        if app.style().name() != _original[0]:
            app.setStyle(_original[0])
        app.setPalette(_original[1])
    else:
        if app.style().name().lower() != "fusion":
            app.setStyle("Fusion")
        app.setPalette(dark_palette() if choice == "dark" else light_palette())
    if remember:
        ui_settings.settings().setValue(SETTING, choice)


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QApplication.palette()
    return palette.color(QPalette.Base).lightness() < 128


def mix(a: QColor, b: QColor, share_of_b: float) -> QColor:
    """``a`` moved ``share_of_b`` of the way to ``b``."""
    t = max(0.0, min(1.0, share_of_b))
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t)


@dataclass(frozen=True)
class ChartColors:
    """What the charts draw with, from a palette."""

    background: QColor
    foreground: QColor  # axes, tick labels, titles
    muted: QColor  # reference lines, secondary text
    grid_alpha: float

    @classmethod
    def of(cls, palette: QPalette | None = None) -> "ChartColors":
        palette = palette or QApplication.palette()
        base, text = palette.color(QPalette.Base), palette.color(QPalette.Text)
        return cls(background=base, foreground=text, muted=mix(text, base, 0.4),
                   grid_alpha=0.22 if is_dark(palette) else 0.15)


@dataclass(frozen=True)
class RollColors:
    """The piano roll's colours, from a palette (tracks keep their own)."""

    background: QColor
    black_keys: QColor  # rows of black keys, shaded
    beat_line: QColor
    bar_line: QColor
    bar_number: QColor
    gutter: QColor
    gutter_text: QColor
    playhead: QColor

    @classmethod
    def of(cls, palette: QPalette | None = None) -> "RollColors":
        palette = palette or QApplication.palette()
        base, text = palette.color(QPalette.Base), palette.color(QPalette.Text)
        window = palette.color(QPalette.Window)
        return cls(background=base, black_keys=mix(base, text, 0.06), beat_line=mix(base, text, 0.1),
                   bar_line=mix(base, text, 0.3), bar_number=mix(base, text, 0.55),
                   gutter=mix(window, text, 0.04), gutter_text=mix(window, text, 0.85),
                   playhead=text)


# Job statuses: readable on light and on dark backgrounds.
_STATUS_LIGHT = {"running": "#1f77b4", "completed": "#2c8c2c", "failed": "#c82828",
                 "cancelled": "#787878", "interrupted": "#b46e00", "queued": "#5a5a5a"}
_STATUS_DARK = {"running": "#6cb4ff", "completed": "#6fd66f", "failed": "#ff7a7a",
                "cancelled": "#a8a8a8", "interrupted": "#f0b050", "queued": "#b4b4b4"}


def status_color(status: str, palette: QPalette | None = None) -> QColor | None:
    table = _STATUS_DARK if is_dark(palette) else _STATUS_LIGHT
    return QColor(table[status]) if status in table else None


def add_theme_menu(window, menubar) -> dict[str, QAction]:
    """View > Theme with System / Light / Dark; applies the remembered choice."""
    view = menubar.addMenu("&View")
    theme_menu = view.addMenu("&Theme")
    group = QActionGroup(window)
    group.setExclusive(True)
    actions = {}
    current = saved_theme()
    for key in THEMES:
        action = QAction(THEME_LABELS[key], window)
        action.setCheckable(True)
        action.setChecked(key == current)
        action.setStatusTip({"system": "Use the desktop's light or dark colours",
                             "light": "Light colours whatever the desktop uses",
                             "dark": "Dark colours whatever the desktop uses"}[key])
        action.triggered.connect(lambda _checked=False, k=key: apply_theme(k))
        group.addAction(action)
        theme_menu.addAction(action)
        actions[key] = action
    if current != "system" or _original is not None:
        apply_theme(current, remember=False)
    return actions
