//! Scenario: a memory alarm on the broker. It blocks publishing connections: a call
//! fails within its timeout with `Error::Blocked`, notifications wait; once the alarm
//! clears, everything sent is delivered. Runs on a rig node of its own.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use serde_json::json;
use warren::{ConnectionState, Context, Error, Priority, Retry, Section, Target};

use rig::Rig;
use rig::service::{SETUP, first_success, start_server};

const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const NOTIFICATIONS: u64 = 20;

#[actix_rt::test]
async fn a_memory_alarm_blocks_publishers_and_everything_is_delivered_after_it_clears() {
    let rig = Rig::shared(1, "");
    let _turn = rig.exclusive().await;
    let url = Rig::url(&[rig.nodes[0].host()]);
    let service = common::transport_on(&url, "alarm-service", |b| b);
    let sender = common::transport_on(&url, "alarm-sender", |b| b);
    // One publisher channel, and a short wait for it.
    let narrow = common::transport_on(&url, "alarm-narrow-pool", |b| {
        b.pool_max_size(NonZeroUsize::MIN)
            .set(Section::Pika, "pool_timeout", "1")
    });
    let topic = "alarm";
    let (server, _) = start_server(&service, topic).await;
    let (listener, mut received) = common::payload_listener(&service, topic, Priority::Info).await;
    let client = sender
        .rpc_client(Target::new(topic))
        .with_timeout(CALL_TIMEOUT);
    first_success(&client, SETUP).await;
    let notifier = sender.notifier("alarm").with_topics([topic]);
    let (now, mut changes) = rig::states(&sender).await;
    rig::connected(now, &mut changes, SETUP).await;

    rig.memory_alarm(0, true).await;

    // A call while blocked: its publish is never confirmed; it fails within its timeout.
    let started = Instant::now();
    let call: Result<serde_json::Value, Error> = client
        .call(&Context::new(), "echo", &json!({"during": "alarm"}))
        .await;
    let call_took = started.elapsed();
    let blocked_error = match &call {
        Err(e @ Error::Blocked { .. }) => e.to_string(),
        other => panic!("a call under the alarm fails with Error::Blocked, got {other:?}"),
    };
    // RabbitMQ blocks a connection (and says so) when it next publishes.
    let reason = loop {
        match tokio::time::timeout(SETUP, changes.recv()).await {
            Ok(Some(ConnectionState::Blocked { reason })) => break reason,
            Ok(Some(_)) => {}
            other => panic!("the broker never blocked the connection: {other:?}"),
        }
    };
    // With the only pool channel's window held by blocked calls, a call that may not
    // retry gets its error once pool_timeout has passed.
    let narrow_client = narrow
        .rpc_client(Target::new(topic))
        .with_timeout(CALL_TIMEOUT);
    let (_, mut narrow_changes) = rig::states(&narrow).await;
    let holders: Vec<_> = (0..warren::PUBLISH_WINDOW)
        .map(|i| {
            let c = narrow_client.clone();
            actix_rt::spawn(async move {
                c.call::<_, serde_json::Value>(&Context::new(), "echo", &json!({ "holds": i }))
                    .await
            })
        })
        .collect();
    // The holders have the window once the broker blocks their connection.
    loop {
        match tokio::time::timeout(SETUP, narrow_changes.recv()).await {
            Ok(Some(ConnectionState::Blocked { .. })) => break,
            Ok(Some(_)) => {}
            other => panic!("the holders' publishes never reached the broker: {other:?}"),
        }
    }
    let started = Instant::now();
    let waiter: Result<serde_json::Value, Error> = narrow_client
        .with_retry(Retry::NoRetrier)
        .with_timeout(Duration::from_secs(10))
        .call(&Context::new(), "echo", &json!({"waits": 1}))
        .await;
    let pool_wait = started.elapsed();
    let pool_error = match &waiter {
        Err(e @ Error::Blocked { waiting_for, .. }) if waiting_for.contains("pool") => {
            e.to_string()
        }
        other => panic!("a pool waiter gets its error after pool_timeout, got {other:?}"),
    };
    for holder in holders {
        let held = holder.await.expect("a holder ran");
        assert!(matches!(held, Err(Error::Blocked { .. })), "{held:?}");
    }
    // Notifications have no deadline: they wait for the alarm to clear.
    let pending: Vec<_> = (0..NOTIFICATIONS)
        .map(|i| {
            let notifier = notifier.clone();
            actix_rt::spawn(async move {
                notifier
                    .info(&Context::new(), "during-alarm", &json!(i))
                    .await
            })
        })
        .collect();

    // The clear takes effect inside this command (which boots an Erlang VM): the figure
    // counts from its start.
    let cleared = Instant::now();
    rig.memory_alarm(0, false).await;
    for p in pending {
        p.await
            .expect("the notification task ran")
            .expect("a notification sent during the alarm is confirmed after it");
    }
    let mut got: Vec<u64> = Vec::new();
    while got.len() < NOTIFICATIONS as usize {
        let i = tokio::time::timeout(SETUP, received.recv())
            .await
            .expect("every notification sent during the alarm is delivered")
            .expect("the listener is alive");
        got.push(i.as_u64().expect("a sequence number"));
    }
    let delivered = cleared.elapsed();
    let (after, _) = first_success(&client, SETUP).await;
    got.sort_unstable();
    got.dedup();
    println!(
        "FIGURE scenario=8 pool under an alarm: with pool_max_size 1 and its window held, a waiter failed \
         after {pool_wait:.2?} (pool_timeout 1 s): {pool_error}"
    );
    assert!(
        pool_wait < CALL_TIMEOUT,
        "gave up at pool_timeout, not at the call's timeout: {pool_wait:?}"
    );
    println!(
        "FIGURE scenario=7 memory alarm: connection.blocked ({reason}); a call failed with \
         Error::Blocked after {call_took:.2?} (timeout {CALL_TIMEOUT:?}): {blocked_error}; \
         {NOTIFICATIONS} notifications sent during the alarm all delivered {delivered:.2?} \
         after the clearing command started; next call succeeded {:.2?} after it",
        after - cleared
    );
    assert_eq!(got, (0..NOTIFICATIONS).collect::<Vec<_>>());
    assert!(
        call_took <= CALL_TIMEOUT + Duration::from_secs(1),
        "took {call_took:?}"
    );
    listener.stop().await;
    server.stop().await;
    sender.close().await;
    narrow.close().await;
    service.close().await;
}
