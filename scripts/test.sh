#!/usr/bin/env bash
# The whole test suite: format, lints, tests (against the broker on 127.0.0.1:5672) and docs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
bash scripts/sweep-test-queues.sh
cargo test --workspace
# The patched AMQP field-table parser (vendor/amq-protocol-types/PATCHED.md): its own
# tests, nesting bounds included; it builds outside the workspace that patches it in.
CARGO_TARGET_DIR=target/vendor cargo test --locked \
  --manifest-path vendor/amq-protocol-types/Cargo.toml
# The patched lapin (vendor/lapin/PATCHED.md: heartbeat 0 turns heartbeats off): its
# unit tests, the heartbeat negotiation included.
CARGO_TARGET_DIR=target/vendor cargo test --locked --lib \
  --manifest-path vendor/lapin/Cargo.toml
# The behavioural suites again on the in-memory broker (fake://): the same tests, the
# same actors, no RabbitMQ. Suites that inspect or drive RabbitMQ itself stay out.
WARREN_TEST_URL=fake:// cargo test -p warren-core \
  --test rpc_call --test rpc_cast --test rpc_executor --test rpc_robustness \
  --test rpc_version_cap --test rpc_serializer --test rpc_remote_errors \
  --test notify_functional --test notify_pools --test option_retries --test supervision \
  --test graceful_stop
bash scripts/sweep-test-queues.sh
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
if cargo tree -p warren-core -e normal | grep -E 'actix|lapin|tokio'; then
  echo "warren-core must not depend on actix, lapin or tokio" >&2
  exit 1
fi
