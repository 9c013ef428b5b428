//! oslo.serialization's msgpack extension types, read into plain JSON values.
//!
//! A Python sender using the msgpack serializer packs some Python types as msgpack
//! `ext` values (the default registry of `oslo_serialization.msgpackutils`). warren has
//! no such types in its value model, so each becomes what oslo's `to_primitive` would
//! have made of it for JSON — the same value a JSON-speaking Python peer would have sent:
//!
//! | code | Python type | becomes |
//! |---|---|---|
//! | 0 | `uuid.UUID` | hyphenated lower-case string, `str(uuid)` |
//! | 1 | `datetime.datetime` | `"%Y-%m-%dT%H:%M:%S.%f"` string; a `tz` name is dropped, the wall-clock time kept |
//! | 2 | `itertools.count` | refused: [`WireError::UnknownExtension`] |
//! | 3 | `netaddr.IPAddress` | address string; values up to 2³²−1 are IPv4, as netaddr guesses |
//! | 4 | `set` | array |
//! | 5 | `frozenset` | array |
//! | 6 | `xmlrpclib.DateTime` | as code 1 |
//! | 7 | `datetime.date` | `"YYYY-MM-DD"` string |
//! | other | — | refused: [`WireError::UnknownExtension`] |
//!
//! A payload that is itself an extension is refused ([`WireError::BadExtension`]): oslo
//! never writes one, and refusing it keeps the nesting of extensions bounded.
//!
//! warren never writes extension types: what it sends is plain msgpack.

use std::net::{Ipv4Addr, Ipv6Addr};

use chrono::{NaiveDate, NaiveTime};
use serde_json::{Map, Value};

use crate::msgpack;
use crate::wire_error::{WireError, excerpt};

/// `uuid.UUID`: the payload is the 32 hex digits of the uuid, unpacked.
pub(crate) const UUID: i8 = 0;
/// `datetime.datetime`: the payload is a packed map of its fields.
pub(crate) const DATETIME: i8 = 1;
/// `itertools.count`: the payload is a packed `[start, step]`.
pub(crate) const COUNT: i8 = 2;
/// `netaddr.IPAddress`: the payload is the packed integer value.
pub(crate) const IP_ADDRESS: i8 = 3;
/// `set`: the payload is a packed list.
pub(crate) const SET: i8 = 4;
/// `frozenset`: the payload is a packed list.
pub(crate) const FROZENSET: i8 = 5;
/// `xmlrpclib.DateTime`: the payload is laid out as for [`DATETIME`].
pub(crate) const XMLRPC_DATETIME: i8 = 6;
/// `datetime.date`: the payload is a packed map `{year, month, day}`.
pub(crate) const DATE: i8 = 7;

