"""Each missing piece (library, soundfont, output device, broken .sf2) is explained, never fatal.

The real loading paths run: the library case points the real loader at a
file that is not a library (POLYPHONY_FLUIDSYNTH_LIB, the override the frozen
app uses for its bundled copy); the output case switches the drivers off
through POLYPHONY_AUDIO_DRIVERS.
"""

from __future__ import annotations

import time

import pretty_midi
import pytest

from app.audio import availability, fluid, soundfonts
from app.audio.export import export_midi
from app.audio.fluid import FluidSynthMissing
from app.audio.player import PLAYING, Player
from app.audio.render import render_midi
from app.audio.soundfonts import SoundfontError
from tests.test_audio_support import write_a4, write_sample


@pytest.fixture(autouse=True)
def fresh_status():
    availability.clear_cache()
    yield
    availability.clear_cache()


def test_missing_library_is_explained_and_midi_export_still_works(tmp_path, monkeypatch):
    not_a_library = tmp_path / "libfluidsynth.so.3"
    not_a_library.write_bytes(b"not an ELF file")
    monkeypatch.setenv(fluid.LIB_ENV, str(not_a_library))
    status = availability.audio_status()
    assert not status.library_ok and not status.can_render and not status.can_play
    message = status.problems["library"]
    assert "FluidSynth library could not be loaded" in message
    assert "libfluidsynth3" in message  # how to fix it
    assert "MIDI export still works" in message
    midi = write_sample(tmp_path / "s.mid", bars=1)
    with pytest.raises(FluidSynthMissing):
        render_midi(midi)
    out = export_midi(midi, tmp_path / "export.mid")
    assert len(pretty_midi.PrettyMIDI(str(out)).instruments) == 4


def test_no_soundfont_is_explained(tmp_path, monkeypatch):
    monkeypatch.delenv(soundfonts.SOUNDFONT_ENV, raising=False)
    monkeypatch.setattr(soundfonts, "bundled_soundfonts", lambda: [])
    monkeypatch.setattr(soundfonts, "system_soundfonts", lambda: [])
    status = availability.audio_status(probe_output=False)
    assert status.library_ok and status.soundfont is None and not status.can_render
    assert "No General MIDI soundfont found" in status.problems["soundfont"]
    with pytest.raises(SoundfontError, match="no General MIDI soundfont found"):
        render_midi(write_a4(tmp_path / "a4.mid", seconds=0.2))


def test_broken_default_soundfont_is_explained(tmp_path, monkeypatch):
    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF\x00\x00")
    monkeypatch.setenv(soundfonts.SOUNDFONT_ENV, str(broken))
    status = availability.audio_status(probe_output=False)
    assert not status.can_render
    assert "not a SoundFont 2 file" in status.problems["soundfont"]
    assert str(broken) in status.problems["soundfont"]


def test_no_output_device_plays_on_a_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("POLYPHONY_AUDIO_DRIVERS", "none")
    status = availability.audio_status()
    assert status.can_render and not status.can_play
    assert "No audio output" in status.problems["output"]
    player = Player()
    try:
        player.load(write_a4(tmp_path / "a4.mid", seconds=2.0))
        player.play()
        assert player.output_name is None
        assert "no audio output device" in player.output_error
        time.sleep(0.4)
        moved = player.position()
        assert player.state == PLAYING
        assert 0.2 < moved < 0.8  # the playhead follows real time with no device
    finally:
        player.close()


def test_every_missing_piece_lists_soundfonts_without_crashing(monkeypatch):
    monkeypatch.setattr(soundfonts, "system_soundfont_dirs", lambda: [])
    assert all(sf.path.suffix == ".sf2" for sf in soundfonts.available_soundfonts())
