#!/usr/bin/env bash
# ICMP errors quoting other connections, or data not in flight (RFC 5927):
# ignored, the connections unaffected; one quoting data in flight is believed.
# Usage: test_icmp_errors.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main icmp
finish
