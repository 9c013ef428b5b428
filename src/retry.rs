//! [`Retry`]: how many times a publish is attempted, from oslo's retry integers.

use std::fmt;
use std::num::NonZeroU32;

/// How many attempts a sender makes when the broker connection fails: oslo's
/// `*_retry_attempts` and `retry` integers.
///
/// | oslo | `Retry` | meaning |
/// |---|---|---|
/// | `-1` | [`Retry::Forever`] | retry until it works (for RPC, until the call times out) |
/// | `0` | [`Retry::NoRetrier`] | one attempt; an RPC request sent this way also uses the `no_ack` routing-key prefix |
/// | `N > 0` | [`Retry::Attempts`] | `N` attempts **in total**, as the Python driver counts them (not `N` retries) |
///
/// # Examples
///
/// ```
/// use warren_core::Retry;
/// assert_eq!(Retry::from_oslo(-1), Ok(Retry::Forever));
/// assert_eq!(Retry::from_oslo(3).unwrap().max_attempts(), Some(3));
/// assert_eq!(Retry::NoRetrier.to_oslo(), 0);
/// assert!(Retry::from_oslo(-2).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Retry {
    /// `-1`: keep trying.
    #[default]
    Forever,
    /// `0`: a single attempt, no retrier.
    NoRetrier,
    /// `N > 0`: `N` attempts in total.
    Attempts(NonZeroU32),
}

/// An oslo retry integer below `-1` or too large to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid retry count {given}: expected -1 (retry forever), 0 (no retry) or a number of attempts from 1 to 4294967295"
)]
pub struct InvalidRetry {
    /// The integer given.
    pub given: i64,
}

impl Retry {
    /// Converts oslo's integer: `-1` forever, `0` no retrier, `N > 0` attempts.
    ///
    /// # Errors
    ///
    /// [`InvalidRetry`] for integers below `-1` or above `u32::MAX`.
    pub fn from_oslo(value: i64) -> Result<Self, InvalidRetry> {
        match value {
            -1 => Ok(Retry::Forever),
            0 => Ok(Retry::NoRetrier),
            n => u32::try_from(n)
                .ok()
                .and_then(NonZeroU32::new)
                .map(Retry::Attempts)
                .ok_or(InvalidRetry { given: n }),
        }
    }

    /// The oslo integer: `-1`, `0` or `N`.
    pub fn to_oslo(self) -> i64 {
        match self {
            Retry::Forever => -1,
            Retry::NoRetrier => 0,
            Retry::Attempts(n) => i64::from(n.get()),
        }
    }

    /// Total attempts allowed, or `None` for no limit.
    pub fn max_attempts(self) -> Option<u32> {
        match self {
            Retry::Forever => None,
            Retry::NoRetrier => Some(1),
            Retry::Attempts(n) => Some(n.get()),
        }
    }
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_oslo())
    }
}

/// Serialized as the oslo integer.
impl serde::Serialize for Retry {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.to_oslo())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oslo_integers_round_trip() {
        for n in [-1, 0, 1, 2, 100, i64::from(u32::MAX)] {
            assert_eq!(Retry::from_oslo(n).unwrap().to_oslo(), n);
        }
    }

    #[test]
    fn attempts_count_totals() {
        assert_eq!(Retry::Forever.max_attempts(), None);
        assert_eq!(Retry::NoRetrier.max_attempts(), Some(1));
        assert_eq!(Retry::from_oslo(5).unwrap().max_attempts(), Some(5));
    }

    #[test]
    fn other_negatives_and_overflow_are_errors() {
        for n in [-2, -100, i64::MIN, i64::from(u32::MAX) + 1] {
            let err = Retry::from_oslo(n).unwrap_err();
            assert_eq!(err.given, n);
            assert!(err.to_string().contains("-1"));
        }
    }
}
