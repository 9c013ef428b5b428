//! With no broker reachable, callers get a typed error that says why, naming the host
//! and never the password, within their own time limit.

use std::time::Duration;

use serde_json::json;
use warren::{Config, Context, Error, Retry, Section, Target, Transport};

const PASSWORD: &str = "s3cret-Pw_never-shown";

/// A transport whose only host refuses connections (nothing listens on port 1).
fn unreachable_transport() -> Transport {
    let config = Config::builder()
        .transport_url(
            format!("pika://warren:{PASSWORD}@127.0.0.1:1/")
                .parse()
                .unwrap(),
        )
        .set(Section::Pika, "pool_timeout", "1")
        .build()
        .unwrap();
    Transport::builder(config)
        .connection_name("warren-test-unreachable")
        .start()
        .unwrap()
}

fn assert_explains_the_outage(e: &Error) {
    let text = e.to_string();
    assert!(
        matches!(e, Error::ConnectionUnavailable { .. }),
        "expected ConnectionUnavailable, got {e:?}"
    );
    assert!(text.contains("127.0.0.1:1"), "names the host: {text}");
    assert!(!text.contains(PASSWORD), "never the password: {text}");
    assert!(
        !format!("{e:?}").contains(PASSWORD),
        "not in Debug either: {e:?}"
    );
}

#[actix_rt::test]
async fn a_call_says_the_broker_is_unreachable_and_why() {
    let t = unreachable_transport();
    let err = t
        .rpc_client(Target::new("nowhere"))
        .with_timeout(Duration::from_secs(2))
        .call::<_, serde_json::Value>(&Context::new(), "echo", &json!({}))
        .await
        .unwrap_err();
    assert_explains_the_outage(&err);
    assert!(err.to_string().contains("reply queue"), "{err}");
}

#[actix_rt::test]
async fn a_cast_says_the_broker_is_unreachable_and_why() {
    let t = unreachable_transport();
    let err = t
        .rpc_client(Target::new("nowhere"))
        .with_retry(Retry::NoRetrier)
        .cast(&Context::new(), "echo", &json!({}))
        .await
        .unwrap_err();
    assert_explains_the_outage(&err);
}

#[actix_rt::test]
async fn a_bounded_notification_says_the_broker_is_unreachable_and_why() {
    let t = unreachable_transport();
    let err = t
        .notifier("p")
        .with_topics(["nowhere"])
        .with_retry(Retry::NoRetrier)
        .info(&Context::new(), "e", &json!({}))
        .await
        .unwrap_err();
    assert_explains_the_outage(&err);
}
