//! Listener pools: every pool gets each notification; members of one pool share them.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{receive, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{
    Context, ListenerOptions, Notification, NotificationEndpoint, NotificationListener,
    NotificationResult, Target, Transport,
};

const WAIT: Duration = Duration::from_secs(10);
const N: usize = 30;

async fn member(
    t: &Transport,
    topic: &str,
    pool: &str,
    name: &'static str,
    tx: UnboundedSender<(&'static str, Notification)>,
) -> NotificationListener {
    let endpoint = NotificationEndpoint::new().on_all(move |n| {
        let _ = tx.send((name, n));
        async { NotificationResult::Handled }
    });
    let l = NotificationListener::start(
        t,
        &[Target::new(topic)],
        vec![endpoint],
        ListenerOptions::default().pool(pool),
    )
    .unwrap();
    l.ready().await.unwrap();
    l
}

async fn send(t: &Transport, topic: &str) {
    let notifier = t.notifier("pools").with_topics([topic]);
    for i in 0..N {
        notifier
            .info(&Context::new(), "pool.test", &json!(i))
            .await
            .unwrap();
    }
}

#[actix_rt::test]
async fn each_pool_gets_every_notification() {
    let t = transport(&unique("notify-pools"));
    let topic = unique("topic");
    let (tx_a, mut rx_a) = unbounded_channel();
    let (tx_b, mut rx_b) = unbounded_channel();
    let a = member(&t, &topic, &unique("pool-a"), "a", tx_a).await;
    let b = member(&t, &topic, &unique("pool-b"), "b", tx_b).await;
    send(&t, &topic).await;
    for (rx, name) in [(&mut rx_a, "pool a"), (&mut rx_b, "pool b")] {
        let mut payloads: Vec<i64> = receive(rx, N, WAIT, name)
            .await
            .iter()
            .map(|(_, n)| n.payload.as_i64().unwrap())
            .collect();
        payloads.sort_unstable();
        assert_eq!(payloads, (0..N as i64).collect::<Vec<_>>(), "{name}");
    }
    a.stop().await;
    b.stop().await;
    assert!(
        rx_a.try_recv().is_err() && rx_b.try_recv().is_err(),
        "no duplicates"
    );
}

#[actix_rt::test]
async fn members_of_one_pool_share_the_notifications() {
    let t = transport(&unique("notify-pool-share"));
    let topic = unique("topic");
    let pool = unique("pool");
    let (tx, mut rx) = unbounded_channel();
    let m1 = member(&t, &topic, &pool, "m1", tx.clone()).await;
    let m2 = member(&t, &topic, &pool, "m2", tx).await;
    send(&t, &topic).await;
    let got = receive(&mut rx, N, WAIT, "the pool's notifications").await;
    let mut by_member: BTreeMap<&str, usize> = BTreeMap::new();
    let mut payloads: Vec<i64> = Vec::new();
    for (name, n) in &got {
        *by_member.entry(name).or_default() += 1;
        payloads.push(n.payload.as_i64().unwrap());
    }
    payloads.sort_unstable();
    assert_eq!(
        payloads,
        (0..N as i64).collect::<Vec<_>>(),
        "each exactly once"
    );
    assert_eq!(by_member.len(), 2, "both members get some: {by_member:?}");
    m1.stop().await;
    m2.stop().await;
    assert!(rx.try_recv().is_err(), "no duplicates");
}
