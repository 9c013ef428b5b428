//! Every actor of the tree is supervised: each test makes one actor kind fail (a test-
//! only `Crash`, a restarted channel, a closed connection) and shows that new calls and
//! notifications succeed within `host_connection_reconnect_delay` + 2 s, and that only
//! work in flight at that moment may have seen an error.

mod common;
#[allow(dead_code)]
#[path = "rig/service.rs"]
mod service;

use std::time::{Duration, Instant};

use common::{transport, unique};
use serde_json::json;
use tokio::sync::mpsc::UnboundedReceiver;
use warren::{
    Context, NotificationListener, Notifier, Priority, RpcClient, RpcServer, Target, Transport,
    TreeActor,
};

/// `host_connection_reconnect_delay` (the default) plus the 2 s the tree may take.
const RECOVERY: Duration = Duration::from_millis(250 + 2000);
/// How long set-up steps may take.
const SETUP: Duration = Duration::from_secs(30);
/// Calls in flight when the actor fails, and how long each takes on the server.
const IN_FLIGHT: usize = 3;
const SLOW_SECONDS: f64 = 1.0;

/// A service (server + listener on one transport) and a caller on another.
struct Scene {
    service: Transport,
    caller: Transport,
    server: RpcServer,
    listener: NotificationListener,
    received: UnboundedReceiver<serde_json::Value>,
    started: UnboundedReceiver<()>,
    client: RpcClient,
    notifier: Notifier,
}

async fn scene(name: &str) -> Scene {
    let topic = unique(name);
    let service = transport(&format!("{topic}-service"));
    let caller = transport(&format!("{topic}-caller"));
    let (server, started) = service::start_server(&service, &topic).await;
    let (listener, received) = common::payload_listener(&service, &topic, Priority::Info).await;
    let client = caller
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(10));
    let notifier = caller.notifier("supervision").with_topics([topic.as_str()]);
    let mut scene = Scene {
        service,
        caller,
        server,
        listener,
        received,
        started,
        client,
        notifier,
    };
    call_and_notify(&mut scene, "before", SETUP)
        .await
        .expect("a call and a notification work before the failure");
    scene
}

/// One echo call and one notification, each received; the error of the first failure.
async fn call_and_notify(scene: &mut Scene, tag: &str, limit: Duration) -> Result<(), String> {
    let echoed: serde_json::Value = tokio::time::timeout(
        limit,
        scene
            .client
            .call(&Context::new(), "echo", &json!({ "tag": tag })),
    )
    .await
    .map_err(|_| format!("call timed out after {limit:?}"))?
    .map_err(|e| format!("call failed: {e}"))?;
    assert_eq!(echoed, json!({ "tag": tag }));
    tokio::time::timeout(
        limit,
        scene.notifier.info(&Context::new(), "sup", &json!(tag)),
    )
    .await
    .map_err(|_| format!("notification timed out after {limit:?}"))?
    .map_err(|e| format!("notification failed: {e}"))?;
    loop {
        match tokio::time::timeout(limit, scene.received.recv()).await {
            Ok(Some(p)) if p == json!(tag) => return Ok(()),
            // A notification of an earlier attempt, delivered late.
            Ok(Some(_)) => {}
            Ok(None) => return Err("the listener is gone".to_owned()),
            Err(_) => return Err(format!("notification not received within {limit:?}")),
        }
    }
}

/// Start slow calls and return once the server handles each.
async fn in_flight(
    scene: &mut Scene,
) -> Vec<actix_rt::task::JoinHandle<Result<String, warren::Error>>> {
    let calls = (0..IN_FLIGHT)
        .map(|_| {
            let client = scene.client.clone();
            actix_rt::spawn(async move {
                client
                    .call(&Context::new(), "slow", &json!({ "seconds": SLOW_SECONDS }))
                    .await
            })
        })
        .collect();
    for _ in 0..IN_FLIGHT {
        tokio::time::timeout(SETUP, scene.started.recv())
            .await
            .expect("every slow call reached the server")
            .expect("the server is alive");
    }
    calls
}

/// Fail an actor with `fail`, then show the recovery: prints a FIGURE line.
async fn recovers_from<F, Fut>(name: &str, fail: F)
where
    F: FnOnce(Scene) -> Fut,
    Fut: std::future::Future<Output = Scene>,
{
    let mut scene = scene(name).await;
    let pending = in_flight(&mut scene).await;
    let failed_at = Instant::now();
    let mut scene = fail(scene).await;
    // New work: retried (each attempt bounded) until it works, within RECOVERY.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let left = RECOVERY.saturating_sub(failed_at.elapsed());
        assert!(
            !left.is_zero(),
            "{name}: nothing worked within {RECOVERY:?} of the failure"
        );
        match call_and_notify(&mut scene, &format!("after-{attempts}"), left).await {
            Ok(()) => break,
            Err(e) if failed_at.elapsed() < RECOVERY => {
                eprintln!("{name}: attempt {attempts} failed: {e}");
            }
            Err(e) => panic!("{name}: no call and notification within {RECOVERY:?}: {e}"),
        }
    }
    let recovered = failed_at.elapsed();
    // Once recovered, everything works.
    for i in 0..10 {
        call_and_notify(&mut scene, &format!("steady-{i}"), SETUP)
            .await
            .unwrap_or_else(|e| panic!("{name}: after recovery: {e}"));
    }
    // Only the calls in flight at the failure may have failed, and then with an error
    // a caller can act on.
    let mut in_flight_failed = 0;
    for call in pending {
        match call.await.expect("the call task ran") {
            Ok(r) => assert_eq!(r, "slept"),
            Err(e) => {
                assert!(
                    e.is_retryable(),
                    "{name}: an in-flight call failed for good: {e}"
                );
                in_flight_failed += 1;
            }
        }
    }
    println!(
        "FIGURE supervision {name}: call + notification worked {recovered:.2?} after the failure \
         ({attempts} attempts); {in_flight_failed} of {IN_FLIGHT} calls in flight failed"
    );
    scene.server.stop().await;
    scene.listener.stop().await;
    scene.caller.close().await;
    scene.service.close().await;
}

