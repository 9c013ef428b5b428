//! Shared pieces of the envelope fuzz targets: how a fuzz input becomes a delivery
//! (properties and body), and the checks every decoded envelope must pass.
//!
//! # Input layout
//!
//! An envelope target reads its input as three lines and a body:
//!
//! ```text
//! <content_type>\n<version header>\n<expiration>\n<body bytes...>
//! ```
//!
//! * `content_type`: the AMQP property; an empty line means the property is absent.
//! * `version header`: an empty line means no headers table; a line holding the single
//!   byte `0x00` means a headers table without `version`; anything else is the value of
//!   `version`, as text when it is UTF-8 and as a non-UTF-8 long string otherwise.
//! * `expiration`: the AMQP property; an empty line means absent.
//! * the rest, newlines included, is the body.
//!
//! Missing lines count as empty, so every byte string is a valid input. Seed files are
//! written in this layout, so they read as the captured deliveries they come from.

use std::collections::BTreeMap;
use std::fmt::Debug;

use warren_core::{
    DRIVER_VERSION_HEADER, HeaderValue, MessageProperties, Serializer, WireError,
    incoming_serializer,
};

/// One delivery as a receiver sees it.
#[derive(Debug)]
pub struct Delivery<'a> {
    /// The properties the body is read with.
    pub properties: MessageProperties,
    /// The body bytes.
    pub body: &'a [u8],
}

impl<'a> Delivery<'a> {
    /// Splits a fuzz input into properties and body (see the module docs).
    pub fn from_input(data: &'a [u8]) -> Self {
        let mut rest = data;
        let mut line = || {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let taken = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            taken
        };
        let content_type = text_or_none(line());
        let version = line();
        let headers = match version {
            [] => None,
            [0] => Some(BTreeMap::new()),
            v => {
                let value = match std::str::from_utf8(v) {
                    Ok(s) => HeaderValue::Text(s.to_owned()),
                    Err(_) => HeaderValue::Bytes(v.to_vec()),
                };
                Some(BTreeMap::from([(DRIVER_VERSION_HEADER.to_owned(), value)]))
            }
        };
        let expiration = text_or_none(line());
        Self {
            properties: MessageProperties {
                content_type,
                headers,
                expiration,
                ..MessageProperties::default()
            },
            body: rest,
        }
    }

    /// What a receiver does before reading the body: the driver-version and
    /// content-type checks, and reading the expiration. `None` when the delivery is
    /// refused; the error must print.
    pub fn accepted_serializer(&self) -> Option<Serializer> {
        let expiration = self.properties.expiration_duration();
        if let Err(e) = &expiration {
            assert!(!e.to_string().is_empty());
        }
        match incoming_serializer(&self.properties) {
            Ok(s) => Some(s),
            Err(e) => {
                assert!(!e.to_string().is_empty());
                None
            }
        }
    }
}

fn text_or_none(bytes: &[u8]) -> Option<String> {
    (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Checks a decoding result: an error prints; an envelope re-encodes in both
/// serializers and decodes back to itself, so whatever warren accepts it can also send
/// on, and reading is idempotent.
pub fn check_round_trip<T: PartialEq + Debug>(
    decoded: Result<T, WireError>,
    to_body: impl Fn(&T, Serializer) -> Result<Vec<u8>, WireError>,
    from_body: impl Fn(Serializer, &[u8]) -> Result<T, WireError>,
) {
    let envelope = match decoded {
        Ok(envelope) => envelope,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    for serializer in Serializer::ALL {
        let bytes = to_body(&envelope, serializer)
            .unwrap_or_else(|e| panic!("{serializer}: a decoded envelope re-encodes: {e}"));
        let again = from_body(serializer, &bytes)
            .unwrap_or_else(|e| panic!("{serializer}: a re-encoded envelope decodes: {e}"));
        assert_eq!(
            again, envelope,
            "{serializer}: round trip changed the envelope"
        );
    }
}
