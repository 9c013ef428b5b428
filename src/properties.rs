//! [`MessageProperties`]: the AMQP basic properties the Pika driver sets and reads.
//!
//! Outgoing, each message kind has a constructor that sets exactly what the Python
//! driver sets (spec §4.5). Incoming, [`incoming_serializer`] is the whole validation a
//! delivery's properties get before its body is read.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::serializer::Serializer;
use crate::wire_error::WireError;

/// The header naming the driver wire-protocol version.
pub const DRIVER_VERSION_HEADER: &str = "version";

/// The driver wire-protocol version warren speaks and sends: `"1.0"`.
pub const DRIVER_VERSION: &str = "1.0";

/// `delivery_mode` of a message the broker may lose on restart (every RPC message).
pub const DELIVERY_MODE_TRANSIENT: u8 = 1;

/// `delivery_mode` of a message the broker writes to disk (persistent notifications).
pub const DELIVERY_MODE_PERSISTENT: u8 = 2;

/// One value of the AMQP `headers` table, as far as warren needs to tell them apart.
///
/// The runtime converts the AMQP client's field values into this; warren only ever sends
/// and reads [`HeaderValue::Text`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HeaderValue {
    /// A short or long string that is valid UTF-8.
    Text(String),
    /// A long string that is not UTF-8.
    Bytes(Vec<u8>),
    /// Any AMQP integer type.
    Int(i64),
    /// An AMQP float or double.
    Float(f64),
    /// An AMQP boolean.
    Bool(bool),
    /// Another AMQP type (table, array, decimal, timestamp, void), which warren never
    /// needs to read.
    Other,
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Text(s) => write!(f, "{s:?}"),
            HeaderValue::Bytes(b) => write!(f, "non-UTF-8 bytes {b:02x?}"),
            HeaderValue::Int(i) => write!(f, "the integer {i}"),
            HeaderValue::Float(x) => write!(f, "the float {x}"),
            HeaderValue::Bool(b) => write!(f, "the boolean {b}"),
            HeaderValue::Other => f.write_str("a non-scalar AMQP value"),
        }
    }
}

/// The AMQP basic properties of one message, as plain data.
///
/// Properties the Pika driver never sets (`content_encoding`, `priority`, `timestamp`,
/// `type`, `user_id`, `app_id`, `cluster_id`) are not represented; receivers must not
/// require them.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use warren_core::{MessageProperties, Serializer, incoming_serializer};
/// let call = MessageProperties::rpc_call(
///     Serializer::Json,
///     MessageProperties::new_hex_id(),
///     "reply.nova.nova-api.0123",
///     Duration::from_millis(59_997),
/// );
/// assert_eq!(call.expiration.as_deref(), Some("59997"));
/// assert_eq!(call.delivery_mode, Some(1));
/// assert_eq!(incoming_serializer(&call), Ok(Serializer::Json));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessageProperties {
    /// `application/json` or `application/msgpack`.
    pub content_type: Option<String>,
    /// The headers table; the driver sends exactly `{"version": "1.0"}`.
    pub headers: Option<BTreeMap<String, HeaderValue>>,
    /// A new `uuid4` hex (32 digits, no dashes) per outgoing message; never interpreted.
    pub message_id: Option<String>,
    /// The RPC id: set on calls and copied into their replies.
    pub correlation_id: Option<String>,
    /// The reply queue of an RPC call.
    pub reply_to: Option<String>,
    /// The per-message TTL in whole milliseconds, as text.
    pub expiration: Option<String>,
    /// [`DELIVERY_MODE_TRANSIENT`] or [`DELIVERY_MODE_PERSISTENT`].
    pub delivery_mode: Option<u8>,
}

impl MessageProperties {
    /// A new `uuid4` as 32 lower-case hex digits: the form of `message_id` and of a
    /// call's `correlation_id`.
    pub fn new_hex_id() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// What every outgoing message carries.
    fn outgoing(serializer: Serializer, delivery_mode: u8) -> Self {
        Self {
            content_type: Some(serializer.content_type().to_owned()),
            headers: Some(BTreeMap::from([(
                DRIVER_VERSION_HEADER.to_owned(),
                HeaderValue::Text(DRIVER_VERSION.to_owned()),
            )])),
            message_id: Some(Self::new_hex_id()),
            delivery_mode: Some(delivery_mode),
            ..Self::default()
        }
    }

