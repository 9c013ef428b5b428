//! Spans of the messaging operations, named and attributed per the OpenTelemetry
//! semantic conventions for messaging (RabbitMQ), with the oslo view of each request
//! beside them. They are `tracing` spans at INFO under the target `warren::messaging`:
//! free when no subscriber enables them (the fields are only evaluated for an enabled
//! span), and exported to OpenTelemetry by `tracing-opentelemetry`, which reads
//! `otel.name` and `otel.kind`.
//!
//! - `send` (producer): one per call (from publish to reply), cast, fanout, and
//!   notification publish (one per topic).
//! - `process` (consumer): one per delivery an RPC server dispatches (through its
//!   reply) or a notification listener handles.
//!
//! Attributes: `messaging.system` (`rabbitmq`), `messaging.operation.type` (`send`,
//! `process`), `messaging.operation.name` (`call`, `cast`, `fanout`, `notify`,
//! `process`), `messaging.destination.name` (the exchange),
//! `messaging.rabbitmq.destination.routing_key`, `messaging.message.id`,
//! `messaging.message.conversation_id` (a call's correlation id),
//! `messaging.message.body.size`, `server.address` and `server.port` (the broker the
//! connection is on, or was last on while it reconnects: each actor is told by its
//! connection, [`crate::connection::BrokerMoved`]), `error.type` (the [`Error`] variant, or the remote
//! exception's class) with `otel.status_code` `error`; and `oslo.topic`, `oslo.server`, `oslo.method`,
//! `oslo.namespace`, `oslo.version`, `oslo.event_type`, `oslo.priority`.

use tracing::Span;
use tracing::field::Empty;

use actix::Message;

use std::time::Instant;

use crate::Error;
use crate::connection::BrokerAt;
use crate::instruments;

/// A message with the span of the code that sent it, so that the span of the work it
/// asks for is a child of the caller's (an actor's handler runs in a task of its own,
/// where the caller's span is not current). Handles wrap their messages in it.
pub(crate) struct FromCaller<M> {
    pub(crate) message: M,
    pub(crate) caller: Span,
}

impl<M> FromCaller<M> {
    /// `message`, sent from the current span.
    pub(crate) fn here(message: M) -> Self {
        Self {
            message,
            caller: Span::current(),
        }
    }
}

impl<M: Message> Message for FromCaller<M> {
    type Result = M::Result;
}

/// The `tracing` target of every messaging span.
pub const SPAN_TARGET: &str = "warren::messaging";

/// A messaging span named `$name` with every attribute declared (`tracing` needs the
/// whole field set at creation); those not given are recorded later, if ever.
macro_rules! messaging_span {
    ($parent:expr, $name:literal, $kind:literal, $operation:expr, $destination:expr, $routing_key:expr, $body_size:expr) => {
        tracing::info_span!(
            target: SPAN_TARGET,
            parent: $parent,
            $name,
            "otel.name" = Empty,
            "otel.kind" = $kind,
            "messaging.system" = "rabbitmq",
            "messaging.operation.type" = $name,
            "messaging.operation.name" = $operation,
            "messaging.destination.name" = $destination,
            "messaging.rabbitmq.destination.routing_key" = $routing_key,
            "messaging.message.id" = Empty,
            "messaging.message.conversation_id" = Empty,
            "messaging.message.body.size" = $body_size,
            "server.address" = Empty,
            "server.port" = Empty,
            "error.type" = Empty,
            "otel.status_code" = Empty,
            "oslo.topic" = Empty,
            "oslo.server" = Empty,
            "oslo.method" = Empty,
            "oslo.namespace" = Empty,
            "oslo.version" = Empty,
            "oslo.event_type" = Empty,
            "oslo.priority" = Empty,
        )
    };
}

/// A producer span, child of the `caller`'s span (where the request was made), for
/// `operation` (`call`, `cast`, `fanout` or `notify`) to the
/// exchange `destination` gives (asked only when the span is enabled); the routing key
/// and size are recorded once known ([`record_destination`]). The name is set here, as
/// an exported span's name is fixed once it starts.
pub(crate) fn send_span(
    caller: &Span,
    operation: &'static str,
    destination: impl FnOnce() -> String,
    broker: Option<&BrokerAt>,
) -> Span {
    let span = messaging_span!(caller, "send", "producer", operation, Empty, Empty, Empty);
    if !span.is_disabled() {
        let exchange = destination();
        span.record("otel.name", format!("send {exchange}"));
        span.record("messaging.destination.name", exchange);
        BrokerAt::record(broker, &span);
    }
    span
}

