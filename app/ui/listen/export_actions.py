"""MIDI and WAV export of the listening panel's current sample.

``SampleExporter`` is given what it needs (the widget its dialogs belong
to, the audio status, and two callables: the sample shown now and the mix
it is heard with) and touches nothing else of the panel. WAV rendering runs
on a ``Worker``; ``exported`` or ``errorOccurred`` says when it is done, on
the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.audio.export import ExportError, export_midi, export_wav
from app.ui import ui_settings
from app.ui.worker import Worker


@dataclass(frozen=True)
class Mix:
    """How the sample is heard: the user's instruments, soundfont, mute and solo."""

    programs: dict[int, int] = field(default_factory=dict)
    soundfont: Path | None = None
    mute: list[int] = field(default_factory=list)
    solo: list[int] = field(default_factory=list)


def _render_wav(_ctx, src: Path, dst: Path, mix: Mix) -> str:
    export_wav(src, dst, soundfont=mix.soundfont, programs=mix.programs or None, mute=mix.mute,
               solo=mix.solo)
    return str(dst)


class SampleExporter(QObject):
    exported = Signal(str)  # path written
    errorOccurred = Signal(str)
    busyChanged = Signal(bool)  # a WAV is rendering

    def __init__(self, owner: QWidget, status: Any, sample: Callable[[], Any],
                 mix: Callable[[], Mix]) -> None:
        super().__init__(owner)
        self._owner, self.status, self._sample, self._mix = owner, status, sample, mix
        self._workers: list[Worker] = []

    def menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(parent or self._owner)
        menu.addAction("Export MIDI…", self.midi_dialog)
        wav = menu.addAction("Export WAV…", self.wav_dialog)
        wav.setEnabled(self.status.can_render)
        return menu

    def _ask_and_export(self, kind: str, suffix: str, export: Callable[[str], object]) -> None:
        """Ask where to save the current sample as ``kind`` (in the last
        export's folder, named after job, epoch and piece), then ``export(path)``."""
        item = self._sample()
        if item is None:
            return
        default = ui_settings.export_folder() / f"{item.export_stem()}{suffix}"
        path, _ = QFileDialog.getSaveFileName(self._owner, f"Export {kind}", str(default),
                                              f"{kind} (*{suffix})")
        if path:
            if not Path(path).suffix:
                path += suffix
            ui_settings.remember_export_folder(path)
            export(path)

    def midi_dialog(self) -> None:
        self._ask_and_export("MIDI", ".mid", self.export_midi_to)

    def wav_dialog(self) -> None:
        self._ask_and_export("WAV", ".wav", self.export_wav_to)

    def export_midi_to(self, path) -> Path | None:
        item = self._sample()
        if item is None:
            return None
        try:
            out = export_midi(item.midi_path, path, programs=self._mix().programs or None)
        except ExportError as exc:
            self.errorOccurred.emit(str(exc))
            return None
        self.exported.emit(str(out))
        return out

    def export_wav_to(self, path) -> None:
        """Render in the background; ``exported`` or ``errorOccurred`` tells when it is done."""
        item = self._sample()
        if item is None or not self.status.can_render:
            self.errorOccurred.emit("WAV export needs FluidSynth and a soundfont: "
                                    + "; ".join(self.status.problems.values()))
            return
        worker = Worker(_render_wav, Path(item.midi_path), Path(path), self._mix(),
                        name="polyphony-wav-export")
        worker.returned.connect(self._on_written)
        worker.errored.connect(lambda exc: self._on_failed(str(path), exc))
        worker.finished.connect(self._on_finished)
        self._workers = [w for w in self._workers if w.is_running()] + [worker]
        self.busyChanged.emit(True)
        worker.start()

    def _on_written(self, path: str) -> None:
        self.exported.emit(path)

    def _on_failed(self, path: str, exc: BaseException) -> None:
        self.errorOccurred.emit(f"WAV export to {path} failed: {exc}")

    def _on_finished(self) -> None:
        self.busyChanged.emit(any(w.is_running() for w in self._workers))

    def shutdown(self) -> None:
        for worker in self._workers:
            worker.wait(10)
        self._workers = []
