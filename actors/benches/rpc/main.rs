//! RPC throughput and latency: warren against the same pattern written directly on
//! lapin, on the same broker in the same run.
//!
//! Run with `cargo bench -p warren --bench rpc` (RabbitMQ on 127.0.0.1:5672). Set
//! `WARREN_BENCH_CALLS` to change the number of calls per row (default 2000).
//! Prints one table: calls/s, p50 and p99 latency, and warren/lapin rate ratios.

mod lapin_baseline;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Deserialize;
use warren::{Config, Context, Endpoint, RemoteError, RpcServer, Target, Transport};

use lapin_baseline::LapinRpc;

const URL: &str = "pika://guest:guest@127.0.0.1:5672/";
const AMQP_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// Calls made before measuring, on each side.
const WARM_UP: usize = 200;

#[derive(Debug, Clone)]
struct Row {
    name: String,
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// Run `total` operations with `in_flight` at a time; collect each one's latency.
async fn measure<F, Fut>(name: &str, total: usize, in_flight: usize, op: F) -> Row
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    let started = Instant::now();
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    while next < total || !running.is_empty() {
        while next < total && running.len() < in_flight {
            let fut = op(next);
            running.push(async move {
                let t = Instant::now();
                let ok = fut.await;
                (ok, t.elapsed())
            });
            next += 1;
        }
        if let Some((ok, latency)) = running.next().await {
            latencies.push(latency);
            if !ok {
                errors += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    Row {
        name: name.to_owned(),
        rate: total as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

#[derive(Deserialize)]
struct EchoArgs {
    value: String,
}

fn main() {
    let total: usize = std::env::var("WARREN_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let payload = "x".repeat(100);
    let system = actix::System::new();
    let rows = system.block_on(async move {
        let mut rows = Vec::new();

        // Baseline: raw lapin on its own runtime handle, like warren's connections.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let topic = format!("bench-lapin-{}", std::process::id());
        let lapin = Arc::new(
            LapinRpc::start(AMQP_URI, rt.handle().clone(), &topic)
                .await
                .expect("lapin baseline (is RabbitMQ running on 127.0.0.1:5672?)"),
        );
        for _ in 0..WARM_UP {
            let _ = lapin.call(&payload).await;
        }
        for (label, in_flight) in [
            ("call, sequential", 1),
            ("call, 10 in flight", 10),
            ("call, 100 in flight", 100),
        ] {
            let l = lapin.clone();
            let p = payload.clone();
            rows.push(
                measure(&format!("lapin {label}"), total, in_flight, move |_| {
                    let l = l.clone();
                    let p = p.clone();
                    async move { l.call(&p).await.is_ok() }
                })
                .await,
            );
        }
        let l = lapin.clone();
        let p = payload.clone();
        rows.push(
            measure("lapin cast, 10 in flight", total, 10, move |_| {
                let l = l.clone();
                let p = p.clone();
                async move { l.cast(&p).await.is_ok() }
            })
            .await,
        );

        // warren: a server and a client transport, as two services would have.
        let config = || {
            Config::builder()
                .transport_url(URL.parse().expect("URL"))
                .build()
                .expect("config")
        };
        let server_t = Transport::builder(config())
            .connection_name("warren-bench-server")
            .start()
            .expect("transport");
        let client_t = Transport::builder(config())
            .connection_name("warren-bench-client")
            .start()
            .expect("transport");
        let topic = format!("bench-warren-{}", std::process::id());
        let endpoint = Endpoint::new().method("echo", |_ctx, args: EchoArgs| async move {
            Ok::<_, RemoteError>(args.value)
        });
        let server = RpcServer::start(
            &server_t,
            Target::new(&topic).with_server("bench"),
            vec![endpoint],
        )
        .expect("server");
        server.ready().await.expect("server ready");
        let client = client_t.rpc_client(Target::new(&topic));
        let args = serde_json::json!({ "value": payload });
        let ctx = Context::new().with("request_id", "req-bench");
        // Warm up as the baseline did: reply queue, pool channels.
        for _ in 0..WARM_UP {
            let _: Result<String, _> = client.call(&ctx, "echo", &args).await;
        }
        for (label, in_flight) in [
            ("call, sequential", 1),
            ("call, 10 in flight", 10),
            ("call, 100 in flight", 100),
        ] {
            let c = client.clone();
            let a = args.clone();
            let x = ctx.clone();
            rows.push(
                measure(&format!("warren {label}"), total, in_flight, move |_| {
                    let c = c.clone();
                    let a = a.clone();
                    let x = x.clone();
                    async move { c.call::<_, String>(&x, "echo", &a).await.is_ok() }
                })
                .await,
            );
        }
        let c = client.clone();
        let a = args.clone();
        let x = ctx.clone();
        rows.push(
            measure("warren cast, 10 in flight", total, 10, move |_| {
                let c = c.clone();
                let a = a.clone();
                let x = x.clone();
                async move { c.cast(&x, "echo", &a).await.is_ok() }
            })
            .await,
        );
        server.stop().await;
        client_t.close().await;
        server_t.close().await;
        drop(lapin);
        rt.shutdown_background();
        rows
    });
    print_table(&rows, total);
}

fn print_table(rows: &[Row], total: usize) {
    println!("RPC benchmark: {total} operations per row, 100-byte payload, local RabbitMQ");
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>7} {:>14}",
        "row", "ops/s", "p50 ms", "p99 ms", "errors", "warren/lapin"
    );
    for row in rows {
        let ratio = row
            .name
            .strip_prefix("warren ")
            .and_then(|rest| rows.iter().find(|r| r.name == format!("lapin {rest}")))
            .map(|base| format!("{:.2}", row.rate / base.rate))
            .unwrap_or_default();
        println!(
            "{:<32} {:>10.0} {:>10.3} {:>10.3} {:>7} {:>14}",
            row.name,
            row.rate,
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3,
            row.errors,
            ratio
        );
    }
}
