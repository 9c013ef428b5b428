//! `warren bench call|cast|notify`: a load generator in the spirit of oslo.messaging's
//! `simulator.py`. Sends `--count` requests to the `echo` method of a running server
//! (`warren serve`, or any service with an `echo(value)` method), or `--count`
//! notifications (`--priority`, default `info`) to the topic, `--concurrency` at a
//! time, and prints one JSON object: sent, confirmed, errors, rate, p50 and p99 latency.
//! With `--buffered`, notifications go through a buffered notifier: latencies are the
//! time to be accepted, and the run ends once the buffer has drained.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::{Value, json};
use warren::{Context, Priority};

use crate::EXIT_INVALID_INPUT;
use crate::connect_args::{ConnectArgs, ConnectTimeout};
use crate::metrics_args::MetricsArgs;
use crate::target_args::TargetArgs;

/// What to send.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum BenchKind {
    /// Calls, each waiting for its reply.
    Call,
    /// Casts, each waiting for the broker's confirm.
    Cast,
    /// Notifications to the topic, each waiting for the broker's confirm.
    Notify,
}

/// Options of `warren bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// `call`, `cast` or `notify`.
    kind: BenchKind,
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    connect_timeout: ConnectTimeout,
    #[command(flatten)]
    target: TargetArgs,
    /// Requests to send in all.
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Size of the echoed string argument, in bytes.
    #[arg(long, default_value_t = 100)]
    payload_bytes: usize,
    /// The priority of the notifications (`notify` only).
    #[arg(long, default_value = "info")]
    priority: String,
    /// Send notifications through a buffered notifier (`notify` only): each returns
    /// once buffered, and the run ends once the buffer has drained.
    #[arg(long)]
    buffered: bool,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// Run the load and print the summary.
pub fn run(args: &BenchArgs) -> ExitCode {
    if args.count == 0 || args.concurrency == 0 {
        eprintln!("warren bench: --count and --concurrency must be at least 1");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    if args.buffered && !matches!(args.kind, BenchKind::Notify) {
        eprintln!("warren bench: --buffered is for `warren bench notify` only");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    let priority: Priority = match args.priority.parse() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warren bench: --priority: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    if let Err(e) = args.metrics.install("bench") {
        eprintln!("warren bench: {e}");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    actix::System::new().block_on(async {
        let transport = match args.connect.transport("bench") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren bench: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        if let Err(code) = args.connect_timeout.connected(&transport, "bench").await {
            return code;
        }
        let load = Load {
            kind: args.kind,
            client: transport.rpc_client(args.target.target()),
            notifier: {
                let mut notifier = transport
                    .notifier("warren-bench")
                    .with_topics([args.target.topic.as_str()]);
                if let Some(exchange) = &args.target.exchange {
                    notifier = notifier.with_exchange(exchange);
                }
                if args.buffered {
                    notifier = notifier.buffered();
                }
                notifier
            },
            buffered: args.buffered,
            priority,
            kwargs: json!({ "value": "x".repeat(args.payload_bytes) }),
            count: args.count,
            concurrency: args.concurrency,
        };
        // The load runs where the transport's actors run: a call then costs no thread
        // hand-off between the caller and the RPC client actor (see
        // docs/performance.md). Any other arbiter works too, one hop slower each way.
        let (done, ran) = tokio::sync::oneshot::channel();
        let spawned = transport.arbiter().spawn(async move {
            let _ = done.send(load.run().await);
        });
        let ran = match ran.await {
            Ok(ran) if spawned => ran,
            _ => {
                eprintln!("warren bench: the transport stopped before the load finished");
                transport.close().await;
                return ExitCode::FAILURE;
            }
        };
        let Ran {
            mut latencies,
            errors,
            first_error,
            elapsed,
        } = ran;
        let sent = args.count;
        transport.close().await;
        latencies.sort_unstable();
        let pct = |p: f64| -> f64 {
            let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
            latencies
                .get(i)
                .copied()
                .unwrap_or(Duration::ZERO)
                .as_secs_f64()
                * 1e3
        };
        let summary = json!({
            "kind": format!("{:?}", args.kind).to_lowercase(),
            "count": args.count,
            "concurrency": args.concurrency,
            "payload_bytes": args.payload_bytes,
            "seconds": elapsed.as_secs_f64(),
            "per_second": args.count as f64 / elapsed.as_secs_f64(),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "sent": sent,
            "confirmed": args.count - errors,
            "errors": errors,
            "first_error": first_error,
        });
        println!("{summary}");
        if errors == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    })
}

/// The load of one run, sent from the transport's arbiter.
struct Load {
    kind: BenchKind,
    client: warren::RpcClient,
    notifier: warren::Notifier,
    priority: Priority,
    kwargs: Value,
    count: usize,
    concurrency: usize,
    /// The notifier is buffered: wait for the buffer to drain at the end.
    buffered: bool,
}

/// What a run measured.
struct Ran {
    latencies: Vec<Duration>,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
}

impl Load {
    /// Send `count` requests, `concurrency` at a time.
    async fn run(self) -> Ran {
        let context = Context::new();
        let mut latencies = Vec::with_capacity(self.count);
        let mut errors = 0usize;
        let mut first_error: Option<String> = None;
        let started = Instant::now();
        let mut running = FuturesUnordered::new();
        let mut sent = 0;
        while sent < self.count || !running.is_empty() {
            while sent < self.count && running.len() < self.concurrency {
                let (client, notifier) = (&self.client, &self.notifier);
                let (kwargs, context) = (&self.kwargs, &context);
                let (kind, priority) = (self.kind, self.priority);
                running.push(async move {
                    let t = Instant::now();
                    let outcome = match kind {
                        BenchKind::Call => client
                            .call::<_, Value>(context, "echo", kwargs)
                            .await
                            .map(drop),
                        BenchKind::Cast => client.cast(context, "echo", kwargs).await,
                        BenchKind::Notify => {
                            notifier
                                .notify(priority, context, "warren.bench", kwargs)
                                .await
                        }
                    };
                    (outcome, t.elapsed())
                });
                sent += 1;
            }
            if let Some((outcome, latency)) = running.next().await {
                latencies.push(latency);
                if let Err(e) = outcome {
                    errors += 1;
                    first_error.get_or_insert_with(|| e.to_string());
                }
            }
        }
        if self.buffered {
            self.notifier.flush().await;
            let counts = self.notifier.buffer_counts().await;
            let lost = usize::try_from(counts.dropped + counts.failed).unwrap_or(usize::MAX);
            if lost > 0 {
                errors += lost;
                first_error.get_or_insert_with(|| {
                    format!(
                        "{} dropped by the full buffer, {} given up",
                        counts.dropped, counts.failed
                    )
                });
            }
        }
        Ran {
            latencies,
            errors,
            first_error,
            elapsed: started.elapsed(),
        }
    }
}