/// The JSON model of extension `code` with `payload`; nested msgpack inside the payload
/// may use at most `max_depth` levels.
pub(crate) fn decode_ext(code: i8, payload: &[u8], max_depth: usize) -> Result<Value, WireError> {
    let bad = |reason: String| WireError::BadExtension { code, reason };
    match code {
        UUID => {
            let text = std::str::from_utf8(payload)
                .map_err(|_| bad("the uuid is not ASCII text".to_owned()))?;
            let uuid = uuid::Uuid::try_parse(text)
                .map_err(|e| bad(format!("{:?} is not a uuid: {e}", excerpt(text))))?;
            Ok(Value::String(uuid.hyphenated().to_string()))
        }
        DATETIME | XMLRPC_DATETIME => {
            let fields = nested_map(code, payload, max_depth)?;
            let date = date_of(code, &fields)?;
            let time = NaiveTime::from_hms_micro_opt(
                small_field(code, &fields, "hour", Some(0))?,
                small_field(code, &fields, "minute", Some(0))?,
                small_field(code, &fields, "second", Some(0))?,
                small_field(code, &fields, "microsecond", Some(0))?,
            )
            .ok_or_else(|| bad("the time of day is out of range".to_owned()))?;
            Ok(Value::String(
                date.and_time(time)
                    .format("%Y-%m-%dT%H:%M:%S%.6f")
                    .to_string(),
            ))
        }
        DATE => {
            let fields = nested_map(code, payload, max_depth)?;
            Ok(Value::String(
                date_of(code, &fields)?.format("%Y-%m-%d").to_string(),
            ))
        }
        IP_ADDRESS => match msgpack::decode_ext_payload(code, payload, max_depth)? {
            Value::Number(n) => match n.as_u64() {
                Some(v) => Ok(Value::String(match u32::try_from(v) {
                    Ok(v4) => Ipv4Addr::from(v4).to_string(),
                    Err(_) => Ipv6Addr::from(u128::from(v)).to_string(),
                })),
                None => Err(bad(format!("{n} is not an address value"))),
            },
            other => Err(bad(format!(
                "expected an integer address, found {}",
                crate::wire_error::json_type_name(&other)
            ))),
        },
        SET | FROZENSET => match msgpack::decode_ext_payload(code, payload, max_depth)? {
            Value::Array(items) => Ok(Value::Array(items)),
            other => Err(bad(format!(
                "expected a packed list, found {}",
                crate::wire_error::json_type_name(&other)
            ))),
        },
        // An endless counter has no JSON form.
        COUNT => Err(WireError::UnknownExtension { code }),
        _ => Err(WireError::UnknownExtension { code }),
    }
}

fn nested_map(code: i8, payload: &[u8], max_depth: usize) -> Result<Map<String, Value>, WireError> {
    match msgpack::decode_ext_payload(code, payload, max_depth)? {
        Value::Object(map) => Ok(map),
        other => Err(WireError::BadExtension {
            code,
            reason: format!(
                "expected a packed map, found {}",
                crate::wire_error::json_type_name(&other)
            ),
        }),
    }
}

fn date_of(code: i8, fields: &Map<String, Value>) -> Result<NaiveDate, WireError> {
    let year = fields
        .get("year")
        .and_then(Value::as_i64)
        .and_then(|y| i32::try_from(y).ok())
        .ok_or_else(|| WireError::BadExtension {
            code,
            reason: "`year` is missing or not an integer".to_owned(),
        })?;
    NaiveDate::from_ymd_opt(
        year,
        small_field(code, fields, "month", None)?,
        small_field(code, fields, "day", None)?,
    )
    .ok_or_else(|| WireError::BadExtension {
        code,
        reason: "the date is out of range".to_owned(),
    })
}

