//! [`PoolBook`]: the pool options' arithmetic, kept pure so it is unit-tested.
//!
//! Semantics of `pika_pool.QueuedPool` as the guide documents them: at most
//! `pool_max_size` items are kept idle; up to `pool_max_overflow` more may exist while
//! demand is high (they are closed on release instead of being kept); an item older
//! than `pool_recycle` (since creation) or idle longer than `pool_stale` (since
//! release) is closed when met on acquire.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The pool options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolLimits {
    pub(crate) max_size: usize,
    pub(crate) max_overflow: usize,
    pub(crate) recycle: Option<Duration>,
    pub(crate) stale: Option<Duration>,
}

/// An item the pool owns, with its age.
#[derive(Debug)]
pub(crate) struct Aged<T> {
    pub(crate) item: T,
    pub(crate) created: Instant,
    released: Instant,
}

/// What an acquire should do.
#[derive(Debug)]
pub(crate) enum Acquire<T> {
    /// Use this idle item.
    Reuse(T, Instant),
    /// Create a new item (already counted as open).
    Create,
    /// All items are in use: wait for a release.
    Wait,
}

/// The bookkeeping of one pool.
#[derive(Debug)]
pub(crate) struct PoolBook<T> {
    limits: PoolLimits,
    idle: VecDeque<Aged<T>>,
    /// Items that exist: idle, lent out, or being created.
    open: usize,
}

impl<T> PoolBook<T> {
    pub(crate) fn new(limits: PoolLimits) -> Self {
        Self {
            limits,
            idle: VecDeque::new(),
            open: 0,
        }
    }

    fn expired(&self, aged: &Aged<T>, now: Instant) -> bool {
        let too_old = self
            .limits
            .recycle
            .is_some_and(|r| now.saturating_duration_since(aged.created) > r);
        let too_idle = self
            .limits
            .stale
            .is_some_and(|s| now.saturating_duration_since(aged.released) > s);
        too_old || too_idle
    }

    /// Decide an acquire at `now`. Expired idle items met on the way are returned in
    /// `to_close` (no longer counted), along with any item `usable` rejects.
    pub(crate) fn acquire(
        &mut self,
        now: Instant,
        usable: impl Fn(&T) -> bool,
        to_close: &mut Vec<T>,
    ) -> Acquire<T> {
        while let Some(aged) = self.idle.pop_front() {
            if self.expired(&aged, now) || !usable(&aged.item) {
                self.open -= 1;
                to_close.push(aged.item);
                continue;
            }
            return Acquire::Reuse(aged.item, aged.created);
        }
        if self.open < self.limits.max_size + self.limits.max_overflow {
            self.open += 1;
            Acquire::Create
        } else {
            Acquire::Wait
        }
    }

    /// A creation decided by [`PoolBook::acquire`] failed.
    pub(crate) fn creation_failed(&mut self) {
        self.open = self.open.saturating_sub(1);
    }

    /// Give an item back at `now`. Returns it when it must be closed instead of kept
    /// (unhealthy, or the pool already keeps `max_size` idle items).
    pub(crate) fn release(
        &mut self,
        item: T,
        created: Instant,
        now: Instant,
        healthy: bool,
    ) -> Option<T> {
        if !healthy || self.idle.len() >= self.limits.max_size {
            self.open = self.open.saturating_sub(1);
            return Some(item);
        }
        self.idle.push_back(Aged {
            item,
            created,
            released: now,
        });
        None
    }

