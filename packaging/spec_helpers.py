"""Pure functions the PyInstaller spec uses, kept apart so tests can check them.

No PyInstaller import here: the test suite imports this module to check what
the build keeps and drops without running a build.
"""

from __future__ import annotations

import ctypes.util
import fnmatch
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "polyphony"

# music21 only rebuilds the corpus (data/), the rest are test or notebook
# tools that happen to sit in the venv; none is imported by the running app.
EXCLUDED_MODULES = [
    "music21",
    "matplotlib",
    "mpl_toolkits",
    "tkinter",
    "_tkinter",
    "IPython",
    "jupyter_client",
    "notebook",
    "pytest",
    "_pytest",
    "pytestqt",
    "pytest_timeout",
    "PyInstaller",
    "setuptools",
    "pip",
    "torch.utils.tensorboard",
    "tensorboard",
    # Only optional corners of torch import these (datapipes' image decoder,
    # distributed debugging); Pillow alone is 16 MB of libraries.
    "PIL",
    "requests",
    # Test tools that only torch.testing and numpy's tests import; pygments
    # tries chardet and does without it.
    "hypothesis",
    "chardet",
    # Qt bindings other than PySide6 (pyqtgraph probes them).
    "PyQt5",
    "PyQt6",
    "PySide2",
    # Qt modules the app never uses; the Python bindings would drag their
    # libraries (QML engine, 3D, WebEngine ...) in with them.
    "PySide6.QtQml",
    "PySide6.QtQuick",
    "PySide6.QtQuickWidgets",
    "PySide6.QtQuickControls2",
    "PySide6.QtQuick3D",
    "PySide6.QtPdf",
    "PySide6.QtPdfWidgets",
    "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets",
    "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel",
    "PySide6.QtWebSockets",
    "PySide6.QtWebView",
    "PySide6.Qt3DCore",
    "PySide6.Qt3DRender",
    "PySide6.Qt3DInput",
    "PySide6.Qt3DLogic",
    "PySide6.Qt3DAnimation",
    "PySide6.Qt3DExtras",
    "PySide6.QtCharts",
    "PySide6.QtDataVisualization",
    "PySide6.QtGraphs",
    "PySide6.QtGraphsWidgets",
    "PySide6.QtDesigner",
    "PySide6.QtHelp",
    "PySide6.QtLocation",
    "PySide6.QtPositioning",
    "PySide6.QtBluetooth",
    "PySide6.QtNfc",
    "PySide6.QtSensors",
    "PySide6.QtSerialPort",
    "PySide6.QtSerialBus",
    "PySide6.QtRemoteObjects",
    "PySide6.QtScxml",
    "PySide6.QtStateMachine",
    "PySide6.QtTextToSpeech",
    "PySide6.QtSpatialAudio",
    "PySide6.QtHttpServer",
    "PySide6.QtNetworkAuth",
    "PySide6.QtSql",
    "PySide6.QtTest",
    "PySide6.QtUiTools",
    "PySide6.QtAxContainer",
]

