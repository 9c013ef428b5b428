//! [`MemoryConnection`] and [`MemoryChannel`]: a connection and a channel on the
//! in-memory broker, with the operations the actors make on lapin's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use warren_core::Declaration;

use super::broker::{MemoryBroker, Routed};
use crate::Error;
use crate::broker::Consumer;
use crate::channel::{Outgoing, PublishFailure};

/// A connection to a [`MemoryBroker`]: closing it closes its channels, as closing an
/// AMQP connection does. Cheap to clone (clones are the same connection).
#[derive(Debug, Clone)]
pub(crate) struct MemoryConnection {
    broker: MemoryBroker,
    open: Arc<AtomicBool>,
    channels: Arc<Mutex<Vec<MemoryChannel>>>,
}

impl MemoryConnection {
    pub(crate) fn open(broker: MemoryBroker) -> Self {
        Self {
            broker,
            open: Arc::new(AtomicBool::new(true)),
            channels: Arc::default(),
        }
    }

    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// `channel.open`; refused once the connection is closed.
    pub(crate) fn create_channel(&self) -> Result<MemoryChannel, Error> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if !self.is_open() {
            return Err(Error::ConnectionUnavailable {
                reason: "channel.open failed: the connection is closed".to_owned(),
            });
        }
        channels.retain(MemoryChannel::is_open);
        let channel = MemoryChannel {
            id: self.broker.open_channel(),
            broker: self.broker.clone(),
            open: Arc::new(AtomicBool::new(true)),
        };
        channels.push(channel.clone());
        Ok(channel)
    }

    /// Close the connection and every channel of it.
    pub(crate) fn close(&self) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        self.open.store(false, Ordering::Release);
        for channel in channels.drain(..) {
            channel.close();
        }
    }
}

/// A channel of a [`MemoryBroker`]; cheap to clone (clones are the same channel).
#[derive(Debug, Clone)]
pub(crate) struct MemoryChannel {
    broker: MemoryBroker,
    id: u64,
    open: Arc<AtomicBool>,
}

impl MemoryChannel {
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    pub(crate) fn set_prefetch(&self, prefetch: u16) -> Result<(), Error> {
        self.broker.set_prefetch(self.id, prefetch)
    }

    /// Declare one exchange, queue or binding of a topology.
    pub(crate) fn declare(&self, step: Declaration<'_>) -> Result<(), Error> {
        match step {
            Declaration::Exchange(e) => {
                self.broker.declare_exchange(&e.name);
                Ok(())
            }
            Declaration::Queue(q) => self.broker.declare_queue(&q.name, q.durable),
            Declaration::Bind(b) => self.broker.bind(&b.queue, &b.exchange, &b.routing_key),
        }
    }

    pub(crate) fn declare_exchange(&self, name: &str) {
        self.broker.declare_exchange(name);
    }

    pub(crate) fn consume(&self, queue: &str, no_ack: bool) -> Result<Consumer, Error> {
        let (tag, deliveries) = self.broker.consume(self.id, queue, no_ack)?;
        Ok(Consumer::memory(tag, deliveries))
    }

    pub(crate) fn cancel(&self, tag: &str) {
        self.broker.cancel(self.id, tag);
    }

    /// Publish `msg`; the broker confirms at once.
    pub(crate) fn publish(
        &self,
        msg: &Outgoing,
        properties: &lapin::BasicProperties,
    ) -> Result<(), PublishFailure> {
        if !self.is_open() {
            return Err(PublishFailure::NotSent(Error::ConnectionUnavailable {
                reason: "basic.publish failed: the channel is closed".to_owned(),
            }));
        }
        match self.broker.publish(
            &msg.exchange,
            &msg.routing_key,
            msg.mandatory,
            properties,
            &msg.body,
        ) {
            Routed::Queued => Ok(()),
            Routed::Unroutable => Err(PublishFailure::Unroutable),
            Routed::NoExchange => Err(PublishFailure::ExchangeNotFound),
        }
    }

    /// `basic.ack` of delivery `tag`.
    pub(crate) fn ack(&self, tag: u64) -> Result<(), Error> {
        self.broker.settle(self.id, tag, super::Settlement::Ack)
    }

    /// Close the channel: its consumers end, its unacked messages are requeued.
    pub(crate) fn close(&self) {
        if self.open.swap(false, Ordering::AcqRel) {
            self.broker.close_channel(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_the_connection_closes_its_channels_and_refuses_new_ones() {
        let connection = MemoryConnection::open(MemoryBroker::default());
        let channel = connection.create_channel().unwrap();
        assert!(channel.is_open());
        connection.close();
        assert!(!channel.is_open());
        assert!(!connection.is_open());
        assert!(connection.create_channel().is_err());
    }
}
