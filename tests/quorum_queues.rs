//! `quorum_queues`: notification and RPC server queues declared as quorum queues, read
//! back with `rabbitmqctl`, and what a user is told when a classic queue of the same
//! name is in the way (`406 PRECONDITION_FAILED`).
//!
//! Quorum queues are never auto-deleted, so every test deletes the queues it declared.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{
    Echo, Queue, delete_queues, payload_listener, queues_containing, rabbitmqctl, receive,
    recording_server, start_payload_listener, transport, transport_with, unique,
};
use serde_json::{Value, json};
use tokio::sync::mpsc::unbounded_channel;
use tokio::time::timeout;
use warren::{Context, Error, ListenerOptions, Priority, RpcServer, Target};

const WAIT: Duration = Duration::from_secs(10);

/// Every queue is a quorum queue, durable, neither auto-delete nor exclusive.
fn assert_quorum(queues: &BTreeMap<String, Queue>) {
    assert!(!queues.is_empty(), "no queue to check");
    for (name, q) in queues {
        assert_eq!(q.kind, "quorum", "{name}: {q:?}");
        assert!(q.durable && !q.auto_delete && !q.exclusive, "{name}: {q:?}");
        assert!(
            q.arguments.contains(r#"{"x-queue-type","quorum"}"#),
            "{name}: {q:?}"
        );
    }
}

#[actix_rt::test]
async fn a_listener_declares_quorum_queues_and_receives_notifications() {
    // notification_persistence stays off: the queues are durable all the same.
    let exchange = unique("quorum-x");
    let t = transport_with(&unique("quorum-listener"), |b| {
        b.quorum_queues(true)
            .default_notification_exchange(&exchange)
    });
    let topic = unique("quorum-n");
    let (l, mut rx) = payload_listener(&t, &topic, Priority::Info).await;
    let queues = queues_containing(&topic);
    assert_eq!(
        queues.keys().collect::<Vec<_>>(),
        [&format!("{topic}.info")]
    );
    assert_quorum(&queues);
    // Exchanges are unchanged: this one still follows notification_persistence.
    let exchanges = rabbitmqctl(&["list_exchanges", "name", "durable"]);
    assert!(
        exchanges.contains(&format!("{exchange}\tfalse")),
        "{exchanges}"
    );

    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "quorum", &json!("delivered"))
        .await
        .unwrap();
    let got = receive(&mut rx, 1, WAIT, "the notification").await;
    assert_eq!(got, [json!("delivered")]);
    l.stop().await;
    delete_queues(queues.keys());
    t.close().await;
}

#[actix_rt::test]
async fn a_pool_listener_declares_one_quorum_queue() {
    let t = transport_with(&unique("quorum-pool"), |b| b.quorum_queues(true));
    let topic = unique("quorum-p");
    let pool = unique("quorum-pool");
    let (l, mut rx) = start_payload_listener(
        &t,
        &topic,
        Priority::Warn,
        ListenerOptions::default().pool(&pool),
    );
    timeout(WAIT, l.ready()).await.unwrap().unwrap();
    let queues = queues_containing(&pool);
    assert_eq!(queues.keys().collect::<Vec<_>>(), [&pool]);
    assert_quorum(&queues);
    assert!(queues_containing(&topic).is_empty());

    t.notifier("p")
        .with_topics([topic.as_str()])
        .warn(&Context::new(), "quorum", &json!("pooled"))
        .await
        .unwrap();
    let got = receive(&mut rx, 1, WAIT, "the pooled notification").await;
    assert_eq!(got, [json!("pooled")]);
    l.stop().await;
    delete_queues(queues.keys());
    t.close().await;
}

#[actix_rt::test]
async fn a_notification_sent_before_any_listener_waits_in_a_quorum_queue() {
    let t = transport_with(&unique("quorum-sender"), |b| b.quorum_queues(true));
    let topic = unique("quorum-s");
    t.notifier("p")
        .with_topics([topic.as_str()])
        .error(&Context::new(), "stored", &json!("kept"))
        .await
        .unwrap();
    let queues = queues_containing(&topic);
    assert_eq!(
        queues.keys().collect::<Vec<_>>(),
        [&format!("{topic}.error")]
    );
    assert_quorum(&queues);

    // A listener with the same option declares the same queue alike and gets it.
    let (l, mut rx) = payload_listener(&t, &topic, Priority::Error).await;
    let got = receive(&mut rx, 1, WAIT, "the stored notification").await;
    assert_eq!(got, [json!("kept")]);
    l.stop().await;
    delete_queues(queues.keys());
    t.close().await;
}

