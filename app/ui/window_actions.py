"""The window's actions, with their shortcuts, toolbar and menus.

``build_actions(window)`` makes one ``QAction`` per command and places it in
the toolbar, the menus and the job list's context menu; the commands
themselves are the window's public methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStyle, QToolBar

from app.ui.disk_actions import free_disk_space
from app.ui.icons import standard
from app.ui.music_export import open_music_export
from app.ui.theme import add_theme_menu


@dataclass
class WindowActions:
    new: QAction
    start: QAction
    cancel: QAction
    resume: QAction
    clone: QAction
    delete: QAction
    refresh: QAction
    quit: QAction
    about: QAction
    export_music: QAction
    free_space: QAction
    adopt: QAction

    def update(self, status: str, selected: bool, queued: bool, host_running: bool,
               writable: bool = True) -> None:
        """Enable what makes sense for the selected job's ``status``; only
        looking when the store is not ``writable`` (a read-only data folder)."""
        self.cancel.setEnabled(writable and status in ("queued", "running"))
        self.resume.setEnabled(writable and status in ("interrupted", "failed", "cancelled"))
        self.clone.setEnabled(writable and selected)
        self.delete.setEnabled(writable and selected and status != "running")
        self.start.setEnabled(writable and queued and not host_running)
        for action in (self.new, self.free_space, self.adopt):
            action.setEnabled(writable)


def _action(window: QMainWindow, text: str, slot: Callable[[], object], shortcut=None, icon=None,
            tip: str = "") -> QAction:
    action = QAction(text, window)
    if icon is not None:
        action.setIcon(standard(icon))
    if shortcut:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
        tip = f"{tip} ({QKeySequence(keys[0]).toString(QKeySequence.NativeText)})"
    action.setToolTip(tip.strip())
    action.setStatusTip(tip.strip())
    # triggered(bool) would land in the slot's first parameter (e.g. make
    # delete_selected skip its confirmation): call the slot bare.
    action.triggered.connect(lambda _checked=False: slot())
    window.addAction(action)
    return action


def build_actions(window) -> WindowActions:
    """The actions of ``window`` (a MainWindow), in its toolbar and menus."""
    a = _action
    actions = WindowActions(
        new=a(window, "New job…", window.new_job, QKeySequence.New, QStyle.SP_FileIcon,
              "Set up a training job"),
        start=a(window, "Start queue", window.start_queue, ["Ctrl+Return", "Ctrl+Enter"],
                QStyle.SP_MediaPlay, "Train the queued jobs one after another"),
        cancel=a(window, "Cancel job", window.cancel_selected, None, QStyle.SP_MediaStop,
                 "Stop the selected job (it can be resumed later)"),
        resume=a(window, "Resume", window.resume_selected, None, QStyle.SP_BrowserReload,
                 "Continue the selected job from its last checkpoint"),
        clone=a(window, "Clone…", window.clone_selected, None, QStyle.SP_FileDialogNewFolder,
                "A new job with the selected job's settings"),
        delete=a(window, "Delete…", window.delete_selected, QKeySequence.Delete, QStyle.SP_TrashIcon,
                 "Delete the selected job and its files"),
        refresh=a(window, "Refresh", window.refresh, QKeySequence.Refresh, None,
                  "Read the job list again"),
        quit=a(window, "Quit", window.close, QKeySequence.Quit, None, "Close Polyphony"),
        about=a(window, "About Polyphony", window.about, None, None, ""),
        export_music=a(window, "Export training music as MIDI…", lambda: open_music_export(window),
                       None, None, "Write a genre's training music as MIDI files, to hear "
                       "what a model learns from"),
        free_space=a(window, "Free disk space…", lambda: free_disk_space(window), None, None,
                     "Delete the checkpoints of finished jobs except each job's latest and best"),
        adopt=a(window, "Adopt job folders…", window.adopt_folders, None, None,
                "Bring back jobs whose folders are not in the list (their checkpoints and "
                "pieces)"),
    )
    _place(window, actions)
    return actions


def _place(window, act: WindowActions) -> None:
    toolbar = QToolBar("Jobs")
    toolbar.setObjectName("jobs_toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    toolbar.setMovable(False)
    for action in (act.new, act.start, None, act.cancel, act.resume, act.clone, act.delete):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    window.addToolBar(toolbar)
    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addAction(act.new)
    file_menu.addAction(act.export_music)
    file_menu.addSeparator()
    file_menu.addAction(act.quit)
    job_menu = menu.addMenu("&Job")
    for action in (act.start, act.cancel, act.resume, act.clone, act.delete, None, act.refresh,
                   act.free_space, act.adopt):
        job_menu.addSeparator() if action is None else job_menu.addAction(action)
    window.theme_actions = add_theme_menu(window, menu)  # View > Theme: System / Light / Dark
    menu.addMenu("&Help").addAction(act.about)
    window.job_list.context_actions = [act.cancel, act.resume, act.clone, None, act.delete]
