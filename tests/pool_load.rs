//! Scenario: the publisher channel pool under load, as the broker sees it. 50
//! concurrent publishers share `pool_max_size` 2 channels and never make the broker
//! hold more; recycled and stale channels are replaced by new ones. (A waiter that
//! gets a timeout error after `pool_timeout` is in `tests/failover_alarm.rs`: it needs
//! the channels held, which a resource alarm does.)

mod common;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::rc::Rc;
use std::time::Duration;

use common::{rabbitmqctl, transport_with, unique};
use futures_util::StreamExt;
use serde_json::json;
use warren::{Context, Section};

const PUBLISHERS: usize = 50;
const PER_PUBLISHER: usize = 200;
const WAIT: Duration = Duration::from_secs(60);

/// The channel numbers the broker lists for the connection named `name`.
async fn broker_channels(name: &str) -> BTreeSet<u32> {
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || {
        let connections = rabbitmqctl(&["list_connections", "pid", "client_properties"]);
        let pid = connections
            .lines()
            .find(|l| l.contains(&format!("\"{name}\"")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("connection {name} is listed"))
            .to_owned();
        rabbitmqctl(&["list_channels", "connection", "number"])
            .lines()
            .filter(|l| l.starts_with(&pid))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
            .collect()
    })
    .await
    .expect("rabbitmqctl ran")
}

/// A transport named `name` whose pool holds at most 2 channels, with the given
/// `pool_recycle` and `pool_stale`, and a notifier that has stored one notification
/// (declaring the store-and-forward queue, so what follows only publishes).
async fn warmed_pool(
    name: &str,
    recycle: &str,
    stale: &str,
) -> (warren::Transport, warren::Notifier) {
    let t = transport_with(name, |b| {
        b.pool_max_size(NonZeroUsize::new(2).unwrap())
            .set(Section::Pika, "pool_max_overflow", "0")
            .set(Section::Pika, "pool_recycle", recycle)
            .set(Section::Pika, "pool_stale", stale)
    });
    let topic = unique(&format!("{name}-topic"));
    let notifier = t.notifier("pool-test").with_topics([topic.as_str()]);
    notifier
        .info(&Context::new(), "warm-up", &json!(0))
        .await
        .expect("warm-up stored");
    (t, notifier)
}

#[actix_rt::test]
async fn fifty_publishers_never_hold_more_than_the_pool_allows() {
    let name = unique("pool-load");
    let (t, notifier) = warmed_pool(&name, "0", "0").await;

    let running = Rc::new(Cell::new(true));
    let sampler = {
        let running = running.clone();
        let name = name.clone();
        actix_rt::spawn(async move {
            let mut samples = Vec::new();
            while running.get() {
                samples.push(broker_channels(&name).await.len());
            }
            samples
        })
    };
    let sent: usize = futures_util::stream::iter(0..PUBLISHERS)
        .map(|p| {
            let notifier = notifier.clone();
            async move {
                let mut sent = 0;
                for i in 0..PER_PUBLISHER {
                    notifier
                        .info(&Context::new(), "load", &json!({"p": p, "i": i}))
                        .await
                        .expect("every publisher gets a channel");
                    sent += 1;
                }
                sent
            }
        })
        .buffer_unordered(PUBLISHERS)
        .fold(0, |a, b| async move { a + b })
        .await;
    running.set(false);
    let samples = sampler.await.expect("the sampler ran");
    let most = samples.iter().copied().max().unwrap_or(0);
    println!(
        "FIGURE scenario=8 pool under load: {PUBLISHERS} publishers sent {sent} \
         notifications; broker-side channel counts sampled {} times, at most {most} \
         (pool_max_size 2 + pool_max_overflow 0)",
        samples.len()
    );
    assert_eq!(sent, PUBLISHERS * PER_PUBLISHER);
    assert!(!samples.is_empty(), "the broker was asked during the load");
    assert!(most <= 2, "samples: {samples:?}");
    t.close().await;
}

/// Publish until the broker lists none of `before`'s channels for `name`: the pool
/// replaced them.
async fn publish_until_replaced(
    notifier: &warren::Notifier,
    name: &str,
    before: &BTreeSet<u32>,
) -> BTreeSet<u32> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        notifier
            .info(&Context::new(), "probe", &json!(1))
            .await
            .expect("stored");
        let now = broker_channels(name).await;
        if !now.is_empty() && now.is_disjoint(before) {
            return now;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "channels {before:?} were never replaced; now {now:?}"
        );
    }
}

#[actix_rt::test]
async fn recycled_channels_are_replaced() {
    let name = unique("pool-recycle");
    let (t, notifier) = warmed_pool(&name, "1", "0").await;
    let before = broker_channels(&name).await;
    // Each rabbitmqctl call takes longer than pool_recycle (1 s), so channels age past
    // it while the test publishes and asks.
    let after = publish_until_replaced(&notifier, &name, &before).await;
    println!("FIGURE scenario=8 pool_recycle 1 s: channels {before:?} replaced by {after:?}");
    assert!(after.len() <= 2);
    t.close().await;
}

#[actix_rt::test]
async fn stale_channels_are_replaced() {
    let name = unique("pool-stale");
    let (t, notifier) = warmed_pool(&name, "0", "1").await;
    let before = broker_channels(&name).await;
    // Not a wait for an event: the channel must sit idle longer than pool_stale.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after = publish_until_replaced(&notifier, &name, &before).await;
    println!("FIGURE scenario=8 pool_stale 1 s: idle channels {before:?} replaced by {after:?}");
    assert!(after.len() <= 2);
    t.close().await;
}
