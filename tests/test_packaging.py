"""Fast checks of the packaging: the spec and its helpers, the runtime hook,
the desktop entry and the Linux installer. The build itself is not run here
(minutes of CPU); packaging/build.sh runs it and self-tests the result."""

from __future__ import annotations

import ast
import configparser
import ctypes
import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGING = REPO_ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import spec_helpers as helpers  # noqa: E402

sys.path.remove(str(PACKAGING))


def _spec_source() -> str:
    return (PACKAGING / "polyphony.spec").read_text()


def test_spec_is_valid_python_and_builds_the_app_from_main():
    tree = ast.parse(_spec_source())
    calls = {node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    # One folder: EXE without the binaries + COLLECT, not a one-file EXE.
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls
    source = _spec_source()
    assert '"main.py"' in source
    assert "exclude_binaries=True" in source
    assert 'collect_data_files("pretty_midi")' in source
    assert "helpers.find_libfluidsynth()" in source
    assert "excludes=helpers.EXCLUDED_MODULES" in source
    assert "helpers.keep_needed(a.binaries)" in source and "helpers.keep_needed(a.datas)" in source
    assert 'collect_submodules("app")' in source and 'collect_submodules("gan")' in source


def test_runtime_hook_named_in_the_spec_exists():
    assert '"rthooks" / "rthook_fluidsynth.py"' in _spec_source()
    assert (PACKAGING / "rthooks" / "rthook_fluidsynth.py").is_file()


@functools.lru_cache(maxsize=None)
def _imports_by_file(folder: Path) -> dict[Path, frozenset[str]]:
    """{source file: absolute module names it imports (and names imported from them)}."""
    found = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[path] = frozenset(names)
    return found


def _imported_modules(folder: Path) -> set[str]:
    return set().union(*_imports_by_file(folder).values())


def test_nothing_the_app_imports_is_excluded():
    imported = _imported_modules(REPO_ROOT / "app") | _imported_modules(REPO_ROOT / "gan")
    imported.add("torch.optim")  # excluding torch._inductor breaks torch.optim
    imported.add("torch._inductor")
    # gan/data/build.py (rebuilding the dataset) is the one place music21 is
    # allowed: it runs from a source checkout, never in the frozen app.
    allowed = {"music21"}
    clashes = sorted(name for name in imported for excluded in helpers.EXCLUDED_MODULES
                     if excluded not in allowed
                     and (name == excluded or name.startswith(excluded + ".")))
    assert clashes == [], f"the spec excludes modules the app imports: {clashes}"
    assert "music21" in helpers.EXCLUDED_MODULES


def test_music21_is_only_used_by_the_dataset_builder():
    users = []
    for folder in ("app", "gan"):
        for path, names in _imports_by_file(REPO_ROOT / folder).items():
            if any(n == "music21" or n.startswith("music21.") for n in names):
                users.append(path.relative_to(REPO_ROOT).as_posix())
    assert set(users) <= {"gan/data/build.py", "gan/data/convert.py"}, users


def _site_packages() -> Path:
    # find_spec, not import: importing torch costs seconds.
    import importlib.util

    spec = importlib.util.find_spec("torch")
    return Path(spec.origin).resolve().parent.parent


def test_filters_drop_unused_parts_of_real_torch_and_qt():
    site = _site_packages()
    dropped = [p for p in site.glob("torch/bin/*") if "shm_manager" not in p.name]
    dropped += list(site.glob("PySide6/Qt/translations/*"))
    assert dropped, "expected torch/bin and Qt translations in this venv"
    for path in dropped:
        assert helpers.is_dropped(path.relative_to(site).as_posix()), path
    assert helpers.is_dropped("PySide6/Qt/lib/libQt6Quick.so.6")
    assert helpers.is_dropped("PySide6/Qt/plugins/platformthemes/libqgtk3.so")


def test_torch_modules_that_read_their_own_source_keep_it():
    # torch.utils._config_module reads a config module's source when it is
    # imported; in a bytecode-only torch that import fails. A torch upgrade
    # that adds a config module must add it to the list.
    site = _site_packages()
    readers = set()
    for path in (site / "torch").rglob("*.py"):
        if "testing" in path.parts or path.name == "_config_module.py":
            continue
        if "install_config_module(" in path.read_text(encoding="utf-8", errors="replace"):
            readers.add(".".join(path.relative_to(site).with_suffix("").parts))
    assert readers, "expected torch config modules"
    assert readers <= set(helpers.SOURCE_NEEDED_TORCH_MODULES), readers - set(helpers.SOURCE_NEEDED_TORCH_MODULES)
    assert helpers.MODULE_COLLECTION_MODE["torch"] == "pyz"
    for name in helpers.SOURCE_NEEDED_TORCH_MODULES:
        assert helpers.MODULE_COLLECTION_MODE[name] == "pyz+py"


def test_filters_keep_what_the_app_needs():
    site = _site_packages()
    for pattern in helpers.REQUIRED_PATTERNS:
        matches = list(site.glob(pattern))
        assert matches, f"{pattern} matches nothing in {site}"
        for path in matches:
            assert not helpers.is_dropped(path.relative_to(site).as_posix()), path
    # torch.optim needs torch._inductor importable; nothing under it is dropped.
    for path in (site / "torch" / "_inductor").rglob("*.py"):
        assert not helpers.is_dropped(path.relative_to(site).as_posix())
    assert not any(m.startswith("torch._inductor") or m == "torch.optim"
                   for m in helpers.EXCLUDED_MODULES)


def test_keep_needed_filters_toc_entries_by_destination():
    toc = [("torch/bin/protoc", "/x/protoc", "BINARY"),
           ("torch/lib/libtorch_cpu.so", "/x/libtorch_cpu.so", "BINARY"),
           ("PySide6\\translations\\qt_de.qm", "C:/x/qt_de.qm", "DATA")]
    assert helpers.keep_needed(toc) == [toc[1]]


def test_prune_unreferenced_follows_dependencies_from_kept_files():
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("libxcb-cursor.so.0", "/src/libxcb-cursor.so.0", "BINARY"),  # needed by qxcb
        ("libXau.so.6", "/src/libXau.so.6", "BINARY"),  # needed by xcb-cursor
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),  # only the dropped gtk3 theme used it
        ("libpython3.11.so.1.0", "/src/libpython3.11.so.1.0", "BINARY"),  # dlopened by the bootloader
        ("libfluidsynth.so.3", "/src/libfluidsynth.so.3", "BINARY"),  # dlopened by pyfluidsynth
        ("libsndfile.so.1", "/src/libsndfile.so.1", "BINARY"),
        ("numpy/_core/_multiarray_umath.so", "/src/umath.so", "EXTENSION"),
    ]
    needs = {"/src/libqxcb.so": ["libxcb-cursor.so.0", "libc.so.6"],
             "/src/libxcb-cursor.so.0": ["/usr/lib/libXau.so.6"],
             "/src/libfluidsynth.so.3": ["libsndfile.so.1"]}
    kept, dropped = helpers.prune_unreferenced(toc, lambda src: needs.get(src, []))
    assert dropped == ["libcairo.so.2"]
    assert [e[0] for e in kept] == [e[0] for e in toc if e[0] != "libcairo.so.2"]


