"""Polyphony's music-GAN library.

Pure Python + numpy + torch (+ pretty_midi). Never imports Qt or ``app``:
the same code runs in the window, on the command line, in a notebook or on a
cluster node. ``torch`` is imported only by the modules that train or run
models, so ``import gan`` stays cheap.
"""

__version__ = "0.1.0"
