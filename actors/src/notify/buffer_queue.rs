//! [`BufferQueue`]: the bookkeeping of a notification buffer — what is queued, what
//! is being sent, what a full buffer does with one more — without the actor around it.

use std::collections::VecDeque;

use warren_core::BufferOverflow;

/// What became of an offered item.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission<T> {
    /// Queued.
    Accepted,
    /// Queued; the full buffer dropped this item to make room (the oldest queued one,
    /// or the offered one itself when every buffered item is already being sent).
    AcceptedDropping(T),
    /// No room and the policy is to wait: offer it again once there is room.
    Full(T),
}

/// See the module docs. `capacity` bounds the items queued plus those being sent; at
/// most `window` are sent at once, in the order they were queued.
#[derive(Debug)]
pub(crate) struct BufferQueue<T> {
    queued: VecDeque<T>,
    in_flight: usize,
    capacity: usize,
    window: usize,
    overflow: BufferOverflow,
    pub(crate) dropped: u64,
    pub(crate) sent: u64,
    pub(crate) failed: u64,
}

impl<T> BufferQueue<T> {
    pub(crate) fn new(capacity: usize, window: usize, overflow: BufferOverflow) -> Self {
        Self {
            queued: VecDeque::new(),
            in_flight: 0,
            capacity: capacity.max(1),
            window: window.clamp(1, capacity.max(1)),
            overflow,
            dropped: 0,
            sent: 0,
            failed: 0,
        }
    }

    /// The most items it holds, queued or being sent.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// What a full buffer does with one more item.
    pub(crate) fn overflow(&self) -> BufferOverflow {
        self.overflow
    }

    /// Items queued or being sent.
    pub(crate) fn len(&self) -> usize {
        self.queued.len() + self.in_flight
    }

    /// Nothing queued, nothing being sent.
    pub(crate) fn is_drained(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn has_room(&self) -> bool {
        self.len() < self.capacity
    }

    /// Offer `item`; see [`Admission`].
    pub(crate) fn offer(&mut self, item: T) -> Admission<T> {
        if self.has_room() {
            self.queued.push_back(item);
            return Admission::Accepted;
        }
        match self.overflow {
            BufferOverflow::Wait => Admission::Full(item),
            BufferOverflow::DropOldest => {
                self.dropped += 1;
                match self.queued.pop_front() {
                    Some(oldest) => {
                        self.queued.push_back(item);
                        Admission::AcceptedDropping(oldest)
                    }
                    None => Admission::AcceptedDropping(item),
                }
            }
        }
    }

    /// The next item to send, oldest first, while fewer than `window` are being sent.
    pub(crate) fn next_to_send(&mut self) -> Option<T> {
        if self.in_flight >= self.window {
            return None;
        }
        let item = self.queued.pop_front()?;
        self.in_flight += 1;
        Some(item)
    }

    /// An item handed out by [`BufferQueue::next_to_send`] was sent (`delivered`) or
    /// given up.
    pub(crate) fn finished(&mut self, delivered: bool) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if delivered {
            self.sent += 1;
        } else {
            self.failed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sending(q: &mut BufferQueue<u32>) -> Vec<u32> {
        std::iter::from_fn(|| q.next_to_send()).collect()
    }

    #[test]
    fn items_go_out_in_order_at_most_a_window_at_a_time() {
        let mut q = BufferQueue::new(10, 2, BufferOverflow::DropOldest);
        for i in 0..5 {
            assert_eq!(q.offer(i), Admission::Accepted);
        }
        assert_eq!(sending(&mut q), [0, 1]);
        q.finished(true);
        assert_eq!(sending(&mut q), [2]);
        q.finished(false);
        q.finished(true);
        assert_eq!(sending(&mut q), [3, 4]);
        q.finished(true);
        q.finished(true);
        assert!(q.is_drained());
        assert_eq!((q.sent, q.failed, q.dropped), (4, 1, 0));
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_queued_and_counts_it() {
        let mut q = BufferQueue::new(3, 1, BufferOverflow::DropOldest);
        for i in 0..3 {
            q.offer(i);
        }
        assert_eq!(sending(&mut q), [0]);
        // 0 is being sent: the oldest queued one, 1, makes room.
        assert_eq!(q.offer(3), Admission::AcceptedDropping(1));
        assert_eq!(q.offer(4), Admission::AcceptedDropping(2));
        assert_eq!(q.dropped, 2);
        q.finished(true);
        assert_eq!(sending(&mut q), [3]);
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn when_everything_is_being_sent_the_offered_item_is_the_one_dropped() {
        let mut q = BufferQueue::new(2, 2, BufferOverflow::DropOldest);
        q.offer(0);
        q.offer(1);
        assert_eq!(sending(&mut q), [0, 1]);
        assert_eq!(q.offer(2), Admission::AcceptedDropping(2));
        assert_eq!((q.len(), q.dropped), (2, 1));
    }

    #[test]
    fn a_full_waiting_buffer_hands_the_item_back_until_there_is_room() {
        let mut q = BufferQueue::new(2, 1, BufferOverflow::Wait);
        q.offer(0);
        q.offer(1);
        assert_eq!(q.offer(2), Admission::Full(2));
        assert_eq!(sending(&mut q), [0]);
        assert!(!q.has_room());
        q.finished(true);
        assert!(q.has_room());
        assert_eq!(q.offer(2), Admission::Accepted);
        assert_eq!(q.dropped, 0);
    }
}