def test_dangling_links_are_dropped_and_live_ones_kept():
    binaries = [("PySide6/Qt/lib/libQt6Gui.so.6", "/src/gui", "BINARY")]
    datas = [("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
             ("libQt6Quick.so.6", "PySide6/Qt/lib/libQt6Quick.so.6", "SYMLINK"),
             ("torch/lib/libfoo.so", "../../libbar.so", "SYMLINK"),
             ("libbar.so", "/src/bar", "DATA"),
             ("pretty_midi/TimGM6mb.sf2", "/src/sf2", "DATA")]
    kept = helpers.drop_dangling_links(datas, binaries)
    assert [e[0] for e in kept] == ["libQt6Gui.so.6", "torch/lib/libfoo.so", "libbar.so",
                                    "pretty_midi/TimGM6mb.sf2"]


def test_libfluidsynth_is_found_and_loads():
    path = helpers.find_libfluidsynth()
    assert path.is_absolute() and path.is_file()
    lib = ctypes.CDLL(str(path))
    assert hasattr(lib, "new_fluid_synth")


def test_runtime_hook_points_pyfluidsynth_at_the_bundled_library(tmp_path):
    bundle = tmp_path / "_internal"
    bundle.mkdir()
    real = helpers.find_libfluidsynth()
    (bundle / real.name).symlink_to(real)
    hook = PACKAGING / "rthooks" / "rthook_fluidsynth.py"
    script = textwrap.dedent(f"""
        import ctypes.util, os, sys
        sys._MEIPASS = {str(bundle)!r}
        exec(open({str(hook)!r}).read())
        import fluidsynth
        print(fluidsynth.lib)
        print(os.environ["POLYPHONY_FLUIDSYNTH_LIB"])
        print(ctypes.util.find_library("c"))
    """)
    # without CI: pyfluidsynth prints where it found the library when CI is set
    env = {k: v for k, v in os.environ.items() if k not in ("POLYPHONY_FLUIDSYNTH_LIB", "CI")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout.splitlines()
    assert out[0] == str(bundle / real.name)
    assert out[1] == str(bundle / real.name)
    assert out[2] and "fluidsynth" not in out[2]  # other lookups untouched


def test_runtime_hook_does_nothing_outside_a_frozen_app():
    hook = PACKAGING / "rthooks" / "rthook_fluidsynth.py"
    script = (f"import ctypes.util; before = ctypes.util.find_library\n"
              f"exec(open({str(hook)!r}).read())\n"
              f"print(ctypes.util.find_library is before)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.strip()
    assert out == "True"


def test_data_and_resources_keep_their_relative_places():
    from app import paths

    pairs = helpers.repo_datas()
    dests = {Path(dest) / Path(src).name for src, dest in pairs}
    for src, dest in pairs:
        assert Path(src).relative_to(REPO_ROOT).parent == Path(dest)
        assert not src.endswith(".py")
    # gan.data.locations and app.paths find data/ and resources/ beside the packages: the frozen
    # bundle must put them at the same relative places.
    assert paths.RESOURCES_DIR == REPO_ROOT / "resources"
    assert Path("resources/icons/polyphony.svg") in dests
    for data_file in (REPO_ROOT / "data").glob("*.npz"):
        assert Path("data") / data_file.name in dests
    manifest = REPO_ROOT / "data" / "manifest.json"
    if manifest.exists():
        assert Path("data/manifest.json") in dests


def test_main_calls_freeze_support_first():
    tree = ast.parse((REPO_ROOT / "main.py").read_text())
    guard = next(node for node in tree.body if isinstance(node, ast.If))
    first = guard.body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
    assert ast.unparse(first.value) == "multiprocessing.freeze_support()"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(REPO_ROOT / "resources" / "polyphony.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_is_complete():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Polyphony"
    assert entry["Exec"].split()[0] == "polyphony"
    assert entry["Terminal"] == "false"
    assert entry["Icon"] == "polyphony"
    # Qt's X11 WM_CLASS is ("polyphony", applicationName "Polyphony"): the
    # desktop groups the window under this entry by that class.
    assert entry["StartupWMClass"] == "Polyphony"
    assert 'setApplicationName("Polyphony")' in (REPO_ROOT / "app" / "ui" / "launch.py").read_text()
    assert (REPO_ROOT / "resources" / "icons" / "polyphony.svg").is_file()
    categories = entry["Categories"]
    assert categories.endswith(";")
    main_categories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                       "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"}
    assert main_categories & set(categories.split(";"))


def test_install_linux_writes_a_menu_entry_pointing_at_the_app(tmp_path):
    # An app folder whose `polyphony` starts the source checkout: a real
    # launcher, so the written entry is checked by running its Exec line.
    app_folder = tmp_path / "polyphony-app"
    app_folder.mkdir()
    launcher = app_folder / "polyphony"
    launcher.write_text(f"#!/bin/sh\nexec {sys.executable} {REPO_ROOT / 'main.py'} \"$@\"\n")
    launcher.chmod(0o755)
    data_home = tmp_path / "share"
    env = dict(os.environ, XDG_DATA_HOME=str(data_home))
    subprocess.run(["bash", str(PACKAGING / "install-linux.sh"), str(app_folder)], env=env,
                   check=True, capture_output=True, timeout=60)
    written = configparser.ConfigParser(interpolation=None)
    written.optionxform = str
    written.read(data_home / "applications" / "polyphony.desktop")
    exec_line = written["Desktop Entry"]["Exec"]
    assert exec_line == str(launcher)
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / "polyphony.svg").is_file()
    version = subprocess.run([exec_line, "--version"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    assert version.startswith("polyphony ")
    subprocess.run(["bash", str(PACKAGING / "install-linux.sh"), "--uninstall"], env=env,
                   check=True, capture_output=True, timeout=60)
    assert not (data_home / "applications" / "polyphony.desktop").exists()


def test_install_linux_refuses_a_folder_without_the_app(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    result = subprocess.run(["bash", str(PACKAGING / "install-linux.sh"), str(tmp_path)],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not an executable app" in result.stderr
    assert not (tmp_path / "share" / "applications").exists()


def test_build_script_is_valid_bash_and_self_tests_offscreen():
    script = PACKAGING / "build.sh"
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=30)
    text = script.read_text()
    assert "--self-test --screenshot" in text
    assert "QT_QPA_PLATFORM=offscreen" in text
    assert "packaging/polyphony.spec" in text
    assert "set -euo pipefail" in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd-based check")
def test_bundle_checker_reports_a_missing_library(tmp_path):
    sys.path.insert(0, str(PACKAGING))
    try:
        import check_bundle
    finally:
        sys.path.remove(str(PACKAGING))
    real = helpers.find_libfluidsynth()
    data = real.read_bytes()
    needed = check_bundle.ldd(real)
    # A real library whose dependency's name is changed (same length) in its
    # string table: the loader cannot find it anywhere.
    victim = next(name for name in needed if name.startswith("lib") and name.encode() in data
                  and "fluidsynth" not in name)
    broken_name = "libQQ" + victim[5:]
    folder = tmp_path / "bundle"
    (folder / "_internal").mkdir(parents=True)
    (folder / "_internal" / real.name).write_bytes(data.replace(victim.encode(), broken_name.encode()))
    # A link whose target the filters removed.
    (folder / "_internal" / "libQt6Quick.so.6").symlink_to("PySide6/Qt/lib/libQt6Quick.so.6")
    missing, dangling, system = check_bundle.check(folder)
    assert list(missing) == [broken_name]
    assert dangling == ["_internal/libQt6Quick.so.6"]
    assert any("libc.so" in lib for lib in system)
    result = subprocess.run([sys.executable, str(PACKAGING / "check_bundle.py"), str(folder)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"MISSING {broken_name}" in result.stdout
    (folder / "_internal" / real.name).write_bytes(data)
    (folder / "_internal" / "libQt6Quick.so.6").unlink()
    assert check_bundle.main([str(folder)]) == 0


# A stand-in for the frozen app (a shell script, clearly not the app) so the
# build script's verdicts can be checked without a 5-minute build: it answers
# `render ... --out F` by writing F, and `--self-test --screenshot F` with the
# exit code and screenshot given per case.
FAKE_APP = """#!/bin/sh
if [ "$1" = render ]; then
    {render}
    while [ $# -gt 0 ]; do [ "$1" = --out ] && out="$2"; shift; done
    printf 'RIFF....WAVE' > "$out"
    exit 0
fi
while [ $# -gt 0 ]; do [ "$1" = --screenshot ] && shot="$2"; shift; done
{screenshot}
exit {code}
"""


@pytest.mark.parametrize("render, code, screenshot, expected_rc, message", [
    ("", 0, 'printf PNG > "$shot"', 0, "self-test passed"),
    ("", 3, 'printf PNG > "$shot"', 1, "self-test exited 3"),
    ("", 0, "", 1, "wrote no screenshot"),
    ("exit 1", 0, 'printf PNG > "$shot"', 1, "could not render MIDI"),
])
def test_build_script_verdicts(tmp_path, render, code, screenshot, expected_rc, message):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    app = app_dir / "polyphony"
    app.write_text(FAKE_APP.format(render=render, code=code, screenshot=screenshot))
    app.chmod(0o755)
    env = dict(os.environ, SKIP_BUILD="1", APP_DIR=str(app_dir), WORK_DIR=str(tmp_path / "work"))
    result = subprocess.run(["bash", str(PACKAGING / "build.sh")], env=env, capture_output=True,
                            text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == expected_rc, output
    assert message in output
    summary = tmp_path / "work" / "package-summary.txt"
    assert summary.exists() == (expected_rc == 0)
    if expected_rc == 0:
        assert "self_test_seconds=" in summary.read_text()
        assert (tmp_path / "work" / "selftest.png").read_text() == "PNG"
