//! The messaging spans (target `warren::messaging`), captured by a subscriber of the
//! test's own: a call is a `send` span on the client and a `process` span on the
//! server, with the OpenTelemetry messaging attributes and the oslo view; a notification
//! likewise; failures carry `error.type`.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{Echo, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use warren::{Context, Error, Priority, Target};

const WAIT: Duration = Duration::from_secs(10);

/// One captured span: its name and fields as text.
#[derive(Debug, Clone)]
struct Captured {
    name: &'static str,
    fields: BTreeMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

type Spans = Arc<Mutex<BTreeMap<u64, Captured>>>;

struct FieldText<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldText<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// Records every span of warren's messaging target, fields as they are recorded.
struct Capture(Spans);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: LayerContext<'_, S>) {
        if attrs.metadata().target() != warren::SPAN_TARGET {
            return;
        }
        let mut fields = BTreeMap::new();
        attrs.record(&mut FieldText(&mut fields));
        let span = Captured {
            name: attrs.metadata().name(),
            fields,
        };
        self.0.lock().unwrap().insert(id.into_u64(), span);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: LayerContext<'_, S>) {
        if let Some(span) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut FieldText(&mut span.fields));
        }
    }
}

/// The spans captured in this test binary (one global subscriber: the actors run on
/// threads of their own).
fn spans() -> &'static Spans {
    static SPANS: OnceLock<Spans> = OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Spans::default();
        let subscriber = tracing_subscriber::registry().with(Capture(spans.clone()));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        spans
    })
}

/// The spans named `name` whose `field` is `value`.
fn spans_where(name: &str, field: &str, value: &str) -> Vec<Captured> {
    spans()
        .lock()
        .unwrap()
        .values()
        .filter(|s| s.name == name && s.field(field) == Some(value))
        .cloned()
        .collect()
}

/// Waits until exactly one span `name` with `field` = `value` has `complete` recorded.
async fn one_span(name: &str, field: &str, value: &str, complete: &str) -> Captured {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = spans_where(name, field, value);
        if let [span] = &found[..]
            && span.field(complete).is_some()
        {
            return span.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no complete {name} span with {field} = {value}: {found:?}"
        );
        tokio::task::yield_now().await;
    }
}

fn assert_fields(span: &Captured, expected: &[(&str, &str)]) {
    for (field, value) in expected {
        assert_eq!(span.field(field), Some(*value), "{field} of {span:?}");
    }
}

