//! msgpack bodies: read into and written from the JSON value model.
//!
//! The rules (what `bin`, non-text keys and extension types become) are those listed in
//! the [`codec`](crate::codec) module; this file is their msgpack half.

use serde_json::{Map, Number, Value};

use crate::msgpack_ext;
use crate::python_json;
use crate::wire_error::WireError;

/// Reads one msgpack value that must fill `body` exactly.
pub(crate) fn decode(body: &[u8], max_depth: usize) -> Result<Value, WireError> {
    let mut rest = body;
    // rmpv spends two units of its budget per container level and up to three on a
    // string; this budget lets `max_depth` levels through and the exact check below
    // decides.
    let budget = max_depth.saturating_mul(2).saturating_add(3);
    let raw = rmpv::decode::read_value_with_max_depth(&mut rest, budget).map_err(|e| match e {
        rmpv::decode::Error::DepthLimitExceeded => WireError::TooDeep { max_depth },
        other => WireError::MalformedMsgpack {
            reason: other.to_string(),
        },
    })?;
    if !rest.is_empty() {
        return Err(WireError::MalformedMsgpack {
            reason: format!("{} trailing bytes after the value", rest.len()),
        });
    }
    from_msgpack(raw, 0, max_depth)
}

/// Reads the msgpack value packed inside the payload of extension `code`.
///
/// No payload oslo writes is itself an extension, and refusing one here is what bounds
/// the nesting of extensions: each extension decodes its payload with the depth budget
/// left at its own level, so without this rule an extension whose payload is an
/// extension would recurse (and copy the rest of the body) once per level, with no
/// level ever counted.
pub(crate) fn decode_ext_payload(
    code: i8,
    payload: &[u8],
    max_depth: usize,
) -> Result<Value, WireError> {
    // fixext 1..16, ext 8/16/32.
    if let Some(0xc7..=0xc9 | 0xd4..=0xd8) = payload.first() {
        return Err(WireError::BadExtension {
            code,
            reason: "its payload is itself an extension".to_owned(),
        });
    }
    decode(payload, max_depth)
}

/// The JSON model of a msgpack value found `depth` containers deep.
fn from_msgpack(raw: rmpv::Value, depth: usize, max_depth: usize) -> Result<Value, WireError> {
    Ok(match raw {
        rmpv::Value::Nil => Value::Null,
        rmpv::Value::Boolean(b) => Value::Bool(b),
        rmpv::Value::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(s)) => Value::from(s),
            // Every msgpack integer fits one of the two; no panic path all the same.
            (None, None) => float(i.as_f64().unwrap_or(f64::NAN))?,
        },
        rmpv::Value::F32(f) => float(f64::from(f))?,
        rmpv::Value::F64(f) => float(f)?,
        rmpv::Value::String(s) => match s.into_str() {
            Some(s) => Value::String(s),
            None => {
                return Err(WireError::MalformedMsgpack {
                    reason: "a `str` value is not valid UTF-8".to_owned(),
                });
            }
        },
        rmpv::Value::Binary(bytes) => binary(bytes),
        rmpv::Value::Array(items) => {
            let depth = enter(depth, max_depth)?;
            Value::Array(
                items
                    .into_iter()
                    .map(|item| from_msgpack(item, depth, max_depth))
                    .collect::<Result<_, _>>()?,
            )
        }
        rmpv::Value::Map(pairs) => {
            let depth = enter(depth, max_depth)?;
            let mut map = Map::new();
            for (k, v) in pairs {
                map.insert(map_key(k)?, from_msgpack(v, depth, max_depth)?);
            }
            Value::Object(map)
        }
        rmpv::Value::Ext(code, payload) => {
            msgpack_ext::decode_ext(code, &payload, max_depth.saturating_sub(depth)).map_err(
                |e| match e {
                    // The nested read saw only the remaining budget; report the real limit.
                    WireError::TooDeep { .. } => WireError::TooDeep { max_depth },
                    other => other,
                },
            )?
        }
    })
}

fn enter(depth: usize, max_depth: usize) -> Result<usize, WireError> {
    let depth = depth + 1;
    if depth > max_depth {
        Err(WireError::TooDeep { max_depth })
    } else {
        Ok(depth)
    }
}

fn float(f: f64) -> Result<Value, WireError> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or(WireError::NonFiniteFloat)
}

/// `bin` as text when it is UTF-8, else as the array of its byte values.
fn binary(bytes: Vec<u8>) -> Value {
    match String::from_utf8(bytes) {
        Ok(s) => Value::String(s),
        Err(e) => Value::Array(e.into_bytes().into_iter().map(Value::from).collect()),
    }
}

