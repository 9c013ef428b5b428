//! RPC between warren and the real Python Pika driver (oslo.messaging 5.36), both
//! directions, both serializers, on the shared broker.

mod common;
mod otel_export;
#[path = "interop/peer.rs"]
mod peer;

use std::collections::HashMap;
use std::time::Duration;

use common::{receive, transport_with, unique};
use peer::Peer;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use warren::{Context, Endpoint, Error, RemoteError, RpcServer, Serializer, Target, Transport};

const WAIT: Duration = Duration::from_secs(15);
const SERIALIZERS: [Serializer; 2] = [Serializer::Json, Serializer::Msgpack];

/// Values of every JSON type, including a non-ASCII string and nesting.
fn result_values() -> Vec<Value> {
    vec![
        json!(42),
        json!(-7.25),
        json!("héllo wörld ☃ 日本"),
        json!([1, "two", null, 3.5]),
        json!({"a": {"b": [1, {"c": "d"}]}, "e": true}),
        json!(null),
    ]
}

/// A warren transport whose messages carry `traceparent` headers (the spans are
/// exported): Python peers must work with them present.
fn warren_transport(what: &str, serializer: Serializer) -> Transport {
    otel_export::install();
    transport_with(&unique(what), |b| b.default_serializer_type(serializer))
}

#[derive(Deserialize)]
struct Value1 {
    value: Value,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

/// What the warren test endpoint saw: (server, method, context).
type Seen = (String, String, Context);

/// The warren side of the mirrored tests: echo, context, fail_value, fail_custom.
fn warren_endpoint(server: &str, seen: UnboundedSender<Seen>) -> Endpoint {
    let (s1, s2) = (seen.clone(), seen);
    let (n1, n2) = (server.to_owned(), server.to_owned());
    Endpoint::new()
        .method("echo", move |ctx: Context, a: Value1| {
            let _ = s1.send((n1.clone(), "echo".to_owned(), ctx));
            async move { Ok::<_, RemoteError>(a.value) }
        })
        .method("context", move |ctx: Context, _: HashMap<String, Value>| {
            let _ = s2.send((n2.clone(), "context".to_owned(), ctx.clone()));
            async move { Ok::<_, RemoteError>(Value::Object(ctx.into_map())) }
        })
        .method("fail_value", |_ctx, m: Message| async move {
            Err::<Value, _>(RemoteError::value_error(m.message))
        })
        .method("fail_custom", |_ctx, m: Message| async move {
            Err::<Value, _>(RemoteError::new(
                "InteropFailure",
                "warren_interop",
                m.message,
            ))
        })
}

/// A warren server `w1` on `topic` with [`warren_endpoint`], consuming.
async fn warren_server(t: &Transport, topic: &str, seen: UnboundedSender<Seen>) -> RpcServer {
    let server = RpcServer::start(
        t,
        Target::new(topic).with_server("w1"),
        vec![warren_endpoint("w1", seen)],
    )
    .unwrap();
    server.ready().await.unwrap();
    server
}

async fn python_client(topic: &str, serializer: Serializer) -> Peer {
    Peer::start(
        "rpc_client.py",
        &["--topic", topic, "--serializer", serializer.name()],
    )
    .await
}

async fn python_server(topic: &str, server: &str, serializer: Serializer) -> Peer {
    Peer::start(
        "rpc_server.py",
        &[
            "--topic",
            topic,
            "--server",
            server,
            "--serializer",
            serializer.name(),
        ],
    )
    .await
}

#[actix_rt::test]
async fn python_calls_reach_a_warren_server_with_every_result_type_and_the_context() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-py-call", serializer);
        let topic = unique("py-call");
        let (tx, mut rx) = unbounded_channel();
        let server = warren_server(&t, &topic, tx).await;
        let mut client = python_client(&topic, serializer).await;
        for value in result_values() {
            let answer = client
                .request(
                    json!({"op": "call", "method": "echo", "args": {"value": value}}),
                    WAIT,
                )
                .await;
            assert_eq!(answer, json!({"result": value}), "{serializer:?}");
        }
        let answer = client
            .request(
                json!({"op": "call", "method": "context", "context": {"user": "u1", "roles": ["admin"], "n": 3}}),
                WAIT,
            )
            .await;
        assert_eq!(
            answer["result"],
            json!({"user": "u1", "roles": ["admin"], "n": 3}),
            "{serializer:?}"
        );
        let seen = receive(&mut rx, result_values().len() + 1, WAIT, "endpoint reports").await;
        let (_, method, ctx) = seen.last().unwrap();
        assert_eq!(method, "context");
        assert_eq!(ctx.get("user"), Some(&json!("u1")));
        server.stop().await;
        t.close().await;
    }
}

