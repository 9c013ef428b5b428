//! Reading envelope fields out of a decoded body, with errors that name the field.

use serde_json::{Map, Value};

use crate::codec;
use crate::serializer::Serializer;
use crate::wire_error::{WireError, json_type_name};

/// The top-level map of a body; anything else is [`WireError::NotAMap`].
pub(crate) fn body_map(
    serializer: Serializer,
    body: &[u8],
) -> Result<Map<String, Value>, WireError> {
    into_map(codec::decode(serializer, body)?, "message body")
}

/// `value` as a map, or [`WireError::NotAMap`] naming `what`.
pub(crate) fn into_map(value: Value, what: &'static str) -> Result<Map<String, Value>, WireError> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(WireError::NotAMap {
            what,
            found: json_type_name(&other),
        }),
    }
}

/// Removes a field that must be present and be text.
pub(crate) fn take_string(
    map: &mut Map<String, Value>,
    envelope: &'static str,
    field: &'static str,
) -> Result<String, WireError> {
    take_opt_string(map, envelope, field)?.ok_or(WireError::MissingField { envelope, field })
}

/// Removes a field that is text when present; absent and `null` both give `None`.
pub(crate) fn take_opt_string(
    map: &mut Map<String, Value>,
    envelope: &'static str,
    field: &'static str,
) -> Result<Option<String>, WireError> {
    match map.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(WireError::WrongFieldType {
            envelope,
            field,
            expected: "a string",
            found: json_type_name(&other),
        }),
    }
}
