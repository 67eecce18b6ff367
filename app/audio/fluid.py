"""Loading libfluidsynth (through pyfluidsynth) without taking the app down.

pyfluidsynth looks the library up when it is imported and raises
``ImportError`` when it is not found, but ``OSError`` when a library is found
and cannot be loaded (a frozen app on a machine missing its dependencies), so
both are caught here and turned into :class:`FluidSynthMissing`.

``POLYPHONY_FLUIDSYNTH_LIB`` points the loader at a specific library file
(the frozen app points it at its bundled copy; tests point it at a file that
is not a library to exercise the "library missing" path for real).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.util
import io
import os
import threading
from ctypes import POINTER, c_float, c_int, c_void_p

LIB_ENV = "POLYPHONY_FLUIDSYNTH_LIB"

HOW_TO_INSTALL = (
    "install FluidSynth (Debian/Ubuntu: `apt install libfluidsynth3`, "
    "macOS: `brew install fluid-synth`, Windows: put libfluidsynth-3.dll on PATH) "
    "and the Python binding (`pip install pyfluidsynth`)"
)


class FluidSynthMissing(RuntimeError):
    """libfluidsynth or pyfluidsynth cannot be loaded; the message says how to fix it."""


# fluid_audio_func_t: int (*)(void *data, int len, int nfx, float *fx[], int nout, float *out[])
AUDIO_FUNC = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int, POINTER(POINTER(c_float)),
                              c_int, POINTER(POINTER(c_float)))

_lock = threading.Lock()
_cache: dict[str, object] = {}


def _import_module(override: str | None):
    if not override:
        import fluidsynth

        return fluidsynth
    # A private copy of the module, loaded with find_library answering the
    # override, so the normal `import fluidsynth` elsewhere is untouched.
    spec = importlib.util.find_spec("fluidsynth")
    if spec is None or spec.loader is None:
        raise ImportError("the pyfluidsynth module is not installed")
    module = importlib.util.module_from_spec(spec)
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: override
    try:
        # muted: pyfluidsynth prints where it found the library when CI is set
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(module)
    finally:
        ctypes.util.find_library = original
    return module


def load_fluidsynth():
    """The pyfluidsynth module with extra prototypes, or raise FluidSynthMissing."""
    override = os.environ.get(LIB_ENV) or ""
    with _lock:
        if override in _cache:
            cached = _cache[override]
            if isinstance(cached, FluidSynthMissing):
                raise cached
            return cached
        try:
            module = _import_module(override or None)
            _add_prototypes(module)
        except (ImportError, OSError, AttributeError) as exc:
            where = f" from {override} (set by {LIB_ENV})" if override else ""
            error = FluidSynthMissing(
                f"the FluidSynth library could not be loaded{where}: {exc}. To fix: {HOW_TO_INSTALL}."
            )
            _cache[override] = error
            raise error from exc
        _cache[override] = module
        return module


def _add_prototypes(module) -> None:
    """Functions pyfluidsynth does not wrap: planar float rendering and callback drivers."""
    lib = module._fl
    process = lib.fluid_synth_process
    process.argtypes = [c_void_p, c_int, c_int, POINTER(POINTER(c_float)), c_int, POINTER(POINTER(c_float))]
    process.restype = c_int
    module.polyphony_process = process
    driver2 = lib.new_fluid_audio_driver2
    driver2.argtypes = [c_void_p, AUDIO_FUNC, c_void_p]
    driver2.restype = c_void_p
    module.polyphony_new_driver2 = driver2
    delete = lib.delete_fluid_audio_driver
    delete.argtypes = [c_void_p]
    delete.restype = None
    module.polyphony_delete_driver = delete


def library_version() -> str:
    module = load_fluidsynth()
    major, minor, micro = c_int(), c_int(), c_int()
    module._fl.fluid_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(micro))
    return f"{major.value}.{minor.value}.{micro.value}"


def clear_cache() -> None:
    """Forget load results (tests change the environment between cases)."""
    with _lock:
        _cache.clear()
