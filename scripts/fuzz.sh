#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time, one after the other, and prints how many
# inputs each executed and how many crashes it found. Exits non-zero when any target crashed
# (the input that did it is in fuzz/artifacts/<target>/).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET (default 120) applies to every target; FUZZ_SECONDS_<target>, e.g.
# FUZZ_SECONDS_binding_decode=300, overrides it for one. FUZZ_SANITIZER (default none) is
# passed to `cargo fuzz --sanitizer`. Installs cargo-fuzz when missing. cargo fuzz needs
# nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-120}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(binding_decode authn_request logout_request redirect_signature unseal)
sanitizer=${FUZZ_SANITIZER:-none}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1

# -O: optimized, -a: with debug assertions (integer overflow checks) so arithmetic slips crash.
build=(--fuzz-dir fuzz -O -a --sanitizer "$sanitizer")
for t in "${targets[@]}"; do cargo fuzz build "${build[@]}" "$t"; done

mkdir -p fuzz/logs
total=0
failed=0
rows=()
for t in "${targets[@]}"; do
  var="FUZZ_SECONDS_$t"
  s=${!var:-$secs}
  dict=()
  case $t in
    authn_request | logout_request) dict=(-dict=fuzz/dict/saml-xml.dict) ;;
    redirect_signature) dict=(-dict=fuzz/dict/redirect_signature.dict) ;;
  esac
  mkdir -p "fuzz/artifacts/$t"
  before=$(find "fuzz/artifacts/$t" -type f | wc -l)
  log="fuzz/logs/$t.log"
  echo "fuzzing $t for ${s}s (log: $log)"
  rc=0
  cargo fuzz run "${build[@]}" "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$s" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "${dict[@]}" \
    >"$log" 2>&1 || rc=$?
  after=$(find "fuzz/artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # libFuzzer died without leaving an input; the log says why.
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  runs=${runs:-0}
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rows+=("$(printf '%-20s %14s %10s %8s' "$t" "$runs" "${rate:-?}" "$crashes")")
  total=$((total + runs))
  [ "$crashes" -eq 0 ] || failed=1
done

echo
printf '%-20s %14s %10s %8s\n' target executions exec/s crashes
for r in "${rows[@]}"; do echo "$r"; done
printf '%-20s %14s\n' total "$total"
if [ "$failed" -ne 0 ]; then
  echo "crashes found: see fuzz/artifacts/ and fuzz/logs/" >&2
  exit 1
fi
