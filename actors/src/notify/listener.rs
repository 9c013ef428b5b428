//! [`NotificationListenerActor`]: the supervised actor consuming notifications.
//!
//! It declares, for every (topic, priority) pair its endpoints handle, the queue
//! `<topic>.<priority>` — or one shared `<pool>` queue bound once per pair — on the
//! notification exchange (durable with `notification_persistence`, no `x-expires`;
//! quorum queues, always durable, with `quorum_queues`), and consumes with manual acks
//! and `notification_listener_prefetch_count`. Each notification is acked only after
//! its handlers ran (or requeued when they ask and the listener allows it), so a crash
//! before handling loses nothing. A message that cannot be decoded (bad headers or
//! content type, a body over `max_message_body_size`, an undecodable or too deeply
//! nested body, one that is not a map, a missing or mistyped field, an unknown
//! priority) is rejected without requeue, logged once (WARN, with its message id and
//! size) and counted; the listener goes on.
//!
//! With a batch size, notifications are buffered (at most the prefetch count) and
//! handed over per priority when the batch is full or `batch_timeout` after its first
//! message.
//!
//! Messages handled: [`ListenerReady`], [`StopListener`] (stop consuming, finish and
//! settle what is buffered or in progress, close), [`ListenerStats`].
//!
//! Restart behaviour: a failed channel or consumer, or a broker `basic.cancel` (queue
//! deleted), restarts the actor after `host_connection_reconnect_delay`; it declares
//! and consumes again. Buffered, unsettled messages are dropped from the buffer: the
//! broker redelivers them (at least once; handlers may see duplicates).

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use tracing::{Instrument, Span};
use warren_core::{NotificationEnvelope, Topology};

use super::notification_dispatch::{dispatch_batch, dispatch_one, settle};
use super::notification_endpoint::NotificationEndpoint;
use super::received_notification::{Notification, NotificationResult};
use crate::Error;
use crate::broker::{Acker, Delivery};
use crate::channel::Consuming;
use crate::connection::{BrokerAt, BrokerMoved, HostConnection};
use crate::delivery::{DeliveryId, decode_delivery, loggable, reject_without_requeue};
use crate::instruments;
use crate::lifecycle::{Incoming, Lifecycle};
use crate::settings::ListenerSettings;
use crate::{telemetry, trace_context};

/// How a batch listener groups notifications.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchSpec {
    pub(crate) size: usize,
    pub(crate) timeout: Option<Duration>,
}

/// The notification listener actor; see the module docs.
pub struct NotificationListenerActor {
    settings: ListenerSettings,
    topology: Arc<Topology>,
    endpoints: Rc<Vec<NotificationEndpoint>>,
    allow_requeue: bool,
    batch: Option<BatchSpec>,
    lifecycle: Lifecycle,
    buffer: Vec<(Notification, Acker)>,
    flush_timer: Option<SpawnHandle>,
    restarts: u64,
    received: u64,
    rejected: u64,
    /// Where the connection is, for the spans.
    broker: Option<BrokerAt>,
}

impl NotificationListenerActor {
    pub(crate) fn new(
        settings: ListenerSettings,
        connection: Addr<HostConnection>,
        topology: Topology,
        endpoints: Vec<NotificationEndpoint>,
        allow_requeue: bool,
        batch: Option<BatchSpec>,
    ) -> Self {
        let lifecycle = Lifecycle::new(connection, settings.reconnect_delay, "listener stopped");
        Self {
            settings,
            topology: Arc::new(topology),
            endpoints: Rc::new(endpoints),
            allow_requeue,
            batch,
            lifecycle,
            buffer: Vec::new(),
            flush_timer: None,
            restarts: 0,
            received: 0,
            rejected: 0,
            broker: None,
        }
    }

    fn set_up(&mut self, ctx: &mut Context<Self>) {
        if !self.lifecycle.is_setting_up() {
            return;
        }
        let subscribe = self
            .lifecycle
            .subscribe(self.settings.prefetch, self.topology.clone());
        ctx.spawn(
            subscribe
                .into_actor(self)
                .map(|result, act, ctx| act.subscribed(result, ctx)),
        );
    }

