//! [`FailureLog`]: how often a connection that keeps failing says so.
//!
//! A broker that is down makes the connection fail every
//! `host_connection_reconnect_delay` (four times a second by default). The first
//! failure after a success is worth a warning with its cause; the attempts after it
//! only repeat it, so they are summed up at most once per [`SUMMARY_EVERY`].

use std::time::{Duration, Instant};

/// How often a connection that keeps failing logs a summary.
pub(crate) const SUMMARY_EVERY: Duration = Duration::from_secs(30);

/// What to log for one failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Report {
    /// The first failure since the connection was last up (or ever): a warning.
    First,
    /// Still failing: a warning summing up `attempts` failures since the last one.
    Summary { attempts: u32 },
    /// Nothing at warning level (debug only).
    Quiet,
}

/// The failures of one connection since it was last up.
#[derive(Debug, Default)]
pub(crate) struct FailureLog {
    /// When the last warning was logged; `None` while connected.
    reported_at: Option<Instant>,
    /// Failures since that warning.
    unreported: u32,
}

impl FailureLog {
    /// A connection attempt or a connection failed at `now`.
    pub(crate) fn failed(&mut self, now: Instant) -> Report {
        match self.reported_at {
            None => {
                self.reported_at = Some(now);
                self.unreported = 0;
                Report::First
            }
            Some(at) if now.saturating_duration_since(at) >= SUMMARY_EVERY => {
                let attempts = self.unreported + 1;
                self.reported_at = Some(now);
                self.unreported = 0;
                Report::Summary { attempts }
            }
            Some(_) => {
                self.unreported += 1;
                Report::Quiet
            }
        }
    }

    /// The connection is up: the next failure is news again.
    pub(crate) fn connected(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failure_warns_and_repeats_stay_quiet() {
        let mut log = FailureLog::default();
        let t = Instant::now();
        assert_eq!(log.failed(t), Report::First);
        for i in 1..100 {
            assert_eq!(
                log.failed(t + Duration::from_millis(250 * i)),
                Report::Quiet
            );
        }
    }

    #[test]
    fn a_summary_every_thirty_seconds_counts_the_attempts() {
        let mut log = FailureLog::default();
        let t = Instant::now();
        log.failed(t);
        for i in 1..=119 {
            log.failed(t + Duration::from_millis(250 * i));
        }
        // The 120th attempt after the first, 30 s later.
        assert_eq!(
            log.failed(t + SUMMARY_EVERY),
            Report::Summary { attempts: 120 }
        );
        assert_eq!(
            log.failed(t + SUMMARY_EVERY + Duration::from_secs(1)),
            Report::Quiet
        );
    }

    #[test]
    fn after_a_success_the_next_failure_warns_again() {
        let mut log = FailureLog::default();
        let t = Instant::now();
        log.failed(t);
        log.failed(t + Duration::from_secs(1));
        log.connected();
        assert_eq!(log.failed(t + Duration::from_secs(2)), Report::First);
    }
}
