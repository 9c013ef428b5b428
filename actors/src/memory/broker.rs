//! [`MemoryBroker`]: an AMQP broker inside the process, for `fake://` and `memory://`
//! transport URLs.
//!
//! It does what the Pika driver's topology needs of RabbitMQ: direct exchanges (and
//! the default exchange, which routes to the queue named by the routing key), queues,
//! bindings, mandatory publishes that come back when nothing is bound, per-consumer
//! prefetch, acks, nacks and rejects with requeue, unacked messages requeued when their
//! channel closes, and messages dropped once their `expiration` passes. Every publish
//! is confirmed at once. Queues never expire (`x-expires` is not applied) and
//! exchanges are never deleted: a process's broker lives as long as the process.
//!
//! One broker per virtual host, shared by every transport of the process that names
//! it: `fake://` and `memory:///` share the default one, `fake:///tests` is another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use lapin::BasicProperties;
use tokio::sync::mpsc;

use super::queue::{MemoryQueue, QueueConsumer, StoredMessage};
use crate::Error;
use crate::broker::{Acker, Delivery};

/// What became of a publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routed {
    /// In at least one queue (or dropped, not mandatory and unroutable).
    Queued,
    /// Mandatory, and no queue is bound for the routing key.
    Unroutable,
    /// The exchange does not exist.
    NoExchange,
}

/// A broker of this process; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct MemoryBroker(Arc<Mutex<State>>);

impl std::fmt::Debug for MemoryBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryBroker")
    }
}

#[derive(Default)]
struct State {
    /// Direct exchanges: their bindings, as (routing key, queue).
    exchanges: HashMap<String, Vec<(String, String)>>,
    queues: HashMap<String, MemoryQueue>,
    channels: HashMap<u64, ChannelState>,
    next_channel: u64,
    next_consumer: u64,
}

#[derive(Default)]
struct ChannelState {
    prefetch: u16,
    next_tag: u64,
    unacked: HashMap<u64, Unacked>,
    consumers: HashMap<String, Sink>,
}

struct Unacked {
    queue: String,
    consumer: String,
    message: StoredMessage,
}

/// Where one consumer's deliveries go.
struct Sink {
    queue: String,
    no_ack: bool,
    unacked: usize,
    deliveries: mpsc::UnboundedSender<Delivery>,
}

