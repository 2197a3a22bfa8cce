#!/usr/bin/env bash
# A blind segment at RCV.NXT whose ACK is unacceptable is dropped with a
# challenge ACK (RFC 5961 5.2) and must leave TS.Recent alone: with a TSval
# 2^30 ahead, every later segment of the real peer would fail PAWS and the
# connection would be dead. (Found by this test; fixed in tcp_input.c.)
# Usage: known_ts_recent_poison.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main tsrecent
finish
