//! With no broker reachable, callers get a typed error that says why, naming the host
//! and never the password, within their own time limit.

mod common;

use std::time::Duration;

use serde_json::json;
use warren::{Config, Context, Error, Retry, Section, Target, Transport};

const PASSWORD: &str = "s3cret-Pw_never-shown";

/// A transport whose only host refuses connections (nothing listens on port 1).
fn unreachable_transport() -> Transport {
    transport_to(1)
}

/// A transport whose only host is `127.0.0.1:port`.
fn transport_to(port: u16) -> Transport {
    let config = Config::builder()
        .transport_url(
            format!("pika://warren:{PASSWORD}@127.0.0.1:{port}/")
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
    assert!(text.contains("127.0.0.1:"), "names the host: {text}");
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

/// Stands in for a TCP load balancer whose brokers are all down: it accepts every
/// connection and drops it at once with a reset, as RabbitMQ's TLS listener drops a
/// plain AMQP header. Returns its port.
fn resetting_balancer() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    });
    port
}

#[actix_rt::test]
async fn a_balancer_that_drops_connections_is_waited_for_not_taken_for_a_tls_port() {
    let t = transport_to(resetting_balancer());
    let started = std::time::Instant::now();
    let err = t
        .rpc_client(Target::new("nowhere"))
        .with_timeout(Duration::from_secs(2))
        .call::<_, serde_json::Value>(&Context::new(), "echo", &json!({}))
        .await
        .unwrap_err();
    // The brokers behind it may come back: the call waits for its timeout.
    assert!(started.elapsed() >= Duration::from_secs(2), "{err}");
    assert_explains_the_outage(&err);
}

#[actix_rt::test]
async fn ready_gives_up_within_its_bound_naming_the_host_and_the_cause() {
    let t = unreachable_transport();
    let err = t.ready(Duration::from_secs(5)).await.unwrap_err();
    assert_explains_the_outage(&err);
    assert!(
        err.to_string().contains("Connection refused"),
        "says what failed: {err}"
    );
    t.close().await;
}

#[actix_rt::test]
async fn ready_returns_once_connected() {
    common::require_broker();
    let config = Config::builder()
        .transport_url(common::broker_url().parse().unwrap())
        .build()
        .unwrap();
    let t = Transport::new(config).unwrap();
    t.ready(Duration::from_secs(10)).await.unwrap();
    t.close().await;
    assert!(
        matches!(t.ready(Duration::from_secs(1)).await, Err(Error::Shutdown)),
        "a closed transport is never ready"
    );
}
