//! `[oslo_messaging_notifications]` `driver`, `topics` and `transport_url` take
//! effect, against the real broker.
//!
//! Whether a notification was published is shown by order: a listener's queue is
//! first in, first out, and a published notification is confirmed before `notify`
//! returns, so when a marker sent afterwards is the first thing the listener gets,
//! nothing was published before it.

mod common;

use std::time::Duration;

use common::{payload_listener, receive, transport, transport_on, unique};
use serde_json::{Value, json};
use warren::{Context, Error, Priority, Retry, Section, Target, Transport};

const WAIT: Duration = Duration::from_secs(20);

/// A transport on the test broker whose `[oslo_messaging_notifications] driver` is
/// `drivers`.
fn with_drivers(name: &str, drivers: &[&str]) -> Transport {
    common::transport_with(name, |b| b.notification_driver(drivers))
}

/// Send `payload` at INFO to `topic` on `t`.
async fn info(t: &Transport, topic: &str, payload: Value) -> Result<(), Error> {
    t.notifier("warren-tests")
        .with_topics([topic])
        .info(&Context::new(), "drivers.test", &payload)
        .await
}

#[actix_rt::test]
async fn driver_noop_drops_notifications_and_log_only_logs_them() {
    let topic = unique("drivers-off");
    let sender = transport(&unique("drivers-sender"));
    let (listener, mut rx) = payload_listener(&sender, &topic, Priority::Info).await;
    for driver in ["noop", "log"] {
        let t = with_drivers(&unique("drivers-off"), &[driver]);
        info(&t, &topic, json!({ "sent_with": driver }))
            .await
            .unwrap_or_else(|e| panic!("driver {driver}: {e}"));
        t.close().await;
    }
    info(&sender, &topic, json!("marker")).await.unwrap();
    let first = receive(&mut rx, 1, WAIT, "the marker").await;
    assert_eq!(first, [json!("marker")], "nothing came before the marker");
    listener.stop().await;
    sender.close().await;
    common::rabbitmqctl(&["delete_queue", &format!("{topic}.info")]);
}

#[actix_rt::test]
async fn messaging_drivers_publish_also_alongside_log() {
    let topic = unique("drivers-on");
    let t = with_drivers(&unique("drivers-on"), &["messagingv2", "log"]);
    let v1 = with_drivers(&unique("drivers-v1"), &["messaging"]);
    let (listener, mut rx) = payload_listener(&t, &topic, Priority::Info).await;
    info(&t, &topic, json!("v2 and log")).await.unwrap();
    info(&v1, &topic, json!("v1")).await.unwrap();
    let got = receive(&mut rx, 2, WAIT, "both notifications").await;
    assert_eq!(got, [json!("v2 and log"), json!("v1")]);
    listener.stop().await;
    v1.close().await;
    t.close().await;
    common::rabbitmqctl(&["delete_queue", &format!("{topic}.info")]);
}

#[actix_rt::test]
async fn configured_topics_are_where_a_notifier_without_topics_sends() {
    let (first, second) = (unique("topics-a"), unique("topics-b"));
    let t = common::transport_with(&unique("topics"), |b| {
        b.notification_topics(&[first.as_str(), second.as_str()])
    });
    let (la, mut a) = payload_listener(&t, &first, Priority::Info).await;
    let (lb, mut b) = payload_listener(&t, &second, Priority::Info).await;
    t.notifier("warren-tests")
        .info(&Context::new(), "topics.test", &json!("to both"))
        .await
        .unwrap();
    assert_eq!(
        receive(&mut a, 1, WAIT, "topic a").await,
        [json!("to both")]
    );
    assert_eq!(
        receive(&mut b, 1, WAIT, "topic b").await,
        [json!("to both")]
    );
    la.stop().await;
    lb.stop().await;
    t.close().await;
    for topic in [first, second] {
        common::rabbitmqctl(&["delete_queue", &format!("{topic}.info")]);
    }
}

#[actix_rt::test]
async fn the_notification_transport_url_carries_notifications_and_their_listeners() {
    common::require_broker();
    // RPC goes to a port where nothing listens; notifications to the real broker.
    let topic = unique("notify-url");
    let t = transport_on(
        "pika://guest:guest@127.0.0.1:1/",
        &unique("notify-url"),
        |b| {
            b.set(
                Section::Notifications,
                "transport_url",
                common::broker_url(),
            )
        },
    );
    let (listener, mut rx) = payload_listener(&t, &topic, Priority::Info).await;
    info(&t, &topic, json!("over the notification bus"))
        .await
        .unwrap();
    let got = receive(&mut rx, 1, WAIT, "the notification").await;
    assert_eq!(got, [json!("over the notification bus")]);
    // RPC still uses [DEFAULT] transport_url.
    let call = t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(2))
        .call::<_, Value>(&Context::new(), "echo", &json!({}))
        .await
        .unwrap_err();
    assert!(call.to_string().contains("127.0.0.1:1"), "{call}");
    listener.stop().await;
    t.close().await;
    common::rabbitmqctl(&["delete_queue", &format!("{topic}.info")]);
}

#[actix_rt::test]
async fn notifications_do_not_fall_back_to_the_rpc_transport() {
    common::require_broker();
    let t = common::transport_with(&unique("notify-url-down"), |b| {
        b.set(
            Section::Notifications,
            "transport_url",
            "pika://guest:guest@127.0.0.1:1/",
        )
        .set(Section::Pika, "pool_timeout", "1")
    });
    let err = t
        .notifier("warren-tests")
        .with_topics([unique("notify-url-down").as_str()])
        .with_retry(Retry::NoRetrier)
        .info(&Context::new(), "drivers.test", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ConnectionUnavailable { .. })
            && err.to_string().contains("127.0.0.1:1"),
        "{err}"
    );
    t.close().await;
}
