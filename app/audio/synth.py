"""Progressive FluidSynth rendering of a Score into float32 stereo buffers.

One synth renders every track in one pass: each MIDI channel gets its own
audio group and effects group, so with ``per_track=True`` each track lands
(dry + its own reverb/chorus) in its own stereo stem and the player can mute
or solo a track by mixing, with no re-render. ``per_track=False`` renders
one mixed stereo buffer with a single effects unit (faster, for WAV export).

Rendering is driven by ``render_until(frame)``, so the player can render a
block just before it plays it, or ahead in the background.
"""

from __future__ import annotations

from ctypes import POINTER, c_float

import numpy as np

from app.audio.fluid import load_fluidsynth
from app.audio.score import Score
from app.audio.soundfonts import SoundfontError, check_soundfont_file

DEFAULT_SAMPLE_RATE = 44100
# The player's audio ends with the MIDI file (it lines up with its piano roll);
# a short fade at the end avoids a click where a note is still sounding.
# Rendered files add the release tail (app.audio.render).
TAIL_SECONDS = 0.0
FADE_SECONDS = 0.025
MAX_BLOCK = 8192

# event kinds, in the order they apply at the same frame
_NOTE_OFF, _CONTROL, _BEND, _NOTE_ON = 0, 1, 2, 3


def load_soundfont(fs_module, synth, path) -> int:
    path = check_soundfont_file(path)
    sfid = synth.sfload(str(path))
    if sfid == -1:
        raise SoundfontError(f"FluidSynth could not load the soundfont {path}: the file is damaged "
                             "or not a SoundFont 2 file; pick another .sf2 file")
    return sfid


class StemRenderer:
    def __init__(self, score: Score, soundfont, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 tempo: float = 1.0, programs: dict[int, int] | None = None,
                 per_track: bool = True, play_tracks: set[int] | None = None,
                 gain: float = 0.7, tail_seconds: float = TAIL_SECONDS, cpu_cores: int = 1):
        if tempo <= 0:
            raise ValueError(f"tempo factor must be positive, got {tempo}")
        fs = load_fluidsynth()
        self._fs = fs
        self.score = score
        self.sample_rate = int(sample_rate)
        self.tempo = float(tempo)
        self.per_track = per_track
        groups = max(1, score.n_channels) if per_track else 1
        self._groups = groups
        self.synth = fs.Synth(gain=gain, samplerate=float(sample_rate), **{
            "synth.audio-groups": groups, "synth.audio-channels": groups,
            "synth.effects-groups": groups, "synth.cpu-cores": max(1, int(cpu_cores)),
        })
        try:
            self.sfid = load_soundfont(fs, self.synth, soundfont)
            self.programs = {i: t.program for i, t in enumerate(score.tracks)}
            self.programs.update(programs or {})
            for i, track in enumerate(score.tracks):
                bank = 128 if track.is_drum else 0
                self.synth.program_select(track.channel, self.sfid, bank, 0 if track.is_drum else self.programs[i])
        except Exception:
            self.synth.delete()
            raise
        self.frames = int(round((score.end_seconds / self.tempo + tail_seconds) * self.sample_rate))
        n_stems = len(score.tracks) if per_track else 1
        self.buffer = np.zeros((max(1, n_stems), 2, self.frames), dtype=np.float32)
        self._scratch = np.zeros((2, MAX_BLOCK), dtype=np.float32)
        self._events = self._build_events(play_tracks)
        self._next_event = 0
        self.rendered = 0
        # which buffer each audio group writes to: the first track on that channel
        self._group_stem: dict[int, int] = {}
        if per_track:
            for i, track in enumerate(score.tracks):
                self._group_stem.setdefault(track.channel, i)
        else:
            self._group_stem[0] = 0

    def _build_events(self, play_tracks):
        rate = self.sample_rate / self.tempo
        rows = []
        for i, track in enumerate(self.score.tracks):
            if play_tracks is not None and i not in play_tracks:
                continue
            ch = track.channel
            for start, end, pitch, vel in track.notes:
                rows.append((int(round(start * rate)), _NOTE_ON, ch, int(pitch), int(vel)))
                rows.append((int(round(end * rate)), _NOTE_OFF, ch, int(pitch), 0))
            for t, number, value in track.controls:
                rows.append((int(round(t * rate)), _CONTROL, ch, int(number), int(value)))
            for t, value in track.bends:
                rows.append((int(round(t * rate)), _BEND, ch, int(value), 0))
        rows.sort()
        return rows

    @property
    def done(self) -> bool:
        return self.rendered >= self.frames

    def _process(self, start: int, count: int) -> None:
        fs = self._fs
        groups = self._groups
        outs, fxs = [], []
        for g in range(groups):
            stem = self._group_stem.get(g)
            for c in range(2):
                if stem is None:
                    target = self._scratch[c]
                else:
                    target = self.buffer[stem, c, start:]
                outs.append(target.ctypes.data_as(POINTER(c_float)))
        # effects of group g (reverb L/R, chorus L/R) go into the same stem as its dry sound
        for g in range(groups):
            for _effect in range(2):
                fxs.extend(outs[2 * g: 2 * g + 2])
        out_arr = (POINTER(c_float) * len(outs))(*outs)
        fx_arr = (POINTER(c_float) * len(fxs))(*fxs)
        if fs.polyphony_process(self.synth.synth, count, len(fxs), fx_arr, len(outs), out_arr) != 0:
            raise RuntimeError("FluidSynth failed to render audio")
        if self._scratch.any():
            self._scratch[:] = 0

    def _render_span(self, end: int) -> None:
        while self.rendered < end:
            count = min(MAX_BLOCK, end - self.rendered)
            self._process(self.rendered, count)
            self.rendered += count

    def _apply(self, event) -> None:
        _frame, kind, ch, a, b = event
        synth = self.synth
        if kind == _NOTE_ON:
            synth.noteon(ch, a, b)
        elif kind == _NOTE_OFF:
            synth.noteoff(ch, a)
        elif kind == _CONTROL:
            synth.cc(ch, a, b)
        else:
            synth.pitch_bend(ch, a)  # pyfluidsynth adds the 8192 centre itself

    def render_until(self, frame: int) -> int:
        """Render up to ``frame`` (clamped to the end); return frames rendered so far."""
        frame = min(int(frame), self.frames)
        events = self._events
        while self._next_event < len(events) and events[self._next_event][0] <= frame:
            event = events[self._next_event]
            self._render_span(min(event[0], self.frames))
            self._apply(event)
            self._next_event += 1
        self._render_span(frame)
        if self.done:
            self._fade_out()
        return self.rendered

    def _fade_out(self) -> None:
        n = min(self.frames, int(FADE_SECONDS * self.sample_rate))
        if n > 0 and not getattr(self, "_faded", False):
            self.buffer[:, :, self.frames - n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
            self._faded = True

    def render_all(self) -> np.ndarray:
        self.render_until(self.frames)
        return self.buffer

    def close(self) -> None:
        if self.synth is not None:
            self.synth.delete()
            self.synth = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


