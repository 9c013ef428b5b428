//! RPC calls against the real broker: oslo's functional `CallTestCase`, on warren.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Echo, receive, recording_endpoint, recording_server, transport, unique};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{Context, Endpoint, Error, RemoteError, Retry, RpcServer, Target};

const WAIT: Duration = Duration::from_secs(10);

#[actix_rt::test]
async fn calls_to_a_specific_server_reach_only_that_server() {
    let t = transport(&unique("call-specific"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let mut servers = Vec::new();
    for name in ["server_1", "server_2"] {
        let s = recording_server(&t, &topic, name, tx.clone()).await;
        servers.push(s);
    }
    let client = t.rpc_client(Target::new(&topic)).with_server("server_1");
    for i in 0..5 {
        let v: serde_json::Value = client
            .call(&Context::new(), "echo", &Echo { value: json!(i) })
            .await
            .unwrap();
        assert_eq!(v, json!(i));
    }
    let seen = receive(&mut rx, 5, WAIT, "echo reports").await;
    assert!(
        seen.iter().all(|(server, _, _)| server == "server_1"),
        "{seen:?}"
    );
    assert!(rx.try_recv().is_err(), "server_2 must not have been called");
    for s in servers {
        s.stop().await;
    }
}

#[actix_rt::test]
async fn calls_to_a_topic_are_spread_over_the_server_group() {
    let t = transport(&unique("call-group"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    for name in ["s1", "s2", "s3"] {
        let _s = recording_server(&t, &topic, name, tx.clone()).await;
    }
    let client = t.rpc_client(Target::new(&topic));
    let calls = (0..30).map(|i| {
        let client = client.clone();
        async move {
            client
                .call::<_, serde_json::Value>(&Context::new(), "echo", &Echo { value: json!(i) })
                .await
        }
    });
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    let seen = receive(&mut rx, 30, WAIT, "echo reports").await;
    let mut per_server: HashMap<String, usize> = HashMap::new();
    for (server, _, _) in seen {
        *per_server.entry(server).or_default() += 1;
    }
    assert_eq!(
        per_server.len(),
        3,
        "every server must get some calls: {per_server:?}"
    );
}

#[actix_rt::test]
async fn servers_on_different_exchanges_are_isolated() {
    let t = transport(&unique("call-exchanges"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let ex_a = unique("exchange-a");
    let ex_b = unique("exchange-b");
    for (name, exchange) in [("default", None), ("a", Some(&ex_a)), ("b", Some(&ex_b))] {
        let mut target = Target::new(&topic).with_server(name);
        target.exchange = exchange.cloned();
        let s = RpcServer::start(&t, target, vec![recording_endpoint(name, tx.clone())]).unwrap();
        s.ready().await.unwrap();
    }
    let client = t.rpc_client(Target::new(&topic));
    for (exchange, expected) in [(None, "default"), (Some(&ex_a), "a"), (Some(&ex_b), "b")] {
        let c = match exchange {
            Some(e) => client.with_exchange(e.clone()),
            None => client.clone(),
        };
        let _: serde_json::Value = c
            .call(
                &Context::new(),
                "echo",
                &Echo {
                    value: json!(expected),
                },
            )
            .await
            .unwrap();
        let seen = receive(&mut rx, 1, WAIT, "echo report").await;
        assert_eq!(seen[0].0, expected);
    }
}

#[actix_rt::test]
async fn a_call_to_a_topic_nobody_serves_times_out() {
    let t = transport(&unique("call-timeout"));
    let client = t
        .rpc_client(Target::new(unique("nobody")))
        .with_timeout(Duration::from_secs(1));
    let started = std::time::Instant::now();
    let err = client
        .call::<_, serde_json::Value>(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[derive(Deserialize)]
struct Fail {
    message: String,
}

#[actix_rt::test]
async fn an_endpoint_error_comes_back_as_a_remote_value_error() {
    let t = transport(&unique("call-remote-error"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method("fail", |_ctx, args: Fail| async move {
        Err::<(), _>(RemoteError::value_error(args.message))
    });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let err = t
        .rpc_client(Target::new(&topic))
        .call::<_, ()>(&Context::new(), "fail", &json!({"message": "bad value"}))
        .await
        .unwrap_err();
    match err {
        Error::Remote(remote) => {
            assert_eq!(remote.class, "ValueError");
            assert_eq!(remote.module, "builtins");
            assert_eq!(remote.message, "bad value");
            assert!(remote.is_builtin());
        }
        other => panic!("expected a remote ValueError, got {other:?}"),
    }
}

#[derive(Deserialize)]
struct Sleep {
    seconds: f64,
}

#[actix_rt::test]
async fn a_slow_call_times_out_while_concurrent_short_calls_succeed() {
    let t = transport(&unique("call-slow"));
    let topic = unique("topic");
    let endpoint = Endpoint::new()
        .method("sleep", |_ctx, args: Sleep| async move {
            tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
            Ok::<_, RemoteError>(())
        })
        .method("echo", |_ctx, args: Echo| async move {
            Ok::<_, RemoteError>(args.value)
        });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t.rpc_client(Target::new(&topic));
    let slow_client = client.with_timeout(Duration::from_secs(2));
    let ctx = Context::new();
    let sleep_args = json!({"seconds": 4.0});
    let slow = slow_client.call::<_, ()>(&ctx, "sleep", &sleep_args);
    let short = futures_util::future::join_all((0..10).map(|i| {
        let client = client.clone();
        async move {
            client
                .call::<_, i64>(&Context::new(), "echo", &json!({"value": i}))
                .await
        }
    }));
    let (slow, short) = futures_util::join!(slow, short);
    assert!(matches!(slow, Err(Error::Timeout { .. })), "{slow:?}");
    for (i, r) in short.into_iter().enumerate() {
        assert_eq!(r.unwrap(), i as i64);
    }
}

#[actix_rt::test]
async fn endpoints_are_selected_by_namespace_and_version() {
    let t = transport(&unique("call-version"));
    let topic = unique("topic");
    let endpoint = Endpoint::new()
        .with_namespace("Name1")
        .with_version("7.5")
        .method("echo", |_ctx, args: Echo| async move {
            Ok::<_, RemoteError>(args.value)
        });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t
        .rpc_client(Target::new(&topic))
        .with_timeout(Duration::from_secs(5));
    let ok: i64 = client
        .with_namespace("Name1")
        .with_version("7.5")
        .call(&Context::new(), "echo", &json!({"value": 7}))
        .await
        .unwrap();
    assert_eq!(ok, 7);
    for c in [
        client.with_namespace("Name1").with_version("7.6"),
        client.with_namespace("Name2").with_version("7.5"),
    ] {
        match c
            .call::<_, i64>(&Context::new(), "echo", &json!({"value": 7}))
            .await
        {
            Err(Error::Remote(remote)) => assert_eq!(remote.class, "UnsupportedVersion"),
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
    }
    match client
        .with_namespace("Name1")
        .with_version("7.5")
        .call::<_, i64>(&Context::new(), "missing", &json!({}))
        .await
    {
        Err(Error::Remote(remote)) => assert_eq!(remote.class, "NoSuchMethod"),
        other => panic!("expected NoSuchMethod, got {other:?}"),
    }
}

#[actix_rt::test]
async fn the_request_context_reaches_the_endpoint() {
    let t = transport(&unique("call-context"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method(
        "whoami",
        |ctx: Context, _args: serde_json::Value| async move {
            Ok::<_, RemoteError>(ctx.get("user_id").cloned())
        },
    );
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let ctx = Context::new().with("user_id", "u1");
    let who: Option<String> = t
        .rpc_client(Target::new(&topic))
        .call(&ctx, "whoami", &json!({}))
        .await
        .unwrap();
    assert_eq!(who.as_deref(), Some("u1"));
}

#[actix_rt::test]
async fn msgpack_and_json_both_round_trip() {
    for serializer in ["json", "msgpack"] {
        let t = common::transport_with(&unique("call-serializer"), |b| {
            b.set(warren::Section::Pika, "default_serializer_type", serializer)
        });
        let topic = unique("topic");
        let (tx, _rx) = unbounded_channel();
        let _s = recording_server(&t, &topic, "s", tx).await;
        let value = json!({"nested": [1, 2.5, "three", null, true], "unicode": "héllo"});
        let back: serde_json::Value = t
            .rpc_client(Target::new(&topic))
            .call(
                &Context::new(),
                "echo",
                &Echo {
                    value: value.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(back, value, "serializer {serializer}");
    }
}

#[actix_rt::test]
async fn calls_without_a_retrier_use_the_no_ack_queues() {
    let t = transport(&unique("call-no-ack"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let _s = recording_server(&t, &topic, "s", tx).await;
    let v: i64 = t
        .rpc_client(Target::new(&topic))
        .with_retry(Retry::NoRetrier)
        .call(&Context::new(), "echo", &json!({"value": 5}))
        .await
        .unwrap();
    assert_eq!(v, 5);
    receive(&mut rx, 1, WAIT, "echo report").await;
}

#[actix_rt::test]
async fn a_panicking_endpoint_answers_with_a_remote_error_and_the_server_goes_on() {
    let t = transport(&unique("call-panic"));
    let topic = unique("topic");
    let endpoint = Endpoint::new()
        .method("explode", |_ctx, _args: serde_json::Value| async move {
            if true {
                panic!("endpoint bug");
            }
            Ok::<_, RemoteError>(())
        })
        .method("echo", |_ctx, args: Echo| async move {
            Ok::<_, RemoteError>(args.value)
        });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t.rpc_client(Target::new(&topic));
    match client
        .call::<_, ()>(&Context::new(), "explode", &json!({}))
        .await
    {
        Err(Error::Remote(remote)) => assert_eq!(remote.class, "RuntimeError"),
        other => panic!("expected a remote RuntimeError, got {other:?}"),
    }
    let v: i64 = client
        .call(&Context::new(), "echo", &json!({"value": 1}))
        .await
        .unwrap();
    assert_eq!(v, 1);
    s.stop().await;
}

/// `RpcServer::start_in` with the transport's own arbiter: the server serves calls from
/// there, and its `stop` still drains.
#[actix_rt::test]
async fn a_server_started_in_the_transports_arbiter_serves_calls() {
    let service = transport(&unique("start-in-service"));
    let caller = transport(&unique("start-in-caller"));
    let topic = unique("start-in");
    let (seen_tx, mut seen) = unbounded_channel();
    let server = RpcServer::start_in(
        &service,
        &service.arbiter(),
        Target::new(&topic).with_server("s1"),
        vec![recording_endpoint("s1", seen_tx)],
    )
    .expect("start the server in the transport's arbiter");
    server.ready().await.expect("the server consumes");
    let client = caller.rpc_client(Target::new(&topic));
    let echoed: serde_json::Value = client
        .call(&Context::new(), "echo", &Echo { value: json!(7) })
        .await
        .expect("the call is served");
    assert_eq!(echoed, json!(7));
    let ran = receive(&mut seen, 1, Duration::from_secs(10), "echo ran").await;
    assert_eq!(ran[0].0, "s1");
    server.stop().await;
    caller.close().await;
    service.close().await;
}
