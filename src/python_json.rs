//! JSON text laid out the way Python's `json.dumps` writes it with default arguments.
//!
//! Python peers parse any valid JSON, so this layout is not needed for
//! interoperability; it makes warren's bodies byte-identical to the Python driver's
//! for the same map (same key order), which keeps captures and logs comparable.
//! Differences from `json.dumps` that remain: key order follows the in-memory map, and
//! integers beyond the `i64`/`u64` range were already floats when parsed.

use std::io::{self, Write};

use serde_json::ser::Formatter;

/// `", "` and `": "` separators, `ensure_ascii` escapes, Python's float exponents.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// serde_json has already escaped quotes, backslashes and control characters; what
    /// is left must become ASCII, as with `ensure_ascii=True` (which also escapes DEL).
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() && c != '\x7f' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

/// Python's `repr(float)` for a finite value: the shortest round-tripping digits, with
/// an exponent written `e+16` / `e-05` where Python uses one.
pub(crate) fn python_float_repr(value: f64) -> String {
    // Rust's `{:?}` and Python's repr both print the shortest round-tripping digits;
    // they differ in when they switch to exponent form and in how they spell it.
    let digits = format!("{value:e}");
    let (mantissa, exponent) = digits
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes a decimal exponent");
    if (-4..16).contains(&exponent) {
        let plain = format!("{value:?}");
        if plain.contains('e') {
            // Debug switches to exponent form at other thresholds; rebuild the
            // positional form from the shortest digits.
            positional(mantissa, exponent)
        } else {
            plain
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// The positional form (`123.0`, `0.0001`) of `mantissa × 10^exponent` where
/// `mantissa` is `[-]d[.ddd]`.
fn positional(mantissa: &str, exponent: i32) -> String {
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = unsigned.chars().filter(|c| *c != '.').collect();
    let point = 1 + exponent;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if digits.len() > point {
            format!("{}.{}", &digits[..point], &digits[point..])
        } else {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        }
    };
    format!("{sign}{body}")
}

/// `value` as Python's `json.dumps(value)` would write it (up to key order).
pub(crate) fn to_vec(value: &serde_json::Value) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    serde::Serialize::serialize(value, &mut ser)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dumps(v: serde_json::Value) -> String {
        String::from_utf8(to_vec(&v).unwrap()).unwrap()
    }

    #[test]
    fn separators_match_python() {
        assert_eq!(dumps(json!({"s": "all_fine"})), r#"{"s": "all_fine"}"#);
        assert_eq!(dumps(json!([1, [2, 3], {}])), "[1, [2, 3], {}]");
        assert_eq!(
            dumps(json!({"a": null, "b": true})),
            r#"{"a": null, "b": true}"#
        );
    }

    #[test]
    fn non_ascii_is_escaped_like_ensure_ascii() {
        assert_eq!(dumps(json!("é")), r#""\u00e9""#);
        assert_eq!(dumps(json!("a😀b")), r#""a\ud83d\ude00b""#);
        assert_eq!(dumps(json!("\u{7f}")), r#""\u007f""#);
        assert_eq!(dumps(json!("q\"\\\n\u{1}")), r#""q\"\\\n\u0001""#);
    }

    #[test]
    fn floats_match_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (123456789.125, "123456789.125"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (5e-324, "5e-324"),
        ];
        for (v, want) in cases {
            assert_eq!(python_float_repr(v), want, "{v:e}");
        }
    }
}
