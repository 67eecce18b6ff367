"""Composing with a trained job's model, Qt-free: both faces call this.

- ``choice``: which job and which epoch's checkpoint (default: the best
  similarity index), ``ModelChoice``
- ``melody_source``: a melody from a MIDI file, a built-in tune, typed notes
  or clicked notes, described by a ``MelodySource``
- ``pipeline``: load the model, accompany or generate, write MIDI files with
  the genre's instruments (``compose`` on the command line writes to the
  files it is given; the window to its takes folder)
- ``takes``: the window's takes: stamped files per job, and the kept ones
"""
