//! Notification throughput: warren against the same pattern written directly on lapin,
//! on the same broker in the same run.
//!
//! Run with `cargo bench -p warren --bench notify` (RabbitMQ on 127.0.0.1:5672). Set
//! `WARREN_BENCH_CALLS` to change the number of notifications per row (default 2000).
//! Rows: confirmed publishes with 10 in flight (nobody consuming), and end to end —
//! the same publishes while a listener consumes, timed until the listener has all.

mod lapin_baseline;
#[path = "../common/measure.rs"]
mod measure;

use std::sync::Arc;
use std::time::{Duration, Instant};

use warren::{
    Config, Context, ListenerOptions, NotificationEndpoint, NotificationListener,
    NotificationResult, Priority, Target, Transport,
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
/// How long a listener may take to get the last notification.
const DRAIN: Duration = Duration::from_secs(60);

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

fn main() {
    let total: usize = std::env::var("WARREN_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let payload = "x".repeat(100);
    let pid = std::process::id();
    let system = actix::System::new();
    let rows = system.block_on(async move {
        let mut rows = Vec::new();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let exchange = format!("bench-notify-{pid}");

        // Baseline: publish only, then end to end on a second topic.
        let publish_only = Arc::new(
            LapinNotify::start(
                AMQP_URI,
                rt.handle().clone(),
                &exchange,
                &format!("bench-lapin-pub-{pid}"),
            )
            .await
            .expect("lapin baseline (is RabbitMQ running on 127.0.0.1:5672?)"),
        );
        for _ in 0..WARM_UP {
            let _ = publish_only.publish(&payload).await;
        }
        for (label, in_flight) in PUBLISH_ROWS {
            let (l, p) = (publish_only.clone(), payload.clone());
            rows.push(
                measure(&format!("lapin {label}"), total, in_flight, move |_| {
                    let (l, p) = (l.clone(), p.clone());
                    async move { l.publish(&p).await.is_ok() }
                })
                .await,
            );
        }
        let _ = publish_only.delete(publish_only.queue()).await;

        let e2e = Arc::new(
            LapinNotify::start(
                AMQP_URI,
                rt.handle().clone(),
                &exchange,
                &format!("bench-lapin-e2e-{pid}"),
            )
            .await
            .expect("lapin baseline"),
        );
        let lapin_received = Arc::new(Received::default());
        e2e.listen(lapin_received.clone())
            .await
            .expect("lapin listener");
        let (l, p) = (e2e.clone(), payload.clone());
        let warm = end_to_end("warm-up", WARM_UP, &lapin_received, move |_| {
            let (l, p) = (l.clone(), p.clone());
            async move { l.publish(&p).await.is_ok() }
        })
        .await;
        assert_eq!(
            warm.errors, 0,
            "the lapin listener got every warm-up notification"
        );
        let (l, p) = (e2e.clone(), payload.clone());
        rows.push(
            end_to_end(
                "lapin end to end, 10 in flight",
                total,
                &lapin_received,
                move |_| {
                    let (l, p) = (l.clone(), p.clone());
                    async move { l.publish(&p).await.is_ok() }
                },
            )
            .await,
        );

        // warren: a notifying service and a listening service, one transport each.
        let config = || {
            Config::builder()
                .transport_url(URL.parse().expect("URL"))
                .default_notification_exchange(&exchange)
                .build()
                .expect("config")
        };
        let notifier_t = Transport::builder(config())
            .connection_name("warren-bench-notifier")
            .start()
            .expect("transport");
        let listener_t = Transport::builder(config())
            .connection_name("warren-bench-listener")
            .start()
            .expect("transport");
        let ctx = Context::new().with("request_id", "req-bench");
        let body = serde_json::json!({ "value": payload });

        let pub_topic = format!("bench-warren-pub-{pid}");
        let notifier = notifier_t
            .notifier("bench")
            .with_topics([pub_topic.as_str()]);
        for _ in 0..WARM_UP {
            let _ = notifier.info(&ctx, "bench.event", &body).await;
        }
        for (label, in_flight) in PUBLISH_ROWS {
            let (n, c, b) = (notifier.clone(), ctx.clone(), body.clone());
            rows.push(
                measure(&format!("warren {label}"), total, in_flight, move |_| {
                    let (n, c, b) = (n.clone(), c.clone(), b.clone());
                    async move { n.info(&c, "bench.event", &b).await.is_ok() }
                })
                .await,
            );
        }
        let _ = e2e.delete(&format!("{pub_topic}.info")).await;

        let e2e_topic = format!("bench-warren-e2e-{pid}");
        let warren_received = Arc::new(Received::default());
        let counter = warren_received.clone();
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
        let notifier = notifier_t
            .notifier("bench")
            .with_topics([e2e_topic.as_str()]);
        let (n, c, b) = (notifier.clone(), ctx.clone(), body.clone());
        let warm = end_to_end("warm-up", WARM_UP, &warren_received, move |_| {
            let (n, c, b) = (n.clone(), c.clone(), b.clone());
            async move { n.info(&c, "bench.event", &b).await.is_ok() }
        })
        .await;
        assert_eq!(
            warm.errors, 0,
            "the warren listener got every warm-up notification"
        );
        let (n, c, b) = (notifier.clone(), ctx.clone(), body.clone());
        rows.push(
            end_to_end(
                "warren end to end, 10 in flight",
                total,
                &warren_received,
                move |_| {
                    let (n, c, b) = (n.clone(), c.clone(), b.clone());
                    async move { n.info(&c, "bench.event", &b).await.is_ok() }
                },
            )
            .await,
        );

        listener.stop().await;
        let _ = e2e.delete(&format!("{e2e_topic}.info")).await;
        let _ = e2e.delete(e2e.queue()).await;
        notifier_t.close().await;
        listener_t.close().await;
        drop((publish_only, e2e));
        rt.shutdown_background();
        rows
    });
    print_table(
        &format!(
            "Notification benchmark: {total} notifications per row, 100-byte payload, local RabbitMQ"
        ),
        &rows,
    );
}
