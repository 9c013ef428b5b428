//! Notification throughput: warren against the same pattern written directly on lapin,
//! on the same broker in the same run.
//!
//! Run with `cargo bench -p warren --bench notify` (RabbitMQ on 127.0.0.1:5672). Set
//! `WARREN_BENCH_CALLS` to change the number of notifications per row (default 2000).
//! Rows: confirmed publishes (nobody consuming) one at a time and 10 in flight,
//! persistent publishes 10 in flight, and end to end — the same publishes while a
//! listener consumes, timed until the listener has all.

mod lapin_baseline;
#[path = "../common/measure.rs"]
mod measure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use warren::{
    Config, Context, ListenerOptions, NotificationEndpoint, NotificationListener,
    NotificationResult, Notifier, Priority, Target, Transport,
};

use lapin_baseline::{LapinNotify, Received};
use measure::{Row, measure, print_table};

const URL: &str = "pika://guest:guest@127.0.0.1:5672/";
const AMQP_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// Notifications sent before measuring, on each side and row.
const WARM_UP: usize = 200;
const IN_FLIGHT: usize = 10;
/// The publish-only rows: label and notifications in flight.
const PUBLISH_ROWS: [(&str, usize); 2] = [
    ("publish, sequential", 1),
    ("publish, 10 in flight", IN_FLIGHT),
];
const PERSISTENT_ROW: &str = "persistent, 10 in flight";
const END_TO_END_ROW: &str = "end to end, 10 in flight";
/// How long a listener may take to get the last notification.
const DRAIN: Duration = Duration::from_secs(60);

/// What both sides are given: names unique to this run, and the row size.
struct Run {
    pid: u32,
    total: usize,
    payload: String,
    rt: tokio::runtime::Handle,
}

impl Run {
    /// The exchange of the transient rows, or of the persistent one.
    fn exchange(&self, persistent: bool) -> String {
        let kind = if persistent { "durable" } else { "transient" };
        format!("bench-notify-{kind}-{}", self.pid)
    }

    fn topic(&self, side: &str, row: &str) -> String {
        format!("bench-{side}-{row}-{}", self.pid)
    }
}

/// Run `publish` `total` times with `IN_FLIGHT` at a time while a listener counts into
/// `received`; the rate is `total` over the time until the listener has them all.
async fn end_to_end<F, Fut>(name: &str, total: usize, received: &Received, publish: F) -> Row
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    received.expect(total);
    let started = Instant::now();
    let mut row = measure(name, total, IN_FLIGHT, publish).await;
    if tokio::time::timeout(DRAIN, received.reached())
        .await
        .is_err()
    {
        row.errors += 1;
    }
    row.rate = total as f64 / started.elapsed().as_secs_f64();
    row
}

/// One publish in flight, true when it was confirmed. Boxed on both sides alike.
type Publish = std::pin::Pin<Box<dyn Future<Output = bool>>>;

/// A publish of one baseline notification, as `measure` wants it.
fn lapin_op(l: &Arc<LapinNotify>, p: &str) -> impl Fn(usize) -> Publish + use<> {
    let (l, p) = (l.clone(), p.to_owned());
    move |_| {
        let (l, p) = (l.clone(), p.clone());
        Box::pin(async move { l.publish(&p).await.is_ok() })
    }
}

/// A publish of one warren notification, as `measure` wants it.
fn warren_op(n: &Notifier, body: &serde_json::Value) -> impl Fn(usize) -> Publish + use<> {
    let (n, b) = (n.clone(), body.clone());
    let ctx = Context::new().with("request_id", "req-bench");
    move |_| {
        let (n, b, c) = (n.clone(), b.clone(), ctx.clone());
        Box::pin(async move { n.info(&c, "bench.event", &b).await.is_ok() })
    }
}

/// A baseline notifier and listener on this run's topic for `row`.
async fn start_lapin(run: &Run, row: &str, persistent: bool) -> lapin::Result<LapinNotify> {
    let (exchange, topic) = (run.exchange(persistent), run.topic("lapin", row));
    LapinNotify::start(AMQP_URI, run.rt.clone(), &exchange, &topic, persistent).await
}

