#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs every benchmark: run-all.sh ACCURACY MEMORY SPEED DATA
set -e
"$1" "$4"
echo
"$2" "$4"
echo
"$3"
