"""The Qt-free player: position, pause, seek, loop, tempo, mute/solo, end of piece, real output."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid

import numpy as np
import pytest

from app.audio.player import PAUSED, PLAYING, STOPPED, Player
from app.audio.render import render_midi
from tests.test_audio_support import dominant_frequency, write_a4, write_sample

RATE = 44100


class ManualOutput:
    """An output the test drives: each pull() takes the next block of audio."""

    latency_seconds = 0.0

    def __init__(self, pull, sample_rate):
        self._pull = pull
        self.taken = []

    def start(self):
        return "manual"

    def take(self, seconds: float, block: int = 512) -> np.ndarray:
        out = []
        for _ in range(int(round(seconds * RATE / block))):
            left, right = np.empty(block, np.float32), np.empty(block, np.float32)
            self._pull(left, right)
            out.append(np.stack([left, right], axis=1))
        return np.concatenate(out)

    def close(self):
        pass


@pytest.fixture
def manual_player():
    outputs = []
    events = []

    def factory(pull, rate):
        outputs.append(ManualOutput(pull, rate))
        return outputs[-1]

    player = Player(output_factory=factory, on_event=events.append)
    player.events = events
    player.outputs = outputs
    yield player
    player.close()


def test_player_streams_the_rendered_mix_and_reports_position(tmp_path, manual_player):
    midi = write_sample(tmp_path / "s.mid", bars=1, tempo=120)  # 2 s
    player = manual_player
    score = player.load(midi)
    assert player.wait_rendered()
    player.play()
    out = player.outputs[0].take(1.0)
    assert player.position() == pytest.approx(1.0, abs=0.02)
    assert player.position_steps() == pytest.approx(8.0, abs=0.1)
    offline = render_midi(midi)
    assert np.allclose(out, offline[: len(out)], atol=2e-3)  # stems mixed = the offline mix
    player.pause()
    assert player.state == PAUSED
    player.outputs[0].take(0.2)  # the device keeps asking; paused gives silence
    assert player.position() == pytest.approx(1.0, abs=0.02)
    player.seek_steps(4)
    assert player.position() == pytest.approx(score.steps_to_seconds(4), abs=0.01)


def test_mute_and_solo_act_at_once_without_rerender(tmp_path, manual_player):
    player = manual_player
    player.load(write_sample(tmp_path / "s.mid", bars=1))
    player.wait_rendered()
    player.play()
    for t in range(4):
        player.set_mute(t, True)
    assert np.abs(player.outputs[0].take(0.3)).max() < 1e-6
    player.set_solo(3, True)  # solo wins over mute
    solo = player.outputs[0].take(0.3)
    assert np.abs(solo).max() > 0.01
    assert player.audible_tracks() == [3]


def test_loop_wraps_and_end_of_piece_stops(tmp_path, manual_player):
    player = manual_player
    player.load(write_a4(tmp_path / "a4.mid", seconds=2.0))
    player.wait_rendered()
    player.set_loop(0.5, 1.0)
    player.seek(0.9)
    player.play()
    player.outputs[0].take(0.3)
    assert player.position() == pytest.approx(0.7, abs=0.03)
    player.set_loop(None, None)
    player.outputs[0].take(1.5)
    assert player.state == STOPPED
    assert "finished" in player.events
    assert player.position() == 0.0
    with pytest.raises(ValueError, match="must come after"):
        player.set_loop(1.0, 0.5)


def test_tempo_change_keeps_the_place_and_plays_faster(tmp_path, manual_player):
    player = manual_player
    player.load(write_sample(tmp_path / "s.mid", bars=2, tempo=120))  # 4 s
    player.wait_rendered()
    player.play()
    player.outputs[0].take(1.0)
    player.set_tempo(2.0)
    assert player.position() == pytest.approx(1.0, abs=0.02)
    assert player.wait_rendered()
    player.outputs[0].take(0.5)  # half a second of audio at double speed = 1 s of music
    assert player.position() == pytest.approx(2.0, abs=0.03)
    with pytest.raises(ValueError):
        player.set_tempo(10)


def test_instrument_change_rerenders_in_the_background(tmp_path, manual_player):
    player = manual_player
    player.load(write_a4(tmp_path / "a4.mid", seconds=1.0))
    player.wait_rendered()
    player.play()
    piano = player.outputs[0].take(0.3)
    player.seek(0.0)
    player.set_program(0, 73)  # flute
    assert player.wait_rendered()
    flute = player.outputs[0].take(0.3)
    assert not np.allclose(piano, flute, atol=1e-3)
    assert abs(dominant_frequency(flute, RATE) - 440) < 9


def test_playing_before_the_render_finishes_waits_instead_of_skipping(tmp_path, manual_player):
    player = manual_player
    player.load(write_sample(tmp_path / "s.mid", bars=4, tempo=120))
    player.play()  # at once: the first blocks may be silence while rendering starts
    player.outputs[0].take(0.5)
    assert 0.0 <= player.position() <= 0.5 + 1e-6
    assert player.wait_rendered()


# ---- a real output device: PulseAudio's null sink, recorded from its monitor --------------------

@pytest.fixture
def pulse_null_sink():
    missing = [tool for tool in ("pulseaudio", "pactl", "parec") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"no PulseAudio to play into ({', '.join(missing)} missing; "
                    "Debian packages: pulseaudio pulseaudio-utils)")
    started = False
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        run = subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1"], capture_output=True, text=True)
        if run.returncode != 0:
            pytest.skip(f"could not start a PulseAudio daemon: {run.stderr.strip()}")
        started = True
        for _ in range(50):
            if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
    name = f"polyphony_test_{uuid.uuid4().hex[:8]}"
    previous = subprocess.run(["pactl", "get-default-sink"], capture_output=True, text=True).stdout.strip()
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["pactl", "set-default-sink", name], check=True)
    try:
        yield name
    finally:
        if previous:
            subprocess.run(["pactl", "set-default-sink", previous], capture_output=True)
        subprocess.run(["pactl", "unload-module", module], capture_output=True)
        if started:
            subprocess.run(["pulseaudio", "-k"], capture_output=True)


@pytest.mark.slow
def test_plays_for_real_through_pulseaudio(tmp_path, pulse_null_sink):
    recorder = subprocess.Popen(["parec", "-d", f"{pulse_null_sink}.monitor", "--format=s16le",
                                 "--rate=44100", "--channels=2", "--latency-msec=20", "--raw"],
                                stdout=subprocess.PIPE)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: recorder.stdout.read(4096), b"")))
    reader.start()
    player = Player(drivers=["pulseaudio"])
    try:
        player.load(write_a4(tmp_path / "a4.mid", seconds=1.5))
        player.wait_rendered()
        time.sleep(0.3)
        player.play()
        assert player.output_name == "pulseaudio", player.output_error
        deadline = time.monotonic() + 8
        while player.state == PLAYING and time.monotonic() < deadline:
            time.sleep(0.05)
        assert player.state == STOPPED, "playback did not reach the end"
        time.sleep(0.2)
    finally:
        player.close()
        recorder.terminate()
        recorder.wait(timeout=5)
        reader.join(timeout=5)
    recorded = np.frombuffer(b"".join(chunks), dtype="<i2").reshape(-1, 2).astype(np.float32) / 32767
    loud = np.abs(recorded).max(axis=1) > 0.002
    assert loud.any(), "nothing came out of the sink"
    first, last = np.flatnonzero(loud)[[0, -1]]
    heard = recorded[first:last + 1]
    assert len(heard) / RATE > 1.0  # most of the 1.5 s note came through
    assert abs(dominant_frequency(heard, RATE) - 440) < 9


@pytest.fixture
def late_sound_server(monkeypatch):
    import tempfile

    from app.audio import availability
    from tests.test_audio_support import LateSoundServer

    missing = LateSoundServer.missing()
    if missing:
        pytest.skip(f"no PulseAudio to start ({missing} missing; Debian: pulseaudio pulseaudio-utils)")
    server = LateSoundServer(tempfile.mkdtemp(prefix="pa-"))  # short: a socket path has a limit
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    availability.clear_cache()
    yield server
    server.stop()
    availability.clear_cache()
    shutil.rmtree(server.folder, ignore_errors=True)


def test_play_finds_a_sound_server_started_after_the_player(tmp_path, late_sound_server):
    from app.audio.availability import audio_status

    events = []
    assert not audio_status().output_ok  # no server yet: the app starts without sound
    player = Player(on_event=events.append)
    try:
        player.load(write_a4(tmp_path / "a4.mid", seconds=3.0))
        assert player.output_name is None and "pulseaudio" in player.output_error
        player.play()  # still nothing to play into: on the clock, the playhead moves
        assert player.output_name is None and player.state == PLAYING
        player.pause()
        late_sound_server.start()
        time.sleep(1.0)  # Play pressed again after RETRY_DEVICE_SECONDS
        player.play()
        assert player.output_name == "pulseaudio", player.output_error
        assert player.output_error is None and "output" in events
        assert audio_status().output_ok and audio_status().output_name == "pulseaudio"
        # the device now pulls the audio (a fresh stream on a null sink may
        # take a second to start moving)
        start, deadline = player.position(), time.monotonic() + 8
        while player.position() < start + 0.5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert player.position() >= start + 0.5
    finally:
        player.close()
