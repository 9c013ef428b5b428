//! [`NotificationDriver`]: what a notifier does with each notification,
//! `[oslo_messaging_notifications] driver`.

use std::fmt;
use std::str::FromStr;

/// One entry of `[oslo_messaging_notifications] driver`.
///
/// A notifier applies every configured driver to each notification. An empty list
/// means [`NotificationDriver::MessagingV2`] in warren: unlike oslo's `Notifier`, which
/// drops every notification when the list is empty, a warren notifier exists only
/// because code asked to send notifications. `noop` turns them off.
///
/// # Examples
///
/// ```
/// use warren_core::NotificationDriver;
/// assert_eq!("messagingv2".parse(), Ok(NotificationDriver::MessagingV2));
/// assert_eq!(NotificationDriver::Noop.name(), "noop");
/// assert!("routing".parse::<NotificationDriver>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationDriver {
    /// `messaging`: publish to the broker. With the Pika driver the same bytes as
    /// `messagingv2` (the Pika driver has no message envelope).
    Messaging,
    /// `messagingv2`: publish to the broker.
    MessagingV2,
    /// `log`: log one line per notification (publisher, event type, priority, message
    /// id; never the payload) at INFO under the target `warren::notification`.
    Log,
    /// `noop`: drop the notification.
    Noop,
}

impl NotificationDriver {
    /// Every driver warren has, in the order of [`NotificationDriver::NAMES`].
    pub const ALL: [NotificationDriver; 4] = [
        NotificationDriver::Messaging,
        NotificationDriver::MessagingV2,
        NotificationDriver::Log,
        NotificationDriver::Noop,
    ];

    /// The option values warren accepts.
    pub const NAMES: [&'static str; 4] = ["messaging", "messagingv2", "log", "noop"];

    /// The option value.
    pub fn name(self) -> &'static str {
        match self {
            NotificationDriver::Messaging => "messaging",
            NotificationDriver::MessagingV2 => "messagingv2",
            NotificationDriver::Log => "log",
            NotificationDriver::Noop => "noop",
        }
    }

    /// Whether this driver publishes to the broker.
    pub fn publishes(self) -> bool {
        matches!(
            self,
            NotificationDriver::Messaging | NotificationDriver::MessagingV2
        )
    }
}

impl fmt::Display for NotificationDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a driver name warren does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown notification driver {given:?}: expected `messaging`, `messagingv2`, `log` or `noop`"
)]
pub struct UnknownNotificationDriver {
    /// The name that was given.
    pub given: String,
}

impl FromStr for NotificationDriver {
    type Err = UnknownNotificationDriver;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownNotificationDriver {
                given: s.to_owned(),
            })
    }
}

impl serde::Serialize for NotificationDriver {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// What a notifier does with each notification under `drivers`: publish it, log it,
/// both or neither.
///
/// # Examples
///
/// ```
/// use warren_core::{NotificationDriver, NotificationSinks};
/// let default = NotificationSinks::of(&[]);
/// assert!(default.publish && !default.log);
/// let off = NotificationSinks::of(&[NotificationDriver::Noop]);
/// assert!(!off.publish && !off.log);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationSinks {
    /// Publish to the broker.
    pub publish: bool,
    /// Log one line.
    pub log: bool,
}

impl NotificationSinks {
    /// The sinks of `drivers`; an empty list publishes (see [`NotificationDriver`]).
    pub fn of(drivers: &[NotificationDriver]) -> Self {
        if drivers.is_empty() {
            return Self {
                publish: true,
                log: false,
            };
        }
        Self {
            publish: drivers.iter().any(|d| d.publishes()),
            log: drivers.contains(&NotificationDriver::Log),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (driver, name) in NotificationDriver::ALL
            .iter()
            .zip(NotificationDriver::NAMES)
        {
            assert_eq!(driver.name(), name);
            assert_eq!(name.parse(), Ok(*driver));
        }
    }

    #[test]
    fn drivers_warren_lacks_are_refused_by_name() {
        for name in ["routing", "test", "Messaging", ""] {
            let e = name.parse::<NotificationDriver>().unwrap_err();
            assert!(e.to_string().contains("messagingv2"), "{e}");
        }
    }

    #[test]
    fn sinks_combine_every_driver() {
        use NotificationDriver::*;
        let both = NotificationSinks::of(&[MessagingV2, Log]);
        assert!(both.publish && both.log);
        let log_only = NotificationSinks::of(&[Log]);
        assert!(!log_only.publish && log_only.log);
        let noop_and_messaging = NotificationSinks::of(&[Noop, Messaging]);
        assert!(noop_and_messaging.publish && !noop_and_messaging.log);
    }
}
