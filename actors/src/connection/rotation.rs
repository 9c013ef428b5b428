//! [`HostRotation`]: which host of the transport URL to try next.
//!
//! Pure bookkeeping, so the policy is unit-tested without a broker: hosts are tried
//! round-robin from a random start, and a host whose last attempt failed is skipped
//! until `host_connection_reconnect_delay` has passed since that attempt (the Pika
//! driver's per-host throttle).

use std::time::{Duration, Instant};

/// Per-host attempt history and the round-robin cursor.
#[derive(Debug, Clone)]
pub(crate) struct HostRotation {
    cursor: usize,
    hosts: Vec<HostHistory>,
    throttle: Duration,
}

#[derive(Debug, Clone, Default)]
struct HostHistory {
    /// When the last attempt on this host failed, if it did.
    failed_at: Option<Instant>,
}

/// The choice for the next attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NextHost {
    /// Try the host with this index now.
    Try(usize),
    /// Every host failed recently: wait this long, then ask again.
    WaitFor(Duration),
}

impl HostRotation {
    /// A rotation over `count` hosts (at least one) whose first pick follows `start`.
    pub(crate) fn new(count: usize, start: usize, throttle: Duration) -> Self {
        let count = count.max(1);
        Self {
            cursor: start % count,
            hosts: vec![HostHistory::default(); count],
            throttle,
        }
    }

    /// The next host to try at `now`: the first one after the cursor that is not
    /// throttled. The cursor advances past the chosen host.
    pub(crate) fn next(&mut self, now: Instant) -> NextHost {
        let count = self.hosts.len();
        let mut soonest: Option<Duration> = None;
        for step in 1..=count {
            let index = (self.cursor + step) % count;
            match self.hosts[index].failed_at {
                Some(at) if now.saturating_duration_since(at) < self.throttle => {
                    let wait = self.throttle - now.saturating_duration_since(at);
                    soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
                }
                _ => {
                    self.cursor = index;
                    return NextHost::Try(index);
                }
            }
        }
        NextHost::WaitFor(soonest.unwrap_or(self.throttle))
    }

    /// Record that the attempt on `index` failed at `now`.
    pub(crate) fn failed(&mut self, index: usize, now: Instant) {
        if let Some(h) = self.hosts.get_mut(index) {
            h.failed_at = Some(now);
        }
    }

    /// Record that the attempt on `index` succeeded.
    pub(crate) fn succeeded(&mut self, index: usize) {
        if let Some(h) = self.hosts.get_mut(index) {
            h.failed_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(250);

    #[test]
    fn starts_after_the_random_start_and_goes_round_robin() {
        let now = Instant::now();
        let mut r = HostRotation::new(3, 1, DELAY);
        assert_eq!(r.next(now), NextHost::Try(2));
        assert_eq!(r.next(now), NextHost::Try(0));
        assert_eq!(r.next(now), NextHost::Try(1));
        assert_eq!(r.next(now), NextHost::Try(2));
    }

    #[test]
    fn a_host_that_just_failed_is_skipped_until_the_delay_passed() {
        let now = Instant::now();
        let mut r = HostRotation::new(2, 1, DELAY);
        assert_eq!(r.next(now), NextHost::Try(0));
        r.failed(0, now);
        assert_eq!(r.next(now), NextHost::Try(1));
        r.failed(1, now);
        // Both throttled: wait for the first to become eligible again.
        assert_eq!(r.next(now), NextHost::WaitFor(DELAY));
        let later = now + DELAY;
        assert_eq!(r.next(later), NextHost::Try(0));
    }

    #[test]
    fn success_clears_the_throttle() {
        let now = Instant::now();
        let mut r = HostRotation::new(1, 0, DELAY);
        assert_eq!(r.next(now), NextHost::Try(0));
        r.failed(0, now);
        assert_eq!(r.next(now), NextHost::WaitFor(DELAY));
        r.succeeded(0);
        assert_eq!(r.next(now), NextHost::Try(0));
    }

    #[test]
    fn a_single_host_is_retried_after_the_delay() {
        let now = Instant::now();
        let mut r = HostRotation::new(1, 7, DELAY);
        assert_eq!(r.next(now), NextHost::Try(0));
        r.failed(0, now);
        assert_eq!(
            r.next(now + Duration::from_millis(100)),
            NextHost::WaitFor(Duration::from_millis(150))
        );
        assert_eq!(r.next(now + DELAY), NextHost::Try(0));
    }
}
