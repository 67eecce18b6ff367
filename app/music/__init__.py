"""The music a job learns from, Qt-free: both faces call this.

- ``selection``: which pieces a job's tags choose (loaded and selected in
  one place), the check that they are enough, the training segments
- ``tags``: the tag picker's rows (tag, label, group, segment count)
- ``catalog``: the per-genre summary and on-demand genre builds
- ``imports``: importing a folder of the user's MIDI files, and its report
"""
