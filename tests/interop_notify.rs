//! Notifications between warren and the real Python Pika driver (oslo.messaging 5.36),
//! both directions, both serializers, with pools and persistence.

mod common;
mod otel_export;
#[path = "interop/peer.rs"]
mod peer;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{receive, transport_with, unique};
use peer::Peer;
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{
    ConfigBuilder, Context, ListenerOptions, Notification, NotificationEndpoint,
    NotificationListener, NotificationResult, Priority, Serializer, Target, Transport,
    parse_timestamp,
};

const WAIT: Duration = Duration::from_secs(20);
const SERIALIZERS: [Serializer; 2] = [Serializer::Json, Serializer::Msgpack];
/// The priorities of oslo's `Notifier`, as its method names.
const PRIORITIES: [&str; 7] = [
    "audit", "debug", "info", "warn", "error", "critical", "sample",
];

fn payload(i: usize) -> Value {
    json!({"instance_id": format!("i-{i}"), "size": i, "name": "vm ☃", "tags": ["a", null], "nested": {"ok": true, "ratio": 0.5}})
}

/// A warren transport whose messages carry `traceparent` headers (the spans are
/// exported): Python peers must work with them present.
fn warren_transport(
    what: &str,
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> Transport {
    otel_export::install();
    transport_with(&unique(what), configure)
}

fn recording(tx: UnboundedSender<Notification>) -> NotificationEndpoint {
    NotificationEndpoint::new().on_all(move |n| {
        let _ = tx.send(n);
        async { NotificationResult::Handled }
    })
}

async fn start_listener(
    t: &Transport,
    topic: &str,
    options: ListenerOptions,
    tx: UnboundedSender<Notification>,
) -> NotificationListener {
    let l = NotificationListener::start(t, &[Target::new(topic)], vec![recording(tx)], options)
        .unwrap();
    tokio::time::timeout(WAIT, l.ready())
        .await
        .expect("the warren listener became ready")
        .expect("the warren listener declared its queues");
    l
}

async fn python_notifier(args: &[&str]) -> Peer {
    Peer::start("notifier.py", args).await
}

async fn python_listener(args: &[&str]) -> Peer {
    Peer::start("listener.py", args).await
}

fn python_notification(topic: &str, priority: &str, i: usize) -> Value {
    json!({
        "topic": topic, "priority": priority, "publisher_id": "compute.py-host",
        "event_type": format!("compute.instance.{priority}"), "payload": payload(i),
        "context": {"user": "u1", "request_id": format!("req-{i}")},
    })
}

#[actix_rt::test]
async fn python_notifications_of_every_priority_reach_a_warren_listener_intact() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-py-notify", |b| b);
        let topic = unique("py-notify");
        let (tx, mut rx) = unbounded_channel();
        let l = start_listener(&t, &topic, ListenerOptions::default(), tx).await;
        let mut notifier = python_notifier(&["--serializer", serializer.name()]).await;
        for (i, p) in PRIORITIES.iter().enumerate() {
            let answer = notifier
                .request(python_notification(&topic, p, i), WAIT)
                .await;
            assert_eq!(answer, json!({"sent": true}), "{serializer:?} {p}");
        }
        let mut got = receive(&mut rx, PRIORITIES.len(), WAIT, "python notifications").await;
        got.sort_by_key(|n| n.payload["size"].as_u64());
        for (i, (n, p)) in got.iter().zip(PRIORITIES).enumerate() {
            assert_eq!(n.priority.name(), p, "{serializer:?}");
            assert_eq!(n.publisher_id, "compute.py-host");
            assert_eq!(n.event_type, format!("compute.instance.{p}"));
            assert_eq!(n.payload, payload(i));
            assert_eq!(n.context.get("user"), Some(&json!("u1")));
            assert_eq!(
                n.context.get("request_id"),
                Some(&json!(format!("req-{i}")))
            );
            assert_eq!(n.message_id.len(), 36, "{}", n.message_id);
            parse_timestamp(&n.timestamp)
                .unwrap_or_else(|e| panic!("python timestamp {:?}: {e}", n.timestamp));
        }
        l.stop().await;
        t.close().await;
    }
}

#[actix_rt::test]
async fn warren_notifications_of_every_priority_reach_a_python_listener_intact() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-w-notify", |b| {
            b.default_serializer_type(serializer)
        });
        let topic = unique("w-notify");
        let mut listener = python_listener(&["--topic", &topic]).await;
        let notifier = t.notifier("compute.w-host").with_topics([topic.as_str()]);
        for (i, p) in PRIORITIES.iter().enumerate() {
            let priority: Priority = p.parse().unwrap();
            let ctx = Context::new()
                .with("user", "u1")
                .with("request_id", format!("req-{i}"));
            notifier
                .notify(
                    priority,
                    &ctx,
                    &format!("compute.instance.{p}"),
                    &payload(i),
                )
                .await
                .unwrap();
        }
        let mut got = listener
            .events("notification", PRIORITIES.len(), WAIT)
            .await;
        got.sort_by_key(|n| n["payload"]["size"].as_u64());
        for (i, (n, p)) in got.iter().zip(PRIORITIES).enumerate() {
            assert_eq!(n["priority"], json!(p), "{serializer:?}: {n}");
            assert_eq!(n["publisher_id"], json!("compute.w-host"));
            assert_eq!(n["event_type"], json!(format!("compute.instance.{p}")));
            assert_eq!(n["payload"], payload(i));
            assert_eq!(n["context"]["user"], json!("u1"));
            assert_eq!(n["context"]["request_id"], json!(format!("req-{i}")));
            assert_eq!(n["metadata"]["message_id"].as_str().map(str::len), Some(36));
            assert_eq!(n["timestamp_ok"], json!(true), "{n}");
        }
        t.close().await;
    }
}