    /// The properties of an RPC call: transient, with its id, reply queue and the
    /// time left before the caller gives up.
    ///
    /// `correlation_id` should come from [`MessageProperties::new_hex_id`] and be
    /// registered with the reply waiter before the message is published.
    pub fn rpc_call(
        serializer: Serializer,
        correlation_id: impl Into<String>,
        reply_to: impl Into<String>,
        remaining: Duration,
    ) -> Self {
        Self {
            correlation_id: Some(correlation_id.into()),
            reply_to: Some(reply_to.into()),
            expiration: Some(expiration_from_remaining(remaining)),
            ..Self::outgoing(serializer, DELIVERY_MODE_TRANSIENT)
        }
    }

    /// The properties of an RPC cast, directed or fanout: transient, with no
    /// `correlation_id`, `reply_to` or `expiration` (a cast has no deadline unless
    /// [`with_expiration`](Self::with_expiration) adds one).
    pub fn rpc_cast(serializer: Serializer) -> Self {
        Self::outgoing(serializer, DELIVERY_MODE_TRANSIENT)
    }

    /// The properties of an RPC reply: the request's serializer and `correlation_id`,
    /// a new `message_id`, and the time left of the request's `expiration` if it had one.
    pub fn rpc_reply(
        serializer: Serializer,
        correlation_id: impl Into<String>,
        remaining: Option<Duration>,
    ) -> Self {
        Self {
            correlation_id: Some(correlation_id.into()),
            expiration: remaining.map(expiration_from_remaining),
            ..Self::outgoing(serializer, DELIVERY_MODE_TRANSIENT)
        }
    }

    /// The properties of a notification: persistent when `notification_persistence`
    /// is set, never an expiration.
    pub fn notification(serializer: Serializer, persistent: bool) -> Self {
        let mode = if persistent {
            DELIVERY_MODE_PERSISTENT
        } else {
            DELIVERY_MODE_TRANSIENT
        };
        Self::outgoing(serializer, mode)
    }

    /// The same properties with `expiration` set from the time left.
    pub fn with_expiration(mut self, remaining: Duration) -> Self {
        self.set_expiration(remaining);
        self
    }

    /// Sets `expiration` from the time left; the Python driver recomputes it on every
    /// publish attempt, after a pooled channel is acquired.
    pub fn set_expiration(&mut self, remaining: Duration) {
        self.expiration = Some(expiration_from_remaining(remaining));
    }

    /// The `expiration` property as a duration, `None` when absent.
    ///
    /// A receiver adds this to its receive time to bound the sending of the reply.
    ///
    /// # Errors
    ///
    /// [`WireError::BadExpiration`] when the property is not a finite, non-negative
    /// number of milliseconds.
    pub fn expiration_duration(&self) -> Result<Option<Duration>, WireError> {
        let Some(text) = self.expiration.as_deref() else {
            return Ok(None);
        };
        let bad = || WireError::BadExpiration {
            given: text.to_owned(),
        };
        let ms: f64 = text.trim().parse().map_err(|_| bad())?;
        if ms.is_nan() || ms < 0.0 {
            return Err(bad());
        }
        Duration::try_from_secs_f64(ms / 1000.0)
            .map(Some)
            .map_err(|_| bad())
    }

    /// The `version` header, if there is a headers table holding one.
    pub fn driver_version(&self) -> Option<&HeaderValue> {
        self.headers.as_ref()?.get(DRIVER_VERSION_HEADER)
    }

