//! Scenario: a queue deleted under a consumer (the broker sends `basic.cancel`) is
//! noticed: the RPC server or the listener declares and consumes again. Each test
//! reports the time from the delete to service resumed.

mod common;

use std::time::Duration;

use common::{raw_channel, receive, transport, unique};
use serde_json::json;
use tokio::sync::mpsc::unbounded_channel;
use warren::{
    Context, Endpoint, ListenerOptions, NotificationEndpoint, NotificationListener,
    NotificationResult, Priority, RemoteError, RpcServer, Target,
};

const WAIT: Duration = Duration::from_secs(15);

/// Delete `name` as an operator would, through a connection of its own; returns when
/// the broker confirmed the delete (and had cancelled its consumers).
async fn delete_queue(name: String) -> std::time::Instant {
    let (conn, channel) = raw_channel(&unique("cancel-deleter")).await;
    channel
        .queue_delete(name.as_str().into(), Default::default())
        .await
        .expect("queue.delete");
    let deleted = std::time::Instant::now();
    let _ = conn.close(200, "done".into()).await;
    deleted
}

#[actix_rt::test]
async fn an_rpc_server_whose_queue_is_deleted_serves_again() {
    let t = transport(&unique("cancel-rpc"));
    let topic = unique("topic");
    let endpoint = Endpoint::new().method("ping", |_ctx, _a: serde_json::Value| async move {
        Ok::<_, RemoteError>("pong")
    });
    let s = RpcServer::start(&t, Target::new(&topic).with_server("s"), vec![endpoint]).unwrap();
    s.ready().await.unwrap();
    let client = t.rpc_client(Target::new(&topic)).with_timeout(WAIT);
    let _: String = client
        .call(&Context::new(), "ping", &json!({}))
        .await
        .unwrap();

    let deleted = delete_queue(format!("with_ack.{topic}")).await;
    // The call is retried (unroutable) until the server has declared its queues again.
    let pong: String = client
        .call(&Context::new(), "ping", &json!({}))
        .await
        .unwrap();
    println!(
        "FIGURE scenario=6 queue deleted under an RPC server: a call made right after the \
         delete answered {:.2?} after it",
        deleted.elapsed()
    );
    assert_eq!(pong, "pong");
    s.stop().await;
}

#[actix_rt::test]
async fn a_listener_whose_queue_is_deleted_listens_again() {
    let t = transport(&unique("cancel-listener"));
    let topic = unique("topic");
    let (tx, mut rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |n| {
        let _ = tx.send(n.event_type);
        async { NotificationResult::Handled }
    });
    let pool = unique("pool");
    let l = NotificationListener::start(
        &t,
        &[Target::new(&topic)],
        vec![endpoint],
        ListenerOptions::default().pool(&pool),
    )
    .unwrap();
    l.ready().await.unwrap();
    let notifier = t.notifier("cancel-test").with_topics([topic.as_str()]);
    notifier
        .info(&Context::new(), "before", &json!({}))
        .await
        .unwrap();
    assert_eq!(
        receive(&mut rx, 1, WAIT, "before the delete").await,
        vec!["before"]
    );

    let deleted = delete_queue(pool.clone()).await;
    // Until the listener is back, the notifier's store-and-forward queue
    // `<topic>.info` takes notifications; wait for the listener's restart to be seen.
    let deadline = tokio::time::Instant::now() + WAIT;
    while l.counts().await.restarts == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener never noticed the cancel"
        );
        tokio::task::yield_now().await;
    }
    l.ready().await.unwrap();
    notifier
        .info(&Context::new(), "after", &json!({}))
        .await
        .unwrap();
    assert_eq!(
        receive(&mut rx, 1, WAIT, "after the re-declare").await,
        vec!["after"]
    );
    println!(
        "FIGURE scenario=6 queue deleted under a listener: consuming again and a \
         notification received {:.2?} after the delete",
        deleted.elapsed()
    );
    l.stop().await;
}
