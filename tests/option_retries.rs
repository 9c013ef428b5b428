//! The retry options: how many publish attempts a cast and a notification make, and
//! the pause between them, seen in when a hopeless send gives up.

mod common;

use std::time::{Duration, Instant};

use common::unique;
use serde_json::json;
use warren::{Context, Error, Section, Target, Transport};

/// A transport on the test broker with `options` set.
fn transport(name: &str, options: &[(Section, &str, &str)]) -> Transport {
    common::transport_with(name, |mut b| {
        for (section, option, value) in options {
            b = b.set(*section, option, *value);
        }
        b
    })
}

/// Cast to a topic no server listens on; the error and how long it took.
async fn cast_to_nobody(t: &Transport) -> (Error, Duration) {
    let started = Instant::now();
    let err = t
        .rpc_client(Target::new(unique("nobody")))
        .cast(&Context::new(), "echo", &json!({}))
        .await
        .expect_err("nobody serves the topic");
    (err, started.elapsed())
}

#[actix_rt::test]
async fn a_cast_makes_default_rpc_retry_attempts_attempts_rpc_retry_delay_apart() {
    // rpc_response_timeout stays 60 s: the attempts, not the deadline, end these casts.
    let delay = Duration::from_secs(2);
    let attempting = |attempts: &str| {
        transport(
            &unique("retry-cast"),
            &[
                (Section::Pika, "default_rpc_retry_attempts", attempts),
                (Section::Pika, "rpc_retry_delay", "2"),
            ],
        )
    };
    let one = attempting("1");
    let (err, took) = cast_to_nobody(&one).await;
    assert!(matches!(err, Error::Undeliverable { .. }), "{err:?}");
    assert!(took < delay, "one attempt, no pause: {took:?}");

    let three = attempting("3");
    let (err, took) = cast_to_nobody(&three).await;
    assert!(matches!(err, Error::Undeliverable { .. }), "{err:?}");
    assert!(
        took >= 2 * delay && took < Duration::from_secs(30),
        "three attempts, two pauses of 2 s, long before the 60 s deadline: {took:?}"
    );
    one.close().await;
    three.close().await;
}

#[actix_rt::test]
async fn a_notification_makes_retry_attempts_notification_retry_delay_apart() {
    // The notification bus is a port where nothing listens: each attempt waits
    // pool_timeout (1 s) for a channel. With the default retry (-1) it would wait for
    // ever; with retry = 2 it gives up after two attempts and one pause.
    let t = transport(
        &unique("notify-retry"),
        &[
            (
                Section::Notifications,
                "transport_url",
                "pika://guest:guest@127.0.0.1:1/",
            ),
            (Section::Notifications, "retry", "2"),
            (Section::Pika, "notification_retry_delay", "3"),
            (Section::Pika, "pool_timeout", "1"),
        ],
    );
    let started = Instant::now();
    let err = t
        .notifier("warren-tests")
        .with_topics([unique("notify-retry").as_str()])
        .info(&Context::new(), "retry.test", &json!({}))
        .await
        .expect_err("no broker on the notification bus");
    let took = started.elapsed();
    assert!(
        matches!(err, Error::ConnectionUnavailable { .. }),
        "{err:?}"
    );
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "two attempts, one pause of 3 s: {took:?}"
    );
    t.close().await;
}
