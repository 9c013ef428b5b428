//! Body bytes ↔ [`serde_json::Value`], for both serializers, bounded and panic-free.
//!
//! `serde_json::Value` is the in-memory form of every body, whichever serializer carried
//! it; users' own types go through `serde_json::to_value` / `from_value`. The rules for
//! what Python sends and what warren writes:
//!
//! * JSON is written with Python's `json.dumps` layout (`", "` / `": "` separators,
//!   non-ASCII escaped), so bodies match the Python driver byte for byte up to key order.
//!   JSON is read with `serde_json`; `NaN`/`Infinity` literals, which Python can write,
//!   are rejected, and integers beyond 64 bits become floats.
//! * msgpack is written like `msgpack.packb(use_bin_type=True)`: text as `str`, integers
//!   in their smallest form, floats as float 64. It is read like oslo's
//!   `MessagePackSerializer`, plus: `bin` becomes a string when it is UTF-8 (old Python 2
//!   senders write native strings as `bin`) and otherwise an array of byte values; map
//!   keys that are not text are written out as JSON would (`1` → `"1"`, `nil` →
//!   `"null"`, `true` → `"true"`), and when two keys then collide the later one wins, as in
//!   a Python dict; oslo's extension types are handled as described in
//!   [`msgpack_ext`](crate::msgpack_ext).
//! * Nesting deeper than a limit ([`DEFAULT_MAX_DEPTH`] unless given) is refused on
//!   both encode and decode, so no body can exhaust the stack.

use serde_json::{Map, Number, Value};

use crate::msgpack_ext;
use crate::python_json;
use crate::serializer::Serializer;
use crate::wire_error::WireError;

/// The nesting limit of [`encode`] and [`decode`]: how many arrays and maps may enclose
/// one another. A scalar body has depth 0, `{"a": [1]}` has depth 2.
///
/// JSON is additionally bounded by `serde_json`'s own fixed limit of 128.
pub const DEFAULT_MAX_DEPTH: usize = 100;

/// The bytes of `value` in the given serializer's encoding.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{Serializer, encode};
/// let bytes = encode(Serializer::Json, &json!({"s": "all_fine"})).unwrap();
/// assert_eq!(bytes, br#"{"s": "all_fine"}"#);
/// let packed = encode(Serializer::Msgpack, &json!({"s": "packed"})).unwrap();
/// assert_eq!(packed, b"\x81\xa1s\xa6packed");
/// ```
///
/// # Errors
///
/// [`WireError::TooDeep`] when `value` nests deeper than [`DEFAULT_MAX_DEPTH`];
/// [`WireError::Encode`] when a length does not fit msgpack's 32-bit sizes.
pub fn encode(serializer: Serializer, value: &Value) -> Result<Vec<u8>, WireError> {
    check_depth(value, DEFAULT_MAX_DEPTH)?;
    match serializer {
        Serializer::Json => python_json::to_vec(value).map_err(|e| WireError::Encode {
            what: "message body",
            reason: e.to_string(),
        }),
        Serializer::Msgpack => {
            let mut out = Vec::with_capacity(128);
            write_msgpack(&mut out, value)?;
            Ok(out)
        }
    }
}

/// The value carried by `body`, read with the given serializer, nesting at most
/// [`DEFAULT_MAX_DEPTH`] deep.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{Serializer, decode};
/// assert_eq!(decode(Serializer::Msgpack, b"\x81\xa1s\x05").unwrap(), json!({"s": 5}));
/// assert!(decode(Serializer::Json, b"{\"s\": ").is_err());
/// ```
///
/// # Errors
///
/// See [`decode_with_max_depth`].
pub fn decode(serializer: Serializer, body: &[u8]) -> Result<Value, WireError> {
    decode_with_max_depth(serializer, body, DEFAULT_MAX_DEPTH)
}

/// [`decode`] with a nesting limit other than [`DEFAULT_MAX_DEPTH`].
///
/// # Errors
///
/// * [`WireError::MalformedJson`] / [`WireError::MalformedMsgpack`]: the bytes are not
///   exactly one value of that encoding (trailing bytes included);
/// * [`WireError::TooDeep`]: nesting beyond `max_depth`;
/// * [`WireError::NonFiniteFloat`]: a msgpack NaN or infinity;
/// * [`WireError::UnknownExtension`], [`WireError::BadExtension`],
///   [`WireError::UnsupportedMapKey`]: msgpack content warren cannot represent.
pub fn decode_with_max_depth(
    serializer: Serializer,
    body: &[u8],
    max_depth: usize,
) -> Result<Value, WireError> {
    match serializer {
        Serializer::Json => decode_json(body, max_depth),
        Serializer::Msgpack => decode_msgpack(body, max_depth),
    }
}

