//! Raw-lapin baselines for `warren bench`: for each job warren does, the plainest and
//! fastest lapin program doing the same job on the same broker. Warren is measured
//! against these; a baseline that warren beats is not finished.
//!
//! ```sh
//! cargo bench -p warren --bench baseline -- call --count 3000 --concurrency 10
//! cargo bench -p warren --bench baseline -- call-pika --count 3000 --concurrency 10
//! cargo bench -p warren --bench baseline -- notify-window --count 5000 --concurrency 100
//! cargo bench -p warren --bench baseline -- notify-pika --count 5000 --concurrency 100
//! ```
//!
//! Each run prints one JSON line with the keys `warren bench` prints (`mode` instead of
//! `kind`). `scripts/bench-vs-lapin.sh` runs both side by side. Modes:
//!
//! - `call`: request/reply with nothing but lapin ([`plain_call`]);
//! - `call-pika`: the same on the Pika driver's wire format, able to call `warren
//!   serve` and to answer `warren bench call` ([`pika_call`]);
//! - `notify-window`: confirmed publishes with a window of outstanding confirms
//!   ([`notify_window`]);
//! - `notify-pika`: the same on the Pika driver's notification wire format
//!   ([`notify_pika`]).
//!
//! The broker is RabbitMQ on 127.0.0.1:5672 (guest/guest) unless `--url` says otherwise.
//! Names carry the process id; the queues are deleted at the end.

mod load;
mod notify_pika;
mod notify_window;
mod pika_call;
mod pika_requester;
mod pika_responder;
mod pika_wire;
mod plain_call;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use lapin::{Connection, ConnectionProperties};
use serde_json::Value;
use tokio::runtime::{Handle, Runtime};

use load::Load;

/// How long closing a connection may take.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The broker of the benchmarks.
const DEFAULT_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Raw-lapin baselines for `warren bench`.
#[derive(Debug, Parser)]
#[command(name = "baseline")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
    /// Passed by `cargo bench` to every `harness = false` target; ignored.
    #[arg(long, global = true, hide = true)]
    bench: bool,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Plain request/reply: default exchange, reply_to + correlation_id, no confirms.
    Call(Common),
    /// Request/reply on the Pika driver's wire format.
    CallPika(pika_call::PikaArgs),
    /// Confirmed publishes to one queue, up to --concurrency confirms outstanding.
    NotifyWindow(Common),
    /// Confirmed, mandatory notifications on the Pika driver's wire format.
    NotifyPika(Common),
}

/// The options of every mode.
#[derive(Debug, Clone, Args)]
struct Common {
    /// Operations in all.
    #[arg(long, default_value_t = 3000, value_parser = at_least_one)]
    count: usize,
    /// Operations in flight at once.
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    concurrency: usize,
    /// Size of the payload, in bytes.
    #[arg(long, default_value_t = 100)]
    payload_bytes: usize,
    /// The broker.
    #[arg(long, default_value = DEFAULT_URL)]
    url: String,
    /// Worker threads of each connection's tokio runtime.
    #[arg(long, default_value_t = 1)]
    worker_threads: usize,
}

/// A count of 1 or more: with none, no rate can be measured.
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}")),
    }
}

impl Common {
    fn load(&self) -> Load {
        Load {
            count: self.count,
            concurrency: self.concurrency,
        }
    }
}

/// A multi-thread runtime for one connection, so lapin's tasks never wait on
/// another connection's work (or on the load generator's).
fn runtime(worker_threads: usize) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .enable_all()
        .build()
}

/// Connect to `url`, running the connection's tasks on `handle`.
async fn connect(url: &str, name: &str, handle: &Handle) -> lapin::Result<Connection> {
    Connection::connect_with_runtime(
        url,
        ConnectionProperties::default().with_connection_name(name.into()),
        async_rs::Runtime::tokio_with_handle(handle.clone()),
    )
    .await
}

/// Close `connections` politely, so the broker logs no abrupt disconnect.
/// Bounded: lapin's close can wait forever once its I/O loop has ended, which left a
/// finished run hanging.
async fn close(connections: &[&Connection]) {
    for connection in connections {
        let closing = connection.close(200, "baseline done".into());
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
    }
}

/// Run `mode` and return its summary line.
fn run(mode: &Mode) -> Result<Value, String> {
    match mode {
        Mode::Call(args) => {
            let responder_rt = runtime(args.worker_threads).map_err(|e| e.to_string())?;
            let requester_rt = runtime(args.worker_threads).map_err(|e| e.to_string())?;
            let outcome = requester_rt.block_on(async {
                let responder =
                    connect(&args.url, "baseline-call-responder", responder_rt.handle()).await?;
                let requester =
                    connect(&args.url, "baseline-call-requester", &Handle::current()).await?;
                let outcome =
                    plain_call::run(&responder, &requester, args.load(), args.payload_bytes).await;
                close(&[&requester, &responder]).await;
                outcome
            });
            let outcome = outcome.map_err(|e| e.to_string())?;
            Ok(outcome.summary("call", args.load(), args.payload_bytes))
        }
        Mode::CallPika(args) => pika_call::run(args),
        Mode::NotifyWindow(args) => notify(args, NotifyFormat::Plain),
        Mode::NotifyPika(args) => notify(args, NotifyFormat::Pika),
    }
}

/// The body and addressing of the notification modes.
#[derive(Debug, Clone, Copy)]
enum NotifyFormat {
    /// `notify-window`: bare bytes to the default exchange.
    Plain,
    /// `notify-pika`: the Pika driver's notifications.
    Pika,
}

impl NotifyFormat {
    /// The mode's name.
    fn mode(self) -> &'static str {
        match self {
            NotifyFormat::Plain => "notify-window",
            NotifyFormat::Pika => "notify-pika",
        }
    }
}

/// Run a notification mode on one connection.
fn notify(args: &Common, format: NotifyFormat) -> Result<Value, String> {
    let mode = format.mode();
    let rt = runtime(args.worker_threads).map_err(|e| e.to_string())?;
    let outcome = rt.block_on(async {
        let connection =
            connect(&args.url, &format!("baseline-{mode}"), &Handle::current()).await?;
        let outcome = match format {
            NotifyFormat::Plain => {
                notify_window::run(&connection, args.load(), args.payload_bytes).await
            }
            NotifyFormat::Pika => {
                notify_pika::run(&connection, args.load(), args.payload_bytes).await
            }
        };
        close(&[&connection]).await;
        outcome
    });
    let outcome = outcome.map_err(|e| e.to_string())?;
    Ok(outcome.summary(mode, args.load(), args.payload_bytes))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.mode) {
        Ok(summary) => {
            println!("{summary}");
            if summary["errors"] == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("baseline: {e} (is RabbitMQ running on 127.0.0.1:5672?)");
            ExitCode::FAILURE
        }
    }
}
