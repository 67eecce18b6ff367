"""Score accompaniments (note rows, from any version) with today's metrics:
the index on unseen and training melodies, copying, voice leading.

    .venv/bin/python bench/previous_main/score.py /tmp/exp/old_samples.json
"""
import sys, json, numpy as np
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2]))
from gan.data.corpus import Corpus
from gan.data.roll import notes_to_roll, VOICE_NAMES
from gan.evaluation.similarity import features, feature_keys, similarity_index
from gan.evaluation.voice_leading import METRICS, voice_leading_metrics
from gan.evaluation.copying import copied_share

src = json.load(open(sys.argv[1]))
c = Corpus.load(["chorale"], include_imports=False); tr, ev = c.split(0.1)
data, evd = tr.segments(4), ev.segments(4)
ref = features(data); keys = feature_keys("unet", VOICE_NAMES)
real_vl = voice_leading_metrics(data)
for name, real in (("unseen", evd), ("training", data)):
    rolls = np.stack([notes_to_roll(np.array(n, dtype=np.int64).reshape(-1, 4), 64) for n in src[name]])
    pick = np.array(src[name + "_pick"])
    idx = similarity_index(features(rolls), ref, keys)[0]
    copy = float(np.nanmean(copied_share(rolls, real[pick])))
    vl = voice_leading_metrics(rolls)
    print(f"{name}: index {idx:.3f}, copying {copy:.3f}")
    if name == "unseen":
        for m in METRICS:
            ks = [k for k in vl if k.startswith(m + "/")]
            g = np.nanmean([np.nanmean(vl[k]) for k in ks]); r = np.nanmean([np.nanmean(real_vl[k]) for k in ks])
            print(f"   {m:20s} {g:.3f} real {r:.3f}")
