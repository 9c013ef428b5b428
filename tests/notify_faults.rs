//! Notifications across forced connection loss: the listener and the notifier recover
//! by themselves, and nothing confirmed is lost.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{close_connections_named, payload_listener, receive, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{
    Context, ListenerOptions, NotificationEndpoint, NotificationListener, NotificationResult,
    Priority, Target,
};

const WAIT: Duration = Duration::from_secs(30);

/// Close the named connection from a blocking thread (`rabbitmqctl` takes a while), so
/// the actors on this test's thread keep running meanwhile.
async fn force_close(name: &str) -> usize {
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || close_connections_named(&name))
        .await
        .unwrap()
}

#[actix_rt::test]
async fn a_listener_whose_connection_is_closed_resumes_and_loses_nothing() {
    const N: u64 = 300;
    let listener_name = unique("notify-fault-listener");
    let lt = transport(&listener_name);
    let nt = transport(&unique("notify-fault-sender"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let l = NotificationListener::start(
        &lt,
        &[Target::new(&topic)],
        vec![NotificationEndpoint::new().on(Priority::Info, move |n| {
            let _ = tx.send(n.payload.as_u64().unwrap());
            async { NotificationResult::Handled }
        })],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    let notifier = nt.notifier("p").with_topics([topic.as_str()]);
    let mut closed = 0;
    for i in 0..N {
        // Every notification is confirmed by the broker before the next is sent.
        notifier
            .info(&Context::new(), "stream", &json!(i))
            .await
            .unwrap();
        if i == N / 3 {
            closed = force_close(&listener_name).await;
        }
    }
    assert_eq!(closed, 1, "the listener's connection was closed");
    let mut deliveries: HashMap<u64, u32> = HashMap::new();
    while deliveries.len() < N as usize {
        let got = receive(&mut rx, 1, WAIT, "the stream after the failure").await;
        *deliveries.entry(got[0]).or_default() += 1;
    }
    l.stop().await;
    while let Ok(i) = rx.try_recv() {
        *deliveries.entry(i).or_default() += 1;
    }
    let duplicates: u32 = deliveries.values().map(|c| c - 1).sum();
    let counts = l.counts().await;
    eprintln!(
        "forced close of the listener's connection: {N} sent, {} received once or more, \
         lost 0, duplicates {duplicates}, listener restarts {}",
        deliveries.len(),
        counts.restarts
    );
    assert!((0..N).all(|i| deliveries.contains_key(&i)), "nothing lost");
    assert!(counts.restarts >= 1, "{counts:?}");
}

#[actix_rt::test]
async fn a_notifier_whose_connection_is_closed_delivers_the_next_notifications() {
    let sender_name = unique("notify-fault-notifier");
    let nt = transport(&sender_name);
    let lt = transport(&unique("notify-fault-listener2"));
    let topic = unique("topic");
    let (l, mut rx) = payload_listener(&lt, &topic, Priority::Info).await;
    let notifier = nt.notifier("p").with_topics([topic.as_str()]);
    notifier
        .info(&Context::new(), "before", &json!("before"))
        .await
        .unwrap();
    assert_eq!(force_close(&sender_name).await, 1);
    for i in 0..5 {
        notifier
            .info(&Context::new(), "after", &json!(i))
            .await
            .unwrap();
    }
    let got = receive(&mut rx, 6, WAIT, "the notifications around the failure").await;
    assert_eq!(got[0], json!("before"));
    assert_eq!(&got[1..], &(0..5).map(|i| json!(i)).collect::<Vec<_>>()[..]);
    l.stop().await;
}
