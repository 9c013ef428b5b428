//! [`BrokerConnection`] and [`BrokerChannel`]: a connection and a channel of either
//! broker, with the operations the actors make on them.

use std::sync::Arc;

use lapin::options::{BasicAckOptions, BasicCancelOptions, ConfirmSelectOptions};
use warren_core::Topology;

use super::Consumer;
use crate::Error;
use crate::amqp;
use crate::memory::{MemoryChannel, MemoryConnection};

/// An open connection to RabbitMQ, or the in-memory broker.
#[derive(Debug, Clone)]
pub(crate) enum BrokerConnection {
    Amqp(Arc<lapin::Connection>),
    Memory(MemoryConnection),
}

impl BrokerConnection {
    /// Whether the connection is still up.
    pub(crate) fn is_open(&self) -> bool {
        match self {
            BrokerConnection::Amqp(connection) => connection.status().connected(),
            BrokerConnection::Memory(connection) => connection.is_open(),
        }
    }

    /// `connection.close` with `code` and `reason`.
    pub(crate) async fn close(&self, code: u16, reason: &str) {
        match self {
            BrokerConnection::Amqp(connection) => {
                let _ = connection.close(code, reason.into()).await;
            }
            BrokerConnection::Memory(connection) => connection.close(),
        }
    }

    /// `channel.open`.
    pub(crate) async fn create_channel(&self) -> Result<BrokerChannel, Error> {
        match self {
            BrokerConnection::Amqp(connection) => connection
                .create_channel()
                .await
                .map(BrokerChannel::Amqp)
                .map_err(|e| Error::from_lapin("channel.open", &e)),
            BrokerConnection::Memory(connection) => {
                connection.create_channel().map(BrokerChannel::Memory)
            }
        }
    }
}

/// An open channel of either broker; cheap to clone (clones are the same channel).
#[derive(Debug, Clone)]
pub(crate) enum BrokerChannel {
    Amqp(lapin::Channel),
    Memory(MemoryChannel),
}

impl BrokerChannel {
    /// Whether the channel is still open.
    pub(crate) fn is_open(&self) -> bool {
        match self {
            BrokerChannel::Amqp(channel) => channel.status().connected(),
            BrokerChannel::Memory(channel) => channel.is_open(),
        }
    }

    /// `confirm.select` (the in-memory broker always confirms).
    pub(crate) async fn confirm_select(&self) -> Result<(), Error> {
        match self {
            BrokerChannel::Amqp(channel) => channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| Error::from_lapin("confirm.select", &e)),
            BrokerChannel::Memory(_) => Ok(()),
        }
    }

    /// `basic.qos` with a per-consumer prefetch count.
    pub(crate) async fn set_prefetch(&self, prefetch: u16) -> Result<(), Error> {
        match self {
            BrokerChannel::Amqp(channel) => amqp::set_prefetch(channel, prefetch).await,
            BrokerChannel::Memory(channel) => channel.set_prefetch(prefetch),
        }
    }

    /// Declare every exchange, queue and binding of `topology`, in order.
    pub(crate) async fn declare_topology(&self, topology: &Topology) -> Result<(), Error> {
        for step in topology.declarations() {
            match self {
                BrokerChannel::Amqp(channel) => amqp::declare(channel, step).await?,
                BrokerChannel::Memory(channel) => channel.declare(step)?,
            }
        }
        Ok(())
    }

    /// `exchange.declare` of an RPC exchange: direct, non-durable, auto-delete.
    pub(crate) async fn declare_rpc_exchange(&self, name: &str) -> Result<(), Error> {
        match self {
            BrokerChannel::Amqp(channel) => amqp::declare_exchange(channel, name, false).await,
            BrokerChannel::Memory(channel) => {
                channel.declare_exchange(name);
                Ok(())
            }
        }
    }

    /// `basic.consume` with a broker-generated tag.
    pub(crate) async fn consume(&self, queue: &str, no_ack: bool) -> Result<Consumer, Error> {
        match self {
            BrokerChannel::Amqp(channel) => amqp::consume(channel, queue, no_ack)
                .await
                .map(Consumer::amqp),
            BrokerChannel::Memory(channel) => channel.consume(queue, no_ack),
        }
    }

    /// `basic.cancel`; deliveries already sent still arrive.
    pub(crate) async fn cancel(&self, tag: &str) {
        match self {
            BrokerChannel::Amqp(channel) => {
                let _ = channel
                    .basic_cancel(tag.into(), BasicCancelOptions::default())
                    .await;
            }
            BrokerChannel::Memory(channel) => channel.cancel(tag),
        }
    }

    /// `basic.ack` of delivery `tag` on this channel.
    pub(crate) async fn ack(&self, tag: u64) -> Result<(), Error> {
        match self {
            BrokerChannel::Amqp(channel) => channel
                .basic_ack(tag, BasicAckOptions::default())
                .await
                .map_err(|e| Error::from_lapin("basic.ack", &e)),
            BrokerChannel::Memory(channel) => channel.ack(tag),
        }
    }

    /// `channel.close` with `reason`, when still open.
    pub(crate) async fn close(&self, reason: &str) {
        match self {
            BrokerChannel::Amqp(channel) => {
                if channel.status().connected() {
                    let _ = channel.close(200, reason.into()).await;
                }
            }
            BrokerChannel::Memory(channel) => channel.close(),
        }
    }
}
