//! [`NotificationBufferActor`]: the transport's notification buffer, behind
//! [`Notifier::buffered`](crate::Notifier::buffered).
//!
//! A buffered notification is accepted at once and handed to the [`NotifierActor`] in
//! the order it came, at most [`PUBLISH_WINDOW`] at a time, each with the notifier's
//! usual retries, store and forward and persistence. While the broker is away they
//! wait there, and new ones pile up here, up to `notification_buffer_size`; then
//! `notification_buffer_overflow` decides: drop the oldest not yet handed over (and
//! count it), or make the caller wait for room. A full buffer is logged once until it
//! drains.
//!
//! Messages handled: [`BufferNotification`], [`FlushNotifications`],
//! [`NotificationBufferStats`].

use std::collections::{BTreeSet, VecDeque};

use actix::prelude::*;
use tokio::sync::oneshot;
use warren_core::BufferOverflow;

use super::buffer_queue::{Admission, BufferQueue};
use super::notifier::{NotifierActor, Notify};
use crate::Error;
use crate::settings::PUBLISH_WINDOW;
use crate::telemetry::FromCaller;

/// What a notification buffer has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotificationBufferCounts {
    /// Notifications accepted and not yet sent or given up: queued, being sent, or
    /// (with `wait`) waiting for room.
    pub buffered: usize,
    /// Notifications the broker confirmed.
    pub sent: u64,
    /// Notifications dropped by a full buffer (`drop_oldest`).
    pub dropped: u64,
    /// Notifications given up after their retries (each logged by the notifier).
    pub failed: u64,
}

/// Buffer one notification: resolves once it is accepted (with `wait`, once there is
/// room), not once it is sent. Sent as a message, a notification waiting for room is
/// accepted even if the sender stopped waiting ([`crate::Notifier::buffered`] does not
/// have that limit).
#[derive(Debug)]
pub struct BufferNotification(pub Notify);

impl Message for BufferNotification {
    type Result = Result<(), Error>;
}

/// Resolves once every notification accepted before it is sent, dropped or given up
/// (later ones are not waited for).
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct FlushNotifications;

/// Ask for the [`NotificationBufferCounts`].
#[derive(Debug, Message)]
#[rtype(result = "NotificationBufferCounts")]
pub struct NotificationBufferStats;

/// See the module docs.
pub struct NotificationBufferActor {
    notifier: Addr<NotifierActor>,
    /// Notifications with their number, in the order accepted.
    queue: BufferQueue<(u64, FromCaller<Notify>)>,
    /// With `wait`: offers that found the buffer full, oldest first, and their callers.
    parked: VecDeque<(FromCaller<Notify>, oneshot::Sender<()>)>,
    /// The number the next accepted notification gets.
    next_number: u64,
    /// The numbers of the accepted notifications not yet sent, dropped or given up.
    outstanding: BTreeSet<u64>,
    /// Flushes, each with the number it waits up to (exclusive).
    flushes: Vec<(u64, oneshot::Sender<()>)>,
    /// Notifications dropped since the buffer was last empty; `Some` once it was full.
    dropped_while_full: Option<u64>,
}

impl NotificationBufferActor {
    pub(crate) fn new(
        notifier: Addr<NotifierActor>,
        capacity: usize,
        overflow: BufferOverflow,
    ) -> Self {
        Self {
            notifier,
            queue: BufferQueue::new(capacity, PUBLISH_WINDOW, overflow),
            parked: VecDeque::new(),
            next_number: 0,
            outstanding: BTreeSet::new(),
            flushes: Vec::new(),
            dropped_while_full: None,
        }
    }

    /// Offer `notification`, numbered if it is accepted; hands it back when the buffer
    /// is full and the policy is to wait.
    fn offer(&mut self, notification: FromCaller<Notify>) -> Option<FromCaller<Notify>> {
        let number = self.next_number;
        match self.queue.offer((number, notification)) {
            Admission::Accepted => {
                self.outstanding.insert(number);
            }
            Admission::AcceptedDropping((dropped, _)) => {
                self.full(1);
                // Dropped: the oldest queued one, or this one when all are being sent.
                if dropped != number {
                    self.outstanding.remove(&dropped);
                    self.outstanding.insert(number);
                }
            }
            Admission::Full((_, back)) => return Some(back),
        }
        self.next_number += 1;
        None
    }

    /// Accept `notification` and say so on `accepted`, or, buffer full with `wait`, park
    /// it until there is room (behind callers already waiting: in the order they came).
    fn accept(
        &mut self,
        notification: FromCaller<Notify>,
        accepted: oneshot::Sender<()>,
        ctx: &mut Context<Self>,
    ) {
        let refused = if self.parked.is_empty() {
            self.offer(notification)
        } else {
            Some(notification)
        };
        match refused {
            Some(notification) => {
                self.full(0);
                self.parked.push_back((notification, accepted));
            }
            None => {
                let _ = accepted.send(());
                self.pump(ctx);
            }
        }
    }

