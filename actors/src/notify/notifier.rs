//! [`NotifierActor`] and its message [`Notify`]: publishing notifications on the Pika
//! driver's wire format.
//!
//! Each notification goes to the notification exchange with routing key
//! `<topic>.<priority>` for every topic, mandatory and confirmed, persistent when
//! `notification_persistence` is on. When no queue is bound for the key (or the
//! exchange is missing) the sender declares the exchange and a queue named after the
//! routing key (a quorum queue with `quorum_queues`, as a listener declares it), then
//! retries: notifications sent before any listener exists wait
//! there (store and forward). Retries follow `[oslo_messaging_notifications] retry`
//! and `notification_retry_delay`. Unlike the Python driver, which only logs it, a
//! notification that finally cannot be delivered is an error for the caller.
//!
//! `[oslo_messaging_notifications] driver` decides what happens to each notification
//! ([`warren_core::NotificationDriver`]): published (`messaging`, `messagingv2`, or
//! no driver at all), logged in one line without its payload (`log`), or dropped
//! (`noop` alone).

use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix::prelude::*;
use serde_json::Value;
use tracing::{Instrument, Span};
use warren_core::{
    Context as RequestContext, MessageProperties, NotificationEnvelope, Priority, Retry, Target,
    notification_exchange, notification_routing_key, notification_sender_fallback_topology,
};

use crate::Error;
use crate::channel::Outgoing;
use crate::connection::{BrokerAt, BrokerMoved, HostConnection, OpenChannel};
use crate::instruments;
use crate::outgoing::to_amqp;
use crate::pool::ChannelPool;
use crate::publish::{RetryOn, Send};
use crate::settings::NotifierSettings;
use crate::telemetry::FromCaller;
use crate::{telemetry, trace_context};

/// Publish one notification.
#[derive(Debug, Clone)]
pub struct Notify {
    /// Who sends it (`publisher_id`, e.g. `compute.host1`).
    pub publisher_id: String,
    /// Topics to publish on; empty: `[oslo_messaging_notifications] topics`.
    pub topics: Vec<String>,
    /// An exchange other than `default_notification_exchange`.
    pub exchange: Option<String>,
    /// The priority (level).
    pub priority: Priority,
    /// The event type, e.g. `compute.instance.create.end`.
    pub event_type: String,
    /// The payload.
    pub payload: Value,
    /// The request context (sent as `_$_` keys).
    pub context: RequestContext,
    /// Publish attempts per topic; `None`: `[oslo_messaging_notifications] retry`.
    pub retry: Option<Retry>,
}

impl Message for Notify {
    type Result = Result<(), Error>;
}

/// The notifier actor; see the module docs.
pub struct NotifierActor {
    parts: Rc<NotifierParts>,
    /// Where the connection is, for the spans.
    broker: Option<BrokerAt>,
}

/// What every notification uses.
struct NotifierParts {
    settings: NotifierSettings,
    pool: Addr<ChannelPool>,
    connection: Addr<HostConnection>,
}

impl NotifierActor {
    pub(crate) fn new(
        settings: NotifierSettings,
        pool: Addr<ChannelPool>,
        connection: Addr<HostConnection>,
    ) -> Self {
        Self {
            parts: Rc::new(NotifierParts {
                settings,
                pool,
                connection,
            }),
            broker: None,
        }
    }
}

impl Handler<BrokerMoved> for NotifierActor {
    type Result = ();

    fn handle(&mut self, moved: BrokerMoved, _ctx: &mut Context<Self>) {
        self.broker = moved.0;
    }
}

impl Actor for NotifierActor {
    type Context = Context<Self>;
}

impl Supervised for NotifierActor {}

/// Declare the sender-side fallback (exchange, queue `<topic>.<priority>`, binding).
/// Failures are logged here, except [`Error::TransientQueuesRefused`], which ends the
/// notification (see [`Send::run`]).
async fn declare_fallback(
    parts: &NotifierParts,
    exchange: &str,
    routing_key: &str,
) -> Result<(), Error> {
    let result = async {
        let settings = &parts.settings;
        let topology = notification_sender_fallback_topology(
            exchange,
            routing_key,
            settings.persistent,
            settings.queue_type,
        )
        .map_err(|e| Error::InvalidTarget {
            reason: e.to_string(),
        })?;
        let channel = parts
            .connection
            .send(OpenChannel)
            .await
            .map_err(|_| Error::Shutdown)??;
        let declared = channel.declare_topology(&topology).await;
        channel.close("declared").await;
        declared
    }
    .await;
    if let Err(e) = &result
        && !matches!(e, Error::TransientQueuesRefused { .. })
    {
        tracing::warn!(%exchange, %routing_key, error = %e, "could not declare the notification queue");
    }
    result
}

