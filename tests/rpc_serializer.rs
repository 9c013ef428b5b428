//! Entity serializers (oslo's `Serializer`) on both ends of a call, against the real
//! broker: what the endpoint sees and what the caller gets.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Echo, transport, unique};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use warren::{
    Context, Endpoint, EntityError, EntitySerializer, Error, RemoteError, RpcServer, Target,
};

const WAIT: Duration = Duration::from_secs(10);

/// Sends every entity as `{"wrapped": v}` and reads only that form back; marks each
/// context it sends or receives with its side, and keeps `auth_token` from leaving.
#[derive(Debug)]
struct Wrapping {
    side: &'static str,
}

impl EntitySerializer for Wrapping {
    fn serialize_entity(&self, _ctx: &Context, entity: Value) -> Result<Value, EntityError> {
        Ok(json!({ "wrapped": entity }))
    }

    fn deserialize_entity(&self, _ctx: &Context, mut entity: Value) -> Result<Value, EntityError> {
        entity
            .get_mut("wrapped")
            .map(Value::take)
            .ok_or_else(|| EntityError::new(format!("{} got an unwrapped entity", self.side)))
    }

    fn serialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
        let mut sent: Context = ctx
            .into_map()
            .into_iter()
            .filter(|(k, _)| k != "auth_token")
            .collect();
        sent.insert(format!("{}_sent", self.side), true);
        Ok(sent)
    }

    fn deserialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
        Ok(ctx.with(format!("{}_received", self.side), true))
    }
}

/// Refuses every argument it is asked to send.
#[derive(Debug)]
struct RefuseArguments;

impl EntitySerializer for RefuseArguments {
    fn serialize_entity(&self, _ctx: &Context, _entity: Value) -> Result<Value, EntityError> {
        Err(EntityError::new("this value cannot be sent"))
    }
}

type Seen = (Context, Value);

/// A started server on `topic` whose `double` reports the context and argument it
/// sees, with `serializer` on its endpoint when given.
async fn doubling_server(
    t: &warren::Transport,
    topic: &str,
    serializer: Option<Arc<dyn EntitySerializer>>,
) -> (RpcServer, UnboundedReceiver<Seen>) {
    let (tx, rx) = unbounded_channel();
    let mut endpoint = Endpoint::new();
    if let Some(serializer) = serializer {
        endpoint = endpoint.with_serializer(serializer);
    }
    let endpoint = endpoint.method("double", move |ctx: Context, args: Echo| {
        let _ = tx.send((ctx, args.value.clone()));
        async move {
            Ok::<_, RemoteError>(match args.value.as_i64() {
                Some(n) => json!(n * 2),
                None => args.value,
            })
        }
    });
    let s = common::serving(t, topic, endpoint).await;
    (s, rx)
}

#[actix_rt::test]
async fn serializers_on_both_ends_transform_arguments_results_and_contexts() {
    let t = transport(&unique("ser-both"));
    let topic = unique("topic");
    let (server, mut seen) =
        doubling_server(&t, &topic, Some(Arc::new(Wrapping { side: "server" }))).await;
    let client = t
        .rpc_client(Target::new(&topic))
        .with_serializer(Arc::new(Wrapping { side: "client" }));
    let ctx = Context::new()
        .with("user_id", "u1")
        .with("auth_token", "not for the wire");
    let doubled: i64 = client
        .call(&ctx, "double", &Echo { value: json!(21) })
        .await
        .unwrap();
    // Wrapped by the server, unwrapped by the client.
    assert_eq!(doubled, 42);
    let (seen_ctx, seen_arg) = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    // Wrapped by the client, unwrapped by the server.
    assert_eq!(seen_arg, json!(21));
    assert_eq!(
        seen_ctx,
        Context::new()
            .with("user_id", "u1")
            .with("client_sent", true)
            .with("server_received", true)
    );
    // Casts go through the same hooks.
    client
        .cast(&ctx, "double", &Echo { value: json!(5) })
        .await
        .unwrap();
    let (cast_ctx, cast_arg) = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cast_arg, json!(5));
    assert_eq!(cast_ctx.get("client_sent"), Some(&json!(true)));
    server.stop().await;
}

#[actix_rt::test]
async fn a_client_serializer_alone_changes_what_is_sent_and_what_is_returned() {
    let t = transport(&unique("ser-client"));
    let topic = unique("topic");
    let (server, mut seen) = doubling_server(&t, &topic, None).await;
    let client = t
        .rpc_client(Target::new(&topic))
        .with_serializer(Arc::new(Wrapping { side: "client" }));
    // The endpoint echoes the wrapped argument it gets; the client unwraps it.
    let back: Value = client
        .call(&Context::new(), "double", &Echo { value: json!("x") })
        .await
        .unwrap();
    assert_eq!(back, json!("x"));
    let (seen_ctx, seen_arg) = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen_arg, json!({"wrapped": "x"}));
    assert_eq!(seen_ctx, Context::new().with("client_sent", true));
    server.stop().await;
}

#[actix_rt::test]
async fn a_server_serializer_refusing_a_request_is_a_remote_value_error() {
    let t = transport(&unique("ser-server"));
    let topic = unique("topic");
    let (server, mut seen) =
        doubling_server(&t, &topic, Some(Arc::new(Wrapping { side: "server" }))).await;
    let plain = t.rpc_client(Target::new(&topic));
    match plain
        .call::<_, Value>(&Context::new(), "double", &Echo { value: json!(1) })
        .await
    {
        Err(Error::Remote(remote)) => {
            assert_eq!(remote.class, "ValueError");
            assert!(
                remote.message.contains("server got an unwrapped entity"),
                "{remote:?}"
            );
        }
        other => panic!("expected a remote ValueError, got {other:?}"),
    }
    assert!(seen.try_recv().is_err(), "the method must not have run");
    server.stop().await;
}

#[actix_rt::test]
async fn a_client_serializer_refusing_an_argument_sends_nothing() {
    let t = transport(&unique("ser-refuse"));
    let topic = unique("topic");
    let (server, _seen) = doubling_server(&t, &topic, None).await;
    let client = t
        .rpc_client(Target::new(&topic))
        .with_serializer(Arc::new(RefuseArguments));
    match client
        .call::<_, Value>(&Context::new(), "double", &Echo { value: json!(1) })
        .await
    {
        Err(Error::EntitySerializer {
            method,
            what,
            reason,
        }) => {
            assert_eq!(method, "double");
            assert_eq!(what, "arguments");
            assert_eq!(reason, "this value cannot be sent");
        }
        other => panic!("expected an entity serializer error, got {other:?}"),
    }
    // A request sent after it is the first the server receives.
    let plain: i64 = t
        .rpc_client(Target::new(&topic))
        .call(&Context::new(), "double", &Echo { value: json!(2) })
        .await
        .unwrap();
    assert_eq!(plain, 4);
    assert_eq!(server.counts().await.received, 1);
    server.stop().await;
}