/// A non-negative integer field, or `default` when absent.
fn small_field(
    code: i8,
    fields: &Map<String, Value>,
    name: &str,
    default: Option<u32>,
) -> Result<u32, WireError> {
    match (fields.get(name), default) {
        (None, Some(d)) => Ok(d),
        (value, _) => value
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| WireError::BadExtension {
                code,
                reason: format!("`{name}` is missing or not a small non-negative integer"),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Serializer, decode};
    use serde_json::json;

    /// `payload` packed as ext `code` (ext 8 form).
    fn ext(code: i8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xc7, payload.len() as u8, code as u8];
        out.extend_from_slice(payload);
        out
    }

    fn packed(v: Value) -> Vec<u8> {
        crate::encode(Serializer::Msgpack, &v).unwrap()
    }

    #[test]
    fn uuid_becomes_hyphenated_text() {
        let body = ext(UUID, b"47e2572ee12645879e2024e4360414a2");
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!("47e2572e-e126-4587-9e20-24e4360414a2")
        );
        assert!(matches!(
            decode(Serializer::Msgpack, &ext(UUID, b"not-a-uuid")),
            Err(WireError::BadExtension { code: 0, .. })
        ));
    }

    #[test]
    fn datetime_becomes_iso_text_with_microseconds() {
        let fields = json!({"day": 24, "month": 11, "year": 2026, "hour": 18, "minute": 20,
                            "second": 47, "microsecond": 596592});
        let body = ext(DATETIME, &packed(fields));
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!("2026-11-24T18:20:47.596592")
        );
        let with_tz = json!({"day": 1, "month": 2, "year": 2020, "hour": 3, "minute": 4,
                             "second": 5, "microsecond": 0, "tz": "UTC"});
        let body = ext(XMLRPC_DATETIME, &packed(with_tz));
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!("2020-02-01T03:04:05.000000")
        );
        let bad = json!({"day": 31, "month": 2, "year": 2020});
        assert!(matches!(
            decode(Serializer::Msgpack, &ext(DATETIME, &packed(bad))),
            Err(WireError::BadExtension { code: 1, .. })
        ));
    }

    #[test]
    fn date_set_and_address() {
        let date = ext(DATE, &packed(json!({"year": 2026, "month": 1, "day": 9})));
        assert_eq!(
            decode(Serializer::Msgpack, &date).unwrap(),
            json!("2026-01-09")
        );
        let set = ext(SET, &packed(json!([1, "a"])));
        let frozen = ext(FROZENSET, &packed(json!([])));
        let mut body = vec![0x82, 0xa1, b's'];
        body.extend(set);
        body.extend([0xa1, b'f']);
        body.extend(frozen);
        assert_eq!(
            decode(Serializer::Msgpack, &body).unwrap(),
            json!({"s": [1, "a"], "f": []})
        );
        let v4 = ext(IP_ADDRESS, &packed(json!(0xc0a8_0001u32)));
        assert_eq!(
            decode(Serializer::Msgpack, &v4).unwrap(),
            json!("192.168.0.1")
        );
        let v6 = ext(IP_ADDRESS, &packed(json!(1u64 << 40)));
        assert_eq!(
            decode(Serializer::Msgpack, &v6).unwrap(),
            json!("::100:0:0")
        );
    }

    #[test]
    fn unknown_codes_are_refused() {
        for code in [COUNT, 8, 42, -1] {
            assert_eq!(
                decode(Serializer::Msgpack, &ext(code, &packed(json!([0, 1])))),
                Err(WireError::UnknownExtension { code })
            );
        }
    }

    #[test]
    fn an_extension_directly_inside_another_is_refused() {
        // {"s": set(set(set(...([])...)))}, 100 000 sets deep in 600 kB: read without
        // a bound, this overflowed the stack.
        let mut inner = vec![0x90];
        for _ in 0..100_000 {
            let mut outer = vec![0xc9];
            outer.extend_from_slice(&u32::try_from(inner.len()).unwrap().to_be_bytes());
            outer.push(SET as u8);
            outer.extend_from_slice(&inner);
            inner = outer;
        }
        let mut body = vec![0x81, 0xa1, b's'];
        body.extend_from_slice(&inner);
        assert!(matches!(
            decode(Serializer::Msgpack, &body),
            Err(WireError::BadExtension { code: SET, .. })
        ));
        for code in [IP_ADDRESS, DATETIME, DATE, FROZENSET] {
            let body = ext(code, &ext(SET, &packed(json!([1]))));
            assert!(
                matches!(
                    decode(Serializer::Msgpack, &body),
                    Err(WireError::BadExtension { code: c, .. }) if c == code
                ),
                "{code}"
            );
        }
        // An extension inside a packed list still counts one level per list.
        let body = ext(SET, &[&[0x91][..], &ext(SET, &packed(json!([1])))].concat());
        assert_eq!(decode(Serializer::Msgpack, &body).unwrap(), json!([[1]]));
    }

    #[test]
    fn nested_payload_depth_counts() {
        let mut inner = json!(1);
        for _ in 0..5 {
            inner = json!([inner]);
        }
        // [[ set([[[[[[1]]]]]]) ]]: two arrays, the set, five arrays: 8 levels.
        let mut body = vec![0x91, 0x91];
        body.extend(ext(SET, &packed(json!([inner]))));
        assert!(crate::decode_with_max_depth(Serializer::Msgpack, &body, 8).is_ok());
        assert_eq!(
            crate::decode_with_max_depth(Serializer::Msgpack, &body, 7),
            Err(WireError::TooDeep { max_depth: 7 })
        );
    }
}
