#!/usr/bin/env bash
# A minimal Debian 12 root ("a machine that has nothing"), cached between runs.
# Shared by scripts/test-fresh-machine.sh (the README's commands on a fresh
# machine) and packaging/test-bare.sh (the .deb on a bare machine).
#
#   bash scripts/bare-root.sh cache            build the cache if it is missing
#   bash scripts/bare-root.sh make DIR         DIR := a fresh copy of the cached root
#   bash scripts/bare-root.sh run DIR [--user NAME] [--env K=V]... [--x11] -- CMD...
#                                              run CMD inside DIR (as root or NAME)
#   bash scripts/bare-root.sh clean-cache      delete the cache
#
# The cache is `debootstrap --variant=minbase bookworm` (about 200 MB) in
# $POLYPHONY_BARE_CACHE (default /var/cache/polyphony-bare), kept outside the
# repository; it is rebuilt when missing or when an earlier build was cut short.
# `make` copies it and gives the copy what this machine needs to reach the
# package registries: its apt sources and apt.conf.d settings, its pip
# configuration (the local index folders it names are bind-mounted read-only by
# `run`), its extra CA certificates (installed into the root's trust store when
# the root installs ca-certificates), DNS and /etc/hosts. Nothing else.
#
# `run` works in a private mount namespace (unshare -m): /proc, /dev, /sys and
# the pip folders are mounted for CMD only and vanish when it ends. The
# environment inside is clean (PATH, HOME, USER, LANG, plus --env values);
# --x11 also shares the host's /tmp/.X11-unix so an X server started on the
# host (Xvfb) can be reached. Needs root, debootstrap, unshare and chroot.
set -euo pipefail

CACHE="${POLYPHONY_BARE_CACHE:-/var/cache/polyphony-bare}"
SUITE=bookworm
MIRROR="${POLYPHONY_BARE_MIRROR:-http://deb.debian.org/debian}"

die() { echo "bare-root: $*" >&2; exit 2; }
need_root() { [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"; }

build_cache() {
    need_root
    [ -f "$CACHE/.complete" ] && return 0
    command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
    echo "bare-root: building the cache: debootstrap --variant=minbase $SUITE in $CACHE/root"
    rm -rf "$CACHE/root"
    mkdir -p "$CACHE"
    local t0=$SECONDS
    nice -n 10 debootstrap --variant=minbase "$SUITE" "$CACHE/root" "$MIRROR" \
        > "$CACHE/debootstrap.log" 2>&1 \
        || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    # The downloaded .deb files are not part of a machine.
    rm -f "$CACHE/root/var/cache/apt/archives/"*.deb
    echo "$((SECONDS - t0))" > "$CACHE/build-seconds"
    touch "$CACHE/.complete"
    echo "bare-root: cache ready in $((SECONDS - t0)) s ($(du -sh "$CACHE/root" | cut -f1))"
}

# pip's configuration on this machine as one [global] section: `pip config
# list` prints every file's and environment variable's settings.
host_pip_conf() {
    local pip_cmd
    pip_cmd="$(command -v pip3 || command -v pip || true)"
    [ -n "$pip_cmd" ] || return 0
    echo "[global]"
    "$pip_cmd" config list 2>/dev/null | sed -n "s/^[^.]*\.\([a-z-]*\)='\(.*\)'$/\1 = \2/p" \
        | awk -F' = ' '{ value[$1] = $0 } END { for (k in value) print value[k] }'
}

# Local folders and files that the pip configuration names (for a local
# index, .../simple, the folder above it: its pages link to files beside it).
pip_local_paths() {
    grep -oE '(file://)?/[^ ]+' "$1/etc/pip.conf" 2>/dev/null \
        | sed -e 's|^file://||' -e 's|/*$||' -e 's|/simple$||' | sort -u
}

make_root() {
    need_root
    local dir="$1"
    build_cache
    case "$dir" in /|/usr*|/etc*|/var|/home|"$CACHE"*) die "refusing to use $dir" ;; esac
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    cp -a "$CACHE/root" "$dir"
    # apt: this machine's sources and settings (its mirror needs them).
    rm -f "$dir/etc/apt/sources.list"
    : > "$dir/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
    [ -s /etc/apt/sources.list ] && cp /etc/apt/sources.list "$dir/etc/apt/sources.list"
    cp /etc/apt/apt.conf.d/99* "$dir/etc/apt/apt.conf.d/" 2>/dev/null || true
    # The extra CA certificates: ca-certificates' postinst adds them to the
    # trust store when the root installs that package.
    mkdir -p "$dir/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/* "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
    host_pip_conf > "$dir/etc/pip.conf"
    local path
    for path in $(pip_local_paths "$dir"); do
        # Small files (a constraints file) are copied; folders are mounted by `run`.
        if [ -f "$path" ] && [ "$path" != /etc/ssl/certs/ca-certificates.crt ]; then
            mkdir -p "$dir$(dirname "$path")"
            cp "$path" "$dir$path"
        fi
    done
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    cp /etc/hosts "$dir/etc/hosts"
    echo "bare-root: fresh root in $dir"
}

run_in_root() {
    need_root
    local dir="$1"; shift
    local user="" x11=0
    local envs=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "LANG=C.UTF-8"
                "TERM=${TERM:-dumb}")
    while [ $# -gt 0 ]; do
        case "$1" in
            --user) user="$2"; shift 2 ;;
            --env) envs+=("$2"); shift 2 ;;
            --x11) x11=1; shift ;;
            --) shift; break ;;
            *) die "run: unknown option $1" ;;
        esac
    done
    [ $# -gt 0 ] || die "run: no command"
    [ -x "$dir/bin/sh" ] || die "run: $dir is not a root made by 'make'"
    if [ -n "$user" ]; then
        local home
        home="$(awk -F: -v u="$user" '$1 == u { print $6 }' "$dir/etc/passwd")"
        [ -n "$home" ] || die "run: no user $user in $dir"
        envs+=("HOME=$home" "USER=$user" "LOGNAME=$user")
    else
        envs+=("HOME=/root" "USER=root" "LOGNAME=root")
    fi
    local mounts="mount -t proc proc '$dir/proc' && mount --rbind /dev '$dir/dev'"
    mounts="$mounts && mount --rbind /sys '$dir/sys'"
    local path
    for path in $(pip_local_paths "$dir"); do
        [ -d "$path" ] || continue
        mkdir -p "$dir$path"
        mounts="$mounts && mount --bind '$path' '$dir$path' && mount -o remount,bind,ro '$dir$path'"
    done
    if [ "$x11" = 1 ]; then
        mkdir -p "$dir/tmp/.X11-unix"
        mounts="$mounts && mount --bind /tmp/.X11-unix '$dir/tmp/.X11-unix'"
    fi
    local enter=(chroot)
    [ -n "$user" ] && enter=(chroot "--userspec=$user:$user")
    unshare -m --propagation private sh -c "$mounts && exec \"\$@\"" sh \
        "${enter[@]}" "$dir" /usr/bin/env -i "${envs[@]}" "$@"
}

case "${1:-}" in
    cache) build_cache ;;
    make) [ $# = 2 ] || die "usage: make DIR"; make_root "$2" ;;
    run) [ $# -ge 3 ] || die "usage: run DIR [--user NAME] [--env K=V]... [--x11] -- CMD..."
         shift; run_in_root "$@" ;;
    clean-cache) need_root; rm -rf "$CACHE"; echo "bare-root: removed $CACHE" ;;
    *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
