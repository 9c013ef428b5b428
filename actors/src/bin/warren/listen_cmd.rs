//! `warren listen`: print notifications as JSON lines.
//!
//! One line per notification on stdout (priority, publisher_id, event_type, payload,
//! context, message_id, timestamp), written before the notification is acknowledged.
//! With `--count N` it exits after N; notifications beyond N that were already
//! prefetched are requeued, not lost. Otherwise it runs until Ctrl-C or SIGTERM, then
//! stops gracefully: it stops consuming, prints and acknowledges what is in progress
//! (for up to `--drain-timeout`; what is left then goes back to the queue), then
//! closes the connection. A line on stderr says when it is consuming.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;
use serde_json::{Value, json};
use tokio::sync::Notify;
use warren::{
    ListenerOptions, Notification, NotificationEndpoint, NotificationListener, NotificationResult,
    Priority, Target,
};

use crate::EXIT_INVALID_INPUT;
use crate::connect_args::ConnectArgs;
use crate::drain_args::{DrainArgs, drain};
use crate::metrics_args::MetricsArgs;

/// Options of `warren listen`.
#[derive(Debug, Args)]
pub struct ListenArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    /// The topic (default: [oslo_messaging_notifications] topics, first one).
    #[arg(long)]
    topic: Option<String>,
    /// A priority to consume; repeat for several (default: all seven).
    #[arg(long = "priority")]
    priorities: Vec<String>,
    /// Consume the shared queue of this pool instead of the per-priority queues.
    #[arg(long)]
    pool: Option<String>,
    /// An exchange other than default_notification_exchange.
    #[arg(long)]
    exchange: Option<String>,
    /// Exit after this many notifications.
    #[arg(long)]
    count: Option<usize>,
    #[command(flatten)]
    drain: DrainArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// The JSON line printed for `n`.
fn line(n: &Notification) -> Value {
    json!({
        "priority": n.priority.name(),
        "publisher_id": n.publisher_id,
        "event_type": n.event_type,
        "payload": n.payload,
        "context": n.context.as_map(),
        "message_id": n.message_id,
        "timestamp": n.timestamp,
    })
}

/// Print, then acknowledge; past `--count`, give the notification back.
fn printing_endpoint(
    priorities: &[Priority],
    limit: Option<usize>,
    printed: Arc<AtomicUsize>,
    done: Arc<Notify>,
) -> NotificationEndpoint {
    let mut endpoint = NotificationEndpoint::new();
    for p in priorities {
        let (printed, done) = (printed.clone(), done.clone());
        endpoint = endpoint.on(*p, move |n| {
            let taken = printed.fetch_add(1, Ordering::SeqCst);
            let result = if limit.is_some_and(|l| taken >= l) {
                printed.fetch_sub(1, Ordering::SeqCst);
                NotificationResult::Requeue
            } else {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", line(&n));
                let _ = out.flush();
                if limit.is_some_and(|l| taken + 1 >= l) {
                    done.notify_one();
                }
                NotificationResult::Handled
            };
            async move { result }
        });
    }
    endpoint
}

/// Run `warren listen`.
pub fn run(args: &ListenArgs) -> ExitCode {
    let priorities: Result<Vec<Priority>, String> = if args.priorities.is_empty() {
        Ok(Priority::ALL.to_vec())
    } else {
        args.priorities
            .iter()
            .map(|p| p.parse().map_err(|e| format!("--priority: {e}")))
            .collect()
    };
    let priorities = match (priorities, args.count) {
        (Err(e), _) => {
            eprintln!("warren listen: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
        (Ok(_), Some(0)) => {
            eprintln!("warren listen: --count must be at least 1");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
        (Ok(p), _) => p,
    };
    let drain_limit = match args.drain.limit() {
        Ok(limit) => limit,
        Err(e) => {
            eprintln!("warren listen: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    if let Err(e) = args.metrics.install("listen") {
        eprintln!("warren listen: {e}");
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    actix::System::new().block_on(async {
        let transport = match args.connect.transport("listen") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren listen: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        let topic = args.topic.clone().unwrap_or_else(|| {
            transport
                .config()
                .notifications
                .topics
                .first()
                .cloned()
                .unwrap_or_else(|| "notifications".to_owned())
        });
        let mut target = Target::new(&topic);
        target.exchange = args.exchange.clone();
        let done = Arc::new(Notify::new());
        let endpoint = printing_endpoint(
            &priorities,
            args.count,
            Arc::new(AtomicUsize::new(0)),
            done.clone(),
        );
        let mut options = ListenerOptions::default().allow_requeue(true);
        if let Some(pool) = &args.pool {
            options = options.pool(pool);
        }
        let listener =
            match NotificationListener::start(&transport, &[target], vec![endpoint], options) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("warren listen: {e}");
                    return ExitCode::from(EXIT_INVALID_INPUT);
                }
            };
        // One signal future for the whole run: its handlers are installed on the first
        // poll, before the ready line, so a signal sent right after that line is seen.
        let terminated = warren::shutdown_signal();
        tokio::pin!(terminated);
        tokio::select! {
            ready = listener.ready() => {
                if let Err(e) = ready {
                    eprintln!("warren listen: {e}");
                    return ExitCode::FAILURE;
                }
            }
            _ = &mut terminated => {
                transport.close().await;
                return ExitCode::SUCCESS;
            }
        }
        let names: Vec<&str> = priorities.iter().map(|p| p.name()).collect();
        eprintln!(
            "warren listen: listening on topic {topic:?}, priorities {}{}",
            names.join(","),
            args.pool
                .as_ref()
                .map(|p| format!(", pool {p:?}"))
                .unwrap_or_default()
        );
        let code = tokio::select! {
            _ = done.notified() => {
                listener.stop().await;
                ExitCode::SUCCESS
            }
            _ = &mut terminated => {
                let in_flight = async { listener.counts().await.in_flight };
                let stop = listener.stop_within(drain_limit);
                drain("listen", "notifications", in_flight, drain_limit, stop).await
            }
        };
        transport.close().await;
        code
    })
}
