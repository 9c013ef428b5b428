//! [`InertOption`]: an option set to a value warren accepts but cannot act on, and why.

use std::fmt;

use crate::config::Config;
use crate::connection_factory::ConnectionFactory;
use crate::pika_options::PikaOptions;
use crate::section::Section;

/// An option whose configured value has no effect in warren. Such values are accepted,
/// so that configuration files shared with Python services load, and a transport
/// started with them logs each once at WARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InertOption {
    /// Where the option lives.
    pub section: Section,
    /// The option name.
    pub name: &'static str,
    /// The value as configured.
    pub value: String,
    /// Why it has no effect, and what to do instead.
    pub reason: &'static str,
}

impl fmt::Display for InertOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} = {} has no effect: {}",
            self.section.name(),
            self.name,
            self.value,
            self.reason
        )
    }
}

impl Config {
    /// The options configured to a value warren accepts but does not act on; empty
    /// when none is.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::{Config, Section};
    /// let config = Config::builder()
    ///     .set(Section::Pika, "connection_factory", "read_write")
    ///     .build()
    ///     .unwrap();
    /// let inert = config.inert_options();
    /// assert_eq!(inert[0].name, "connection_factory");
    /// assert!(Config::default().inert_options().is_empty());
    /// ```
    pub fn inert_options(&self) -> Vec<InertOption> {
        let defaults = PikaOptions::default();
        let mut inert = Vec::new();
        if self.pika.connection_factory != ConnectionFactory::Single {
            inert.push(InertOption {
                section: Section::Pika,
                name: "connection_factory",
                value: self.pika.connection_factory.to_string(),
                reason: "warren runs every transport on one connection (`single`), each actor \
                         on channels of its own; for separate publisher and consumer \
                         connections, start two transports",
            });
        }
        if self.pika.default_notification_retry_attempts
            != defaults.default_notification_retry_attempts
        {
            inert.push(InertOption {
                section: Section::Pika,
                name: "default_notification_retry_attempts",
                value: self.pika.default_notification_retry_attempts.to_string(),
                reason: "notifications are retried as [oslo_messaging_notifications] retry \
                         says (oslo's Notifier always passes it to the driver); set that \
                         instead",
            });
        }
        inert
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_values_are_named_with_the_reason_and_defaults_are_not() {
        let config = Config::builder()
            .set(Section::Pika, "connection_factory", "new")
            .set(Section::Pika, "default_notification_retry_attempts", "3")
            .build()
            .unwrap();
        let inert: Vec<String> = config
            .inert_options()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(inert.len(), 2, "{inert:?}");
        assert!(
            inert[0].starts_with("[oslo_messaging_pika] connection_factory = new has no effect")
        );
        assert!(inert[1].contains("[oslo_messaging_notifications] retry"));
        let single = Config::builder()
            .set(Section::Pika, "connection_factory", "single")
            .build()
            .unwrap();
        assert!(single.inert_options().is_empty());
    }
}
