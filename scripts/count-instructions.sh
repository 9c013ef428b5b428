#!/usr/bin/env bash
# Instructions per call, counted by valgrind's callgrind: repeatable on a shared machine
# where rates move by ±20 % from run to run, so small costs (the telemetry's, when it is
# off) can be seen at all. Compares this tree with the commit BASE:
#
#   BASE=1a59c62 scripts/count-instructions.sh
#   BASE=1a59c62 LOW=200 HIGH=1200 scripts/count-instructions.sh
#
# For each build it runs `warren serve` and `warren bench call --concurrency 1`, one of
# them under callgrind, for LOW and then HIGH calls, and prints (Ir(HIGH) − Ir(LOW)) /
# (HIGH − LOW): the instructions one more call costs the client process and the server
# process, start-up and shut-down cancelled out. Modes:
#   base: warren at BASE, defaults (nothing enabled)
#   off:  this tree, defaults: no subscriber enables the spans, no metrics recorder
#   on:   this tree built with `otlp`: spans exported over OTLP to a local do-nothing
#         collector (scripts/otlp-sink.py) and metrics recorded (--metrics-addr)
# Needs valgrind, python3 and git; builds BASE in a temporary worktree.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:?set BASE to the commit to compare with}
LOW=${LOW:-200}
HIGH=${HIGH:-1200}
URL=pika://guest:guest@127.0.0.1:5672/
work=$(mktemp -d)
base_tree="$work/base"
serve_pid=""
sink_pid=""

for tool in valgrind python3 git; do
  command -v "$tool" >/dev/null || { echo "count-instructions: needs $tool" >&2; exit 1; }
done

cleanup() {
  if [[ -n $serve_pid ]]; then
    kill -INT "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [[ -n $sink_pid ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  git worktree remove --force "$base_tree" 2>/dev/null || true
  git worktree prune
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "count-instructions: building $BASE and this tree" >&2
git worktree add --detach "$base_tree" "$BASE" >/dev/null
# The same target directory: the dependencies both builds share are built once.
(cd "$base_tree" && CARGO_TARGET_DIR="$OLDPWD/target" cargo build --release -q -p warren --bin warren)
cp target/release/warren "$work/warren-base"
git worktree remove --force "$base_tree"
cargo build --release -q -p warren --bin warren
cp target/release/warren "$work/warren-off"
cargo build --release -q -p warren --bin warren --features otlp
cp target/release/warren "$work/warren-on"

sink_port=$(free_port)
python3 scripts/otlp-sink.py "$sink_port" &
sink_pid=$!
otlp="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port"

# The environment and extra arguments of mode $1 (as `env` arguments, then `--`).
mode_env() {
  if [[ $1 == on ]]; then echo "$otlp"; fi
}
mode_args() {
  if [[ $1 == on ]]; then echo "--metrics-addr 127.0.0.1:$(free_port)"; fi
}

# Start `warren serve` of mode $1 on topic $2, under callgrind writing $3 if given;
# sets $serve_pid once it serves.
serve() {
  local mode=$1 topic=$2 out=${3:-} log="$work/serve.log"
  local wrap=()
  [[ -n $out ]] && wrap=(valgrind -q --tool=callgrind "--callgrind-out-file=$out")
  # shellcheck disable=SC2046
  env $(mode_env "$mode") "${wrap[@]}" "$work/warren-$mode" serve --transport-url "$URL" \
    --topic "$topic" --server s1 $(mode_args "$mode") >/dev/null 2>"$log" &
  serve_pid=$!
  for _ in $(seq 1 600); do
    grep -q "serving topic" "$log" && return 0
    kill -0 "$serve_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  echo "count-instructions: warren serve did not start within 60 s" >&2
  exit 1
}

# Stop the server gracefully and wait until it (and callgrind's output) is done.
stop_serve() {
  kill -INT "$serve_pid"
  wait "$serve_pid" || true
  serve_pid=""
}

# Run `warren bench call` of mode $1 to topic $2 for $3 calls, under callgrind writing
# $4 if given.
bench() {
  local mode=$1 topic=$2 count=$3 out=${4:-}
  local wrap=()
  [[ -n $out ]] && wrap=(valgrind -q --tool=callgrind "--callgrind-out-file=$out")
  # shellcheck disable=SC2046
  env $(mode_env "$mode") timeout 600 "${wrap[@]}" "$work/warren-$mode" bench call --transport-url "$URL" \
    --topic "$topic" --count "$count" --concurrency 1 $(mode_args "$mode") >/dev/null 2>"$work/bench.log" ||
    { cat "$work/bench.log" >&2; exit 1; }
}

# The total instructions of a callgrind output file.
total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }

# Instructions per call of mode $1 for the client (side "client") or the server
# ("server"); sets $per_call.
measure() {
  local mode=$1 side=$2 n topic low high
  for n in "$LOW" "$HIGH"; do
    topic="count-instructions-$$-$mode-$side-$n"
    if [[ $side == client ]]; then
      serve "$mode" "$topic"
      bench "$mode" "$topic" "$n" "$work/$mode-$side-$n.out"
    else
      serve "$mode" "$topic" "$work/$mode-$side-$n.out"
      bench "$mode" "$topic" "$n"
    fi
    stop_serve
  done
  low=$(total "$work/$mode-$side-$LOW.out")
  high=$(total "$work/$mode-$side-$HIGH.out")
  [[ -n $low && -n $high ]] || { echo "count-instructions: no callgrind totals" >&2; exit 1; }
  per_call=$(((high - low) / (HIGH - LOW)))
}

rows=()
for mode in base off on; do
  echo "count-instructions: $mode" >&2
  measure "$mode" client
  client=$per_call
  measure "$mode" server
  rows+=("| $mode | $client | $per_call |")
done
echo "| mode | client instructions per call | server instructions per call |"
echo "|---|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "Calls at --concurrency 1, $LOW and $HIGH per run; base is $BASE."
