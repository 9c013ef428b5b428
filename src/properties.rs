//! [`MessageProperties`]: the AMQP basic properties the Pika driver sets and reads.
//!
//! Outgoing, each message kind has a constructor that sets exactly what the Python
//! driver sets (spec §4.5). Incoming validation is in the `incoming_checks` module.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::header_value::HeaderValue;
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
            given: crate::wire_error::excerpt(text),
        };
        let ms: f64 = text.trim().parse().map_err(|_| bad())?;
        if ms.is_nan() || ms < 0.0 {
            return Err(bad());
        }
        Duration::try_from_secs_f64(ms / 1000.0)
            .map(Some)
            .map_err(|_| bad())
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
