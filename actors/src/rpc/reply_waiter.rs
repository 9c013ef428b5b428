//! [`ReplyWaiter`]: the supervised actor that owns the transport's reply queue.
//!
//! One reply queue per transport, named `reply.<project>.<prog>.<uuid>`, bound to
//! `rpc_reply_exchange` with its own name as the key and `x-expires` =
//! `rpc_queue_expiration`. Callers register a correlation id before publishing
//! ([`ExpectReply`]), and the actor completes their slot when the reply arrives. The
//! queue is consumed without acks (invisible to peers; the Python driver acks each
//! reply on arrival, which costs the broker and the client a frame per call for
//! nothing). A reply nobody waits for (late, after a timeout) is dropped and counted as
//! `unmatched`.
//!
//! Hostile input: a reply without a correlation id, with bad properties, with a body
//! over `max_message_body_size`, or whose body is not a reply (undecodable, not a map,
//! neither `s` nor `e`, a malformed `e`) is dropped (the broker has already forgotten
//! it), logged once (WARN, with its message and correlation ids) and counted as
//! `rejected`. When a call
//! waits for that correlation id, it fails at once with the error ([`Error::Wire`], or
//! the property error) instead of waiting for its timeout.
//!
//! Messages handled: [`ReplyStats`], and the crate's own registration messages.
//!
//! Restart behaviour: when its channel or consumer fails, or the broker cancels the
//! consumer (queue deleted), the actor restarts after `host_connection_reconnect_delay`
//! and declares and consumes the same queue again. Calls waiting for a reply at that
//! moment fail at once with [`Error::ConnectionLost`] rather than wait for their
//! timeout: the reply may have been lost with the queue or the node, and only the
//! caller knows whether calling again is safe. Calls made after the loss wait for the
//! queue to be consumed again.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use futures_util::FutureExt;
use tokio::sync::oneshot;
use warren_core::{RpcReply, rpc_reply_topology};

use crate::Error;
use crate::broker::Delivery;
use crate::channel::Consuming;
use crate::connection::HostConnection;
use crate::delivery::{DeliveryId, decode_delivery, loggable};
use crate::instruments;
use crate::lifecycle::{Incoming, Lifecycle};
use crate::settings::ReplySettings;

/// What a caller gets back: the decoded reply, or why it could not be decoded.
pub(crate) type ReplyOutcome = Result<RpcReply, Error>;

/// The reply queue's actor; see the module docs.
pub struct ReplyWaiter {
    connection: Addr<HostConnection>,
    settings: ReplySettings,
    /// Set up with the first call: until then no channel and no queue.
    lifecycle: Option<Lifecycle>,
    waiting: HashMap<String, oneshot::Sender<ReplyOutcome>>,
    counts: ReplyCounts,
    closed: bool,
}

impl ReplyWaiter {
    pub(crate) fn new(connection: Addr<HostConnection>, settings: ReplySettings) -> Self {
        Self {
            connection,
            settings,
            lifecycle: None,
            waiting: HashMap::new(),
            counts: ReplyCounts::default(),
            closed: false,
        }
    }

    fn set_up(&mut self, ctx: &mut Context<Self>) {
        let Some(lifecycle) = &self.lifecycle else {
            return;
        };
        if !lifecycle.is_setting_up() {
            return;
        }
        let topology = match rpc_reply_topology(
            &self.settings.exchange,
            &self.settings.queue,
            self.settings.expiration,
            self.settings.durable,
        ) {
            Ok(topology) => Arc::new(topology),
            Err(e) => {
                tracing::error!(queue = %self.settings.queue, error = %e, "the reply queue cannot be declared");
                self.close();
                return;
            }
        };
        let subscribe = lifecycle.subscribe(self.settings.prefetch, topology);
        ctx.spawn(
            subscribe
                .into_actor(self)
                .map(|result, act, ctx| act.subscribed(result, ctx)),
        );
    }

    fn subscribed(&mut self, result: Result<Vec<Consuming>, Error>, ctx: &mut Context<Self>) {
        let Some(lifecycle) = &mut self.lifecycle else {
            return;
        };
        match result {
            Ok(consumers) => {
                lifecycle.consuming(consumers, ctx);
            }
            Err(Error::Shutdown) => self.close(),
            Err(e) => {
                if lifecycle.set_up_failed(&e) {
                    tracing::warn!(queue = %self.settings.queue, error = %e, "reply queue set-up failed; retrying");
                } else {
                    tracing::debug!(queue = %self.settings.queue, error = %e, "reply queue set-up failed again; retrying");
                }
                ctx.stop();
            }
        }
    }

