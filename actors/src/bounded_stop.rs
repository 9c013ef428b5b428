//! [`stop_within`]: a graceful stop with a bound, shared by the RPC server and the
//! notification listener handles.

use std::time::Duration;

use crate::Error;

/// Run `stop` for at most `limit`. When time runs out, `in_flight` says what is still
/// being handled: nothing (a limit shorter than the stop's own round trip) finishes
/// the stop, which is then immediate; anything else is [`Error::DrainTimedOut`] for
/// `what`.
pub(crate) async fn stop_within<S, C>(
    limit: Duration,
    what: &'static str,
    stop: impl Fn() -> S,
    in_flight: impl FnOnce() -> C,
) -> Result<(), Error>
where
    S: Future<Output = ()>,
    C: Future<Output = usize>,
{
    if tokio::time::timeout(limit, stop()).await.is_ok() {
        return Ok(());
    }
    match in_flight().await {
        0 => {
            stop().await;
            Ok(())
        }
        in_flight => Err(Error::DrainTimedOut {
            what,
            in_flight,
            after: limit,
        }),
    }
}
