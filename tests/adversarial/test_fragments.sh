#!/usr/bin/env bash
# IP fragments: tiny (8 bytes), reversed, duplicated, overlapping (teardrop,
# RFC 1858), out of range, too many per datagram, a SYN in tiny fragments,
# and a flood of 3000 never-completed datagrams: what reassembles is
# answered, the rest is dropped and counted, memory stays bounded.
# Usage: test_fragments.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
ADV_RSS_GROWTH_KB=${ADV_RSS_GROWTH_KB:-32768}
adv_main fragments
finish
