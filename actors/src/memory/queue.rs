//! [`MemoryQueue`]: one queue of the in-memory broker, with its consumers.
//!
//! Messages wait in order; each goes to the next consumer, round robin, that has room
//! under its channel's prefetch count. A message rejected or nacked with requeue, or
//! unacked when its consumer's channel closes, goes back to the head of the queue
//! marked redelivered, as in RabbitMQ. A message whose `expiration` has passed is
//! dropped instead of delivered.

use std::collections::VecDeque;
use std::time::Instant;

use lapin::BasicProperties;
use lapin::types::ShortString;

/// A message as the in-memory broker holds it.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    /// Where it was published, as the delivery reports it.
    pub(crate) exchange: ShortString,
    pub(crate) routing_key: ShortString,
    pub(crate) properties: BasicProperties,
    pub(crate) body: Vec<u8>,
    pub(crate) redelivered: bool,
    /// When the message's `expiration` property runs out.
    pub(crate) expires: Option<Instant>,
}

/// One consumer of a queue, as the queue sees it.
#[derive(Debug)]
pub(crate) struct QueueConsumer {
    pub(crate) tag: String,
    pub(crate) channel: u64,
    pub(crate) no_ack: bool,
}

/// A queue and its consumers.
#[derive(Debug, Default)]
pub(crate) struct MemoryQueue {
    pub(crate) durable: bool,
    messages: VecDeque<StoredMessage>,
    consumers: Vec<QueueConsumer>,
    /// The consumer to try first next time (round robin).
    next: usize,
}

impl MemoryQueue {
    pub(crate) fn new(durable: bool) -> Self {
        Self {
            durable,
            ..Self::default()
        }
    }

    pub(crate) fn push(&mut self, message: StoredMessage) {
        self.messages.push_back(message);
    }

    /// Back to the head of the queue, marked redelivered.
    pub(crate) fn requeue(&mut self, mut message: StoredMessage) {
        message.redelivered = true;
        self.messages.push_front(message);
    }

    pub(crate) fn add_consumer(&mut self, consumer: QueueConsumer) {
        self.consumers.push(consumer);
    }

    /// Remove the consumers that `gone` says are gone; returns their tags.
    pub(crate) fn remove_consumers(
        &mut self,
        gone: impl Fn(&QueueConsumer) -> bool,
    ) -> Vec<String> {
        let mut removed = Vec::new();
        self.consumers.retain(|c| {
            if gone(c) {
                removed.push(c.tag.clone());
                false
            } else {
                true
            }
        });
        removed
    }

    /// The next message and the consumer to give it to, among those `has_room` accepts;
    /// expired messages are dropped on the way. `None` when nothing can be delivered now.
    pub(crate) fn next_delivery(
        &mut self,
        now: Instant,
        has_room: impl Fn(&QueueConsumer) -> bool,
    ) -> Option<(StoredMessage, &QueueConsumer)> {
        while self
            .messages
            .front()
            .is_some_and(|m| m.expires.is_some_and(|at| at <= now))
        {
            self.messages.pop_front();
        }
        if self.messages.is_empty() || self.consumers.is_empty() {
            return None;
        }
        let count = self.consumers.len();
        let start = self.next % count;
        let chosen = (0..count)
            .map(|i| (start + i) % count)
            .find(|&i| has_room(&self.consumers[i]))?;
        self.next = chosen + 1;
        let message = self.messages.pop_front()?;
        Some((message, &self.consumers[chosen]))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn message(body: &str) -> StoredMessage {
        StoredMessage {
            exchange: "".into(),
            routing_key: "q".into(),
            properties: BasicProperties::default(),
            body: body.as_bytes().to_vec(),
            redelivered: false,
            expires: None,
        }
    }

    fn consumer(tag: &str) -> QueueConsumer {
        QueueConsumer {
            tag: tag.to_owned(),
            channel: 1,
            no_ack: false,
        }
    }

    #[test]
    fn messages_go_round_robin_to_consumers_with_room() {
        let mut q = MemoryQueue::new(false);
        q.add_consumer(consumer("a"));
        q.add_consumer(consumer("b"));
        for body in ["1", "2", "3"] {
            q.push(message(body));
        }
        let now = Instant::now();
        let first = q
            .next_delivery(now, |_| true)
            .map(|(m, c)| (m.body, c.tag.clone()));
        let second = q
            .next_delivery(now, |_| true)
            .map(|(m, c)| (m.body, c.tag.clone()));
        assert_eq!(first, Some((b"1".to_vec(), "a".to_owned())));
        assert_eq!(second, Some((b"2".to_vec(), "b".to_owned())));
        let third = q
            .next_delivery(now, |c| c.tag == "b")
            .map(|(_, c)| c.tag.clone());
        assert_eq!(third.as_deref(), Some("b"), "a has no room");
        assert!(q.next_delivery(now, |_| true).is_none(), "empty");
    }

    #[test]
    fn requeued_messages_come_first_marked_redelivered() {
        let mut q = MemoryQueue::new(false);
        q.add_consumer(consumer("a"));
        q.push(message("2"));
        q.requeue(message("1"));
        let (m, _) = q.next_delivery(Instant::now(), |_| true).unwrap();
        assert_eq!(m.body, b"1");
        assert!(m.redelivered);
    }

    #[test]
    fn expired_messages_are_dropped() {
        let mut q = MemoryQueue::new(false);
        q.add_consumer(consumer("a"));
        let now = Instant::now();
        let mut old = message("old");
        old.expires = Some(now);
        q.push(old);
        let mut fresh = message("fresh");
        fresh.expires = Some(now + Duration::from_secs(60));
        q.push(fresh);
        let (m, _) = q.next_delivery(now, |_| true).unwrap();
        assert_eq!(m.body, b"fresh");
    }

    #[test]
    fn nothing_is_delivered_without_consumers() {
        let mut q = MemoryQueue::new(false);
        q.push(message("1"));
        assert!(q.next_delivery(Instant::now(), |_| true).is_none());
        q.add_consumer(consumer("a"));
        assert!(q.next_delivery(Instant::now(), |_| true).is_some());
    }
}
