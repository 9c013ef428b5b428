use crate::{flags::*, types::*, value::*};
use nom::{
    self, Parser,
    bytes::streaming::take,
    combinator::{all_consuming, complete, flat_map, map, map_opt, map_parser, map_res},
    error::{ContextError, ErrorKind, ParseError, context},
    multi::fold_many0,
    number::streaming::{
        be_f32, be_f64, be_i16, be_i32, be_i64, be_u16, be_u32, be_u64, i8 as be_i8, u8 as be_u8,
    },
    sequence::pair,
};
use std::{error, fmt};
use traits::*;

/// Error context for `ParserErrors`
#[derive(Clone, Debug, Eq, PartialEq)]
enum VerboseErrorKind {
    /// Static string added by the `context` function
    Context(&'static str),
    /// Indicates which character was expected by the `char` function
    Char(char),
    /// Error kind given by various nom parsers
    Nom(ErrorKind),
}

/// Struct holding the errors stack
#[derive(Clone, Debug, PartialEq)]
pub struct ParserErrors {
    error: VerboseErrorKind,
    errors: Option<Vec<VerboseErrorKind>>,
}

impl ParserErrors {
    #[cfg(not(feature = "verbose-errors"))]
    fn init_errors() -> Option<Vec<VerboseErrorKind>> {
        None
    }
    #[cfg(feature = "verbose-errors")]
    fn init_errors() -> Option<Vec<VerboseErrorKind>> {
        Some(Vec::new())
    }
}

impl<I> ParseError<I> for ParserErrors {
    fn from_error_kind(_input: I, kind: ErrorKind) -> Self {
        Self {
            error: VerboseErrorKind::Nom(kind),
            errors: Self::init_errors(),
        }
    }

    fn append(_input: I, kind: ErrorKind, mut other: Self) -> Self {
        if let Some(errors) = other.errors.as_mut() {
            errors.push(VerboseErrorKind::Nom(kind));
        }
        other
    }

    fn from_char(_input: I, c: char) -> Self {
        Self {
            error: VerboseErrorKind::Char(c),
            errors: Self::init_errors(),
        }
    }
}

impl<I> ContextError<I> for ParserErrors {
    fn add_context(_input: I, ctx: &'static str, mut other: Self) -> Self {
        if let Some(errors) = other.errors.as_mut() {
            errors.push(VerboseErrorKind::Context(ctx));
        }
        other
    }
}

impl<I, E> nom::error::FromExternalError<I, E> for ParserErrors {
    fn from_external_error(input: I, kind: ErrorKind, _e: E) -> Self {
        Self::from_error_kind(input, kind)
    }
}

impl fmt::Display for ParserErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parser error: {:?}", self.error)?;
        if let Some(errors) = self.errors.as_ref() {
            for error in errors {
                writeln!(f)?;
                write!(f, "\tat {error:?}")?;
            }
        }
        Ok(())
    }
}

impl error::Error for ParserErrors {}

/// Error returned by parsers
pub type ParserError = nom::Err<ParserErrors>;
/// Return type of parsers
pub type ParserResult<I, T> = Result<(I, T), ParserError>;

/// How deep field tables and arrays may nest inside one another when parsed: a value
/// nested deeper is skipped unread (its length prefix says how far) and replaced by a
/// [nesting-limit marker](NESTING_LIMIT_KEY).
///
/// Parsing recurses once per level, so without a bound a header table nested some
/// thousand levels deep (7 bytes a level: a 128 KiB frame holds 18,000) overflows the
/// parsing thread's stack and aborts the process. AMQP brokers relay such tables, so any
/// publisher could send one. A top-level table (a message's `headers`, a method's
/// `arguments`) is level 1. Real tables nest a few levels (RabbitMQ's `x-death` header:
/// 4); an unoptimised build uses some 12 KiB of stack a level, so 32 levels stay well
/// inside a thread's default 2 MiB.
pub const MAX_NESTING_DEPTH: usize = 32;

