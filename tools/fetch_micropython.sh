#!/usr/bin/env bash
# Put MicroPython v1.26.1 source at $1 (default build/micropython).
# Order: $MICROPYTHON_SRC, Debian's source package (mirror taken from this
# machine's apt configuration), then a git clone of the v1.26.1 tag.
set -euo pipefail
DEST=${1:-build/micropython}
MP_VERSION=1.26.1
DEB_VERSION=1.26.1+ds-1
mkdir -p "$(dirname "$DEST")"
DEST_ABS=$(cd "$(dirname "$DEST")" && pwd)/$(basename "$DEST")
WORK=$(dirname "$DEST_ABS")/src-download

check_tree() {
    [ -f "$1/py/mpconfig.h" ] && grep -Eq "define MICROPY_VERSION_MINOR \(?26\)?\b" "$1/py/mpconfig.h"
}

if [ -e "$DEST_ABS/py/mpconfig.h" ]; then
    check_tree "$DEST_ABS" || { echo "error: $DEST_ABS is not MicroPython v$MP_VERSION" >&2; exit 1; }
    exit 0
fi

if [ -n "${MICROPYTHON_SRC:-}" ]; then
    check_tree "$MICROPYTHON_SRC" || { echo "error: MICROPYTHON_SRC=$MICROPYTHON_SRC is not a MicroPython v$MP_VERSION tree" >&2; exit 1; }
    ln -sfn "$(cd "$MICROPYTHON_SRC" && pwd)" "$DEST_ABS"
    echo "using MICROPYTHON_SRC=$MICROPYTHON_SRC"
    exit 0
fi

debian_mirror() {
    # First http(s) Debian archive URI in the machine's apt sources.
    { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
      grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
    } | grep -E '^https?://.*/debian/?$' | head -n 1
}

try_debian() {
    command -v apt-get >/dev/null || return 1
    local mirror; mirror=$(debian_mirror) || true
    [ -n "$mirror" ] || { echo "no Debian mirror in apt configuration" >&2; return 1; }
    local apt="$WORK/apt"
    mkdir -p "$apt/lists/partial" "$apt/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" > "$apt/sources.list"
    # A private apt state: the machine's own sources and lists stay untouched.
    local opts=(-o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o Dir::State::Lists="$apt/lists" -o Dir::Cache::Archives="$apt/archives"
                -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
    apt-get "${opts[@]}" -qq update || return 1
    (cd "$WORK" && apt-get "${opts[@]}" -qq source --download-only "micropython=$DEB_VERSION") || return 1
    local tarball="$WORK/micropython_${MP_VERSION}+ds.orig.tar.xz"
    [ -f "$tarball" ] || return 1
    rm -rf "$WORK/x" && mkdir -p "$WORK/x"
    tar -xJf "$tarball" -C "$WORK/x"
    mv "$WORK/x/micropython-$MP_VERSION" "$DEST_ABS"
    echo "source: Debian micropython $DEB_VERSION from $mirror"
}

try_git() {
    command -v git >/dev/null || return 1
    git clone --depth 1 --branch "v$MP_VERSION" https://github.com/micropython/micropython.git "$DEST_ABS"
}

mkdir -p "$WORK"
try_debian || try_git || {
    echo "error: could not get MicroPython v$MP_VERSION source (tried Debian source package and git)." >&2
    echo "       Download it yourself and run again with MICROPYTHON_SRC=/path/to/micropython" >&2
    exit 1
}
check_tree "$DEST_ABS"
