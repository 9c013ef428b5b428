//! Regressions: failures that must stay local (a channel error, a stop during set-up,
//! a panicking endpoint, a bad target) and not take the transport or server down.

mod common;

use std::time::Duration;

use actix::prelude::*;
use common::{recording_endpoint, transport, unique};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{
    ConnectionState, ConnectionStateChanged, Context, Endpoint, Error, RemoteError, RpcServer,
    Target,
};

/// Forwards connection states to a channel the test reads.
struct StateProbe(UnboundedSender<ConnectionState>);

impl Actor for StateProbe {
    type Context = actix::Context<Self>;
}

impl Handler<ConnectionStateChanged> for StateProbe {
    type Result = ();

    fn handle(&mut self, msg: ConnectionStateChanged, _ctx: &mut actix::Context<Self>) {
        let _ = self.0.send(msg.state);
    }
}

#[actix_rt::test]
async fn a_channel_error_does_not_restart_the_connection() {
    let t = transport(&unique("robust-channel-error"));
    let (tx, mut states) = unbounded_channel();
    let probe = StateProbe(tx).start();
    // Wait until connected, by subscribing and then waiting for a Connected state.
    let current = t.subscribe(probe.recipient()).await.unwrap();
    if !matches!(current, ConnectionState::Connected { .. }) {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), states.recv()).await {
                Ok(Some(ConnectionState::Connected { .. })) => break,
                Ok(Some(_)) => continue,
                other => panic!("never connected: {other:?}"),
            }
        }
    }
    // A brand-new exchange: the first publish fails with 404 (closing its channel),
    // the client declares the exchange, and the call times out for lack of a server.
    let err = t
        .rpc_client(Target::new(unique("topic")).with_exchange(unique("fresh-exchange")))
        .with_timeout(Duration::from_secs(1))
        .call::<_, ()>(&Context::new(), "echo", &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // No state change: the shared connection was never restarted.
    assert!(
        states.try_recv().is_err(),
        "the connection changed state after a channel error"
    );
}

#[actix_rt::test]
async fn a_server_stopped_while_setting_up_never_serves() {
    let t = transport(&unique("robust-stop-early"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method("ping", |_ctx, _a: serde_json::Value| async move {
        Ok::<_, RemoteError>("pong")
    });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.stop().await;
    assert!(matches!(s.ready().await, Err(Error::Shutdown)));
    let err = t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(1))
        .call::<_, String>(&Context::new(), "ping", &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Timeout { .. }),
        "a stopped server answered: {err:?}"
    );
}

#[derive(Deserialize)]
struct Boom {
    boom: bool,
}

#[actix_rt::test]
async fn a_panic_before_the_endpoint_future_is_built_is_answered_and_survived() {
    let t = transport(&unique("robust-sync-panic"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method("maybe", |_ctx, a: Boom| {
        assert!(!a.boom, "synchronous endpoint bug");
        async move { Ok::<_, RemoteError>("fine") }
    });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(5));
    match client
        .call::<_, String>(&Context::new(), "maybe", &json!({"boom": true}))
        .await
    {
        Err(Error::Remote(remote)) => assert_eq!(remote.class, "RuntimeError"),
        other => panic!("expected a remote RuntimeError, got {other:?}"),
    }
    let fine: String = client
        .call(&Context::new(), "maybe", &json!({"boom": false}))
        .await
        .unwrap();
    assert_eq!(fine, "fine");
}

#[actix_rt::test]
async fn a_target_with_names_too_long_for_amqp_is_refused_at_start() {
    let t = transport(&unique("robust-long-name"));
    let long = "t".repeat(300);
    let err = RpcServer::start(
        &t,
        Target::new(long).with_server("s"),
        vec![Endpoint::new()],
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidTarget { .. }), "{err:?}");
}

#[actix_rt::test]
async fn stopping_a_stopped_server_returns_at_once() {
    let t = transport(&unique("stop-twice"));
    let (tx, _rx) = unbounded_channel();
    let s = RpcServer::start(
        &t,
        Target::new(unique("topic")).with_server("s"),
        vec![recording_endpoint("s", tx)],
    )
    .unwrap();
    s.ready().await.unwrap();
    s.stop().await;
    tokio::time::timeout(Duration::from_secs(10), s.stop())
        .await
        .expect("a second stop resolves instead of waiting for a stop that already happened");
    assert!(matches!(s.ready().await, Err(Error::Shutdown)));
}
