//! [`PoolBook`]: the pool options' arithmetic over channels that each carry many
//! publishes, kept pure so it is unit-tested.
//!
//! Semantics of `pika_pool.QueuedPool` as the guide documents them, applied to
//! channels rather than to one loan at a time: at most `pool_max_size` channels are
//! kept; up to `pool_max_overflow` more may exist while every kept channel is busy,
//! and each is closed as soon as it falls idle; a channel older than `pool_recycle`
//! (since creation) takes no new publishes and is closed once its last one is
//! confirmed; one idle longer than `pool_stale` is closed when met. A channel is busy
//! when `window` publishes await their confirms on it.
//!
//! Publishes go to the oldest channel with room in its window, so that light traffic
//! shares one channel (the broker then confirms several publishes with one
//! `basic.ack`) and more channels open only under load.

use std::time::{Duration, Instant};

/// The pool options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolLimits {
    pub(crate) max_size: usize,
    pub(crate) max_overflow: usize,
    pub(crate) recycle: Option<Duration>,
    pub(crate) stale: Option<Duration>,
    /// Publishes in flight on one channel at most.
    pub(crate) window: usize,
}

/// A channel's number within its pool (not the AMQP channel id).
pub(crate) type ChannelId = u64;

#[derive(Debug)]
struct Slot {
    id: ChannelId,
    created: Instant,
    in_flight: usize,
    idle_since: Instant,
    /// Past `pool_recycle`: takes no new publishes, closed once idle.
    retiring: bool,
}

/// Where the next publish goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// On this existing channel.
    Use(ChannelId),
    /// On a new channel with this id (already counted).
    Create(ChannelId),
    /// Every channel's window is full and no more may be opened.
    Wait,
}

/// A pool's channels by whether they carry publishes (for the metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Occupancy {
    pub(crate) in_use: usize,
    pub(crate) idle: usize,
}

/// The bookkeeping of one pool.
#[derive(Debug)]
pub(crate) struct PoolBook {
    limits: PoolLimits,
    channels: Vec<Slot>,
    next_id: ChannelId,
}

impl PoolBook {
    pub(crate) fn new(limits: PoolLimits) -> Self {
        Self {
            limits: PoolLimits {
                window: limits.window.max(1),
                ..limits
            },
            channels: Vec::new(),
            next_id: 1,
        }
    }

    /// Route one publish at `now`; `alone`: on a channel that carries nothing else
    /// until it is settled. Channels to close (recycled or stale, met on the way) are
    /// added to `retire` and forgotten.
    pub(crate) fn route(
        &mut self,
        now: Instant,
        alone: bool,
        retire: &mut Vec<ChannelId>,
    ) -> Route {
        let limits = self.limits;
        for slot in &mut self.channels {
            if limits
                .recycle
                .is_some_and(|r| now.saturating_duration_since(slot.created) > r)
            {
                slot.retiring = true;
            }
            let stale = limits
                .stale
                .is_some_and(|s| now.saturating_duration_since(slot.idle_since) > s);
            if slot.in_flight == 0 && stale {
                slot.retiring = true;
            }
        }
        self.forget_idle_retiring(retire);
        // A publish alone takes a whole window.
        let (room, weight) = if alone {
            (0, limits.window)
        } else {
            (limits.window - 1, 1)
        };
        if let Some(slot) = self
            .channels
            .iter_mut()
            .find(|s| !s.retiring && s.in_flight <= room)
        {
            slot.in_flight += weight;
            return Route::Use(slot.id);
        }
        let open = self.channels.iter().filter(|s| !s.retiring).count();
        if open < limits.max_size + limits.max_overflow {
            let id = self.next_id;
            self.next_id += 1;
            self.channels.push(Slot {
                id,
                created: now,
                in_flight: weight,
                idle_since: now,
                retiring: false,
            });
            return Route::Create(id);
        }
        Route::Wait
    }

    /// A publish on `id` (routed `alone` or not) is settled at `now`. An overflow
    /// channel that falls idle, or a retiring one, is added to `retire` and forgotten.
    pub(crate) fn settled(
        &mut self,
        id: ChannelId,
        alone: bool,
        now: Instant,
        retire: &mut Vec<ChannelId>,
    ) {
        let weight = if alone { self.limits.window } else { 1 };
        let Some(slot) = self.channels.iter_mut().find(|s| s.id == id) else {
            return;
        };
        slot.in_flight = slot.in_flight.saturating_sub(weight);
        if slot.in_flight == 0 {
            slot.idle_since = now;
        }
        let kept = self.channels.iter().filter(|s| !s.retiring).count();
        if kept > self.limits.max_size
            && let Some(slot) = self
                .channels
                .iter_mut()
                .rev()
                .find(|s| s.in_flight == 0 && !s.retiring)
        {
            slot.retiring = true;
        }
        self.forget_idle_retiring(retire);
    }

    /// Forget every channel (the pool restarts); returns them to close.
    pub(crate) fn clear(&mut self) -> Vec<ChannelId> {
        self.channels.drain(..).map(|s| s.id).collect()
    }

    fn forget_idle_retiring(&mut self, retire: &mut Vec<ChannelId>) {
        self.channels.retain(|s| {
            let done = s.retiring && s.in_flight == 0;
            if done {
                retire.push(s.id);
            }
            !done
        });
    }

    /// How many channels carry publishes awaiting their confirms, and how many carry
    /// none (retiring ones still settling count as in use).
    pub(crate) fn occupancy(&self) -> Occupancy {
        let in_use = self.channels.iter().filter(|s| s.in_flight > 0).count();
        Occupancy {
            in_use,
            idle: self.channels.len() - in_use,
        }
    }