    /// The buffer is full: say so once until it drains.
    fn full(&mut self, dropped: u64) {
        match &mut self.dropped_while_full {
            Some(n) => *n += dropped,
            None => {
                self.dropped_while_full = Some(dropped);
                let capacity = self.queue.capacity();
                match self.queue.overflow() {
                    BufferOverflow::DropOldest => tracing::warn!(
                        capacity,
                        "notification buffer full (the broker is not taking notifications): \
                         dropping the oldest until it does"
                    ),
                    BufferOverflow::Wait => tracing::warn!(
                        capacity,
                        "notification buffer full (the broker is not taking notifications): \
                         callers wait for room"
                    ),
                }
            }
        }
    }

    /// Hand queued notifications to the notifier, up to the window.
    fn pump(&mut self, ctx: &mut Context<Self>) {
        while let Some((number, notification)) = self.queue.next_to_send() {
            let sent = self.notifier.send(notification);
            ctx.spawn(sent.into_actor(self).map(move |result, act, ctx| {
                match result {
                    Ok(Ok(())) => act.queue.finished(true),
                    Ok(Err(e)) => {
                        act.queue.finished(false);
                        // Publish failures are logged by the notifier; what fails
                        // before any publish is logged here, as no caller hears of it.
                        if matches!(e, Error::InvalidTarget { .. } | Error::Wire(_)) {
                            tracing::warn!(error = %e, "buffered notification given up");
                        }
                    }
                    Err(_) => {
                        act.queue.finished(false);
                        tracing::warn!("buffered notification given up: the notifier is gone");
                    }
                }
                act.outstanding.remove(&number);
                act.admit_parked();
                act.pump(ctx);
                act.answer_flushes();
            }));
        }
    }

    /// With `wait`: room freed, take the callers waiting for it, oldest first (a
    /// caller that gave up waiting takes nothing: its notification was never
    /// accepted).
    fn admit_parked(&mut self) {
        while self.queue.has_room() {
            let Some((notification, caller)) = self.parked.pop_front() else {
                break;
            };
            // Tell the caller first: one that gave up takes no room.
            if caller.send(()).is_err() {
                continue;
            }
            if self.offer(notification).is_some() {
                // Cannot happen with room.
                tracing::warn!("a buffered notification found no room after all; dropped");
            }
        }
    }

    /// Answer the flushes whose notifications are all done; say when a buffer that
    /// was full has drained.
    fn answer_flushes(&mut self) {
        let first_outstanding = self.outstanding.first().copied().unwrap_or(u64::MAX);
        let mut i = 0;
        while i < self.flushes.len() {
            if self.flushes[i].0 <= first_outstanding {
                let (_, done) = self.flushes.swap_remove(i);
                let _ = done.send(());
            } else {
                i += 1;
            }
        }
        if self.queue.is_drained()
            && self.parked.is_empty()
            && let Some(dropped) = self.dropped_while_full.take()
        {
            tracing::info!(
                dropped,
                "notification buffer drained: the broker takes notifications again"
            );
        }
    }
}

impl Actor for NotificationBufferActor {
    type Context = Context<Self>;
}

impl Handler<BufferNotification> for NotificationBufferActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: BufferNotification, ctx: &mut Context<Self>) -> Self::Result {
        let (room, accepted) = oneshot::channel();
        self.accept(FromCaller::here(msg.0), room, ctx);
        Box::pin(async move { accepted.await.map_err(|_| Error::Shutdown) })
    }
}

/// What [`crate::Notifier::buffered`] sends: the notification, its caller's span, and
/// where to say it was accepted. The caller holds the receiving end, so a caller that
/// gave up waiting for room is seen as such (with [`BufferNotification`], actix holds
/// it until the answer).
pub(crate) struct AcceptNotification {
    pub(crate) notification: FromCaller<Notify>,
    pub(crate) accepted: oneshot::Sender<()>,
}

impl Message for AcceptNotification {
    type Result = ();
}

impl Handler<AcceptNotification> for NotificationBufferActor {
    type Result = ();

    fn handle(&mut self, msg: AcceptNotification, ctx: &mut Context<Self>) {
        self.accept(msg.notification, msg.accepted, ctx);
    }
}

impl Handler<FlushNotifications> for NotificationBufferActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: FlushNotifications, _ctx: &mut Context<Self>) -> Self::Result {
        let (done, wait) = oneshot::channel();
        self.flushes.push((self.next_number, done));
        self.answer_flushes();
        Box::pin(async move {
            let _ = wait.await;
        })
    }
}

impl Handler<NotificationBufferStats> for NotificationBufferActor {
    type Result = MessageResult<NotificationBufferStats>;

    fn handle(&mut self, _: NotificationBufferStats, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(NotificationBufferCounts {
            buffered: self.queue.len() + self.parked.len(),
            sent: self.queue.sent,
            dropped: self.queue.dropped,
            failed: self.queue.failed,
        })
    }
}
