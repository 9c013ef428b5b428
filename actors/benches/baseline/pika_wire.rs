//! The Pika driver's RPC wire format, written out by hand for the `call-pika` baseline:
//! names, declare arguments, properties and bodies. Nothing here comes from warren, so
//! the baseline checks warren's format instead of sharing its mistakes.

use std::time::Duration;

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, ExchangeKind};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The only content type this baseline speaks (the driver's default serializer).
pub const CONTENT_TYPE: &str = "application/json";

/// `rpc_queue_expiration` (60 s) as the `x-expires` of RPC and reply queues.
const QUEUE_EXPIRES_MS: i64 = 60_000;

/// `with_ack.<topic>` or `with_ack.<topic>.<server>`: the queue name and its routing key.
pub fn rpc_queue(ack: &str, topic: &str, server: Option<&str>) -> String {
    match server {
        Some(server) => format!("{ack}.{topic}.{server}"),
        None => format!("{ack}.{topic}"),
    }
}

/// One queue an RPC server declares, binds and consumes.
#[derive(Debug)]
pub struct ServerQueue {
    /// The queue name.
    pub name: String,
    /// Its routing key on the RPC exchange.
    pub key: String,
    /// Consumed without acks (the `no_ack` family).
    pub no_ack: bool,
}

/// The six queues of server `server` of `topic`: for each of `no_ack` and `with_ack`,
/// the topic's queue, the server's queue, and a worker queue of this process bound to
/// the fanout key `<ack>.<topic>.all_workers`.
pub fn server_queues(topic: &str, server: &str) -> Vec<ServerQueue> {
    let mut queues = Vec::with_capacity(6);
    for (ack, no_ack) in [("no_ack", true), ("with_ack", false)] {
        let own = |name: String| ServerQueue {
            key: name.clone(),
            name,
            no_ack,
        };
        queues.push(own(rpc_queue(ack, topic, None)));
        queues.push(own(rpc_queue(ack, topic, Some(server))));
        queues.push(ServerQueue {
            name: format!(
                "{}.worker.{}",
                rpc_queue(ack, topic, Some(server)),
                hex_id()
            ),
            key: rpc_queue(ack, topic, Some("all_workers")),
            no_ack,
        });
    }
    queues
}

/// A fresh `uuid4().hex`: message ids, correlation ids, queue suffixes.
pub fn hex_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Declare `exchange` as the driver declares every RPC exchange: direct, transient,
/// auto-delete.
pub async fn declare_exchange(channel: &Channel, exchange: &str) -> lapin::Result<()> {
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                auto_delete: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
}

/// Declare `queue` (transient, not exclusive, `x-expires` as the driver sets it) and
/// bind it to `exchange` with `key`. Both sides must declare a shared queue alike, or
/// the broker refuses the second declaration.
pub async fn declare_queue(
    channel: &Channel,
    exchange: &str,
    queue: &str,
    key: &str,
) -> lapin::Result<()> {
    let mut arguments = FieldTable::default();
    arguments.insert("x-expires".into(), AMQPValue::LongLongInt(QUEUE_EXPIRES_MS));
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::default(), arguments)
        .await?;
    channel
        .queue_bind(
            queue.into(),
            exchange.into(),
            key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
}

/// `{"version": "1.0"}`: the driver's wire-protocol version, carried by every message.
pub fn version_headers() -> FieldTable {
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString("1.0".into()));
    headers
}

/// Whether this side can read a message: JSON, and a driver version it understands.
pub fn readable(properties: &BasicProperties) -> bool {
    let json = properties
        .content_type()
        .as_ref()
        .is_some_and(|c| c.as_str() == CONTENT_TYPE);
    json && version_supported(properties)
}

/// Whether a message's headers carry a driver version this side understands: none at
/// all, or major version 1.
fn version_supported(properties: &BasicProperties) -> bool {
    let version = properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get("version").cloned());
    match version {
        None => true,
        Some(AMQPValue::LongString(v)) => {
            let v = v.to_string();
            v == "1" || v.starts_with("1.")
        }
        Some(AMQPValue::ShortString(v)) => v.as_str() == "1" || v.as_str().starts_with("1."),
        Some(_) => false,
    }
}

