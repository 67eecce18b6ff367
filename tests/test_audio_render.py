"""Offline rendering with the real FluidSynth and the default soundfont."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pretty_midi
import pytest

from app.audio.export import ExportError
from app.audio.render import MAX_TAIL_SECONDS, read_wav, render_file, render_midi
from app.audio.score import ScoreError, load_score
from app.audio.soundfonts import SoundfontError
from app.paths import REPO_ROOT
from tests.test_audio_support import dominant_frequency, write_a4, write_sample


def test_a4_for_two_seconds_renders_two_seconds_of_440_hz(tmp_path):
    midi = write_a4(tmp_path / "a4.mid", seconds=2.0)
    wav = render_file(midi, tmp_path / "a4.wav")
    audio, rate = read_wav(wav)
    assert rate == 44100
    assert audio.shape[1] == 2
    # the note, then its release and reverb (a tail, not a second note)
    assert 2.0 <= len(audio) / rate <= 2.0 + MAX_TAIL_SECONDS + 0.05
    rms = float(np.sqrt(np.mean(audio ** 2)))
    assert rms > 0.005, f"WAV is (nearly) silent: rms {rms}"
    peak = dominant_frequency(audio, rate)
    assert abs(peak - 440.0) <= 8.8, f"spectrum peaks at {peak:.1f} Hz, not 440 Hz"


def test_generated_sample_renders_to_its_midi_length(tmp_path):
    midi = write_sample(tmp_path / "epoch_003_sample_0.mid", bars=2, tempo=100.0)
    expected = pretty_midi.PrettyMIDI(str(midi)).get_end_time()
    assert expected == pytest.approx(2 * 4 * 60 / 100.0, rel=1e-3)  # two 4/4 bars at 100 bpm
    audio = render_midi(midi, tail=False)
    assert len(audio) / 44100 == pytest.approx(expected, abs=0.01)
    assert np.abs(audio).max() > 0.01
    with_tail = render_midi(midi)
    assert expected + 0.1 < len(with_tail) / 44100 <= expected + MAX_TAIL_SECONDS + 0.05
    # the piece itself is the same with or without its tail
    music = int(expected * 44100) - 2000
    assert np.allclose(with_tail[:music], audio[:music], atol=1e-4)


def test_wav_ends_with_a_decaying_tail_and_no_click(tmp_path):
    """A piece still loud at its last note-off rings on and fades to zero
    (it used to stop dead at the MIDI length)."""
    midi = write_sample(tmp_path / "s.mid", bars=2, tempo=100.0)
    end = pretty_midi.PrettyMIDI(str(midi)).get_end_time()
    audio, rate = read_wav(render_file(midi, tmp_path / "s.wav"))
    mono = np.abs(audio).max(axis=1)
    music_end = int(end * rate)
    window = int(0.05 * rate)

    def rms(a, b):
        return float(np.sqrt(np.mean(audio[a:b] ** 2)))

    at_end = rms(music_end - window, music_end)
    assert at_end > 0.005, "the piece should still sound at its last note-off"
    tail = [rms(i, i + window) for i in range(music_end, len(audio) - window, window)]
    assert len(tail) >= 2, f"a tail of only {(len(audio) - music_end) / rate:.3f} s"
    assert tail[0] > 0.1 * at_end  # it rings on after the last note-off ...
    assert tail[-1] < 0.1 * tail[0]  # ... and decays
    assert max(tail[len(tail) // 2:]) < tail[0]
    assert np.abs(audio[-5:]).max() < 1e-3  # the last samples are (near) zero: no click
    assert mono[-int(0.005 * rate):].max() < 0.01 * mono.max()


def test_mute_and_solo_change_what_is_rendered(tmp_path):
    midi = write_sample(tmp_path / "s.mid", bars=1)  # compared at the MIDI length (no tails)
    full = render_midi(midi, tail=False)
    solos = [render_midi(midi, solo=[t], tail=False) for t in range(4)]
    none = render_midi(midi, mute=[0, 1, 2, 3], tail=False)
    assert np.abs(none).max() < 1e-6  # FluidSynth leaves only denormal-level noise
    assert all(np.abs(s).max() > 0.01 for s in solos)
    # solo wins over mute; the synth is linear, so the four solos add up to the full mix
    assert np.allclose(render_midi(midi, solo=[3], mute=[3], tail=False), solos[3], atol=1e-6)
    assert np.allclose(render_midi(midi, mute=[0, 1, 2], tail=False), solos[3], atol=1e-6)
    assert np.allclose(sum(solos), full, atol=2e-3)
    assert not np.allclose(solos[0], solos[3], atol=1e-2)


def test_program_override_changes_the_sound(tmp_path):
    midi = write_a4(tmp_path / "a4.mid", seconds=1.0)
    piano = render_midi(midi, tail=False)
    flute = render_midi(midi, programs={0: 73}, tail=False)
    assert not np.allclose(piano, flute, atol=1e-3)


def test_score_keeps_silent_voice_in_its_place(tmp_path):
    from gan.data.midi_write import notes_to_midi

    rows = np.array([(0, 0, 4, 72), (2, 0, 4, 55), (3, 0, 4, 43)])  # the alto is silent
    notes_to_midi(rows, tmp_path / "gap.mid", tempo=120, track_names=["s", "a", "t", "b"])
    score = load_score(tmp_path / "gap.mid")
    assert [t.name for t in score.tracks] == ["s", "a", "t", "b"]
    assert len(score.tracks[1].notes) == 0
    assert score.note_rows().tolist() == [[0, 0, 4, 72], [2, 0, 4, 55], [3, 0, 4, 43]]


def test_steps_and_seconds_follow_the_tempo(tmp_path):
    midi = write_sample(tmp_path / "s.mid", bars=2, tempo=120.0)
    score = load_score(midi)
    assert score.n_steps == 32
    assert score.seconds_to_steps(1.0) == pytest.approx(8.0, abs=1e-3)  # 2 beats/s * 4 steps
    assert score.steps_to_seconds(8.0) == pytest.approx(1.0, abs=1e-3)
    assert score.time_signature == (4, 4)
    assert score.tempo_bpm == pytest.approx(120.0)


def test_missing_and_unreadable_midi_say_so(tmp_path):
    with pytest.raises(ScoreError, match="not found"):
        load_score(tmp_path / "nope.mid")
    (tmp_path / "junk.mid").write_bytes(b"this is not midi at all")
    with pytest.raises(ScoreError, match="not a readable MIDI file"):
        load_score(tmp_path / "junk.mid")


def test_broken_soundfonts_are_named(tmp_path):
    midi = write_a4(tmp_path / "a4.mid", seconds=0.5)
    random_bytes = tmp_path / "random.sf2"
    random_bytes.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(SoundfontError, match="not a SoundFont 2 file"):
        render_midi(midi, soundfont=random_bytes)
    # a valid header with a damaged body: only FluidSynth can tell
    damaged = tmp_path / "damaged.sf2"
    body = np.random.default_rng(1).bytes(4096)
    damaged.write_bytes(b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"sfbk" + body)
    with pytest.raises(SoundfontError, match="could not load the soundfont"):
        render_midi(midi, soundfont=damaged)
    truncated = tmp_path / "truncated.sf2"
    truncated.write_bytes(b"RIFF" + (10_000_000).to_bytes(4, "little") + b"sfbk" + body)
    with pytest.raises(SoundfontError, match="truncated"):
        render_midi(midi, soundfont=truncated)
    with pytest.raises(SoundfontError, match="not found"):
        render_midi(midi, soundfont=tmp_path / "missing.sf2")


def _cli(*args, env=None):
    return subprocess.run([sys.executable, str(REPO_ROOT / "main.py"), *args], capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=60)


def test_render_command_writes_a_wav(tmp_path):
    midi = write_a4(tmp_path / "a4.mid", seconds=1.0)
    out = tmp_path / "out.wav"
    result = _cli("render", str(midi), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote" in result.stdout
    audio, rate = read_wav(out)
    assert 1.0 <= len(audio) / rate <= 1.0 + MAX_TAIL_SECONDS + 0.05  # the note and its tail
    assert abs(dominant_frequency(audio, rate) - 440) <= 8.8


def test_render_command_errors_are_clear(tmp_path):
    midi = write_a4(tmp_path / "a4.mid", seconds=0.5)
    missing = _cli("render", str(tmp_path / "nope.mid"), "--out", str(tmp_path / "x.wav"))
    assert missing.returncode == 2 and "MIDI file not found" in missing.stderr
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"hello")
    broken = _cli("render", str(midi), "--out", str(tmp_path / "x.wav"), "--soundfont", str(bad))
    assert broken.returncode == 2 and "not a SoundFont 2 file" in broken.stderr
    assert "Traceback" not in broken.stderr
    wrong_track = _cli("render", str(midi), "--out", str(tmp_path / "x.wav"), "--solo", "3")
    assert wrong_track.returncode == 2 and "track 3 does not exist" in wrong_track.stderr
    assert not (tmp_path / "x.wav").exists()


def test_one_piece_of_every_epoch_becomes_one_recording(tmp_path):
    from app.audio.learning import GAP_SECONDS, export_learning_wav

    epochs = [write_sample(tmp_path / f"epoch_{e}.mid", bars=1, tempo=120.0, seed=e) for e in (1, 2, 3)]
    wav, starts = export_learning_wav(epochs, tmp_path / "learning.wav")
    audio, rate = read_wav(wav)
    singles = [render_midi(p) for p in epochs]
    lengths = [len(s) / rate for s in singles]
    # each epoch's piece with its tail, in order, a silence between two
    assert starts == pytest.approx([0.0, lengths[0] + GAP_SECONDS,
                                    lengths[0] + lengths[1] + 2 * GAP_SECONDS], abs=2e-3)
    assert len(audio) / rate == pytest.approx(sum(lengths) + 2 * GAP_SECONDS, abs=2e-3)
    for start, single in zip(starts, singles):
        at = int(round(start * rate))
        assert np.allclose(audio[at:at + len(single)], single, atol=2e-4)  # (16-bit WAV)
        gap = audio[at + len(single): at + len(single) + int(GAP_SECONDS * rate) - 10]
        assert np.abs(gap).max(initial=0.0) < 1e-4
    assert np.abs(audio[-5:]).max() < 1e-3
    with pytest.raises(ExportError, match="no pieces"):
        export_learning_wav([], tmp_path / "none.wav")
