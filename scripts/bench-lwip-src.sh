#!/usr/bin/env bash
# Fetches lwIP's source as Debian packages it (the `lwip` source package,
# 2.1.3 with Debian's patches) into a build directory, for the benchmark's
# own build of lwIP (bench/CMakeLists.txt, bench/lwip/lwipopts.h). Nothing
# of lwIP's is ever committed: the source lives under the build directory.
#
#   bench-lwip-src.sh DIR     unpacks into DIR/lwip-<version>/ and prints that path
#
# Needs a deb-src entry for Debian's main archive; as root it adds one
# (/etc/apt/sources.list.d/nstack-bench-src.sources, from the deb entry's
# URIs and suite) if apt has none. Exits non-zero if no source is reachable.
set -euo pipefail
dir=$1
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The unpacked tree, if there is one: DIR/lwip-*/src/core/tcp.c.
unpacked() { local f; for f in "$dir"/lwip-*/src/core/tcp.c; do [ -f "$f" ] && { echo "${f%/src/core/tcp.c}"; return 0; }; done; return 1; }
unpacked && exit 0

have_src() { apt-cache showsrc lwip 2>/dev/null | grep -q '^Package: lwip'; }
if ! have_src; then
  if [ "$(id -u)" = 0 ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    # The first deb entry of Debian's archive (not -security), as deb-src.
    uris=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    suite=$(awk '/^Suites:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    if [ -n "$uris" ] && [ -n "$suite" ]; then
      printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uris" "$suite" >/etc/apt/sources.list.d/nstack-bench-src.sources
      apt-get update -qq >&2 || true
    fi
  fi
fi
have_src || { echo "bench-lwip-src: no deb-src entry gives the lwip source package" >&2; exit 1; }
command -v dpkg-source >/dev/null || { echo "bench-lwip-src: dpkg-source (dpkg-dev) missing" >&2; exit 1; }

cd "$dir"
# --download-only, then unpacked here: apt-get source would run as _apt.
apt-get source --download-only lwip >&2 2>&1
dsc=$(ls -t lwip_*.dsc | head -1)
dpkg-source -x "$dsc" >&2
unpacked || { echo "bench-lwip-src: unpacked, but no src/core/tcp.c" >&2; exit 1; }
