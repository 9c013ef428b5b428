//! One publish with a publisher confirm, and what it can end in.
//!
//! Every warren publish is confirmed, as in the Pika driver: the sender learns whether
//! the broker took the message (`basic.ack`), refused it (`basic.nack`), or could not
//! route a mandatory message (`basic.return` then `basic.ack`).

use std::sync::Arc;

use lapin::BasicProperties;
use lapin::options::BasicPublishOptions;
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};

use crate::Error;

/// A message ready to publish.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) exchange: String,
    pub(crate) routing_key: String,
    pub(crate) mandatory: bool,
    pub(crate) body: Vec<u8>,
    pub(crate) properties: BasicProperties,
}

/// Why one publish attempt did not end in a plain `basic.ack`.
#[derive(Debug, Clone)]
pub(crate) enum PublishFailure {
    /// Mandatory and unroutable: no queue is bound for the routing key.
    Unroutable,
    /// The broker answered `basic.nack`.
    Nacked,
    /// The exchange does not exist (the broker closed the channel with 404).
    ExchangeNotFound,
    /// The broker closed the channel over this message (a channel error other than a
    /// missing exchange, such as `406 PRECONDITION_FAILED` for a message above its
    /// `max_message_size`): sending it again would fail the same way.
    Refused(Error),
    /// The message was never written to the broker: no channel was open, or the
    /// channel refused the publish before sending it.
    NotSent(Error),
    /// The channel or connection failed while the confirm was outstanding: the broker
    /// may or may not have the message.
    InDoubt(Error),
}

impl PublishFailure {
    /// Whether the channel is still usable after this failure.
    pub(crate) fn channel_survives(&self) -> bool {
        matches!(self, PublishFailure::Unroutable | PublishFailure::Nacked)
    }

    /// What the sender's caller is told when this was the last attempt.
    pub(crate) fn into_error(self, msg: &Outgoing) -> Error {
        match self {
            PublishFailure::Unroutable | PublishFailure::ExchangeNotFound => Error::Undeliverable {
                exchange: msg.exchange.clone(),
                routing_key: msg.routing_key.clone(),
            },
            PublishFailure::Nacked => Error::Rejected {
                exchange: msg.exchange.clone(),
                routing_key: msg.routing_key.clone(),
            },
            PublishFailure::Refused(e) | PublishFailure::NotSent(e) => e,
            PublishFailure::InDoubt(e) => Error::ConnectionLost {
                waiting_for: "the broker's confirm of a publish",
                reason: e.to_string(),
            },
        }
    }
}

/// Publish `msg` with `properties` (this attempt's, in place of `msg.properties`) on
/// `channel` and wait for the broker's confirm: lapin's confirmation, whose carried
/// return may belong to another publish (see [`super::channel_publisher`]), or why
/// there is none.
pub(super) async fn publish_and_confirm(
    channel: lapin::Channel,
    msg: Arc<Outgoing>,
    properties: BasicProperties,
) -> (Arc<Outgoing>, Result<lapin::Confirmation, PublishFailure>) {
    let options = BasicPublishOptions {
        mandatory: msg.mandatory,
        immediate: false,
    };
    let published = channel
        .basic_publish(
            msg.exchange.as_str().into(),
            msg.routing_key.as_str().into(),
            options,
            &msg.body,
            properties,
        )
        .await;
    let confirmed = match published {
        Ok(confirm) => confirm.await.map_err(|e| classify(&e)),
        Err(e) => Err(PublishFailure::NotSent(Error::from_lapin(
            "basic.publish",
            &e,
        ))),
    };
    (msg, confirmed)
}

/// What a confirm that failed with `error` means for its publish.
fn classify(error: &lapin::Error) -> PublishFailure {
    if let lapin::ErrorKind::ProtocolError(amqp) = error.kind() {
        match amqp.kind() {
            AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND) => {
                return PublishFailure::ExchangeNotFound;
            }
            AMQPErrorKind::Soft(_) => {
                return PublishFailure::Refused(Error::from_lapin("basic.publish", error));
            }
            AMQPErrorKind::Hard(_) => {}
        }
    }
    PublishFailure::InDoubt(Error::from_lapin("basic.publish", error))
}