#[actix_rt::test]
async fn a_call_is_a_send_span_on_the_client_and_a_process_span_on_the_server() {
    spans();
    let t = transport(&unique("spans-call"));
    let topic = unique("topic");
    let (seen, _seen) = unbounded_channel();
    let server = common::recording_server(&t, &topic, "s1", seen).await;
    let answer: i64 = t
        .rpc_client(Target::new(&topic))
        .call(&Context::new(), "echo", &Echo { value: json!(7) })
        .await
        .expect("answered");
    assert_eq!(answer, 7);

    let send = one_span(
        "send",
        "oslo.topic",
        &topic,
        "messaging.message.conversation_id",
    )
    .await;
    assert_fields(
        &send,
        &[
            ("otel.kind", "producer"),
            ("otel.name", "send openstack_rpc"),
            ("messaging.system", "rabbitmq"),
            ("messaging.operation.type", "send"),
            ("messaging.operation.name", "call"),
            ("messaging.destination.name", "openstack_rpc"),
            ("oslo.method", "echo"),
            ("server.address", "127.0.0.1"),
            ("server.port", "5672"),
        ],
    );
    assert!(send.field("error.type").is_none(), "{send:?}");
    let conversation = send.field("messaging.message.conversation_id").unwrap();
    assert_eq!(conversation.len(), 32, "a correlation id: {send:?}");
    let key = send
        .field("messaging.rabbitmq.destination.routing_key")
        .expect("a routing key");
    assert!(key.ends_with(&topic), "{key}");
    assert!(send.field("messaging.message.body.size").is_some());

    let process = one_span("process", "oslo.topic", &topic, "oslo.method").await;
    assert_fields(
        &process,
        &[
            ("otel.kind", "consumer"),
            ("otel.name", "process openstack_rpc"),
            ("messaging.operation.type", "process"),
            ("messaging.destination.name", "openstack_rpc"),
            ("messaging.rabbitmq.destination.routing_key", key),
            ("messaging.message.conversation_id", conversation),
            ("oslo.server", "s1"),
            ("oslo.method", "echo"),
            ("server.address", "127.0.0.1"),
            ("server.port", "5672"),
        ],
    );
    assert!(process.field("error.type").is_none(), "{process:?}");
    server.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn a_failed_call_records_the_remote_class_on_both_sides() {
    spans();
    let t = transport(&unique("spans-fail"));
    let topic = unique("topic");
    let (seen, _seen) = unbounded_channel();
    let server = common::recording_server(&t, &topic, "s1", seen).await;
    let refused = t
        .rpc_client(Target::new(&topic))
        .call::<_, i64>(&Context::new(), "missing", &json!({}))
        .await;
    assert!(matches!(refused, Err(Error::Remote(_))), "{refused:?}");
    let send = one_span("send", "oslo.topic", &topic, "error.type").await;
    assert_fields(
        &send,
        &[
            ("error.type", "NoSuchMethod"),
            ("otel.status_code", "error"),
        ],
    );
    let process = one_span("process", "oslo.topic", &topic, "error.type").await;
    assert_fields(
        &process,
        &[
            ("error.type", "NoSuchMethod"),
            ("otel.status_code", "error"),
        ],
    );
    server.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn casts_and_fanouts_are_send_spans_named_for_their_operation() {
    spans();
    let t = transport(&unique("spans-cast"));
    let topic = unique("topic");
    let (seen, mut seen_rx) = unbounded_channel();
    let server = common::recording_server(&t, &topic, "s1", seen).await;
    let client = t.rpc_client(Target::new(&topic));
    client
        .cast(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
        .expect("cast");
    common::receive(&mut seen_rx, 1, WAIT, "the cast").await;
    let cast = one_span("send", "oslo.topic", &topic, "messaging.destination.name").await;
    assert_eq!(cast.field("messaging.operation.name"), Some("cast"));

    let fanout_topic = unique("fanout");
    let (seen, mut fanout_rx) = unbounded_channel();
    let fanout_server = common::recording_server(&t, &fanout_topic, "s1", seen).await;
    t.rpc_client(Target::new(&fanout_topic).with_fanout(true))
        .cast(&Context::new(), "echo", &Echo { value: json!(2) })
        .await
        .expect("fanout");
    common::receive(&mut fanout_rx, 1, WAIT, "the fanout").await;
    let fanout = one_span(
        "send",
        "oslo.topic",
        &fanout_topic,
        "messaging.destination.name",
    )
    .await;
    assert_eq!(fanout.field("messaging.operation.name"), Some("fanout"));
    server.stop().await;
    fanout_server.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn a_notification_is_a_send_span_and_its_handling_a_process_span() {
    spans();
    let t = transport(&unique("spans-notify"));
    let topic = unique("topic");
    let (listener, mut payloads) = common::payload_listener(&t, &topic, Priority::Info).await;
    t.notifier("spans")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "spans.test", &json!("traced"))
        .await
        .expect("notified");
    common::receive(&mut payloads, 1, WAIT, "the notification").await;
    let key = format!("{topic}.info");
    let send = one_span("send", "oslo.topic", &topic, "messaging.message.id").await;
    assert_fields(
        &send,
        &[
            ("messaging.operation.name", "notify"),
            ("messaging.rabbitmq.destination.routing_key", &key),
            ("oslo.event_type", "spans.test"),
            ("oslo.priority", "info"),
        ],
    );
    let id = send.field("messaging.message.id").unwrap();
    let process = one_span(
        "process",
        "messaging.rabbitmq.destination.routing_key",
        &key,
        "messaging.message.id",
    )
    .await;
    assert_fields(
        &process,
        &[
            ("messaging.operation.type", "process"),
            ("messaging.message.id", id),
            ("oslo.event_type", "spans.test"),
        ],
    );
    listener.stop().await;
    t.close().await;
}