impl MemoryBroker {
    /// The broker of `vhost` in this process, made on first use.
    pub(crate) fn of_vhost(vhost: &str) -> Self {
        static BROKERS: OnceLock<Mutex<HashMap<String, MemoryBroker>>> = OnceLock::new();
        let mut brokers = BROKERS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        brokers.entry(vhost.to_owned()).or_default().clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No code path panics while holding the lock; a poisoned lock still holds
        // consistent state.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new channel's number.
    pub(crate) fn open_channel(&self) -> u64 {
        let mut state = self.state();
        state.next_channel += 1;
        let id = state.next_channel;
        state.channels.insert(id, ChannelState::default());
        id
    }

    pub(crate) fn set_prefetch(&self, channel: u64, prefetch: u16) -> Result<(), Error> {
        let mut state = self.state();
        state.channel(channel, "basic.qos")?.prefetch = prefetch;
        Ok(())
    }

    pub(crate) fn declare_exchange(&self, name: &str) {
        self.state().exchanges.entry(name.to_owned()).or_default();
    }

    pub(crate) fn declare_queue(&self, name: &str, durable: bool) -> Result<(), Error> {
        let mut state = self.state();
        match state.queues.get(name) {
            Some(queue) if queue.durable != durable => Err(Error::Broker {
                operation: format!("queue.declare {name:?}"),
                reason: format!(
                    "PRECONDITION_FAILED - inequivalent arg 'durable' for queue '{name}': \
                     received '{durable}' but current is '{}'",
                    queue.durable
                ),
            }),
            Some(_) => Ok(()),
            None => {
                state
                    .queues
                    .insert(name.to_owned(), MemoryQueue::new(durable));
                Ok(())
            }
        }
    }

    pub(crate) fn bind(&self, queue: &str, exchange: &str, routing_key: &str) -> Result<(), Error> {
        let mut state = self.state();
        let operation = || format!("queue.bind {queue:?} to {exchange:?}");
        if !state.queues.contains_key(queue) {
            return Err(not_found(operation(), "queue", queue));
        }
        let bindings = state
            .exchanges
            .get_mut(exchange)
            .ok_or_else(|| not_found(operation(), "exchange", exchange))?;
        let binding = (routing_key.to_owned(), queue.to_owned());
        if !bindings.contains(&binding) {
            bindings.push(binding);
        }
        Ok(())
    }

    /// Route a message to the queues bound for it and deliver what can be.
    pub(crate) fn publish(
        &self,
        exchange: &str,
        routing_key: &str,
        mandatory: bool,
        properties: &BasicProperties,
        body: &[u8],
    ) -> Routed {
        let mut state = self.state();
        let queues: Vec<String> = if exchange.is_empty() {
            state
                .queues
                .contains_key(routing_key)
                .then(|| routing_key.to_owned())
                .into_iter()
                .collect()
        } else {
            let Some(bindings) = state.exchanges.get(exchange) else {
                return Routed::NoExchange;
            };
            bindings
                .iter()
                .filter(|(key, _)| key == routing_key)
                .map(|(_, queue)| queue.clone())
                .collect()
        };
        if queues.is_empty() {
            return if mandatory {
                Routed::Unroutable
            } else {
                Routed::Queued
            };
        }
        let expires = properties
            .expiration()
            .as_ref()
            .and_then(|ms| ms.as_str().parse::<u64>().ok())
            .map(|ms| Instant::now() + Duration::from_millis(ms));
        let message = StoredMessage {
            exchange: exchange.into(),
            routing_key: routing_key.into(),
            properties: properties.clone(),
            body: body.to_vec(),
            redelivered: false,
            expires,
        };
        for queue in &queues {
            if let Some(q) = state.queues.get_mut(queue) {
                q.push(message.clone());
            }
            state.dispatch(self, queue);
        }
        Routed::Queued
    }

    /// Start consuming `queue` on `channel`: the consumer's tag and its deliveries.
    pub(crate) fn consume(
        &self,
        channel: u64,
        queue: &str,
        no_ack: bool,
    ) -> Result<(String, mpsc::UnboundedReceiver<Delivery>), Error> {
        let mut state = self.state();
        let operation = || format!("basic.consume {queue:?}");
        if !state.queues.contains_key(queue) {
            return Err(not_found(operation(), "queue", queue));
        }
        state.next_consumer += 1;
        let tag = format!("memory.ctag-{}", state.next_consumer);
        let (sink, deliveries) = mpsc::unbounded_channel();
        state.channel(channel, "basic.consume")?.consumers.insert(
            tag.clone(),
            Sink {
                queue: queue.to_owned(),
                no_ack,
                unacked: 0,
                deliveries: sink,
            },
        );
        if let Some(q) = state.queues.get_mut(queue) {
            q.add_consumer(QueueConsumer {
                tag: tag.clone(),
                channel,
                no_ack,
            });
        }
        state.dispatch(self, queue);
        Ok((tag, deliveries))
    }

    /// Cancel a consumer: its stream ends; its unacked messages stay unacked.
    pub(crate) fn cancel(&self, channel: u64, tag: &str) {
        let mut state = self.state();
        let Some(sink) = state
            .channels
            .get_mut(&channel)
            .and_then(|c| c.consumers.remove(tag))
        else {
            return;
        };
        if let Some(q) = state.queues.get_mut(&sink.queue) {
            q.remove_consumers(|c| c.tag == tag);
        }
    }

    /// Settle delivery `tag` of `channel`: ack it, or give it back to its queue
    /// (`requeue`) or drop it.
    pub(crate) fn settle(
        &self,
        channel: u64,
        tag: u64,
        settlement: Settlement,
    ) -> Result<(), Error> {
        let mut state = self.state();
        let ch = state.channel(channel, settlement.operation())?;
        let Some(unacked) = ch.unacked.remove(&tag) else {
            return Err(Error::Broker {
                operation: settlement.operation().to_owned(),
                reason: format!("PRECONDITION_FAILED - unknown delivery tag {tag}"),
            });
        };
        if let Some(sink) = ch.consumers.get_mut(&unacked.consumer) {
            sink.unacked = sink.unacked.saturating_sub(1);
        }
        if settlement == Settlement::Requeue
            && let Some(q) = state.queues.get_mut(&unacked.queue)
        {
            q.requeue(unacked.message);
        }
        state.dispatch(self, &unacked.queue);
        Ok(())
    }

    /// Close `channel`: its consumers end and its unacked messages go back to their
    /// queues.
    pub(crate) fn close_channel(&self, channel: u64) {
        let mut state = self.state();
        let Some(ch) = state.channels.remove(&channel) else {
            return;
        };
        let mut touched: Vec<String> = Vec::new();
        for (_, sink) in ch.consumers {
            if let Some(q) = state.queues.get_mut(&sink.queue) {
                q.remove_consumers(|c| c.channel == channel);
            }
            touched.push(sink.queue);
        }
        let mut unacked: Vec<(u64, Unacked)> = ch.unacked.into_iter().collect();
        // Back in the order they were delivered, each at the head: latest first.
        unacked.sort_by_key(|(tag, _)| std::cmp::Reverse(*tag));
        for (_, u) in unacked {
            if let Some(q) = state.queues.get_mut(&u.queue) {
                q.requeue(u.message);
            }
            touched.push(u.queue);
        }
        touched.sort();
        touched.dedup();
        for queue in &touched {
            state.dispatch(self, queue);
        }
    }
}

/// How a delivery is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    Ack,
    Requeue,
    Drop,
}

