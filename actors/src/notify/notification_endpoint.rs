//! [`NotificationEndpoint`]: what a listener does with each priority's notifications.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use actix::Recipient;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use warren_core::Priority;

use super::filter::NotificationFilter;
use super::received_notification::{
    Notification, NotificationBatchReceived, NotificationReceived, NotificationResult,
};

pub(crate) type OneHandler =
    Arc<dyn Fn(Notification) -> LocalBoxFuture<'static, NotificationResult> + Send + Sync>;
pub(crate) type BatchHandler =
    Arc<dyn Fn(Vec<Notification>) -> LocalBoxFuture<'static, NotificationResult> + Send + Sync>;

/// Handlers per priority, like an oslo notification endpoint whose methods are named
/// after priorities (`info`, `error`, ...), with an optional [`NotificationFilter`].
///
/// A listener consumes the queues of exactly the priorities its endpoints handle.
///
/// # Examples
///
/// ```
/// use warren::{NotificationEndpoint, NotificationResult, Priority};
///
/// let endpoint = NotificationEndpoint::new().on(Priority::Info, |n| async move {
///     println!("{} from {}", n.event_type, n.publisher_id);
///     NotificationResult::Handled
/// });
/// assert_eq!(endpoint.priorities(), vec![Priority::Info]);
/// ```
#[derive(Clone, Default)]
pub struct NotificationEndpoint {
    pub(crate) one: BTreeMap<&'static str, (Priority, OneHandler)>,
    pub(crate) batch: BTreeMap<&'static str, (Priority, BatchHandler)>,
    pub(crate) filter: Option<NotificationFilter>,
}

impl std::fmt::Debug for NotificationEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationEndpoint")
            .field("priorities", &self.priorities())
            .field("filter", &self.filter)
            .finish()
    }
}

impl NotificationEndpoint {
    /// An endpoint with no handlers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Handle each notification of `priority` with `f`.
    pub fn on<F, Fut>(mut self, priority: Priority, f: F) -> Self
    where
        F: Fn(Notification) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = NotificationResult> + 'static,
    {
        let handler: OneHandler = Arc::new(move |n| f(n).boxed_local());
        self.one.insert(priority.name(), (priority, handler));
        self
    }

    /// Handle every priority with `f`.
    pub fn on_all<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(Notification) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = NotificationResult> + 'static,
    {
        let f = Arc::new(f);
        for priority in Priority::ALL {
            let f = f.clone();
            self = self.on(priority, move |n| f(n));
        }
        self
    }

    /// Handle batches of `priority` with `f` (used by listeners started with a batch
    /// size; a batch holds one priority's notifications).
    pub fn on_batch<F, Fut>(mut self, priority: Priority, f: F) -> Self
    where
        F: Fn(Vec<Notification>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = NotificationResult> + 'static,
    {
        let handler: BatchHandler = Arc::new(move |b| f(b).boxed_local());
        self.batch.insert(priority.name(), (priority, handler));
        self
    }

    /// Deliver each notification of `priority` to an actix actor as a
    /// [`NotificationReceived`] message; its answer is the result. An actor that is
    /// gone counts as `Requeue`.
    pub fn recipient(self, priority: Priority, recipient: Recipient<NotificationReceived>) -> Self {
        self.on(priority, move |n| {
            let r = recipient.clone();
            async move {
                r.send(NotificationReceived(n))
                    .await
                    .unwrap_or(NotificationResult::Requeue)
            }
        })
    }

    /// Deliver each batch of `priority` to an actix actor as a
    /// [`NotificationBatchReceived`] message.
    pub fn batch_recipient(
        self,
        priority: Priority,
        recipient: Recipient<NotificationBatchReceived>,
    ) -> Self {
        self.on_batch(priority, move |b| {
            let r = recipient.clone();
            async move {
                r.send(NotificationBatchReceived(b))
                    .await
                    .unwrap_or(NotificationResult::Requeue)
            }
        })
    }

    /// Only notifications passing `filter` reach this endpoint (others are
    /// acknowledged without calling it, as in oslo).
    pub fn with_filter(mut self, filter: NotificationFilter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// The priorities this endpoint handles, singly or in batches.
    pub fn priorities(&self) -> Vec<Priority> {
        let mut out: Vec<Priority> = self.one.values().map(|(p, _)| *p).collect();
        for (p, _) in self.batch.values() {
            if !out.contains(p) {
                out.push(*p);
            }
        }
        out.sort_by_key(|p| p.name());
        out
    }

    pub(crate) fn accepts(&self, n: &Notification) -> bool {
        self.filter.as_ref().is_none_or(|f| f.accepts(n))
    }
}
