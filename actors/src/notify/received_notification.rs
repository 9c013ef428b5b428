//! [`Notification`]: a received notification, and what its handler decides.

use actix::{Message, MessageResponse};
use serde::de::DeserializeOwned;
use serde_json::Value;
use warren_core::{Context, NotificationEnvelope, Priority};

use crate::Error;

/// A notification as a listener receives it: oslo's `(ctxt, publisher_id, event_type,
/// payload, metadata)`, with `metadata` as `message_id` and `timestamp`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The level.
    pub priority: Priority,
    /// Who sent it.
    pub publisher_id: String,
    /// What happened, e.g. `compute.instance.create.end`.
    pub event_type: String,
    /// The payload as sent.
    pub payload: Value,
    /// The sender's request context.
    pub context: Context,
    /// The notification's id (a uuid with dashes).
    pub message_id: String,
    /// When it was sent, as Python's `str(datetime.utcnow())`.
    pub timestamp: String,
}

impl Notification {
    /// The payload as your type.
    ///
    /// # Errors
    ///
    /// [`Error::Result`] when the payload does not fit `T`.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.payload.clone()).map_err(|e| Error::Result {
            method: self.event_type.clone(),
            reason: e.to_string(),
        })
    }
}

impl From<NotificationEnvelope> for Notification {
    fn from(e: NotificationEnvelope) -> Self {
        Self {
            priority: e.priority,
            publisher_id: e.publisher_id,
            event_type: e.event_type,
            payload: e.payload,
            context: e.context,
            message_id: e.message_id,
            timestamp: e.timestamp,
        }
    }
}

/// What a handler decided: oslo's `NotificationResult`. An actor's
/// `Handler<NotificationReceived>` can return it directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, MessageResponse)]
pub enum NotificationResult {
    /// Done: acknowledge.
    #[default]
    Handled,
    /// Try again later: requeue when the listener allows it (otherwise acknowledged,
    /// as in oslo). A panicking handler counts as `Requeue`.
    Requeue,
}

impl NotificationResult {
    /// `Requeue` if any of `results` is.
    pub fn combine(results: impl IntoIterator<Item = NotificationResult>) -> Self {
        if results
            .into_iter()
            .any(|r| r == NotificationResult::Requeue)
        {
            NotificationResult::Requeue
        } else {
            NotificationResult::Handled
        }
    }
}

/// Delivered to an actix `Recipient` registered with
/// [`crate::NotificationEndpoint::recipient`].
#[derive(Debug, Clone, Message)]
#[rtype(result = "NotificationResult")]
pub struct NotificationReceived(pub Notification);

/// Delivered to an actix `Recipient` registered with
/// [`crate::NotificationEndpoint::batch_recipient`]: one priority's batch.
#[derive(Debug, Clone, Message)]
#[rtype(result = "NotificationResult")]
pub struct NotificationBatchReceived(pub Vec<Notification>);