/// How deeply arrays and maps nest in `value`, without recursing.
fn check_depth(value: &Value, max_depth: usize) -> Result<(), WireError> {
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        let depth = depth + 1;
        if depth > max_depth {
            return Err(WireError::TooDeep { max_depth });
        }
        stack.extend(children.map(|c| (c, depth)));
    }
    Ok(())
}

fn decode_json(body: &[u8], max_depth: usize) -> Result<Value, WireError> {
    // A cheap scan first, so the configured limit holds even below serde_json's own.
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max_depth {
                    return Err(WireError::TooDeep { max_depth });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        let reason = e.to_string();
        if reason.starts_with("recursion limit exceeded") {
            WireError::TooDeep {
                max_depth: max_depth.min(128),
            }
        } else {
            WireError::MalformedJson { reason }
        }
    })
}

/// Reads one msgpack value that must fill `body` exactly.
pub(crate) fn decode_msgpack(body: &[u8], max_depth: usize) -> Result<Value, WireError> {
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
fn write_msgpack(out: &mut Vec<u8>, value: &Value) -> Result<(), WireError> {
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
                write_msgpack(out, item)?;
            }
        }
        Value::Object(map) => {
            rmp::encode::write_map_len(out, len(map.len())?).map_err(|e| fail(&e))?;
            for (k, v) in map {
                len(k.len())?;
                rmp::encode::write_str(out, k).map_err(|e| fail(&e))?;
                write_msgpack(out, v)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbitrary::arb_value;
    use proptest::prelude::*;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut v = json!(1);
        for _ in 0..depth {
            v = json!([v]);
        }
        v
    }

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

    #[test]
    fn json_rejects_python_nan_and_garbage() {
        assert!(matches!(
            decode(Serializer::Json, b"{\"a\": NaN}"),
            Err(WireError::MalformedJson { .. })
        ));
        assert!(matches!(
            decode(Serializer::Json, b"{} x"),
            Err(WireError::MalformedJson { .. })
        ));
        assert!(matches!(
            decode(Serializer::Json, b"\"\xff\""),
            Err(WireError::MalformedJson { .. })
        ));
    }

    #[test]
    fn depth_is_bounded_both_ways() {
        for s in Serializer::ALL {
            let ok = nested(DEFAULT_MAX_DEPTH);
            let bytes = encode(s, &ok).unwrap();
            assert_eq!(decode(s, &bytes).unwrap(), ok);
            assert_eq!(
                decode_with_max_depth(s, &bytes, 10),
                Err(WireError::TooDeep { max_depth: 10 })
            );
            assert_eq!(
                encode(s, &nested(DEFAULT_MAX_DEPTH + 1)),
                Err(WireError::TooDeep {
                    max_depth: DEFAULT_MAX_DEPTH
                })
            );
        }
        // Brackets inside strings do not count.
        let text = format!("[\"{}\"]", "[".repeat(500));
        assert!(decode(Serializer::Json, text.as_bytes()).is_ok());
    }

    #[test]
    fn hostile_nesting_does_not_overflow() {
        let deep_json = "[".repeat(100_000);
        assert_eq!(
            decode(Serializer::Json, deep_json.as_bytes()),
            Err(WireError::TooDeep {
                max_depth: DEFAULT_MAX_DEPTH
            })
        );
        let deep_pack = vec![0x91u8; 100_000];
        assert_eq!(
            decode(Serializer::Msgpack, &deep_pack),
            Err(WireError::TooDeep {
                max_depth: DEFAULT_MAX_DEPTH
            })
        );
        // A huge declared length with no data behind it fails without allocating it.
        assert!(decode(Serializer::Msgpack, &[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(Serializer::Msgpack, &[0xc6, 0xff, 0xff, 0xff, 0xff]).is_err());
    }

    proptest! {
        #[test]
        fn encode_decode_identity(v in arb_value()) {
            for s in Serializer::ALL {
                let bytes = encode(s, &v).unwrap();
                prop_assert_eq!(&decode(s, &bytes).unwrap(), &v);
            }
        }

        #[test]
        fn json_output_is_standard_json(v in arb_value()) {
            let bytes = encode(Serializer::Json, &v).unwrap();
            prop_assert!(bytes.is_ascii());
            prop_assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), v);
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            for s in Serializer::ALL {
                let _ = decode(s, &bytes);
            }
        }

        #[test]
        fn random_msgpack_like_bytes_never_panic(
            bytes in prop::collection::vec(
                prop_oneof![Just(0x91u8), Just(0x81), Just(0xc7), Just(0xd4), Just(0xd8), Just(0xc4), Just(0xa1), Just(0x00), Just(0x01), Just(0x04), Just(0x07), any::<u8>()],
                0..128,
            )
        ) {
            let _ = decode(Serializer::Msgpack, &bytes);
        }
    }
}
