"""A quick look through a MIDI file's bytes before anything parses it.

mido and pretty_midi build a Python object per event, so a file with
millions of notes costs minutes and gigabytes before it could be refused.
``scan`` walks the standard-MIDI-file structure once, counting events and
notes and adding up each track's ticks, and stops at the first limit
passed (gan.data.limits), so even a hostile file costs a bounded time. It
refuses what the parsers would turn into nonsense (0 ticks per beat, a tempo
of 0); anything it cannot follow (a truncated or garbled track) is left for
the parser to report in its own words.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gan.data import limits


class MidiRefused(ValueError):
    """A MIDI file over a limit or with impossible timing; ``str()`` says why."""


@dataclass
class ScanResult:
    ticks_per_beat: int
    events: int = 0
    notes: int = 0
    first_note_tick: int | None = None
    last_tick: int = 0

    @property
    def bars(self) -> float:
        """4/4 bars from the first note to the last event."""
        start = self.first_note_tick or 0
        return max(0, self.last_tick - start) / (self.ticks_per_beat * 4)


# data bytes after a channel status (by its high nibble)
_DATA_BYTES = {0x8: 2, 0x9: 2, 0xA: 2, 0xB: 2, 0xC: 1, 0xD: 1, 0xE: 2}


def _vlq(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, pos
    raise IndexError("variable-length number longer than 4 bytes")


def _check(result: ScanResult) -> None:
    if result.events > limits.MAX_EVENTS_PER_FILE:
        raise MidiRefused(f"too many MIDI events (over {limits.MAX_EVENTS_PER_FILE:,}; "
                          f"limit {limits.MAX_EVENTS_PER_FILE:,} per file)")
    if result.notes > limits.MAX_NOTES_PER_FILE:
        raise MidiRefused(f"too many notes (over {limits.MAX_NOTES_PER_FILE:,}; "
                          f"limit {limits.MAX_NOTES_PER_FILE:,} per file)")
    if result.bars > limits.MAX_BARS_PER_FILE:
        raise MidiRefused(f"too long: at least {result.bars:,.0f} bars of 4/4 from the first "
                          f"note (limit {limits.MAX_BARS_PER_FILE:,} per file)")


def _track(data: bytes, pos: int, end: int, result: ScanResult) -> None:
    """Count one track's events (data[pos:end]); stops quietly where the
    bytes stop making sense."""
    tick, status = 0, 0
    while pos < end:
        delta, pos = _vlq(data, pos)
        tick += delta
        byte = data[pos]
        if byte >= 0x80:
            pos += 1
            if byte < 0xF0:
                status = byte
        elif not status:
            return  # data byte with no running status: the parser will say
        else:
            byte = status  # running status: this byte is the first data byte
        result.events += 1
        if byte == 0xFF:  # meta event: type, length, data
            kind = data[pos]
            length, pos = _vlq(data, pos + 1)
            if kind == 0x51 and length == 3 and data[pos:pos + 3] == b"\0\0\0":
                raise MidiRefused("impossible timing: a tempo of 0 microseconds per beat")
            pos += length
        elif byte in (0xF0, 0xF7):  # system exclusive
            length, pos = _vlq(data, pos)
            pos += length
        elif byte >= 0xF0:
            return  # system real-time/common inside a file: the parser will say
        else:
            count = _DATA_BYTES[byte >> 4]
            if byte >> 4 == 0x9 and data[pos + 1] > 0:
                result.notes += 1
                if result.first_note_tick is None or tick < result.first_note_tick:
                    result.first_note_tick = tick
            pos += count
        result.last_tick = max(result.last_tick, tick)
        if result.events % 4096 == 0:
            _check(result)


def scan(data: bytes) -> ScanResult:
    """Counts of a whole MIDI file's bytes; ``MidiRefused`` past a limit."""
    if data[:4] != b"MThd":
        raise MidiRefused("not a MIDI file (no MThd header)")
    if len(data) < 14:
        raise MidiRefused("unreadable MIDI: truncated (the file ends early)")
    header_length, _, _, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000:
        raise MidiRefused("timing in SMPTE frames is not supported (only ticks per beat)")
    if division == 0:
        raise MidiRefused("impossible timing: 0 ticks per beat")
    result = ScanResult(ticks_per_beat=division)
    pos = 8 + header_length
    while pos + 8 <= len(data):
        kind, length = data[pos:pos + 4], struct.unpack(">I", data[pos + 4:pos + 8])[0]
        start, pos = pos + 8, pos + 8 + length
        if kind == b"MTrk":
            try:
                _track(data, start, min(pos, len(data)), result)
            except (IndexError, KeyError):
                pass  # a truncated or garbled track: left for the parser to report
    _check(result)
    return result
