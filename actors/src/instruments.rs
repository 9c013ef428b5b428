//! Metrics through the [`metrics`](https://docs.rs/metrics) facade, named after the
//! OpenTelemetry messaging conventions as Prometheus exports them, plus warren's own.
//! Nothing is recorded until the service installs a recorder and calls
//! [`enable_metrics`] (`warren serve` and `warren listen` do with `--metrics-addr`);
//! until then every update is one relaxed atomic load.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `messaging_client_operation_duration_seconds` | histogram | `operation`, `destination`, `error_type` (failures only) |
//! | `messaging_client_sent_messages_total` | counter | `operation`, `destination` |
//! | `messaging_client_consumed_messages_total` | counter | `consumer`, `destination` |
//! | `messaging_process_duration_seconds` | histogram | `consumer`, `destination`, `error_type` (failures only) |
//! | `warren_rejected_messages_total` | counter | `consumer` (poison messages dropped) |
//! | `warren_connection_recoveries_total` | counter | |
//! | `warren_calls_waiting` | gauge | calls waiting for their reply (all transports) |
//! | `warren_unexpected_replies_total` | counter | replies for no waiting call (late or unknown) |
//! | `warren_requeued_messages_total` | counter | `consumer` (handed back to the broker) |
//! | `warren_connections` | gauge | `state` (`connecting`, `connected`, `blocked`, `backing_off`) |
//! | `warren_pool_channels` | gauge | `state` (`in_use`, `idle`) |

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{Gauge, Label, counter, gauge, histogram};

/// Whether a service asked for metrics ([`enable_metrics`]): until then nothing is
/// recorded, and nothing is allocated for it.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The gauges moved several times per message, registered once by [`enable_metrics`]
/// so that an update is an atomic add rather than a lookup in the recorder.
struct Hot {
    calls_waiting: Gauge,
    pool_in_use: Gauge,
    pool_idle: Gauge,
}

static HOT: OnceLock<Hot> = OnceLock::new();

/// Whether metrics are recorded.
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// An RPC client or notifier operation (`call`, `cast`, `fanout`, `notify`) to
/// `destination` ended after `elapsed`, failed with `error_type` if given.
pub(crate) fn client_operation(
    operation: &'static str,
    destination: &str,
    elapsed: Duration,
    error_type: Option<&str>,
) {
    if !enabled() {
        return;
    }
    let kind = Label::new("operation", operation);
    let name = "messaging_client_operation_duration_seconds";
    duration(name, kind, destination, elapsed, error_type);
}

/// Record `elapsed` in the histogram `name` with the labels `kind`, `destination`
/// and, on failure, `error_type`.
fn duration(
    name: &'static str,
    kind: Label,
    destination: &str,
    elapsed: Duration,
    error_type: Option<&str>,
) {
    let mut labels = vec![kind, Label::new("destination", destination.to_owned())];
    if let Some(error) = error_type {
        labels.push(Label::new("error_type", error.to_owned()));
    }
    histogram!(name, labels).record(elapsed.as_secs_f64());
}

/// A message was published and confirmed.
pub(crate) fn sent(operation: &'static str, destination: &str) {
    if !enabled() {
        return;
    }
    counter!(
        "messaging_client_sent_messages_total",
        "operation" => operation,
        "destination" => destination.to_owned(),
    )
    .increment(1);
}

/// A `consumer` (`rpc_server` or `notification_listener`) received a message from
/// `destination`.
pub(crate) fn consumed(consumer: &'static str, destination: &str) {
    if !enabled() {
        return;
    }
    counter!(
        "messaging_client_consumed_messages_total",
        "consumer" => consumer,
        "destination" => destination.to_owned(),
    )
    .increment(1);
}

/// A `consumer` processed a message from `destination` in `elapsed`, failing with
/// `error_type` if given.
pub(crate) fn processed(
    consumer: &'static str,
    destination: &str,
    elapsed: Duration,
    error_type: Option<&str>,
) {
    if !enabled() {
        return;
    }
    let kind = Label::new("consumer", consumer);
    let name = "messaging_process_duration_seconds";
    duration(name, kind, destination, elapsed, error_type);
}

