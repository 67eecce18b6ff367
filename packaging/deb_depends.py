"""Find the Debian packages a built one-folder app needs from the system.

    python packaging/deb_depends.py dist/polyphony --root /var/tmp/bare/root \\
        [--write packaging/debian-depends.txt | --check packaging/debian-depends.txt]

Linux only, as root (it works inside a root made by scripts/bare-root.sh).
For every ELF file of the bundle it takes the libraries the file itself links
against (`readelf -d`, NEEDED) and asks `ldd`, run inside the bare Debian root
with the bundle copied there, where each one resolves. A library found inside
the bundle is the bundle's own; one found in the bare system belongs to a
package every Debian has (dpkg -S inside the root tells which); one found
nowhere is what the bare system lacks, and this machine's dpkg -S names its
package. The result, with the few run-time needs that no file links against
(EXTRA_DEPENDS), is the .deb's `Depends:` list (packaging/make-deb.sh reads
the file). --check exits 1 when the file differs from what the bundle needs.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_bundle import elf_files

REPO_ROOT = Path(__file__).resolve().parent.parent
BARE_ROOT_SCRIPT = REPO_ROOT / "scripts" / "bare-root.sh"
PROBE_DIR = "/opt/polyphony-probe"  # where the bundle is copied inside the root

# Run-time needs no ELF file links against. Qt finds fonts through
# fontconfig's configuration in /etc/fonts; a bare system has neither the
# configuration nor a single font, and every label is then blank.
EXTRA_DEPENDS = {
    "fontconfig-config": "not linked: /etc/fonts, the configuration the bundled fontconfig reads",
    "fonts-dejavu-core": "not linked: Qt draws every label with a system font; a bare system has none",
}

NEEDED_LINE = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(not found|\S+)")
GLIBC_VERSION = re.compile(r"Name: GLIBC_(\d+)\.(\d+)")


def needed_sonames(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", "--wide", str(path)], capture_output=True, text=True,
                         check=False).stdout
    return NEEDED_LINE.findall(out)


def glibc_floor(paths: list[Path]) -> tuple[int, int]:
    """The newest GLIBC_x.y symbol version any file asks for."""
    best = (2, 0)
    for path in paths:
        out = subprocess.run(["readelf", "-V", "--wide", str(path)], capture_output=True,
                             text=True, check=False).stdout
        for major, minor in GLIBC_VERSION.findall(out):
            best = max(best, (int(major), int(minor)))
    return best


def parse_ldd_dump(text: str) -> dict[str, dict[str, str]]:
    """{file: {soname: resolved path or 'not found'}} from '== FILE' + ldd blocks."""
    result: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:]
            result[current] = {}
        elif current is not None and (match := LDD_LINE.match(line)):
            result[current][match.group(1)] = match.group(2)
    return result


def external_needs(needed: dict[str, list[str]], resolved: dict[str, dict[str, str]],
                   bundle_prefix: str) -> dict[str, tuple[str, list[str]]]:
    """{soname: (where in the bare system or 'not found', files needing it)} for
    the libraries the bundle's files link against directly and do not carry."""
    found: dict[str, str] = {}
    users: dict[str, list[str]] = defaultdict(list)
    for rel, sonames in needed.items():
        where_by_name = resolved.get(f"{bundle_prefix}/{rel}", {})
        for soname in sonames:
            where = where_by_name.get(soname)
            if where is None and soname.startswith("ld-linux"):
                where = "/lib64/" + soname  # the loader: ldd prints it without "=>"
            if where is None or where.startswith(bundle_prefix + "/"):
                continue
            found[soname] = where
            users[soname].append(rel)
    return {soname: (found[soname], sorted(users[soname])) for soname in sorted(found)}


def run_in_root(root: Path, script: str, stdin: str = "", env: tuple[str, ...] = ()) -> str:
    command = ["bash", str(BARE_ROOT_SCRIPT), "run", str(root)]
    for item in env:
        command += ["--env", item]
    command += ["--", "sh", "-c", script]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, check=False)
    return done.stdout


def dpkg_owners(paths: list[str], root: Path | None) -> dict[str, str]:
    """{path: package} by `dpkg -S`, inside the bare root or on this machine."""
    owners = {}
    for path in paths:
        candidates = [path, str(Path(path).resolve())] if root is None else [path]
        if path.startswith("/lib/"):
            candidates.append("/usr" + path)
        for candidate in candidates:
            if root is None:
                out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True,
                                     check=False).stdout
            else:
                out = run_in_root(root, f"dpkg -S '{candidate}' 2>/dev/null || true")
            if out.strip():
                owners[path] = out.split(":")[0].strip()
                break
    return owners