/// The properties every message carries: content type, version header, a new message
/// id, transient delivery; `expiration` is the time left, in whole milliseconds.
pub fn properties(
    content_type: ShortString,
    headers: FieldTable,
    expiration: Option<Duration>,
) -> BasicProperties {
    let properties = BasicProperties::default()
        .with_content_type(content_type)
        .with_headers(headers)
        .with_message_id(hex_id().into())
        .with_delivery_mode(1);
    match expiration {
        Some(left) => properties.with_expiration(left.as_millis().to_string().into()),
        None => properties,
    }
}

/// A request body: `method`, `args` with the one argument `value`, and `namespace` and
/// `version` only when set. The context travels as top-level `_$_` keys; these
/// requests carry none, as `warren bench` sends none.
pub fn request_body(
    method: &str,
    value: &str,
    namespace: Option<&str>,
    version: Option<&str>,
) -> Vec<u8> {
    let mut body = json!({ "method": method, "args": { "value": value } });
    if let Some(namespace) = namespace {
        body["namespace"] = namespace.into();
    }
    if let Some(version) = version {
        body["version"] = version.into();
    }
    body.to_string().into_bytes()
}

/// A request as a server reads it; `_$_` context keys are left out.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// The method to call.
    pub method: String,
    /// Keyword arguments.
    #[serde(default)]
    pub args: Map<String, Value>,
    /// The endpoint namespace; `None` is the null namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The API version the caller needs; `None` means 1.0.
    #[serde(default)]
    pub version: Option<String>,
}

/// The reply body for `request` from a server whose one endpoint (null namespace,
/// version 1.0) has the method `echo(value)`, following oslo's dispatch rules.
pub fn answer(request: Request) -> Vec<u8> {
    let version_ok = match request.version.as_deref() {
        None => true,
        Some(v) => {
            let mut parts = v.split('.');
            parts.next() == Some("1") && parts.all(|p| p.parse() == Ok(0u32))
        }
    };
    let reply = if request.namespace.is_some() || !version_ok {
        failure(
            "UnsupportedVersion",
            "oslo_messaging.rpc.dispatcher",
            &format!(
                "Endpoint does not support RPC version {}. Attempted method: {}",
                request.version.as_deref().unwrap_or("1.0"),
                request.method
            ),
        )
    } else if request.method != "echo" {
        failure(
            "NoSuchMethod",
            "oslo_messaging.rpc.dispatcher",
            &format!("Endpoint does not support RPC method {}", request.method),
        )
    } else {
        let mut args = request.args;
        match args.remove("value") {
            Some(value) if args.is_empty() => json!({ "s": value }),
            _ => failure(
                "TypeError",
                "builtins",
                "echo() takes exactly one argument: value",
            ),
        }
    };
    reply.to_string().into_bytes()
}

/// `{"e": ...}` with an empty traceback.
fn failure(class: &str, module: &str, message: &str) -> Value {
    json!({ "e": { "c": class, "m": module, "s": message, "t": [] } })
}

/// A reply as a client reads it: the result under `s`, or a failure under `e`.
#[derive(Debug, Deserialize)]
pub struct Reply {
    /// Whether a result came (`null` is a result too); its value is skipped unread.
    #[serde(default, deserialize_with = "present")]
    pub s: bool,
    /// The failure.
    #[serde(default)]
    pub e: Option<RemoteFailure>,
}

/// `true` for any value, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(value).map(|_| true)
}

/// A failure the server sent back.
#[derive(Debug, Deserialize)]
pub struct RemoteFailure {
    /// Exception class name.
    pub c: String,
    /// Exception module.
    #[serde(default)]
    pub m: Option<String>,
    /// `str(exception)`.
    #[serde(default)]
    pub s: String,
}