    /// The consumer is gone: fail every call waiting for a reply, at once.
    fn lose_pending(&mut self, reason: &str) {
        if self.waiting.is_empty() {
            return;
        }
        tracing::warn!(queue = %self.settings.queue, calls = self.waiting.len(), %reason, "failing the calls waiting for replies");
        instruments::calls_waiting(-(self.waiting.len() as f64));
        for (_, waiter) in self.waiting.drain() {
            let _ = waiter.send(Err(Error::ConnectionLost {
                waiting_for: "the reply",
                reason: reason.to_owned(),
            }));
        }
    }

    /// Stop for good: the transport is closing. Waiting callers get `Shutdown`.
    fn close(&mut self) {
        self.closed = true;
        if let Some(lifecycle) = &mut self.lifecycle {
            lifecycle.begin_stop();
            lifecycle.handled(0, false);
        }
        instruments::calls_waiting(-(self.waiting.len() as f64));
        for (_, waiter) in self.waiting.drain() {
            let _ = waiter.send(Err(Error::Shutdown));
        }
    }

    fn on_delivery(&mut self, delivery: Delivery) {
        self.counts.received += 1;
        let correlation_id = delivery
            .properties
            .correlation_id()
            .as_ref()
            .map(|c| c.to_string());
        let decoded = decode_delivery(&delivery, self.settings.max_body_size, RpcReply::from_body)
            .map(|(_, reply)| reply)
            .map_err(|undecodable| undecodable.error);
        let Some(correlation_id) = correlation_id else {
            let problem = match &decoded {
                Ok(_) => "a reply without correlation_id".to_owned(),
                Err(e) => format!("a reply without correlation_id: {}", loggable(e)),
            };
            self.reject(&delivery, &problem, false);
            return;
        };
        let waiter = self.waiting.remove(&correlation_id);
        if waiter.is_some() {
            instruments::calls_waiting(-1.0);
        }
        match decoded {
            Ok(reply) => {
                // Ack, as the Pika driver does: a reply is only useful to its waiter.
                match waiter {
                    Some(waiter) => {
                        let _ = waiter.send(Ok(reply));
                    }
                    None => {
                        self.counts.unmatched += 1;
                        instruments::unexpected_reply();
                        tracing::debug!(%correlation_id, "dropping a reply nobody waits for (late or duplicate)");
                    }
                }
            }
            Err(e) => {
                self.reject(&delivery, &loggable(&e), waiter.is_some());
                if let Some(waiter) = waiter {
                    let _ = waiter.send(Err(e));
                }
            }
        }
    }

    /// Rejects a reply that is no reply, without requeue; logs and counts it.
    fn reject(&mut self, delivery: &Delivery, problem: &str, fails_a_call: bool) {
        self.counts.rejected += 1;
        instruments::rejected("reply_waiter");
        let id = DeliveryId::of(delivery);
        tracing::warn!(
            queue = %self.settings.queue,
            origin = %id.origin,
            message_id = ?id.message_id,
            correlation_id = ?id.correlation_id,
            size = id.size,
            error = %problem,
            fails_a_call,
            rejected = self.counts.rejected,
            "rejecting a malformed RPC reply"
        );
        // Consumed without acks: the broker has already forgotten it.
    }
}

impl Actor for ReplyWaiter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.counts.restarts > 0 {
            let delay = self
                .lifecycle
                .as_ref()
                .map_or(self.settings.reconnect_delay, |l| {
                    l.retry_delay(self.settings.reconnect_delay)
                });
            ctx.run_later(delay, |act, ctx| act.set_up(ctx));
        }
    }
}

impl Supervised for ReplyWaiter {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.counts.restarts += 1;
        if let Some(lifecycle) = &mut self.lifecycle {
            lifecycle.restarting();
        }
    }
}

