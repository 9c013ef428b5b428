//! [`Priority`]: the level of a notification.

use std::fmt;
use std::str::FromStr;

use crate::wire_error::WireError;

/// The priority of a notification: which notifier method sent it, and which
/// `<topic>.<priority>` queue it goes to.
///
/// Upper-case in the body's `priority` field ([`Priority::wire_name`]), lower-case in the
/// routing key ([`Priority::name`]). Parsing ignores case and takes Python's alias
/// `warning` for [`Priority::Warn`].
///
/// # Examples
///
/// ```
/// use warren_core::Priority;
/// let p: Priority = "Warning".parse().unwrap();
/// assert_eq!(p, Priority::Warn);
/// assert_eq!(p.wire_name(), "WARN");
/// assert_eq!(p.name(), "warn");
/// assert!("verbose".parse::<Priority>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// `audit`
    Audit,
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warn` (notifier methods `warn` and `warning`)
    Warn,
    /// `error`
    Error,
    /// `critical`
    Critical,
    /// `sample`
    Sample,
}

impl Priority {
    /// Every priority, in oslo's order.
    pub const ALL: [Priority; 7] = [
        Priority::Audit,
        Priority::Debug,
        Priority::Info,
        Priority::Warn,
        Priority::Error,
        Priority::Critical,
        Priority::Sample,
    ];

    /// The lower-case name used in routing keys and queue names: `info`.
    pub fn name(self) -> &'static str {
        match self {
            Priority::Audit => "audit",
            Priority::Debug => "debug",
            Priority::Info => "info",
            Priority::Warn => "warn",
            Priority::Error => "error",
            Priority::Critical => "critical",
            Priority::Sample => "sample",
        }
    }

    /// The upper-case name of the body's `priority` field: `INFO`.
    pub fn wire_name(self) -> &'static str {
        match self {
            Priority::Audit => "AUDIT",
            Priority::Debug => "DEBUG",
            Priority::Info => "INFO",
            Priority::Warn => "WARN",
            Priority::Error => "ERROR",
            Priority::Critical => "CRITICAL",
            Priority::Sample => "SAMPLE",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Priority {
    type Err = WireError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("warning") {
            return Ok(Priority::Warn);
        }
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| WireError::UnknownPriority {
                given: crate::wire_error::excerpt(s),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_in_any_case() {
        for p in Priority::ALL {
            assert_eq!(p.name().parse::<Priority>(), Ok(p));
            assert_eq!(p.wire_name().parse::<Priority>(), Ok(p));
            assert_eq!(p.wire_name().to_lowercase(), p.name());
        }
        assert_eq!("WARNING".parse::<Priority>(), Ok(Priority::Warn));
        assert_eq!(
            "".parse::<Priority>(),
            Err(WireError::UnknownPriority {
                given: String::new()
            })
        );
    }
}