/// A consumer span for a delivery from `exchange` with `routing_key` (the default
/// exchange is named `amq.default`, as the conventions ask).
pub(crate) fn process_span(
    exchange: &str,
    routing_key: &str,
    body_size: usize,
    broker: Option<&BrokerAt>,
) -> Span {
    let exchange = if exchange.is_empty() {
        "amq.default"
    } else {
        exchange
    };
    // A consumer span's parent is the sender's, from the message (trace_context).
    let span = messaging_span!(
        None,
        "process",
        "consumer",
        "process",
        exchange,
        routing_key,
        size(body_size)
    );
    if !span.is_disabled() {
        span.record("otel.name", format!("process {exchange}"));
        BrokerAt::record(broker, &span);
    }
    span
}

/// A size as the integer attribute the conventions ask for.
fn size(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

/// The routing key and size of a send.
pub(crate) fn record_destination(span: &Span, routing_key: &str, body_size: usize) {
    if span.is_disabled() {
        return;
    }
    span.record("messaging.rabbitmq.destination.routing_key", routing_key);
    span.record("messaging.message.body.size", size(body_size));
}

/// The oslo view of an RPC request.
pub(crate) fn record_request(
    span: &Span,
    topic: &str,
    server: Option<&str>,
    method: &str,
    namespace: Option<&str>,
    version: Option<&str>,
) {
    if span.is_disabled() {
        return;
    }
    span.record("oslo.topic", topic);
    if let Some(server) = server {
        span.record("oslo.server", server);
    }
    span.record("oslo.method", method);
    if let Some(namespace) = namespace {
        span.record("oslo.namespace", namespace);
    }
    if let Some(version) = version {
        span.record("oslo.version", version);
    }
}

/// `error.type` of a failed operation: the [`Error`] variant, or for a remote
/// exception its class.
/// A client operation (`call`, `cast`, `fanout`, `notify`) to `destination` (when
/// metrics are recorded) started at `started` ended with `result`: its error on its
/// span, its duration in the metrics.
pub(crate) fn operation_ended<T>(
    span: &Span,
    operation: &'static str,
    destination: Option<&str>,
    started: Instant,
    result: &Result<T, Error>,
) {
    let error = result.as_ref().err();
    if let Some(e) = error {
        record_error(span, e);
    }
    if let Some(destination) = destination {
        let error_type = error.map(error_type_of);
        instruments::client_operation(operation, destination, started.elapsed(), error_type);
    }
}

pub(crate) fn record_error(span: &Span, error: &Error) {
    if span.is_disabled() {
        return;
    }
    record_error_type(span, error_type_of(error));
}

/// `error.type` of `error`: a remote exception's class, otherwise the [`Error`]
/// variant.
pub(crate) fn error_type_of(error: &Error) -> &str {
    match error {
        Error::Remote(remote) => &remote.class,
        other => error_type(other),
    }
}

/// `error.type` = `error_type`, and the span's status an error.
pub(crate) fn record_error_type(span: &Span, error_type: &str) {
    if span.is_disabled() {
        return;
    }
    span.record("error.type", error_type);
    span.record("otel.status_code", "error");
}

/// A low-cardinality name for `error`: its variant.
fn error_type(error: &Error) -> &'static str {
    match error {
        Error::Timeout { .. } => "Timeout",
        Error::Undeliverable { .. } => "Undeliverable",
        Error::Rejected { .. } => "Rejected",
        Error::ConnectionUnavailable { .. } => "ConnectionUnavailable",
        Error::ConnectFailed { .. } => "ConnectFailed",
        Error::ConnectionLost { .. } => "ConnectionLost",
        Error::Blocked { .. } => "Blocked",
        Error::Broker { .. } => "Broker",
        Error::QueueMismatch { .. } => "QueueMismatch",
        Error::TransientQueuesRefused { .. } => "TransientQueuesRefused",
        Error::InvalidTarget { .. } => "InvalidTarget",
        Error::Remote(_) => "Remote",
        Error::VersionCap(_) => "VersionCap",
        Error::EntitySerializer { .. } => "EntitySerializer",
        Error::Wire(_) => "Wire",
        Error::Arguments { .. } => "Arguments",
        Error::Result { .. } => "Result",
        Error::InvalidEndpoint { .. } => "InvalidEndpoint",
        Error::Config { .. } => "Config",
        Error::Shutdown => "Shutdown",
        Error::DrainTimedOut { .. } => "DrainTimedOut",
    }
}
