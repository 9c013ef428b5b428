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

use std::collections::VecDeque;

use actix::prelude::*;
use tokio::sync::oneshot;
use warren_core::BufferOverflow;

use super::buffer_queue::{Admission, BufferQueue};
use super::notifier::{NotifierActor, Notify};
use crate::Error;
use crate::settings::PUBLISH_WINDOW;

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
/// room), not once it is sent.
#[derive(Debug)]
pub struct BufferNotification(pub Notify);

impl Message for BufferNotification {
    type Result = Result<(), Error>;
}

/// Resolves once every notification buffered so far is sent or given up.
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
    queue: BufferQueue<Notify>,
    capacity: usize,
    overflow: BufferOverflow,
    /// With `wait`: offers that found the buffer full, oldest first, and their callers.
    parked: VecDeque<(Notify, oneshot::Sender<()>)>,
    flushes: Vec<oneshot::Sender<()>>,
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
            capacity,
            overflow,
            parked: VecDeque::new(),
            flushes: Vec::new(),
            dropped_while_full: None,
        }
    }

    /// The buffer is full: say so once until it drains.
    fn full(&mut self, dropped: u64) {
        match &mut self.dropped_while_full {
            Some(n) => *n += dropped,
            None => {
                self.dropped_while_full = Some(dropped);
                let capacity = self.capacity;
                match self.overflow {
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
        while let Some(notification) = self.queue.next_to_send() {
            let sent = self.notifier.send(notification);
            ctx.spawn(sent.into_actor(self).map(|result, act, ctx| {
                act.queue.finished(matches!(result, Ok(Ok(()))));
                act.admit_parked();
                act.pump(ctx);
                act.answer_flushes();
            }));
        }
    }

    /// With `wait`: room freed, take the callers waiting for it, oldest first.
    fn admit_parked(&mut self) {
        while self.queue.has_room() {
            let Some((notification, caller)) = self.parked.pop_front() else {
                break;
            };
            if let Admission::Full(back) = self.queue.offer(notification) {
                // Cannot happen with room; keep it first in line all the same.
                self.parked.push_front((back, caller));
                break;
            }
            let _ = caller.send(());
        }
    }

    fn answer_flushes(&mut self) {
        if !self.queue.is_drained() || !self.parked.is_empty() {
            return;
        }
        if let Some(dropped) = self.dropped_while_full.take() {
            tracing::info!(
                dropped,
                "notification buffer drained: the broker takes notifications again"
            );
        }
        for flush in self.flushes.drain(..) {
            let _ = flush.send(());
        }
    }
}

impl Actor for NotificationBufferActor {
    type Context = Context<Self>;
}

impl Handler<BufferNotification> for NotificationBufferActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: BufferNotification, ctx: &mut Context<Self>) -> Self::Result {
        // Behind callers already waiting for room: keep the order they came in.
        let admission = if self.parked.is_empty() {
            self.queue.offer(msg.0)
        } else {
            Admission::Full(msg.0)
        };
        match admission {
            Admission::Accepted => {}
            Admission::AcceptedDropping(_) => self.full(1),
            Admission::Full(notification) => {
                self.full(0);
                let (room, wait) = oneshot::channel();
                self.parked.push_back((notification, room));
                return Box::pin(async move { wait.await.map_err(|_| Error::Shutdown) });
            }
        }
        self.pump(ctx);
        Box::pin(async { Ok(()) })
    }
}

impl Handler<FlushNotifications> for NotificationBufferActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: FlushNotifications, _ctx: &mut Context<Self>) -> Self::Result {
        let (done, wait) = oneshot::channel();
        self.flushes.push(done);
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