async fn crash_caller(actor: TreeActor, scene: Scene) -> Scene {
    scene.caller.crash(actor).await;
    scene
}

#[actix_rt::test]
async fn the_host_connection_recovers() {
    recovers_from("sup-connection", |s| crash_caller(TreeActor::Connection, s)).await;
}

#[actix_rt::test]
async fn the_pool_recovers() {
    recovers_from("sup-pool", |s| crash_caller(TreeActor::Pool, s)).await;
}

#[actix_rt::test]
async fn publisher_channels_recover() {
    recovers_from("sup-pub-channels", |s| {
        crash_caller(TreeActor::PublisherChannels, s)
    })
    .await;
}

#[actix_rt::test]
async fn the_reply_waiter_recovers() {
    recovers_from("sup-reply-waiter", |s| {
        crash_caller(TreeActor::ReplyWaiter, s)
    })
    .await;
}

#[actix_rt::test]
async fn the_reply_channel_recovers() {
    recovers_from("sup-reply-channel", |s| {
        crash_caller(TreeActor::ReplyChannel, s)
    })
    .await;
}

#[actix_rt::test]
async fn the_rpc_client_recovers() {
    recovers_from("sup-client", |s| crash_caller(TreeActor::RpcClient, s)).await;
}

#[actix_rt::test]
async fn the_notifier_recovers() {
    recovers_from("sup-notifier", |s| crash_caller(TreeActor::Notifier, s)).await;
}

#[actix_rt::test]
async fn the_service_connection_recovers() {
    recovers_from("sup-service-connection", |s| async move {
        s.service.crash(TreeActor::Connection).await;
        s
    })
    .await;
}

#[actix_rt::test]
async fn the_rpc_server_recovers() {
    recovers_from("sup-server", |s| async move {
        s.server.crash(false).await;
        s
    })
    .await;
}

#[actix_rt::test]
async fn the_rpc_server_channel_recovers() {
    recovers_from("sup-server-channel", |s| async move {
        s.server.crash(true).await;
        s
    })
    .await;
}

#[actix_rt::test]
async fn the_listener_recovers() {
    recovers_from("sup-listener", |s| async move {
        s.listener.crash(false).await;
        s
    })
    .await;
}

#[actix_rt::test]
async fn the_listener_channel_recovers() {
    recovers_from("sup-listener-channel", |s| async move {
        s.listener.crash(true).await;
        s
    })
    .await;
}

/// The tree lives in the transport's own arbiter: a caller's arbiter that stops (an
/// actix-web worker shutting down) takes nothing with it.
#[actix_rt::test]
async fn calls_work_after_the_first_callers_arbiter_stops() {
    let scene = scene("sup-arbiter").await;
    // A transport whose first call, which sets up its reply queue, comes from a worker.
    let caller = transport(&unique("sup-arbiter-caller"));
    let client = caller
        .rpc_client(scene.client.target().clone())
        .with_timeout(Duration::from_secs(10));
    let worker = actix::Arbiter::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let from_worker = client.clone();
    worker.spawn(async move {
        let r: Result<serde_json::Value, warren::Error> = from_worker
            .call(&Context::new(), "echo", &json!({ "from": "worker" }))
            .await;
        let _ = tx.send(r);
    });
    let first = tokio::time::timeout(SETUP, rx)
        .await
        .expect("the worker's call ended")
        .expect("the worker answered");
    assert_eq!(
        first.expect("the worker's call works"),
        json!({ "from": "worker" })
    );
    worker.stop();
    worker.join().expect("the worker arbiter stops");
    let after: serde_json::Value = tokio::time::timeout(
        SETUP,
        client.call(&Context::new(), "echo", &json!({ "from": "main" })),
    )
    .await
    .expect("the call after the worker stopped ended")
    .expect("calls work after the first caller's arbiter stopped");
    assert_eq!(after, json!({ "from": "main" }));
    caller.close().await;
    scene.caller.close().await;
    scene.service.close().await;
}

/// `Transport::close` stops the tree: what is sent afterwards fails at once with
/// `Error::Shutdown`, instead of being retried until its deadline.
#[actix_rt::test]
async fn after_close_calls_casts_and_notifications_fail_at_once() {
    let scene = scene("sup-closed").await;
    scene.caller.close().await;
    let started = Instant::now();
    let call: Result<serde_json::Value, warren::Error> = scene
        .client
        .call(&Context::new(), "echo", &json!({ "after": "close" }))
        .await;
    assert!(matches!(call, Err(warren::Error::Shutdown)), "{call:?}");
    let cast = scene.client.cast(&Context::new(), "echo", &json!({})).await;
    assert!(matches!(cast, Err(warren::Error::Shutdown)), "{cast:?}");
    let note = scene.notifier.info(&Context::new(), "sup", &json!(1)).await;
    assert!(matches!(note, Err(warren::Error::Shutdown)), "{note:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "failed at once, not at a deadline: {:?}",
        started.elapsed()
    );
    scene.server.stop().await;
    scene.listener.stop().await;
    scene.service.close().await;
}