    /// Items that exist (idle, lent or being created).
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.open
    }

    /// Items waiting idle.
    #[cfg(test)]
    pub(crate) fn idle(&self) -> usize {
        self.idle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_size: usize, max_overflow: usize) -> PoolLimits {
        PoolLimits {
            max_size,
            max_overflow,
            recycle: Some(Duration::from_secs(600)),
            stale: Some(Duration::from_secs(60)),
        }
    }

    fn take(book: &mut PoolBook<u32>, now: Instant) -> Acquire<u32> {
        let mut closed = Vec::new();
        let a = book.acquire(now, |_| true, &mut closed);
        assert!(closed.is_empty());
        a
    }

    #[test]
    fn creates_up_to_max_size_plus_overflow_then_waits() {
        let now = Instant::now();
        let mut book = PoolBook::<u32>::new(limits(2, 1));
        for _ in 0..3 {
            assert!(matches!(take(&mut book, now), Acquire::Create));
        }
        assert!(matches!(take(&mut book, now), Acquire::Wait));
        assert_eq!(book.open(), 3);
    }

    #[test]
    fn released_items_are_reused_first_in_first_out() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(2, 0));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(book.release(1, now, now, true).is_none());
        assert!(book.release(2, now, now, true).is_none());
        assert!(matches!(take(&mut book, now), Acquire::Reuse(1, _)));
        assert!(matches!(take(&mut book, now), Acquire::Reuse(2, _)));
    }

    #[test]
    fn overflow_items_are_closed_on_release() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(1, 1));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(book.release(1, now, now, true).is_none());
        assert_eq!(book.release(2, now, now, true), Some(2));
        assert_eq!((book.open(), book.idle()), (1, 1));
    }

    #[test]
    fn unhealthy_items_are_closed_and_make_room() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(1, 0));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(matches!(take(&mut book, now), Acquire::Wait));
        assert_eq!(book.release(7, now, now, false), Some(7));
        assert!(matches!(take(&mut book, now), Acquire::Create));
    }

    #[test]
    fn recycled_and_stale_items_are_closed_on_acquire() {
        let t0 = Instant::now();
        let mut book = PoolBook::new(limits(3, 0));
        for _ in 0..3 {
            assert!(matches!(take(&mut book, t0), Acquire::Create));
        }
        // 1: created long ago (recycle); 2: idle too long (stale); 3: fresh.
        let t1 = t0 + Duration::from_secs(601);
        assert!(
            book.release(1, t0, t1 - Duration::from_secs(1), true)
                .is_none()
        );
        assert!(
            book.release(
                2,
                t1 - Duration::from_secs(10),
                t1 - Duration::from_secs(61),
                true
            )
            .is_none()
        );
        assert!(
            book.release(3, t1 - Duration::from_secs(10), t1, true)
                .is_none()
        );
        let mut closed = Vec::new();
        let a = book.acquire(t1, |_| true, &mut closed);
        assert!(matches!(a, Acquire::Reuse(3, _)));
        assert_eq!(closed, vec![1, 2]);
        assert_eq!(book.open(), 1);
    }

    #[test]
    fn no_recycle_and_no_stale_keep_items_forever() {
        let t0 = Instant::now();
        let mut book = PoolBook::new(PoolLimits {
            max_size: 1,
            max_overflow: 0,
            recycle: None,
            stale: None,
        });
        assert!(matches!(take(&mut book, t0), Acquire::Create));
        assert!(book.release(1, t0, t0, true).is_none());
        let later = t0 + Duration::from_secs(100_000);
        assert!(matches!(take(&mut book, later), Acquire::Reuse(1, _)));
    }

    #[test]
    fn unusable_items_are_dropped_on_acquire() {
        let now = Instant::now();
        let mut book = PoolBook::new(limits(2, 0));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        assert!(book.release(5, now, now, true).is_none());
        let mut closed = Vec::new();
        assert!(matches!(
            book.acquire(now, |i| *i != 5, &mut closed),
            Acquire::Create
        ));
        assert_eq!(closed, vec![5]);
    }

    #[test]
    fn failed_creation_gives_the_slot_back() {
        let now = Instant::now();
        let mut book = PoolBook::<u32>::new(limits(1, 0));
        assert!(matches!(take(&mut book, now), Acquire::Create));
        book.creation_failed();
        assert!(matches!(take(&mut book, now), Acquire::Create));
    }
}
