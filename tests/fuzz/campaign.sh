#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A libFuzzer campaign over every fuzz target (tests/fuzz/README.md).
#
#   tests/fuzz/campaign.sh [SECONDS_PER_TARGET]      default 60
#
# Builds each target with clang -fsanitize=fuzzer,address,undefined (no
# recovery) into $FUZZ_OUT/bin, runs it for the given time starting from its
# committed corpus (tests/fuzz/corpus/<target>, read only) and a scratch
# corpus ($FUZZ_OUT/corpus/<target>, kept between campaigns, where libFuzzer
# saves what it finds), and prints per target the executions, the known bugs
# that fired and whether it crashed. Exit status 1 if any target crashed
# (artifacts in $FUZZ_OUT/artifacts), 2 on a usage or build error.
#
# Environment:
#   FUZZ_OUT            build and scratch directory (default build-fuzz, which .gitignore's /build*/ covers)
#   FUZZ_JOBS           targets run at once (default 2)
#   FUZZ_TARGETS        a subset, e.g. "plan search" (default: every tests/fuzz/*.c target)
#   FUZZ_TOTAL_SECONDS  a total budget split evenly over the targets (overrides the argument)
#   FUZZ_STRICT=1       known bugs (tests/fuzz/known-bugs.txt) abort like new ones
#   CC                  clang to use (default clang)
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
OUT=$(realpath -m "${FUZZ_OUT:-build-fuzz}")
JOBS=${FUZZ_JOBS:-2}
CC=${CC:-clang}
PER=${1:-60}
if [[ $# -gt 1 || ! $PER =~ ^[0-9]+$ || $PER -lt 1 || ! $JOBS =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]   (FUZZ_JOBS >= 1)" >&2
  exit 2
fi

targets=()
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  for f in tests/fuzz/*.c; do
    if grep -q 'LLVMFuzzerTestOneInput(const uint8_t \*data' "$f"; then targets+=("$(basename "$f" .c)"); fi
  done
fi
((${#targets[@]})) || { echo "no fuzz targets" >&2; exit 2; }
if [[ -n ${FUZZ_TOTAL_SECONDS:-} ]]; then
  PER=$((FUZZ_TOTAL_SECONDS / ${#targets[@]}))
  ((PER >= 1)) || PER=1
fi
command -v "$CC" >/dev/null || { echo "$CC not found: libFuzzer needs clang" >&2; exit 2; }

known=
if [[ ${FUZZ_STRICT:-0} != 1 && -f tests/fuzz/known-bugs.txt ]]; then
  known=$(awk '!/^#/ && NF >= 3 {print $1}' tests/fuzz/known-bugs.txt | paste -sd, -)
fi

mkdir -p "$OUT"/{bin,obj,corpus,artifacts,logs}
T0=$(date +%s)

# ---- build: the library once (instrumented, not linked with libFuzzer's
# main), then every target against it. The same as the one-line build
# `clang -fsanitize=fuzzer,address,undefined -Iinclude -Ilib -Iexamples
# lib/*.c tests/fuzz/<name>.c -lm`, without compiling lib/ once per target.
FLAGS=(-std=c11 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all
       -I"$SRC/include" -I"$SRC/lib" -I"$SRC/examples")
echo "building ${#targets[@]} targets with $($CC --version | head -n 1)"
rm -f "$OUT"/obj/*.o
(cd "$OUT/obj" && "$CC" "${FLAGS[@]}" -fsanitize=fuzzer-no-link,address,undefined -c "$SRC"/lib/*.c) ||
  { echo "library build failed" >&2; exit 2; }
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/$t.c ]] || { echo "no target tests/fuzz/$t.c" >&2; exit 2; }
  "$CC" "${FLAGS[@]}" -fsanitize=fuzzer,address,undefined "tests/fuzz/$t.c" "$OUT"/obj/*.o -lm \
    -o "$OUT/bin/$t" || { echo "build of $t failed" >&2; exit 2; }
done
BUILD_S=$(($(date +%s) - T0))

# ---- run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:print_summary=1}
export TRAINEST_FUZZ_KNOWN=$known

run_target() {
  local t=$1 max_len
  max_len=$(sed -n 's/^#define FZ_MAX_LEN \([0-9]*\).*/\1/p' "tests/fuzz/$t.c")
  mkdir -p "$OUT/corpus/$t"
  rm -f "$OUT/artifacts/$t-"*
  local rc=0
  "$OUT/bin/$t" -max_total_time="$PER" -max_len="${max_len:-1024}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
    "$OUT/corpus/$t" "tests/fuzz/corpus/$t" >"$OUT/logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$OUT/logs/$t.rc"
}

echo "running each target for ${PER}s, $JOBS at a time${known:+, known bugs counted: $(tr ',' ' ' <<<"$known" | wc -w)}"
running=0
for t in "${targets[@]}"; do
  if ((running >= JOBS)); then wait -n || true; running=$((running - 1)); fi
  run_target "$t" &
  running=$((running + 1))
done
wait || true

# ---- report
crashed=() total=0
printf '\n%-10s %8s %14s %9s %8s %7s  %s\n' target max_len executions exec/s corpus known result
for t in "${targets[@]}"; do
  log=$OUT/logs/$t.log rc=$(cat "$OUT/logs/$t.rc" 2>/dev/null || echo 99)
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [[ -z $execs ]]; then   # no final stats (a crash): the last status line
    execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  fi
  execs=${execs:-0}
  rate=$(sed -n 's/^stat::average_exec_per_sec: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  hits=$(sed -n 's/^trainest-fuzz: known bugs fired \([0-9]*\) times.*/\1/p' "$log" | tail -n 1)
  files=$(find "$OUT/corpus/$t" -type f | wc -l)
  artifact=$(find "$OUT/artifacts" -name "$t-*" -print -quit)
  if [[ $rc == 0 && -z $artifact ]]; then
    result=ok
  else
    result="CRASHED (rc $rc)"
    crashed+=("$t")
  fi
  total=$((total + execs))
  max_len=$(sed -n 's/^#define FZ_MAX_LEN \([0-9]*\).*/\1/p' "tests/fuzz/$t.c")
  printf '%-10s %8s %14s %9s %8s %7s  %s\n' "$t" "${max_len:-1024}" "$execs" "${rate:--}" "$files" "${hits:-0}" "$result"
done
echo "total: $total executions in $(($(date +%s) - T0))s (build ${BUILD_S}s), ${PER}s per target"
if ((${#crashed[@]})); then
  for t in "${crashed[@]}"; do
    echo
    echo "==== $t: end of $OUT/logs/$t.log"
    grep -E 'property violated|^     |ERROR: |runtime error|SUMMARY' "$OUT/logs/$t.log" | head -n 8 || true
    for a in "$OUT/artifacts/$t-"*; do
      [[ -e $a ]] && echo "reproduce: $OUT/bin/$t $a   (or the replay driver: see tests/fuzz/README.md)"
    done
  done
  echo "crashed: ${crashed[*]}"
  exit 1
fi
