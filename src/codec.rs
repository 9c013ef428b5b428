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
//!   both encode and decode, so no body can exhaust the stack. Nothing recurses
//!   deeper than the limit allows: JSON is scanned for depth before it is parsed,
//!   msgpack is read with the limit, and oslo's msgpack extensions count the levels of
//!   their payloads (an extension whose payload is itself an extension is refused).

use serde_json::Value;

use crate::msgpack;
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
            msgpack::write(&mut out, value)?;
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
        Serializer::Msgpack => msgpack::decode(body, max_depth),
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

    /// `levels` maps `{"a": {"a": ... 1}}`, in both encodings.
    fn deep_maps(levels: usize) -> (Vec<u8>, Vec<u8>) {
        let json = format!("{}1{}", "{\"a\": ".repeat(levels), "}".repeat(levels));
        let mut pack = [0x81u8, 0xa1, b'a'].repeat(levels);
        pack.push(0x01);
        (json.into_bytes(), pack)
    }

    /// `levels` extensions of type `code`, each the whole payload of the one around it,
    /// around a `1`: ext32 headers, written outside in (level k holds 6(k-1)+1 bytes).
    fn deep_extensions(levels: usize, code: i8) -> Vec<u8> {
        let mut body = Vec::with_capacity(6 * levels + 1);
        for k in (1..=levels).rev() {
            let len = u32::try_from(6 * (k - 1) + 1).unwrap().to_be_bytes();
            body.extend([0xc9, len[0], len[1], len[2], len[3], code as u8]);
        }
        body.push(0x01);
        body
    }

    /// `levels` sets, each holding the next one as the only item of its list:
    /// `set([set([... 1])])`, written outside in (level k holds 7(k-1)+2 bytes).
    fn deep_sets(levels: usize) -> Vec<u8> {
        let mut body = Vec::with_capacity(7 * levels + 1);
        for k in (1..=levels).rev() {
            let len = u32::try_from(7 * (k - 1) + 2).unwrap().to_be_bytes();
            body.extend([0xc9, len[0], len[1], len[2], len[3], 4, 0x91]);
        }
        body.push(0x01);
        body
    }

    #[test]
    fn a_hundred_thousand_levels_of_maps_do_not_overflow() {
        let (json, pack) = deep_maps(100_000);
        let too_deep = Err(WireError::TooDeep {
            max_depth: DEFAULT_MAX_DEPTH,
        });
        assert_eq!(decode(Serializer::Json, &json), too_deep);
        assert_eq!(decode(Serializer::Msgpack, &pack), too_deep);
        // Unclosed, and with brackets hidden in strings around them.
        let ragged = format!("{}\"]]]\"", "{\"k\": [".repeat(100_000));
        assert_eq!(decode(Serializer::Json, ragged.as_bytes()), too_deep);
        let (json, pack) = deep_maps(DEFAULT_MAX_DEPTH);
        assert!(decode(Serializer::Json, &json).is_ok());
        assert!(decode(Serializer::Msgpack, &pack).is_ok());
    }

    #[test]
    fn extensions_nested_in_extensions_do_not_overflow() {
        // 10,000 levels of ext32 headers are 60 kB: a small body, and without a bound
        // a recursion as deep as the levels (and a copy of the rest at each level).
        for code in [4i8, 3, 1, 7] {
            let body = deep_extensions(10_000, code);
            assert!(
                matches!(
                    decode(Serializer::Msgpack, &body),
                    Err(WireError::BadExtension { .. } | WireError::TooDeep { .. })
                ),
                "code {code}"
            );
        }
        // Sets holding sets (through their lists) count a level each.
        assert_eq!(
            decode(Serializer::Msgpack, &deep_sets(100_000)),
            Err(WireError::TooDeep {
                max_depth: DEFAULT_MAX_DEPTH
            })
        );
        let fine = decode(Serializer::Msgpack, &deep_sets(DEFAULT_MAX_DEPTH));
        assert!(fine.is_ok(), "{fine:?}");
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
