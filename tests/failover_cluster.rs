//! Scenario: `kill -9` of the node a service is connected to, with the transport URL
//! listing three clustered nodes. The RPC server and the notification listener move to
//! another node by themselves; calls made meanwhile each end, with their result or a
//! typed error, within their timeout + 1 s.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{Context, Priority, Target};

use rig::Rig;
use rig::service::{Slow, pending_slow_calls, start_server};

const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const CALLERS: usize = 4;
const WAIT: Duration = Duration::from_secs(60);

/// One call made during the test: when it started, how long it took, how it ended.
struct Record {
    started: Instant,
    took: Duration,
    outcome: Result<(), String>,
}

#[actix_rt::test]
async fn killing_the_node_a_service_uses_moves_it_to_another_node() {
    let rig = Rig::shared(3, "");
    let _turn = rig.exclusive().await;
    let service = common::transport_on(&rig.url_all(), "cluster-service", |b| b);
    let (now, mut changes) = rig::states(&service).await;
    let old_host = rig::connected(now, &mut changes, WAIT).await;
    let victim = rig.node_at(&old_host);
    // The caller sits on the other nodes: the figure is the service's failover alone.
    let others = rig.hosts_except(victim);
    let caller = common::transport_on(&Rig::url(&others), "cluster-caller", |b| b);

    let topic = "cluster-kill";
    let (server, _) = start_server(&service, topic).await;
    let (listener, mut notes) = common::payload_listener(&service, topic, Priority::Info).await;
    let client = caller
        .rpc_client(Target::new(topic))
        .with_timeout(CALL_TIMEOUT);
    let notifier = caller.notifier("cluster").with_topics([topic]);

    // Callers call in a loop until told to stop, recording every call.
    let records: Rc<RefCell<Vec<Record>>> = Rc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let (done_tx, mut done_rx) = unbounded_channel::<()>();
    let mut callers = Vec::new();
    for c in 0..CALLERS {
        let client = client.clone();
        let records = records.clone();
        let stop = stop_rx.clone();
        let done = done_tx.clone();
        callers.push(actix_rt::spawn(async move {
            let mut n = 0u64;
            while !*stop.borrow() {
                n += 1;
                let started = Instant::now();
                let outcome: Result<serde_json::Value, warren::Error> = client
                    .call(&Context::new(), "echo", &json!({"caller": c, "n": n}))
                    .await;
                let took = started.elapsed();
                let outcome = match outcome {
                    Ok(v) if v == json!({"caller": c, "n": n}) => Ok(()),
                    Ok(v) => Err(format!("wrong result {v}")),
                    Err(e) => Err(e.to_string()),
                };
                records.borrow_mut().push(Record {
                    started,
                    took,
                    outcome,
                });
                let _ = done.send(());
            }
        }));
    }
    // Let the callers get going before the kill.
    while records
        .borrow()
        .iter()
        .filter(|r| r.outcome.is_ok())
        .count()
        < 20
    {
        done_rx.recv().await.expect("a caller is running");
    }

    let killed = Instant::now();
    rig.kill(victim);
    notifier
        .info(&Context::new(), "after-kill", &json!("after-kill"))
        .await
        .expect("the caller's node took the notification");
    // The service reconnects to another node of the URL.
    let new_host = loop {
        match tokio::time::timeout(WAIT, changes.recv()).await {
            Ok(Some(warren::ConnectionState::Connected { host })) => break host,
            Ok(Some(_)) => continue,
            other => panic!("the service never reconnected: {other:?}"),
        }
    };
    let reconnected = killed.elapsed();
    // Wait for a successful call that started after the kill, then a few more.
    let first_ok = loop {
        let first = records
            .borrow()
            .iter()
            .filter(|r| r.started >= killed && r.outcome.is_ok())
            .map(|r| r.started + r.took - killed)
            .min();
        if let Some(first) = first {
            break first;
        }
        tokio::time::timeout(WAIT, done_rx.recv())
            .await
            .expect("a call ended in time");
    };
    let after = records.borrow().len() + 4 * CALLERS;
    while records.borrow().len() < after {
        done_rx.recv().await.expect("a caller is running");
    }
    stop_tx.send_replace(true);
    for caller in callers {
        caller.await.expect("a caller finished");
    }
    let noted = tokio::time::timeout(WAIT, notes.recv())
        .await
        .expect("the listener received the notification sent after the kill");
    let listener_back = killed.elapsed();

    let records = std::mem::take(&mut *records.borrow_mut());
    let in_window: Vec<&Record> = records
        .iter()
        .filter(|r| r.started + r.took >= killed && r.started < killed + first_ok)
        .collect();
    let slowest = records.iter().map(|r| r.took).max().unwrap_or_default();
    let failures: Vec<&String> = records
        .iter()
        .filter_map(|r| r.outcome.as_ref().err())
        .collect();
    let delay = service.config().pika.host_connection_reconnect_delay;
    println!(
        "FIGURE scenario=2 kill-9: service moved from {old_host} to {new_host} in \
         {reconnected:.2?}; first successful call {first_ok:.2?} after the kill (target \
         {:.2?}); {} calls, {} in the window, {} failed, slowest {slowest:.2?} (timeout \
         {CALL_TIMEOUT:?}); notification sent after the kill received {listener_back:.2?} \
         after it",
        delay + Duration::from_secs(2),
        records.len(),
        in_window.len(),
        failures.len(),
    );
    for failure in &failures {
        println!("  call failed: {failure}");
    }
    assert_ne!(rig.node_at(&new_host), victim, "moved to another node");
    assert_eq!(noted, Some(json!("after-kill")));
    assert!(
        slowest <= CALL_TIMEOUT + Duration::from_secs(1),
        "a call took {slowest:?}, more than its timeout + 1 s"
    );
    server.stop().await;
    listener.stop().await;
    caller.close().await;
    service.close().await;
}

