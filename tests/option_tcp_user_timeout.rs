//! `tcp_user_timeout` bounds a write to a peer that stopped reading: through a proxy
//! that stalls (a hung broker process: its kernel acknowledges until the receive buffer
//! is full, then advertises a zero window), notifications fill the socket, and the
//! kernel drops the connection once the data has waited `tcp_user_timeout`. Heartbeats
//! are off (`heartbeat_interval = 0`) and notifications have no deadline, so nothing
//! else could end the connection: without the option it would wait forever. Once the
//! proxy forwards again, every notification is delivered.

mod common;
mod rig;

use std::collections::BTreeSet;
use std::time::Duration;

use common::unique;
use rig::{Mode, Proxy};
use serde_json::json;
use warren::{ConnectionState, Context, Priority, Section};

const SETUP: Duration = Duration::from_secs(30);
/// Enough to fill the client's send buffer and the stalled peer's receive buffer.
const NOTIFICATIONS: usize = 16;
const PAYLOAD_BYTES: usize = 1 << 20;

#[actix_rt::test]
async fn a_write_to_a_stalled_peer_ends_the_connection_after_tcp_user_timeout() {
    common::require_broker();
    let proxy = Proxy::start(([127, 0, 0, 1], 5672).into());
    let sender = common::transport_on(
        &format!("pika://{}/", proxy.host()),
        &unique("user-timeout"),
        |b| {
            b.set(Section::Pika, "heartbeat_interval", "0").set(
                Section::Pika,
                "tcp_user_timeout",
                "1",
            )
        },
    );
    let (now, mut changes) = rig::states(&sender).await;
    rig::connected(now, &mut changes, SETUP).await;
    let topic = unique("user-timeout-n");
    let receiver = common::transport(&unique("user-timeout-receiver"));
    let (listener, mut payloads) =
        common::payload_listener(&receiver, &topic, Priority::Info).await;
    // The notification queue exists, and the publisher channels are opened now: the
    // sends through the stalled proxy need nothing from the broker before writing.
    let warm_ups: Vec<_> = (0..NOTIFICATIONS)
        .map(|i| {
            let notifier = sender
                .notifier("user-timeout")
                .with_topics([topic.as_str()]);
            actix_rt::spawn(async move {
                notifier
                    .info(&Context::new(), "user.timeout", &json!({ "warm": i }))
                    .await
            })
        })
        .collect();
    for warm_up in warm_ups {
        warm_up
            .await
            .expect("the send task ran")
            .expect("a notification before the stall");
    }
    common::receive(
        &mut payloads,
        NOTIFICATIONS,
        SETUP,
        "the warm-up notifications",
    )
    .await;

    proxy.set(Mode::Stall);
    let sends: Vec<_> = (0..NOTIFICATIONS)
        .map(|i| {
            let notifier = sender
                .notifier("user-timeout")
                .with_topics([topic.as_str()]);
            let payload = json!({ "i": i, "fill": "x".repeat(PAYLOAD_BYTES) });
            actix_rt::spawn(async move {
                notifier
                    .info(&Context::new(), "user.timeout", &payload)
                    .await
            })
        })
        .collect();
    let reason = loop {
        let state = tokio::time::timeout(SETUP, changes.recv())
            .await
            .expect("the stalled connection was dropped")
            .expect("the connection actor is alive");
        if let ConnectionState::BackingOff { reason } = state {
            break reason;
        }
    };
    assert!(
        reason.to_lowercase().contains("timed out"),
        "the kernel's TCP_USER_TIMEOUT (ETIMEDOUT) ended it: {reason}"
    );

    proxy.set(Mode::Forward);
    for send in sends {
        send.await
            .expect("the send task ran")
            .expect("the notification was sent once the peer read again");
    }
    let mut seen = BTreeSet::new();
    while seen.len() < NOTIFICATIONS {
        let got = common::receive(&mut payloads, 1, SETUP, "the notifications").await;
        seen.insert(got[0]["i"].as_u64().expect("an index"));
    }
    listener.stop().await;
    sender.close().await;
    receiver.close().await;
}
