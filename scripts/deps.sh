#!/usr/bin/env bash
# Installs the Debian packages nstack needs, only those missing.
#   scripts/deps.sh build   — to build and run the demo
#   scripts/deps.sh test    — also what the tests use (tshark, clang for fuzzing)
#   scripts/deps.sh build PKG...  — also the Debian packages named after it
#                                   (scripts/bench.sh: lwIP, valgrind, ...)
set -euo pipefail
# libssl-dev: libcrypto, which nstack connect and serve use for SHA-256.
# libwslay-dev: WebSocket framing (src/app/ws.c).
# libnghttp2-dev: HTTP/2 framing and HPACK (src/app/h2_*.c).
want=(cmake gcc make ninja-build libc6-dev pkg-config libssl-dev libwslay-dev libnghttp2-dev)
set_name=${1:-build}
[ $# -gt 0 ] && shift
if [ "$set_name" = test ]; then
  want+=(tshark clang libclang-rt-14-dev python3 iproute2 liblwip-dev)
  # The interop tests (tests/interop/): Linux peers over a TAP.
  want+=(iputils-ping netcat-openbsd socat curl openssl ethtool)
  # nstack router (tests/interop/test_router.sh): Linux traceroute through it.
  want+=(traceroute)
  # IPv6 interop (tests/interop/test_ip6_slaac.sh): a Linux router advertising.
  want+=(radvd)
  # The HTTP interop tests: load from ab (apache2-utils) and wrk, bounded.
  want+=(apache2-utils wrk)
  # The adversarial tests (tests/adversarial/): crafted frames.
  want+=(python3-scapy)
  # The HTTP/1.1 differential test (tests/diff/): h11 and llhttp's C
  # sources as oracles.
  want+=(python3-h11 node-llhttp)
  # WebSocket interop (tests/interop/test_ws_*.sh): a Python peer.
  want+=(python3-websockets)
  # HTTP/2 interop (tests/interop/test_h2_*.sh): nghttp, h2load, nghttpd.
  want+=(nghttp2-client nghttp2-server)
  # A real browser: against nstack's WebSocket server
  # (tests/interop/test_ws_browser.sh) and on the demo's HTML report
  # (tests/cli/test_demo_report.sh).
  want+=(chromium)
  # The AF_XDP link driver (src/link/xdp.c, built only with them) and its
  # interop test: libxdp/libbpf, clang -target bpf (above), xdp-loader.
  want+=(libxdp-dev libbpf-dev xdp-tools)
fi
want+=("$@")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nstack: missing Debian packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "nstack: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