/// A map key as text: scalars are spelled as JSON would spell them.
fn map_key(key: rmpv::Value) -> Result<String, WireError> {
    let unsupported = |found| Err(WireError::UnsupportedMapKey { found });
    match key {
        rmpv::Value::String(s) => match s.into_str() {
            Some(s) => Ok(s),
            None => Err(WireError::MalformedMsgpack {
                reason: "a `str` map key is not valid UTF-8".to_owned(),
            }),
        },
        rmpv::Value::Binary(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Ok(s),
            Err(_) => unsupported("non-UTF-8 bin"),
        },
        rmpv::Value::Nil => Ok("null".to_owned()),
        rmpv::Value::Boolean(b) => Ok(b.to_string()),
        rmpv::Value::Integer(i) => Ok(i.to_string()),
        rmpv::Value::F32(f) => float_key(f64::from(f)),
        rmpv::Value::F64(f) => float_key(f),
        rmpv::Value::Array(_) => unsupported("array"),
        rmpv::Value::Map(_) => unsupported("map"),
        rmpv::Value::Ext(..) => unsupported("ext"),
    }
}

fn float_key(f: f64) -> Result<String, WireError> {
    if f.is_finite() {
        Ok(python_json::python_float_repr(f))
    } else {
        Err(WireError::NonFiniteFloat)
    }
}

/// Writes `value` as msgpack; the caller has bounded its depth.
pub(crate) fn write(out: &mut Vec<u8>, value: &Value) -> Result<(), WireError> {
    let fail = |what: &dyn std::fmt::Display| WireError::Encode {
        what: "message body",
        reason: what.to_string(),
    };
    let len = |n: usize| {
        u32::try_from(n).map_err(|_| WireError::Encode {
            what: "message body",
            reason: format!("{n} elements exceed msgpack's 32-bit length"),
        })
    };
    match value {
        Value::Null => rmp::encode::write_nil(out).map_err(|e| fail(&e))?,
        Value::Bool(b) => rmp::encode::write_bool(out, *b).map_err(|e| fail(&e))?,
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                rmp::encode::write_uint(out, u).map_err(|e| fail(&e))?;
            } else if let Some(i) = n.as_i64() {
                rmp::encode::write_sint(out, i).map_err(|e| fail(&e))?;
            } else {
                let f = n.as_f64().ok_or(WireError::NonFiniteFloat)?;
                rmp::encode::write_f64(out, f).map_err(|e| fail(&e))?;
            }
        }
        Value::String(s) => {
            len(s.len())?;
            rmp::encode::write_str(out, s).map_err(|e| fail(&e))?;
        }
        Value::Array(items) => {
            rmp::encode::write_array_len(out, len(items.len())?).map_err(|e| fail(&e))?;
            for item in items {
                write(out, item)?;
            }
        }
        Value::Object(map) => {
            rmp::encode::write_map_len(out, len(map.len())?).map_err(|e| fail(&e))?;
            for (k, v) in map {
                len(k.len())?;
                rmp::encode::write_str(out, k).map_err(|e| fail(&e))?;
                write(out, v)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Serializer, decode, encode};
    use serde_json::json;

    #[test]
    fn msgpack_uses_smallest_forms_and_str() {
        let bytes = encode(
            Serializer::Msgpack,
            &json!([1, 200, -1, -200, 70000, "é", 0.5]),
        )
        .unwrap();
        assert_eq!(
            bytes,
            [
                0x97, 0x01, 0xcc, 200, 0xff, 0xd1, 0xff, 0x38, 0xce, 0x00, 0x01, 0x11, 0x70, 0xa2,
                0xc3, 0xa9, 0xcb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0
            ]
        );
    }

    #[test]
    fn bin_decodes_as_text_or_bytes() {
        // {"k": bin "v", bin "key": bin [0xff, 0x00]}
        let body = [
            0x82, 0xa1, b'k', 0xc4, 1, b'v', 0xc4, 3, b'k', b'e', b'y', 0xc4, 2, 0xff, 0x00,
        ];
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!({"k": "v", "key": [255, 0]})
        );
    }

    #[test]
    fn scalar_map_keys_are_stringified() {
        // {1: "a", nil: "b", true: "c", -3: "d", 1.5: "e"}
        let body = [
            0x85, 0x01, 0xa1, b'a', 0xc0, 0xa1, b'b', 0xc3, 0xa1, b'c', 0xfd, 0xa1, b'd', 0xcb,
            0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, b'e',
        ];
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!({"1": "a", "null": "b", "true": "c", "-3": "d", "1.5": "e"})
        );
        // {[1]: 2}
        let err = decode(Serializer::Msgpack, &[0x81, 0x91, 0x01, 0x02]).unwrap_err();
        assert_eq!(err, WireError::UnsupportedMapKey { found: "array" });
    }

    #[test]
    fn msgpack_rejects_trailing_bytes_bad_utf8_and_nan() {
        assert!(matches!(
            decode(Serializer::Msgpack, &[0x01, 0x02]),
            Err(WireError::MalformedMsgpack { .. })
        ));
        assert!(matches!(
            decode(Serializer::Msgpack, &[0xa1, 0xff]),
            Err(WireError::MalformedMsgpack { .. })
        ));
        assert!(matches!(
            decode(Serializer::Msgpack, &[]),
            Err(WireError::MalformedMsgpack { .. })
        ));
        let nan = [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decode(Serializer::Msgpack, &nan),
            Err(WireError::NonFiniteFloat)
        );
    }
}