/// The key of the one-entry table that stands in for a field table or array nested
/// deeper than [`MAX_NESTING_DEPTH`]; its value is the skipped value's encoded size in
/// bytes ([`AMQPValue::LongUInt`]). An array beyond the limit becomes an array holding
/// that table. [`exceeds_nesting_limit`] tells whether a parsed table holds a marker.
pub const NESTING_LIMIT_KEY: &str = "x-amq-protocol-nesting-limit";

/// Whether `table` holds a [nesting-limit marker](NESTING_LIMIT_KEY) at any level, that
/// is whether the parser skipped part of it. Walks the table without recursion.
#[must_use]
pub fn exceeds_nesting_limit(table: &FieldTable) -> bool {
    table.inner().contains_key(NESTING_LIMIT_KEY)
        || table.inner().values().any(value_exceeds_nesting_limit)
}

/// Whether `value` is, or holds at any level, a
/// [nesting-limit marker](NESTING_LIMIT_KEY). Walks the value without recursion.
#[must_use]
pub fn value_exceeds_nesting_limit(value: &AMQPValue) -> bool {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            AMQPValue::FieldTable(inner) => {
                if inner.inner().contains_key(NESTING_LIMIT_KEY) {
                    return true;
                }
                pending.extend(inner.inner().values());
            }
            AMQPValue::FieldArray(inner) => pending.extend(inner.as_slice()),
            _ => {}
        }
    }
    false
}

fn nesting_limit_marker(skipped: usize) -> FieldTable {
    let mut marker = FieldTable::default();
    marker.insert(
        NESTING_LIMIT_KEY.into(),
        AMQPValue::LongUInt(LongUInt::try_from(skipped).unwrap_or(LongUInt::MAX)),
    );
    marker
}

/// Parse the [AMQPValue](../type.AMQPValue.html) of the given [AMQPType](../type.AMQPType.html)
#[must_use]
pub fn parse_raw_value<I: ParsableInput>(
    amqp_type: AMQPType,
) -> impl Parser<I, Output = AMQPValue, Error = ParserErrors> {
    move |i| parse_raw_value_at(i, amqp_type, 0)
}

/// [`parse_raw_value`] for a value inside `depth` enclosing tables or arrays.
fn parse_raw_value_at<I: ParsableInput>(
    i: I,
    amqp_type: AMQPType,
    depth: usize,
) -> ParserResult<I, AMQPValue> {
    context("parse_raw_value", move |i| match amqp_type {
        AMQPType::Boolean => map(parse_boolean, AMQPValue::Boolean).parse(i),
        AMQPType::ShortShortInt => map(parse_short_short_int, AMQPValue::ShortShortInt).parse(i),
        AMQPType::ShortShortUInt => map(parse_short_short_uint, AMQPValue::ShortShortUInt).parse(i),
        AMQPType::ShortInt => map(parse_short_int, AMQPValue::ShortInt).parse(i),
        AMQPType::ShortUInt => map(parse_short_uint, AMQPValue::ShortUInt).parse(i),
        AMQPType::LongInt => map(parse_long_int, AMQPValue::LongInt).parse(i),
        AMQPType::LongUInt => map(parse_long_uint, AMQPValue::LongUInt).parse(i),
        AMQPType::LongLongInt => map(parse_long_long_int, AMQPValue::LongLongInt).parse(i),
        /* RabbitMQ treats LongLongUInt as a LongLongInt hence expose it as such */
        AMQPType::LongLongUInt => map(parse_long_long_int, AMQPValue::LongLongInt).parse(i),
        AMQPType::Float => map(parse_float, AMQPValue::Float).parse(i),
        AMQPType::Double => map(parse_double, AMQPValue::Double).parse(i),
        AMQPType::DecimalValue => map(parse_decimal_value, AMQPValue::DecimalValue).parse(i),
        AMQPType::ShortString => map(parse_short_string, AMQPValue::ShortString).parse(i),
        AMQPType::LongString => map(parse_long_string, AMQPValue::LongString).parse(i),
        AMQPType::FieldArray => map(
            move |i| parse_field_array_at(i, depth + 1),
            AMQPValue::FieldArray,
        )
        .parse(i),
        AMQPType::Timestamp => map(parse_timestamp, AMQPValue::Timestamp).parse(i),
        AMQPType::FieldTable => map(
            move |i| parse_field_table_at(i, depth + 1),
            AMQPValue::FieldTable,
        )
        .parse(i),
        AMQPType::ByteArray => map(parse_byte_array, AMQPValue::ByteArray).parse(i),
        AMQPType::Void => Ok((i, AMQPValue::Void)),
    })
    .parse(i)
}

