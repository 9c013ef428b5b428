//! Trace context across the wire (warren's `otel` feature), exported with the
//! OpenTelemetry SDK's in-memory exporter: a call from one transport to a server on
//! another is one trace, the server's `process` span a child of the caller's `send`
//! span through the `traceparent` header; a notification likewise.

mod common;
mod otel_export;

use std::time::Duration;

use common::{Echo, transport, unique};
use opentelemetry_sdk::trace::SpanData;
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{Context, Priority, Target};

const WAIT: Duration = Duration::from_secs(10);

fn exporter() -> &'static opentelemetry_sdk::trace::InMemorySpanExporter {
    otel_export::install()
}

/// Waits for the one finished span named `name` whose attribute `key` is `value`.
async fn finished(name: &str, key: &str, value: &str) -> SpanData {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let spans = exporter()
            .get_finished_spans()
            .expect("the exporter's spans");
        let all: Vec<String> = spans
            .iter()
            .map(|s| format!("{} {:?}", s.name, s.attributes))
            .collect();
        let found: Vec<SpanData> = spans
            .into_iter()
            .filter(|s| {
                s.name == name
                    && s.attributes
                        .iter()
                        .any(|kv| kv.key.as_str() == key && kv.value.as_str() == value)
            })
            .collect();
        if let [span] = &found[..] {
            return span.clone();
        }
        assert!(
            found.len() < 2 && tokio::time::Instant::now() < deadline,
            "not one finished {name} span with {key} = {value}: {found:?} of {all:#?}"
        );
        tokio::task::yield_now().await;
    }
}

fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id(),
        "one trace"
    );
    assert_eq!(child.parent_span_id, parent.span_context.span_id());
    assert!(child.parent_span_is_remote, "parented through the message");
}

#[actix_rt::test]
async fn a_call_between_two_transports_is_one_trace() {
    exporter();
    let caller = transport(&unique("trace-caller"));
    let serving = transport(&unique("trace-server"));
    let topic = unique("topic");
    let (seen, _seen) = unbounded_channel();
    let server = common::recording_server(&serving, &topic, "s1", seen).await;
    let answer: i64 = caller
        .rpc_client(Target::new(&topic))
        .call(&Context::new(), "echo", &Echo { value: json!(3) })
        .await
        .expect("answered");
    assert_eq!(answer, 3);

    let send = finished("send openstack_rpc", "oslo.topic", &topic).await;
    let process = finished("process openstack_rpc", "oslo.topic", &topic).await;
    assert_child_of(&process, &send);
    server.stop().await;
    caller.close().await;
    serving.close().await;
}

#[actix_rt::test]
async fn a_notification_and_its_handling_are_one_trace() {
    exporter();
    let t = transport(&unique("trace-notify"));
    let topic = unique("topic");
    let (listener, mut payloads) = common::payload_listener(&t, &topic, Priority::Info).await;
    t.notifier("trace")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "trace.test", &json!("traced"))
        .await
        .expect("notified");
    common::receive(&mut payloads, 1, WAIT, "the notification").await;
    let key = format!("{topic}.info");
    let send = finished(
        "send openstack_notification",
        "messaging.rabbitmq.destination.routing_key",
        &key,
    )
    .await;
    let process = finished(
        "process openstack_notification",
        "messaging.rabbitmq.destination.routing_key",
        &key,
    )
    .await;
    assert_child_of(&process, &send);
    listener.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn a_malformed_traceparent_starts_a_new_trace() {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    use lapin::types::{AMQPValue, FieldTable};

    exporter();
    let t = transport(&unique("trace-malformed"));
    let topic = unique("topic");
    let queue = format!("{topic}.info");
    let (listener, mut payloads) = common::payload_listener(&t, &topic, Priority::Info).await;
    let (_connection, channel) = common::raw_channel(&unique("trace-raw")).await;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirms");
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString("1.0".into()));
    headers.insert(
        "traceparent".into(),
        AMQPValue::LongString("00-not-a-trace-01".into()),
    );
    let body = serde_json::to_vec(&json!({
        "message_id": "5d2c1d3e-0c55-4bb5-9f43-6c5f0e1b9f10",
        "publisher_id": "raw",
        "event_type": "raw.event",
        "priority": "INFO",
        "payload": "still handled",
        "timestamp": "2026-12-05 07:18:00.123456",
    }))
    .expect("a JSON body");
    let properties = lapin::BasicProperties::default()
        .with_content_type("application/json".into())
        .with_headers(headers);
    channel
        .basic_publish(
            "".into(),
            queue.as_str().into(),
            BasicPublishOptions::default(),
            &body,
            properties,
        )
        .await
        .expect("published")
        .await
        .expect("confirmed");
    let got = common::receive(&mut payloads, 1, WAIT, "the notification").await;
    assert_eq!(got, [json!("still handled")]);
    let process = finished(
        "process amq.default",
        "messaging.rabbitmq.destination.routing_key",
        &queue,
    )
    .await;
    assert!(!process.parent_span_is_remote, "{process:?}");
    assert_eq!(
        process.parent_span_id,
        opentelemetry::trace::SpanId::INVALID
    );
    listener.stop().await;
    t.close().await;
}

#[actix_rt::test]
async fn a_call_and_a_buffered_notification_made_in_a_span_are_its_children() {
    use tracing::Instrument;

    exporter();
    let t = transport(&unique("trace-caller-span"));
    let topic = unique("topic");
    let (seen, _seen) = unbounded_channel();
    let server = common::recording_server(&t, &topic, "s1", seen).await;
    let (listener, mut payloads) = common::payload_listener(&t, &topic, Priority::Info).await;
    let work = tracing::info_span!("caller.work", topic = topic.as_str());
    async {
        let answer: i64 = t
            .rpc_client(Target::new(&topic))
            .call(&Context::new(), "echo", &Echo { value: json!(5) })
            .await
            .expect("answered");
        assert_eq!(answer, 5);
        let notifier = t.notifier("trace").with_topics([topic.as_str()]).buffered();
        notifier
            .info(&Context::new(), "trace.buffered", &json!("buffered"))
            .await
            .expect("buffered");
        notifier.flush().await;
    }
    .instrument(work.clone())
    .await;
    drop(work);
    common::receive(&mut payloads, 1, WAIT, "the notification").await;

    let work = finished("caller.work", "topic", &topic).await;
    let call = finished("send openstack_rpc", "oslo.topic", &topic).await;
    let notification = finished("send openstack_notification", "oslo.topic", &topic).await;
    for send in [&call, &notification] {
        assert_eq!(send.span_context.trace_id(), work.span_context.trace_id());
        assert_eq!(send.parent_span_id, work.span_context.span_id());
        assert!(!send.parent_span_is_remote, "a local child: {send:?}");
    }
    let process = finished("process openstack_rpc", "oslo.topic", &topic).await;
    assert_child_of(&process, &call);
    server.stop().await;
    listener.stop().await;
    t.close().await;
}
