//! [`NotificationEnvelope`]: the body of a notification.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::codec;
use crate::context::Context;
use crate::fields::{body_map, take_string};
use crate::priority::Priority;
use crate::serializer::Serializer;
use crate::timestamp::{format_timestamp, parse_timestamp};
use crate::wire_error::WireError;

const ENVELOPE: &str = "notification";

/// The body of a notification (spec §4.8.3), the same for oslo's `messaging` and
/// `messagingv2` notifier drivers:
/// `{"message_id", "publisher_id", "event_type", "priority", "payload", "timestamp",
/// "_$_<ctx>"...}`.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{Context, NotificationEnvelope, Priority, Serializer};
/// let n = NotificationEnvelope::new(
///     "compute.host1",
///     "compute.instance.create.end",
///     Priority::Info,
///     &json!({"instance_id": "abc-123"}),
/// )
/// .unwrap()
/// .with_context(Context::new().with("request_id", "req-1"));
/// assert_eq!(n.message_id.len(), 36);
/// let body = n.to_body(Serializer::Json).unwrap();
/// let back = NotificationEnvelope::from_body(Serializer::Json, &body).unwrap();
/// assert_eq!(back, n);
/// assert_eq!(back.priority, Priority::Info);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationEnvelope {
    /// A `uuid4` WITH dashes (36 characters), unlike the AMQP `message_id` property.
    pub message_id: String,
    /// Who sent it, e.g. `compute.host1`.
    pub publisher_id: String,
    /// What happened, e.g. `compute.instance.create.end`.
    pub event_type: String,
    /// The level; upper-case on the wire.
    pub priority: Priority,
    /// The event's data.
    pub payload: Value,
    /// When it was sent, UTC, as Python's `str(datetime)`: see
    /// [`format_timestamp`](crate::format_timestamp). Kept as text so that an odd
    /// timestamp does not make a notification unreadable.
    pub timestamp: String,
    /// The request context, flattened into `_$_` keys on the wire.
    pub context: Context,
}

impl NotificationEnvelope {
    /// A notification sent now, with a new id and an empty context.
    ///
    /// # Errors
    ///
    /// [`WireError::Encode`] when `payload` fails to serialize.
    pub fn new(
        publisher_id: impl Into<String>,
        event_type: impl Into<String>,
        priority: Priority,
        payload: &impl Serialize,
    ) -> Result<Self, WireError> {
        let payload = serde_json::to_value(payload).map_err(|e| WireError::Encode {
            what: "notification payload",
            reason: e.to_string(),
        })?;
        Ok(Self {
            message_id: uuid::Uuid::new_v4().hyphenated().to_string(),
            publisher_id: publisher_id.into(),
            event_type: event_type.into(),
            priority,
            payload,
            timestamp: format_timestamp(chrono::Utc::now().naive_utc()),
            context: Context::new(),
        })
    }

    /// The same notification with a context.
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The same notification stamped with another UTC time.
    pub fn with_timestamp(mut self, time: NaiveDateTime) -> Self {
        self.timestamp = format_timestamp(time);
        self
    }

    /// The timestamp as a time.
    ///
    /// # Errors
    ///
    /// [`WireError::BadTimestamp`] when it is not in Python's `str(datetime)` form.
    pub fn timestamp_datetime(&self) -> Result<NaiveDateTime, WireError> {
        parse_timestamp(&self.timestamp)
    }

