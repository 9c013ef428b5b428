//! [`Serializer`]: the body encodings the Pika driver knows, named by content type.

use std::fmt;
use std::str::FromStr;

/// How message bodies are encoded: oslo's `default_serializer_type`.
///
/// Outgoing requests and notifications use the configured serializer; a reply always
/// uses the content type of the request it answers.
///
/// # Examples
///
/// ```
/// use warren_core::Serializer;
/// let s: Serializer = "msgpack".parse().unwrap();
/// assert_eq!(s.content_type(), "application/msgpack");
/// assert_eq!(Serializer::from_content_type("application/json"), Some(Serializer::Json));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Serializer {
    /// `application/json`, as oslo.serialization's `JSONSerializer` writes it.
    #[default]
    Json,
    /// `application/msgpack`, as oslo.serialization's `MessagePackSerializer` writes it.
    Msgpack,
}

impl Serializer {
    /// Every serializer, in the order oslo lists its choices.
    pub const ALL: [Serializer; 2] = [Serializer::Json, Serializer::Msgpack];

    /// The option value: `json` or `msgpack`.
    pub fn name(self) -> &'static str {
        match self {
            Serializer::Json => "json",
            Serializer::Msgpack => "msgpack",
        }
    }

    /// The AMQP `content_type` property: `application/<name>`.
    pub fn content_type(self) -> &'static str {
        match self {
            Serializer::Json => "application/json",
            Serializer::Msgpack => "application/msgpack",
        }
    }

    /// The serializer for an incoming `content_type`, or `None` when the Pika driver
    /// has no serializer for it (the message must then be rejected).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.content_type() == content_type)
    }
}

impl fmt::Display for Serializer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a serializer name that is neither `json` nor `msgpack`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown serializer {given:?}: expected `json` or `msgpack`")]
pub struct UnknownSerializer {
    /// The name that was given.
    pub given: String,
}

impl FromStr for Serializer {
    type Err = UnknownSerializer;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| UnknownSerializer {
                given: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Serializer::ALL {
            assert_eq!(s.name().parse::<Serializer>(), Ok(s));
            assert_eq!(Serializer::from_content_type(s.content_type()), Some(s));
        }
    }

    #[test]
    fn unknown_names_are_errors() {
        let err = "yaml".parse::<Serializer>().unwrap_err();
        assert!(err.to_string().contains("json"));
        assert_eq!(Serializer::from_content_type("text/plain"), None);
        assert_eq!(Serializer::from_content_type(""), None);
    }
}
