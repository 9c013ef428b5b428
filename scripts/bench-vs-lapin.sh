#!/usr/bin/env bash
# Measure the `warren` CLI against the raw-lapin baselines of actors/benches/baseline/ on
# the broker at 127.0.0.1:5672 (guest/guest), in one run, each warren row right next to
# its baseline so both see the same broker and the same machine load.
#
#   scripts/bench-vs-lapin.sh                      # 3 rounds
#   ROUNDS=5 CALLS=10000 NOTIFIES=20000 scripts/bench-vs-lapin.sh
#
# Builds release binaries, starts `warren serve` on a topic of its own, then each round
# runs `warren bench call` against the baseline `call` at 1, 10 and 100 in flight,
# `warren bench notify` against `notify-window` at 1 and 100, and the baselines on the
# Pika wire format (`call-pika` at 1, 10 and 100, `notify-pika` at 1 and 100). The
# order of each pair flips from one round to the next. Prints a markdown table of the
# medians over the rounds: warren's rate over the plain baseline's, the Pika-format
# baseline's over the plain one's (what the wire format costs by itself), and warren's
# over the Pika-format baseline's (what warren adds). Needs jq; rabbitmqctl (optional)
# empties and deletes the queue `warren bench notify` fills.
#
# TELEMETRY=1 adds a third side to the call and notify rows, "traced": warren built with
# the `otlp` feature, with its spans exported over OTLP to a do-nothing local collector
# (scripts/otlp-sink.py, needs python3) and its metrics recorded (`--metrics-addr`), on
# both the server and the bench client; the table then shows traced ÷ warren, what
# spans and metrics cost when on.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-3000}
NOTIFIES=${NOTIFIES:-5000}
URL=pika://guest:guest@127.0.0.1:5672/
TELEMETRY=${TELEMETRY:-}
[[ $TELEMETRY == 0 ]] && TELEMETRY=""

command -v jq >/dev/null || { echo "bench-vs-lapin: needs jq" >&2; exit 1; }

# The executable a cargo build reports for `target` (kind `kind`).
executable() {
  jq -r --arg name "$1" --arg kind "$2" \
    'select(.reason == "compiler-artifact" and .target.name == $name
            and (.target.kind | contains([$kind])) and .executable != null) | .executable'
}

if [[ -n $TELEMETRY ]]; then
  command -v python3 >/dev/null || { echo "bench-vs-lapin: TELEMETRY needs python3" >&2; exit 1; }
fi
topic="bench-vs-lapin-$$"
notify_topic="bench-vs-lapin-notify-$$"
work=$(mktemp -d)

# Each cargo build links its `warren` to the same path (the bench build too, without
# features), so each binary is copied away as soon as it is built.
echo "bench-vs-lapin: building release binaries" >&2
baseline=$(cargo bench -p warren --bench baseline --no-run --message-format=json |
  executable baseline bench)
built=$(cargo build --release -p warren --bin warren --message-format=json | executable warren bin)
[[ -x $baseline && -x $built ]] || { echo "bench-vs-lapin: build found no binaries" >&2; exit 1; }
warren="$work/warren"
cp "$built" "$warren"
traced=""
if [[ -n $TELEMETRY ]]; then
  built=$(cargo build --release -p warren --bin warren --features otlp --message-format=json |
    executable warren bin)
  [[ -x $built ]] || { echo "bench-vs-lapin: build found no traced binary" >&2; exit 1; }
  traced="$work/warren-traced"
  cp "$built" "$traced"
  grep -qa "cannot export traces" "$traced" ||
    { echo "bench-vs-lapin: the traced binary has no OTLP export" >&2; exit 1; }
fi

serve_pid=""
traced_pid=""
sink_pid=""

