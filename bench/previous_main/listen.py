"""The previous main vs a model of today, on the same unseen melodies: MIDI
and WAV of three of them (Bach, previous, today) and counts a listener hears
(unisons, silent accompaniment steps) over all 256.

    .venv/bin/python bench/previous_main/listen.py CHECKPOINT   # files in /tmp/exp2/listen
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/previous_main/draw_rolls.py docs/bench/listening_rolls.png
"""
import json
import os
import sys

import numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan.data.corpus import Corpus
from gan.data.roll import notes_to_roll, frames, onsets
from gan.data.midi_write import roll_to_midi, programs_for
from gan.training.inference import generate, load_generator
from app.audio.render import render_file

out = "/tmp/exp2/listen"
os.makedirs(out, exist_ok=True)
src = json.load(open("/tmp/exp/old_samples.json"))
c = Corpus.load(["chorale"], include_imports=False); tr, ev = c.split(0.1)
evd = ev.segments(4)
pick = np.array(src["unseen_pick"])
old = np.stack([notes_to_roll(np.array(n, dtype=np.int64).reshape(-1, 4), 64) for n in src["unseen"]])
model, _ = load_generator(sys.argv[1] if len(sys.argv) > 1 else "/tmp/exp2/quick_final.pt")
new = generate(model, melody=evd[pick][:, 0], seed=0)
real = evd[pick]

def clash_share(rolls):
    """Share of steps where some note starts and two sounding voices form a
    minor second, tritone or major seventh (mod octave)."""
    f, o = frames(rolls), onsets(rolls)
    n, v, T, P = f.shape
    pitch = np.where(f.any(-1), f.argmax(-1), -100)  # (n, v, T)
    start = o.any(-1).any(1)  # (n, T)
    clash = np.zeros((n, T), bool)
    for a in range(v):
        for b in range(a + 1, v):
            ok = (pitch[:, a] >= 0) & (pitch[:, b] >= 0)
            iv = np.abs(pitch[:, a] - pitch[:, b]) % 12
            clash |= ok & np.isin(iv, (1, 6, 11))
    return float((clash & start).sum() / start.sum())

for name, r in (("real", real), ("old", old), ("new", new)):
    pass
for i in range(3):
    for name, r in (("real", real), ("old", old), ("new", new)):
        mid = f"{out}/melody{i}_{name}.mid"
        roll_to_midi(r[i], mid, programs=programs_for("chorale"))
        render_file(mid, mid.replace(".mid", ".wav"))
np.save(f"{out}/rolls.npy", np.stack([real[:3], old[:3], new[:3]]))

def unison_share(rolls, a=0, b=1):
    f = frames(rolls)
    pa = np.where(f[:, a].any(-1), f[:, a].argmax(-1), -1); pb = np.where(f[:, b].any(-1), f[:, b].argmax(-1), -2)
    both = (pa >= 0) & (pb >= 0)
    return float(((pa == pb) & both).sum() / both.sum())
def silent_share(rolls):
    f = frames(rolls).any(-1)  # (n, v, T)
    return float(1 - f[:, 1:].mean())
for name, r in (("real", real), ("old", old), ("new", new)):
    print(name, "soprano=alto unison share %.3f, alto=tenor %.3f, accompaniment silent steps %.3f" % (unison_share(r), unison_share(r, 1, 2), silent_share(r)))
