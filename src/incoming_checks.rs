//! Incoming validation: what a delivery's properties and size must be before its body
//! is read.

use std::num::NonZeroUsize;

use crate::header_value::{HEADER_NESTING_LIMIT, HeaderValue};
use crate::properties::{DRIVER_VERSION_HEADER, MessageProperties};
use crate::serializer::Serializer;
use crate::wire_error::{WireError, excerpt};

impl MessageProperties {
    /// The `version` header, if there is a headers table holding one.
    pub fn driver_version(&self) -> Option<&HeaderValue> {
        self.headers.as_ref()?.get(DRIVER_VERSION_HEADER)
    }

    /// Checks that no header nests deeper than the AMQP client reads
    /// ([`HeaderValue::BeyondNestingLimit`]).
    ///
    /// # Errors
    ///
    /// [`WireError::HeadersTooDeep`], naming the first such header: the message cannot
    /// be processed; reject it without requeueing.
    pub fn check_header_depth(&self) -> Result<(), WireError> {
        let Some(headers) = &self.headers else {
            return Ok(());
        };
        match headers
            .iter()
            .find(|(_, value)| matches!(value, HeaderValue::BeyondNestingLimit))
        {
            Some((name, _)) => Err(WireError::HeadersTooDeep {
                header: excerpt(name),
                max_depth: HEADER_NESTING_LIMIT,
            }),
            None => Ok(()),
        }
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
            value: excerpt(&value.to_string()),
        };
        let text = match value {
            HeaderValue::Text(s) => s.as_str(),
            HeaderValue::Bytes(b) => std::str::from_utf8(b).map_err(|_| malformed())?,
            _ => return Err(malformed()),
        };
        let unsupported = || WireError::UnsupportedDriverVersion {
            version: excerpt(text),
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

/// The default of `[oslo_messaging_pika] max_message_body_size`: 16 MiB.
///
/// RabbitMQ 4 refuses larger messages by default (its own `max_message_size`), so a
/// body this limit rejects could not have crossed a broker left at its defaults; older
/// brokers allow 128 MiB. Decoding multiplies a body's size in memory (a msgpack array
/// of small integers takes some 70 bytes per body byte while it is read), which is what
/// the limit bounds.
pub const DEFAULT_MAX_MESSAGE_BODY_SIZE: usize = 16 * 1024 * 1024;

/// Checks the size of a received body against `max_message_body_size` (`None`: no
/// limit), before any decoding.
///
/// # Examples
///
/// ```
/// use std::num::NonZeroUsize;
/// use warren_core::{WireError, check_body_size};
/// let max = NonZeroUsize::new(1024);
/// assert_eq!(check_body_size(1024, max), Ok(()));
/// assert_eq!(check_body_size(1025, max), Err(WireError::TooLarge { size: 1025, max: 1024 }));
/// assert_eq!(check_body_size(usize::MAX, None), Ok(()));
/// ```
///
/// # Errors
///
/// [`WireError::TooLarge`] when `size` exceeds `max`: reject the message without
/// requeueing it.
pub fn check_body_size(size: usize, max: Option<NonZeroUsize>) -> Result<(), WireError> {
    match max {
        Some(max) if size > max.get() => Err(WireError::TooLarge {
            size,
            max: max.get(),
        }),
        _ => Ok(()),
    }
}

/// Validates an incoming message's properties and picks the serializer of its body.
///
/// Checks that the headers were read whole ([`MessageProperties::check_header_depth`]),
/// then, in the Python driver's order, the driver version
/// ([`MessageProperties::check_driver_version`]) and the content type. A message
/// failing any can never be processed: reject it without requeueing.
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
/// [`WireError::HeadersTooDeep`], [`WireError::UnsupportedDriverVersion`],
/// [`WireError::BadVersionHeader`], or [`WireError::UnsupportedContentType`] (which also
/// covers a missing content type).
pub fn incoming_serializer(properties: &MessageProperties) -> Result<Serializer, WireError> {
    properties.check_header_depth()?;
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
    use std::collections::BTreeMap;

    fn with_version(v: HeaderValue) -> MessageProperties {
        let mut p = MessageProperties::rpc_cast(Serializer::Json);
        p.headers = Some(BTreeMap::from([("version".to_owned(), v)]));
        p
    }

    fn text(v: &str) -> MessageProperties {
        with_version(HeaderValue::Text(v.to_owned()))
    }

    #[test]
    fn a_header_beyond_the_nesting_limit_refuses_the_message_first() {
        let mut props = text("2.0");
        props
            .headers
            .as_mut()
            .expect("headers")
            .insert("x-deep".to_owned(), HeaderValue::BeyondNestingLimit);
        let refused = Err(WireError::HeadersTooDeep {
            header: "x-deep".to_owned(),
            max_depth: HEADER_NESTING_LIMIT,
        });
        assert_eq!(props.check_header_depth(), refused);
        // Before the version check: nothing in such headers is trusted.
        assert_eq!(incoming_serializer(&props).map(drop), refused);
        assert_eq!(text("1.0").check_header_depth(), Ok(()));
        let mut none = text("1.0");
        none.headers = None;
        assert_eq!(none.check_header_depth(), Ok(()));
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

    #[test]
    fn long_header_values_are_quoted_short() {
        let long = format!("2.{}", "0".repeat(100_000));
        let err = text(&long).check_driver_version().unwrap_err();
        assert!(err.to_string().len() < 300, "{err}");
        let bytes = with_version(HeaderValue::Bytes(vec![0xff; 100_000]));
        let err = bytes.check_driver_version().unwrap_err();
        assert!(err.to_string().len() < 300, "{err}");
    }

    #[test]
    fn body_size_limit() {
        let max = NonZeroUsize::new(DEFAULT_MAX_MESSAGE_BODY_SIZE);
        assert_eq!(check_body_size(0, max), Ok(()));
        assert_eq!(check_body_size(DEFAULT_MAX_MESSAGE_BODY_SIZE, max), Ok(()));
        assert_eq!(
            check_body_size(DEFAULT_MAX_MESSAGE_BODY_SIZE + 1, max),
            Err(WireError::TooLarge {
                size: DEFAULT_MAX_MESSAGE_BODY_SIZE + 1,
                max: DEFAULT_MAX_MESSAGE_BODY_SIZE
            })
        );
        assert_eq!(check_body_size(usize::MAX, None), Ok(()));
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
