//! `warren notify`: send one notification from the command line.
//!
//! Returns once the broker has stored the notification (exit 0). A notification that
//! cannot be delivered, or is not confirmed within `--timeout` (an unreachable broker),
//! goes to stderr with exit status 1; invalid input (URL, file, priority, `--payload`,
//! `--context`, `--timeout`) exits with 2.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;
use warren::{Context, Error, Priority};

use crate::EXIT_INVALID_INPUT;
use crate::call_cmd::json_object;
use crate::connect_args::{ConnectArgs, ConnectTimeout};

/// Options of `warren notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    connect_timeout: ConnectTimeout,
    /// The topic (default: [oslo_messaging_notifications] topics).
    #[arg(long)]
    topic: Option<String>,
    /// audit, debug, info, warn, error, critical or sample.
    #[arg(long, default_value = "info")]
    priority: String,
    /// What happened, e.g. compute.instance.create.end.
    #[arg(long)]
    event_type: String,
    /// The payload as JSON (any JSON value).
    #[arg(long, default_value = "{}")]
    payload: String,
    /// Who sends it.
    #[arg(long, default_value = "warren-cli")]
    publisher_id: String,
    /// Request context as a JSON object (sent as `_$_` keys).
    #[arg(long, default_value = "{}")]
    context: String,
    /// An exchange other than default_notification_exchange.
    #[arg(long)]
    exchange: Option<String>,
    /// Seconds to wait for the broker's confirm, reconnects included; the notifier
    /// itself retries until the notification is stored.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
}

/// Run `warren notify`.
pub fn run(args: &NotifyArgs) -> ExitCode {
    let prepared = (|| {
        let priority: Priority = args
            .priority
            .parse()
            .map_err(|e| format!("--priority: {e}"))?;
        let payload: Value = serde_json::from_str(&args.payload)
            .map_err(|e| format!("--payload is not valid JSON: {e}"))?;
        let context = Context::from_map(json_object("--context", &args.context)?);
        let timeout =
            Duration::try_from_secs_f64(args.timeout).map_err(|e| format!("--timeout: {e}"))?;
        Ok::<_, String>((priority, payload, context, timeout))
    })();
    let (priority, payload, context, timeout) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warren notify: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    actix::System::new().block_on(async {
        let transport = match args.connect.transport("notify") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren notify: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        if let Err(code) = args.connect_timeout.connected(&transport, "notify").await {
            return code;
        }
        let mut notifier = transport.notifier(&args.publisher_id);
        if let Some(topic) = &args.topic {
            notifier = notifier.with_topics([topic.as_str()]);
        }
        if let Some(exchange) = &args.exchange {
            notifier = notifier.with_exchange(exchange);
        }
        let sending = notifier.notify(priority, &context, &args.event_type, &payload);
        // Without a bound, a notification to an unreachable broker waits for it forever.
        let result = tokio::time::timeout(timeout, sending)
            .await
            .unwrap_or(Err(Error::Timeout {
                waiting_for: "the broker's confirm of the notification",
                after: timeout,
            }));
        transport.close().await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("warren notify: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
