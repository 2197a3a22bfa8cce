# nstack as an installed library: `cmake --install` into a temporary
# prefix, then the examples (examples/*.c) compiled against the *installed*
# package only (pkg-config nstack / nstack-app; and a find_package(nstack)
# consumer build) and run: the simulator ones to completion with their
# output checked, the TAP echo server inside a network namespace of its own
# against the kernel (or only --help without root or /dev/net/tun).
#
#   test_install.sh BUILD_DIR SOURCE_DIR OUT_DIR [EXTRA_CFLAGS]
#
# EXTRA_CFLAGS: what the examples need beside pkg-config's flags to link
# the libraries this build made (the sanitizer build's -fsanitize=...).
set -uo pipefail
BUILD=$1 SRC=$2 OUT=$3/install
EXTRA=${4:-}
rm -rf "$OUT"; mkdir -p "$OUT"
PREFIX=$OUT/prefix
pass=0 fail=0
check() { # check NAME COMMAND...
  if "${@:2}"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
has() { grep -qE -- "$2" "$1"; }

cmake --install "$BUILD" --prefix "$PREFIX" > "$OUT/install.txt" 2>&1
check "cmake --install" test $? -eq 0
LIBDIR=$(dirname "$(find "$PREFIX" -name nstack.pc | head -1)")/..
check "headers installed" test -f "$PREFIX/include/nstack/nstack.h" -a -f "$PREFIX/include/nstack/version.h" -a -f "$PREFIX/include/nstack/poll.h"
check "versioned shared library" test -L "$LIBDIR/libnstack.so" -a -e "$LIBDIR/libnstack.so.0"
check "SONAME libnstack.so.0" sh -c "objdump -p '$LIBDIR/libnstack.so' | grep -q 'SONAME *libnstack.so.0\$'"
check "SONAME libnstack_app.so.0" sh -c "objdump -p '$LIBDIR/libnstack_app.so' | grep -q 'SONAME *libnstack_app.so.0\$'"
check "static libraries" test -f "$LIBDIR/libnstack.a" -a -f "$LIBDIR/libnstack_app.a"

# Only the installed package from here on: no source tree, no build tree.
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
export LD_LIBRARY_PATH=$LIBDIR
check "pkg-config nstack version" test "$(pkg-config --modversion nstack)" = \
  "$(sed -nE 's/^#define NST_VERSION_STRING "(.*)"$/\1/p' "$PREFIX/include/nstack/version.h")"
check "nstack.pc pulls no OpenSSL" sh -c "! pkg-config --libs --static nstack | grep -q ssl"
check "nstack-app.pc pulls OpenSSL privately" sh -c "pkg-config --libs --static nstack-app | grep -q -- -lssl && ! pkg-config --libs nstack-app | grep -q ssl"

cc_example() { # cc_example NAME PKG
  # shellcheck disable=SC2046,SC2086
  cc -std=c11 -Wall -Wextra -Werror $EXTRA -o "$OUT/$1" "$SRC/examples/$1.c" $(pkg-config --cflags --libs "$2") \
    > "$OUT/$1.cc.txt" 2>&1
}
check "compile tcp_echo_tap (nstack)" cc_example tcp_echo_tap nstack
check "compile http_get_sim (nstack-app)" cc_example http_get_sim nstack-app
check "compile tls_server_sim (nstack-app)" cc_example tls_server_sim nstack-app
check "compile ws_chat_sim (nstack-app)" cc_example ws_chat_sim nstack-app
check "tcp_echo_tap links the shared libnstack, no OpenSSL" \
  sh -c "ldd '$OUT/tcp_echo_tap' | grep -q 'libnstack.so.0 => $LIBDIR' && ! ldd '$OUT/tcp_echo_tap' | grep -qE 'libssl|libnstack_app'"

"$OUT/http_get_sim" /hello.txt > "$OUT/http.txt" 2>&1
check "http_get_sim runs" test $? -eq 0
check "http_get_sim: 200 and the body" sh -c "grep -q '^status 200\$' '$OUT/http.txt' && grep -q '^Content-Length: 44\$' '$OUT/http.txt' && grep -q '^Hello from nstack! You asked for /hello.txt\$' '$OUT/http.txt'"
# Virtual time: the same run every time (10 ms links, 1% loss, seed 7).
"$OUT/http_get_sim" /hello.txt > "$OUT/http2.txt" 2>&1
check "http_get_sim is deterministic" cmp -s "$OUT/http.txt" "$OUT/http2.txt"
"$OUT/tls_server_sim" "ping over TLS" > "$OUT/tls.txt" 2>&1
check "tls_server_sim runs" test $? -eq 0
check "tls_server_sim echoes over TLS 1.3" has "$OUT/tls.txt" '^echoed "ping over TLS" over TLSv1.3 '
"$OUT/ws_chat_sim" > "$OUT/chat.txt" 2>&1
check "ws_chat_sim runs" test $? -eq 0
check "ws_chat_sim: each of three members hears all three lines" \
  test "$(grep -cE '^ +[0-9.]+ ms  (alice|bob|carol) +hears "(alice|bob|carol): hi, I am (alice|bob|carol)"$' "$OUT/chat.txt")" -eq 9
check "ws_chat_sim: all leave with 1000" test "$(grep -cE ' left, close code 1000$' "$OUT/chat.txt")" -eq 3
"$OUT/ws_chat_sim" > "$OUT/chat2.txt" 2>&1
check "ws_chat_sim is deterministic" cmp -s "$OUT/chat.txt" "$OUT/chat2.txt"

# A CMake consumer: find_package(nstack COMPONENTS app).
mkdir -p "$OUT/consumer"
cat > "$OUT/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(nstack 0.1 REQUIRED COMPONENTS app)
add_executable(http_get_sim "$SRC/examples/http_get_sim.c")
target_link_libraries(http_get_sim PRIVATE nstack::app)
add_executable(tcp_echo_tap "$SRC/examples/tcp_echo_tap.c")
target_link_libraries(tcp_echo_tap PRIVATE nstack::nstack_static)
target_compile_options(http_get_sim PRIVATE $EXTRA)
target_link_options(http_get_sim PRIVATE $EXTRA)
target_compile_options(tcp_echo_tap PRIVATE $EXTRA)
target_link_options(tcp_echo_tap PRIVATE $EXTRA)
CMAKE
(cmake -S "$OUT/consumer" -B "$OUT/consumer/build" -DCMAKE_PREFIX_PATH="$PREFIX" &&
  cmake --build "$OUT/consumer/build") > "$OUT/consumer.txt" 2>&1
check "find_package(nstack COMPONENTS app) consumer builds" test $? -eq 0
"$OUT/consumer/build/http_get_sim" > "$OUT/consumer-run.txt" 2>&1
check "consumer's http_get_sim runs" has "$OUT/consumer-run.txt" '^status 200$'
check "nstack::nstack_static links statically" sh -c "! ldd '$OUT/consumer/build/tcp_echo_tap' | grep -q libnstack"

# The TAP echo server against the kernel, in a namespace of its own.
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip > /dev/null; then
  "$OUT/tcp_echo_tap" --help > "$OUT/echo-help.txt" 2>&1
  check "tcp_echo_tap --help (no root or /dev/net/tun: no TAP run)" has "$OUT/echo-help.txt" '^usage: tcp_echo_tap'
else
  NS="nst-install-$$"
  ECHO_PID=""
  cleanup() {
    [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2> /dev/null && wait "$ECHO_PID" 2> /dev/null
    ip netns del "$NS" 2> /dev/null
  }
  trap cleanup EXIT
  ip netns add "$NS" && ip -n "$NS" link set lo up &&
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 &&
    ip -n "$NS" tuntap add dev tap0 mode tap && ip -n "$NS" addr add 10.78.0.1/24 dev tap0 &&
    ip -n "$NS" link set tap0 up
  check "namespace and TAP" test $? -eq 0
  ip netns exec "$NS" "$OUT/tcp_echo_tap" --tap tap0 --addr 10.78.0.2/24 --port 7 --conns 1 --seconds 30 \
    > "$OUT/echo.txt" 2>&1 &
  ECHO_PID=$!
  for _ in $(seq 100); do has "$OUT/echo.txt" listening && break; sleep 0.1; done
  # The kernel's side: connect, send two lines, read both back, close.
  ip netns exec "$NS" timeout 20 python3 - > "$OUT/echo-client.txt" 2>&1 <<'PY'
import socket, time
for attempt in range(50):  # the TAP's carrier comes up asynchronously
    try:
        s = socket.create_connection(("10.78.0.2", 7), timeout=2)
        break
    except OSError:
        time.sleep(0.2)
s.settimeout(5)
want = b"hello nstack\nsecond line\n"
s.sendall(want[:13]); time.sleep(0.05); s.sendall(want[13:])
got = b""
while len(got) < len(want):
    d = s.recv(100)
    if not d: break
    got += d
s.close()
print("echo:", got == want, len(got))
PY
  check "kernel client got its bytes echoed" has "$OUT/echo-client.txt" '^echo: True 25$'
  wait "$ECHO_PID"; rc=$?; ECHO_PID=""
  check "tcp_echo_tap served 1 connection and exited 0" sh -c "[ $rc -eq 0 ] && grep -q '^tcp_echo_tap: 1 connections served' '$OUT/echo.txt'"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
