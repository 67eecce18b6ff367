"""The fault matrix of bench/bench_faults.py (issue 15), one module per kind
of fault: the job store (kills, damaged pages, lost databases, read-only
media), training runs (full disk, malicious checkpoints, runaway losses,
damaged checkpoints, seeds) and input (hostile MIDI, bad settings). Each
row tries a fault a number of times and counts how often everything that
must hold held; tests/test_faults.py runs the quick version of each."""