#[actix_rt::test]
async fn killing_the_callers_node_fails_its_pending_calls_at_once() {
    const SLOW: Duration = Duration::from_secs(2);
    const TIMEOUT: Duration = Duration::from_secs(20);
    let rig = Rig::shared(3, "");
    let _turn = rig.exclusive().await;
    let caller = common::transport_on(&rig.url_all(), "cluster-pending-caller", |b| b);
    let (now, mut changes) = rig::states(&caller).await;
    let victim = rig.node_at(&rig::connected(now, &mut changes, WAIT).await);
    let others = rig.hosts_except(victim);
    let service = common::transport_on(&Rig::url(&others), "cluster-pending-service", |b| b);
    let topic = "cluster-pending";
    let (server, mut started) = start_server(&service, topic).await;
    let client = caller.rpc_client(Target::new(topic)).with_timeout(TIMEOUT);
    // The method takes a while, so the calls are pending when the node dies.
    let calls = pending_slow_calls(&client, CALLERS, SLOW.as_secs_f64(), &mut started).await;
    let killed = Instant::now();
    rig.kill(victim);
    let mut slowest = Duration::ZERO;
    for call in calls {
        let (result, ended) = call.await.expect("the call task ran");
        slowest = slowest.max(ended - killed);
        assert!(
            matches!(result, Err(warren::Error::ConnectionLost { .. })),
            "a pending call fails with ConnectionLost, got {result:?}"
        );
    }
    let retried = Instant::now();
    let again: String = client
        .call(
            &Context::new(),
            "slow",
            &Slow {
                seconds: SLOW.as_secs_f64(),
            },
        )
        .await
        .expect("the next call succeeds through another node");
    println!(
        "FIGURE scenario=2 kill-9 of the caller's node: {CALLERS} pending calls failed with \
         ConnectionLost within {slowest:.2?} of the kill (their timeout: {TIMEOUT:?}); the \
         next call succeeded after {:.2?} (the method takes {SLOW:?})",
        retried.elapsed()
    );
    assert_eq!(again, "slept");
    assert!(
        slowest < SLOW,
        "failed before the server would have replied"
    );
    server.stop().await;
    caller.close().await;
    service.close().await;
}
