"""Sound for Polyphony, with no Qt inside.

FluidSynth renders MIDI with a General MIDI soundfont (offline to WAV, or in
the background for the player); the player streams the rendered audio to an
output and reports its position so a piano roll can follow it. Anything that
can be missing (the FluidSynth library, a soundfont, an output device) is
reported by :func:`app.audio.availability.audio_status` instead of raising at
import time, so the app starts without sound.
"""
