//! Delivery guarantees of notifications: persistence, requeue, store and forward.

mod common;

use std::time::Duration;

use common::{
    payload_listener, rabbitmqctl, raw_channel, receive, transport, transport_with, unique,
};
use lapin::options::{BasicGetOptions, QueueDeleteOptions};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{
    Context, ListenerOptions, NotificationEndpoint, NotificationListener, NotificationResult,
    Priority, Target,
};

const WAIT: Duration = Duration::from_secs(10);

/// `(name, durable)` of the exchanges or queues `rabbitmqctl` lists, for one name.
fn durable(kind: &str, name: &str) -> Option<bool> {
    rabbitmqctl(&[kind, "name", "durable"])
        .lines()
        .find_map(|l| {
            let (n, d) = l.split_once('\t')?;
            (n == name).then(|| d == "true")
        })
}

/// Messages ready plus unacknowledged in `queue`.
fn queued(queue: &str) -> Option<u64> {
    rabbitmqctl(&["list_queues", "name", "messages"])
        .lines()
        .find_map(|l| {
            let (n, m) = l.split_once('\t')?;
            (n == queue).then(|| m.trim().parse().ok()).flatten()
        })
}

/// Send one notification to a topic nobody listens to (the notifier declares
/// `<topic>.info`), read it back with raw lapin, and return its `delivery_mode`;
/// deletes the queue (and with it the auto-delete exchange) afterwards.
async fn delivery_mode_on_the_wire(persistent: bool) -> (Option<u8>, String, String) {
    let exchange = unique("notify-durability");
    let t = transport_with(&unique("notify-persist"), |b| {
        b.notification_persistence(persistent)
            .default_notification_exchange(&exchange)
    });
    let topic = unique("topic");
    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "persist", &json!("kept"))
        .await
        .unwrap();
    let queue = format!("{topic}.info");
    let (_conn, channel) = raw_channel(&unique("raw")).await;
    let got = channel
        .basic_get(queue.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("the notification waits in its queue");
    let mode = *got.delivery.properties.delivery_mode();
    t.close().await;
    (mode, exchange, queue)
}

async fn cleanup(queue: &str) {
    let (_conn, channel) = raw_channel(&unique("raw")).await;
    channel
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .unwrap();
}

#[actix_rt::test]
async fn persistence_declares_durable_objects_and_sends_delivery_mode_2() {
    let (mode, exchange, queue) = delivery_mode_on_the_wire(true).await;
    assert_eq!(mode, Some(2));
    assert_eq!(durable("list_exchanges", &exchange), Some(true));
    assert_eq!(durable("list_queues", &queue), Some(true));
    cleanup(&queue).await;
}

#[actix_rt::test]
async fn without_persistence_objects_are_transient_and_delivery_mode_is_1() {
    let (mode, exchange, queue) = delivery_mode_on_the_wire(false).await;
    assert_eq!(mode, Some(1));
    assert_eq!(durable("list_exchanges", &exchange), Some(false));
    assert_eq!(durable("list_queues", &queue), Some(false));
    cleanup(&queue).await;
}

#[actix_rt::test]
async fn a_listener_with_persistence_declares_durable_queues() {
    let exchange = unique("notify-durable-listener");
    let t = transport_with(&unique("notify-persist-l"), |b| {
        b.notification_persistence(true)
            .default_notification_exchange(&exchange)
    });
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![NotificationEndpoint::new().on(Priority::Error, move |n| {
            let _ = tx.send(n);
            async { NotificationResult::Handled }
        })],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    assert_eq!(durable("list_exchanges", &exchange), Some(true));
    assert_eq!(
        durable("list_queues", &format!("{topic}.error")),
        Some(true)
    );
    t.notifier("p")
        .with_topics([topic.as_str()])
        .error(&Context::new(), "durable", &json!(1))
        .await
        .unwrap();
    receive(&mut rx, 1, WAIT, "the durable notification").await;
    l.stop().await;
    cleanup(&format!("{topic}.error")).await;
}

#[actix_rt::test]
async fn a_requeued_notification_comes_back_when_requeue_is_allowed() {
    let t = transport(&unique("notify-requeue"));
    let topic = unique("topic");
    let got = common::requeued_once(&t, &topic).await;
    assert_eq!(got[0].0, got[1].0, "the same message comes back");
    assert_eq!((got[0].1, got[1].1), (1, 2));
    assert_eq!(queued(&format!("{topic}.info")), Some(0));
}

#[actix_rt::test]
async fn a_requeue_result_is_acknowledged_when_requeue_is_not_allowed() {
    let t = transport(&unique("notify-no-requeue"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |n| {
        let _ = tx.send(n.message_id);
        async { NotificationResult::Requeue }
    });
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    let notifier = t.notifier("p").with_topics([topic.as_str()]);
    notifier
        .info(&Context::new(), "requeue", &json!(1))
        .await
        .unwrap();
    receive(&mut rx, 1, WAIT, "the delivery").await;
    // Stopping waits until every delivery is settled; a requeued one would be back in
    // the queue, with no consumer left to take it.
    l.stop().await;
    assert!(rx.try_recv().is_err(), "nothing was redelivered");
    assert_eq!(queued(&format!("{topic}.info")), Some(0), "acknowledged");
}

#[actix_rt::test]
async fn notifications_sent_before_any_listener_are_kept_and_delivered() {
    const N: usize = 25;
    let t = transport(&unique("notify-store"));
    let topic = unique("topic");
    let notifier = t.notifier("early").with_topics([topic.as_str()]);
    for i in 0..N {
        // Confirmed: each is stored in the queue the notifier declared.
        notifier
            .warn(&Context::new(), "early", &json!(i))
            .await
            .unwrap();
    }
    assert_eq!(queued(&format!("{topic}.warn")), Some(N as u64));
    let (l, mut rx) = payload_listener(&t, &topic, Priority::Warn).await;
    let got = receive(&mut rx, N, WAIT, "the stored notifications").await;
    assert_eq!(
        got,
        (0..N).map(|i| json!(i)).collect::<Vec<_>>(),
        "all, in order"
    );
    l.stop().await;
}
