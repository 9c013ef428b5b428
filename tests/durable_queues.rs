//! `durable_queues`: every queue warren declares — RPC server queues, the reply queue,
//! notification queues — is a durable classic queue, the RPC and reply queues keeping
//! their `x-expires`. This is the topology RabbitMQ 4.3 accepts without
//! `deprecated_features.permit.transient_nonexcl_queues`; read back here with
//! `rabbitmqctl` (durable queues outlive a broker restart, so each test deletes them).

mod common;

use std::time::Duration;

use common::{
    Echo, Queue, delete_queues, payload_listener, queues_containing, receive, recording_server,
    unique,
};
use serde_json::{Value, json};
use tokio::sync::mpsc::unbounded_channel;
use tokio::time::timeout;
use warren::{Context, Priority, QueueType, Target};

const WAIT: Duration = Duration::from_secs(10);

/// A durable classic queue (no `x-queue-type`), neither auto-delete nor exclusive,
/// with `x-expires` as given.
fn assert_durable_classic(name: &str, q: &Queue, expires: Option<&str>) {
    assert_eq!(q.kind, "classic", "{name}: {q:?}");
    assert!(q.durable && !q.auto_delete && !q.exclusive, "{name}: {q:?}");
    assert!(!q.arguments.contains("x-queue-type"), "{name}: {q:?}");
    match expires {
        Some(e) => assert!(q.arguments.contains(e), "{name}: {q:?}"),
        None => assert!(!q.arguments.contains("x-expires"), "{name}: {q:?}"),
    }
}

#[actix_rt::test]
async fn with_durable_queues_every_queue_is_durable_and_calls_and_notifications_flow() {
    let prog = unique("durable-prog");
    let t = common::transport_with_query(&unique("durable"), &prog, "durable_queues=true");
    assert_eq!(t.config().pika.queue_type(), QueueType::DurableClassic);
    let topic = unique("durable-rpc");
    let (tx, mut seen) = unbounded_channel();
    let server = recording_server(&t, &topic, "s1", tx).await;
    let echo = Echo {
        value: json!("round trip"),
    };
    let reply: Value = timeout(
        WAIT,
        t.rpc_client(Target::new(&topic))
            .call(&Context::new(), "echo", &echo),
    )
    .await
    .expect("the call answers in time")
    .expect("the call succeeds");
    assert_eq!(reply, json!("round trip"));
    receive(&mut seen, 1, WAIT, "the echo report").await;

    let rpc_queues = queues_containing(&topic);
    assert_eq!(rpc_queues.len(), 6, "{rpc_queues:?}");
    for (name, q) in &rpc_queues {
        assert_durable_classic(name, q, Some(r#"{"x-expires",60000}"#));
    }
    let replies = queues_containing(&prog);
    assert_eq!(replies.len(), 1, "{replies:?}");
    for (name, q) in &replies {
        assert_durable_classic(name, q, Some(r#"{"x-expires",60000}"#));
    }

    // Notification queues too, without notification_persistence; no x-expires, as
    // in the Pika driver (they store and forward).
    let ntopic = unique("durable-n");
    let (listener, mut payloads) = payload_listener(&t, &ntopic, Priority::Info).await;
    t.notifier("p")
        .with_topics([ntopic.as_str()])
        .info(&Context::new(), "durable", &json!("delivered"))
        .await
        .expect("the notification is confirmed");
    let got = receive(&mut payloads, 1, WAIT, "the notification").await;
    assert_eq!(got, [json!("delivered")]);
    let notification_queues = queues_containing(&ntopic);
    assert_eq!(notification_queues.len(), 1, "{notification_queues:?}");
    for (name, q) in &notification_queues {
        assert_durable_classic(name, q, None);
    }

    listener.stop().await;
    server.stop().await;
    t.close().await;
    delete_queues(
        rpc_queues
            .keys()
            .chain(replies.keys())
            .chain(notification_queues.keys()),
    );
}