    /// The body as a map, context flattened in.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut body = Map::new();
        let mut text = |k: &str, v: &str| body.insert(k.to_owned(), Value::String(v.to_owned()));
        text("message_id", &self.message_id);
        text("publisher_id", &self.publisher_id);
        text("event_type", &self.event_type);
        text("priority", self.priority.wire_name());
        text("timestamp", &self.timestamp);
        body.insert("payload".to_owned(), self.payload.clone());
        self.context.flatten_into(&mut body);
        body
    }

    /// Reads a notification body map; the priority in any case.
    ///
    /// # Errors
    ///
    /// [`WireError::MissingField`] when one of the six fields is absent (a Python
    /// listener fails on those too); [`WireError::WrongFieldType`] when a text field is
    /// not text; [`WireError::UnknownPriority`].
    pub fn from_map(mut body: Map<String, Value>) -> Result<Self, WireError> {
        let context = Context::split_from(&mut body);
        let mut text = |field| take_string(&mut body, ENVELOPE, field);
        let message_id = text("message_id")?;
        let publisher_id = text("publisher_id")?;
        let event_type = text("event_type")?;
        let priority = text("priority")?.parse()?;
        let timestamp = text("timestamp")?;
        let payload = body.remove("payload").ok_or(WireError::MissingField {
            envelope: ENVELOPE,
            field: "payload",
        })?;
        Ok(Self {
            message_id,
            publisher_id,
            event_type,
            priority,
            payload,
            timestamp,
            context,
        })
    }

    /// The body bytes in `serializer`'s encoding.
    ///
    /// # Errors
    ///
    /// As [`encode`](crate::encode).
    pub fn to_body(&self, serializer: Serializer) -> Result<Vec<u8>, WireError> {
        codec::encode(serializer, &Value::Object(self.to_map()))
    }

    /// Reads body bytes.
    ///
    /// # Errors
    ///
    /// As [`decode`](crate::decode), [`WireError::NotAMap`] when the body is not a map,
    /// and as [`NotificationEnvelope::from_map`].
    pub fn from_body(serializer: Serializer, body: &[u8]) -> Result<Self, WireError> {
        Self::from_map(body_map(serializer, body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbitrary::{arb_context, arb_map, arb_value};
    use proptest::prelude::*;
    use serde_json::json;

    fn sample() -> NotificationEnvelope {
        NotificationEnvelope::new("p", "e.t", Priority::Warn, &json!({"k": 1})).unwrap()
    }

    #[test]
    fn new_notifications_are_fresh_and_upper_case() {
        let n = sample();
        assert_eq!(n.message_id.len(), 36);
        assert_eq!(n.message_id.matches('-').count(), 4);
        assert_ne!(n.message_id, sample().message_id);
        assert!(n.timestamp_datetime().is_ok());
        assert_eq!(n.to_map()["priority"], "WARN");
    }

    #[test]
    fn fixed_timestamp() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(18, 20, 47)
            .unwrap();
        let n = sample().with_timestamp(t);
        assert_eq!(n.timestamp, "2026-11-24 18:20:47");
        assert_eq!(n.timestamp_datetime(), Ok(t));
    }

    #[test]
    fn malformed_notifications_are_typed_errors() {
        let mut body = sample().to_map();
        body.insert("priority".into(), json!("verbose"));
        assert_eq!(
            NotificationEnvelope::from_map(body.clone()),
            Err(WireError::UnknownPriority {
                given: "verbose".into()
            })
        );
        body.insert("priority".into(), json!("info"));
        assert_eq!(
            NotificationEnvelope::from_map(body.clone())
                .unwrap()
                .priority,
            Priority::Info
        );
        body.remove("payload");
        assert_eq!(
            NotificationEnvelope::from_map(body.clone()),
            Err(WireError::MissingField {
                envelope: "notification",
                field: "payload"
            })
        );
        body.insert("payload".into(), Value::Null);
        body.insert("event_type".into(), json!(7));
        assert!(matches!(
            NotificationEnvelope::from_map(body),
            Err(WireError::WrongFieldType {
                field: "event_type",
                ..
            })
        ));
    }

    fn arb_notification() -> impl Strategy<Value = NotificationEnvelope> {
        (
            ".*",
            ".*",
            ".*",
            prop::sample::select(Priority::ALL.to_vec()),
            arb_value(),
            ".*",
            arb_context(),
        )
            .prop_map(
                |(message_id, publisher_id, event_type, priority, payload, timestamp, context)| {
                    NotificationEnvelope {
                        message_id,
                        publisher_id,
                        event_type,
                        priority,
                        payload,
                        timestamp,
                        context,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn encode_decode_identity(n in arb_notification()) {
            for s in Serializer::ALL {
                let body = n.to_body(s).unwrap();
                prop_assert_eq!(&NotificationEnvelope::from_body(s, &body).unwrap(), &n);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            for s in Serializer::ALL {
                let _ = NotificationEnvelope::from_body(s, &bytes);
            }
        }

        #[test]
        fn random_maps_never_panic(body in arb_map()) {
            let _ = NotificationEnvelope::from_map(body);
        }
    }
}
