//! `--drain-timeout` and the graceful stop of `warren serve` and `warren listen`.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

/// How long a long-running command lets work in progress finish when stopped.
#[derive(Debug, Args)]
pub struct DrainArgs {
    /// Seconds to let work in progress finish after SIGTERM or Ctrl-C (it stops
    /// consuming first); a second signal abandons it at once. Exit status 1 when
    /// work was abandoned.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    drain_timeout: f64,
}

impl DrainArgs {
    /// The drain bound, or what is wrong with it.
    pub fn limit(&self) -> Result<Duration, String> {
        Duration::try_from_secs_f64(self.drain_timeout).map_err(|e| format!("--drain-timeout: {e}"))
    }
}

/// Run a bounded graceful stop (`stop`) of the `what` in progress (`in_flight`),
/// saying on stderr what happens; a second signal abandons it. Success when it
/// finished in time.
pub async fn drain(
    command: &str,
    what: &str,
    in_flight: impl Future<Output = usize>,
    limit: Duration,
    stop: impl Future<Output = Result<(), warren::Error>>,
) -> ExitCode {
    // Listen for a second signal before anything else, so that one sent at once is
    // not missed: the handlers are installed on the first poll.
    let again = warren::shutdown_signal();
    tokio::pin!(again);
    if futures_util::poll!(&mut again).is_ready() {
        eprintln!(
            "warren {command}: stopped by a second signal; abandoning the {what} in progress"
        );
        return ExitCode::FAILURE;
    }
    eprintln!(
        "warren {command}: stopping: {what} in progress: {}; finishing them \
         (up to {}s; a second signal abandons them)",
        in_flight.await,
        limit.as_secs_f64()
    );
    tokio::select! {
        stopped = stop => match stopped {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("warren {command}: {e}");
                ExitCode::FAILURE
            }
        },
        () = &mut again => {
            eprintln!("warren {command}: stopped by a second signal; abandoning the {what} in progress");
            ExitCode::FAILURE
        }
    }
}
