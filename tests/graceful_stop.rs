//! Graceful stops with a bound (`stop_within`), as a service runs them on SIGTERM: the
//! server or listener stops consuming, finishes what is in progress, and says what it
//! abandoned when the time runs out.

mod common;

use std::time::Duration;

use common::{Echo, transport, unique};
use futures_util::FutureExt;
use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::watch;
use warren::{
    Context, Endpoint, Error, ListenerOptions, NotificationEndpoint, NotificationListener,
    NotificationResult, Priority, RemoteError, Target,
};

const WAIT: Duration = Duration::from_secs(20);

/// An endpoint whose `hold` reports each request it starts, then waits for the gate to
/// open before it answers with its argument.
fn holding_endpoint(gate: watch::Receiver<bool>) -> (Endpoint, UnboundedReceiver<()>) {
    let (entered, rx) = unbounded_channel();
    let endpoint = Endpoint::new().method("hold", move |_ctx, args: Echo| {
        let _ = entered.send(());
        let mut gate = gate.clone();
        async move {
            let _ = gate.wait_for(|open| *open).await;
            Ok::<_, RemoteError>(args.value)
        }
    });
    (endpoint, rx)
}

/// A server on a topic of its own whose `hold` requests wait for the gate, and a
/// client with a long timeout.
struct Held {
    t: warren::Transport,
    server: warren::RpcServer,
    client: warren::RpcClient,
    open: watch::Sender<bool>,
    entered: UnboundedReceiver<()>,
}

impl Held {
    async fn start(name: &str) -> Self {
        let t = transport(&unique(name));
        let topic = unique("topic");
        let (open, gate) = watch::channel(false);
        let (endpoint, entered) = holding_endpoint(gate);
        let server = common::serving(&t, &topic, endpoint).await;
        let client = t
            .rpc_client(Target::new(&topic))
            .with_timeout(Duration::from_secs(60));
        Held {
            t,
            server,
            client,
            open,
            entered,
        }
    }

    /// A `hold` call of `value`, in the background.
    fn call(&self, value: i64) -> tokio::task::JoinHandle<Result<i64, Error>> {
        let client = self.client.clone();
        actix::spawn(async move {
            client
                .call::<_, i64>(
                    &Context::new(),
                    "hold",
                    &Echo {
                        value: json!(value),
                    },
                )
                .await
        })
    }
}

/// Polls `stop` once (it is then in the actor's mailbox, ahead of the `in_flight`
/// question), checks that it still waits once the actor has answered that `expected`
/// handlers are in progress, opens their gate and checks that it then finishes.
async fn drains_once_open(
    stop: impl Future<Output = Result<(), Error>>,
    in_flight: impl Future<Output = usize>,
    expected: usize,
    open: &watch::Sender<bool>,
) {
    tokio::pin!(stop);
    assert!(
        (&mut stop).now_or_never().is_none(),
        "stopped with handlers in progress"
    );
    assert_eq!(in_flight.await, expected);
    // The stop has been handled by now (the question came after it): still waiting.
    assert!(
        (&mut stop).now_or_never().is_none(),
        "stopped with handlers in progress"
    );
    open.send_replace(true);
    tokio::time::timeout(WAIT, stop)
        .await
        .expect("the stop finished once the handlers did")
        .expect("the handlers finished within the limit");
}

#[actix_rt::test]
async fn stop_within_answers_the_calls_in_progress_before_it_returns() {
    let mut held = Held::start("drain-calls").await;
    let calls: Vec<_> = (0..3).map(|i| held.call(i)).collect();
    common::receive(&mut held.entered, 3, WAIT, "requests started").await;

    let server = &held.server;
    let stop = server.stop_within(Duration::from_secs(60));
    let in_flight = async { server.counts().await.in_flight };
    drains_once_open(stop, in_flight, 3, &held.open).await;
    for (i, call) in calls.into_iter().enumerate() {
        let answer = call.await.expect("the call task ran");
        assert_eq!(answer.expect("the call in progress was answered"), i as i64);
    }
    assert_eq!(server.counts().await.in_flight, 0);
    held.t.close().await;
}

