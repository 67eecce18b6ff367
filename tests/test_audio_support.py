"""MIDI files for the audio tests, written with pretty_midi (real files on disk); no tests here."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_a4(path: Path, seconds: float = 2.0, program: int = 0) -> Path:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=program, name="A4")
    inst.notes.append(pretty_midi.Note(velocity=100, pitch=69, start=0.0, end=seconds))
    pm.instruments.append(inst)
    pm.write(str(path))
    return path


def write_sample(path: Path, bars: int = 2, tempo: float = 100.0, seed: int = 0, genre: str = "chorale") -> Path:
    """A four-voice sample as the training loop writes it (gan.data.midi_io on the 16-step grid)."""
    from gan.data.midi_write import notes_to_midi, programs_for, track_names_for

    rng = np.random.default_rng(seed)
    rows = []
    for track, low in enumerate((67, 60, 52, 40)):
        start = 0
        while start < bars * 16:
            dur = int(rng.choice([2, 4, 4, 8]))
            dur = min(dur, bars * 16 - start)
            rows.append((track, start, dur, low + int(rng.integers(0, 10))))
            start += dur
    notes_to_midi(np.array(rows), path, tempo=tempo, programs=programs_for(genre),
                  track_names=track_names_for(genre))
    return path


def dominant_frequency(audio: np.ndarray, sample_rate: int) -> float:
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1.0 / sample_rate)[int(np.argmax(spectrum))])


class LateSoundServer:
    """A private PulseAudio server (its own socket, a null sink) that starts
    only when asked: the app meets a machine with no sound first, then the
    sound server comes up, as when PulseAudio starts after the app.

    ``env`` (set it before the player opens anything) points libpulse at the
    socket; ``start()`` runs the daemon; ``stop()`` ends it (by its process)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.socket = self.folder / "native"
        self.env = {"PULSE_SERVER": f"unix:{self.socket}", "PULSE_RUNTIME_PATH": str(self.folder),
                    "PULSE_STATE_PATH": str(self.folder), "POLYPHONY_AUDIO_DRIVERS": "pulseaudio"}
        self.process = None

    @staticmethod
    def missing() -> str:
        import shutil

        return ", ".join(tool for tool in ("pulseaudio", "pactl") if not shutil.which(tool))

    def start(self, timeout: float = 10.0) -> None:
        import os
        import subprocess
        import time

        env = dict(os.environ, **self.env)
        self.process = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             f"--load=module-native-protocol-unix socket={self.socket} auth-anonymous=1",
             "--load=module-null-sink sink_name=polyphony_late"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the private PulseAudio server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
