//! Scenario: the broker restarts in the middle of a stream of persistent notifications
//! to a durable queue. Every notification confirmed to the sender reaches the listener;
//! duplicates are counted, losses must be zero. Runs on a rig node of its own.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use warren::{Context, Priority};

use rig::Rig;

const N: usize = 10_000;
const IN_FLIGHT: usize = 10;
/// The restart happens once this many notifications are confirmed.
const RESTART_AT: usize = 3_000;
const WAIT: Duration = Duration::from_secs(180);

/// The sequence number a notification carries as its payload.
fn sequence(payload: &serde_json::Value) -> usize {
    payload.as_u64().expect("a sequence number") as usize
}

#[actix_rt::test]
async fn a_broker_restart_mid_stream_loses_no_confirmed_notification() {
    let rig = Rig::shared(1, "");
    let _turn = rig.exclusive().await;
    let url = Rig::url(&[rig.nodes[0].host()]);
    let persistent = |b: warren::ConfigBuilder| b.notification_persistence(true);
    let lt = common::transport_on(&url, "restart-listener", persistent);
    let nt = common::transport_on(&url, "restart-notifier", persistent);
    let topic = "restart-stream";

    let (listener, mut rx) = common::payload_listener(&lt, topic, Priority::Info).await;

    // Restart the broker once RESTART_AT notifications are confirmed.
    let confirmed = Arc::new(AtomicUsize::new(0));
    let reached = Arc::new(tokio::sync::Notify::new());
    let restart = {
        let reached = reached.clone();
        tokio::spawn(async move {
            reached.notified().await;
            let stopping = Instant::now();
            tokio::task::spawn_blocking(|| rig.stop(0))
                .await
                .expect("stop the node");
            rig.start(0).await;
            stopping.elapsed()
        })
    };

    let notifier = nt.notifier("restart-test").with_topics([topic]);
    let started = Instant::now();
    let results: Vec<(usize, Result<(), warren::Error>)> = futures_util::stream::iter(0..N)
        .map(|i| {
            let notifier = &notifier;
            let confirmed = &confirmed;
            let reached = &reached;
            async move {
                let sent = notifier.info(&Context::new(), "stream", &json!(i)).await;
                if sent.is_ok() && confirmed.fetch_add(1, Ordering::SeqCst) + 1 == RESTART_AT {
                    reached.notify_one();
                }
                (i, sent)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let sending = started.elapsed();
    let downtime = restart.await.expect("the restart task ran");
    let confirmed: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| *i)
        .collect();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("{i}: {e}")))
        .collect();

    let mut deliveries: HashMap<usize, u32> = HashMap::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !confirmed.iter().all(|i| deliveries.contains_key(i)) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(i)) => *deliveries.entry(sequence(&i)).or_default() += 1,
            _ => break,
        }
    }
    listener.stop().await;
    while let Ok(i) = rx.try_recv() {
        *deliveries.entry(sequence(&i)).or_default() += 1;
    }
    let lost: Vec<usize> = confirmed
        .iter()
        .copied()
        .filter(|i| !deliveries.contains_key(i))
        .collect();
    let duplicates: u32 = deliveries.values().map(|c| c - 1).sum();
    let restarts = listener.counts().await.restarts;
    println!(
        "FIGURE scenario=1 broker-restart: sent {N}, confirmed {}, failed {}, received {} \
         distinct, lost {}, duplicates {duplicates}, listener restarts {restarts}, broker \
         down-and-up {downtime:.2?}, sending took {sending:.2?}",
        confirmed.len(),
        failed.len(),
        deliveries.len(),
        lost.len(),
    );
    assert!(lost.is_empty(), "confirmed but never received: {lost:?}");
    assert!(
        failed.is_empty(),
        "notifications retry until stored by default: {failed:?}"
    );
    assert!(restarts >= 1, "the listener restarted with the broker");
    lt.close().await;
    nt.close().await;
}