#[actix_rt::test]
async fn an_rpc_server_declares_quorum_queues_and_answers_calls() {
    let prog = unique("quorum-prog");
    let t = common::transport_with_query(&unique("quorum-rpc"), &prog, "quorum_queues=true");
    assert!(t.config().pika.quorum_queues);
    let topic = unique("quorum-rpc");
    let (tx, mut rx) = unbounded_channel();
    let server = recording_server(&t, &topic, "s1", tx).await;
    let echo = Echo {
        value: json!("round trip"),
    };
    let client = t.rpc_client(Target::new(&topic));
    let reply: Value = timeout(WAIT, client.call(&Context::new(), "echo", &echo))
        .await
        .expect("the call answers in time")
        .expect("the call succeeds");
    assert_eq!(reply, json!("round trip"));
    receive(&mut rx, 1, WAIT, "the echo report").await;

    let queues = queues_containing(&topic);
    assert_eq!(queues.len(), 6, "{queues:?}");
    assert_quorum(&queues);
    for (name, q) in &queues {
        assert!(
            q.arguments.contains(r#"{"x-expires",60000}"#),
            "{name}: {q:?}"
        );
    }
    // The reply queue belongs to this process alone: it stays classic, but durable
    // (RabbitMQ 4.3 refuses a non-durable one by default).
    let replies = queues_containing(&prog);
    let reply_queue = replies.values().next().expect("the reply queue exists");
    assert_eq!(replies.len(), 1);
    assert_eq!(reply_queue.kind, "classic");
    assert!(reply_queue.durable && !reply_queue.arguments.contains("x-queue-type"));

    server.stop().await;
    t.close().await;
    delete_queues(queues.keys().chain(replies.keys()));
}

/// `ready()` fails with a [`Error::QueueMismatch`] for `queue` that says what to do.
fn assert_clear_mismatch(result: Result<(), Error>, queue: &str) {
    let err = result.expect_err("a classic queue is in the way");
    assert!(
        matches!(&err, Error::QueueMismatch { queue: q, .. } if q == queue),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let shown = err.to_string();
    let declared = format!("declare queue {queue:?} as a durable quorum queue");
    let delete = format!("rabbitmqctl delete_queue {queue}");
    for hint in [&declared, &delete, "quorum_queues = false"] {
        assert!(shown.contains(hint), "{hint:?} missing from: {shown}");
    }
}

#[actix_rt::test]
async fn a_classic_notification_queue_in_the_way_is_reported_and_can_be_deleted() {
    let topic = unique("quorum-406");
    let queue = format!("{topic}.info");
    // A classic listener, as a Python service would be, declared the queue first.
    let classic = transport(&unique("quorum-406-classic"));
    let (l, _rx) = payload_listener(&classic, &topic, Priority::Info).await;
    l.stop().await;

    let t = transport_with(&unique("quorum-406"), |b| b.quorum_queues(true));
    let (l, mut rx) =
        start_payload_listener(&t, &topic, Priority::Info, ListenerOptions::default());
    let refused = timeout(WAIT, l.ready()).await.expect("ready() answers");
    assert_clear_mismatch(refused, &queue);

    // Deleting the old queue is enough: the listener keeps trying and declares it anew.
    rabbitmqctl(&["delete_queue", &queue]);
    timeout(WAIT, async {
        // An attempt that met the old queue just before it went may still answer.
        while let Err(e) = l.ready().await {
            assert!(matches!(e, Error::QueueMismatch { .. }), "{e:?}");
        }
    })
    .await
    .expect("the listener consumes once the classic queue is gone");
    let queues = queues_containing(&topic);
    assert_quorum(&queues);
    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "quorum", &json!("after the switch"))
        .await
        .unwrap();
    let got = receive(&mut rx, 1, WAIT, "the notification").await;
    assert_eq!(got, [json!("after the switch")]);

    l.stop().await;
    delete_queues(queues.keys());
    t.close().await;
    classic.close().await;
}

#[actix_rt::test]
async fn a_classic_rpc_queue_in_the_way_is_reported() {
    let topic = unique("quorum-406-rpc");
    let classic = transport(&unique("quorum-406-rpc-classic"));
    let (tx, _rx) = unbounded_channel();
    recording_server(&classic, &topic, "s1", tx)
        .await
        .stop()
        .await;

    let t = transport_with(&unique("quorum-406-rpc"), |b| b.quorum_queues(true));
    let server = RpcServer::start(&t, Target::new(&topic).with_server("s1"), Vec::new()).unwrap();
    let refused = timeout(WAIT, server.ready())
        .await
        .expect("ready() answers");
    // The first queue declared is the no_ack topic queue.
    assert_clear_mismatch(refused, &format!("no_ack.{topic}"));

    server.stop().await;
    t.close().await;
    classic.close().await;
    delete_queues(queues_containing(&topic).keys());
}
