//! [`WireError`]: every way a message can fail to be encoded, decoded or accepted.

/// Why a message could not be turned into bytes, or bytes and properties into a message.
///
/// Incoming errors mean the delivery is a poison message: retrying it will fail the same
/// way, so a consumer should reject it without requeueing (see `docs/wire-format.md`).
/// Outgoing errors ([`WireError::Encode`], [`WireError::TooDeep`],
/// [`WireError::NonFiniteFloat`]) mean the value given cannot be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The `content_type` property is missing or names no serializer the driver knows.
    #[error(
        "unsupported content type {}: expected `application/json` or `application/msgpack`",
        match content_type { Some(ct) => format!("{ct:?}"), None => "(none)".to_owned() }
    )]
    UnsupportedContentType {
        /// The value received, `None` when the property was absent.
        content_type: Option<String>,
    },

    /// The `version` header names a driver wire-protocol major version other than 1.
    #[error("unsupported driver wire-protocol version {version:?}: only 1.x is understood")]
    UnsupportedDriverVersion {
        /// The header value received (its start only, when long).
        version: String,
    },

    /// The `version` header is present but is not a `major.minor[.revision]` number.
    #[error("bad `version` header {value}: expected a text value such as \"1.0\"")]
    BadVersionHeader {
        /// The header value received, as a readable description (its start only, when
        /// long).
        value: String,
    },

    /// The body is not valid UTF-8 JSON.
    #[error("malformed JSON body: {reason}")]
    MalformedJson {
        /// What the JSON parser reported.
        reason: String,
    },

    /// The body is not one valid msgpack value.
    #[error("malformed msgpack body: {reason}")]
    MalformedMsgpack {
        /// What the msgpack reader reported.
        reason: String,
    },

    /// A value that must be a map (an object) is something else.
    #[error("the {what} must be a map, found {found}")]
    NotAMap {
        /// Which value: `message body`, `RPC args`, `context`, ...
        what: &'static str,
        /// The JSON type found instead.
        found: &'static str,
    },

    /// A field every message of this kind carries is absent.
    #[error("the {envelope} has no `{field}` field")]
    MissingField {
        /// The kind of message: `RPC request`, `RPC failure`, `notification`.
        envelope: &'static str,
        /// The missing key.
        field: &'static str,
    },

    /// A field has the wrong JSON type.
    #[error("the `{field}` field of the {envelope} must be {expected}, found {found}")]
    WrongFieldType {
        /// The kind of message.
        envelope: &'static str,
        /// The offending key.
        field: &'static str,
        /// The type required.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },

    /// A notification priority that is none of audit, debug, info, warn, error,
    /// critical, sample.
    #[error(
        "unknown notification priority {given:?}: expected audit, debug, info, warn, error, critical or sample"
    )]
    UnknownPriority {
        /// The priority received (its start only, when long).
        given: String,
    },

    /// A msgpack extension type code oslo.serialization does not define (or warren
    /// cannot represent).
    #[error("unsupported msgpack extension type {code}")]
    UnknownExtension {
        /// The extension type code.
        code: i8,
    },

    /// A known msgpack extension type whose payload does not decode.
    #[error("bad payload for msgpack extension type {code}: {reason}")]
    BadExtension {
        /// The extension type code.
        code: i8,
        /// What is wrong with the payload.
        reason: String,
    },

    /// A msgpack map key that cannot become a text key (an array, a map or an extension).
    #[error("unsupported msgpack map key of type {found}: keys must be scalars")]
    UnsupportedMapKey {
        /// The msgpack type of the key.
        found: &'static str,
    },

    /// A NaN or infinite float, which JSON and the in-memory model cannot hold.
    #[error("non-finite float (NaN or infinity) in a message body")]
    NonFiniteFloat,

    /// The value nests arrays and maps deeper than the configured limit.
    #[error("message nests deeper than {max_depth} levels of arrays and maps")]
    TooDeep {
        /// The limit that was exceeded.
        max_depth: usize,
    },

    /// A value of the AMQP `headers` table nests tables or arrays deeper than the AMQP
    /// client parses: the client skipped it, so nothing about the headers can be trusted.
    #[error(
        "the `{header}` header nests tables or arrays deeper than the {max_depth} levels \
         an AMQP header is read to"
    )]
    HeadersTooDeep {
        /// The name of the header (its start only, when long).
        header: String,
        /// The nesting the AMQP client reads, counting the headers table itself.
        max_depth: usize,
    },

    /// The body is larger than `[oslo_messaging_pika] max_message_body_size`; it was
    /// refused before being decoded.
    #[error(
        "message body of {size} bytes exceeds the limit of {max} bytes \
         ([oslo_messaging_pika] max_message_body_size)"
    )]
    TooLarge {
        /// The size of the body received, in bytes.
        size: usize,
        /// The limit, in bytes.
        max: usize,
    },

    /// A user value could not be turned into the in-memory model.
    #[error("cannot encode the {what}: {reason}")]
    Encode {
        /// Which value: `RPC args`, `RPC result`, `notification payload`, ...
        what: &'static str,
        /// What the serializer reported.
        reason: String,
    },

    /// A well-formed value does not fit the Rust type it was asked to become.
    #[error("cannot decode the {what} into the requested type: {reason}")]
    Decode {
        /// Which value: `RPC args`, `RPC result`, `context`, ...
        what: &'static str,
        /// What the deserializer reported.
        reason: String,
    },

    /// A notification timestamp that is not `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    #[error("bad notification timestamp {given:?}: expected `YYYY-MM-DD HH:MM:SS[.ffffff]`")]
    BadTimestamp {
        /// The timestamp received (its start only, when long).
        given: String,
    },

    /// An `expiration` property that is not a non-negative number of milliseconds.
    #[error("bad `expiration` property {given:?}: expected milliseconds such as \"30000\"")]
    BadExpiration {
        /// The property received (its start only, when long).
        given: String,
    },
}

/// How much of a received text an error quotes: enough to recognise it, never so much
/// that one hostile message floods a log.
pub(crate) const QUOTE_LIMIT: usize = 64;

/// `text` as an error may quote it: whole when short, else its first [`QUOTE_LIMIT`]
/// characters and the length of the rest.
pub(crate) fn excerpt(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}… ({} more bytes)", &text[..cut], text.len() - cut),
    }
}

/// The JSON type name of a value, for error messages.
pub(crate) fn json_type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_cause() {
        let e = WireError::UnsupportedContentType {
            content_type: Some("text/plain".into()),
        };
        assert!(e.to_string().contains("\"text/plain\""));
        let e = WireError::UnsupportedContentType { content_type: None };
        assert!(e.to_string().contains("(none)"));
        let e = WireError::WrongFieldType {
            envelope: "RPC request",
            field: "args",
            expected: "a map",
            found: "a string",
        };
        assert_eq!(
            e.to_string(),
            "the `args` field of the RPC request must be a map, found a string"
        );
        let e = WireError::TooLarge {
            size: 20_000_000,
            max: 16_777_216,
        };
        assert!(e.to_string().contains("20000000 bytes"), "{e}");
        assert!(e.to_string().contains("max_message_body_size"), "{e}");
    }

    #[test]
    fn excerpts_are_bounded() {
        assert_eq!(excerpt("INFO"), "INFO");
        let exact = "é".repeat(QUOTE_LIMIT);
        assert_eq!(excerpt(&exact), exact);
        let long = format!("{exact}tail");
        assert_eq!(excerpt(&long), format!("{exact}… (4 more bytes)"));
        assert!(excerpt(&"x".repeat(1_000_000)).len() < 100);
    }
}
