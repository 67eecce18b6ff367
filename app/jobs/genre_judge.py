"""The genre classifier as a job's judge of genre fidelity.

Loaded from its cache, or trained first (once per version of the music on
this machine, gan.evaluation.genre) with a line in the job's events, so a
user sees why the first job after new music starts a little later. When
fidelity cannot be measured (only one genre of music, or the job's genre
is not one the classifier knows), the job trains anyway and says so.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from gan.training.events import Notice


def genre_judge(genre: str | None, notify: Callable[[Notice], None],
                should_stop: Callable[[], bool] | None = None) -> Callable[[np.ndarray], float] | None:
    """``rolls -> share labelled genre``, or None (said through ``notify``)."""
    if not genre:
        return None
    from gan.evaluation import genre as classifier

    try:
        model = classifier.load()
        if model is None or model.fingerprint != classifier.data_fingerprint():
            notify(Notice("Training the genre classifier that judges genre fidelity (once for "
                          "this music; it takes about a minute on a CPU)"))
            model = classifier.load_or_train(should_stop=should_stop)
            notify(Notice(f"Genre classifier ready: held-out accuracy {model.accuracy:.0%} over "
                          f"{', '.join(model.genres)}"))
    except classifier.NotEnoughGenres as exc:
        notify(Notice(f"Genre fidelity is not measured: {exc}", "warning"))
        return None
    except classifier.TrainingCancelled:
        return None
    if genre not in model.genres:
        notify(Notice(f"Genre fidelity is not measured: the classifier knows "
                      f"{', '.join(model.genres)}, not {genre!r}", "warning"))
        return None
    return lambda rolls: model.fidelity(rolls, genre)
