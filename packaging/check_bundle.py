"""Check a built one-folder app for libraries it needs but does not carry.

    python packaging/check_bundle.py dist/polyphony

Linux only (it uses ldd). Runs ldd on every ELF file in the folder and
reports (1) dependencies found nowhere, which break whatever loads that file
(exit 1); (2) symbolic links whose target the spec's filters removed; and (3)
the system libraries the bundle expects the target machine to provide, with
the Debian packages that hold them, for packaging/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ELF_MAGIC = b"\x7fELF"
LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as handle:
            if handle.read(4) == ELF_MAGIC:
                found.append(path)
    return sorted(found)


def ldd(path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """{soname: resolved path or 'not found'} for one ELF file."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=False,
                         env=env).stdout
    deps = {}
    for line in out.splitlines():
        match = LDD_LINE.match(line)
        if match:
            deps[match.group(1)] = match.group(2)
    return deps


def check(folder: Path) -> tuple[dict[str, list[str]], list[str], dict[str, set[str]]]:
    folder = folder.resolve()
    missing: dict[str, list[str]] = defaultdict(list)
    system: dict[str, set[str]] = defaultdict(set)
    # Libraries at the bundle's top level are found through the loader's
    # search path set by the bootloader (LD_LIBRARY_PATH), not by RPATH.
    env = dict(os.environ, LD_LIBRARY_PATH=str(folder / "_internal"))
    for path in elf_files(folder):
        for soname, where in ldd(path, env).items():
            rel = str(path.relative_to(folder))
            if where == "not found":
                missing[soname].append(rel)
            elif not Path(where).resolve().is_relative_to(folder):
                system[where].add(rel)
    dangling = [str(p.relative_to(folder)) for p in folder.rglob("*")
                if p.is_symlink() and not p.exists()]
    return missing, sorted(dangling), system


def debian_packages(libraries: list[str]) -> dict[str, str]:
    """{library path: Debian package} where dpkg knows it."""
    owners = {}
    for lib in libraries:
        for candidate in {lib, str(Path(lib).resolve())}:
            out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                                 check=False).stdout
            if out:
                owners[lib] = out.split(":")[0]
                break
    return owners


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--packages", action="store_true",
                        help="also list the system libraries used and their Debian packages")
    args = parser.parse_args(argv)
    if not sys.platform.startswith("linux"):
        print("check_bundle: Linux only (uses ldd); skipped")
        return 0
    missing, dangling, system = check(args.folder)
    if args.packages:
        owners = debian_packages(sorted(system)) if shutil_which("dpkg") else {}
        print("system libraries the bundle uses (library: package):")
        for lib in sorted(system):
            print(f"  {lib}: {owners.get(lib, '?')}")
        print("Debian packages:", " ".join(sorted(set(owners.values()))))
    for link in dangling:
        print(f"check_bundle: note: link to a dropped file: {link}")
    for soname, users in sorted(missing.items()):
        print(f"check_bundle: MISSING {soname}, needed by {len(users)} file(s): "
              + ", ".join(users[:4]) + (" ..." if len(users) > 4 else ""))
    return 1 if missing else 0


def shutil_which(name: str) -> bool:
    import shutil

    return shutil.which(name) is not None


if __name__ == "__main__":
    sys.exit(main())