/// Parse an [AMQPValue](../type.AMQPValue.html)
pub fn parse_value<I: ParsableInput>(i: I) -> ParserResult<I, AMQPValue> {
    parse_value_at(i, 0)
}

/// [`parse_value`] for a value inside `depth` enclosing tables or arrays.
fn parse_value_at<I: ParsableInput>(i: I, depth: usize) -> ParserResult<I, AMQPValue> {
    context(
        "parse_value",
        flat_map(parse_type, move |amqp_type| {
            move |i| parse_raw_value_at(i, amqp_type, depth)
        }),
    )
    .parse(i)
}

/// Parse an [AMQPType](../type.AMQPType.html)
pub fn parse_type<I: ParsableInput>(i: I) -> ParserResult<I, AMQPType> {
    context(
        "parse_type",
        map_opt(be_u8, |t| AMQPType::from_id(t as char)),
    )
    .parse(i)
}

/// Parse an id [(ShortUInt)](../type.ShortUInt.html)
pub fn parse_id<I: ParsableInput>(i: I) -> ParserResult<I, ShortUInt> {
    context("parse_id", parse_short_uint).parse(i)
}

/// Parse a [Boolean](../type.Boolean.html)
pub fn parse_boolean<I: ParsableInput>(i: I) -> ParserResult<I, Boolean> {
    context("parse_boolean", map(be_u8, |b| b != 0)).parse(i)
}

/// Parse a [ShortShortInt](../type.ShortShortInt.html)
pub fn parse_short_short_int<I: ParsableInput>(i: I) -> ParserResult<I, ShortShortInt> {
    context("parse_short_short_int", be_i8).parse(i)
}

/// Parse a [ShortShortUInt](../type.ShortShortUInt.html)
pub fn parse_short_short_uint<I: ParsableInput>(i: I) -> ParserResult<I, ShortShortUInt> {
    context("parse_short_short_uint", be_u8).parse(i)
}

/// Parse a [ShortInt](../type.ShortInt.html)
pub fn parse_short_int<I: ParsableInput>(i: I) -> ParserResult<I, ShortInt> {
    context("parse_short_int", be_i16).parse(i)
}

/// Parse a [ShortUInt](../type.ShortUInt.html)
pub fn parse_short_uint<I: ParsableInput>(i: I) -> ParserResult<I, ShortUInt> {
    context("parse_short_uint", be_u16).parse(i)
}

/// Parse a [LongInt](../type.LongInt.html)
pub fn parse_long_int<I: ParsableInput>(i: I) -> ParserResult<I, LongInt> {
    context("parse_long_int", be_i32).parse(i)
}

/// Parse a [LongUInt](../type.LongUInt.html)
pub fn parse_long_uint<I: ParsableInput>(i: I) -> ParserResult<I, LongUInt> {
    context("parse_long_uint", be_u32).parse(i)
}

/// Parse a [LongLongInt](../type.LongLongInt.html)
pub fn parse_long_long_int<I: ParsableInput>(i: I) -> ParserResult<I, LongLongInt> {
    context("parse_long_long_int", be_i64).parse(i)
}

/// Parse a [LongLongUInt](../type.LongLongUInt.html)
pub fn parse_long_long_uint<I: ParsableInput>(i: I) -> ParserResult<I, LongLongUInt> {
    context("parse_long_long_uint", be_u64).parse(i)
}

