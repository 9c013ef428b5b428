//! [`Lifecycle`]: the consumer skeleton that the RPC server, the notification listener
//! and the reply waiter share.
//!
//! It owns the consumer's [`ChannelActor`] and its phases — setting up, consuming,
//! stopping, stopped — with the `ready()` and `stop()` waiters and the count of
//! messages being handled. Each consumer supplies only what differs: its topology and
//! prefetch, and what to do with a delivery. So set-up, a broker `basic.cancel`, a lost
//! channel, a graceful stop (cancel, finish, close) and a restart behave the same in
//! all three.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use futures_util::StreamExt;
use tokio::sync::oneshot;
use warren_core::Topology;

use crate::Error;
use crate::broker::{BrokerChannel, Delivery};
use crate::channel::{
    CancelConsumers, ChannelActor, ChannelBroken, ChannelSettings, CloseChannel, Consuming,
    RestartChannel, Subscribe,
};
use crate::connection::HostConnection;

/// A delivery as a consumer actor's stream yields it: whether its queue is consumed
/// without acks, and the delivery or the consumer's error.
pub(crate) type Incoming = (bool, Result<Delivery, Error>);

enum Phase {
    SettingUp,
    Consuming {
        tags: Vec<String>,
        channel: BrokerChannel,
    },
    Stopping,
    Stopped,
}

/// See the module docs.
pub(crate) struct Lifecycle {
    channel: Addr<ChannelActor>,
    phase: Phase,
    in_flight: usize,
    ready_waiters: Vec<oneshot::Sender<Result<(), Error>>>,
    stop_waiters: Vec<oneshot::Sender<()>>,
    /// The close reason given to the broker, e.g. "RPC server stopped".
    closing: &'static str,
    failures: SetUpFailures,
}

/// The set-up failures since the consumer last consumed.
#[derive(Debug, Default)]
struct SetUpFailures {
    /// The last failure, shown: the same failure again is not news (logged at debug,
    /// not warn).
    last: Option<String>,
    /// The last set-up failed with [`Error::TransientQueuesRefused`]: each attempt
    /// costs the whole connection, so retry at [`REFUSED_QUEUE_RETRY`] at most.
    refused_transient: bool,
}

impl SetUpFailures {
    /// Record `error`; whether it is news (the first, or another than the last).
    fn failed(&mut self, error: &Error) -> bool {
        self.refused_transient = matches!(error, Error::TransientQueuesRefused { .. });
        let shown = error.to_string();
        let news = self.last.as_ref() != Some(&shown);
        self.last = Some(shown);
        news
    }

    fn retry_delay(&self, reconnect_delay: Duration) -> Duration {
        if self.refused_transient {
            reconnect_delay.max(REFUSED_QUEUE_RETRY)
        } else {
            reconnect_delay
        }
    }
}

/// How often a set-up refused with [`Error::TransientQueuesRefused`] is retried at
/// most: the broker closes the connection on each attempt, failing everything else on
/// it, and only an operator's change can make it succeed.
pub(crate) const REFUSED_QUEUE_RETRY: Duration = Duration::from_secs(10);

impl Lifecycle {
    /// A skeleton with a channel actor of its own on `connection`, started in the
    /// current arbiter (call it from the consumer actor's constructor).
    pub(crate) fn new(
        connection: Addr<HostConnection>,
        reconnect_delay: Duration,
        closing: &'static str,
    ) -> Self {
        let settings = ChannelSettings {
            confirms: false,
            reconnect_delay,
            // A consumer waits for the connection as long as it takes.
            open_timeout: Duration::MAX,
        };
        let channel = Supervisor::start(move |_| ChannelActor::new(connection, settings));
        Self {
            channel,
            phase: Phase::SettingUp,
            in_flight: 0,
            ready_waiters: Vec::new(),
            stop_waiters: Vec::new(),
            closing,
            failures: SetUpFailures::default(),
        }
    }

    pub(crate) fn is_setting_up(&self) -> bool {
        matches!(self.phase, Phase::SettingUp)
    }

    pub(crate) fn is_consuming(&self) -> bool {
        matches!(self.phase, Phase::Consuming { .. })
    }

