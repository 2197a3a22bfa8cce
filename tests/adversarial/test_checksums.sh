#!/usr/bin/env bash
# Bad IP, ICMP, UDP and TCP checksums and malformed IP and TCP headers: no
# answer, each counted under its own counter.
# Usage: test_checksums.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main checksums
finish
