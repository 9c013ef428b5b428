//! The simplest notification round trip (oslo's `NotifyTestCase.test_simple`).

mod common;

use std::time::Duration;

use common::{receive, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{
    Context, ListenerOptions, NotificationEndpoint, NotificationListener, NotificationResult,
    Priority, Target,
};

#[actix_rt::test]
async fn a_notification_reaches_the_listener() {
    let t = transport(&unique("notify-simple"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |n| {
        let _ = tx.send(n);
        async { NotificationResult::Handled }
    });
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .unwrap();
    l.ready().await.unwrap();
    t.notifier("abc")
        .with_topics([topic.as_str()])
        .info(
            &Context::new().with("user", "u1"),
            "test",
            &json!("Hello World!"),
        )
        .await
        .unwrap();
    let got = receive(&mut rx, 1, Duration::from_secs(10), "the notification").await;
    let n = &got[0];
    assert_eq!(
        (n.priority, n.event_type.as_str(), n.publisher_id.as_str()),
        (Priority::Info, "test", "abc")
    );
    assert_eq!(n.payload, json!("Hello World!"));
    assert_eq!(n.context.get("user"), Some(&json!("u1")));
    assert_eq!(n.message_id.len(), 36);
    l.stop().await;
}
