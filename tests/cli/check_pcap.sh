#!/usr/bin/env bash
# Reads a capture back with tshark, checksum validation on, and fails on any
# malformed packet or bad checksum. Usage: check_pcap.sh FILE...
set -euo pipefail
command -v tshark >/dev/null || { echo "tshark missing (scripts/deps.sh test installs it)"; exit 1; }
status=0
for f in "$@"; do
  frames=$(tshark -n -r "$f" 2>/dev/null | wc -l)
  # One field per line: malformed packets, bad IP/UDP/TCP/ICMP checksums.
  out=$(tshark -n -r "$f" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -q -z 'io,stat,0,COUNT(_ws.malformed)_ws.malformed,COUNT(ip.checksum.status)ip.checksum.status==0,COUNT(udp.checksum.status)udp.checksum.status==0,COUNT(tcp.checksum.status)tcp.checksum.status==0,COUNT(icmp.checksum.status)icmp.checksum.status==0' 2>&1)
  row=$(echo "$out" | grep -E '^\|[^|]*<>' | tail -1)
  bad=$(echo "$row" | awk -F'|' '{s=0; for (i=3;i<NF;i++) s+=$i; print s}')
  if [ "$frames" -eq 0 ] || [ -z "$bad" ] || [ "$bad" -ne 0 ]; then
    echo "FAIL $f: $frames frames; malformed/bad-checksum counts: $row"; status=1
  else
    echo "ok   $f: $frames frames, no malformed packet, no bad checksum"
  fi
done
exit $status
