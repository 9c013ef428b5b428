//! [`Notifier`]: a typed handle over the [`NotifierActor`]'s [`Notify`] message.

use actix::Addr;
use serde::Serialize;
use warren_core::{Context, Priority, Retry};

use super::notifier::{NotifierActor, Notify};
use crate::Error;

/// Publishes notifications as one publisher, like oslo.messaging's `Notifier`; cheap
/// to clone.
///
/// Each method publishes one notification per topic and returns once the broker has
/// confirmed it (stored in a queue). With the default retry (`-1`) a notification is
/// retried until stored: during a broker outage the call waits for the reconnect. For
/// Python's fire-and-forget behaviour, spawn the call and ignore its result, or bound
/// it with [`Notifier::with_retry`].
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
    publisher_id: String,
    topics: Vec<String>,
    exchange: Option<String>,
    retry: Option<Retry>,
}

impl Notifier {
    pub(crate) fn new(actor: Addr<NotifierActor>, publisher_id: String) -> Self {
        Self {
            actor,
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

    /// Publish a notification of `priority`.
    ///
    /// # Errors
    ///
    /// [`Error::Wire`] when the payload cannot be serialized; after the retries,
    /// [`Error::Undeliverable`], [`Error::Rejected`] or a connection error.
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
        self.actor.send(msg).await.map_err(|_| Error::Shutdown)?
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