async fn lapin_rows(run: &Run) -> Vec<Row> {
    let mut rows = Vec::new();
    let publish_only = Arc::new(
        start_lapin(run, "pub", false)
            .await
            .expect("lapin baseline (is RabbitMQ running on 127.0.0.1:5672?)"),
    );
    let op = lapin_op(&publish_only, &run.payload);
    measure("warm-up", WARM_UP, 1, &op).await;
    for (label, in_flight) in PUBLISH_ROWS {
        rows.push(measure(&format!("lapin {label}"), run.total, in_flight, &op).await);
    }
    let _ = publish_only.delete(publish_only.queue()).await;
    publish_only.close().await;

    let durable = Arc::new(
        start_lapin(run, "durable", true)
            .await
            .expect("lapin baseline"),
    );
    let op = lapin_op(&durable, &run.payload);
    measure("warm-up", WARM_UP, IN_FLIGHT, &op).await;
    rows.push(
        measure(
            &format!("lapin {PERSISTENT_ROW}"),
            run.total,
            IN_FLIGHT,
            &op,
        )
        .await,
    );
    let _ = durable.delete(durable.queue()).await;
    durable.close().await;

    let e2e = Arc::new(
        start_lapin(run, "e2e", false)
            .await
            .expect("lapin baseline"),
    );
    let received = Arc::new(Received::default());
    e2e.listen(received.clone()).await.expect("lapin listener");
    let op = lapin_op(&e2e, &run.payload);
    let warm = end_to_end("warm-up", WARM_UP, &received, &op).await;
    assert_eq!(
        warm.errors, 0,
        "the lapin listener got every warm-up notification"
    );
    rows.push(
        end_to_end(
            &format!("lapin {END_TO_END_ROW}"),
            run.total,
            &received,
            &op,
        )
        .await,
    );
    let _ = e2e.delete(e2e.queue()).await;
    e2e.close().await;
    rows
}

/// A transport as a service would start one, on the run's exchange.
fn transport(run: &Run, name: &str, persistent: bool) -> Transport {
    let config = Config::builder()
        .transport_url(URL.parse().expect("URL"))
        .default_notification_exchange(&run.exchange(persistent))
        .notification_persistence(persistent)
        .build()
        .expect("config");
    Transport::builder(config)
        .connection_name(name)
        .start()
        .expect("transport")
}

async fn warren_rows(run: &Run) -> Vec<Row> {
    let mut rows = Vec::new();
    // Queues the publish-only rows fill; deleted at the end with a raw channel.
    let cleanup = LapinNotify::start(
        AMQP_URI,
        run.rt.clone(),
        &run.exchange(false),
        &run.topic("warren", "cleanup"),
        false,
    )
    .await
    .expect("lapin connection for the clean-up");
    let body = serde_json::json!({ "value": run.payload });
    let notifier_t = transport(run, "warren-bench-notifier", false);
    let durable_t = transport(run, "warren-bench-durable-notifier", true);
    let listener_t = transport(run, "warren-bench-listener", false);

    // The first publish finds no queue and declares `<topic>.info` (store and forward).
    let pub_topic = run.topic("warren", "pub");
    let op = warren_op(
        &notifier_t
            .notifier("bench")
            .with_topics([pub_topic.as_str()]),
        &body,
    );
    measure("warm-up", WARM_UP, 1, &op).await;
    for (label, in_flight) in PUBLISH_ROWS {
        rows.push(measure(&format!("warren {label}"), run.total, in_flight, &op).await);
    }

    let durable_topic = run.topic("warren", "durable");
    let op = warren_op(
        &durable_t
            .notifier("bench")
            .with_topics([durable_topic.as_str()]),
        &body,
    );
    measure("warm-up", WARM_UP, IN_FLIGHT, &op).await;
    rows.push(
        measure(
            &format!("warren {PERSISTENT_ROW}"),
            run.total,
            IN_FLIGHT,
            &op,
        )
        .await,
    );

    let e2e_topic = run.topic("warren", "e2e");
    let received = Arc::new(Received::default());
    let counter = received.clone();
    let endpoint = NotificationEndpoint::new().on(Priority::Info, move |_n| {
        counter.count_one();
        async { NotificationResult::Handled }
    });
    let listener = NotificationListener::start(
        &listener_t,
        &[Target::new(&e2e_topic)],
        vec![endpoint],
        ListenerOptions::default(),
    )
    .expect("listener");
    listener.ready().await.expect("listener ready");
    let op = warren_op(
        &notifier_t
            .notifier("bench")
            .with_topics([e2e_topic.as_str()]),
        &body,
    );
    let warm = end_to_end("warm-up", WARM_UP, &received, &op).await;
    assert_eq!(
        warm.errors, 0,
        "the warren listener got every warm-up notification"
    );
    rows.push(
        end_to_end(
            &format!("warren {END_TO_END_ROW}"),
            run.total,
            &received,
            &op,
        )
        .await,
    );

    listener.stop().await;
    for topic in [&pub_topic, &durable_topic, &e2e_topic] {
        let _ = cleanup.delete(&format!("{topic}.info")).await;
    }
    let _ = cleanup.delete(cleanup.queue()).await;
    cleanup.close().await;
    for t in [notifier_t, durable_t, listener_t] {
        t.close().await;
    }
    rows
}

fn main() {
    let total: usize = std::env::var("WARREN_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // The baseline's connections run on their own multi-thread runtime, as warren's do.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let run = Run {
        pid: std::process::id(),
        total,
        payload: "x".repeat(100),
        rt: rt.handle().clone(),
    };
    let rows = actix::System::new().block_on(async move {
        let mut rows = lapin_rows(&run).await;
        rows.extend(warren_rows(&run).await);
        rows
    });
    rt.shutdown_background();
    print_table(
        &format!(
            "Notification benchmark: {total} notifications per row, 100-byte payload, local RabbitMQ"
        ),
        &rows,
    );
}
