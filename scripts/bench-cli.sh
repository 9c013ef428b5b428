#!/usr/bin/env bash
# What users run, against the plainest raw-lapin programs for the same jobs, on the same
# broker in one run, alternating: `warren bench call` against `warren serve` at 1, 10 and
# 100 calls in flight, and `warren bench notify` at 1 and 100 in flight, each next to
# `cargo bench -p warren --bench plain`. Prints a markdown table of medians over ROUNDS.
# Needs RabbitMQ on 127.0.0.1:5672 (guest/guest). ROUNDS (3), CALLS (3000), NOTES (5000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-3000}
NOTES=${NOTES:-5000}
URL=pika://guest:guest@127.0.0.1:5672/
TOPIC=bench-cli-$$
cargo build --release -q -p warren --bin warren
cargo bench -q -p warren --bench plain --no-run 2>/dev/null
WARREN=target/release/warren
log=$(mktemp)
"$WARREN" serve --transport-url "$URL" --topic "$TOPIC" --server s1 2>"$log" &
server=$!
trap 'kill -INT $server 2>/dev/null; wait $server 2>/dev/null; rm -f "$log" "$results"' EXIT
for _ in $(seq 100); do grep -q serving "$log" && break; sleep 0.1; done
grep -q serving "$log" || { echo "warren serve did not start: $(cat "$log")" >&2; exit 1; }
results=$(mktemp)
rate() { sed -n 's/.*"per_second":\([0-9.]*\).*/\1/p' | tail -n 1; }
for round in $(seq "$ROUNDS"); do
  for c in 1 10 100; do
    echo "call $c warren $("$WARREN" bench call --transport-url "$URL" --topic "$TOPIC" --count "$CALLS" --concurrency "$c" | rate)" >>"$results"
    echo "call $c lapin $(cargo bench -q -p warren --bench plain -- call "$c" "$CALLS" 2>/dev/null | rate)" >>"$results"
  done
  for c in 1 100; do
    echo "notify $c warren $("$WARREN" bench notify --transport-url "$URL" --topic "$TOPIC-n" --count "$NOTES" --concurrency "$c" 2>/dev/null | rate)" >>"$results"
    echo "notify $c lapin $(cargo bench -q -p warren --bench plain -- notify "$c" "$NOTES" 2>/dev/null | rate)" >>"$results"
  done
  echo "round $round done" >&2
done
echo "| row | warren/s | raw lapin/s | ratio |"
echo "|---|---:|---:|---:|"
for row in "call 1" "call 10" "call 100" "notify 1" "notify 100"; do
  median() { grep "^$row $1 " "$results" | awk '{print $4}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  w=$(median warren); l=$(median lapin)
  awk -v r="$row" -v w="$w" -v l="$l" 'BEGIN {printf "| %s in flight | %.0f | %.0f | %.2f |\n", r, w, l, w / l}'
done