#[actix_rt::test]
async fn warren_endpoint_errors_arrive_in_python_as_the_right_exceptions() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-py-errors", serializer);
        let topic = unique("py-errors");
        let (tx, _rx) = unbounded_channel();
        let server = warren_server(&t, &topic, tx).await;
        let mut client = python_client(&topic, serializer).await;

        let e = client
            .request(
                json!({"op": "call", "method": "fail_value", "args": {"message": "bad value"}}),
                WAIT,
            )
            .await;
        assert_eq!(
            e["error"]["class"],
            json!("ValueError"),
            "{serializer:?}: {e}"
        );
        assert_eq!(e["error"]["value_error"], json!(true), "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with("bad value"),
            "{e}"
        );

        let e = client
            .request(
                json!({"op": "call", "method": "fail_custom", "args": {"message": "custom"}}),
                WAIT,
            )
            .await;
        assert_eq!(e["error"]["class"], json!("RemoteError"), "{e}");
        assert_eq!(e["error"]["exc_type"], json!("InteropFailure"), "{e}");
        assert_eq!(e["error"]["value"], json!("custom"), "{e}");

        let e = client
            .request(json!({"op": "call", "method": "no_such_method"}), WAIT)
            .await;
        assert_eq!(e["error"]["exc_type"], json!("NoSuchMethod"), "{e}");

        for mismatch in [json!({"version": "2.0"}), json!({"namespace": "elsewhere"})] {
            let mut cmd = json!({"op": "call", "method": "echo", "args": {"value": 1}});
            cmd.as_object_mut()
                .unwrap()
                .extend(mismatch.as_object().unwrap().clone());
            let e = client.request(cmd, WAIT).await;
            assert_eq!(e["error"]["exc_type"], json!("UnsupportedVersion"), "{e}");
        }
        server.stop().await;
        t.close().await;
    }
}

#[actix_rt::test]
async fn python_casts_reach_a_warren_server() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-py-cast", serializer);
        let topic = unique("py-cast");
        let (tx, mut rx) = unbounded_channel();
        let server = warren_server(&t, &topic, tx).await;
        let mut client = python_client(&topic, serializer).await;
        let answer = client
            .request(
                json!({"op": "cast", "method": "echo", "args": {"value": "cast"}, "context": {"k": "v"}}),
                WAIT,
            )
            .await;
        assert_eq!(answer, json!({"result": null}));
        let seen = receive(&mut rx, 1, WAIT, "the cast").await;
        assert_eq!(seen[0].1, "echo");
        assert_eq!(seen[0].2.get("k"), Some(&json!("v")));
        server.stop().await;
        t.close().await;
    }
}

#[actix_rt::test]
async fn warren_calls_reach_a_python_server_with_every_result_type_and_the_context() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-w-call", serializer);
        let topic = unique("w-call");
        let mut server = python_server(&topic, "p1", serializer).await;
        let client = t.rpc_client(Target::new(&topic));
        for value in result_values() {
            let got: Value = client
                .call(&Context::new(), "echo", &json!({"value": value}))
                .await
                .unwrap();
            assert_eq!(got, value, "{serializer:?}");
        }
        let ctx = Context::new()
            .with("user", "u1")
            .with("roles", json!(["admin"]));
        let got: Value = client.call(&ctx, "context", &json!({})).await.unwrap();
        assert_eq!(got, json!({"user": "u1", "roles": ["admin"]}));
        let calls = server.events("call", result_values().len() + 1, WAIT).await;
        assert_eq!(calls.last().unwrap()["context"]["user"], json!("u1"));
        t.close().await;
    }
}

#[actix_rt::test]
async fn python_errors_arrive_in_warren_as_remote_errors() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-w-errors", serializer);
        let topic = unique("w-errors");
        let _server = python_server(&topic, "p1", serializer).await;
        let client = t.rpc_client(Target::new(&topic));
        let remote = |r: Result<Value, Error>| match r {
            Err(Error::Remote(e)) => e,
            other => panic!("expected a remote error, got {other:?}"),
        };

        let e = remote(
            client
                .call(
                    &Context::new(),
                    "fail_value",
                    &json!({"message": "bad value"}),
                )
                .await,
        );
        assert_eq!(
            (e.class.as_str(), e.module.as_str()),
            ("ValueError", "builtins")
        );
        assert_eq!(e.message, "bad value");
        assert!(e.is_builtin());
        assert!(
            e.traceback
                .iter()
                .any(|l| l.contains("raise ValueError(message)")),
            "{:?}",
            e.traceback
        );

        let e = remote(
            client
                .call(
                    &Context::new(),
                    "fail_custom",
                    &json!({"message": "custom"}),
                )
                .await,
        );
        assert_eq!(e.class, "InteropFailure");
        assert!(!e.is_builtin());

        let e = remote(
            client
                .call(&Context::new(), "no_such_method", &json!({}))
                .await,
        );
        assert_eq!(e.class, "NoSuchMethod");

        for c in [
            client.with_version("2.0"),
            client.with_namespace("elsewhere"),
        ] {
            let e = remote(c.call(&Context::new(), "echo", &json!({"value": 1})).await);
            assert_eq!(e.class, "UnsupportedVersion", "{e:?}");
        }
        t.close().await;
    }
}