# Files (paths as they will sit inside the bundle) that are never used at run
# time. torch/bin holds C++ test programs and protoc; torch/test and the
# *_test libraries are test fixtures; Qt translations only translate Qt's own
# dialogs (the app is English-only); Quick/Qml/Pdf/3D/WebEngine libraries
# come in through plugins the app never loads.
DROPPED_PATTERNS = [
    "torch/bin/*",  # but see KEPT_PATTERNS
    "torch/test/*",
    "torch/include/*",
    "torch/share/*",
    "torch/lib/libtorchbind_test*",
    "torch/lib/libjitbackend_test*",
    "torch/lib/libbackend_with_compiler*",
    "torch/lib/libaoti_custom_ops*",
    "PySide6/Qt/translations/*",
    "PySide6/Qt/qml/*",
    "PySide6/Qt/lib/libQt6Quick*",
    "PySide6/Qt/lib/libQt6Qml*",
    "PySide6/Qt/lib/libQt6Pdf*",
    "PySide6/Qt/lib/libQt63D*",
    "PySide6/Qt/lib/libQt6WebEngine*",
    "PySide6/Qt/lib/libQt6Designer*",
    "PySide6/Qt/lib/libQt6VirtualKeyboard*",
    "PySide6/Qt/plugins/qmltooling/*",
    "PySide6/Qt/plugins/designer/*",
    "PySide6/Qt/plugins/imageformats/libqpdf*",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboard*",
    "PySide6/Qt/plugins/webview/*",
    "PySide6/Qt/plugins/sceneparsers/*",
    "PySide6/Qt/plugins/geometryloaders/*",
    "PySide6/Qt/plugins/renderplugins/*",
    "PySide6/Qt/plugins/renderers/*",
    "PySide6/Qt/plugins/assetimporters/*",
    "PySide6/Qt/plugins/position/*",
    "PySide6/Qt/plugins/geoservices/*",
    "PySide6/Qt/plugins/sensors/*",
    "PySide6/Qt/plugins/canbus/*",
    "PySide6/Qt/plugins/texttospeech/*",
    "PySide6/Qt/plugins/sqldrivers/*",
    # GTK3 theme: mixes the bundle's old cairo/pango with the system's GTK
    # (and there is no GTK on a bare machine); Qt's own Fusion style is used.
    "PySide6/Qt/plugins/platformthemes/libqgtk3*",
    # Embedded-device platforms and input; desktops use xcb or wayland.
    "PySide6/Qt/plugins/platforms/libqeglfs*",
    "PySide6/Qt/plugins/platforms/libqlinuxfb*",
    "PySide6/Qt/plugins/platforms/libqminimalegl*",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay*",
    "PySide6/Qt/plugins/platforms/libqvnc*",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/*",
    "PySide6/Qt/lib/libQt6EglF*",
    # Windows/macOS spellings of the same folders.
    "PySide6/translations/*",
    "PySide6/qml/*",
    "PySide6/Qt6Quick*",
    "PySide6/Qt6Qml*",
    "PySide6/Qt6Pdf*",
    "PySide6/Qt6WebEngine*",
    "PySide6/opengl32sw.dll",
]

# torch's hook collects every torch module twice: compiled in the PYZ archive
# and as .py source beside it (44 MiB), for TorchScript and torch.compile,
# which read source code. The app uses neither: bytecode only, except the
# modules that read their own source when imported: the config modules
# (torch.utils._config_module looks for "# _compile_ignored" comments; without
# the source `import torch` fails with "could not get source code") and the
# ones whose @torch.jit._overload functions warn "Unable to retrieve source".
SOURCE_NEEDED_TORCH_MODULES = [
    "torch._dynamo.config",
    "torch._export.config",
    "torch._functorch.config",
    "torch._inductor.config",
    "torch._inductor.config_comms",
    "torch.compiler.config",
    "torch.distributed.config",
    "torch.fx.experimental._config",
    "torch.utils.serialization.config",
    "torch.functional",
    "torch.nn.functional",
    "torch.nn.modules.rnn",
]
MODULE_COLLECTION_MODE = {"torch": "pyz"} | {name: "pyz+py" for name in SOURCE_NEEDED_TORCH_MODULES}

# Libraries whose symbol tables are large (109 MiB together; 85 MiB in
# libtorch_cpu.so alone) and strip safely: `strip --strip-unneeded` keeps the
# dynamic symbols that loading needs. Not every library: numpy's OpenBLAS and
# others rewritten by patchelf (auditwheel) break when stripped ("ELF load
# command address/offset not page-aligned"), as PyInstaller's strip=True
# showed here.
STRIPPED_PATTERNS = [
    "torch/lib/libtorch_cpu.so",
    "torch/lib/libtorch_python.so",
    "libpython3*.so*",
]

# Exceptions to DROPPED_PATTERNS. torch.multiprocessing (DataLoader workers,
# tensors sent to a spawned training process) starts torch_shm_manager;
# without it: "RuntimeError: Unable to find torch_shm_manager".
KEPT_PATTERNS = [
    "torch/bin/torch_shm_manager*",
]

# Libraries and files that must be in every bundle: the tests check the
# filters above never remove them (excluding torch._inductor, for example,
# breaks torch.optim).
REQUIRED_PATTERNS = [
    "torch/lib/libtorch_cpu*",
    "torch/lib/libc10*",
    "PySide6/Qt/lib/libQt6Widgets*",
    "PySide6/Qt/lib/libQt6Gui*",
    "PySide6/Qt/plugins/platforms/libqoffscreen*",
    "PySide6/Qt/plugins/platforms/libqxcb*",
    "pretty_midi/TimGM6mb.sf2",
    "torch/bin/torch_shm_manager",
]

FLUIDSYNTH_NAMES = ("fluidsynth", "fluidsynth-3", "libfluidsynth", "libfluidsynth-3",
                    "libfluidsynth-2")


def is_dropped(dest: str) -> bool:
    """True when a file at ``dest`` inside the bundle is not needed at run time."""
    dest = dest.replace("\\", "/")
    if any(fnmatch.fnmatchcase(dest, pattern) for pattern in KEPT_PATTERNS):
        return False
    return any(fnmatch.fnmatchcase(dest, pattern) for pattern in DROPPED_PATTERNS)


def keep_needed(toc):
    """Drop unused entries from a PyInstaller TOC (tuples whose [0] is the dest)."""
    return [entry for entry in toc if not is_dropped(entry[0])]


# Top-level libraries that something loads by name at run time (dlopen), so
# no other file lists them as a dependency: never pruned as unreferenced.
DLOPENED_LIBRARIES = ["libpython*", "python3*.dll", "libssl*", "libcrypto*", "libfluidsynth*",
                      "*fluidsynth*.dll", "libgomp*"]


def prune_unreferenced(binaries, needed_names):
    """Drop top-level libraries that no kept file needs any more.

    PyInstaller adds a library's dependencies next to the executable while it
    analyses; removing a plugin afterwards (``keep_needed``) leaves its
    dependencies behind (the GTK3 theme plugin alone brings cairo, pango,
    atk, gdk-pixbuf ...). Starting from everything that is not a top-level
    library (packages' own files, extensions) plus DLOPENED_LIBRARIES, keep
    what is reachable through ``needed_names(source_path)`` (the library
    names a binary links against) and drop the rest.
    Returns (kept entries, dropped dest names).
    """
    def top_level_library(entry) -> bool:
        dest, _src, typecode = entry[0], entry[1], entry[2]
        return "/" not in dest.replace("\\", "/") and typecode == "BINARY"

    libraries = {entry[0].lower(): entry for entry in binaries if top_level_library(entry)}
    queue = [entry for entry in binaries
             if (not top_level_library(entry) or any(
                 fnmatch.fnmatch(entry[0].lower(), pattern.lower())
                 for pattern in DLOPENED_LIBRARIES))]
    reached = {entry[0].lower() for entry in queue}
    while queue:
        entry = queue.pop()
        for name in needed_names(entry[1]):
            key = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
            if key in libraries and key not in reached:
                reached.add(key)
                queue.append(libraries[key])
    kept = [entry for entry in binaries
            if not top_level_library(entry) or entry[0].lower() in reached]
    dropped = sorted({entry[0] for entry in binaries} - {entry[0] for entry in kept})
    return kept, dropped


def drop_dangling_links(datas, binaries):
    """Drop SYMLINK entries (PyInstaller keeps them with the data files) whose
    target was removed by the filters above."""
    present = {entry[0].replace("\\", "/") for entry in list(binaries) + list(datas)
               if entry[2] != "SYMLINK"}
    return [entry for entry in datas if entry[2] != "SYMLINK" or _link_target(entry) in present]


def _link_target(entry) -> str:
    # A SYMLINK entry's source is its target, relative to the link's folder.
    dest, target = entry[0].replace("\\", "/"), entry[1].replace("\\", "/")
    folder = dest.rsplit("/", 1)[0] + "/" if "/" in dest else ""
    parts = []
    for part in (folder + target).split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return "/".join(parts)


def strip_symbols(toc, workdir: Path, strip_command=("strip", "--strip-unneeded")):
    """Point the STRIPPED_PATTERNS entries of a TOC at stripped copies made in
    ``workdir`` (Linux with binutils' strip; elsewhere the TOC is unchanged)."""
    if not sys.platform.startswith("linux") or shutil.which(strip_command[0]) is None:
        return list(toc)
    result = []
    for entry in toc:
        dest, source, typecode = entry[0], entry[1], entry[2]
        if typecode == "BINARY" and any(fnmatch.fnmatchcase(dest.replace("\\", "/"), pattern)
                                        for pattern in STRIPPED_PATTERNS):
            target = Path(workdir) / "stripped" / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.stat().st_mtime < Path(source).stat().st_mtime:
                subprocess.run([*strip_command, "-o", str(target), source], check=True)
            entry = (dest, str(target), typecode)
        result.append(entry)
    return result


def find_libfluidsynth() -> Path:
    """The FluidSynth shared library pyfluidsynth would load on this machine.

    PyInstaller cannot see it (pyfluidsynth opens it by name with ctypes at
    run time), so the spec adds it as a binary; its own dependencies are then
    found by PyInstaller's normal analysis.
    """
    for name in FLUIDSYNTH_NAMES:
        found = ctypes.util.find_library(name)
        if not found:
            continue
        path = Path(found)
        if path.is_absolute() and path.exists():  # macOS and Windows
            return path.resolve()
        resolved = _resolve_linux_soname(found)
        if resolved:
            return resolved
    raise FileNotFoundError(
        "libfluidsynth not found: install it first (Debian/Ubuntu: apt install "
        "libfluidsynth3; macOS: brew install fluid-synth; Windows: put "
        "libfluidsynth-3.dll on PATH)")


def _resolve_linux_soname(soname: str) -> Path | None:
    """Turn ``libfluidsynth.so.3`` into its full path using the loader cache."""
    try:
        listing = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                                 check=False).stdout
    except OSError:
        listing = ""
    machine = "x86-64" if sys.maxsize > 2**32 else ""
    for line in listing.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and match.group(1) == soname and machine in match.group(2):
            return Path(match.group(3)).resolve()
    for folder in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib",
                   "/lib/x86_64-linux-gnu"):
        candidate = Path(folder) / soname
        if candidate.exists():
            return candidate.resolve()
    return None


def repo_datas() -> list[tuple[str, str]]:
    """(source, dest folder) pairs for the repo's data/ and resources/.

    They go to the same relative places inside the bundle, because
    gan.data.locations and app.paths find them beside the packages (the repository root),
    which in the frozen app is the bundle's ``_internal`` folder.
    """
    pairs: list[tuple[str, str]] = []
    for folder in ("data", "resources"):
        root = REPO_ROOT / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or _is_source_only(path):
                continue
            dest = path.parent.relative_to(REPO_ROOT).as_posix()
            pairs.append((str(path), dest))
    return pairs


def _is_source_only(path: Path) -> bool:
    # The scripts that rebuild the dataset need music21, which is not bundled.
    return (path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts
            or path.name.startswith("."))
