#!/usr/bin/env bash
# Builds the libFuzzer targets with clang into build-fuzz and runs each on its corpus for the
# given time (default 600 s), two at a time; writes a summary (target, seconds, executions,
# coverage, crashes) to build-fuzz/fuzz-work/summary.txt and prints it.
#
#   tests/fuzz/run.sh [seconds]
# Environment:
#   FUZZ_TARGETS="fuzz_decode fuzz_events"  only these (default: all)
#   FUZZ_PARALLEL=2                         fuzzers at a time
#   FUZZ_NO_BUILD=1                         use the binaries as they are
#   FUZZ_MERGE=1                            afterwards, minimise each target's corpus into
#                                           tests/fuzz/corpus/<target> (-merge=1)
#   FUZZ_MERGE_ONLY=1                       only that, from the last run's work dirs
#   FUZZ_CORPUS_CAP_KB=256                  after merging, drop the largest inputs until the
#                                           kept corpus is at most this size
# New inputs go to build-fuzz/fuzz-work/<target>/corpus; crashers to
# build-fuzz/fuzz-work/<target>/crash-* (reproduce: build-fuzz/bin/<target> <file>).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-600}
parallel=${FUZZ_PARALLEL:-2}
all="fuzz_decode fuzz_agent_config fuzz_hub_config fuzz_api_bodies fuzz_events fuzz_exec_output"
targets=${FUZZ_TARGETS:-$all}

if [[ -z "${FUZZ_NO_BUILD:-}" ]]; then
  if [[ ! -f "$build/CMakeCache.txt" ]]; then
    CC=${CC:-clang-14} CXX=${CXX:-clang++-14} cmake -S "$root" -B "$build" -G Ninja \
      -DVITALS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  # shellcheck disable=SC2086
  ninja -C "$build" -j2 $targets make_decode_seeds
fi

# fuzz_decode's seeds are generated from the codec itself (valid encodings of every message).
mkdir -p "$root/tests/fuzz/corpus/fuzz_decode"
if [[ -z "$(ls -A "$root/tests/fuzz/corpus/fuzz_decode")" ]]; then
  "$build/bin/make_decode_seeds" "$root/tests/fuzz/corpus/fuzz_decode"
fi

run_one() {
  local t=$1 work=$build/fuzz-work/$1
  mkdir -p "$work/corpus" "$root/tests/fuzz/corpus/$t"
  local dict=()
  [[ -f "$root/tests/fuzz/$t.dict" ]] && dict=(-dict="$root/tests/fuzz/$t.dict")
  (cd "$work" && "$build/bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/" "${dict[@]}" \
    "$work/corpus" "$root/tests/fuzz/corpus/$t" >"$work/log" 2>&1) || true
}

if [[ -n "${FUZZ_MERGE_ONLY:-}" ]]; then
  FUZZ_MERGE=1
  targets_to_run=""
else
  targets_to_run=$targets
fi

running=0
for t in $targets_to_run; do
  echo "fuzzing $t for ${seconds}s"
  run_one "$t" &
  running=$((running + 1))
  if ((running >= parallel)); then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

summary=$build/fuzz-work/summary.txt
[[ -n "$targets_to_run" ]] && printf '%-18s %8s %12s %8s %8s\n' target seconds execs cov crashes >"$summary"
for t in $targets_to_run; do
  work=$build/fuzz-work/$t
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  crashes=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  printf '%-18s %8s %12s %8s %8s\n' "$t" "$seconds" "$execs" "$cov" "$crashes" >>"$summary"
done
[[ -n "$targets_to_run" ]] && cat "$summary"

if [[ -n "${FUZZ_MERGE:-}" ]]; then
  for t in $targets; do
    work=$build/fuzz-work/$t
    rm -rf "$work/merged" && mkdir -p "$work/merged" "$work/corpus"
    "$build/bin/$t" -merge=1 "$work/merged" "$root/tests/fuzz/corpus/$t" "$work/corpus" \
      >"$work/merge.log" 2>&1
    # Keep the repository small: the smallest inputs first, up to the cap.
    total=0
    while read -r bytes file; do
      total=$((total + bytes))
      if ((total > ${FUZZ_CORPUS_CAP_KB:-256} * 1024)); then
        rm -f "$file"
      fi
    done < <(find "$work/merged" -type f -printf '%s %p\n' | sort -n)
    rm -rf "$root/tests/fuzz/corpus/$t" && mv "$work/merged" "$root/tests/fuzz/corpus/$t"
    echo "$t corpus: $(ls "$root/tests/fuzz/corpus/$t" | wc -l) files," \
      "$(du -sk --apparent-size "$root/tests/fuzz/corpus/$t" | cut -f1) KB"
  done
fi