impl Settlement {
    /// A delivery handed back (nack or reject): to its queue when `requeue`.
    pub(crate) fn giving_back(requeue: bool) -> Self {
        if requeue {
            Settlement::Requeue
        } else {
            Settlement::Drop
        }
    }

    fn operation(self) -> &'static str {
        match self {
            Settlement::Ack => "basic.ack",
            Settlement::Requeue | Settlement::Drop => "basic.reject",
        }
    }
}

fn not_found(operation: String, kind: &str, name: &str) -> Error {
    Error::Broker {
        operation,
        reason: format!("NOT_FOUND - no {kind} '{name}' in the in-memory broker"),
    }
}

impl State {
    fn channel(&mut self, id: u64, operation: &str) -> Result<&mut ChannelState, Error> {
        self.channels
            .get_mut(&id)
            .ok_or_else(|| Error::ConnectionUnavailable {
                reason: format!("{operation} failed: the channel is closed"),
            })
    }

    /// Deliver what `queue` can deliver now.
    fn dispatch(&mut self, broker: &MemoryBroker, queue: &str) {
        let Some(q) = self.queues.get_mut(queue) else {
            return;
        };
        let channels = &mut self.channels;
        loop {
            let now = Instant::now();
            let room = |c: &QueueConsumer| {
                channels
                    .get(&c.channel)
                    .and_then(|ch| ch.consumers.get(&c.tag).map(|s| (ch.prefetch, s)))
                    .is_some_and(|(prefetch, sink)| {
                        sink.no_ack || prefetch == 0 || sink.unacked < usize::from(prefetch)
                    })
            };
            let Some((message, consumer)) = q.next_delivery(now, room) else {
                return;
            };
            let (channel, tag, no_ack) = (consumer.channel, consumer.tag.clone(), consumer.no_ack);
            let Some(ch) = channels.get_mut(&channel) else {
                q.requeue(message);
                return;
            };
            ch.next_tag += 1;
            let delivery_tag = ch.next_tag;
            let delivery = Delivery {
                delivery_tag,
                exchange: message.exchange.clone(),
                routing_key: message.routing_key.clone(),
                properties: message.properties.clone(),
                data: message.body.clone(),
                acker: Acker::memory(broker.clone(), channel, delivery_tag),
            };
            let Some(sink) = ch.consumers.get_mut(&tag) else {
                q.requeue(message);
                return;
            };
            if sink.deliveries.send(delivery).is_err() {
                // Its stream was dropped: the consumer is gone.
                ch.consumers.remove(&tag);
                q.remove_consumers(|c| c.tag == tag);
                q.requeue(message);
                continue;
            }
            if !no_ack {
                sink.unacked += 1;
                ch.unacked.insert(
                    delivery_tag,
                    Unacked {
                        queue: queue.to_owned(),
                        consumer: tag,
                        message,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn broker_with_queue(queue: &str) -> MemoryBroker {
        let broker = MemoryBroker::default();
        broker.declare_exchange("x");
        broker.declare_queue(queue, false).unwrap();
        broker.bind(queue, "x", "key").unwrap();
        broker
    }

    fn publish(broker: &MemoryBroker, key: &str, body: &str) -> Routed {
        broker.publish("x", key, true, &BasicProperties::default(), body.as_bytes())
    }

    #[test]
    fn mandatory_publishes_without_a_binding_come_back_and_missing_exchanges_are_named() {
        let broker = broker_with_queue("q");
        assert_eq!(publish(&broker, "key", "1"), Routed::Queued);
        assert_eq!(publish(&broker, "other", "2"), Routed::Unroutable);
        let routed = broker.publish("nope", "key", true, &BasicProperties::default(), b"3");
        assert_eq!(routed, Routed::NoExchange);
        let default = broker.publish("", "q", true, &BasicProperties::default(), b"4");
        assert_eq!(
            default,
            Routed::Queued,
            "the default exchange routes by queue name"
        );
    }

    #[test]
    fn prefetch_bounds_unacked_deliveries_and_an_ack_frees_room() {
        let broker = broker_with_queue("q");
        let channel = broker.open_channel();
        broker.set_prefetch(channel, 2).unwrap();
        let (_, mut deliveries) = broker.consume(channel, "q", false).unwrap();
        for body in ["1", "2", "3"] {
            publish(&broker, "key", body);
        }
        let first = deliveries.try_recv().unwrap();
        deliveries.try_recv().unwrap();
        assert!(deliveries.try_recv().is_err(), "two unacked at most");
        broker
            .settle(channel, first.delivery_tag, Settlement::Ack)
            .unwrap();
        assert_eq!(deliveries.try_recv().unwrap().data, b"3");
    }

    #[test]
    fn a_closed_channel_gives_its_unacked_messages_to_another_consumer_in_order() {
        let broker = broker_with_queue("q");
        let first = broker.open_channel();
        let (_, mut lost) = broker.consume(first, "q", false).unwrap();
        for body in ["1", "2"] {
            publish(&broker, "key", body);
        }
        assert_eq!(lost.try_recv().unwrap().data, b"1");
        let second = broker.open_channel();
        broker.close_channel(first);
        let (_, mut taken) = broker.consume(second, "q", false).unwrap();
        let bodies: Vec<Vec<u8>> = std::iter::from_fn(|| taken.try_recv().ok())
            .map(|d| d.data)
            .collect();
        assert_eq!(bodies, [b"1".to_vec(), b"2".to_vec()]);
        assert!(
            broker.settle(first, 1, Settlement::Ack).is_err(),
            "the closed channel cannot ack"
        );
    }

    #[test]
    fn a_cancelled_consumer_gets_nothing_more() {
        let broker = broker_with_queue("q");
        let channel = broker.open_channel();
        let (tag, mut deliveries) = broker.consume(channel, "q", true).unwrap();
        broker.cancel(channel, &tag);
        publish(&broker, "key", "1");
        assert!(deliveries.try_recv().is_err());
    }

    #[test]
    fn a_rejected_message_is_dropped_or_requeued() {
        let broker = broker_with_queue("q");
        let channel = broker.open_channel();
        let (_, mut deliveries) = broker.consume(channel, "q", false).unwrap();
        publish(&broker, "key", "1");
        let d = deliveries.try_recv().unwrap();
        broker
            .settle(channel, d.delivery_tag, Settlement::Requeue)
            .unwrap();
        let again = deliveries.try_recv().unwrap();
        assert_eq!(again.data, b"1");
        broker
            .settle(channel, again.delivery_tag, Settlement::Drop)
            .unwrap();
        assert!(deliveries.try_recv().is_err());
    }

    #[test]
    fn a_queue_declared_again_with_other_durability_is_refused() {
        let broker = broker_with_queue("q");
        let refused = broker.declare_queue("q", true).unwrap_err();
        assert!(refused.to_string().contains("durable"), "{refused}");
    }
}