    fn subscribed(&mut self, result: Result<Vec<Consuming>, Error>, ctx: &mut Context<Self>) {
        match result {
            // False when stopped while setting up.
            Ok(consumers) => {
                self.lifecycle.consuming(consumers, ctx);
            }
            Err(Error::Shutdown) => self.lifecycle.stopped(),
            Err(e) => {
                if self.lifecycle.set_up_failed(&e) {
                    tracing::warn!(error = %e, "notification listener set-up failed; retrying");
                } else {
                    tracing::debug!(error = %e, "notification listener set-up failed again; retrying");
                }
                ctx.stop();
            }
        }
    }

    fn on_delivery(&mut self, delivery: Delivery, ctx: &mut Context<Self>) {
        if self.lifecycle.is_stopping() {
            // Stopping: give it back for another listener.
            instruments::requeued("notification_listener");
            let acker = delivery.acker.clone();
            actix::spawn(async move {
                let _ = acker.nack(true).await;
            });
            return;
        }
        self.received += 1;
        instruments::consumed("notification_listener", delivery.exchange.as_str());
        let limit = self.settings.max_body_size;
        let notification = match decode_delivery(&delivery, limit, NotificationEnvelope::from_body)
        {
            Ok((_, envelope)) => Notification::from(envelope),
            Err(undecodable) => {
                let error = undecodable.error;
                self.rejected += 1;
                instruments::rejected("notification_listener");
                let id = DeliveryId::of(&delivery);
                tracing::warn!(
                        origin = %id.origin,
                message_id = ?id.message_id,
                        size = id.size,
                        error = %loggable(&error),
                        rejected = self.rejected,
                        "rejecting an undecodable notification"
                    );
                reject_without_requeue(&delivery);
                return;
            }
        };
        let acker = delivery.acker.clone();
        match self.batch {
            None => {
                self.lifecycle.handling(1);
                let endpoints = self.endpoints.clone();
                let allow_requeue = self.allow_requeue;
                let me = ctx.address();
                let span = process_span(&delivery, &notification, self.broker.as_ref());
                let metered = instruments::enabled().then(|| delivery.exchange.as_str().to_owned());
                let started = std::time::Instant::now();
                actix::spawn(
                    async move {
                        let result = dispatch_one(endpoints, notification).await;
                        settle(&acker, result, allow_requeue).await;
                        if let Some(exchange) = &metered {
                            let requeued = result == NotificationResult::Requeue && allow_requeue;
                            instruments::processed(
                                "notification_listener",
                                exchange,
                                started.elapsed(),
                                requeued.then_some("Requeue"),
                            );
                        }
                        me.do_send(HandlingDone(1));
                    }
                    .instrument(span),
                );
            }
            Some(spec) => {
                self.buffer.push((notification, acker));
                if self.buffer.len() >= spec.size {
                    self.flush(ctx);
                } else if self.buffer.len() == 1
                    && let Some(timeout) = spec.timeout
                {
                    self.flush_timer = Some(ctx.run_later(timeout, |act, ctx| act.flush(ctx)));
                }
            }
        }
    }

    /// Hand the buffered notifications over, one batch per priority.
    fn flush(&mut self, ctx: &mut Context<Self>) {
        if let Some(timer) = self.flush_timer.take() {
            ctx.cancel_future(timer);
        }
        if self.buffer.is_empty() {
            return;
        }
        let mut groups: BTreeMap<&'static str, Vec<(Notification, Acker)>> = BTreeMap::new();
        for (n, acker) in self.buffer.drain(..) {
            groups
                .entry(n.priority.name())
                .or_default()
                .push((n, acker));
        }
        for (_, group) in groups {
            self.lifecycle.handling(1);
            let endpoints = self.endpoints.clone();
            let allow_requeue = self.allow_requeue;
            let me = ctx.address();
            actix::spawn(async move {
                let (batch, ackers): (Vec<Notification>, Vec<Acker>) = group.into_iter().unzip();
                let result = dispatch_batch(endpoints, batch).await;
                for acker in &ackers {
                    settle(acker, result, allow_requeue).await;
                }
                me.do_send(HandlingDone(1));
            });
        }
    }
}

