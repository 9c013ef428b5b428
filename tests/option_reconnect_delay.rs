//! `host_connection_reconnect_delay`: after a lost connection the transport waits that
//! long before it connects again.

mod common;
mod rig;

use std::time::{Duration, Instant};

use common::unique;
use warren::{ConnectionState, Section};

#[actix_rt::test]
async fn a_lost_connection_is_reopened_after_host_connection_reconnect_delay() {
    let name = unique("reconnect-delay");
    let t = common::transport_with(&name, |b| {
        b.set(Section::Pika, "host_connection_reconnect_delay", "3")
    });
    let (now, mut changes) = rig::states(&t).await;
    rig::connected(now, &mut changes, Duration::from_secs(20)).await;
    let lost = Instant::now();
    assert_eq!(
        common::close_connections_named(&name),
        1,
        "the broker closed it"
    );
    let backing_off = loop {
        let state = tokio::time::timeout(Duration::from_secs(20), changes.recv())
            .await
            .expect("the loss is noticed")
            .expect("the connection actor is alive");
        if matches!(state, ConnectionState::BackingOff { .. }) {
            break state;
        }
    };
    rig::connected(backing_off, &mut changes, Duration::from_secs(30)).await;
    let took = lost.elapsed();
    assert!(
        took >= Duration::from_secs(3),
        "reconnected after {took:?}, before the 3 s delay"
    );
    t.close().await;
}
