//! Remote exceptions mapped to the caller's own error type through a
//! [`RemoteErrorRegistry`], against the real broker.

mod common;

use common::{transport, unique};
use serde::Deserialize;
use serde_json::json;
use warren::{Context, Endpoint, Error, RemoteError, RemoteErrorRegistry, RpcServer, Target};

/// The caller's own errors for the nova exceptions it knows.
#[derive(Debug, PartialEq)]
enum NovaError {
    InstanceNotFound { message: String },
    Invalid,
}

fn nova_errors() -> RemoteErrorRegistry<NovaError> {
    RemoteErrorRegistry::new()
        .register("nova.exception", "InstanceNotFound", |e| {
            NovaError::InstanceNotFound {
                message: e.message.clone(),
            }
        })
        .register("nova.exception", "Invalid", |_| NovaError::Invalid)
}

#[derive(Deserialize)]
struct Raise {
    class: String,
    message: String,
}

/// A started server on `topic` whose `raise` raises `nova.exception.<class>`.
async fn raising_server(t: &warren::Transport, topic: &str) -> RpcServer {
    let endpoint = Endpoint::new().method("raise", |_ctx, args: Raise| async move {
        Err::<(), _>(RemoteError::new(args.class, "nova.exception", args.message))
    });
    common::serving(t, topic, endpoint).await
}

/// The error of a call to a server that raises `nova.exception.<class>(message)`.
async fn error_raised(name: &str, class: &str, message: &str) -> Error {
    let t = transport(&unique(name));
    let topic = unique("topic");
    let server = raising_server(&t, &topic).await;
    let err = t
        .rpc_client(Target::new(&topic))
        .call::<_, ()>(
            &Context::new(),
            "raise",
            &json!({"class": class, "message": message}),
        )
        .await
        .expect_err("the endpoint raises");
    server.stop().await;
    err
}

#[actix_rt::test]
async fn a_registered_remote_class_maps_to_the_callers_type() {
    let err = error_raised(
        "remote-registered",
        "InstanceNotFound",
        "Instance 42 could not be found.",
    )
    .await;
    assert_eq!(
        err.remote_as(&nova_errors()),
        Some(NovaError::InstanceNotFound {
            message: "Instance 42 could not be found.".into()
        })
    );
    // The generic form stays available alongside.
    let remote = err.remote().expect("a remote error");
    assert_eq!(
        (remote.module.as_str(), remote.class.as_str()),
        ("nova.exception", "InstanceNotFound")
    );
}

#[actix_rt::test]
async fn an_unregistered_remote_class_stays_generic() {
    let err = error_raised(
        "remote-unregistered",
        "FlavorNotFound",
        "Flavor 7 could not be found.",
    )
    .await;
    assert_eq!(err.remote_as(&nova_errors()), None);
    match err {
        Error::Remote(remote) => {
            assert_eq!(remote.class, "FlavorNotFound");
            assert_eq!(remote.module, "nova.exception");
            assert_eq!(remote.message, "Flavor 7 could not be found.");
        }
        other => panic!("expected a generic remote error, got {other:?}"),
    }
}
