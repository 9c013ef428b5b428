//! A buffered notifier (`Notifier::buffered`) during a broker outage: through a proxy
//! that black-holes the sender's connection, notifications are accepted at once, held
//! in the transport's buffer up to `notification_buffer_size`, and sent once the
//! connection is back (`flush` waits for it); a full buffer drops the oldest queued
//! ones and counts them, or with `notification_buffer_overflow = wait` makes the
//! caller wait for room.

mod common;
mod rig;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use common::unique;
use rig::{Mode, Proxy};
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;
use warren::{
    BufferOverflow, ConfigBuilder, ConnectionState, Context, NotificationBufferCounts,
    NotificationListener, Notifier, Priority, Transport,
};

const WAIT: Duration = Duration::from_secs(30);

/// A sender behind a proxy, a listener on the broker itself, and a buffered notifier
/// whose channel is already open (one notification sent and flushed).
struct Outage {
    proxy: Arc<Proxy>,
    sender: Transport,
    states: UnboundedReceiver<ConnectionState>,
    notifier: Notifier,
    receiver: Transport,
    listener: NotificationListener,
    payloads: UnboundedReceiver<Value>,
}

impl Outage {
    async fn start(configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Self {
        common::require_broker();
        let proxy = Proxy::start(([127, 0, 0, 1], 5672).into());
        let sender = common::transport_on(
            &format!("pika://{}/", proxy.host()),
            &unique("buffer-sender"),
            configure,
        );
        let (now, mut states) = rig::states(&sender).await;
        rig::connected(now, &mut states, WAIT).await;
        let topic = unique("buffer-n");
        let receiver = common::transport(&unique("buffer-receiver"));
        let (listener, mut payloads) =
            common::payload_listener(&receiver, &topic, Priority::Info).await;
        let notifier = sender
            .notifier("buffer")
            .with_topics([topic.as_str()])
            .buffered();
        notifier
            .info(&Context::new(), "warm", &json!({ "warm": true }))
            .await
            .expect("buffered");
        tokio::time::timeout(WAIT, notifier.flush())
            .await
            .expect("the warm-up notification was sent");
        common::receive(&mut payloads, 1, WAIT, "the warm-up notification").await;
        proxy.set(Mode::BlackHole);
        Outage {
            proxy,
            sender,
            states,
            notifier,
            receiver,
            listener,
            payloads,
        }
    }

    async fn notify(&self, i: usize) {
        self.notifier
            .info(&Context::new(), "buffered", &json!({ "i": i }))
            .await
            .expect("accepted by the buffer during the outage");
    }

    /// Once the sender has noticed the cut (missed heartbeats), heal it — bytes lost
    /// mid-frame would otherwise leave the old connection unusable yet alive — and
    /// wait until the buffer is drained; returns its counts.
    async fn heal(&mut self) -> NotificationBufferCounts {
        loop {
            let state = tokio::time::timeout(WAIT, self.states.recv())
                .await
                .expect("missed heartbeats reveal the cut")
                .expect("the connection actor is alive");
            if !matches!(state, ConnectionState::Connected { .. }) {
                break;
            }
        }
        self.proxy.set(Mode::Forward);
        tokio::time::timeout(WAIT, self.notifier.flush())
            .await
            .expect("the buffer drained once the broker was back");
        self.notifier.buffer_counts().await
    }

    /// The indexes of the next `n` distinct notifications the listener receives.
    async fn received(&mut self, n: usize) -> BTreeSet<u64> {
        let mut seen = BTreeSet::new();
        while seen.len() < n {
            let got = common::receive(&mut self.payloads, 1, WAIT, "the notifications").await;
            seen.insert(got[0]["i"].as_u64().expect("an index"));
        }
        seen
    }

    async fn close(self) {
        self.listener.stop().await;
        self.sender.close().await;
        self.receiver.close().await;
    }
}

#[actix_rt::test]
async fn buffered_notifications_are_accepted_during_an_outage_and_all_sent_after() {
    let mut outage = Outage::start(|b| b).await;
    for i in 0..200 {
        outage.notify(i).await;
    }
    // Nothing can be confirmed through the cut: all 200 are held.
    assert_eq!(outage.notifier.buffer_counts().await.buffered, 200);
    let counts = outage.heal().await;
    assert_eq!(
        counts,
        NotificationBufferCounts {
            buffered: 0,
            sent: 201,
            dropped: 0,
            failed: 0
        }
    );
    assert_eq!(outage.received(200).await, (0..200).collect());
    outage.close().await;
}

#[actix_rt::test]
async fn a_full_buffer_drops_the_oldest_queued_notifications_and_counts_them() {
    // 64 are handed to the notifier at once (the publish window), stuck in the cut;
    // 6 more fit in the queue.
    let mut outage = Outage::start(|b| b.notification_buffer_size(70)).await;
    for i in 0..100 {
        outage.notify(i).await;
    }
    let counts = outage.notifier.buffer_counts().await;
    assert_eq!((counts.buffered, counts.dropped), (70, 30));
    let counts = outage.heal().await;
    assert_eq!((counts.sent, counts.dropped, counts.failed), (71, 30, 0));
    // The 64 being sent when the buffer filled, and the newest 6.
    let expected: BTreeSet<u64> = (0..64).chain(94..100).collect();
    assert_eq!(outage.received(70).await, expected);
    outage.close().await;
}

#[actix_rt::test]
async fn a_full_waiting_buffer_makes_the_caller_wait_for_room() {
    let mut outage = Outage::start(|b| {
        b.notification_buffer_size(2)
            .notification_buffer_overflow(BufferOverflow::Wait)
    })
    .await;
    outage.notify(0).await;
    outage.notify(1).await;
    let third = {
        let notifier = outage.notifier.clone();
        actix_rt::spawn(async move {
            notifier
                .info(&Context::new(), "buffered", &json!({ "i": 2 }))
                .await
        })
    };
    // Once the buffer counts the third one, it is waiting for room, not accepted.
    while outage.notifier.buffer_counts().await.buffered < 3 {
        tokio::task::yield_now().await;
    }
    assert!(!third.is_finished(), "accepted into a full buffer");
    // The flush waits for what was accepted before it (not the waiting third one,
    // which may or may not be sent by then).
    let counts = outage.heal().await;
    assert!(counts.sent >= 3 && counts.dropped == 0, "{counts:?}");
    third
        .await
        .expect("the caller's task ran")
        .expect("accepted once there was room");
    tokio::time::timeout(WAIT, outage.notifier.flush())
        .await
        .expect("the third one was sent");
    let counts = outage.notifier.buffer_counts().await;
    assert_eq!((counts.sent, counts.dropped, counts.buffered), (4, 0, 0));
    assert_eq!(outage.received(3).await, (0..3).collect());
    outage.close().await;
}