/// Parse a [Float](../type.Float.html)
pub fn parse_float<I: ParsableInput>(i: I) -> ParserResult<I, Float> {
    context("parse_float", be_f32).parse(i)
}

/// Parse a [Double](../type.Double.html)
pub fn parse_double<I: ParsableInput>(i: I) -> ParserResult<I, Double> {
    context("parse_double", be_f64).parse(i)
}

/// Parse a [DecimalValue](../type.DecimalValue.html)
pub fn parse_decimal_value<I: ParsableInput>(i: I) -> ParserResult<I, DecimalValue> {
    context(
        "parse_decimal_value",
        map(
            pair(parse_short_short_uint, parse_long_uint),
            |(scale, value)| DecimalValue { scale, value },
        ),
    )
    .parse(i)
}

fn make_str<I: Input<Item = u8>>(i: I) -> Result<String, std::string::FromUtf8Error> {
    String::from_utf8(i.iter_elements().collect())
}

/// Parse a [ShortString](../type.ShortString.html)
pub fn parse_short_string<I: ParsableInput>(i: I) -> ParserResult<I, ShortString> {
    context(
        "parse_short_string",
        map(
            map_res(flat_map(parse_short_short_uint, take), make_str),
            ShortString::from,
        ),
    )
    .parse(i)
}

/// Parse a [LongString](../type.LongString.html)
pub fn parse_long_string<I: ParsableInput>(i: I) -> ParserResult<I, LongString> {
    context(
        "parse_long_string",
        map(flat_map(parse_long_uint, take), |i: I| {
            i.iter_elements().collect::<Vec<u8>>().into()
        }),
    )
    .parse(i)
}

/// Parse a [FieldArray](../type.FieldArray.html)
pub fn parse_field_array<I: ParsableInput>(i: I) -> ParserResult<I, FieldArray> {
    parse_field_array_at(i, 1)
}

/// [`parse_field_array`] for an array at nesting level `depth` (1 for a top-level one).
fn parse_field_array_at<I: ParsableInput>(i: I, depth: usize) -> ParserResult<I, FieldArray> {
    if depth > MAX_NESTING_DEPTH {
        return context(
            "parse_field_array",
            map(flat_map(parse_long_uint, take), |skipped: I| {
                let mut array = FieldArray::default();
                array.push(AMQPValue::FieldTable(nesting_limit_marker(
                    skipped.input_len(),
                )));
                array
            }),
        )
        .parse(i);
    }
    context(
        "parse_field_array",
        map_parser(
            flat_map(parse_long_uint, take),
            all_consuming(fold_many0(
                context(
                    "parse_field_array_entry",
                    complete(move |i| parse_value_at(i, depth)),
                ),
                FieldArray::default,
                |mut acc, elem| {
                    acc.push(elem);
                    acc
                },
            )),
        ),
    )
    .parse(i)
}

/// Parse a [Timestamp](../type.Timestamp.html)
pub fn parse_timestamp<I: ParsableInput>(i: I) -> ParserResult<I, Timestamp> {
    context("parse_timestamp", parse_long_long_uint).parse(i)
}

/// Parse a [FieldTable](../type.FieldTable.html)
pub fn parse_field_table<I: ParsableInput>(i: I) -> ParserResult<I, FieldTable> {
    parse_field_table_at(i, 1)
}

/// [`parse_field_table`] for a table at nesting level `depth` (1 for a top-level one).
fn parse_field_table_at<I: ParsableInput>(i: I, depth: usize) -> ParserResult<I, FieldTable> {
    if depth > MAX_NESTING_DEPTH {
        return context(
            "parse_field_table",
            map(flat_map(parse_long_uint, take), |skipped: I| {
                nesting_limit_marker(skipped.input_len())
            }),
        )
        .parse(i);
    }
    context(
        "parse_field_table",
        map_parser(
            flat_map(parse_long_uint, take),
            all_consuming(fold_many0(
                context(
                    "parse_field_table_entry",
                    complete(pair(parse_short_string, move |i| parse_value_at(i, depth))),
                ),
                FieldTable::default,
                |mut acc, (key, value)| {
                    acc.insert(key, value);
                    acc
                },
            )),
        ),
    )
    .parse(i)
}

