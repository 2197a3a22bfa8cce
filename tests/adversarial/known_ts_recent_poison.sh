#!/usr/bin/env bash
# KNOWN FAILURE (src/tcp/, not fixed here; registered DISABLED in CTest): a
# blind segment at RCV.NXT whose ACK is unacceptable is dropped with a
# challenge ACK (RFC 5961 5.2) but its TSval still becomes TS.Recent
# (tcp_input.c calls ts_update() before ack_input()). With a TSval 2^30
# ahead, every later segment of the real peer fails PAWS and the connection
# is dead. Passes once TS.Recent is updated only after the ACK is accepted.
# Usage: known_ts_recent_poison.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main tsrecent
finish
