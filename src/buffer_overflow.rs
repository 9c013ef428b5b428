//! [`BufferOverflow`]: what a full notification buffer does with one more
//! notification (`[oslo_messaging_pika] notification_buffer_overflow`).

use std::fmt;
use std::str::FromStr;

/// What a buffered notifier does when its buffer is full (the broker has been away
/// long enough for `notification_buffer_size` notifications to pile up).
///
/// # Examples
///
/// ```
/// use warren_core::BufferOverflow;
/// assert_eq!("wait".parse(), Ok(BufferOverflow::Wait));
/// assert_eq!(BufferOverflow::default().name(), "drop_oldest");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BufferOverflow {
    /// `drop_oldest`: make room by dropping the oldest notification not yet handed to
    /// the broker, and count it; the caller never waits (the default).
    #[default]
    DropOldest,
    /// `wait`: the caller waits until there is room; nothing is dropped.
    Wait,
}

impl BufferOverflow {
    /// Every choice.
    pub const ALL: [BufferOverflow; 2] = [BufferOverflow::DropOldest, BufferOverflow::Wait];

    /// The option names of [`BufferOverflow::ALL`].
    pub const NAMES: [&'static str; 2] = ["drop_oldest", "wait"];

    /// The option value: `drop_oldest` or `wait`.
    pub fn name(self) -> &'static str {
        match self {
            BufferOverflow::DropOldest => "drop_oldest",
            BufferOverflow::Wait => "wait",
        }
    }
}

impl fmt::Display for BufferOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a name that is not `drop_oldest` or `wait`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown buffer overflow policy {given:?}: expected `drop_oldest` or `wait`")]
pub struct UnknownBufferOverflow {
    /// The name that was given.
    pub given: String,
}

impl FromStr for BufferOverflow {
    type Err = UnknownBufferOverflow;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownBufferOverflow {
                given: s.to_owned(),
            })
    }
}

impl serde::Serialize for BufferOverflow {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for policy in BufferOverflow::ALL {
            assert_eq!(policy.name().parse(), Ok(policy));
        }
        let refused = "drop_newest".parse::<BufferOverflow>().unwrap_err();
        assert!(refused.to_string().contains("`drop_oldest` or `wait`"));
    }
}