/// Parse a [ByteArray](../type.ByteArray.html)
pub fn parse_byte_array<I: ParsableInput>(i: I) -> ParserResult<I, ByteArray> {
    context(
        "parse_byte_array",
        map(flat_map(parse_long_uint, take), |i: I| {
            i.iter_elements().collect::<Vec<u8>>().into()
        }),
    )
    .parse(i)
}

/// Parse the [AMQPFlags](../type.AMQPFlags.html) for which the names are provided
pub fn parse_flags<I: ParsableInput>(i: I, names: &[&str]) -> ParserResult<I, AMQPFlags> {
    context(
        "parse_flags",
        map(take(names.len().div_ceil(8)), |b| {
            AMQPFlags::from_bytes(names, b)
        }),
    )
    .parse(i)
}

/// Traits required for parsing
pub mod traits {
    /// Reexport nom traits required for parsing
    pub use nom::{Compare, CompareResult, Input, Needed};

    /// Trait used to ensure we can properly parse input
    pub trait ParsableInput: Clone + Compare<&'static [u8]> + Input<Item = u8> + PartialEq {}

    impl<T: Clone + Compare<&'static [u8]> + Input<Item = u8> + PartialEq> ParsableInput for T {}
}

#[cfg(test)]
mod test {
    use super::*;

    const EMPTY: &[u8] = b"";

    #[test]
    fn test_parse_value() {
        assert_eq!(
            parse_value(&[84, 42, 42, 42, 42, 42, 42, 42, 42][..]),
            Ok((EMPTY, AMQPValue::Timestamp(3038287259199220266)))
        );
        assert_eq!(
            parse_value(&[83, 0, 0, 0, 4, 116, 101, 115, 116][..]),
            Ok((EMPTY, AMQPValue::LongString("test".into())))
        );
    }

    #[test]
    fn test_parse_raw_value() {
        assert_eq!(
            parse_raw_value(AMQPType::Timestamp).parse(&[42, 42, 42, 42, 42, 42, 42, 42][..]),
            Ok((EMPTY, AMQPValue::Timestamp(3038287259199220266)))
        );
        assert_eq!(
            parse_raw_value(AMQPType::LongString).parse(&[0, 0, 0, 4, 116, 101, 115, 116][..]),
            Ok((EMPTY, AMQPValue::LongString("test".into())))
        );
        /* Test internal exceptions */
        assert_eq!(
            parse_raw_value(AMQPType::LongLongUInt).parse(&[42, 42, 42, 42, 42, 42, 42, 42][..]),
            Ok((EMPTY, AMQPValue::LongLongInt(3038287259199220266)))
        );
        assert_eq!(
            parse_raw_value(AMQPType::ShortString).parse(&[4, 116, 101, 115, 116][..]),
            Ok((EMPTY, AMQPValue::ShortString("test".into())))
        );
    }

    #[test]
    fn test_parse_type() {
        assert_eq!(parse_type(&[116][..]), Ok((EMPTY, AMQPType::Boolean)));
        assert_eq!(parse_type(&[102][..]), Ok((EMPTY, AMQPType::Float)));
    }

