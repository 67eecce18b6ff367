"""PyInstaller runtime hook: point pyfluidsynth at the bundled libfluidsynth.

pyfluidsynth looks for the library by name with ctypes.util.find_library at
import time; in the frozen app that search only sees the system's libraries
(or none, on a machine without FluidSynth). Runs before the app's code, so
the patched lookup is in place when ``import fluidsynth`` happens.
"""

import ctypes.util
import glob
import os
import sys


def _bundled_fluidsynth():
    base = getattr(sys, "_MEIPASS", None)
    if not base:
        return None
    for pattern in ("libfluidsynth.so*", "libfluidsynth*.dylib", "libfluidsynth*.dll",
                    "fluidsynth*.dll"):
        found = sorted(glob.glob(os.path.join(base, pattern)))
        if found:
            return found[0]
    return None


def _install():
    bundled = _bundled_fluidsynth()
    if bundled is None:
        return
    # Lets the app say which library it is using (About box, bug reports).
    os.environ.setdefault("POLYPHONY_FLUIDSYNTH_LIB", bundled)
    if hasattr(os, "add_dll_directory"):  # Windows: the DLL's own dependencies
        os.add_dll_directory(os.path.dirname(bundled))
    original = ctypes.util.find_library
    names = {"fluidsynth", "fluidsynth-3", "libfluidsynth", "libfluidsynth-3",
             "libfluidsynth-2", "libfluidsynth-1"}

    def find_library(name):
        if name in names:
            return bundled
        return original(name)

    ctypes.util.find_library = find_library


_install()
