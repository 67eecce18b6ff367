#!/usr/bin/env bash
# Put the built app in this user's application menu (Linux, freedesktop).
#
#   bash packaging/install-linux.sh [APP_FOLDER]     default: dist/polyphony
#   bash packaging/install-linux.sh --uninstall
#
# Writes ~/.local/share/applications/polyphony.desktop (from
# resources/polyphony.desktop, with Exec pointing at APP_FOLDER/polyphony) and
# the icon under ~/.local/share/icons/hicolor. The app folder stays where it
# is: move it first (for example to ~/.local/opt/polyphony) if dist/ is not
# its home. XDG_DATA_HOME is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
entry="$data_home/applications/polyphony.desktop"
svg_icon="$data_home/icons/hicolor/scalable/apps/polyphony.svg"
png_icon="$data_home/icons/hicolor/256x256/apps/polyphony.png"

refresh() {
    command -v update-desktop-database >/dev/null && update-desktop-database -q "$data_home/applications" || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data_home/icons/hicolor" 2>/dev/null || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$entry" "$svg_icon" "$png_icon"
    refresh
    echo "install-linux: removed $entry and the icons"
    exit 0
fi

folder="$(cd "${1:-dist/polyphony}" 2>/dev/null && pwd)" || {
    echo "install-linux: no app folder at ${1:-dist/polyphony}; build it first: bash packaging/build.sh" >&2
    exit 2; }
binary="$folder/polyphony"
[ -x "$binary" ] || { echo "install-linux: $binary is not an executable app" >&2; exit 2; }
case "$binary" in
    *[[:space:]\"\'\\\$\`]*) echo "install-linux: move the app to a path without spaces or quotes first: $binary" >&2; exit 2 ;;
esac

mkdir -p "$(dirname "$entry")" "$(dirname "$svg_icon")"
sed -e "s|^Exec=.*|Exec=$binary|" -e "s|^TryExec=.*|TryExec=$binary|" \
    -e '/^# packaging\/install-linux.sh/d' resources/polyphony.desktop > "$entry"
cp resources/icons/polyphony.svg "$svg_icon"
if [ -f resources/icons/polyphony.png ]; then
    mkdir -p "$(dirname "$png_icon")"
    cp resources/icons/polyphony.png "$png_icon"
fi
refresh
echo "install-linux: Polyphony is in the application menu ($entry -> $binary)"
