#!/usr/bin/env bash
# The whole test suite: format, lints, tests (against the broker on 127.0.0.1:5672) and docs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
bash scripts/sweep-test-queues.sh
cargo test --workspace
bash scripts/sweep-test-queues.sh
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
if cargo tree -p warren-core -e normal | grep -E 'actix|lapin|tokio'; then
  echo "warren-core must not depend on actix, lapin or tokio" >&2
  exit 1
fi
