//! RPC across a broker-side failure: the connection is force-closed
//! (`rabbitmqctl close_connection`) while a call is in progress.

mod common;

use std::time::Duration;

use common::{close_connections_named, transport, unique};
use serde::Deserialize;
use serde_json::json;
use warren::{Context, Endpoint, Error, RemoteError, RpcServer, Target};

#[derive(Deserialize)]
struct Sleep {
    seconds: f64,
}

#[actix_rt::test]
async fn a_call_pending_when_its_connection_is_closed_fails_at_once_and_the_next_succeeds() {
    let client_name = unique("fault-client");
    let server_t = transport(&unique("fault-server"));
    let client_t = transport(&client_name);
    let topic = unique("topic");
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = Endpoint::new().method("sleep", move |_ctx, args: Sleep| {
        let _ = started_tx.send(args.seconds);
        async move {
            tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
            Ok::<_, RemoteError>("slept")
        }
    });
    let s = RpcServer::start(
        &server_t,
        Target::new(&topic).with_server("s"),
        vec![endpoint],
    )
    .unwrap();
    s.ready().await.unwrap();
    let client = client_t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(10));
    // Warm up: the reply queue exists and the connection is named.
    let _: String = client
        .call(&Context::new(), "sleep", &json!({"seconds": 0.0}))
        .await
        .unwrap();
    common::receive(&mut started_rx, 1, Duration::from_secs(5), "warm-up call").await;

    let started = std::time::Instant::now();
    let ctx = Context::new();
    // The server replies after 5 s; the connection is closed well before that.
    let five_seconds = json!({"seconds": 5.0});
    let call = client.call::<_, String>(&ctx, "sleep", &five_seconds);
    let close = async {
        // Close while the server is handling the call.
        common::receive(
            &mut started_rx,
            1,
            Duration::from_secs(10),
            "the call to start",
        )
        .await;
        let closed = tokio::task::spawn_blocking(move || close_connections_named(&client_name))
            .await
            .unwrap();
        assert_eq!(
            closed, 1,
            "the client connection must have been found and closed"
        );
    };
    let (result, ()) = futures_util::join!(call, close);
    // Not its 10 s timeout, nor the reply: the call learns of the loss at once.
    assert!(
        matches!(result, Err(Error::ConnectionLost { .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );

    // The next call goes through the reconnected transport.
    let after: String = client
        .call(&Context::new(), "sleep", &json!({"seconds": 0.0}))
        .await
        .unwrap();
    assert_eq!(after, "slept");
}

#[actix_rt::test]
async fn a_server_recovers_after_its_connection_is_force_closed() {
    let server_name = unique("fault-srv-conn");
    let server_t = transport(&server_name);
    let client_t = transport(&unique("fault-srv-client"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method("ping", |_ctx, _args: serde_json::Value| async move {
        Ok::<_, RemoteError>("pong")
    });
    let s = RpcServer::start(
        &server_t,
        Target::new(&topic).with_server("s"),
        vec![endpoint],
    )
    .unwrap();
    s.ready().await.unwrap();
    let client = client_t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(10));
    let _: String = client
        .call(&Context::new(), "ping", &json!({}))
        .await
        .unwrap();
    let closed = tokio::task::spawn_blocking(move || close_connections_named(&server_name))
        .await
        .unwrap();
    assert_eq!(closed, 1);
    // Calls sent while the server reconnects are retried until its queues are back.
    let pong: String = client
        .call(&Context::new(), "ping", &json!({}))
        .await
        .unwrap();
    assert_eq!(pong, "pong");
}

#[actix_rt::test]
async fn a_graceful_stop_finishes_the_request_in_flight() {
    let t = transport(&unique("stop-graceful"));
    let topic = unique("topic");
    let (started_tx, mut started_rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = Endpoint::new().method("sleep", move |_ctx, args: Sleep| {
        let _ = started_tx.send(());
        async move {
            tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
            Ok::<_, RemoteError>("done")
        }
    });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(10));
    let ctx = Context::new();
    let args = json!({"seconds": 0.5});
    let call = client.call::<_, String>(&ctx, "sleep", &args);
    let stop = async {
        common::receive(
            &mut started_rx,
            1,
            Duration::from_secs(10),
            "the call to start",
        )
        .await;
        s.stop().await;
    };
    let (result, ()) = futures_util::join!(call, stop);
    assert_eq!(
        result.unwrap(),
        "done",
        "the request in flight must be answered"
    );
    // Stopped: it no longer consumes, so a new call finds no server.
    let err = client
        .with_timeout(Duration::from_secs(1))
        .call::<_, String>(&ctx, "sleep", &json!({"seconds": 0.0}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}
