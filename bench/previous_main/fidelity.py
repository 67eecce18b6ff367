"""Genre fidelity of note-row samples (train_old.py's output) by today's classifier.

    .venv/bin/python bench/previous_main/fidelity.py
"""
import sys, json, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan.data.roll import notes_to_roll
from gan.evaluation import genre
m = genre.load()
src = json.load(open("/tmp/exp/old_samples.json"))
for name in ("unseen", "training"):
    rolls = np.stack([notes_to_roll(np.array(n, dtype=np.int64).reshape(-1, 4), 64) for n in src[name]])
    print(name, "fidelity", m.fidelity(rolls, "chorale"))
