"""Small helpers shared by the models."""

from __future__ import annotations


def padded_pitches(n_pitches: int, multiple: int = 16) -> int:
    """Pitch rows rounded up so four stride-2 levels divide evenly (84 -> 96)."""
    return -(-n_pitches // multiple) * multiple


def binarize(probs, threshold: float = 0.5, monophonic: bool = False):
    """On/off notes from note probabilities (n, voices, steps, pitches).

    ``monophonic`` (every voice of the built-in corpus): a voice sounds at a
    step when its most likely pitch is above the threshold, and each run of
    sounding steps is one held note on the pitch with the highest total
    probability over the run. Picking the pitch step by step instead turns
    every quarter note into a flicker of 16ths. (Consecutive 16ths with no
    rest between them become one note: the roll format cannot tell them
    from a held note of the same length anyway unless their pitches differ.)
    Otherwise every pitch above the threshold sounds.
    """
    import torch

    if not monophonic:
        return probs > threshold
    sounding = probs.amax(-1) > threshold  # (n, v, steps)
    before = torch.zeros_like(sounding)
    before[..., 1:] = sounding[..., :-1]
    run = torch.cumsum((sounding & ~before).long(), -1)  # run number of each step (1-based)
    steps = probs.shape[-2]
    # member[..., t, r]: step t belongs to run r (r = 0 collects silent steps)
    member = torch.nn.functional.one_hot(run * sounding.long(), steps + 1).to(probs.dtype)
    run_pitch = (member.transpose(-1, -2) @ probs).argmax(-1)  # (n, v, runs + 1)
    pitch = torch.gather(run_pitch, -1, run)  # each step's run pitch
    hard = torch.nn.functional.one_hot(pitch, probs.shape[-1]).bool()
    return hard & sounding.unsqueeze(-1)