cleanup() {
  if [[ -n $serve_pid ]] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -INT "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  if [[ -n $traced_pid ]]; then
    kill -INT "$traced_pid" 2>/dev/null || true
    wait "$traced_pid" 2>/dev/null || true
  fi
  if [[ -n $sink_pid ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
  fi
  # The notification queue has no expiry; the RPC queues of `warren serve` and the
  # reply queues expire on their own (x-expires) a minute after their users stopped.
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q delete_queue "$notify_topic.info" >/dev/null 2>&1 || true
    rabbitmqctl -q delete_queue "$notify_topic-traced.info" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Run the `warren serve` command given after the log file $1, its stderr there; sets
# $started to its pid once it reports serving.
start_serve() {
  local log=$1
  shift
  "$@" 2>"$log" &
  started=$!
  for _ in $(seq 1 100); do
    grep -q "serving topic" "$log" && return 0
    if ! kill -0 "$started" 2>/dev/null; then
      echo "bench-vs-lapin: warren serve exited:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "bench-vs-lapin: warren serve did not start within 10 s" >&2
  exit 1
}

# A port of 127.0.0.1 nothing listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_serve "$work/serve.log" "$warren" serve --transport-url "$URL" --topic "$topic" --server s1
serve_pid=$started
if [[ -n $TELEMETRY ]]; then
  sink_port=$(free_port)
  python3 scripts/otlp-sink.py "$sink_port" &
  sink_pid=$!
  otlp="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port"
  start_serve "$work/traced.log" env "$otlp" "$traced" serve --transport-url "$URL" \
    --topic "$topic-traced" --server s1 --metrics-addr "127.0.0.1:$(free_port)"
  traced_pid=$started
fi

failures=0
# Run one measurement, append its rate to $work/<row>.<side>. Arguments: row, side,
# command. A run with errors or without a summary line is reported and counted.
measure() {
  local row=$1 side=$2 out rate errors
  shift 2
  out=$("$@" 2>"$work/stderr.log") || true
  rate=$(jq -r '.per_second // empty' <<<"$out" 2>/dev/null || true)
  errors=$(jq -r '.errors // empty' <<<"$out" 2>/dev/null || true)
  if [[ -z $rate || $errors != 0 ]]; then
    echo "bench-vs-lapin: $side $row failed: ${out:-no summary}" >&2
    tail -n 5 "$work/stderr.log" >&2
    failures=$((failures + 1))
    rate=nan
  fi
  echo "$rate" >>"$work/$row.$side"
  printf '  %-6s %-12s %8.0f/s\n' "$side" "$row" "$rate" >&2
}

# Each run is bounded, so that one stuck run costs a failed measurement, not the whole
# run.
warren_call() {
  timeout 300 "$warren" bench call --transport-url "$URL" --topic "$topic" --count "$CALLS" \
    --concurrency "$1"
}
traced_call() {
  timeout 300 env "$otlp" "$traced" bench call --transport-url "$URL" --topic "$topic-traced" \
    --count "$CALLS" --concurrency "$1" --metrics-addr "127.0.0.1:$(free_port)"
}
lapin_call() { timeout 300 "$baseline" call --count "$CALLS" --concurrency "$1"; }
pika_call() { timeout 300 "$baseline" call-pika --count "$CALLS" --concurrency "$1"; }
warren_notify() {
  timeout 300 "$warren" bench notify --transport-url "$URL" --topic "$notify_topic" \
    --count "$NOTIFIES" --concurrency "$1"
}
traced_notify() {
  timeout 300 env "$otlp" "$traced" bench notify --transport-url "$URL" --topic "$notify_topic-traced" \
    --count "$NOTIFIES" --concurrency "$1" --metrics-addr "127.0.0.1:$(free_port)"
}
lapin_notify() { timeout 300 "$baseline" notify-window --count "$NOTIFIES" --concurrency "$1"; }
pika_notify() { timeout 300 "$baseline" notify-pika --count "$NOTIFIES" --concurrency "$1"; }

# Run the sides of a row (warren and lapin, with traced between them under TELEMETRY),
# in one order in odd rounds and the other in even ones. Arguments: round, row, kind
# (call or notify), concurrency.
pair() {
  local round=$1 row=$2 kind=$3 c=$4 side
  local sides=(warren lapin)
  [[ -n $TELEMETRY ]] && sides=(warren traced lapin)
  ((round % 2)) || sides=($(printf '%s\n' "${sides[@]}" | tac))
  for side in "${sides[@]}"; do
    measure "$row" "$side" "${side}_$kind" "$c"
  done
}

# Empty the notification queue, so every notify run starts from an empty queue as the
# baseline's does.
purge_notifications() {
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q purge_queue "$notify_topic.info" >/dev/null 2>&1 || true
    rabbitmqctl -q purge_queue "$notify_topic-traced.info" >/dev/null 2>&1 || true
  fi
}

echo "bench-vs-lapin: load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
for round in $(seq 1 "$ROUNDS"); do
  echo "bench-vs-lapin: round $round of $ROUNDS" >&2
  for c in 1 10 100; do
    pair "$round" "call c=$c" call "$c"
  done
  for c in 1 100; do
    pair "$round" "notify c=$c" notify "$c"
    purge_notifications
  done
  for c in 1 10 100; do
    measure "call c=$c" pika pika_call "$c"
  done
  for c in 1 100; do
    measure "notify c=$c" pika pika_notify "$c"
  done
done
echo "bench-vs-lapin: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end" >&2

# The median of the numbers in file $1 ("nan" when a run failed counts as missing).
median() {
  grep -v nan "$1" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
          else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "warren vs raw lapin, median of $ROUNDS rounds: $CALLS calls, $NOTIFIES notifications" \
  "per run, 100-byte payload, broker 127.0.0.1:5672"
echo
echo "| row | warren/s | lapin/s | ratio | pika format/s | pika ÷ lapin | warren ÷ pika |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "call c=1" "call c=10" "call c=100" "notify c=1" "notify c=100"; do
  w=$(median "$work/$row.warren")
  l=$(median "$work/$row.lapin")
  p=$(median "$work/$row.pika")
  awk -v r="$row" -v w="$w" -v l="$l" -v p="$p" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.2f | %.2f |\n", r, w, l,
             (l > 0 ? w / l : 0), p, (l > 0 ? p / l : 0), (p > 0 ? w / p : 0) }'
done
if [[ -n $TELEMETRY ]]; then
  echo
  echo "| row | warren/s | traced/s | traced ÷ warren |"
  echo "|---|---:|---:|---:|"
  for row in "call c=1" "call c=10" "call c=100" "notify c=1" "notify c=100"; do
    w=$(median "$work/$row.warren")
    t=$(median "$work/$row.traced")
    awk -v r="$row" -v w="$w" -v t="$t" \
      'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", r, w, t, (w > 0 ? t / w : 0) }'
  done
  echo
  echo "traced: spans exported over OTLP to a local do-nothing collector and metrics on, in" \
    "both the server and the bench client."
fi
echo
echo "lapin: the plain baselines (call, notify-window); pika format: the same jobs on the" \
  "Pika driver's wire format on raw lapin (call-pika without confirms, notify-pika)."
if ((failures)); then
  echo
  echo "$failures run(s) failed or had errors; they are left out of the medians."
  exit 1
fi
