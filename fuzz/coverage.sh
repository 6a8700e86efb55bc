#!/bin/sh
# Coverage of hebb's own code (src/) by a fuzz target's inputs: the summary line of
# `llvm-cov report` (regions, functions, lines: total, missed, covered %), with every other
# crate, the standard library and the targets themselves left out.
#
#   cd fuzz && ./coverage.sh model_file corpus/model_file seeds/model_file ../models
#
# Needs nightly Rust with `llvm-tools` (`rustup +nightly component add llvm-tools`) and
# cargo-fuzz. `--files` prints the report per file instead of the summary.
set -eu
per_file=false
if [ "${1:-}" = "--files" ]; then
    per_file=true
    shift
fi
if [ $# -lt 2 ]; then
    echo "usage: $0 [--files] TARGET CORPUS_DIR..." >&2
    exit 2
fi
target=$1
shift
cargo +nightly fuzz coverage -O -s none "$target" "$@" >/dev/null 2>&1
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
tools=$(rustc +nightly --print sysroot)/lib/rustlib/$host/bin
bin=target/$host/coverage/$host/release/$target
report() {
    "$tools/llvm-cov" report "$bin" -instr-profile="coverage/$target/coverage.profdata" \
        --ignore-filename-regex='(\.cargo/registry|/rustc/|fuzz/)'
}
if $per_file; then
    report
else
    report | tail -n 1
fi
