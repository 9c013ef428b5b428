//! [`Delivery`] and [`Acker`]: a message delivered to a consumer, from either broker,
//! and how it is settled.

use lapin::BasicProperties;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicRejectOptions};
use lapin::types::ShortString;

use crate::Error;
use crate::memory::{MemoryBroker, Settlement};

/// A message delivered to a consumer.
#[derive(Debug)]
pub(crate) struct Delivery {
    /// Its number on the consumer's channel.
    pub(crate) delivery_tag: u64,
    /// Where it was published: the exchange (empty for the default one) and routing
    /// key, which name its origin in the log when it is refused.
    /// lapin's own strings, moved rather than copied: they are read only when a
    /// delivery is refused.
    pub(crate) exchange: ShortString,
    pub(crate) routing_key: ShortString,
    pub(crate) properties: BasicProperties,
    pub(crate) data: Vec<u8>,
    pub(crate) acker: Acker,
}

impl From<lapin::message::Delivery> for Delivery {
    fn from(d: lapin::message::Delivery) -> Self {
        Self {
            delivery_tag: d.delivery_tag,
            exchange: d.exchange,
            routing_key: d.routing_key,
            properties: d.properties,
            data: d.data,
            acker: Acker(Settle::Amqp(d.acker)),
        }
    }
}

/// Settles one delivery; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Acker(Settle);

#[derive(Debug, Clone)]
enum Settle {
    Amqp(lapin::Acker),
    Memory {
        broker: MemoryBroker,
        channel: u64,
        tag: u64,
    },
}

impl Acker {
    pub(crate) fn memory(broker: MemoryBroker, channel: u64, tag: u64) -> Self {
        Self(Settle::Memory {
            broker,
            channel,
            tag,
        })
    }

    /// `basic.ack`.
    pub(crate) async fn ack(&self) -> Result<(), Error> {
        match &self.0 {
            Settle::Amqp(acker) => acker
                .ack(BasicAckOptions::default())
                .await
                .map(drop)
                .map_err(|e| Error::from_lapin("basic.ack", &e)),
            Settle::Memory {
                broker,
                channel,
                tag,
            } => broker.settle(*channel, *tag, Settlement::Ack),
        }
    }

    /// `basic.nack` of this delivery alone, back to its queue when `requeue`.
    pub(crate) async fn nack(&self, requeue: bool) -> Result<(), Error> {
        match &self.0 {
            Settle::Amqp(acker) => acker
                .nack(BasicNackOptions {
                    multiple: false,
                    requeue,
                })
                .await
                .map(drop)
                .map_err(|e| Error::from_lapin("basic.nack", &e)),
            Settle::Memory {
                broker,
                channel,
                tag,
            } => broker.settle(*channel, *tag, Settlement::giving_back(requeue)),
        }
    }

    /// `basic.reject`, back to its queue when `requeue`.
    pub(crate) async fn reject(&self, requeue: bool) -> Result<(), Error> {
        match &self.0 {
            Settle::Amqp(acker) => acker
                .reject(BasicRejectOptions { requeue })
                .await
                .map(drop)
                .map_err(|e| Error::from_lapin("basic.reject", &e)),
            Settle::Memory {
                broker,
                channel,
                tag,
            } => broker.settle(*channel, *tag, Settlement::giving_back(requeue)),
        }
    }
}
