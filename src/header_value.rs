//! [`HeaderValue`]: one value of the AMQP `headers` table.

use std::fmt;

/// One value of the AMQP `headers` table, as far as warren needs to tell them apart.
///
/// The runtime converts the AMQP client's field values into this; warren only ever sends
/// and reads [`HeaderValue::Text`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HeaderValue {
    /// A short or long string that is valid UTF-8.
    Text(String),
    /// A long string that is not UTF-8.
    Bytes(Vec<u8>),
    /// Any AMQP integer type.
    Int(i64),
    /// An AMQP float or double.
    Float(f64),
    /// An AMQP boolean.
    Bool(bool),
    /// Another AMQP type (table, array, decimal, timestamp, void), which warren never
    /// needs to read.
    Other,
    /// A table or array nested deeper than the AMQP client parses
    /// ([`HEADER_NESTING_LIMIT`] levels, counting the headers table): the client skipped
    /// it unread. A message carrying one is refused ([`WireError::HeadersTooDeep`]).
    ///
    /// [`WireError::HeadersTooDeep`]: crate::WireError::HeadersTooDeep
    BeyondNestingLimit,
}

/// How many levels of tables and arrays an AMQP header table is parsed to, counting the
/// table itself; deeper values arrive as [`HeaderValue::BeyondNestingLimit`].
///
/// The AMQP client parses header tables recursively on its I/O thread; warren's build
/// bounds that recursion at this depth (see `docs/security.md`), so that a header nested
/// thousands deep cannot overflow the thread's stack.
pub const HEADER_NESTING_LIMIT: usize = 32;

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Text(s) => write!(f, "{s:?}"),
            HeaderValue::Bytes(b) => write!(f, "non-UTF-8 bytes {b:02x?}"),
            HeaderValue::Int(i) => write!(f, "the integer {i}"),
            HeaderValue::Float(x) => write!(f, "the float {x}"),
            HeaderValue::Bool(b) => write!(f, "the boolean {b}"),
            HeaderValue::Other => f.write_str("a non-scalar AMQP value"),
            HeaderValue::BeyondNestingLimit => write!(
                f,
                "a value nested deeper than {HEADER_NESTING_LIMIT} levels, not read"
            ),
        }
    }
}