    /// Channels that exist (including retiring ones still settling).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.channels.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_size: usize, max_overflow: usize, window: usize) -> PoolLimits {
        PoolLimits {
            max_size,
            max_overflow,
            recycle: Some(Duration::from_secs(600)),
            stale: Some(Duration::from_secs(60)),
            window,
        }
    }

    fn route(book: &mut PoolBook, now: Instant) -> Route {
        let mut retired = Vec::new();
        let r = book.route(now, false, &mut retired);
        assert!(retired.is_empty(), "nothing retired: {retired:?}");
        r
    }

    #[test]
    fn publishes_share_one_channel_until_its_window_is_full() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(2, 0, 3));
        assert_eq!(route(&mut book, now), Route::Create(1));
        assert_eq!(route(&mut book, now), Route::Use(1));
        assert_eq!(route(&mut book, now), Route::Use(1));
        assert_eq!(route(&mut book, now), Route::Create(2));
        for _ in 0..2 {
            assert_eq!(route(&mut book, now), Route::Use(2));
        }
        assert_eq!(route(&mut book, now), Route::Wait);
        let mut retired = Vec::new();
        book.settled(2, false, now, &mut retired);
        assert!(retired.is_empty());
        assert_eq!(route(&mut book, now), Route::Use(2));
    }

    #[test]
    fn overflow_channels_close_once_idle() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(1, 1, 1));
        assert_eq!(route(&mut book, now), Route::Create(1));
        assert_eq!(route(&mut book, now), Route::Create(2));
        assert_eq!(route(&mut book, now), Route::Wait);
        let mut retired = Vec::new();
        book.settled(2, false, now, &mut retired);
        assert_eq!(retired, vec![2]);
        assert_eq!(book.len(), 1);
        book.settled(1, false, now, &mut retired);
        assert_eq!(retired, vec![2], "the kept channel stays");
        assert_eq!(route(&mut book, now), Route::Use(1));
    }

    #[test]
    fn recycled_channels_take_no_new_publishes_and_close_once_idle() {
        let t0 = Instant::now();
        let mut book = PoolBook::new(limits(1, 0, 2));
        assert_eq!(route(&mut book, t0), Route::Create(1));
        let t1 = t0 + Duration::from_secs(601);
        let mut retired = Vec::new();
        // Busy past pool_recycle: a new channel takes over, the old one drains.
        assert_eq!(book.route(t1, false, &mut retired), Route::Create(2));
        assert!(retired.is_empty());
        book.settled(1, false, t1, &mut retired);
        assert_eq!(retired, vec![1]);
        assert_eq!(book.len(), 1);
    }

    #[test]
    fn stale_channels_are_closed_when_met() {
        let t0 = Instant::now();
        let mut book = PoolBook::new(limits(2, 0, 1));
        assert_eq!(route(&mut book, t0), Route::Create(1));
        let mut retired = Vec::new();
        book.settled(1, false, t0, &mut retired);
        let t1 = t0 + Duration::from_secs(61);
        assert_eq!(book.route(t1, false, &mut retired), Route::Create(2));
        assert_eq!(retired, vec![1]);
    }

    #[test]
    fn without_recycle_and_stale_channels_live_forever() {
        let t0 = Instant::now();
        let mut book = PoolBook::new(PoolLimits {
            max_size: 1,
            max_overflow: 0,
            recycle: None,
            stale: None,
            window: 1,
        });
        assert_eq!(route(&mut book, t0), Route::Create(1));
        let mut retired = Vec::new();
        book.settled(1, false, t0, &mut retired);
        let later = t0 + Duration::from_secs(100_000);
        assert_eq!(route(&mut book, later), Route::Use(1));
    }

    #[test]
    fn a_publish_alone_waits_for_an_idle_channel_and_fills_it() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(2, 0, 3));
        assert_eq!(route(&mut book, now), Route::Create(1));
        let mut retired = Vec::new();
        assert_eq!(book.route(now, true, &mut retired), Route::Create(2));
        // Channel 2 carries nothing else; channel 1 has room.
        assert_eq!(route(&mut book, now), Route::Use(1));
        assert_eq!(route(&mut book, now), Route::Use(1));
        assert_eq!(route(&mut book, now), Route::Wait);
        assert_eq!(book.route(now, true, &mut retired), Route::Wait);
        book.settled(2, true, now, &mut retired);
        assert_eq!(route(&mut book, now), Route::Use(2));
        assert!(retired.is_empty());
    }

    #[test]
    fn a_zero_window_counts_as_one() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(1, 0, 0));
        assert_eq!(route(&mut book, now), Route::Create(1));
        assert_eq!(route(&mut book, now), Route::Wait);
    }

    #[test]
    fn occupancy_counts_channels_with_publishes_in_flight_as_in_use() {
        let mut book = PoolBook::new(limits(2, 0, 1));
        assert_eq!(book.occupancy(), Occupancy::default());
        let now = Instant::now();
        let mut retire = Vec::new();
        let Route::Create(first) = book.route(now, false, &mut retire) else {
            panic!("the first publish opens a channel");
        };
        book.route(now, false, &mut retire);
        assert_eq!(book.occupancy(), Occupancy { in_use: 2, idle: 0 });
        book.settled(first, false, now, &mut retire);
        assert_eq!(book.occupancy(), Occupancy { in_use: 1, idle: 1 });
        book.clear();
        assert_eq!(book.occupancy(), Occupancy::default());
    }

    #[test]
    fn clearing_forgets_every_channel() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(2, 0, 1));
        route(&mut book, now);
        route(&mut book, now);
        assert_eq!(book.clear(), vec![1, 2]);
        assert_eq!(route(&mut book, now), Route::Create(3));
    }
}
