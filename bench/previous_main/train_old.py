"""Train the previous main's quick preset (e5b6d4d) on the same 90 % split by
piece as today's jobs, then write its accompaniments of 256 unseen and 256
training melodies as note rows, for today's metrics (score.py).

    git worktree add /tmp/old_wt e5b6d4d
    mkdir -p /tmp/exp
    .venv/bin/python bench/previous_main/train_old.py   # imports gan from /tmp/old_wt;
                                                        # writes /tmp/exp/old_samples.json
"""
import hashlib
import json
import sys

import numpy as np
sys.path.insert(0, "/tmp/old_wt")
from gan.config import preset
from gan.corpus import Corpus
from gan.train import train, load_generator
from gan.sampling import generate
from gan.roll import roll_to_notes

def held(name, f=0.1):
    d = hashlib.sha1(name.encode()).digest()
    return int.from_bytes(d[:8], "big") / 2**64 < f

c = Corpus.load(["chorale"], include_imports=False)
tr = Corpus([p for p in c.pieces if not held(p.name)]); ev = Corpus([p for p in c.pieces if held(p.name)])
data = tr.segments(4); evd = ev.segments(4)
cfg = preset("quick")
res = train(cfg, data, lambda e: print(type(e).__name__, getattr(e, "epoch", ""), getattr(e, "similarity", ""), flush=True) if type(e).__name__ == "EpochReport" else None,
            run_dir="/tmp/old_run", genre="chorale")
print(res)
G, _ = load_generator("/tmp/old_run/checkpoints/latest.pt")
rng = np.random.default_rng(0)
out = {}
for name, src in (("unseen", evd), ("training", data)):
    pick = rng.choice(len(src), 256, replace=len(src) < 256)
    rolls = generate(G, melody=src[pick, 0], seed=0)
    out[name] = [roll_to_notes(r).tolist() for r in rolls]
    out[name + "_pick"] = pick.tolist()
json.dump(out, open("/tmp/exp/old_samples.json", "w"))
