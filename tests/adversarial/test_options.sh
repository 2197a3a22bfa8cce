#!/usr/bin/env bash
# Bad TCP options: zero-length, length 1, overrunning the header (the segment
# is refused and counted); MSS 0 and 1 (536 and 48 used), window scale above
# 14 (14 used, measured on the window nstack honours).
# Usage: test_options.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main options
finish
