//! The in-memory transport (`fake://`, `memory://`): what it does beyond the suites
//! that run on both brokers (`scripts/test.sh` runs those again with
//! `WARREN_TEST_URL=fake://`). No RabbitMQ is involved here.

mod common;

use std::time::Duration;

use common::{Echo, receive, recording_server, transport_on, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{Context, Error, Priority, Target};

const WAIT: Duration = Duration::from_secs(10);

fn memory(url: &str, name: &str) -> warren::Transport {
    transport_on(url, &unique(name), |b| b)
}

#[actix_rt::test]
async fn a_fake_transport_is_ready_at_once_without_any_broker() {
    let t = memory("fake://", "mem-ready");
    t.ready(Duration::from_secs(1))
        .await
        .expect("the in-memory broker is always there");
    t.close().await;
}

#[actix_rt::test]
async fn transports_of_one_process_on_one_virtual_host_share_a_broker() {
    let serving = memory("fake://", "mem-serving");
    let calling = memory("memory://", "mem-calling");
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let server = recording_server(&serving, &topic, "s1", tx).await;
    let answer: serde_json::Value = calling
        .rpc_client(Target::new(&topic))
        .call(&Context::new(), "echo", &Echo { value: json!(7) })
        .await
        .unwrap();
    assert_eq!(answer, json!(7));
    receive(&mut rx, 1, WAIT, "the call").await;
    server.stop().await;
    serving.close().await;
    calling.close().await;
}

#[actix_rt::test]
async fn virtual_hosts_are_separate_brokers() {
    let serving = memory("fake:///one", "mem-vhost-one");
    let calling = memory("fake:///two", "mem-vhost-two");
    let topic = unique("topic");
    let (tx, _rx) = unbounded_channel();
    let server = recording_server(&serving, &topic, "s1", tx).await;
    let outcome = calling
        .rpc_client(Target::new(&topic))
        .with_retry(warren::Retry::NoRetrier)
        .cast(&Context::new(), "echo", &Echo { value: json!(1) })
        .await;
    assert!(
        matches!(outcome, Err(Error::Undeliverable { .. })),
        "{outcome:?}"
    );
    server.stop().await;
    serving.close().await;
    calling.close().await;
}

#[actix_rt::test]
async fn a_requeued_notification_comes_back_to_the_listener() {
    let t = memory("fake://", "mem-requeue");
    let got = common::requeued_once(&t, &unique("topic")).await;
    assert_eq!(got[0].0, got[1].0, "the same message comes back");
    assert_eq!((got[0].1, got[1].1), (1, 2));
    t.close().await;
}

#[actix_rt::test]
async fn notifications_sent_before_any_listener_wait_in_their_queue() {
    let t = memory("fake://", "mem-store");
    let topic = unique("topic");
    let notifier = t.notifier("early").with_topics([topic.as_str()]);
    for i in 0..5 {
        notifier
            .warn(&Context::new(), "early", &json!(i))
            .await
            .unwrap();
    }
    let (l, mut rx) = common::payload_listener(&t, &topic, Priority::Warn).await;
    let got = receive(&mut rx, 5, WAIT, "the stored notifications").await;
    assert_eq!(got, (0..5).map(|i| json!(i)).collect::<Vec<_>>());
    l.stop().await;
    t.close().await;
}

/// README's "A taste", as written there, with `fake://` for its URL.
#[actix_rt::test]
async fn the_readme_taste_runs_on_fake() -> Result<(), Box<dyn std::error::Error>> {
    use serde::{Deserialize, Serialize};
    use warren::{Config, Endpoint, RemoteError, RpcServer, Transport};

    #[derive(Serialize, Deserialize)]
    struct Add {
        a: i64,
        b: i64,
    }

    let config = Config::builder()
        .transport_url("fake://".parse()?)
        .build()?;
    let transport = Transport::new(config)?;

    let endpoint = Endpoint::new().method("add", |_ctx, args: Add| async move {
        Ok::<_, RemoteError>(args.a + args.b)
    });
    let server = RpcServer::start(
        &transport,
        Target::new("calculator").with_server("host1"),
        vec![endpoint],
    )?;

    let client = transport.rpc_client(Target::new("calculator"));
    let sum: i64 = client
        .call(&Context::new(), "add", &Add { a: 1, b: 2 })
        .await?;
    assert_eq!(sum, 3);

    server.stop().await;
    transport.close().await;
    Ok(())
}

#[actix_rt::test]
async fn a_call_nobody_serves_times_out() {
    let t = memory("fake://", "mem-unserved");
    let outcome = t
        .rpc_client(Target::new(unique("topic")))
        .with_timeout(Duration::from_millis(300))
        .call::<_, serde_json::Value>(&Context::new(), "echo", &Echo { value: json!(1) })
        .await;
    assert!(matches!(outcome, Err(Error::Timeout { .. })), "{outcome:?}");
    t.close().await;
}
