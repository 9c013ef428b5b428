//! Scenario: channel errors — a publish to an exchange that does not exist, a message
//! above the broker's `max_message_size`. The broker closes one channel; only that
//! operation fails (with a clear error) or recovers, and calls running at the same
//! time on the same connection go on. Runs on a rig node whose `max_message_size` is
//! 1 MiB.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::json;
use warren::{Context, Error, Target};

use rig::Rig;
use rig::service::{SETUP, first_success, start_server};

const MAX_MESSAGE_SIZE: usize = 1024 * 1024;
const CALLERS: usize = 3;

#[actix_rt::test]
async fn a_channel_error_fails_only_its_operation() {
    let rig = Rig::shared(1, &format!("max_message_size = {MAX_MESSAGE_SIZE}\n"));
    let _turn = rig.exclusive().await;
    let url = Rig::url(&[rig.nodes[0].host()]);
    let transport = common::transport_on(&url, "channel-errors", |b| {
        b.rpc_response_timeout(Duration::from_secs(2))
    });
    let (server, _started) = start_server(&transport, "channel-errors").await;
    let client = transport.rpc_client(Target::new("channel-errors"));
    first_success(&client, SETUP).await;
    let (now, mut changes) = rig::states(&transport).await;
    rig::connected(now, &mut changes, SETUP).await;

    // Calls on the same connection keep going while the channel errors happen.
    let ok = Rc::new(Cell::new(0u32));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let callers: Vec<_> = (0..CALLERS)
        .map(|c| {
            let client = client.clone();
            let ok = ok.clone();
            let stop = stop_rx.clone();
            actix_rt::spawn(async move {
                let mut failures = Vec::new();
                while !*stop.borrow() {
                    let r: Result<serde_json::Value, Error> =
                        client.call(&Context::new(), "echo", &json!({"c": c})).await;
                    match r {
                        Ok(_) => ok.set(ok.get() + 1),
                        Err(e) => failures.push(e.to_string()),
                    }
                }
                failures
            })
        })
        .collect();

    // 1. A cast to an exchange nobody declared: the broker closes the channel with a
    // 404; warren declares the exchange and tries again, and, with no server bound,
    // reports the message undeliverable.
    let missing = client.with_exchange("channel-errors-missing-exchange");
    let started = Instant::now();
    let cast = missing.cast(&Context::new(), "echo", &json!({})).await;
    let missing_took = started.elapsed();
    assert!(
        matches!(&cast, Err(Error::Undeliverable { exchange, .. }) if exchange == "channel-errors-missing-exchange"),
        "{cast:?}"
    );

    // 2. A call above max_message_size: refused at once, not retried.
    let big = "x".repeat(MAX_MESSAGE_SIZE + 1024);
    let started = Instant::now();
    let call: Result<serde_json::Value, Error> = client
        .call(&Context::new(), "echo", &json!({"big": big}))
        .await;
    let big_took = started.elapsed();
    let refusal = match &call {
        Err(e @ Error::Broker { operation, reason })
            if operation == "basic.publish" && reason.contains("max size") =>
        {
            e.to_string()
        }
        other => panic!("an oversize message is refused by the broker, got {other:?}"),
    };
    // 3. The same for a notification, which would otherwise retry forever.
    let notifier = transport
        .notifier("channel-errors")
        .with_topics(["channel-errors"]);
    let note = notifier
        .info(&Context::new(), "big", &json!({"big": big}))
        .await;
    assert!(matches!(note, Err(Error::Broker { .. })), "{note:?}");

    let before = ok.get();
    // A few more calls after the errors, then stop the callers.
    while ok.get() < before + 10 {
        first_success(&client, SETUP).await;
        ok.set(ok.get() + 1);
    }
    stop_tx.send_replace(true);
    let mut failures = Vec::new();
    for caller in callers {
        failures.extend(caller.await.expect("a caller ran"));
    }
    let connection_changes = std::iter::from_fn(|| changes.try_recv().ok()).count();
    println!(
        "FIGURE scenario=5 channel errors: missing exchange → Undeliverable after \
         {missing_took:.2?} (rpc_response_timeout 2 s); oversize call refused in \
         {big_took:.2?}: {refusal}; concurrent calls: {} succeeded, {} failed; connection \
         state changes: {connection_changes}",
        ok.get(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "calls beside the errors failed: {failures:?}"
    );
    assert_eq!(connection_changes, 0, "the connection was never replaced");
    assert!(
        big_took < Duration::from_secs(1),
        "not retried: {big_took:?}"
    );
    server.stop().await;
    transport.close().await;
}