/// Python and warren listeners in pools: each pool gets every notification, members of
/// one pool (one Python, one warren) share them.
#[actix_rt::test]
async fn python_and_warren_listeners_share_pools_and_each_pool_gets_everything() {
    const N: usize = 30;
    let t = warren_transport("interop-pools", |b| b);
    let topic = unique("pools");
    let (shared_pool, own_pool) = (unique("pool-shared"), unique("pool-own"));
    let (tx_shared, mut rx_shared) = unbounded_channel();
    let (tx_own, mut rx_own) = unbounded_channel();
    let warren_member = start_listener(
        &t,
        &topic,
        ListenerOptions::default().pool(&shared_pool),
        tx_shared,
    )
    .await;
    let mut python_member = python_listener(&["--topic", &topic, "--pool", &shared_pool]).await;
    let warren_own = start_listener(
        &t,
        &topic,
        ListenerOptions::default().pool(&own_pool),
        tx_own,
    )
    .await;
    let mut python_notifier = python_notifier(&[]).await;
    let notifier = t.notifier("mixed").with_topics([topic.as_str()]);
    for i in 0..N {
        if i % 2 == 0 {
            notifier
                .info(&Context::new(), "pool.test", &json!({"size": i}))
                .await
                .unwrap();
        } else {
            let mut cmd = python_notification(&topic, "info", i);
            cmd["payload"] = json!({"size": i});
            assert_eq!(
                python_notifier.request(cmd, WAIT).await,
                json!({"sent": true})
            );
        }
    }
    let own: BTreeSet<u64> = receive(&mut rx_own, N, WAIT, "the own pool")
        .await
        .iter()
        .filter_map(|n| n.payload["size"].as_u64())
        .collect();
    assert_eq!(
        own.len(),
        N,
        "the pool of its own gets every notification once"
    );

    // The shared pool: both members together get each notification exactly once.
    let mut seen: BTreeMap<u64, &str> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while seen.len() < N && tokio::time::Instant::now() < deadline {
        tokio::select! {
            Some(n) = rx_shared.recv() => {
                let prev = seen.insert(n.payload["size"].as_u64().unwrap(), "warren");
                assert!(prev.is_none(), "duplicate delivery in one pool");
            }
            v = python_member.next(WAIT) => {
                if v["event"] == json!("notification") {
                    let prev = seen.insert(v["payload"]["size"].as_u64().unwrap(), "python");
                    assert!(prev.is_none(), "duplicate delivery in one pool");
                }
            }
        }
    }
    assert_eq!(seen.len(), N, "the shared pool got {} of {N}", seen.len());
    let at_python = seen.values().filter(|m| **m == "python").count();
    assert!(
        at_python > 0 && at_python < N,
        "both members of the pool share: python got {at_python} of {N}"
    );
    warren_member.stop().await;
    warren_own.stop().await;
    t.close().await;
}

/// Both sides declare the same durable exchange and queues with identical arguments:
/// whichever starts first, the other declares without `PRECONDITION_FAILED`, and both
/// consume.
#[actix_rt::test]
async fn persistent_declarations_agree_in_either_start_order() {
    for python_first in [true, false] {
        let exchange = unique("interop-durable");
        let topic = unique("durable");
        let t = warren_transport("interop-durable", |b| {
            b.notification_persistence(true)
                .default_notification_exchange(&exchange)
        });
        let py_args = [
            "--topic",
            topic.as_str(),
            "--persistent",
            "--notification-exchange",
            exchange.as_str(),
        ];
        let (tx, mut rx) = unbounded_channel();
        let (mut python, warren) = if python_first {
            let p = python_listener(&py_args).await;
            (
                p,
                start_listener(&t, &topic, ListenerOptions::default(), tx).await,
            )
        } else {
            let w = start_listener(&t, &topic, ListenerOptions::default(), tx).await;
            (python_listener(&py_args).await, w)
        };
        // Both compete for `<topic>.info`; each must get some of them.
        const N: usize = 20;
        let notifier = t.notifier("durable").with_topics([topic.as_str()]);
        for i in 0..N {
            notifier
                .info(&Context::new(), "durable.test", &json!({"size": i}))
                .await
                .unwrap_or_else(|e| panic!("python_first={python_first}: {e}"));
        }
        let mut total = 0;
        let mut at_warren = 0;
        let deadline = tokio::time::Instant::now() + WAIT;
        while total < N && tokio::time::Instant::now() < deadline {
            tokio::select! {
                Some(_) = rx.recv() => { total += 1; at_warren += 1; }
                v = python.next(WAIT) => {
                    if v["event"] == json!("notification") { total += 1; }
                }
            }
        }
        assert_eq!(total, N, "python_first={python_first}");
        assert!(
            at_warren > 0 && at_warren < N,
            "python_first={python_first}: both consume, warren got {at_warren} of {N}"
        );
        let exchanges = common::rabbitmqctl(&["list_exchanges", "name", "durable"]);
        assert!(
            exchanges.lines().any(|l| l == format!("{exchange}\ttrue")),
            "the shared exchange is durable"
        );
        warren.stop().await;
        t.close().await;
    }
}
