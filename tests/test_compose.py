"""Composing with a trained model: accompaniment of whole melodies, refusals, generation.

Real components throughout: a smoke job trained by the real training loop
into a real job store, real MIDI files in and out, the real command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import mido
import numpy as np
import pytest

from app.cli import main as cli_main
from gan.compose.accompany import ComposeError, accompany, generate_pieces, interpolate, load_model, octave_shift
from gan.compose.accompany import _crossfade_weights, _window_starts
from gan.compose.melody import MelodyError, melody_from_midi, midi_tracks, top_line
from gan.compose.melodies import BUILTINS, builtin_melody, builtin_names, parse_notes
from gan.data.midi_io import midi_to_notes
from tests.compose_helpers import musegan_job, trained_job, unet_job  # noqa: F401 (fixtures)
from tests.fixtures.midi_factory import write_midi




def _use_home(monkeypatch, home: Path) -> None:
    monkeypatch.setenv("POLYPHONY_HOME", str(home))


def _checkpoint(home: Path, job_id: int) -> Path:
    return home / "jobs" / str(job_id) / "checkpoints" / "latest.pt"


def _meta(path: Path) -> dict:
    """Tempo, time signatures, keys and note tracks of a MIDI file, read with mido."""
    mid = mido.MidiFile(str(path))
    tempos, sigs, keys, note_tracks = [], [], [], 0
    for track in mid.tracks:
        tick = 0
        has_notes = False
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick / mid.ticks_per_beat, round(mido.tempo2bpm(msg.tempo), 3)))
            elif msg.type == "time_signature":
                sigs.append((tick / mid.ticks_per_beat, msg.numerator, msg.denominator))
            elif msg.type == "key_signature":
                keys.append(msg.key)
            elif msg.type == "note_on":
                has_notes = True
        note_tracks += has_notes
    return {"tempos": tempos, "sigs": sigs, "keys": keys, "tracks": len(mid.tracks),
            "note_tracks": note_tracks}


def _folk_tune_file(tmp_path: Path, name: str = "twinkle", tempo: float = 132.0, key: str = "C") -> Path:
    """A built-in folk tune written to a one-track MIDI file, as a user would bring it."""
    melody = builtin_melody(name)
    extra = [(0, mido.MetaMessage("key_signature", key=key))]
    sig = (4, 4)
    if melody.pickup_steps:  # a short first bar then 4/4, as notation programs export it
        sig = (melody.pickup_steps // 4, 4)
        extra.append((melody.pickup_steps * 120, mido.MetaMessage("time_signature", numerator=4, denominator=4)))
    return write_midi(tmp_path / f"{name}.mid", [[tuple(map(int, r)) for r in melody.notes]],
                      time_signature=sig, tempo_bpm=tempo, extra_meta=extra, programs=[73])


def _melody_rows(path: Path, track: int = 0) -> np.ndarray:
    notes, _ = midi_to_notes(path)
    rows = notes[notes[:, 0] == track][:, 1:]
    return rows[np.lexsort((rows[:, 2], rows[:, 0]))]


# -- the acceptance test ---------------------------------------------------------

def test_cli_accompanies_a_whole_folk_tune_keeping_melody_tempo_metre_key(unet_job, tmp_path, monkeypatch):
    home, job_id = unet_job
    _use_home(monkeypatch, home)
    source = _folk_tune_file(tmp_path, "twinkle", tempo=132.0, key="G")
    out = tmp_path / "acc.mid"
    code = cli_main(["compose", "--job", str(job_id), "--melody", str(source), "--out", str(out),
                     "--seed", "3", "--takes", "2", "--json"])
    assert code == 0
    files = [tmp_path / "acc_1.mid", tmp_path / "acc_2.mid"]
    _, info_in = midi_to_notes(source)
    rows_in = _melody_rows(source)
    for f in files:
        assert f.is_file()
        notes, info = midi_to_notes(f)
        meta = _meta(f)
        assert meta["tracks"] == 4, "melody + three accompanying voices"
        assert meta["note_tracks"] >= 2, "the accompaniment has notes"
        assert info["n_bars"] == info_in["n_bars"] == 12
        assert info["tempo"] == pytest.approx(132.0, abs=0.01)
        assert meta["sigs"] == [(0.0, 4, 4)]
        assert meta["keys"] == ["G"]
        np.testing.assert_array_equal(_melody_rows(f), rows_in)
        assert info["track_names"][0] == "track 1" or info["track_names"][0]  # named after the input
        acc = notes[notes[:, 0] > 0]
        assert acc[:, 1].min() >= 0 and (acc[:, 1] + acc[:, 2]).max() <= 12 * 16
        # the whole melody is accompanied, not only the first window
        assert (acc[:, 1] >= 11 * 16).any(), "the last bar has accompaniment"


def test_same_seed_gives_same_take_and_melody_back_unchanged(unet_job):
    home, job_id = unet_job
    model, config = load_model(_checkpoint(home, job_id))
    melody = builtin_melody("ode_to_joy")
    a = accompany(model, melody, [5])
    b = accompany(model, melody, [5])
    np.testing.assert_array_equal(a.takes[0].notes, b.takes[0].notes)
    rows = a.takes[0].notes
    np.testing.assert_array_equal(rows[rows[:, 0] == 0][:, 1:], melody.notes)
    # another seed is another latent, so the model's note probabilities change
    # (a barely trained smoke model may still round both to the same notes)
    import torch

    from gan.compose.accompany import _latent

    mel = torch.zeros((1, model.n_steps, model.n_pitches))
    mel[0, :, model.n_pitches // 2] = 1
    with torch.inference_mode():
        p5, p6 = (model(mel, mel, _latent(model, s)) for s in (5, 6))
    assert not torch.allclose(p5, p6)


def test_windows_overlap_by_a_bar_and_crossfade_weights_hand_over():
    assert _window_starts(12 * 16, 64) == [0, 48, 96, 144]  # 4-bar windows, hop 3 bars
    assert _window_starts(3 * 16, 16) == [0, 16, 32]  # one-bar windows just follow each other
    first = _crossfade_weights(32, True, False, 16)
    second = _crossfade_weights(32, False, True, 16)
    overlap = first[16:] + second[:16]
    # the earlier window fades out while the later fades in, across the whole bar
    assert np.all(np.diff(first[16:]) < 0) and np.all(np.diff(second[:16]) > 0)
    assert np.allclose(overlap, 1.0)


def test_pickup_tune_round_trips_and_accompaniment_starts_at_the_tune(unet_job, tmp_path, monkeypatch):
    home, job_id = unet_job
    _use_home(monkeypatch, home)
    source = _folk_tune_file(tmp_path, "auld_lang_syne", tempo=90.0)
    melody = melody_from_midi(source)
    assert melody.pickup_steps == 4 and melody.n_bars == 9  # padded pick-up bar + 8
    out = tmp_path / "auld.mid"
    assert cli_main(["compose", "--job", str(job_id), "--melody", str(source), "--out", str(out)]) == 0
    np.testing.assert_array_equal(_melody_rows(out), _melody_rows(source))
    assert _meta(out)["sigs"] == [(0.0, 1, 4), (1.0, 4, 4)]
    notes, _ = midi_to_notes(out)
    acc = notes[notes[:, 0] > 0]
    assert len(acc) and acc[:, 1].min() >= 0
    assert (acc[:, 1] + acc[:, 2]).max() <= 4 + 8 * 16  # ends with the tune's last bar


def test_low_melody_is_moved_by_octaves_for_the_model_and_back(unet_job):
    home, job_id = unet_job
    model, _ = load_model(_checkpoint(home, job_id))
    low = builtin_melody("twinkle")
    low.notes[:, 2] -= 36  # three octaves down: MIDI 36-45
    result = accompany(model, low, [0], preferred_range=(60, 81))
    assert result.transpose == 24
    assert any("octave" in m for m in result.messages)
    rows = result.takes[0].notes
    np.testing.assert_array_equal(rows[rows[:, 0] == 0][:, 1:], low.notes)
    window = model.pitch_window
    top_of_model = 24 + window.offset + window.size - 1
    # moved back: the accompaniment lies two octaves below where the model wrote it
    assert rows[rows[:, 0] > 0][:, 3].max() <= top_of_model - 24


def test_octave_shift_rules():
    assert octave_shift(np.array([60, 72])) == 0
    assert octave_shift(np.array([40, 45]), preferred=(60, 81)) == 24
    assert octave_shift(np.array([100, 105]), hard=(36, 83)) == -24
    with pytest.raises(MelodyError, match="spans 50 semitones"):
        octave_shift(np.array([30, 80]), hard=(36, 83))


# -- refusals -------------------------------------------------------------------------

def test_refuses_three_four(tmp_path):
    path = write_midi(tmp_path / "waltz.mid", [[(0, 4, 60), (4, 4, 62), (8, 4, 64)]], time_signature=(3, 4))
    with pytest.raises(MelodyError, match=r"in 3/4.*4/4 only"):
        melody_from_midi(path)


def test_refuses_a_change_to_six_eight_later(tmp_path):
    path = write_midi(tmp_path / "change.mid", [[(0, 4, 60)] * 1 + [(16, 4, 62)]],
                      extra_meta=[(16 * 120, mido.MetaMessage("time_signature", numerator=6, denominator=8))])
    with pytest.raises(MelodyError, match=r"6/8 from about bar 2"):
        melody_from_midi(path)


def test_alla_breve_and_no_time_signature_count_as_four_four(tmp_path):
    cut = write_midi(tmp_path / "cut.mid", [[(0, 8, 67), (8, 8, 69)]], time_signature=(2, 2))
    assert melody_from_midi(cut).time_signatures == [(0.0, 2, 2)]
    bare = write_midi(tmp_path / "bare.mid", [[(0, 4, 67)]], time_signature=None)
    assert melody_from_midi(bare).pickup_steps == 0


def test_refuses_empty_and_drums_only(tmp_path):
    empty = write_midi(tmp_path / "empty.mid", [[]])
    with pytest.raises(MelodyError, match="no notes"):
        melody_from_midi(empty)
    drums = write_midi(tmp_path / "drums.mid", [[(0, 1, 36), (4, 1, 38)]], drum_tracks=(0,))
    with pytest.raises(MelodyError, match="only drums"):
        melody_from_midi(drums)


def test_refuses_empty_or_missing_track_choice(tmp_path):
    path = write_midi(tmp_path / "two.mid", [[(0, 4, 72)], [(0, 4, 48)]])
    with pytest.raises(MelodyError, match="no track 5; the file has 2 non-drum"):
        melody_from_midi(path, track=4)


def test_refusal_reaches_the_command_line_with_the_reason(unet_job, tmp_path, monkeypatch, capsys):
    home, job_id = unet_job
    _use_home(monkeypatch, home)
    waltz = write_midi(tmp_path / "waltz.mid", [[(0, 4, 60)]], time_signature=(3, 4))
    out = tmp_path / "x.mid"
    assert cli_main(["compose", "--job", str(job_id), "--melody", str(waltz), "--out", str(out)]) == 2
    assert "3/4" in capsys.readouterr().err
    assert not out.exists()
    drums = write_midi(tmp_path / "drums.mid", [[(0, 1, 36)]], drum_tracks=(0,))
    assert cli_main(["compose", "--job", str(job_id), "--melody", str(drums), "--out", str(out)]) == 2
    assert "only drums" in capsys.readouterr().err


def test_too_wide_melody_is_refused(unet_job):
    home, job_id = unet_job
    model, _ = load_model(_checkpoint(home, job_id))
    from gan.compose.melody import melody_from_notes

    wide = melody_from_notes("wide", np.array([[0, 4, 24], [4, 4, 107]]))
    with pytest.raises(MelodyError, match="spans 83 semitones"):
        accompany(model, wide, [0])


def test_broken_file_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "broken.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x01")
    with pytest.raises(MelodyError, match="broken.mid"):
        melody_from_midi(bad)


# -- choosing the melody ----------------------------------------------------------------

def test_track_choice_and_top_line_of_a_track_with_chords(tmp_path):
    tune = [(0, 4, 76), (4, 4, 74), (8, 8, 72)]
    chords = [(0, 8, 60), (0, 8, 64), (8, 8, 55), (8, 8, 59)]
    bass = [(0, 16, 36)]
    path = write_midi(tmp_path / "song.mid", [tune + chords, bass], programs=[0, 32])
    tracks = midi_tracks(path)
    assert [t.polyphonic for t in tracks] == [True, False]
    melody = melody_from_midi(path)
    np.testing.assert_array_equal(melody.notes, [[0, 4, 76], [4, 4, 74], [8, 8, 72]])
    assert any("top line" in m for m in melody.messages)
    assert any("several tracks" in m for m in melody.messages)
    np.testing.assert_array_equal(melody_from_midi(path, track=1).notes, [[0, 16, 36]])


def test_top_line_drops_notes_under_a_held_tune_note():
    notes = np.array([[0, 8, 72], [4, 4, 60], [8, 4, 71], [8, 4, 55]])
    kept, dropped = top_line(notes)
    np.testing.assert_array_equal(kept, [[0, 8, 72], [8, 4, 71]])
    assert dropped == 2


def test_builtin_melodies_are_whole_four_four_tunes():
    assert {"ode_to_joy", "twinkle", "auld_lang_syne", "chorale_soprano"} <= set(builtin_names())
    for name in builtin_names():
        melody = builtin_melody(name)
        assert len(melody.notes) > 10
        assert melody.end_step % 16 == 0, "whole bars (a pick-up's bar is completed by the last)"
    assert BUILTINS["auld_lang_syne"].melody().pickup_steps == 4


def test_typed_notes_and_their_errors():
    rows = parse_notes("C4 E4:0.5 G4 r:1 C5:2")
    np.testing.assert_array_equal(rows, [[0, 4, 60], [4, 2, 64], [6, 2, 67], [12, 8, 72]])
    with pytest.raises(MelodyError, match=r"token 2 'H4'"):
        parse_notes("C4 H4")
    with pytest.raises(MelodyError, match="bar line 1 .* after 3 beats"):
        parse_notes("C4 D4 E4 | F4")


def test_cli_builtin_and_typed_notes(unet_job, tmp_path, monkeypatch, capsys):
    home, job_id = unet_job
    _use_home(monkeypatch, home)
    assert cli_main(["compose", "--list-melodies"]) == 0
    assert "auld_lang_syne" in capsys.readouterr().out
    out = tmp_path / "typed.mid"
    assert cli_main(["compose", "--job", str(job_id), "--notes", "E5 D5 C5:2 | E5:1 D5 C5:2",
                     "--tempo", "80", "--out", str(out)]) == 0
    np.testing.assert_array_equal(_melody_rows(out), [[0, 4, 76], [4, 4, 74], [8, 8, 72],
                                                      [16, 4, 76], [20, 4, 74], [24, 8, 72]])
    assert _meta(out)["tempos"] == [(0.0, 80.0)]
    assert cli_main(["compose", "--job", str(job_id), "--builtin", "nope", "--out", str(out)]) == 2
    assert "ode_to_joy" in capsys.readouterr().err
    import torch

    if not torch.cuda.is_available():
        assert cli_main(["compose", "--job", str(job_id), "--builtin", "twinkle", "--device", "cuda",
                         "--out", str(out)]) == 2
        assert "no CUDA GPU" in capsys.readouterr().err


# -- checkpoints and kinds of job ------------------------------------------------------------

def test_checkpoint_choice(unet_job, monkeypatch):
    from app.cli.compose_cmd import choose_checkpoint
    from app.jobs.store import JobStore

    home, job_id = unet_job
    store = JobStore(home / "polyphony.db")
    try:
        rows = store.epochs(job_id)
        best = max((r for r in rows if r.similarity is not None), key=lambda r: (r.similarity, r.epoch))
        choice = choose_checkpoint(store, job_id)
        assert choice.epoch == best.epoch and "best similarity" in choice.why
        assert choose_checkpoint(store, job_id, 1).epoch == 1
        with pytest.raises(ValueError, match="no checkpoint for epoch 9; it has epochs 1, 2"):
            choose_checkpoint(store, job_id, 9)
    finally:
        store.close()


def test_wrong_kind_of_job_is_refused(unet_job, musegan_job, tmp_path, monkeypatch, capsys):
    home, job_id = unet_job
    _use_home(monkeypatch, home)
    out = tmp_path / "x.mid"
    assert cli_main(["compose", "--job", str(job_id), "--generate", "2", "--out", str(out)]) == 2
    assert "needs a melody" in capsys.readouterr().err
    mhome, mjob = musegan_job
    _use_home(monkeypatch, mhome)
    assert cli_main(["compose", "--job", str(mjob), "--builtin", "twinkle", "--out", str(out)]) == 2
    assert "does not accompany" in capsys.readouterr().err
    model, _ = load_model(_checkpoint(mhome, mjob))
    with pytest.raises(ComposeError):
        accompany(model, builtin_melody("twinkle"), [0])


# -- MuseGAN ---------------------------------------------------------------------------

@pytest.mark.slow
def test_musegan_generates_n_pieces_and_interpolates(musegan_job, tmp_path, monkeypatch, capsys):
    home, job_id = musegan_job
    _use_home(monkeypatch, home)
    out = tmp_path / "gen.mid"
    assert cli_main(["compose", "--job", str(job_id), "--generate", "3", "--seed", "7",
                     "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [Path(f).name for f in result["files"]] == ["gen_1.mid", "gen_2.mid", "gen_3.mid"]
    for f in result["files"]:
        assert _meta(Path(f))["tracks"] == 4
    model, config = load_model(_checkpoint(home, job_id))
    a = generate_pieces(model, 2, seed=7)
    np.testing.assert_array_equal(a, generate_pieces(model, 2, seed=7))
    walk = interpolate(model, 7, 8, steps=4)
    assert walk.shape == (4, 4, config.bars_per_sample * 16, 84)
    np.testing.assert_array_equal(walk[0], generate_pieces(model, 1, seed=7)[0])
    np.testing.assert_array_equal(walk[-1], generate_pieces(model, 1, seed=8)[0])
    assert cli_main(["compose", "--job", str(job_id), "--interpolate", "8", "--steps", "3",
                     "--out", str(tmp_path / "walk.mid")]) == 0
    assert sorted(p.name for p in tmp_path.glob("walk_*.mid")) == ["walk_1.mid", "walk_2.mid", "walk_3.mid"]


@pytest.mark.slow
def test_cli_wav_export_renders_real_audio(fluidsynth, unet_job, tmp_path, monkeypatch):
    from app.audio.render import read_wav

    home, job_id = unet_job
    _use_home(monkeypatch, home)
    out = tmp_path / "song.mid"
    code = cli_main(["compose", "--job", str(job_id), "--builtin", "frere_jacques", "--out", str(out), "--wav"])
    assert code == 0
    audio, rate = read_wav(out.with_suffix(".wav"))
    # 8 bars at 100 bpm = 19.2 s, plus the release tail
    assert 19.0 < len(audio) / rate < 23.0
    assert np.abs(audio).max() > 0.01
