//! Publishing one message with a publisher confirm, and the retry loop around it.
//!
//! Every warren publish is confirmed, as in the Pika driver: the sender learns whether
//! the broker took the message (`basic.ack`), refused it (`basic.nack`), or could not
//! route a mandatory message (`basic.return` then `basic.ack`).

use std::time::{Duration, Instant};

use actix::Addr;
use lapin::BasicProperties;
use lapin::options::BasicPublishOptions;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};

use crate::Error;
use crate::connection::{HostConnection, unavailable_or};
use crate::pool::{AcquireChannel, ChannelPool, ReleaseChannel};

/// A message ready to publish.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) exchange: String,
    pub(crate) routing_key: String,
    pub(crate) mandatory: bool,
    pub(crate) body: Vec<u8>,
    pub(crate) properties: BasicProperties,
}

/// Why one publish attempt did not end in a plain `basic.ack`.
#[derive(Debug, Clone)]
pub(crate) enum PublishFailure {
    /// Mandatory and unroutable: no queue is bound for the routing key.
    Unroutable,
    /// The broker answered `basic.nack`.
    Nacked,
    /// The exchange does not exist (the broker closed the channel with 404).
    ExchangeNotFound,
    /// The broker closed the channel over this message (a channel error other than a
    /// missing exchange, such as `406 PRECONDITION_FAILED` for a message above its
    /// `max_message_size`): sending it again would fail the same way.
    Refused(Error),
    /// The channel or connection failed.
    Connection(Error),
}

impl PublishFailure {
    /// Whether the channel is still usable after this failure.
    fn channel_survives(&self) -> bool {
        matches!(self, PublishFailure::Unroutable | PublishFailure::Nacked)
    }

    fn into_error(self, msg: &Outgoing) -> Error {
        match self {
            PublishFailure::Unroutable | PublishFailure::ExchangeNotFound => Error::Undeliverable {
                exchange: msg.exchange.clone(),
                routing_key: msg.routing_key.clone(),
            },
            PublishFailure::Nacked => Error::Rejected {
                exchange: msg.exchange.clone(),
                routing_key: msg.routing_key.clone(),
            },
            PublishFailure::Refused(e) | PublishFailure::Connection(e) => e,
        }
    }
}

/// Publish `msg` with `properties` (this attempt's, in place of `msg.properties`) on
/// `channel` and wait for the broker's confirm. Taking the properties apart spares
/// copying the body on every attempt.
pub(crate) async fn publish_confirmed(
    channel: &lapin::Channel,
    msg: &Outgoing,
    properties: BasicProperties,
) -> Result<(), PublishFailure> {
    let options = BasicPublishOptions {
        mandatory: msg.mandatory,
        immediate: false,
    };
    let confirm = channel
        .basic_publish(
            msg.exchange.as_str().into(),
            msg.routing_key.as_str().into(),
            options,
            &msg.body,
            properties,
        )
        .await
        .map_err(|e| PublishFailure::Connection(Error::from_lapin("basic.publish", &e)))?;
    match confirm.await {
        // An unroutable mandatory message comes back *and* is acked: check the return.
        Ok(lapin::Confirmation::Ack(Some(_returned))) => Err(PublishFailure::Unroutable),
        Ok(lapin::Confirmation::Ack(None)) | Ok(lapin::Confirmation::NotRequested) => Ok(()),
        Ok(lapin::Confirmation::Nack(_)) => Err(PublishFailure::Nacked),
        Err(e) => Err(classify(&e)),
    }
}

fn classify(error: &lapin::Error) -> PublishFailure {
    if let lapin::ErrorKind::ProtocolError(amqp) = error.kind() {
        match amqp.kind() {
            AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND) => {
                return PublishFailure::ExchangeNotFound;
            }
            AMQPErrorKind::Soft(_) => {
                return PublishFailure::Refused(Error::from_lapin("basic.publish", error));
            }
            AMQPErrorKind::Hard(_) => {}
        }
    }
    PublishFailure::Connection(Error::from_lapin("basic.publish", error))
}

