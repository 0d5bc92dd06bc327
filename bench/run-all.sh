#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every benchmark: run-all.sh ACCURACY MEMORY SPEED FAILURES ETA DATA
set -e
"$1" "$6"
echo
"$2" "$6"
echo
"$3"
echo
"$4"
echo
"$5"
