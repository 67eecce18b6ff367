"""Fast checks of the Linux packages: the .deb and .tar.gz that
packaging/make-deb.sh wraps around an app folder, and the Depends finder
(packaging/deb_depends.py) on real libraries of this machine. The real bundle
on a bare Debian root is packaging/test-bare.sh's job (minutes, as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGING = REPO_ROOT / "packaging"
DEPENDS_FILE = PACKAGING / "debian-depends.txt"
sys.path.insert(0, str(PACKAGING))
import deb_depends
import spec_helpers

sys.path.remove(str(PACKAGING))

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF and dpkg: Linux")


def _ctypes_extension() -> Path:
    """A real ELF library of this machine: Python's _ctypes extension (it links libffi)."""
    import _ctypes

    if not getattr(_ctypes, "__file__", None):
        pytest.skip("this Python has _ctypes built in")
    return Path(_ctypes.__file__)


def test_depends_file_lists_real_package_names_with_a_glibc_floor():
    names = deb_depends.package_names(DEPENDS_FILE.read_text())
    assert names, "packaging/debian-depends.txt lists no package"
    libc = [n for n in names if n.startswith("libc6 ")]
    assert libc and libc[0].startswith("libc6 (>= 2."), libc
    # Qt's GUI library and the fonts it draws with come from the system.
    assert "libgl1" in names or "libegl1" in names
    assert "fonts-dejavu-core" in names
    for name in names:
        assert name.split(" ")[0] == name.split(" ")[0].lower(), name


def test_package_names_strips_comments_and_blank_lines():
    text = "# header\n\nlibc6 (>= 2.34)  # libc.so.6 (x)\nlibgl1# libGL\n  \n"
    assert deb_depends.package_names(text) == ["libc6 (>= 2.34)", "libgl1"]


def test_parse_ldd_dump_reads_each_block():
    dump = ("== /opt/p/a.so\n"
            "\tlinux-vdso.so.1 (0x00007ffd)\n"
            "\tlibfoo.so.1 => not found\n"
            "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n"
            "== /opt/p/b\n"
            "\tlibbar.so.2 => /opt/p/_internal/libbar.so.2 (0x1)\n")
    assert deb_depends.parse_ldd_dump(dump) == {
        "/opt/p/a.so": {"libfoo.so.1": "not found", "libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6"},
        "/opt/p/b": {"libbar.so.2": "/opt/p/_internal/libbar.so.2"},
    }


def test_external_needs_keeps_only_direct_needs_outside_the_bundle():
    needed = {"a.so": ["libfoo.so.1", "libc.so.6", "libbar.so.2"], "b": ["libc.so.6"]}
    resolved = {
        "/opt/p/a.so": {"libfoo.so.1": "not found", "libc.so.6": "/lib/libc.so.6",
                        "libbar.so.2": "/opt/p/_internal/libbar.so.2",
                        # a library of a library: not a direct need of a.so
                        "libGLdispatch.so.0": "/lib/libGLdispatch.so.0"},
        "/opt/p/b": {"libc.so.6": "/lib/libc.so.6"},
    }
    assert deb_depends.external_needs(needed, resolved, "/opt/p") == {
        "libc.so.6": ("/lib/libc.so.6", ["a.so", "b"]),
        "libfoo.so.1": ("not found", ["a.so"]),
    }


@linux_only
@pytest.mark.skipif(not (shutil.which("readelf") and shutil.which("ldd") and shutil.which("dpkg")),
                    reason="needs readelf (binutils), ldd and dpkg")
def test_a_real_extension_module_needs_libffi_from_its_debian_package(tmp_path):
    # _ctypes links against libffi, which no Python bundle here carries.
    ctypes_ext = _ctypes_extension()
    needed = deb_depends.needed_sonames(ctypes_ext)
    libffi = [name for name in needed if name.startswith("libffi.so")]
    assert libffi, needed
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    shutil.copy(ctypes_ext, bundle / ctypes_ext.name)
    ldd_out = subprocess.run(["ldd", str(bundle / ctypes_ext.name)], capture_output=True, text=True,
                             check=True).stdout
    resolved = deb_depends.parse_ldd_dump(f"== {bundle}/{ctypes_ext.name}\n{ldd_out}")
    needs = deb_depends.external_needs({ctypes_ext.name: needed}, resolved, str(bundle))
    where = needs[libffi[0]][0]
    assert Path(where).exists()
    owners = deb_depends.dpkg_owners([where], None)
    if not owners:
        pytest.skip(f"{where} belongs to no Debian package here (not a Debian Python)")
    assert owners[where].startswith("libffi")


