//! [`stop_within`]: a graceful stop with a bound, shared by the RPC server and the
//! notification listener handles.

use std::time::Duration;

use crate::Error;

/// How long a stop that found nothing in flight may still take.
const LAST_LOOK: Duration = Duration::from_millis(100);

/// Run `stop` for at most `limit`. When time runs out, `in_flight` says what is still
/// being handled: nothing (a limit shorter than the stop's own round trip) finishes
/// the stop, which is then immediate (within [`LAST_LOOK`]); anything else is
/// [`Error::DrainTimedOut`] for `what`.
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
    let left = in_flight().await;
    // Nothing left: the stop is immediate, unless a request slipped in meanwhile (one
    // from a `no_ack` queue is handled during a stop), which the bound covers too.
    if left == 0 && tokio::time::timeout(LAST_LOOK, stop()).await.is_ok() {
        return Ok(());
    }
    Err(Error::DrainTimedOut {
        what,
        in_flight: left.max(1),
        after: limit,
    })
}
