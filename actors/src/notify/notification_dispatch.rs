//! Calling the endpoints for one notification or one priority's batch, and settling
//! the deliveries (ack or requeue) afterwards.

use crate::broker::Acker;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, join_all};

use super::notification_endpoint::NotificationEndpoint;
use super::received_notification::{Notification, NotificationResult};

/// Call a handler, with a panic — while building its future or while running it —
/// counted as `Requeue`.
async fn guarded(
    call: impl FnOnce() -> LocalBoxFuture<'static, NotificationResult>,
) -> NotificationResult {
    let panicked = || {
        tracing::error!("a notification handler panicked; counting it as requeue");
        NotificationResult::Requeue
    };
    match std::panic::catch_unwind(AssertUnwindSafe(call)) {
        Ok(fut) => AssertUnwindSafe(fut)
            .catch_unwind()
            .await
            .unwrap_or_else(|_| panicked()),
        Err(_) => panicked(),
    }
}

/// Run every endpoint that handles `n`'s priority and accepts it.
pub(crate) async fn dispatch_one(
    endpoints: Rc<Vec<NotificationEndpoint>>,
    n: Notification,
) -> NotificationResult {
    let calls: Vec<_> = endpoints
        .iter()
        .filter(|e| e.accepts(&n))
        .filter_map(|e| e.one.get(n.priority.name()))
        .map(|(_, handler)| guarded(|| handler(n.clone())))
        .collect();
    NotificationResult::combine(join_all(calls).await)
}

/// Run every endpoint for one priority's batch: batch handlers get the accepted
/// notifications at once, single handlers one by one.
pub(crate) async fn dispatch_batch(
    endpoints: Rc<Vec<NotificationEndpoint>>,
    batch: Vec<Notification>,
) -> NotificationResult {
    let Some(priority) = batch.first().map(|n| n.priority) else {
        return NotificationResult::Handled;
    };
    let mut results = Vec::new();
    for endpoint in endpoints.iter() {
        let accepted: Vec<Notification> = batch
            .iter()
            .filter(|n| endpoint.accepts(n))
            .cloned()
            .collect();
        if accepted.is_empty() {
            continue;
        }
        if let Some((_, handler)) = endpoint.batch.get(priority.name()) {
            results.push(guarded(|| handler(accepted)).await);
        } else if let Some((_, handler)) = endpoint.one.get(priority.name()) {
            for n in accepted {
                results.push(guarded(|| handler(n)).await);
            }
        }
    }
    NotificationResult::combine(results)
}

/// Ack, or requeue when the result asks for it and the listener allows it (oslo's
/// rule: without `allow_requeue`, a requeue result is acknowledged).
pub(crate) async fn settle(acker: &Acker, result: NotificationResult, allow_requeue: bool) {
    let outcome = if result == NotificationResult::Requeue && allow_requeue {
        crate::instruments::requeued("notification_listener");
        acker.nack(true).await
    } else {
        acker.ack().await
    };
    if let Err(e) = outcome {
        // The channel is gone: the broker redelivers the message to a consumer.
        tracing::debug!(error = %e, "could not settle a notification; it will be redelivered");
    }
}