#[actix_rt::test]
async fn stop_within_says_how_many_requests_are_left_when_time_runs_out() {
    let mut held = Held::start("drain-late").await;
    let call = held.call(7);
    common::receive(&mut held.entered, 1, WAIT, "request started").await;

    match held.server.stop_within(Duration::from_millis(100)).await {
        Err(Error::DrainTimedOut {
            what,
            in_flight,
            after,
        }) => {
            assert_eq!((what, in_flight), ("RPC requests", 1));
            assert_eq!(after, Duration::from_millis(100));
        }
        other => panic!("expected DrainTimedOut, got {other:?}"),
    }
    // Until the transport closes, the handler goes on and its caller is answered.
    held.open.send_replace(true);
    let answer = call.await.expect("the call task ran");
    assert_eq!(answer.expect("answered after the timed-out stop"), 7);
    held.t.close().await;
}

/// A listener on `topic` whose info handler reports each payload, then waits for the
/// gate before it acknowledges.
fn holding_listener(
    t: &warren::Transport,
    topic: &str,
    gate: watch::Receiver<bool>,
) -> (NotificationListener, UnboundedReceiver<serde_json::Value>) {
    let (entered, rx) = unbounded_channel();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |n| {
        let _ = entered.send(n.payload);
        let mut gate = gate.clone();
        async move {
            let _ = gate.wait_for(|open| *open).await;
            NotificationResult::Handled
        }
    });
    let listener = NotificationListener::start(
        t,
        &[Target::new(topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .expect("start the listener");
    (listener, rx)
}

async fn notify_once(t: &warren::Transport, topic: &str, payload: serde_json::Value) {
    t.notifier("drain-test")
        .with_topics([topic])
        .info(&Context::new(), "drain.test", &payload)
        .await
        .expect("the notification was confirmed");
}

#[actix_rt::test]
async fn a_listener_drained_in_time_acknowledges_what_it_was_handling() {
    let t = transport(&unique("drain-listener"));
    let topic = unique("topic");
    let (open, gate) = watch::channel(false);
    let (listener, mut entered) = holding_listener(&t, &topic, gate);
    listener.ready().await.expect("the listener consumes");
    notify_once(&t, &topic, json!("in progress")).await;
    common::receive(&mut entered, 1, WAIT, "notification handled").await;

    let stop = listener.stop_within(Duration::from_secs(60));
    let in_flight = async { listener.counts().await.in_flight };
    drains_once_open(stop, in_flight, 1, &open).await;
    if !common::in_memory() {
        common::wait_until_empty(&format!("{topic}.info"), WAIT).await;
    }
    t.close().await;
}

#[actix_rt::test]
async fn a_notification_abandoned_by_a_timed_out_stop_goes_to_the_next_listener() {
    let first = transport(&unique("drain-abandon"));
    let topic = unique("topic");
    let (_open, gate) = watch::channel(false);
    let (listener, mut entered) = holding_listener(&first, &topic, gate);
    listener.ready().await.expect("the listener consumes");
    notify_once(&first, &topic, json!("abandoned")).await;
    common::receive(&mut entered, 1, WAIT, "notification handled").await;

    match listener.stop_within(Duration::from_millis(100)).await {
        Err(Error::DrainTimedOut {
            what, in_flight, ..
        }) => assert_eq!((what, in_flight), ("notification handlers", 1)),
        other => panic!("expected DrainTimedOut, got {other:?}"),
    }
    // Abandon it: never acknowledged, so the broker hands it to the next listener.
    first.close().await;
    let second = transport(&unique("drain-next"));
    let (_next, mut payloads) = common::payload_listener(&second, &topic, Priority::Info).await;
    let again = common::receive(&mut payloads, 1, WAIT, "abandoned notification").await;
    assert_eq!(again, vec![json!("abandoned")]);
    second.close().await;
}
