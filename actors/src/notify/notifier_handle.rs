//! [`Notifier`]: a typed handle over the [`NotifierActor`]'s [`Notify`] message, or,
//! buffered, over the [`NotificationBufferActor`].

use actix::Addr;
use serde::Serialize;
use warren_core::{Context, Priority, Retry};

use super::notification_buffer::{
    AcceptNotification, FlushNotifications, NotificationBufferActor, NotificationBufferCounts,
    NotificationBufferStats,
};
use super::notifier::{NotifierActor, Notify};
use crate::Error;
use crate::telemetry::FromCaller;

/// Publishes notifications as one publisher, like oslo.messaging's `Notifier`; cheap
/// to clone.
///
/// Each method publishes one notification per topic and returns once the broker has
/// confirmed it (stored in a queue). With the default retry (`-1`) a notification is
/// retried until stored: during a broker outage the call waits for the reconnect.
///
/// A [`buffered`](Notifier::buffered) notifier never waits for the broker, as oslo's
/// notifier: each method returns once the notification is in the transport's
/// notification buffer, which sends them in order, with the same retries, once the
/// broker takes them; [`Notifier::flush`] waits for that.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
/// use serde::Serialize;
/// use warren::Context;
///
/// #[derive(Serialize)]
/// struct Created { instance_id: String }
///
/// let notifier = transport.notifier("compute.host1");
/// notifier
///     .info(&Context::new(), "compute.instance.create.end", &Created { instance_id: "i-1".into() })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Notifier {
    actor: Addr<NotifierActor>,
    buffer: Addr<NotificationBufferActor>,
    /// Hand notifications to the buffer instead of waiting for their confirms.
    buffered: bool,
    publisher_id: String,
    topics: Vec<String>,
    exchange: Option<String>,
    retry: Option<Retry>,
}

impl Notifier {
    pub(crate) fn new(
        actor: Addr<NotifierActor>,
        buffer: Addr<NotificationBufferActor>,
        publisher_id: String,
    ) -> Self {
        Self {
            actor,
            buffer,
            buffered: false,
            publisher_id,
            topics: Vec::new(),
            exchange: None,
            retry: None,
        }
    }

    /// The same notifier as another publisher.
    pub fn with_publisher_id(&self, publisher_id: impl Into<String>) -> Self {
        let mut n = self.clone();
        n.publisher_id = publisher_id.into();
        n
    }

    /// The same notifier on these topics instead of the configured ones.
    pub fn with_topics<S: Into<String>>(&self, topics: impl IntoIterator<Item = S>) -> Self {
        let mut n = self.clone();
        n.topics = topics.into_iter().map(Into::into).collect();
        n
    }

    /// The same notifier on another exchange.
    pub fn with_exchange(&self, exchange: impl Into<String>) -> Self {
        let mut n = self.clone();
        n.exchange = Some(exchange.into());
        n
    }

    /// The same notifier with another retry policy (default:
    /// `[oslo_messaging_notifications] retry`).
    pub fn with_retry(&self, retry: Retry) -> Self {
        let mut n = self.clone();
        n.retry = Some(retry);
        n
    }

    /// The same notifier, buffered: its methods return once the notification is in
    /// the transport's notification buffer, not once the broker has it, so they do not
    /// wait during a broker outage. The buffer (shared by the transport's buffered
    /// notifiers) holds `notification_buffer_size` notifications queued or being sent
    /// (default 10000); when it is full, `notification_buffer_overflow` drops the
    /// oldest not yet handed to the broker and counts it (`drop_oldest`, the default)
    /// or makes the caller wait for room (`wait`). Notifications are handed over in
    /// the order they were buffered; one whose publish is lost with its connection is
    /// sent again and may then arrive after later ones. A full buffer is logged once
    /// until it drains; a notification given up after its retries is logged and
    /// counted as `failed`. What is still buffered when the transport closes is lost:
    /// [`Notifier::flush`] first.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
    /// use std::time::Duration;
    /// use warren::Context;
    ///
    /// let notifier = transport.notifier("compute.host1").buffered();
    /// // Returns at once, even while the broker is away.
    /// notifier.info(&Context::new(), "compute.instance.create.end", &"i-1").await?;
    /// // Before closing: let the buffer drain, for at most 10 s.
    /// let _ = tokio::time::timeout(Duration::from_secs(10), notifier.flush()).await;
    /// transport.close().await;
    /// # Ok(()) }
    /// ```
    pub fn buffered(&self) -> Self {
        let mut n = self.clone();
        n.buffered = true;
        n
    }

    /// Resolves once every notification buffered so far on this transport (by any
    /// [`buffered`](Notifier::buffered) notifier) is sent or given up. Bound it with a
    /// timeout: during an outage it waits for the broker.
    pub async fn flush(&self) {
        let _ = self.buffer.send(FlushNotifications).await;
    }

    /// What the transport's notification buffer has done so far (zeros once the
    /// transport is closed).
    pub async fn buffer_counts(&self) -> NotificationBufferCounts {
        self.buffer
            .send(NotificationBufferStats)
            .await
            .unwrap_or_default()
    }

    /// Publish a notification of `priority`.
    ///
    /// # Errors
    ///
    /// [`Error::Arguments`] when the payload cannot be serialized. Not buffered: after
    /// the retries, [`Error::Undeliverable`], [`Error::Rejected`] or a connection
    /// error. Buffered: [`Error::Shutdown`] once the transport is closed.
    pub async fn notify<P: Serialize>(
        &self,
        priority: Priority,
        context: &Context,
        event_type: &str,
        payload: &P,
    ) -> Result<(), Error> {
        let payload = serde_json::to_value(payload).map_err(|e| Error::Arguments {
            method: event_type.to_owned(),
            reason: e.to_string(),
        })?;
        let msg = Notify {
            publisher_id: self.publisher_id.clone(),
            topics: self.topics.clone(),
            exchange: self.exchange.clone(),
            priority,
            event_type: event_type.to_owned(),
            payload,
            context: context.clone(),
            retry: self.retry,
        };
        if self.buffered {
            let (accepted, wait) = tokio::sync::oneshot::channel();
            self.buffer.do_send(AcceptNotification {
                notification: FromCaller::here(msg),
                accepted,
            });
            return wait.await.map_err(|_| Error::Shutdown);
        }
        self.actor
            .send(FromCaller::here(msg))
            .await
            .map_err(|_| Error::Shutdown)?
    }
}

macro_rules! priority_methods {
    ($($(#[$doc:meta])* $name:ident => $priority:ident),* $(,)?) => {
        impl Notifier {
            $(
                $(#[$doc])*
                ///
                /// # Errors
                ///
                /// As [`Notifier::notify`].
                pub async fn $name<P: Serialize>(&self, context: &Context, event_type: &str, payload: &P) -> Result<(), Error> {
                    self.notify(Priority::$priority, context, event_type, payload).await
                }
            )*
        }
    };
}

priority_methods! {
    /// Publish an `audit` notification.
    audit => Audit,
    /// Publish a `debug` notification.
    debug => Debug,
    /// Publish an `info` notification.
    info => Info,
    /// Publish a `warn` notification.
    warn => Warn,
    /// Publish a `warn` notification (oslo's alias `warning`).
    warning => Warn,
    /// Publish an `error` notification.
    error => Error,
    /// Publish a `critical` notification.
    critical => Critical,
    /// Publish a `sample` notification.
    sample => Sample,
}
