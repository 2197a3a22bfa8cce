source /work/main/tests/interop/lib.sh
require_env python3
ns_up
start_listener server-recv 5001 recv || exit 1
gen 64M | nconnect send 180 --send-file - "$KADDR:5001"
echo "rc ${PIPESTATUS[*]}"
wait_exit "$BG_PID" 30
grep sent: $OUT/send.txt
start_listener server-recv 5001 recv || exit 1
gen 64M > $OUT/g.bin
nconnect send 180 --send-file $OUT/g.bin "$KADDR:5001"
wait_exit "$BG_PID" 30
grep sent: $OUT/send.txt
start_listener server-recv 5001 recv || exit 1
gen 64M | ip netns exec $NS $NSTACK connect --tap "$TAP" --addr "$NADDR/24" --send-file - "$KADDR:5001" > $OUT/send.txt 2>&1
wait_exit "$BG_PID" 30
grep sent: $OUT/send.txt
