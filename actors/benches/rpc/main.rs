//! RPC throughput and latency: warren against the same pattern written directly on
//! lapin, on the same broker in the same run.
//!
//! Run with `cargo bench -p warren --bench rpc` (RabbitMQ on 127.0.0.1:5672). Set
//! `WARREN_BENCH_CALLS` to change the number of calls per row (default 2000).
//! Prints one table: calls/s, p50 and p99 latency, and warren/lapin rate ratios.

mod lapin_baseline;
#[path = "../common/measure.rs"]
mod measure;

use std::sync::Arc;

use serde::Deserialize;
use warren::{Config, Context, Endpoint, RemoteError, RpcServer, Target, Transport};

use lapin_baseline::LapinRpc;
use measure::{measure, print_table};

const URL: &str = "pika://guest:guest@127.0.0.1:5672/";
const AMQP_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";
/// Calls made before measuring, on each side.
const WARM_UP: usize = 200;

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
    print_table(
        &format!("RPC benchmark: {total} operations per row, 100-byte payload, local RabbitMQ"),
        &rows,
    );
}
