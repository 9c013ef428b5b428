//! The deadline-bounded, retrying publish every sender shares: the RPC client, the
//! RPC server's replies and the notifier each describe what to retry, and this loop
//! sends through the [`ChannelPool`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;

use crate::Error;
use crate::channel::{Outgoing, Publish, PublishFailure};
use crate::connection::{HostConnection, unavailable_or};
use crate::pool::ChannelPool;

/// How many attempts a send makes and how far apart (oslo's retry semantics: `N`
/// means `N` attempts in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// `None`: keep trying until the deadline.
    pub(crate) attempts: Option<u32>,
    pub(crate) delay: Duration,
}

impl RetryPolicy {
    /// The attempts `retry` allows (oslo: `N` attempts in all), `delay` apart.
    pub(crate) fn new(retry: warren_core::Retry, delay: Duration) -> Self {
        Self {
            attempts: retry.max_attempts(),
            delay,
        }
    }
}

/// Which failures a send retries.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryOn {
    pub(crate) unroutable: bool,
    /// Run the declare hook before retrying an unroutable message (notifications
    /// declare their default queue: store and forward).
    pub(crate) declare_when_unroutable: bool,
    pub(crate) nacked: bool,
    pub(crate) connection: bool,
    /// Declare (via the hook) and retry when the exchange does not exist.
    pub(crate) exchange_not_found: bool,
}

/// The deadline-bounded, retrying publish shared by every sender.
pub(crate) struct Send<'a> {
    pub(crate) pool: &'a Addr<ChannelPool>,
    /// Asked why, when an attempt outlives the deadline (a blocked connection).
    pub(crate) connection: &'a Addr<HostConnection>,
    pub(crate) policy: RetryPolicy,
    pub(crate) retry_on: RetryOn,
    /// Give up (with a timeout error) at this instant.
    pub(crate) deadline: Option<Instant>,
    /// Set the `expiration` property to the time left before the deadline.
    pub(crate) expire_with_deadline: bool,
}

impl Send<'_> {
    /// Publish `msg`, retrying per the policy. `declare` runs before the next attempt
    /// when the exchange does not exist (and, if asked, when the message was
    /// unroutable): the sender declares what it needs there. A declaration the broker
    /// refuses until an operator acts ([`Error::TransientQueuesRefused`]) ends the
    /// publish with that error; other declaration failures are the declarer's to log,
    /// and the publish goes on.
    pub(crate) async fn run<F, Fut>(&self, msg: Arc<Outgoing>, declare: F) -> Result<(), Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), Error>>,
    {
        let declare = || async {
            match declare().await {
                Err(e @ Error::TransientQueuesRefused { .. }) => Err(e),
                _ => Ok(()),
            }
        };
        let mut attempt: u32 = 0;
        let started = Instant::now();
        // After a channel error that may have been another message's, this one is
        // sent again on a channel of its own, to learn whether it is the cause.
        let mut alone = false;
        loop {
            attempt += 1;
            if let Some(deadline) = self.deadline
                && Instant::now() >= deadline
            {
                return Err(Error::Timeout {
                    waiting_for: "a publish accepted before the deadline",
                    after: started.elapsed(),
                });
            }
            let mut properties = msg.properties.clone();
            if self.expire_with_deadline
                && let Some(deadline) = self.deadline
            {
                let left = deadline.saturating_duration_since(Instant::now());
                properties = properties.with_expiration(left.as_millis().to_string().into());
            }
            let publish = self.pool.send(Publish {
                message: msg.clone(),
                properties,
                alone,
            });
            // Bounded by the deadline: a blocked or silently dead connection never
            // confirms, and the caller must hear back.
            let outcome = match self.deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline.into(), publish).await {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        let waited = Error::Timeout {
                            waiting_for: "the broker to confirm the publish",
                            after: started.elapsed(),
                        };
                        return Err(unavailable_or(self.connection, waited).await);
                    }
                },
                None => publish.await,
            };
            let failure = match outcome {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(failure)) => failure,
                // The pool restarted with this publish on a channel: send it again.
                Err(_) if self.pool.connected() => PublishFailure::InDoubt(Error::Shutdown),
                // The transport is closed: nothing will send it.
                Err(_) => return Err(Error::Shutdown),
            };
            let retryable = match &failure {
                PublishFailure::Unroutable => {
                    if self.retry_on.declare_when_unroutable {
                        declare().await?;
                    }
                    self.retry_on.unroutable
                }
                PublishFailure::Nacked => self.retry_on.nacked,
                PublishFailure::ExchangeNotFound => {
                    if self.retry_on.exchange_not_found {
                        declare().await?;
                    }
                    self.retry_on.exchange_not_found
                }
                // A channel error fails every publish outstanding on the channel, not
                // only the one that caused it. Once alone, the refusal is this one's.
                PublishFailure::Refused(_) => !std::mem::replace(&mut alone, true),
                // Refused by every host until an operator acts: retrying cannot help.
                PublishFailure::NotSent(Error::ConnectFailed { .. }) => false,
                PublishFailure::NotSent(e @ Error::Timeout { .. }) if self.deadline.is_some() => {
                    // No room in the pool within pool_timeout, for a caller with a
                    // deadline: say why the channels are all busy.
                    return Err(unavailable_or(self.connection, e.clone()).await);
                }
                PublishFailure::NotSent(_) | PublishFailure::InDoubt(_) => self.retry_on.connection,
            };
            let exhausted = self.policy.attempts.is_some_and(|n| attempt >= n);
            if !retryable || exhausted {
                return Err(match failure {
                    PublishFailure::NotSent(e @ Error::Timeout { .. }) => {
                        unavailable_or(self.connection, e).await
                    }
                    other => other.into_error(&msg),
                });
            }
            if matches!(failure, PublishFailure::Refused(_)) {
                // Not the broker's state but which message it refuses: ask at once.
                continue;
            }
            if let Some(deadline) = self.deadline
                && Instant::now() + self.policy.delay >= deadline
            {
                // Waiting again would pass the deadline: report what kept failing.
                return Err(failure.into_error(&msg));
            }
            tokio::time::sleep(self.policy.delay).await;
        }
    }
}