/// How many attempts a send makes and how far apart (oslo's retry semantics: `N`
/// means `N` attempts in all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// `None`: keep trying until the deadline.
    pub(crate) attempts: Option<u32>,
    pub(crate) delay: Duration,
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
    pub(crate) pool_timeout: Duration,
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
    /// unroutable): the sender declares what it needs there.
    pub(crate) async fn run<F, Fut>(&self, msg: &Outgoing, declare: F) -> Result<(), Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let mut attempt: u32 = 0;
        let started = Instant::now();
        loop {
            attempt += 1;
            let remaining = match self.deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Err(Error::Timeout {
                            waiting_for: "a publish accepted before the deadline",
                            after: started.elapsed(),
                        });
                    }
                    Some(deadline - now)
                }
                None => None,
            };
            let acquire_timeout = remaining.map_or(self.pool_timeout, |r| r.min(self.pool_timeout));
            let lease = self
                .pool
                .send(AcquireChannel {
                    timeout: acquire_timeout,
                })
                .await
                .map_err(|_| Error::Shutdown)?;
            let failure = match lease {
                Ok(lease) => {
                    let mut properties = msg.properties.clone();
                    if self.expire_with_deadline
                        && let Some(deadline) = self.deadline
                    {
                        let left = deadline.saturating_duration_since(Instant::now());
                        properties =
                            properties.with_expiration(left.as_millis().to_string().into());
                    }
                    let attempt = publish_confirmed(&lease.channel, msg, properties);
                    // The confirm is bounded by the deadline too: a blocked or silently
                    // dead connection never answers, and the caller must hear back.
                    let result = match self.deadline {
                        Some(deadline) => tokio::time::timeout_at(deadline.into(), attempt).await,
                        None => Ok(attempt.await),
                    };
                    let healthy = match &result {
                        Ok(Ok(())) => true,
                        Ok(Err(f)) => f.channel_survives(),
                        // A confirm is still owed on this channel: never lend it again.
                        Err(_) => false,
                    };
                    self.pool.do_send(ReleaseChannel { lease, healthy });
                    match result {
                        Ok(Ok(())) => return Ok(()),
                        Ok(Err(f)) => f,
                        Err(_) => {
                            let waited = Error::Timeout {
                                waiting_for: "the broker to confirm the publish",
                                after: started.elapsed(),
                            };
                            return Err(unavailable_or(self.connection, waited).await);
                        }
                    }
                }
                Err(e @ Error::Timeout { .. }) if self.deadline.is_some() => {
                    // The deadline, not the pool, is the caller's limit when it is nearer.
                    return Err(e);
                }
                Err(e) => PublishFailure::Connection(e),
            };
            let retryable = match &failure {
                PublishFailure::Unroutable => {
                    if self.retry_on.declare_when_unroutable {
                        declare().await;
                    }
                    self.retry_on.unroutable
                }
                PublishFailure::Nacked => self.retry_on.nacked,
                PublishFailure::ExchangeNotFound => {
                    if self.retry_on.exchange_not_found {
                        declare().await;
                    }
                    self.retry_on.exchange_not_found
                }
                PublishFailure::Refused(_) => false,
                // Refused by every host until an operator acts: retrying cannot help.
                PublishFailure::Connection(Error::ConnectFailed { .. }) => false,
                PublishFailure::Connection(_) => self.retry_on.connection,
            };
            let exhausted = self.policy.attempts.is_some_and(|n| attempt >= n);
            if !retryable || exhausted {
                return Err(failure.into_error(msg));
            }
            if let Some(deadline) = self.deadline
                && Instant::now() + self.policy.delay >= deadline
            {
                // Waiting again would pass the deadline: report what kept failing.
                return Err(failure.into_error(msg));
            }
            tokio::time::sleep(self.policy.delay).await;
        }
    }
}
