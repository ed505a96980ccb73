#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one job each, one after
# the other, and prints each target's run time and executions.
#
#   fuzz/run.sh 600            # ten minutes per target
#   fuzz/run.sh 60 load eval   # only these targets
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Seeds the corpora from the project's files first (fuzz/seeds.py, which
# needs PyYAML), unless they already exist. A crash stops the script with
# the input saved under fuzz/artifacts/TARGET/; keep it as a regression test
# in tests/regressions/ once fixed.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(parse load eval script)
fi
if [ ! -d corpus/eval ]; then
    python3 seeds.py
fi
cargo +nightly fuzz build -O
for target in "${targets[@]}"; do
    # Rule files up to 16 KiB keep pest's parsing (the cost of each run)
    # fast enough for thousands of runs a minute; the size limits beyond
    # that are tested in tests/regressions.rs. JSON is cheap: up to 64 KiB.
    case "$target" in
        eval) dict=json.dict; max_len=65536 ;;
        # Each byte picks a word of the sandbox's API (fuzz_targets/script.rs),
        # so a dictionary of words has nothing to add (libFuzzer refuses an
        # empty one).
        script) dict=; max_len=512 ;;
        *) dict=rules.dict; max_len=16384 ;;
    esac
    mkdir -p "corpus/$target" "artifacts/$target"
    mkdir -p logs; log="logs/$target.log"
    echo "== $target: ${seconds}s"
    # -rss_limit_mb and -timeout make memory blow-ups and hangs crashes too.
    start=$(date +%s)
    if ! cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" \
        ${dict:+-dict="$dict"} -max_len="$max_len" -timeout=5 -rss_limit_mb=4096 -malloc_limit_mb=256 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "== $target: FAILED after $(( $(date +%s) - start ))s (log: fuzz/$log)"
        exit 1
    fi
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    echo "== $target: ran $((end - start))s, ${execs:-?} executions, no crash"
done
