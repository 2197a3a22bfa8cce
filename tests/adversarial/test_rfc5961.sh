#!/usr/bin/env bash
# RFC 5961 blind attacks: in-window RST, SYN and data with a bad ACK, on a
# Scapy-driven connection and on the kernel's echo connection: each gets one
# challenge ACK and the connections survive with their bytes intact.
# Usage: test_rfc5961.sh NSTACK OUTDIR (see lib.sh and attacks.py)
source "$(dirname "$0")/lib.sh"
adv_main rfc5961
finish
