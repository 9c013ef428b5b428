//! `rpc_reply_retry_attempts` and `rpc_reply_retry_delay`: a reply whose publish is lost
//! with the server's connection (a network black hole while its confirm is
//! outstanding) is sent again, up to that many attempts, unless the pause between
//! attempts would pass the caller's deadline. (The spacing itself is not measured.)

mod common;
mod rig;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::unique;
use rig::{Mode, Proxy};
use tokio::sync::{Notify, mpsc};
use warren::{ConnectionState, Context, Endpoint, Error, RemoteError, Section, Target};

/// The caller's timeout: the reply's deadline.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
const SETUP: Duration = Duration::from_secs(30);

/// Serve a call through a proxy that black-holes the server's connection while the
/// endpoint runs, heal once the server notices, and return what the caller got and how
/// often the endpoint ran.
async fn reply_across_a_black_hole(attempts: &str, delay: &str) -> (Result<i64, Error>, usize) {
    common::require_broker();
    let proxy = Proxy::start(([127, 0, 0, 1], 5672).into());
    let server_side = common::transport_on(
        &format!("pika://{}/", proxy.host()),
        &unique("reply-retry-server"),
        |b| {
            b.heartbeat_interval(Duration::from_secs(1))
                .set(Section::Pika, "rpc_reply_retry_attempts", attempts)
                .set(Section::Pika, "rpc_reply_retry_delay", delay)
                .set(Section::Pika, "host_connection_reconnect_delay", "0.25")
        },
    );
    let caller = common::transport(&unique("reply-retry-caller"));
    let topic = unique("topic");
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let runs = Arc::new(AtomicUsize::new(0));
    let endpoint = {
        let (release, runs) = (release.clone(), runs.clone());
        Endpoint::new()
            .method("warm", |_ctx, _: serde_json::Value| async {
                Ok::<_, RemoteError>(0_i64)
            })
            .method("held", move |_ctx, _: serde_json::Value| {
                runs.fetch_add(1, Ordering::SeqCst);
                let _ = started_tx.send(());
                let release = release.clone();
                async move {
                    release.notified().await;
                    Ok::<_, RemoteError>(1_i64)
                }
            })
    };
    let server = warren::RpcServer::start(
        &server_side,
        Target::new(&topic).with_server("s1"),
        vec![endpoint],
    )
    .expect("start the server");
    server.ready().await.expect("the server consumes");
    let (now, mut changes) = rig::states(&server_side).await;
    rig::connected(now, &mut changes, SETUP).await;

    // Without a retrier the request goes to a `no_ack` queue: there is no ack of the
    // request to lose in the cut, so the broker never delivers it again.
    let client = caller
        .rpc_client(Target::new(&topic))
        .with_retry(warren::Retry::NoRetrier)
        .with_timeout(CALL_TIMEOUT);
    // A first reply opens the server's publisher channel: the lost reply is then
    // written on an open channel instead of waiting for one to open.
    client
        .call::<_, i64>(&Context::new(), "warm", &serde_json::json!({}))
        .await
        .expect("a call before the cut");
    let call = actix_rt::spawn(async move {
        client
            .call::<_, i64>(&Context::new(), "held", &serde_json::json!({}))
            .await
    });
    tokio::time::timeout(SETUP, started.recv())
        .await
        .expect("the request reached the endpoint");
    // The request is in hand; its reply goes into the black hole and is never confirmed.
    proxy.set(Mode::BlackHole);
    release.notify_one();
    loop {
        let state = tokio::time::timeout(SETUP, changes.recv())
            .await
            .expect("missed heartbeats reveal the cut")
            .expect("the connection actor is alive");
        if !matches!(state, ConnectionState::Connected { .. }) {
            break;
        }
    }
    proxy.set(Mode::Forward);
    let outcome = call.await.expect("the call task ran");
    server.stop().await;
    server_side.close().await;
    caller.close().await;
    (outcome, runs.load(Ordering::SeqCst))
}

#[actix_rt::test]
async fn a_lost_reply_is_sent_again_up_to_rpc_reply_retry_attempts_unless_rpc_reply_retry_delay_passes_the_deadline()
 {
    let (once, retried, too_late) = futures_util::join!(
        reply_across_a_black_hole("1", "0.25"),
        reply_across_a_black_hole("-1", "0.25"),
        // A pause past the caller's deadline leaves no time for another attempt.
        reply_across_a_black_hole("-1", "60"),
    );
    assert!(
        matches!(once, (Err(Error::Timeout { .. }), 1)),
        "one attempt: the reply is lost with the connection: {once:?}"
    );
    assert!(
        matches!(retried, (Ok(1), 1)),
        "attempts without end, 0.25 s apart: the reply arrives after the cut heals: {retried:?}"
    );
    assert!(
        matches!(too_late, (Err(Error::Timeout { .. }), 1)),
        "attempts 60 s apart: none fits before the 15 s deadline: {too_late:?}"
    );
}
