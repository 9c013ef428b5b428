//! The client's version cap against the real broker: requests above the cap fail
//! before they are sent, requests within it are served.

mod common;

use std::time::Duration;

use common::{Echo, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use warren::{Context, Endpoint, Error, RemoteError, RpcServer, Target, Version};

const WAIT: Duration = Duration::from_secs(10);

fn version(v: &str) -> Version {
    v.parse().expect("a literal version")
}

/// A started server on `topic` whose endpoint implements 1.5 and reports each echo.
async fn server_at_1_5(
    t: &warren::Transport,
    topic: &str,
) -> (RpcServer, UnboundedReceiver<serde_json::Value>) {
    let (tx, rx) = unbounded_channel();
    let endpoint = Endpoint::new()
        .with_version("1.5")
        .method("echo", move |_ctx, args: Echo| {
            let _ = tx.send(args.value.clone());
            async move { Ok::<_, RemoteError>(args.value) }
        });
    let s = common::serving(t, topic, endpoint).await;
    (s, rx)
}

#[actix_rt::test]
async fn a_call_above_the_cap_fails_before_it_is_sent() {
    let t = transport(&unique("cap-call"));
    let topic = unique("topic");
    let (server, mut seen) = server_at_1_5(&t, &topic).await;
    let client = t
        .rpc_client(Target::new(&topic))
        .with_version_cap(version("1.2"));
    let refused = client
        .with_version("1.3")
        .call::<_, i64>(&Context::new(), "echo", &Echo { value: json!(1) })
        .await;
    match refused {
        Err(Error::VersionCap(e)) => {
            assert_eq!(e.version.as_deref(), Some("1.3"));
            assert_eq!(e.version_cap, version("1.2"));
            assert!(
                e.to_string()
                    .starts_with("Requested message version, 1.3 is incompatible.")
            );
        }
        other => panic!("expected a version cap error, got {other:?}"),
    }
    // The server would have served 1.3; it sees only the request within the cap.
    let allowed: i64 = client
        .with_version("1.2")
        .call(&Context::new(), "echo", &Echo { value: json!(2) })
        .await
        .unwrap();
    assert_eq!(allowed, 2);
    let first = tokio::time::timeout(WAIT, seen.recv()).await.unwrap();
    assert_eq!(first, Some(json!(2)));
    assert!(
        seen.try_recv().is_err(),
        "the refused call reached the server"
    );
    assert_eq!(server.counts().await.received, 1);
    server.stop().await;
}

#[actix_rt::test]
async fn casts_and_fanout_casts_above_the_cap_fail_before_they_are_sent() {
    let t = transport(&unique("cap-cast"));
    // No server listens: a cast that was sent would wait out `rpc_response_timeout`
    // and fail as undeliverable, so a version cap error proves nothing was published.
    let client = t
        .rpc_client(Target::new(unique("topic")))
        .with_version_cap(version("2.0"))
        .with_version("2.1");
    let ctx = Context::new();
    let args = Echo { value: json!(1) };
    let cast = tokio::time::timeout(WAIT, client.cast(&ctx, "echo", &args)).await;
    assert!(matches!(cast, Ok(Err(Error::VersionCap(_)))), "{cast:?}");
    let fanout = tokio::time::timeout(WAIT, client.fanout_cast(&ctx, "echo", &args)).await;
    assert!(
        matches!(fanout, Ok(Err(Error::VersionCap(_)))),
        "{fanout:?}"
    );
}

#[actix_rt::test]
async fn a_target_without_a_version_is_refused_under_a_cap() {
    let t = transport(&unique("cap-none"));
    let topic = unique("topic");
    let (server, _seen) = server_at_1_5(&t, &topic).await;
    let capped = t
        .rpc_client(Target::new(&topic))
        .with_version_cap(version("1.5"));
    match capped
        .call::<_, i64>(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
    {
        Err(Error::VersionCap(e)) => {
            assert_eq!(e.version, None);
            assert!(e.to_string().contains("version, None is incompatible"));
        }
        other => panic!("expected a version cap error, got {other:?}"),
    }
    // Without a cap the same request is served (the endpoint takes 1.0 by default).
    let served: i64 = t
        .rpc_client(Target::new(&topic))
        .call(&Context::new(), "echo", &Echo { value: json!(1) })
        .await
        .unwrap();
    assert_eq!(served, 1);
    server.stop().await;
}

#[actix_rt::test]
async fn can_send_version_follows_the_cap() {
    let t = transport(&unique("cap-can-send"));
    let client = t.rpc_client(Target::new(unique("topic")));
    assert!(client.can_send_version("9.9"), "no cap: anything goes");
    assert_eq!(client.version_cap(), None);
    let capped = client.with_version_cap(version("5.1"));
    assert_eq!(
        capped.version_cap().map(|c| c.version()),
        Some(version("5.1"))
    );
    assert!(capped.can_send_version("5.0"));
    assert!(capped.can_send_version("5.1"));
    assert!(!capped.can_send_version("5.2"));
    assert!(!capped.can_send_version("4.0"));
    assert!(!capped.can_send_version("6.0"));
    assert!(!capped.can_send_version("not-a-version"));
    // prepare()-style overrides keep the cap.
    assert!(!capped.with_timeout(WAIT).can_send_version("5.2"));
}