    /// Checks that the sender speaks driver wire-protocol version 1.x.
    ///
    /// As in the Python driver, a headers table without `version` is accepted. Unlike
    /// it, a message with no headers table at all is accepted too (the Python driver
    /// fails on it by accident).
    ///
    /// The value must read as `major.minor[.revision]` integers with major 1, as
    /// Python's `version_is_compatible(header, "1.0")` requires: `"1.0"`, `"1.7"`,
    /// `"1.0.3"` pass; `"2.0"` is unsupported; `"1"`, `"one"`, `"1.x"` are malformed.
    ///
    /// # Errors
    ///
    /// [`WireError::UnsupportedDriverVersion`] for another major version (or a negative
    /// minor); [`WireError::BadVersionHeader`] for a value that is not such a number.
    pub fn check_driver_version(&self) -> Result<(), WireError> {
        let Some(value) = self.driver_version() else {
            return Ok(());
        };
        let malformed = || WireError::BadVersionHeader {
            value: value.to_string(),
        };
        let text = match value {
            HeaderValue::Text(s) => s.as_str(),
            HeaderValue::Bytes(b) => std::str::from_utf8(b).map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        let unsupported = || WireError::UnsupportedDriverVersion {
            version: text.to_owned(),
        };
        let int = |part: Option<&str>| -> Result<i64, WireError> {
            part.and_then(|p| p.trim().parse().ok())
                .ok_or_else(malformed)
        };
        // Same order of checks as Python: a foreign major is reported before the rest
        // of the value is looked at, and the revision only matters at minor 0.
        let mut parts = text.split('.');
        if int(parts.next())? != 1 {
            return Err(unsupported());
        }
        let minor = int(parts.next())?;
        if minor < 0 {
            return Err(unsupported());
        }
        if minor == 0
            && let Some(rev) = parts.next()
            && int(Some(rev))? < 0
        {
            return Err(unsupported());
        }
        Ok(())
    }
}

/// The `expiration` property for a deadline `remaining` away: whole milliseconds,
/// truncated, as text (Python's `str(int(seconds * 1000))`).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// assert_eq!(warren_core::expiration_from_remaining(Duration::from_micros(29_986_900)), "29986");
/// assert_eq!(warren_core::expiration_from_remaining(Duration::ZERO), "0");
/// ```
pub fn expiration_from_remaining(remaining: Duration) -> String {
    remaining.as_millis().to_string()
}

/// Validates an incoming message's properties and picks the serializer of its body.
///
/// Checks, in the Python driver's order, the driver version
/// ([`MessageProperties::check_driver_version`]) and then the content type. A message
/// failing either can never be processed: reject it without requeueing.
///
/// # Examples
///
/// ```
/// use warren_core::{MessageProperties, Serializer, WireError, incoming_serializer};
/// let mut props = MessageProperties::rpc_cast(Serializer::Msgpack);
/// assert_eq!(incoming_serializer(&props), Ok(Serializer::Msgpack));
/// props.content_type = Some("text/plain".into());
/// assert!(matches!(incoming_serializer(&props), Err(WireError::UnsupportedContentType { .. })));
/// ```
///
/// # Errors
///
/// [`WireError::UnsupportedDriverVersion`], [`WireError::BadVersionHeader`], or
/// [`WireError::UnsupportedContentType`] (which also covers a missing content type).
pub fn incoming_serializer(properties: &MessageProperties) -> Result<Serializer, WireError> {
    properties.check_driver_version()?;
    properties
        .content_type
        .as_deref()
        .and_then(Serializer::from_content_type)
        .ok_or_else(|| WireError::UnsupportedContentType {
            content_type: properties.content_type.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_version(v: HeaderValue) -> MessageProperties {
        let mut p = MessageProperties::rpc_cast(Serializer::Json);
        p.headers = Some(BTreeMap::from([("version".to_owned(), v)]));
        p
    }

    fn text(v: &str) -> MessageProperties {
        with_version(HeaderValue::Text(v.to_owned()))
    }

    #[test]
    fn outgoing_kinds_match_the_python_driver() {
        let call = MessageProperties::rpc_call(
            Serializer::Json,
            "603aa37932274aa395537c6c58481734",
            "reply.interop.rpc_client.4764d488a67640339b969702c3c1f4a6",
            Duration::from_millis(981),
        );
        assert_eq!(call.content_type.as_deref(), Some("application/json"));
        assert_eq!(
            call.driver_version(),
            Some(&HeaderValue::Text("1.0".into()))
        );
        assert_eq!(call.headers.as_ref().unwrap().len(), 1);
        assert_eq!(call.delivery_mode, Some(1));
        assert_eq!(call.expiration.as_deref(), Some("981"));
        let id = call.message_id.as_deref().unwrap();
        assert_eq!(id.len(), 32);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(call.message_id, call.correlation_id);

        let cast = MessageProperties::rpc_cast(Serializer::Msgpack);
        assert_eq!(cast.content_type.as_deref(), Some("application/msgpack"));
        assert_eq!(
            (cast.correlation_id, cast.reply_to, cast.expiration),
            (None, None, None)
        );

        let reply = MessageProperties::rpc_reply(
            Serializer::Msgpack,
            "71643ba5489c4b64af92445cbf9fa7b2",
            Some(Duration::from_millis(29_976)),
        );
        assert_eq!(reply.content_type.as_deref(), Some("application/msgpack"));
        assert_eq!(
            reply.correlation_id.as_deref(),
            Some("71643ba5489c4b64af92445cbf9fa7b2")
        );
        assert_eq!(reply.reply_to, None);
        assert_eq!(reply.expiration.as_deref(), Some("29976"));
        assert_eq!(reply.delivery_mode, Some(1));

        assert_eq!(
            MessageProperties::rpc_reply(Serializer::Json, "x", None).expiration,
            None
        );
        assert_eq!(
            MessageProperties::notification(Serializer::Json, false).delivery_mode,
            Some(1)
        );
        let persistent = MessageProperties::notification(Serializer::Json, true);
        assert_eq!(persistent.delivery_mode, Some(2));
        assert_eq!(persistent.expiration, None);
        assert_eq!(persistent.correlation_id, None);
    }

    #[test]
    fn every_message_gets_a_new_id() {
        let a = MessageProperties::rpc_cast(Serializer::Json);
        let b = MessageProperties::rpc_cast(Serializer::Json);
        assert_ne!(a.message_id, b.message_id);
    }

    #[test]
    fn expiration_text_and_back() {
        assert_eq!(expiration_from_remaining(Duration::from_secs(60)), "60000");
        assert_eq!(
            expiration_from_remaining(Duration::from_nanos(999_999)),
            "0"
        );
        let mut p =
            MessageProperties::rpc_cast(Serializer::Json).with_expiration(Duration::from_millis(5));
        assert_eq!(p.expiration_duration(), Ok(Some(Duration::from_millis(5))));
        p.set_expiration(Duration::from_millis(1500));
        assert_eq!(p.expiration.as_deref(), Some("1500"));
        for bad in ["", "-1", "abc", "inf", "NaN", "1e400"] {
            p.expiration = Some(bad.to_owned());
            assert!(
                matches!(
                    p.expiration_duration(),
                    Err(WireError::BadExpiration { .. })
                ),
                "{bad}"
            );
        }
        p.expiration = None;
        assert_eq!(p.expiration_duration(), Ok(None));
    }

    #[test]
    fn driver_version_rules() {
        for ok in [
            "1.0", "1.1", "1.99", "1.0.0", "1.0.5", "1.2.x", " 1 . 0 ", "+1.0", "1.0.0.7",
        ] {
            assert_eq!(text(ok).check_driver_version(), Ok(()), "{ok}");
        }
        for unsupported in ["2.0", "0.9", "2.x", "-1.0", "1.-1", "1.0.-1"] {
            assert!(
                matches!(
                    text(unsupported).check_driver_version(),
                    Err(WireError::UnsupportedDriverVersion { .. })
                ),
                "{unsupported}"
            );
        }
        for bad in ["", "1", "1.x", "one.0", "1.0.x", "v1.0"] {
            assert!(
                matches!(
                    text(bad).check_driver_version(),
                    Err(WireError::BadVersionHeader { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            with_version(HeaderValue::Int(1)).check_driver_version(),
            Err(WireError::BadVersionHeader { .. })
        ));
        assert_eq!(
            with_version(HeaderValue::Bytes(b"1.0".to_vec())).check_driver_version(),
            Ok(())
        );
    }

    #[test]
    fn missing_version_or_headers_are_accepted() {
        let mut p = MessageProperties::rpc_cast(Serializer::Json);
        p.headers = Some(BTreeMap::new());
        assert_eq!(incoming_serializer(&p), Ok(Serializer::Json));
        p.headers = None;
        assert_eq!(incoming_serializer(&p), Ok(Serializer::Json));
    }

    #[test]
    fn content_type_must_be_known() {
        let mut p = MessageProperties::rpc_cast(Serializer::Json);
        p.content_type = None;
        assert_eq!(
            incoming_serializer(&p),
            Err(WireError::UnsupportedContentType { content_type: None })
        );
        p.content_type = Some("application/JSON".into());
        assert_eq!(
            incoming_serializer(&p),
            Err(WireError::UnsupportedContentType {
                content_type: Some("application/JSON".into())
            })
        );
        // The version is checked first, as in the Python driver.
        let mut p = text("2.0");
        p.content_type = None;
        assert!(matches!(
            incoming_serializer(&p),
            Err(WireError::UnsupportedDriverVersion { .. })
        ));
    }

    proptest! {
        #[test]
        fn random_headers_never_panic(
            version in ".*",
            content_type in proptest::option::of(".*"),
            bytes in prop::collection::vec(any::<u8>(), 0..16),
            expiration in ".*",
        ) {
            let mut p = text(&version);
            p.content_type = content_type;
            p.expiration = Some(expiration);
            let _ = incoming_serializer(&p);
            let _ = p.expiration_duration();
            let p = with_version(HeaderValue::Bytes(bytes));
            let _ = incoming_serializer(&p);
        }

        #[test]
        fn numeric_versions_follow_the_rule(major in 0i64..4, minor in 0i64..50, rev in 0i64..5) {
            let got = text(&format!("{major}.{minor}.{rev}")).check_driver_version();
            prop_assert_eq!(got.is_ok(), major == 1);
        }
    }
}