/// A `consumer` (`rpc_server`, `notification_listener`, `reply_waiter`) dropped a
/// poison message.
pub(crate) fn rejected(consumer: &'static str) {
    if !enabled() {
        return;
    }
    counter!("warren_rejected_messages_total", "consumer" => consumer).increment(1);
}

/// A connection is up again after a failure.
pub(crate) fn connection_recovered() {
    if enabled() {
        counter!("warren_connection_recoveries_total").increment(1);
    }
}

/// `change` more (or fewer) calls wait for their reply.
pub(crate) fn calls_waiting(change: f64) {
    if let Some(hot) = HOT.get() {
        hot.calls_waiting.increment(change);
    }
}

/// A reply arrived for no waiting call (it came after its caller gave up, or is
/// unknown).
pub(crate) fn unexpected_reply() {
    if enabled() {
        counter!("warren_unexpected_replies_total").increment(1);
    }
}

/// A `consumer` handed a message back to the broker for redelivery (a handler asked
/// for it, or the consumer was stopping).
pub(crate) fn requeued(consumer: &'static str) {
    if enabled() {
        counter!("warren_requeued_messages_total", "consumer" => consumer).increment(1);
    }
}

/// A connection left the state labelled `from` (if any) for `to` (if any); `None` is
/// no state at all (closed, or not yet started).
pub(crate) fn connection_state(from: Option<&'static str>, to: Option<&'static str>) {
    if !enabled() || from == to {
        return;
    }
    if let Some(from) = from {
        gauge!("warren_connections", "state" => from).decrement(1.0);
    }
    if let Some(to) = to {
        gauge!("warren_connections", "state" => to).increment(1.0);
    }
}

/// `in_use` more (or fewer) publisher channels carry publishes awaiting their
/// confirms, and `idle` more (or fewer) carry none.
pub(crate) fn pool_channels(in_use: i64, idle: i64) {
    let Some(hot) = HOT.get() else {
        return;
    };
    if in_use != 0 {
        hot.pool_in_use.increment(in_use as f64);
    }
    if idle != 0 {
        hot.pool_idle.increment(idle as f64);
    }
}

/// Start recording warren's metrics into the installed `metrics` recorder, and give
/// each its help text (for the Prometheus exporter). Call once, after installing the
/// recorder and before starting transports (a connection already up is counted in
/// `warren_connections` from its next change); until then warren records nothing and
/// pays nothing for it.
pub fn enable_metrics() {
    HOT.get_or_init(|| Hot {
        calls_waiting: gauge!("warren_calls_waiting"),
        pool_in_use: gauge!("warren_pool_channels", "state" => "in_use"),
        pool_idle: gauge!("warren_pool_channels", "state" => "idle"),
    });
    ENABLED.store(true, Ordering::Relaxed);
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        "messaging_client_operation_duration_seconds",
        Unit::Seconds,
        "Duration of a call (publish to reply), cast, fanout or notification (until confirmed)"
    );
    describe_counter!(
        "messaging_client_sent_messages_total",
        "Messages published and confirmed by the broker"
    );
    describe_counter!(
        "messaging_client_consumed_messages_total",
        "Messages delivered to an RPC server or notification listener"
    );
    describe_histogram!(
        "messaging_process_duration_seconds",
        Unit::Seconds,
        "Duration of processing a delivered message (dispatch, endpoint, reply)"
    );
    describe_counter!(
        "warren_rejected_messages_total",
        "Poison messages rejected without requeue"
    );
    describe_counter!(
        "warren_connection_recoveries_total",
        "Broker connections opened again after a failure"
    );
    describe_gauge!("warren_calls_waiting", "Calls waiting for their reply");
    describe_counter!(
        "warren_unexpected_replies_total",
        "Replies for no waiting call (late or unknown)"
    );
    describe_counter!(
        "warren_requeued_messages_total",
        "Messages handed back to the broker for redelivery"
    );
    describe_gauge!("warren_connections", "Broker connections, by state");
    // Every state shows from the start, at 0, so that "no connection is up" is a
    // value rather than a missing series.
    for state in ["connecting", "connected", "blocked", "backing_off"] {
        gauge!("warren_connections", "state" => state).increment(0.0);
    }
    describe_gauge!(
        "warren_pool_channels",
        "Publisher channels of the pools: in use (publishes awaiting confirms) or idle"
    );
}
