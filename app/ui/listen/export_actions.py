"""MIDI and WAV export of the listening panel's current sample.

A mixin for ``ListenPanel``: it uses the panel's ``current_item()``,
``active_player()``, ``status``, ``_programs``, ``_soundfont``,
``wav_button``, ``_export_threads`` and its ``exported`` / ``errorOccurred``
/ ``_wavDone`` signals. WAV rendering runs in a plain thread and reports
back through ``_wavDone`` (a queued signal), so no widget is touched off the
GUI thread.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.audio.export import ExportError, export_midi, export_wav


class ExportActions:
    def export_menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(parent or self)
        menu.addAction("Export MIDI…", self.export_midi_dialog)
        wav = menu.addAction("Export WAV…", self.export_wav_dialog)
        wav.setEnabled(self.status.can_render)
        return menu

    def _ask_and_export(self, kind: str, suffix: str, export) -> None:
        """Ask where to save the current sample as ``kind``, then ``export(path)``."""
        item = self.current_item()
        if item is None:
            return
        default = Path(item.midi_path).with_suffix(suffix).name
        path, _ = QFileDialog.getSaveFileName(self, f"Export {kind}", default, f"{kind} (*{suffix})")
        if path:
            export(path)

    def export_midi_dialog(self) -> None:
        self._ask_and_export("MIDI", ".mid", self.export_midi_to)

    def export_wav_dialog(self) -> None:
        self._ask_and_export("WAV", ".wav", self.export_wav_to)

    def export_midi_to(self, path) -> Path | None:
        item = self.current_item()
        if item is None:
            return None
        try:
            out = export_midi(item.midi_path, path, programs=self._programs or None)
        except ExportError as exc:
            self.errorOccurred.emit(str(exc))
            return None
        self.exported.emit(str(out))
        return out

    def export_wav_to(self, path) -> None:
        """Render in the background; ``exported`` or ``errorOccurred`` tells when it is done."""
        item = self.current_item()
        if item is None or not self.status.can_render:
            self.errorOccurred.emit("WAV export needs FluidSynth and a soundfont: "
                                    + "; ".join(self.status.problems.values()))
            return
        p = self.active_player()
        mute = sorted(p.muted) if p else []
        solo = sorted(p.soloed) if p else []
        args = (item.midi_path, Path(path), self._soundfont, dict(self._programs), mute, solo)

        def work():
            try:
                export_wav(*args[:2], soundfont=args[2], programs=args[3] or None, mute=args[4], solo=args[5])
                self._wavDone.emit(str(path), "")
            except Exception as exc:  # reported to the user, never lost in a thread
                self._wavDone.emit(str(path), str(exc))

        thread = threading.Thread(target=work, name="polyphony-wav-export")
        self._export_threads = [t for t in self._export_threads if t.is_alive()] + [thread]
        self.wav_button.setEnabled(False)
        thread.start()

    def _on_wav_done(self, path: str, error: str) -> None:
        self.wav_button.setEnabled(self.status.can_render)
        if error:
            self.errorOccurred.emit(f"WAV export to {path} failed: {error}")
        else:
            self.exported.emit(path)
