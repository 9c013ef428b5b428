//! oslo.messaging's functional `NotifyTestCase`, on warren against the real broker:
//! simple, multiple topics, listeners sharing a topic, independent topics, every
//! priority, and a batch listener.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{receive, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{
    Context, ListenerOptions, Notification, NotificationEndpoint, NotificationListener,
    NotificationResult, Priority, Target, Transport,
};

const WAIT: Duration = Duration::from_secs(10);

/// An endpoint handling every priority by reporting the notification.
fn recording(tx: UnboundedSender<Notification>) -> NotificationEndpoint {
    NotificationEndpoint::new().on_all(move |n| {
        let _ = tx.send(n);
        async { NotificationResult::Handled }
    })
}

async fn listen(
    t: &Transport,
    topics: &[&str],
    tx: UnboundedSender<Notification>,
) -> NotificationListener {
    let targets: Vec<Target> = topics.iter().map(|t| Target::new(*t)).collect();
    let l =
        NotificationListener::start(t, &targets, vec![recording(tx)], ListenerOptions::default())
            .unwrap();
    l.ready().await.unwrap();
    l
}

#[actix_rt::test]
async fn simple_a_notification_reaches_the_listener() {
    let t = transport(&unique("notify-simple"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let l = listen(&t, &[&topic], tx).await;
    t.notifier("abc")
        .with_topics([topic.as_str()])
        .info(
            &Context::new().with("user", "u1"),
            "test",
            &json!("Hello World!"),
        )
        .await
        .unwrap();
    let n = &receive(&mut rx, 1, WAIT, "the notification").await[0];
    assert_eq!(
        (n.priority, n.event_type.as_str(), n.publisher_id.as_str()),
        (Priority::Info, "test", "abc")
    );
    assert_eq!(n.payload, json!("Hello World!"));
    assert_eq!(n.context.get("user"), Some(&json!("u1")));
    assert_eq!(n.message_id.len(), 36);
    warren::parse_timestamp(&n.timestamp).unwrap();
    l.stop().await;
}

#[actix_rt::test]
async fn multiple_topics_one_listener_receives_from_both_publishers() {
    let t = transport(&unique("notify-multi"));
    let (a, b) = (unique("topic-a"), unique("topic-b"));
    let (tx, mut rx) = unbounded_channel();
    let l = listen(&t, &[&a, &b], tx).await;
    t.notifier("pub-a")
        .with_topics([a.as_str()])
        .info(&Context::new(), "type-a", &json!("from a"))
        .await
        .unwrap();
    t.notifier("pub-b")
        .with_topics([b.as_str()])
        .info(&Context::new(), "type-b", &json!("from b"))
        .await
        .unwrap();
    let got: BTreeSet<(String, String)> = receive(&mut rx, 2, WAIT, "both notifications")
        .await
        .into_iter()
        .map(|n| (n.publisher_id, n.event_type))
        .collect();
    let want: BTreeSet<(String, String)> = [("pub-a", "type-a"), ("pub-b", "type-b")]
        .into_iter()
        .map(|(p, e)| (p.to_owned(), e.to_owned()))
        .collect();
    assert_eq!(got, want);
    l.stop().await;
}

#[actix_rt::test]
async fn two_listeners_on_one_topic_share_the_notifications() {
    const N: usize = 40;
    let t = transport(&unique("notify-share"));
    let topic = unique("topic");
    let (tx1, mut rx1) = unbounded_channel();
    let (tx2, mut rx2) = unbounded_channel();
    let l1 = listen(&t, &[&topic], tx1).await;
    let l2 = listen(&t, &[&topic], tx2).await;
    let notifier = t.notifier("p").with_topics([topic.as_str()]);
    for i in 0..N {
        notifier
            .info(&Context::new(), "share", &json!(i))
            .await
            .unwrap();
    }
    let mut seen = BTreeSet::new();
    let (mut first, mut second) = (0, 0);
    while seen.len() < N {
        let next = async {
            tokio::select! {
                Some(n) = rx1.recv() => (1, n),
                Some(n) = rx2.recv() => (2, n),
            }
        };
        let (listener, n) = tokio::time::timeout(WAIT, next)
            .await
            .unwrap_or_else(|_| panic!("only {} of {N} arrived", seen.len()));
        *if listener == 1 {
            &mut first
        } else {
            &mut second
        } += 1;
        assert!(
            seen.insert(n.payload.to_string()),
            "duplicate {}",
            n.payload
        );
    }
    // Stopping settles every delivery in progress: anything more would be a duplicate.
    l1.stop().await;
    l2.stop().await;
    assert!(
        rx1.try_recv().is_err() && rx2.try_recv().is_err(),
        "no duplicates"
    );
    assert_eq!(first + second, N);
    assert!(
        first > 0 && second > 0,
        "both listeners get some: {first} and {second}"
    );
}

#[actix_rt::test]
async fn independent_topics_each_listener_gets_only_its_own() {
    let t = transport(&unique("notify-indep"));
    let (t1, t2) = (unique("topic-1"), unique("topic-2"));
    let (tx1, mut rx1) = unbounded_channel();
    let (tx2, mut rx2) = unbounded_channel();
    let l1 = listen(&t, &[&t1], tx1).await;
    let l2 = listen(&t, &[&t2], tx2).await;
    for (topic, n) in [(&t1, 3), (&t2, 2)] {
        let notifier = t.notifier("p").with_topics([topic.as_str()]);
        for i in 0..n {
            notifier
                .info(&Context::new(), topic, &json!(i))
                .await
                .unwrap();
        }
    }
    let got1 = receive(&mut rx1, 3, WAIT, "topic 1").await;
    let got2 = receive(&mut rx2, 2, WAIT, "topic 2").await;
    assert!(got1.iter().all(|n| n.event_type == t1));
    assert!(got2.iter().all(|n| n.event_type == t2));
    // Stopping settles everything: nothing else was delivered to either.
    l1.stop().await;
    l2.stop().await;
    assert!(rx1.try_recv().is_err() && rx2.try_recv().is_err());
}

#[actix_rt::test]
async fn every_priority_reaches_the_handler_of_that_priority() {
    let t = transport(&unique("notify-categories"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let mut endpoint = NotificationEndpoint::new();
    for p in Priority::ALL {
        let tx = tx.clone();
        endpoint = endpoint.on(p, move |n: Notification| {
            let _ = tx.send((p, n));
            async { NotificationResult::Handled }
        });
    }
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    let n = t.notifier("p").with_topics([topic.as_str()]);
    let ctx = Context::new();
    let payload = json!({"k": "v"});
    n.audit(&ctx, "audit", &payload).await.unwrap();
    n.debug(&ctx, "debug", &payload).await.unwrap();
    n.info(&ctx, "info", &payload).await.unwrap();
    n.warn(&ctx, "warn", &payload).await.unwrap();
    n.warning(&ctx, "warn", &payload).await.unwrap();
    n.error(&ctx, "error", &payload).await.unwrap();
    n.critical(&ctx, "critical", &payload).await.unwrap();
    n.sample(&ctx, "sample", &payload).await.unwrap();
    let got = receive(&mut rx, 8, WAIT, "one per method").await;
    for (handler, n) in &got {
        assert_eq!(*handler, n.priority, "{n:?}");
        assert_eq!(
            n.priority.name(),
            n.event_type,
            "sent with the method of its name"
        );
    }
    let warns = got.iter().filter(|(p, _)| *p == Priority::Warn).count();
    assert_eq!(warns, 2, "warn and warning both reach the warn handler");
    l.stop().await;
}

#[actix_rt::test]
async fn a_batch_listener_gets_205_notifications_as_100_100_and_5() {
    let t = transport(&unique("notify-batch"));
    let topic = unique("topic");
    // Queue all 205 first (the notifier declares `<topic>.info` when nobody listens),
    // so the batches do not depend on publishing speed.
    let n = t.notifier("p").with_topics([topic.as_str()]);
    for i in 0..205 {
        n.info(&Context::new(), "batch", &json!(i)).await.unwrap();
    }
    let (tx, mut rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on_batch(Priority::Info, move |batch| {
        let _ = tx.send(batch.len());
        async { NotificationResult::Handled }
    });
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default()
            .batch_size(100)
            .batch_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    let sizes = receive(&mut rx, 3, WAIT, "three batches").await;
    assert_eq!(sizes, vec![100, 100, 5]);
    l.stop().await;
}

/// `NotificationListener::start_in`: the handlers run in the arbiter given, not the
/// caller's.
#[actix_rt::test]
async fn a_listener_started_in_another_arbiter_handles_notifications_there() {
    let t = transport(&unique("notify-start-in"));
    let topic = unique("topic");
    let site = actix::Arbiter::new();
    let (tx, mut rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |n| {
        let _ = tx.send((n.payload, std::thread::current().id()));
        async { NotificationResult::Handled }
    });
    let l = NotificationListener::start_in(
        &t,
        &site.handle(),
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    t.notifier("p")
        .with_topics([topic.as_str()])
        .info(&Context::new(), "there", &json!(1))
        .await
        .unwrap();
    let got = receive(&mut rx, 1, WAIT, "the notification").await;
    assert_eq!(got[0].0, json!(1));
    assert_ne!(
        got[0].1,
        std::thread::current().id(),
        "handled on the listener's own arbiter"
    );
    l.stop().await;
    site.stop();
    t.close().await;
}