impl StreamHandler<Incoming> for ReplyWaiter {
    fn handle(&mut self, (_, item): Incoming, ctx: &mut Context<Self>) {
        match item {
            Ok(delivery) => self.on_delivery(delivery),
            Err(e) => self.consumer_lost(&format!("the reply consumer failed: {e}"), ctx),
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        // The channel closed, or the broker cancelled the consumer (queue deleted):
        // declare and consume again, unless closing.
        self.consumer_lost(
            "the reply queue's consumer ended (channel closed or queue deleted)",
            ctx,
        );
    }
}

impl ReplyWaiter {
    fn consumer_lost(&mut self, reason: &str, ctx: &mut Context<Self>) {
        if self.closed {
            return;
        }
        if self
            .lifecycle
            .as_mut()
            .is_some_and(Lifecycle::consumer_lost)
        {
            tracing::warn!(queue = %self.settings.queue, %reason, "reply consumer lost; re-declaring");
            self.lose_pending(reason);
            ctx.stop();
        }
    }
}

/// Counts of what the reply waiter received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplyCounts {
    /// Deliveries received on the reply queue (including rejected ones).
    pub received: u64,
    /// Deliveries rejected without requeue as no reply: no correlation id, bad
    /// properties, a body over `max_message_body_size`, or a body that is not a reply.
    pub rejected: u64,
    /// Well-formed replies no call waited for (it had timed out, or a duplicate).
    pub unmatched: u64,
    /// Times the reply waiter re-declared and re-consumed its queue after a failure.
    pub restarts: u64,
}

/// Ask the reply waiter for its [`ReplyCounts`].
#[derive(Debug, Message)]
#[rtype(result = "ReplyCounts")]
pub struct ReplyStats;

impl Handler<ReplyStats> for ReplyWaiter {
    type Result = MessageResult<ReplyStats>;

    fn handle(&mut self, _: ReplyStats, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(self.counts)
    }
}

/// Register `correlation_id` before publishing a call; resolves once the reply queue
/// is consumed, with the queue name for `reply_to` and the slot the reply will fill.
pub(crate) struct ExpectReply {
    pub(crate) correlation_id: String,
}

/// A registered call's reply address and slot.
pub(crate) struct ReplySlot {
    pub(crate) reply_to: String,
    pub(crate) reply: oneshot::Receiver<ReplyOutcome>,
}

impl Message for ExpectReply {
    type Result = Result<ReplySlot, Error>;
}

impl Handler<ExpectReply> for ReplyWaiter {
    // Answered at once while the queue is consumed (no task spawned per call).
    type Result = Response<Result<ReplySlot, Error>>;

    fn handle(&mut self, msg: ExpectReply, ctx: &mut Context<Self>) -> Self::Result {
        if self.closed {
            return Response::reply(Err(Error::Shutdown));
        }
        let (tx, rx) = oneshot::channel();
        if self.waiting.insert(msg.correlation_id, tx).is_none() {
            instruments::calls_waiting(1.0);
        }
        let slot = ReplySlot {
            reply_to: self.settings.queue.clone(),
            reply: rx,
        };
        let lifecycle = match &mut self.lifecycle {
            Some(lifecycle) => lifecycle,
            None => {
                // The first call: declare the reply queue now, as the Pika driver does.
                let lifecycle = Lifecycle::new(
                    self.connection.clone(),
                    self.settings.reconnect_delay,
                    "reply waiter closed",
                );
                self.lifecycle = Some(lifecycle);
                self.set_up(ctx);
                self.lifecycle.as_mut().expect("just set")
            }
        };
        if lifecycle.is_consuming() {
            return Response::reply(Ok(slot));
        }
        Response::fut(lifecycle.ready().map(move |r| r.map(|()| slot)))
    }
}

/// Stop waiting for `correlation_id` (the caller timed out or failed to publish).
pub(crate) struct ForgetReply {
    pub(crate) correlation_id: String,
}

impl Message for ForgetReply {
    type Result = ();
}

impl Handler<ForgetReply> for ReplyWaiter {
    type Result = ();

    fn handle(&mut self, msg: ForgetReply, _ctx: &mut Context<Self>) {
        if self.waiting.remove(&msg.correlation_id).is_some() {
            instruments::calls_waiting(-1.0);
        }
    }
}

/// Stop for good before the transport's connection closes.
pub(crate) struct CloseReplyWaiter;

impl Message for CloseReplyWaiter {
    type Result = ();
}

impl Handler<CloseReplyWaiter> for ReplyWaiter {
    type Result = ();

    fn handle(&mut self, _: CloseReplyWaiter, _ctx: &mut Context<Self>) {
        self.close();
    }
}

/// A failure injected by tests: the consumer's channel restarts as after a channel
/// error.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::CrashChannels> for ReplyWaiter {
    type Result = ();

    fn handle(&mut self, _: crate::fault::CrashChannels, _ctx: &mut Context<Self>) {
        if let Some(lifecycle) = &self.lifecycle {
            lifecycle.crash_channel();
        }
    }
}
