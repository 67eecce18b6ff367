"""The Polyphony desktop app: two faces over one Qt-free application layer.

``app.ui`` (the window, the only place Qt lives) and ``app.cli`` (the
commands) never import each other; ``app.launcher`` picks one. Both call the
services: ``app.jobs``, ``app.music``, ``app.compose``, ``app.audio``,
``app.devices``, ``app.paths``, which a cluster node or a terminal can use
without a screen. See docs/ARCHITECTURE.md.
"""
