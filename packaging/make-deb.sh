#!/usr/bin/env bash
# Wrap the built one-folder app (dist/polyphony, from packaging/build.sh) as
#   dist/polyphony_VERSION_amd64.deb              Debian/Ubuntu: apt install ./polyphony_*.deb
#   dist/polyphony-VERSION-linux-x86_64.tar.gz    other distributions: unpack and run
#
#   bash packaging/make-deb.sh [APP_FOLDER]        default: dist/polyphony
#   DEB_COMPRESSION=xz DEB_LEVEL=9 (the defaults; dpkg-deb's -Z and -z)
#   OUT_DIR=dist STAGE_DIR=build/deb (the defaults: where the packages and
#   the staging tree go; the tests point them elsewhere)
#
# The .deb installs the folder as /opt/polyphony, a `polyphony` command in
# /usr/bin, the desktop entry in /usr/share/applications and the icons in
# /usr/share/icons/hicolor (dpkg's triggers refresh the menus and icon caches:
# no maintainer scripts, so removing the package removes every file).
# Depends: the list in packaging/debian-depends.txt, which
# packaging/deb_depends.py finds with ldd inside a bare Debian 12 root and
# packaging/test-bare.sh checks. Only dpkg-deb is needed (no other tool).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
APP="$(cd "${1:-dist/polyphony}" 2>/dev/null && pwd)" \
    || { echo "make-deb: no app folder at ${1:-dist/polyphony}; run: bash packaging/build.sh" >&2; exit 2; }
[ -x "$APP/polyphony" ] || { echo "make-deb: $APP/polyphony is not an app" >&2; exit 2; }
command -v dpkg-deb >/dev/null || { echo "make-deb: dpkg-deb is missing (Debian/Ubuntu: dpkg)" >&2; exit 2; }
DEPENDS_FILE="$ROOT/packaging/debian-depends.txt"
OUT="${OUT_DIR:-$ROOT/dist}"
STAGE="${STAGE_DIR:-$ROOT/build/deb}"

version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' pyproject.toml | head -n 1)"
arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
depends="$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$DEPENDS_FILE" | paste -sd, - | sed 's/,/, /g')"
[ -n "$depends" ] || { echo "make-deb: no packages in $DEPENDS_FILE" >&2; exit 2; }

stage="$STAGE/polyphony_${version}_$arch"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
         "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/icons/hicolor/256x256/apps" \
         "$stage/usr/share/doc/polyphony"
# Hard links when possible: the staging copy costs no space or time.
cp -al "$APP" "$stage/opt/polyphony" 2>/dev/null || cp -a "$APP" "$stage/opt/polyphony"
ln -s ../../opt/polyphony/polyphony "$stage/usr/bin/polyphony"
sed -e 's|^Exec=.*|Exec=polyphony|' -e 's|^TryExec=.*|TryExec=polyphony|' \
    -e '/^# packaging\/install-linux.sh/d' resources/polyphony.desktop \
    > "$stage/usr/share/applications/polyphony.desktop"
cp resources/icons/polyphony.svg "$stage/usr/share/icons/hicolor/scalable/apps/"
cp resources/icons/polyphony.png "$stage/usr/share/icons/hicolor/256x256/apps/"
cat > "$stage/usr/share/doc/polyphony/copyright" <<'EOF'
Polyphony: MIT license (see the project's pyproject.toml).
/opt/polyphony bundles, each under its own license: CPython (PSF), PyTorch
(BSD-3-Clause), Qt 6 and PySide6 (LGPL-3.0), pyqtgraph (MIT), NumPy (BSD),
pretty_midi (MIT) with the TimGM6mb soundfont (GPL-2), FluidSynth (LGPL-2.1)
and the libraries they link against.
EOF
installed_kib="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: polyphony
Version: $version
Architecture: $arch
Maintainer: Polyphony developers <polyphony@example.invalid>
Installed-Size: $installed_kib
Depends: $depends
Section: sound
Priority: optional
Description: desktop studio for training music GANs
 Train an accompaniment U-Net (melody in, three voices out) or a MuseGAN on
 Bach chorales, string quartets or your own MIDI files, watch the losses and
 a similarity index live, and listen to what the model wrote at each epoch.
 Runs on the CPU or an NVIDIA GPU; offline. Self-contained in /opt/polyphony.
EOF

deb="$OUT/polyphony_${version}_$arch.deb"
mkdir -p "$OUT"
t0=$SECONDS
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" -z"${DEB_LEVEL:-9}" --build "$stage" "$deb" >/dev/null
deb_s=$((SECONDS - t0))

# The same folder for other distributions, with the same list of system packages.
tarball="$OUT/polyphony-$version-linux-$(uname -m).tar.gz"
readme="$STAGE/README-linux.txt"
{
    echo "Polyphony $version: a one-folder app for Linux $(uname -m) (glibc and X11 or Wayland)."
    echo
    echo "Run polyphony/polyphony (nothing to install: copy the folder anywhere);"
    echo "polyphony/polyphony --self-test checks that this machine has what it needs."
    echo
    echo "It needs these system libraries (Debian/Ubuntu package names; other"
    echo "distributions call them alike). On Debian/Ubuntu prefer the .deb, which installs them:"
    echo
    sed -e '/^#/d' -e 's/^/    /' "$DEPENDS_FILE"
    echo
    echo "    sudo apt install $(sed -e 's/#.*//' -e 's/ *(.*//' -e '/^$/d' "$DEPENDS_FILE" | xargs)"
} > "$readme"
t1=$SECONDS
tar -C "$(dirname "$APP")" -czf "$tarball" --owner=0 --group=0 \
    --transform "s|^$(basename "$APP")|polyphony|" --transform "s|^README-linux.txt|polyphony/README-linux.txt|" \
    "$(basename "$APP")" -C "$(dirname "$readme")" README-linux.txt
tar_s=$((SECONDS - t1))

echo "make-deb: $deb: $(du -m "$deb" | cut -f1) MiB ($(stat -c %s "$deb") bytes), installed $((installed_kib / 1024)) MiB, ${deb_s} s"
echo "make-deb: $tarball: $(du -m "$tarball" | cut -f1) MiB, ${tar_s} s"
echo "make-deb: Depends: $depends"