def test_strip_symbols_makes_stripped_copies_of_the_listed_libraries(tmp_path):
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        pytest.skip("strip (binutils) on Linux")
    # A real unstripped-or-not ELF library: this Python's _ctypes extension,
    # entered under a name the patterns list.
    source = _ctypes_extension()
    toc = [("torch/lib/libtorch_python.so", str(source), "BINARY"),
           ("numpy.libs/libscipy_openblas64_.so", str(source), "BINARY"),
           ("data/x.txt", str(source), "DATA")]
    stripped = spec_helpers.strip_symbols(toc, tmp_path)
    assert stripped[1:] == toc[1:]  # numpy's patchelf-ed OpenBLAS breaks when stripped
    dest, copy, kind = stripped[0]
    assert (dest, kind) == ("torch/lib/libtorch_python.so", "BINARY")
    assert Path(copy).is_relative_to(tmp_path) and Path(copy).stat().st_size <= source.stat().st_size
    sections = subprocess.run(["readelf", "-S", "-W", copy], capture_output=True, text=True,
                              check=True).stdout
    assert ".symtab" not in sections and ".dynsym" in sections


@pytest.fixture
def small_app(tmp_path) -> Path:
    """A one-folder app in the shape PyInstaller makes: an executable and _internal/."""
    app = tmp_path / "polyphony"
    (app / "_internal").mkdir(parents=True)
    (app / "_internal" / "data.txt").write_text("bundled data\n")
    program = app / "polyphony"
    program.write_text("#!/bin/sh\necho \"polyphony ran from $(dirname \"$(readlink -f \"$0\")\")\"\n")
    program.chmod(0o755)
    return app


def _make_deb(app: Path, tmp_path: Path) -> tuple[Path, Path, str]:
    out, stage = tmp_path / "out", tmp_path / "stage"
    env = dict(os.environ, OUT_DIR=str(out), STAGE_DIR=str(stage), DEB_LEVEL="1")
    done = subprocess.run(["bash", str(PACKAGING / "make-deb.sh"), str(app)], env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (deb,) = out.glob("polyphony_*.deb")
    (tarball,) = out.glob("polyphony-*-linux-*.tar.gz")
    return deb, tarball, done.stdout


@linux_only
@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs dpkg-deb")
def test_make_deb_installs_under_opt_with_a_command_menu_entry_and_depends(small_app, tmp_path):
    deb, _tarball, _out = _make_deb(small_app, tmp_path)
    fields = subprocess.run(["dpkg-deb", "-f", str(deb), "Package", "Depends", "Installed-Size"],
                            capture_output=True, text=True, check=True).stdout
    assert "Package: polyphony" in fields
    depends = fields.split("Depends: ", 1)[1].split("\n", 1)[0]
    assert depends.split(", ") == deb_depends.package_names(DEPENDS_FILE.read_text())
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    assert "root/root" in listing and "./opt/polyphony/_internal/data.txt" in listing
    assert "./usr/bin/polyphony -> ../../opt/polyphony/polyphony" in listing
    for path in ("./usr/share/applications/polyphony.desktop",
                 "./usr/share/icons/hicolor/scalable/apps/polyphony.svg",
                 "./usr/share/icons/hicolor/256x256/apps/polyphony.png"):
        assert path in listing, path
    # No maintainer scripts: dpkg alone removes every file it installed.
    control = subprocess.run(["dpkg-deb", "-I", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    assert not any(script in control for script in ("postinst", "prerm", "postrm", "preinst"))
    # Unpacked, the command on PATH runs the app in /opt.
    unpacked = tmp_path / "unpacked"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    ran = subprocess.run([str(unpacked / "usr" / "bin" / "polyphony")], capture_output=True,
                         text=True, check=True).stdout
    assert ran.strip() == f"polyphony ran from {unpacked / 'opt' / 'polyphony'}"
    entry = (unpacked / "usr/share/applications/polyphony.desktop").read_text()
    assert "\nExec=polyphony\n" in entry and "\nIcon=polyphony\n" in entry


@linux_only
@pytest.mark.skipif(not shutil.which("dpkg-deb"), reason="needs dpkg-deb")
def test_tarball_carries_the_folder_and_the_same_package_list(small_app, tmp_path):
    _deb, tarball, _out = _make_deb(small_app, tmp_path)
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        readme = archive.extractfile("polyphony/README-linux.txt").read().decode()
    assert "polyphony/polyphony" in names and "polyphony/_internal/data.txt" in names
    bare_names = [name.split(" ")[0] for name in deb_depends.package_names(DEPENDS_FILE.read_text())]
    apt_line = next(line for line in readme.splitlines() if "sudo apt install" in line)
    assert apt_line.split("sudo apt install ", 1)[1].split() == bare_names


def test_make_deb_refuses_a_folder_without_the_app(tmp_path):
    done = subprocess.run(["bash", str(PACKAGING / "make-deb.sh"), str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "is not an app" in done.stderr


@pytest.mark.parametrize("script", ["scripts/setup.sh", "scripts/bare-root.sh",
                                    "scripts/test-fresh-machine.sh", "packaging/make-deb.sh",
                                    "packaging/test-bare.sh"])
def test_shell_scripts_parse(script):
    done = subprocess.run(["bash", "-n", str(REPO_ROOT / script)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
