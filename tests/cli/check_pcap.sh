#!/usr/bin/env bash
# Reads captures back with tshark, checksum validation on, and fails on any
# malformed packet, bad checksum, an empty capture, or one tshark cannot
# read to its end (cut short in the middle of a record).
# Usage: check_pcap.sh FILE...
set -euo pipefail
command -v tshark >/dev/null || { echo "tshark missing (scripts/deps.sh test installs it)"; exit 1; }
prefs=(-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE)
# tshark's checksum status: 0 = bad, 1 = good, 2 = not checked. A TCP
# checksum of 0xffff where 0x0000 is computed is the same one's-complement
# zero (RFC 1624 3): Linux writes it when it finishes a checksum for a
# device without checksum offload, as a TAP without a vnet header is
# (skb_checksum_help: csum_fold() ?: CSUM_MANGLED_0); 1 frame in 65536 of
# random payload. tshark calls it bad (tcp.checksum.ffff); it is not.
# ICMPv6 checksums (over the IPv6 pseudo-header, RFC 4443 2.3) are always
# verified by tshark.
bad_filter='_ws.malformed || ip.checksum.status == 0 || udp.checksum.status == 0 || (tcp.checksum.status == 0 && !tcp.checksum.ffff) || icmp.checksum.status == 0 || icmpv6.checksum.status == 0'
status=0
for f in "$@"; do
  if ! frames=$(tshark -n -r "$f" 2>/dev/null | wc -l); then
    echo "FAIL $f: tshark cannot read it to its end (cut short in the middle of a record?)"
    status=1
    continue
  fi
  bad=$(tshark -n -r "$f" "${prefs[@]}" -Y "$bad_filter" 2>/dev/null | wc -l)
  if [ "$frames" -eq 0 ] || [ "$bad" -ne 0 ]; then
    echo "FAIL $f: $frames frames, $bad malformed or with a bad checksum"
    tshark -n -r "$f" "${prefs[@]}" -Y "$bad_filter" 2>/dev/null | head -5
    status=1
  else
    echo "ok   $f: $frames frames, no malformed packet, no bad checksum"
  fi
done
exit $status
