//! Scenarios: the broker becomes silent while the TCP connection stays up — a network
//! black hole (the rig's proxy drops every byte) and a hung broker (`SIGSTOP` of the
//! node). Missed heartbeats reveal it within 2 × `heartbeat_interval` + 1 s; calls in
//! flight fail with a typed error; once the fault is over, service resumes by itself.

mod common;
#[path = "rig/mod.rs"]
mod rig;

use std::sync::Arc;
use std::time::{Duration, Instant};

use warren::{ConnectionState, Transport};

use rig::service::{SETUP, first_success, pending_slow_calls, start_server};
use rig::{Mode, Proxy, Rig};

const HEARTBEAT: Duration = Duration::from_secs(1);
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// Long enough that the calls are still pending when the fault is noticed.
const SLOW_SECONDS: f64 = 8.0;
const PENDING: usize = 3;

fn transport(url: &str, name: &str) -> Transport {
    common::transport_on(url, name, |b| b.heartbeat_interval(HEARTBEAT))
}

/// What one fault did, as the test measured it.
struct Figures {
    detected: Duration,
    pending_failed: Duration,
    errors: Vec<String>,
    resumed: Duration,
}

/// Start a server and a caller on `url`, make `PENDING` slow calls, apply `fault`,
/// measure, then `heal` and measure again.
async fn fault_and_heal(
    url: &str,
    what: &str,
    fault: impl FnOnce(),
    heal: impl FnOnce(),
) -> Figures {
    let service = transport(url, &format!("{what}-service"));
    let caller = transport(url, &format!("{what}-caller"));
    let (server, mut started) = start_server(&service, what).await;
    let client = caller
        .rpc_client(warren::Target::new(what))
        .with_timeout(CALL_TIMEOUT);
    first_success(&client, SETUP).await;
    let (now, mut changes) = rig::states(&caller).await;
    rig::connected(now, &mut changes, SETUP).await;

    let calls = pending_slow_calls(&client, PENDING, SLOW_SECONDS, &mut started).await;

    let cut = Instant::now();
    fault();
    let detected = loop {
        match tokio::time::timeout(SETUP, changes.recv()).await {
            Ok(Some(ConnectionState::Connected { .. } | ConnectionState::Blocked { .. })) => {}
            Ok(Some(_)) => break cut.elapsed(),
            other => panic!("the fault was never noticed: {other:?}"),
        }
    };
    let mut pending_failed = Duration::ZERO;
    let mut errors = Vec::new();
    for call in calls {
        let (result, ended) = call.await.expect("the call task ran");
        pending_failed = pending_failed.max(ended - cut);
        match result {
            Err(e @ warren::Error::ConnectionLost { .. }) => errors.push(e.to_string()),
            other => panic!("a call in flight fails with ConnectionLost, got {other:?}"),
        }
    }

    let healed = Instant::now();
    heal();
    let quick = client.with_timeout(Duration::from_secs(3));
    let (first, _) = first_success(&quick, SETUP).await;
    server.stop().await;
    caller.close().await;
    service.close().await;
    Figures {
        detected,
        pending_failed,
        errors,
        resumed: first - healed,
    }
}

fn report(scenario: &str, fault: &str, f: &Figures) {
    let limit = 2 * HEARTBEAT + Duration::from_secs(1);
    println!(
        "FIGURE scenario={scenario} {fault}: detected after {:.2?} (limit {limit:?} with \
         heartbeat_interval {HEARTBEAT:?}); {PENDING} calls in flight failed with \
         ConnectionLost within {:.2?}; first successful call {:.2?} after the fault ended",
        f.detected, f.pending_failed, f.resumed
    );
    println!("  a pending call's error: {}", f.errors[0]);
}

#[actix_rt::test]
async fn a_black_holed_connection_is_detected_and_service_resumes_after_the_cut_heals() {
    let rig = Rig::shared(1, "");
    let _turn = rig.exclusive().await;
    let proxy: Arc<Proxy> = Proxy::start(([127, 0, 0, 1], rig.nodes[0].port).into());
    let url = Rig::url(&[proxy.host()]);
    let figures = fault_and_heal(
        &url,
        "blackhole",
        || proxy.set(Mode::BlackHole),
        || proxy.set(Mode::Forward),
    )
    .await;
    report("3", "network black hole", &figures);
    assert!(
        figures.detected <= 2 * HEARTBEAT + Duration::from_secs(1),
        "detected after {:?}",
        figures.detected
    );
}

#[actix_rt::test]
async fn a_paused_broker_is_detected_and_service_resumes_after_it_continues() {
    let rig = Rig::shared(1, "");
    let _turn = rig.exclusive().await;
    let url = Rig::url(&[rig.nodes[0].host()]);
    let figures = fault_and_heal(&url, "sigstop", || rig.pause(0), || rig.resume(0)).await;
    report("4", "SIGSTOP of the broker", &figures);
    assert!(
        figures.detected <= 2 * HEARTBEAT + Duration::from_secs(1),
        "detected after {:?}",
        figures.detected
    );
}
