//! RPC casts and fanout against the real broker: oslo's functional `CastTestCase`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Echo, receive, recording_server, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{Context, Error, Target};

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn casts_to_a_specific_server_are_processed_only_there() {
    let t = transport(&unique("cast-specific"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    for name in ["server_1", "server_2"] {
        let _s = recording_server(&t, &topic, name, tx.clone()).await;
    }
    let client = t.rpc_client(Target::new(&topic).with_server("server_2"));
    for i in 0..5 {
        client
            .cast(&Context::new(), "echo", &Echo { value: json!(i) })
            .await
            .unwrap();
    }
    let seen = receive(&mut rx, 5, WAIT, "cast reports").await;
    assert!(seen.iter().all(|(s, _, _)| s == "server_2"), "{seen:?}");
    let mut values: Vec<i64> = seen.iter().map(|(_, _, v)| v.as_i64().unwrap()).collect();
    values.sort_unstable();
    assert_eq!(values, vec![0, 1, 2, 3, 4]);
}

#[actix_rt::test]
async fn casts_to_a_topic_are_split_across_the_group() {
    let t = transport(&unique("cast-group"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    for name in ["s1", "s2", "s3"] {
        let _s = recording_server(&t, &topic, name, tx.clone()).await;
    }
    let client = t.rpc_client(Target::new(&topic));
    let casts = (0..20).map(|i| {
        let client = client.clone();
        async move {
            client
                .cast(&Context::new(), "echo", &Echo { value: json!(i) })
                .await
        }
    });
    for r in futures_util::future::join_all(casts).await {
        r.unwrap();
    }
    let seen = receive(&mut rx, 20, WAIT, "cast reports").await;
    let mut per_server: HashMap<String, usize> = HashMap::new();
    for (s, _, _) in &seen {
        *per_server.entry(s.clone()).or_default() += 1;
    }
    assert_eq!(per_server.values().sum::<usize>(), 20);
    assert_eq!(
        per_server.len(),
        3,
        "every server must get some: {per_server:?}"
    );
}

#[actix_rt::test]
async fn a_fanout_cast_reaches_every_server() {
    let t = transport(&unique("cast-fanout"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    for name in ["s1", "s2", "s3"] {
        let _s = recording_server(&t, &topic, name, tx.clone()).await;
    }
    t.rpc_client(Target::new(&topic))
        .fanout_cast(
            &Context::new(),
            "echo",
            &Echo {
                value: json!("all"),
            },
        )
        .await
        .unwrap();
    let mut servers: Vec<String> = receive(&mut rx, 3, WAIT, "fanout reports")
        .await
        .into_iter()
        .map(|(s, _, _)| s)
        .collect();
    servers.sort();
    assert_eq!(servers, vec!["s1", "s2", "s3"]);
}

#[actix_rt::test]
async fn a_cast_to_a_topic_nobody_serves_gives_up_as_undeliverable() {
    let t = common::transport_with(&unique("cast-nobody"), |b| {
        b.set(warren::Section::Default, "rpc_response_timeout", "1")
    });
    let started = std::time::Instant::now();
    let err = t
        .rpc_client(Target::new(unique("nobody")))
        .cast(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Undeliverable { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[actix_rt::test]
async fn a_fanout_cast_with_no_server_is_dropped_without_error() {
    let t = transport(&unique("cast-fanout-nobody"));
    t.rpc_client(Target::new(unique("nobody")))
        .fanout_cast(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
        .unwrap();
}

/// Many casts in flight on one pooled channel, routed and unroutable interleaved: each
/// gets its own outcome, although lapin hands a `basic.return` to whichever publish
/// the next `basic.ack` completes.
#[actix_rt::test]
async fn interleaved_routed_and_unroutable_casts_on_one_channel_each_get_their_own_outcome() {
    const CASTS: usize = 400;
    let t = common::transport_with(&unique("cast-returns"), |b| {
        b.pool_max_size(std::num::NonZeroUsize::MIN).set(
            warren::Section::Pika,
            "pool_max_overflow",
            "0",
        )
    });
    let routed = unique("routed");
    let (tx, mut rx) = unbounded_channel();
    let server = recording_server(&t, &routed, "s1", tx).await;
    let unrouted = unique("unrouted");
    let client = t
        .rpc_client(Target::new(&routed))
        .with_retry(warren::Retry::NoRetrier);
    let casts: Vec<_> = (0..CASTS)
        .map(|i| {
            let client = if i % 2 == 0 {
                client.clone()
            } else {
                client.with_topic(&unrouted)
            };
            actix_rt::spawn(async move {
                (
                    i,
                    client
                        .cast(&Context::new(), "echo", &Echo { value: json!(i) })
                        .await,
                )
            })
        })
        .collect();
    let mut wrong = Vec::new();
    for cast in casts {
        let (i, outcome) = cast.await.expect("the cast ran");
        let right = matches!(
            (i % 2, &outcome),
            (0, Ok(())) | (1, Err(Error::Undeliverable { .. }))
        );
        if !right {
            wrong.push((i, format!("{outcome:?}")));
        }
    }
    assert!(wrong.is_empty(), "casts with another's outcome: {wrong:?}");
    let served = receive(&mut rx, CASTS / 2, WAIT, "routed casts").await;
    assert!(
        served
            .iter()
            .all(|(_, _, v)| v.as_u64().is_some_and(|i| i % 2 == 0))
    );
    server.stop().await;
    t.close().await;
}