def host_library_path(soname: str) -> str | None:
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True,
                         check=False).stdout
    for line in out.splitlines():
        match = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if match and match.group(1) == soname and "x86-64" in match.group(2):
            return match.group(3)
    return None


def copy_into_root(app: Path, root: Path) -> None:
    target = root / PROBE_DIR.lstrip("/")
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hard links when the root is on the same file system (no 750 MB copy).
    linked = subprocess.run(["cp", "-al", str(app), str(target)], capture_output=True, check=False)
    if linked.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["cp", "-a", str(app), str(target)], check=True)


def depends_lines(app: Path, root: Path) -> list[str]:
    app = app.resolve()
    files = elf_files(app)
    needed = {str(p.relative_to(app)): needed_sonames(p) for p in files}
    copy_into_root(app, root)
    try:
        listing = "".join(f"{PROBE_DIR}/{rel}\n" for rel in needed)
        dump = run_in_root(root, 'while read -r f; do echo "== $f"; ldd "$f" 2>&1; done',
                           stdin=listing, env=(f"LD_LIBRARY_PATH={PROBE_DIR}/_internal",))
    finally:
        shutil.rmtree(root / PROBE_DIR.lstrip("/"), ignore_errors=True)
    needs = external_needs(needed, parse_ldd_dump(dump), PROBE_DIR)
    in_root = dpkg_owners([w for w, _ in needs.values() if w != "not found"], root)
    lacking = {s: host_library_path(s) for s, (w, _) in needs.items() if w == "not found"}
    unknown = [s for s, path in lacking.items() if path is None]
    if unknown:
        raise SystemExit(f"deb_depends: no library on this machine for {', '.join(unknown)}: "
                         "install it here so its package can be named")
    on_host = dpkg_owners([p for p in lacking.values() if p], None)
    packages: dict[str, list[str]] = defaultdict(list)
    for soname, (where, users) in needs.items():
        package = in_root.get(where) if where != "not found" else on_host.get(lacking[soname] or "")
        if package is None:
            raise SystemExit(f"deb_depends: no Debian package owns {soname} ({where})")
        packages[package.split(":")[0]].append(f"{soname} ({users[0]}"
                                              + (f" +{len(users) - 1}" if len(users) > 1 else "") + ")")
    major, minor = glibc_floor(files)
    lines = []
    for package in sorted(packages):
        name = f"libc6 (>= {major}.{minor})" if package == "libc6" else package
        lines.append(f"{name}  # {', '.join(packages[package])}")
    lines += [f"{package}  # {why}" for package, why in EXTRA_DEPENDS.items()]
    return lines


HEADER = """\
# Debian packages the one-folder app (dist/polyphony) needs from the system:
# the .deb's Depends (packaging/make-deb.sh) and the list in the .tar.gz's README.
# Generated by packaging/deb_depends.py (readelf NEEDED + ldd inside a bare
# Debian 12 root); packaging/test-bare.sh fails when the bundle needs another list.
# package  # the libraries it provides to the bundle (first file needing each)
"""


def package_names(text: str) -> list[str]:
    """The Depends entries of a depends file (comments stripped)."""
    return [line.split("#", 1)[0].strip() for line in text.splitlines()
            if line.split("#", 1)[0].strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", type=Path)
    parser.add_argument("--root", type=Path, required=True, help="a root made by scripts/bare-root.sh make")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path)
    group.add_argument("--check", type=Path)
    args = parser.parse_args(argv)
    text = HEADER + "\n".join(depends_lines(args.app, args.root)) + "\n"
    if args.write:
        args.write.write_text(text)
        print(f"deb_depends: wrote {args.write}")
    if args.check:
        old = package_names(args.check.read_text()) if args.check.exists() else []
        new = package_names(text)
        if old != new:
            print(f"deb_depends: {args.check} is out of date; the bundle needs:\n{text}"
                  f"(was: {', '.join(old)})", file=sys.stderr)
            return 1
        print(f"deb_depends: {args.check} matches the bundle ({len(new)} packages)")
    if not args.write and not args.check:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