#[actix_rt::test]
async fn warren_casts_reach_a_python_server() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-w-cast", serializer);
        let topic = unique("w-cast");
        let mut server = python_server(&topic, "p1", serializer).await;
        t.rpc_client(Target::new(&topic))
            .cast(
                &Context::new().with("k", "v"),
                "echo",
                &json!({"value": "cast"}),
            )
            .await
            .unwrap();
        let call = server.expect_event("call", WAIT).await;
        assert_eq!(call["args"], json!({"value": "cast"}));
        assert_eq!(call["context"], json!({"k": "v"}));
        t.close().await;
    }
}

#[actix_rt::test]
async fn fanout_reaches_every_python_and_warren_server_of_a_mixed_group() {
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-fanout", serializer);
        let topic = unique("fanout");
        let (tx, mut rx) = unbounded_channel();
        let warren_server = warren_server(&t, &topic, tx).await;
        let mut py_server = python_server(&topic, "p1", serializer).await;
        let mut py_client = python_client(&topic, serializer).await;

        // From Python ...
        let answer = py_client
            .request(
                json!({"op": "cast", "fanout": true, "method": "echo", "args": {"value": "from python"}}),
                WAIT,
            )
            .await;
        assert_eq!(answer, json!({"result": null}));
        // ... and from warren.
        t.rpc_client(Target::new(&topic))
            .fanout_cast(&Context::new(), "echo", &json!({"value": "from warren"}))
            .await
            .unwrap();

        let py_calls = py_server.events("call", 2, WAIT).await;
        let mut py_values: Vec<Value> = py_calls
            .iter()
            .map(|c| c["args"]["value"].clone())
            .collect();
        py_values.sort_by_key(|v| v.to_string());
        assert_eq!(py_values, vec![json!("from python"), json!("from warren")]);
        let warren_calls = receive(&mut rx, 2, WAIT, "fanout casts at the warren server").await;
        assert!(
            warren_calls
                .iter()
                .all(|(s, m, _)| s == "w1" && m == "echo")
        );
        warren_server.stop().await;
        t.close().await;
    }
}

#[actix_rt::test]
async fn topic_calls_are_spread_over_a_python_and_a_warren_server() {
    const CALLS: usize = 40;
    for serializer in SERIALIZERS {
        let t = warren_transport("interop-spread", serializer);
        let topic = unique("spread");
        let (tx, mut rx) = unbounded_channel();
        let warren_server = warren_server(&t, &topic, tx).await;
        let mut py_server = python_server(&topic, "p1", serializer).await;

        let client = t.rpc_client(Target::new(&topic));
        let calls = (0..CALLS).map(|i| {
            let client = client.clone();
            async move {
                client
                    .call::<_, Value>(&Context::new(), "echo", &json!({"value": i}))
                    .await
            }
        });
        let results = futures_util::future::join_all(calls).await;
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r.unwrap(), json!(i), "{serializer:?}");
        }
        // Every call was answered by exactly one of the two servers.
        let mut at_warren = 0;
        while rx.try_recv().is_ok() {
            at_warren += 1;
        }
        let at_python = CALLS - at_warren;
        assert!(
            at_warren > 0 && at_python > 0,
            "{serializer:?}: warren served {at_warren}, python {at_python}"
        );
        py_server.events("call", at_python, WAIT).await;
        warren_server.stop().await;
        t.close().await;
    }
}

/// A Python and a warren server with the same topic and server name declare the same
/// queues with identical arguments: whichever starts first, the other declares without
/// `PRECONDITION_FAILED`, and both consume the shared queues.
#[actix_rt::test]
async fn rpc_declarations_agree_in_either_start_order() {
    const CALLS: usize = 30;
    for python_first in [true, false] {
        let t = warren_transport("interop-rpc-order", Serializer::Json);
        let topic = unique("rpc-order");
        let (tx, mut rx) = unbounded_channel();
        let start_warren = || {
            RpcServer::start(
                &t,
                Target::new(&topic).with_server("same"),
                vec![warren_endpoint("same", tx.clone())],
            )
            .unwrap()
        };
        let (_python, warren) = if python_first {
            let p = python_server(&topic, "same", Serializer::Json).await;
            let w = start_warren();
            w.ready().await.unwrap();
            (p, w)
        } else {
            let w = start_warren();
            w.ready().await.unwrap();
            (python_server(&topic, "same", Serializer::Json).await, w)
        };
        let client = t.rpc_client(Target::new(&topic).with_server("same"));
        for i in 0..CALLS {
            let got: Value = client
                .call(&Context::new(), "echo", &json!({"value": i}))
                .await
                .unwrap_or_else(|e| panic!("python_first={python_first}: {e}"));
            assert_eq!(got, json!(i));
        }
        let mut at_warren = 0;
        while rx.try_recv().is_ok() {
            at_warren += 1;
        }
        assert!(
            at_warren > 0 && at_warren < CALLS,
            "python_first={python_first}: both consume, warren served {at_warren} of {CALLS}"
        );
        warren.stop().await;
        t.close().await;
    }
}
