"""The Polyphony desktop app.

Qt lives only in ``app.ui`` (and the thin QThread adapters it uses). The job
store, job runner, audio rendering and command line are Qt-free, so a cluster
node or a terminal can use them without a screen.
"""