/// The `process` span of a notification (see [`crate::telemetry`]).
fn process_span(
    delivery: &Delivery,
    notification: &Notification,
    broker: Option<&BrokerAt>,
) -> Span {
    let span = telemetry::process_span(
        delivery.exchange.as_str(),
        delivery.routing_key.as_str(),
        delivery.data.len(),
        broker,
    );
    if !span.is_disabled() {
        span.record("messaging.message.id", notification.message_id.as_str());
        span.record("oslo.event_type", notification.event_type.as_str());
        span.record("oslo.priority", notification.priority.name());
    }
    trace_context::parent(&span, &delivery.properties);
    span
}

impl Handler<BrokerMoved> for NotificationListenerActor {
    type Result = ();

    fn handle(&mut self, moved: BrokerMoved, _ctx: &mut Context<Self>) {
        self.broker = moved.0;
    }
}

impl Actor for NotificationListenerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.restarts == 0 {
            self.set_up(ctx);
        } else if self.lifecycle.is_setting_up() {
            let delay = self.lifecycle.retry_delay(self.settings.reconnect_delay);
            ctx.run_later(delay, |act, ctx| act.set_up(ctx));
        }
    }
}

impl Supervised for NotificationListenerActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        // Their delivery tags died with the channel; the broker redelivers them.
        self.buffer.clear();
        self.flush_timer = None;
        self.lifecycle.restarting();
    }
}

impl StreamHandler<Incoming> for NotificationListenerActor {
    fn handle(&mut self, (_, item): Incoming, ctx: &mut Context<Self>) {
        match item {
            Ok(delivery) => self.on_delivery(delivery, ctx),
            Err(e) => {
                if self.lifecycle.consumer_lost() {
                    tracing::warn!(error = %e, "notification consumer failed; restarting");
                    ctx.stop();
                }
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        if self.lifecycle.consumer_lost() {
            tracing::warn!(
                "notification consumer ended (queue deleted or channel closed); re-declaring"
            );
            ctx.stop();
        }
    }
}

struct HandlingDone(usize);

impl Message for HandlingDone {
    type Result = ();
}

impl Handler<HandlingDone> for NotificationListenerActor {
    type Result = ();

    fn handle(&mut self, msg: HandlingDone, _ctx: &mut Context<Self>) {
        let busy = !self.buffer.is_empty();
        self.lifecycle.handled(msg.0, busy);
    }
}

/// Resolves once the listener consumes its queues, or with [`Error::QueueMismatch`]
/// when the broker refuses to declare one of them (the listener keeps trying).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), Error>")]
pub struct ListenerReady;

impl Handler<ListenerReady> for NotificationListenerActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, _: ListenerReady, _ctx: &mut Context<Self>) -> Self::Result {
        self.lifecycle.ready()
    }
}

/// Counts of what a listener received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListenerCounts {
    /// Deliveries received (including rejected ones).
    pub received: u64,
    /// Deliveries rejected without requeue: bad properties, a body over
    /// `max_message_body_size`, or a body that is not a notification.
    pub rejected: u64,
    /// Times the listener re-declared and re-consumed after a failure.
    pub restarts: u64,
    /// Notifications being handled now, and not yet acknowledged (a batch counts
    /// once), plus those buffered for the next batch.
    pub in_flight: usize,
}

/// Ask a listener for its [`ListenerCounts`].
#[derive(Debug, Message)]
#[rtype(result = "ListenerCounts")]
pub struct ListenerStats;

impl Handler<ListenerStats> for NotificationListenerActor {
    type Result = MessageResult<ListenerStats>;

    fn handle(&mut self, _: ListenerStats, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(ListenerCounts {
            received: self.received,
            rejected: self.rejected,
            restarts: self.restarts,
            in_flight: self.lifecycle.in_flight() + self.buffer.len(),
        })
    }
}

/// Stop gracefully: stop consuming, hand over and settle what is buffered or being
/// handled, then close the channel. Resolves when done.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopListener;

impl Handler<StopListener> for NotificationListenerActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StopListener, ctx: &mut Context<Self>) -> Self::Result {
        self.lifecycle.begin_stop();
        // Hand over what is buffered; the stop completes once it is settled.
        self.flush(ctx);
        self.lifecycle.wait_stopped(!self.buffer.is_empty())
    }
}

/// A failure injected by tests: the consumer's channel restarts as after a channel
/// error.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::CrashChannels> for NotificationListenerActor {
    type Result = ();

    fn handle(&mut self, _: crate::fault::CrashChannels, _ctx: &mut Context<Self>) {
        self.lifecycle.crash_channel();
    }
}
