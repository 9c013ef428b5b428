//! [`ConnectionFactory`]: how connections are shared, oslo's `connection_factory`.

use std::fmt;
use std::str::FromStr;

/// How the driver shares broker connections: `[oslo_messaging_pika] connection_factory`.
///
/// # Examples
///
/// ```
/// use warren_core::ConnectionFactory;
/// assert_eq!("read_write".parse(), Ok(ConnectionFactory::ReadWrite));
/// assert_eq!(ConnectionFactory::default().name(), "single");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConnectionFactory {
    /// `new`: a new connection for every use.
    New,
    /// `single`: one connection shared by everything (the default).
    #[default]
    Single,
    /// `read_write`: one connection for publishing and one for consuming.
    ReadWrite,
}

impl ConnectionFactory {
    /// Every choice, in oslo's order.
    pub const ALL: [ConnectionFactory; 3] = [
        ConnectionFactory::New,
        ConnectionFactory::Single,
        ConnectionFactory::ReadWrite,
    ];

    /// The option names of [`ConnectionFactory::ALL`].
    pub const NAMES: [&'static str; 3] = ["new", "single", "read_write"];

    /// The option value: `new`, `single` or `read_write`.
    pub fn name(self) -> &'static str {
        match self {
            ConnectionFactory::New => "new",
            ConnectionFactory::Single => "single",
            ConnectionFactory::ReadWrite => "read_write",
        }
    }
}

impl fmt::Display for ConnectionFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a name that is not `new`, `single` or `read_write`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown connection factory {given:?}: expected `new`, `single` or `read_write`")]
pub struct UnknownConnectionFactory {
    /// The name that was given.
    pub given: String,
}

impl FromStr for ConnectionFactory {
    type Err = UnknownConnectionFactory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownConnectionFactory {
                given: s.to_owned(),
            })
    }
}

impl serde::Serialize for ConnectionFactory {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (c, name) in ConnectionFactory::ALL
            .into_iter()
            .zip(ConnectionFactory::NAMES)
        {
            assert_eq!(c.name(), name);
            assert_eq!(name.parse(), Ok(c));
        }
        assert!("Single".parse::<ConnectionFactory>().is_err());
    }
}
