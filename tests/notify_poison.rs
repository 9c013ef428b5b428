//! Poison notifications: each is rejected without requeue and counted, and the
//! listener goes on with the next valid one.

mod common;

use std::time::Duration;

use common::{payload_listener, raw_channel, receive, transport, unique};
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use serde_json::{Value, json};
use warren::{Context, Priority};

const WAIT: Duration = Duration::from_secs(10);

fn props(content_type: &str, version: &str) -> BasicProperties {
    let mut headers = FieldTable::default();
    headers.insert("version".into(), AMQPValue::LongString(version.into()));
    BasicProperties::default()
        .with_content_type(content_type.into())
        .with_headers(headers)
        .with_message_id(unique("poison").as_str().into())
}

fn envelope(priority: &str, payload: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "message_id": "3f1c5b1e-0c55-4bb5-9f43-6c5f0e1b9f10",
        "publisher_id": "raw",
        "event_type": "raw.event",
        "priority": priority,
        "payload": payload,
        "timestamp": "2026-11-25 07:18:00.123456",
    }))
    .unwrap()
}

/// Publish to `queue` through the default exchange and wait for the broker's confirm,
/// so the message is in the queue before the next one is sent.
async fn publish(channel: &Channel, queue: &str, props: BasicProperties, body: &[u8]) {
    channel
        .basic_publish(
            "".into(),
            queue.into(),
            BasicPublishOptions::default(),
            body,
            props,
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[actix_rt::test]
async fn poison_notifications_are_rejected_counted_and_skipped() {
    let t = transport(&unique("notify-poison"));
    let topic = unique("topic");
    let queue = format!("{topic}.info");
    let (l, mut rx) = payload_listener(&t, &topic, Priority::Info).await;
    let (_conn, channel) = raw_channel(&unique("raw")).await;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let json = "application/json";

    publish(
        &channel,
        &queue,
        props(json, "1.0"),
        &envelope("INFO", json!("before")),
    )
    .await;
    // 1. undecodable body, 2. a body that is not a map, 3. an unknown priority,
    // 4. an unsupported content type, 5. an unsupported driver version header.
    publish(&channel, &queue, props(json, "1.0"), b"{not json").await;
    publish(&channel, &queue, props(json, "1.0"), b"[1, 2, 3]").await;
    publish(
        &channel,
        &queue,
        props(json, "1.0"),
        &envelope("LOUD", json!(0)),
    )
    .await;
    publish(
        &channel,
        &queue,
        props("text/plain", "1.0"),
        &envelope("INFO", json!(0)),
    )
    .await;
    publish(
        &channel,
        &queue,
        props(json, "2.0"),
        &envelope("INFO", json!(0)),
    )
    .await;
    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "after", &json!("after"))
        .await
        .unwrap();

    let got = receive(&mut rx, 2, WAIT, "the valid notifications").await;
    assert_eq!(got, vec![json!("before"), json!("after")]);
    // Deliveries are handled in order: the poison ones came before "after".
    let counts = l.counts().await;
    assert_eq!((counts.received, counts.rejected), (7, 5), "{counts:?}");
    l.stop().await;
    let row = common::ready_and_unacked(&queue).expect("queue listed");
    assert_eq!(
        row,
        format!("{queue}\t0\t0"),
        "no poison message stays queued"
    );
}