async fn notify(
    parts: Rc<NotifierParts>,
    msg: Notify,
    caller: Span,
    broker: Option<BrokerAt>,
) -> Result<(), Error> {
    let settings = &parts.settings;
    let mut target = Target::new("");
    target.exchange = msg.exchange;
    let exchange = notification_exchange(&target, &settings.default_exchange).map_err(|e| {
        Error::InvalidTarget {
            reason: e.to_string(),
        }
    })?;
    let topics = if msg.topics.is_empty() {
        settings.topics.clone()
    } else {
        msg.topics
    };
    if topics.is_empty() {
        return Err(Error::InvalidTarget {
            reason: "no notification topic: set [oslo_messaging_notifications] topics or give one"
                .to_owned(),
        });
    }
    let sinks = settings.sinks;
    if !sinks.publish && !sinks.log {
        // `driver = noop`.
        return Ok(());
    }
    // The payload is already a JSON value: move it in rather than serialize it again.
    let mut envelope =
        NotificationEnvelope::new(msg.publisher_id, msg.event_type, msg.priority, &Value::Null)?
            .with_context(msg.context);
    envelope.payload = msg.payload;
    if sinks.log {
        // `driver = log`: oslo logs the whole message; the payload stays out of logs here.
        tracing::info!(
            target: "warren::notification",
            publisher_id = %envelope.publisher_id,
            event_type = %envelope.event_type,
            priority = envelope.priority.name(),
            message_id = %envelope.message_id,
            "notification"
        );
    }
    if !sinks.publish {
        return Ok(());
    }
    let body = envelope.to_body(settings.serializer)?;
    let properties = to_amqp(&MessageProperties::notification(
        settings.serializer,
        settings.persistent,
    ));
    let policy = settings.policy(msg.retry);
    for topic in topics {
        let routing_key = notification_routing_key(&topic, msg.priority.name()).map_err(|e| {
            Error::InvalidTarget {
                reason: e.to_string(),
            }
        })?;
        let span = telemetry::send_span(&caller, "notify", || exchange.clone(), broker.as_ref());
        telemetry::record_destination(&span, &routing_key, body.len());
        let outgoing = Arc::new(Outgoing {
            exchange: exchange.clone(),
            routing_key: routing_key.clone(),
            mandatory: true,
            body: body.clone(),
            properties: trace_context::inject(&span, properties.clone()),
        });
        let send = Send {
            pool: &parts.pool,
            connection: &parts.connection,
            policy,
            retry_on: RetryOn {
                unroutable: true,
                declare_when_unroutable: true,
                nacked: true,
                connection: true,
                exchange_not_found: true,
            },
            // As in the Pika driver, a notification has no deadline: it is retried
            // until it is stored or the attempts run out.
            deadline: None,
            expire_with_deadline: false,
        };
        let started = Instant::now();
        if !span.is_disabled() {
            span.record("messaging.message.id", envelope.message_id.as_str());
            span.record("oslo.topic", topic.as_str());
            span.record("oslo.event_type", envelope.event_type.as_str());
            span.record("oslo.priority", msg.priority.name());
        }
        let sent = send
            .run(outgoing, || {
                declare_fallback(&parts, &exchange, &routing_key)
            })
            .instrument(span.clone())
            .await;
        let metered = Some(exchange.as_str()).filter(|_| instruments::enabled());
        telemetry::operation_ended(&span, "notify", metered, started, &sent);
        if sent.is_ok() {
            instruments::sent("notify", &exchange);
        }
        sent.inspect_err(|e| {
            tracing::warn!(%routing_key, error = %e, after = ?started.elapsed(), "notification not delivered");
        })?;
    }
    Ok(())
}

impl Handler<FromCaller<Notify>> for NotifierActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: FromCaller<Notify>, _ctx: &mut Context<Self>) -> Self::Result {
        let broker = self.broker.clone();
        Box::pin(notify(self.parts.clone(), msg.message, msg.caller, broker))
    }
}

impl Handler<Notify> for NotifierActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: Notify, ctx: &mut Context<Self>) -> Self::Result {
        <Self as Handler<FromCaller<Notify>>>::handle(self, FromCaller::here(msg), ctx)
    }
}
