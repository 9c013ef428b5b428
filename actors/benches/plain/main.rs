//! The plainest, fastest raw-lapin programs for the jobs `warren bench` measures, to run
//! beside `warren serve` + `warren bench` on the same broker (`scripts/bench-cli.sh`).
//!
//! `cargo bench -p warren --bench plain -- call <in flight> <count>`: a requester with
//! one reply queue (consumed without acks) and a responder that spawns a task per
//! request, publishes the reply to the default exchange and acks; no confirms.
//! `cargo bench -p warren --bench plain -- notify <window> <count>`: confirmed
//! publishes to one queue, at most `<window>` confirms outstanding on one channel.
//! Prints one JSON line: `per_second`, `p50_ms`, `p99_ms`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use tokio::sync::oneshot;

const URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<()>>>>;

async fn connect(rt: &tokio::runtime::Runtime) -> Connection {
    let runtime = async_rs::Runtime::tokio_with_handle(rt.handle().clone());
    Connection::connect_with_runtime(URI, ConnectionProperties::default(), runtime)
        .await
        .expect("RabbitMQ on 127.0.0.1:5672")
}

fn summary(mode: &str, in_flight: usize, count: usize, elapsed: Duration, mut lat: Vec<Duration>) {
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{{\"mode\":\"{mode}\",\"concurrency\":{in_flight},\"count\":{count},\"seconds\":{},\"per_second\":{},\"p50_ms\":{},\"p99_ms\":{}}}",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        pct(0.5),
        pct(0.99)
    );
}

/// Run `count` operations, `in_flight` at a time; returns the elapsed time and latencies.
async fn drive<F, Fut>(count: usize, in_flight: usize, op: F) -> (Duration, Vec<Duration>)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut latencies = Vec::with_capacity(count);
    let started = Instant::now();
    let mut running = FuturesUnordered::new();
    let mut sent = 0;
    while sent < count || !running.is_empty() {
        while sent < count && running.len() < in_flight {
            let f = op();
            running.push(async move {
                let t = Instant::now();
                f.await;
                t.elapsed()
            });
            sent += 1;
        }
        if let Some(l) = running.next().await {
            latencies.push(l);
        }
    }
    (started.elapsed(), latencies)
}

async fn call(rt: &tokio::runtime::Runtime, in_flight: usize, count: usize) {
    let queue = format!("plain-rpc-{}", std::process::id());
    let responder = connect(rt).await;
    let server = responder.create_channel().await.expect("channel");
    server
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("declare");
    server
        .basic_qos(1000, BasicQosOptions::default())
        .await
        .expect("qos");
    let mut requests = server
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("consume");
    let reply_channel = server.clone();
    rt.spawn(async move {
        while let Some(Ok(d)) = requests.next().await {
            let ch = reply_channel.clone();
            tokio::spawn(async move {
                let props = BasicProperties::default()
                    .with_correlation_id(d.properties.correlation_id().clone().unwrap_or_default());
                let to = d.properties.reply_to().clone().unwrap_or_default();
                let _ = ch
                    .basic_publish(
                        "".into(),
                        to,
                        BasicPublishOptions::default(),
                        &d.data,
                        props,
                    )
                    .await;
                let _ = d.acker.ack(BasicAckOptions::default()).await;
            });
        }
    });
    let requester = connect(rt).await;
    let client = requester.create_channel().await.expect("channel");
    let reply_queue = client
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("reply queue")
        .name()
        .clone();
    let mut replies = client
        .basic_consume(
            reply_queue.clone(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("consume replies");
    let pending: Pending = Arc::default();
    let waiting = pending.clone();
    rt.spawn(async move {
        while let Some(Ok(d)) = replies.next().await {
            let id = d
                .properties
                .correlation_id()
                .as_ref()
                .map(|c| c.to_string());
            if let Some(tx) = id.and_then(|id| waiting.lock().expect("map").remove(&id)) {
                let _ = tx.send(());
            }
        }
    });
    let body = format!("{{\"value\": \"{}\"}}", "x".repeat(100)).into_bytes();
    let one = || {
        let (client, pending, queue, reply_queue, body) = (
            client.clone(),
            pending.clone(),
            queue.clone(),
            reply_queue.clone(),
            body.clone(),
        );
        async move {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let (tx, rx) = oneshot::channel();
            pending.lock().expect("map").insert(id.clone(), tx);
            let props = BasicProperties::default()
                .with_correlation_id(id.as_str().into())
                .with_reply_to(reply_queue);
            let _ = client
                .basic_publish(
                    "".into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    props,
                )
                .await;
            let _ = rx.await;
        }
    };
    let _ = drive(200, in_flight, one).await;
    let (elapsed, lat) = drive(count, in_flight, one).await;
    summary("call", in_flight, count, elapsed, lat);
    let _ = requester.close(200, "done".into()).await;
    let _ = responder.close(200, "done".into()).await;
}

async fn notify(rt: &tokio::runtime::Runtime, window: usize, count: usize) {
    let queue = format!("plain-notify-{}", std::process::id());
    let conn = connect(rt).await;
    let ch = conn.create_channel().await.expect("channel");
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirms");
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await
    .expect("declare");
    let body = format!("{{\"payload\": {{\"value\": \"{}\"}}}}", "x".repeat(100)).into_bytes();
    let one = || {
        let (ch, queue, body) = (ch.clone(), queue.clone(), body.clone());
        async move {
            let confirm = ch
                .basic_publish(
                    "".into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default(),
                )
                .await
                .expect("publish");
            assert!(confirm.await.expect("confirm").is_ack());
        }
    };
    let _ = drive(200, window, one).await;
    let (elapsed, lat) = drive(count, window, one).await;
    summary("notify", window, count, elapsed, lat);
    let _ = ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = conn.close(200, "done".into()).await;
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().map(String::as_str).unwrap_or("call");
    let in_flight: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10);
    let count: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        match mode {
            "notify" => notify(&rt, in_flight, count).await,
            _ => call(&rt, in_flight, count).await,
        }
    });
}