    #[test]
    fn test_parse_id() {
        assert_eq!(parse_id(&[0, 0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_id(&[255, 255][..]), Ok((EMPTY, 65535)));
    }

    #[test]
    fn test_parse_boolean() {
        assert_eq!(parse_boolean(&[0][..]), Ok((EMPTY, false)));
        assert_eq!(parse_boolean(&[1][..]), Ok((EMPTY, true)));
    }

    #[test]
    fn test_parse_short_short_int() {
        assert_eq!(parse_short_short_int(&[0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_short_short_int(&[255][..]), Ok((EMPTY, -1)));
    }

    #[test]
    fn test_parse_short_short_uint() {
        assert_eq!(parse_short_short_uint(&[0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_short_short_uint(&[255][..]), Ok((EMPTY, 255)));
    }

    #[test]
    fn test_parse_short_int() {
        assert_eq!(parse_short_int(&[0, 0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_short_int(&[255, 255][..]), Ok((EMPTY, -1)));
    }

    #[test]
    fn test_parse_short_uint() {
        assert_eq!(parse_short_uint(&[0, 0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_short_uint(&[255, 255][..]), Ok((EMPTY, 65535)));
    }

    #[test]
    fn test_parse_long_int() {
        assert_eq!(parse_long_int(&[0, 0, 0, 0][..]), Ok((EMPTY, 0)));
        assert_eq!(parse_long_int(&[255, 255, 255, 255][..]), Ok((EMPTY, -1)));
    }

    #[test]
    fn test_parse_long_uint() {
        assert_eq!(parse_long_uint(&[0, 0, 0, 0][..]), Ok((EMPTY, 0)));
        assert_eq!(
            parse_long_uint(&[255, 255, 255, 255][..]),
            Ok((EMPTY, 4294967295))
        );
    }

    #[test]
    fn test_parse_long_long_int() {
        assert_eq!(
            parse_long_long_int(&[0, 0, 0, 0, 0, 0, 0, 0][..]),
            Ok((EMPTY, 0))
        );
        assert_eq!(
            parse_long_long_int(&[255, 255, 255, 255, 255, 255, 255, 255][..]),
            Ok((EMPTY, -1))
        );
    }

    #[test]
    fn test_parse_long_long_uint() {
        assert_eq!(
            parse_long_long_uint(&[0, 0, 0, 0, 0, 0, 0, 0][..]),
            Ok((EMPTY, 0))
        );
        assert_eq!(
            parse_long_long_uint(&[255, 255, 255, 255, 255, 255, 255, 255][..]),
            Ok((EMPTY, 18446744073709551615))
        );
    }

    #[test]
    fn test_parse_float() {
        assert_eq!(parse_float(&[0, 0, 0, 0][..]), Ok((EMPTY, 0.)));
        assert_eq!(parse_float(&[66, 41, 174, 20][..]), Ok((EMPTY, 42.42)));
    }

    #[test]
    fn test_parse_double() {
        assert_eq!(parse_double(&[0, 0, 0, 0, 0, 0, 0, 0][..]), Ok((EMPTY, 0.)));
        assert_eq!(
            parse_double(&[64, 69, 53, 194, 143, 92, 40, 246][..]),
            Ok((EMPTY, 42.42))
        );
    }

    #[test]
    fn test_parse_decimal_value() {
        assert_eq!(
            parse_decimal_value(&[0, 0, 0, 0, 0][..]),
            Ok((EMPTY, DecimalValue { scale: 0, value: 0 }))
        );
        assert_eq!(
            parse_decimal_value(&[255, 255, 255, 255, 255][..]),
            Ok((
                EMPTY,
                DecimalValue {
                    scale: 255,
                    value: 4294967295
                }
            ))
        );
    }

    #[test]
    fn test_parse_short_string() {
        assert_eq!(
            parse_short_string(&[0][..]),
            Ok((EMPTY, ShortString::default()))
        );
        assert_eq!(
            parse_short_string(&[4, 116, 101, 115, 116][..]),
            Ok((EMPTY, "test".into()))
        );
    }

    #[test]
    fn test_parse_long_string() {
        assert_eq!(
            parse_long_string(&[0, 0, 0, 0][..]),
            Ok((EMPTY, LongString::default()))
        );
        assert_eq!(
            parse_long_string(&[0, 0, 0, 4, 116, 101, 115, 116][..]),
            Ok((EMPTY, "test".into()))
        );
    }

    #[test]
    fn test_parse_field_array() {
        assert_eq!(
            parse_field_array(&[0, 0, 0, 0][..]),
            Ok((EMPTY, FieldArray::default()))
        );
        assert_eq!(
            parse_field_array(&[0, 0, 0, 10, 83, 0, 0, 0, 4, 116, 101, 115, 116, 86][..]),
            Ok((
                EMPTY,
                vec![AMQPValue::LongString("test".into()), AMQPValue::Void].into()
            ))
        );
    }

    #[test]
    fn test_parse_timestamp() {
        assert_eq!(
            parse_timestamp(&[0, 0, 0, 0, 0, 0, 0, 0][..]),
            Ok((EMPTY, 0))
        );
        assert_eq!(
            parse_timestamp(&[255, 255, 255, 255, 255, 255, 255, 255][..]),
            Ok((EMPTY, 18446744073709551615))
        );
    }

    #[test]
    fn test_parse_field_table() {
        let mut table = FieldTable::default();
        table.insert("test".into(), AMQPValue::LongString("test".into()));
        table.insert("tt".into(), AMQPValue::Void);
        assert_eq!(
            parse_field_table(&[0, 0, 0, 0][..]),
            Ok((EMPTY, FieldTable::default()))
        );
        assert_eq!(
            parse_field_table(
                &[
                    0, 0, 0, 18, 4, 116, 101, 115, 116, 83, 0, 0, 0, 4, 116, 101, 115, 116, 2, 116,
                    116, 86
                ][..]
            ),
            Ok((EMPTY, table))
        );
    }

    #[test]
    fn test_parse_byte_array() {
        assert_eq!(
            parse_byte_array(&[0, 0, 0, 0][..]),
            Ok((EMPTY, ByteArray::default()))
        );
        assert_eq!(
            parse_byte_array(&[0, 0, 0, 4, 42, 1, 2, 3][..]),
            Ok((EMPTY, vec![42, 1, 2, 3].into()))
        );
    }

    #[test]
    fn test_parse_flags() {
        let mut flags = AMQPFlags::default();
        let mut names = Vec::new();
        names.push("a");
        flags.add_flag("a".to_string(), true);
        names.push("b");
        flags.add_flag("b".to_string(), false);
        names.push("c");
        flags.add_flag("c".to_string(), true);
        names.push("d");
        flags.add_flag("d".to_string(), true);
        assert_eq!(
            parse_flags(&[0b00001101][..], &names),
            Ok((EMPTY, flags.clone()))
        );
        names.push("e");
        flags.add_flag("e".to_string(), true);
        names.push("f");
        flags.add_flag("f".to_string(), false);
        names.push("g");
        flags.add_flag("g".to_string(), true);
        names.push("h");
        flags.add_flag("h".to_string(), true);
        names.push("i");
        flags.add_flag("i".to_string(), false);
        names.push("j");
        flags.add_flag("j".to_string(), true);
        assert_eq!(
            parse_flags(&[0b11011101, 0b00000010][..], &names),
            Ok((EMPTY, flags))
        );
    }
}

#[cfg(test)]
mod nesting_test {
    /// Half a spawned thread's default stack.
    const STACK: usize = 1024 * 1024;

    use super::*;

    /// `levels` tables nested in one another (`{"a": {"a": ... {}}}`), encoded: 7 bytes a
    /// level, built without recursion.
    fn nested_tables(levels: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(7 * levels);
        for level in 1..levels {
            // This table's entry: a 1-byte key, the type, then the inner tables.
            let inner = 7 * (levels - level - 1) + 4;
            bytes.extend_from_slice(&(3 + inner as u32).to_be_bytes());
            bytes.extend_from_slice(&[1, b'a', b'F']);
        }
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes
    }

    /// A table holding `levels - 1` arrays nested in one another (`{"a": [[[...]]]}`).
    fn nested_arrays(levels: usize) -> Vec<u8> {
        let arrays = levels - 1;
        let mut bytes = Vec::with_capacity(5 * levels + 8);
        bytes.extend_from_slice(&(3 + 4 + 5 * (arrays as u32 - 1)).to_be_bytes());
        bytes.extend_from_slice(&[1, b'a', b'A']);
        for position in 0..arrays {
            bytes.extend_from_slice(&(5 * (arrays - 1 - position) as u32).to_be_bytes());
            if position + 1 < arrays {
                bytes.push(b'A');
            }
        }
        bytes
    }

    fn depth(table: &FieldTable) -> usize {
        let mut deepest = 1;
        let mut pending: Vec<(&AMQPValue, usize)> =
            table.inner().values().map(|v| (v, 2)).collect();
        while let Some((value, level)) = pending.pop() {
            match value {
                AMQPValue::FieldTable(t) => {
                    deepest = deepest.max(level);
                    pending.extend(t.inner().values().map(|v| (v, level + 1)));
                }
                AMQPValue::FieldArray(a) => {
                    deepest = deepest.max(level);
                    pending.extend(a.as_slice().iter().map(|v| (v, level + 1)));
                }
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn tables_up_to_the_limit_parse_whole() {
        let bytes = nested_tables(MAX_NESTING_DEPTH);
        let (rest, table) = parse_field_table(&bytes[..]).expect("parses");
        assert!(rest.is_empty());
        assert_eq!(depth(&table), MAX_NESTING_DEPTH);
        assert!(!exceeds_nesting_limit(&table));
    }

    #[test]
    fn a_table_past_the_limit_is_skipped_and_marked() {
        let bytes = nested_tables(MAX_NESTING_DEPTH + 1);
        let (rest, table) = parse_field_table(&bytes[..]).expect("parses");
        assert!(rest.is_empty());
        assert!(exceeds_nesting_limit(&table));
        // The marker table stands where the skipped table was.
        assert_eq!(depth(&table), MAX_NESTING_DEPTH + 1);
    }

    #[test]
    fn the_deepest_table_a_frame_holds_parses_on_a_small_stack() {
        // 18,000 levels fit a default 128 KiB frame; unbounded parsing overflowed a
        // thread's stack at a few thousand.
        let parsed = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn(|| {
                let bytes = nested_tables(18_000);
                let (rest, table) = parse_field_table(&bytes[..]).expect("parses");
                rest.is_empty() && exceeds_nesting_limit(&table)
            })
            .expect("thread starts")
            .join()
            .expect("no overflow");
        assert!(parsed);
    }

    #[test]
    fn arrays_count_as_levels_too() {
        for levels in [MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1, 20_000] {
            let bytes = nested_arrays(levels);
            let (rest, table) = parse_field_table(&bytes[..]).expect("parses");
            assert!(rest.is_empty(), "{levels} levels");
            assert_eq!(exceeds_nesting_limit(&table), levels > MAX_NESTING_DEPTH);
            // At most the limit, plus the marker array and its table.
            assert!(depth(&table) <= MAX_NESTING_DEPTH + 2, "{levels} levels");
        }
    }

    #[test]
    fn a_value_alone_counts_from_zero() {
        // A field value parsed on its own is not inside any table: a table value is level 1.
        let mut bytes = vec![b'F'];
        bytes.extend(nested_tables(MAX_NESTING_DEPTH));
        let (_, value) = parse_value(&bytes[..]).expect("parses");
        let AMQPValue::FieldTable(table) = value else {
            panic!("a table");
        };
        assert!(!exceeds_nesting_limit(&table));
    }

    #[test]
    fn wide_tables_parse_whole() {
        let mut entries = Vec::new();
        for n in 0..10_000u32 {
            let key = format!("k{n}");
            entries.push(key.len() as u8);
            entries.extend_from_slice(key.as_bytes());
            entries.push(b'I');
            entries.extend_from_slice(&n.to_be_bytes());
        }
        let mut bytes = (entries.len() as u32).to_be_bytes().to_vec();
        bytes.extend(entries);
        let (rest, table) = parse_field_table(&bytes[..]).expect("parses");
        assert!(rest.is_empty());
        assert_eq!(table.inner().len(), 10_000);
    }
}
