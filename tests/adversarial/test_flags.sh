#!/usr/bin/env bash
# Illegal TCP flag combinations (SYN+FIN, SYN+RST, none, all...) to a
# connection, to a listener and to a closed port: the answer RFC 9293 gives
# each, or silence.
# Usage: test_flags.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main flags
finish
