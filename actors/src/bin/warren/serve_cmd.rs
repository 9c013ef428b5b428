//! `warren serve`: a demo RPC server, for operators and for testing other
//! implementations against warren.
//!
//! Endpoint methods: `echo(value)` returns `value`; `add(a, b)` returns `a + b`;
//! `fail(message)` raises a `ValueError` (module `builtins`) with `message`;
//! `sleep(seconds)` waits and returns `null`. Runs until Ctrl-C or SIGTERM, then stops
//! gracefully: it stops consuming, answers the requests in progress (for up to
//! `--drain-timeout`), then closes the connection.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde::Deserialize;
use serde_json::Value;
use warren::{Endpoint, RemoteError, RpcServer, Target};

use crate::EXIT_INVALID_INPUT;
use crate::connect_args::ConnectArgs;
use crate::drain_args::{DrainArgs, drain};
use crate::metrics_args::MetricsArgs;

/// Options of `warren serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The topic to serve.
    #[arg(long)]
    topic: String,
    /// This server's name within the topic.
    #[arg(long)]
    server: String,
    /// An exchange other than default_rpc_exchange.
    #[arg(long)]
    exchange: Option<String>,
    #[command(flatten)]
    drain: DrainArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
}

#[derive(Deserialize)]
struct EchoArgs {
    value: Value,
}

#[derive(Deserialize)]
struct AddArgs {
    a: Value,
    b: Value,
}

#[derive(Deserialize)]
struct FailArgs {
    message: String,
}

#[derive(Deserialize)]
struct SleepArgs {
    seconds: f64,
}

/// The demo endpoint.
pub fn demo_endpoint() -> Endpoint {
    Endpoint::new()
        .method("echo", |_ctx, args: EchoArgs| async move {
            Ok::<_, RemoteError>(args.value)
        })
        .method(
            "add",
            |_ctx, args: AddArgs| async move { add(&args.a, &args.b) },
        )
        .method("fail", |_ctx, args: FailArgs| async move {
            Err::<(), _>(RemoteError::value_error(args.message))
        })
        .method("sleep", |_ctx, args: SleepArgs| async move {
            let seconds = Duration::try_from_secs_f64(args.seconds)
                .map_err(|e| RemoteError::value_error(format!("bad seconds: {e}")))?;
            tokio::time::sleep(seconds).await;
            Ok::<_, RemoteError>(())
        })
}

fn add(a: &Value, b: &Value) -> Result<Value, RemoteError> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x
            .checked_add(y)
            .map(Value::from)
            .ok_or_else(|| RemoteError::new("OverflowError", "builtins", "integer overflow"));
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => Ok(serde_json::json!(x + y)),
        _ => Err(RemoteError::type_error("add() needs two numbers")),
    }
}

/// Serve until interrupted.
pub fn run(args: &ServeArgs) -> ExitCode {
    let drain_limit = match args.drain.limit() {
        Ok(limit) => limit,
        Err(e) => {
            eprintln!("warren serve: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    if let Err(e) = args.metrics.install("serve") {
        eprintln!("warren serve: {e}");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    let system = actix::System::new();
    system.block_on(async {
        let transport = match args.connect.transport("serve") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren serve: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        let mut target = Target::new(&args.topic).with_server(&args.server);
        target.exchange = args.exchange.clone();
        // The demo methods never block: serve on the transport's own arbiter.
        let server = match RpcServer::start_in(
            &transport,
            &transport.arbiter(),
            target,
            vec![demo_endpoint()],
        ) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("warren serve: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        // One signal future for the whole run: its handlers are installed on the first
        // poll, before the ready line, so a signal sent right after that line is seen.
        let interrupted = warren::shutdown_signal();
        tokio::pin!(interrupted);
        tokio::select! {
            ready = server.ready() => {
                if let Err(e) = ready {
                    eprintln!("warren serve: {e}");
                    return ExitCode::FAILURE;
                }
            }
            _ = &mut interrupted => {
                transport.close().await;
                return ExitCode::SUCCESS;
            }
        }
        eprintln!(
            "warren serve: serving topic {:?} as server {:?}; Ctrl-C or SIGTERM stops",
            args.topic, args.server
        );
        interrupted.await;
        let in_flight = async { server.counts().await.in_flight };
        let stop = server.stop_within(drain_limit);
        let code = drain("serve", "RPC requests", in_flight, drain_limit, stop).await;
        transport.close().await;
        code
    })
}