    /// The channel the consumers consume on while consuming: deliveries are acked
    /// there directly (a delivery's own acker takes a detour through lapin's internal
    /// task, a thread hop more per ack).
    pub(crate) fn consumer_channel(&self) -> Option<&BrokerChannel> {
        match &self.phase {
            Phase::Consuming { channel, .. } => Some(channel),
            _ => None,
        }
    }

    /// Stopping or stopped: new deliveries are handed back, not handled.
    pub(crate) fn is_stopping(&self) -> bool {
        matches!(self.phase, Phase::Stopping | Phase::Stopped)
    }

    /// Declare `topology` and consume its queues with `prefetch` on the channel. The
    /// actor passes the consumers to [`Lifecycle::consuming`], or the error to
    /// [`Lifecycle::set_up_failed`] before restarting.
    pub(crate) fn subscribe(
        &self,
        prefetch: u16,
        topology: Arc<Topology>,
    ) -> impl Future<Output = Result<Vec<Consuming>, Error>> + 'static {
        let request = self.channel.send(Subscribe { prefetch, topology });
        async move { request.await.map_err(|_| Error::Shutdown)? }
    }

    /// Set-up succeeded with `consumers`: start streaming them into the actor. Returns
    /// false (and cancels them) when a stop came meanwhile.
    pub(crate) fn consuming<A>(&mut self, consumers: Vec<Consuming>, ctx: &mut Context<A>) -> bool
    where
        A: Actor<Context = Context<A>> + StreamHandler<Incoming>,
    {
        let tags: Vec<String> = consumers
            .iter()
            .map(|c| c.consumer.tag().to_string())
            .collect();
        if !self.is_setting_up() {
            self.channel.do_send(CancelConsumers(tags));
            return false;
        }
        let Some(channel) = consumers.first().map(|c| c.channel.clone()) else {
            return false;
        };
        for Consuming {
            no_ack, consumer, ..
        } in consumers
        {
            ctx.add_stream(consumer.map(move |d| (no_ack, d)));
        }
        self.phase = Phase::Consuming { tags, channel };
        self.failures = SetUpFailures::default();
        for w in self.ready_waiters.drain(..) {
            let _ = w.send(Ok(()));
        }
        true
    }

    /// Set-up failed with `error`; the actor restarts and tries again. Failures that
    /// repeat until someone acts — a queue that exists with other properties, every
    /// broker host refusing the connection — answer pending `ready()` waiters with the
    /// error instead of leaving them waiting; a later `ready()` waits for the next
    /// attempt. Other failures (a lost connection) pass with retrying.
    ///
    /// Returns whether the failure is news (the first, or another than the last), so
    /// that the actor warns once and not at every retry.
    pub(crate) fn set_up_failed(&mut self, error: &Error) -> bool {
        if matches!(
            error,
            Error::QueueMismatch { .. }
                | Error::ConnectFailed { .. }
                | Error::TransientQueuesRefused { .. }
        ) {
            for w in self.ready_waiters.drain(..) {
                let _ = w.send(Err(error.clone()));
            }
        }
        self.failures.failed(error)
    }

    /// How long to wait before setting up again after a restart: `reconnect_delay`,
    /// or [`REFUSED_QUEUE_RETRY`] after [`Error::TransientQueuesRefused`].
    pub(crate) fn retry_delay(&self, reconnect_delay: Duration) -> Duration {
        self.failures.retry_delay(reconnect_delay)
    }

    /// A consumer failed or ended while consuming (the channel closed, or the broker
    /// cancelled it): returns true when the actor must restart to set up again. The
    /// channel actor is asked to check its channel, so it reopens if that is closed.
    pub(crate) fn consumer_lost(&mut self) -> bool {
        if !self.is_consuming() {
            return false;
        }
        self.phase = Phase::SettingUp;
        self.channel.do_send(ChannelBroken);
        true
    }

    /// Done for good: answer `stop()` waiters, and `ready()` ones with `Shutdown`.
    pub(crate) fn stopped(&mut self) {
        self.phase = Phase::Stopped;
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
        // Dropping the senders answers `ready()` with `Shutdown`.
        self.ready_waiters.clear();
    }

    /// Resolves once consuming, with `Shutdown` when stopped first, or with the error of
    /// a set-up that cannot succeed as things are (see [`Lifecycle::set_up_failed`]).
    pub(crate) fn ready(&mut self) -> ResponseFuture<Result<(), Error>> {
        match self.phase {
            Phase::Consuming { .. } => Box::pin(async { Ok(()) }),
            Phase::Stopping | Phase::Stopped => Box::pin(async { Err(Error::Shutdown) }),
            Phase::SettingUp => {
                let (tx, rx) = oneshot::channel();
                self.ready_waiters.push(tx);
                Box::pin(async move { rx.await.unwrap_or(Err(Error::Shutdown)) })
            }
        }
    }

    /// How many messages are being handled now.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// `n` more messages are being handled.
    pub(crate) fn handling(&mut self, n: usize) {
        self.in_flight += n;
    }

    /// `n` messages are handled; finish a stop if nothing else is pending (`busy`: the
    /// actor still holds messages of its own, such as a batch buffer).
    pub(crate) fn handled(&mut self, n: usize, busy: bool) {
        self.in_flight = self.in_flight.saturating_sub(n);
        self.finish_stop_if_drained(busy);
    }

    /// Start a graceful stop: cancel the consumers, keep the channel to settle what is
    /// in flight, answer pending `ready()` with `Shutdown`.
    pub(crate) fn begin_stop(&mut self) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Stopped) {
            Phase::Consuming { tags, .. } => {
                self.channel.do_send(CancelConsumers(tags));
                Phase::Stopping
            }
            Phase::SettingUp | Phase::Stopping => Phase::Stopping,
            Phase::Stopped => Phase::Stopped,
        };
        self.ready_waiters.clear();
    }

    /// Resolves once stopped: at once when already stopped, otherwise when the last
    /// message in flight is settled (`busy` as for [`Lifecycle::handled`]).
    pub(crate) fn wait_stopped(&mut self, busy: bool) -> ResponseFuture<()> {
        let (tx, rx) = oneshot::channel();
        self.stop_waiters.push(tx);
        if matches!(self.phase, Phase::Stopped) {
            self.stopped();
        } else {
            self.finish_stop_if_drained(busy);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }

    fn finish_stop_if_drained(&mut self, busy: bool) {
        if self.in_flight > 0 || busy {
            return;
        }
        if matches!(self.phase, Phase::Stopping) {
            self.channel.do_send(CloseChannel(self.closing));
            self.stopped();
        }
    }

    /// The actor restarts after a failure: its consumers are gone (the broker returns
    /// unacked messages to their queues). Set up again unless stopping.
    pub(crate) fn restarting(&mut self) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Stopped) {
            Phase::Stopping => Phase::Stopping,
            Phase::Stopped => Phase::Stopped,
            Phase::SettingUp => Phase::SettingUp,
            Phase::Consuming { .. } => {
                // The actor's streams are gone but its consumers still run: reopen the
                // channel so their unacked deliveries go back to the queues.
                self.channel.do_send(RestartChannel);
                Phase::SettingUp
            }
        };
    }

    /// Restart the consumer's channel actor, as a channel error would (fault
    /// injection).
    #[cfg(feature = "fault-injection")]
    pub(crate) fn crash_channel(&self) {
        self.channel.do_send(RestartChannel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(250);

    fn refused() -> Error {
        Error::TransientQueuesRefused {
            queue: "with_ack.t".into(),
            reason: "INTERNAL_ERROR - Feature `transient_nonexcl_queues` is deprecated.".into(),
        }
    }

    #[test]
    fn a_failure_is_news_once_until_it_changes() {
        let mut failures = SetUpFailures::default();
        let lost = Error::ConnectionUnavailable {
            reason: "connection reset".into(),
        };
        assert!(failures.failed(&lost));
        assert!(!failures.failed(&lost));
        assert!(failures.failed(&refused()));
        assert!(!failures.failed(&refused()));
        assert!(failures.failed(&lost));
    }

    #[test]
    fn a_refused_transient_queue_is_retried_slowly_other_failures_at_the_reconnect_delay() {
        let mut failures = SetUpFailures::default();
        assert_eq!(failures.retry_delay(DELAY), DELAY);
        failures.failed(&refused());
        assert_eq!(failures.retry_delay(DELAY), REFUSED_QUEUE_RETRY);
        assert_eq!(
            failures.retry_delay(Duration::from_secs(60)),
            Duration::from_secs(60)
        );
        failures.failed(&Error::Shutdown);
        assert_eq!(failures.retry_delay(DELAY), DELAY);
    }
}
