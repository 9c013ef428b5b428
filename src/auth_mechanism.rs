//! [`AuthMechanism`]: how warren authenticates to the broker, `auth_mechanism`.

use std::fmt;
use std::str::FromStr;

/// The SASL mechanism: `[oslo_messaging_pika] auth_mechanism`, a warren option (the
/// Pika driver always uses `PLAIN`).
///
/// # Examples
///
/// ```
/// use warren_core::AuthMechanism;
/// assert_eq!("EXTERNAL".parse(), Ok(AuthMechanism::External));
/// assert_eq!(AuthMechanism::default().name(), "PLAIN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthMechanism {
    /// `PLAIN`: the user name and password of the transport URL (the default).
    #[default]
    Plain,
    /// `EXTERNAL`: the TLS client certificate (`ssl_options` `certfile`) names the
    /// user; the broker needs the `rabbitmq_auth_mechanism_ssl` plugin, and the URL's
    /// password is not sent.
    External,
}

impl AuthMechanism {
    /// The option names, in order.
    pub const NAMES: [&'static str; 2] = ["PLAIN", "EXTERNAL"];

    /// The option value: `PLAIN` or `EXTERNAL`.
    pub fn name(self) -> &'static str {
        match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::External => "EXTERNAL",
        }
    }
}

impl fmt::Display for AuthMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a name other than `PLAIN` or `EXTERNAL`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown auth mechanism {given:?}: expected `PLAIN` or `EXTERNAL`")]
pub struct UnknownAuthMechanism {
    /// The name that was given.
    pub given: String,
}

impl FromStr for AuthMechanism {
    type Err = UnknownAuthMechanism;

    /// SASL names are case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "PLAIN" => Ok(AuthMechanism::Plain),
            "EXTERNAL" => Ok(AuthMechanism::External),
            _ => Err(UnknownAuthMechanism {
                given: s.to_owned(),
            }),
        }
    }
}

impl serde::Serialize for AuthMechanism {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_case_does_not_matter() {
        for (m, name) in [
            (AuthMechanism::Plain, "PLAIN"),
            (AuthMechanism::External, "EXTERNAL"),
        ] {
            assert_eq!(m.name(), name);
            assert_eq!(name.parse(), Ok(m));
            assert_eq!(name.to_lowercase().parse(), Ok(m));
        }
        assert!("AMQPLAIN".parse::<AuthMechanism>().is_err());
    }
}
