//! [`RemoteError`]: an exception raised by the remote end of an RPC call.

use std::fmt;

use serde_json::{Map, Value};

use crate::fields::{into_map, take_opt_string};
use crate::wire_error::{WireError, json_type_name};

/// The module of Python 3's built-in exceptions.
pub const BUILTINS_MODULE: &str = "builtins";

/// The module of Python 2's built-in exceptions.
pub const PY2_BUILTINS_MODULE: &str = "exceptions";

/// The module of the RPC dispatcher's own exceptions (`NoSuchMethod`,
/// `UnsupportedVersion`).
pub const DISPATCHER_MODULE: &str = "oslo_messaging.rpc.dispatcher";

const ENVELOPE: &str = "RPC failure";

/// The failure half of an RPC reply: the `e` object `{"c", "m", "s", "t"}`.
///
/// A Python client rebuilds the original exception type when `module` is one it allows
/// (always the built-ins), and otherwise raises `oslo_messaging.RemoteError`.
///
/// # Examples
///
/// ```
/// use warren_core::RemoteError;
/// let e = RemoteError::value_error("bad value");
/// assert!(e.is_builtin());
/// assert_eq!(e.to_string(), "Remote error: ValueError bad value (Python module `builtins`)");
/// let e = RemoteError::no_such_method("frobnicate");
/// assert_eq!(e.message, "Endpoint does not support RPC method frobnicate");
/// assert!(!e.is_builtin());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RemoteError {
    /// The exception class name (`c`), e.g. `ValueError`.
    pub class: String,
    /// The module defining the class (`m`), e.g. `builtins`.
    pub module: String,
    /// `str(exception)` (`s`).
    pub message: String,
    /// The formatted traceback (`t`): lines, each usually ending in `\n`.
    pub traceback: Vec<String>,
}

impl RemoteError {
    /// An error of `class` from `module` with `message` and no traceback.
    pub fn new(
        class: impl Into<String>,
        module: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            class: class.into(),
            module: module.into(),
            message: message.into(),
            traceback: Vec::new(),
        }
    }

    /// The same error with a traceback.
    pub fn with_traceback(mut self, traceback: Vec<String>) -> Self {
        self.traceback = traceback;
        self
    }

    /// Python's built-in `ValueError(message)`: a Python caller gets a real `ValueError`.
    pub fn value_error(message: impl Into<String>) -> Self {
        Self::new("ValueError", BUILTINS_MODULE, message)
    }

    /// Python's built-in `TypeError(message)`: what a Python server answers when a
    /// method gets arguments it does not take.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", BUILTINS_MODULE, message)
    }

    /// The dispatcher's `NoSuchMethod`: an endpoint for the request's namespace and
    /// version exists, but none can run `method`.
    pub fn no_such_method(method: &str) -> Self {
        Self::new(
            "NoSuchMethod",
            DISPATCHER_MODULE,
            format!("Endpoint does not support RPC method {method}"),
        )
    }

    /// The dispatcher's `UnsupportedVersion`: no endpoint accepts the request's
    /// namespace and `version`.
    pub fn unsupported_version(version: &str, method: &str) -> Self {
        Self::new(
            "UnsupportedVersion",
            DISPATCHER_MODULE,
            format!("Endpoint does not support RPC version {version}. Attempted method: {method}"),
        )
    }

    /// Whether the class is a Python built-in exception. Both Python 3's `builtins`
    /// and Python 2's `exceptions` count, so a peer on either side is understood.
    pub fn is_builtin(&self) -> bool {
        self.module == BUILTINS_MODULE || self.module == PY2_BUILTINS_MODULE
    }

    /// The traceback as one text, its lines concatenated.
    pub fn traceback_text(&self) -> String {
        self.traceback.concat()
    }

    /// The `e` object of a failure reply.
    pub fn to_value(&self) -> Value {
        // Inserted in the order Python writes them, for maps that keep insertion order.
        let mut e = Map::new();
        e.insert("c".to_owned(), Value::String(self.class.clone()));
        e.insert("m".to_owned(), Value::String(self.module.clone()));
        e.insert("s".to_owned(), Value::String(self.message.clone()));
        e.insert(
            "t".to_owned(),
            Value::Array(self.traceback.iter().cloned().map(Value::String).collect()),
        );
        Value::Object(e)
    }

    /// Reads the `e` object of a failure reply as leniently as a Python client: a
    /// missing or `null` `c`, `m` or `s` is empty, a missing `t` is no traceback.
    ///
    /// # Errors
    ///
    /// [`WireError::NotAMap`] when `e` is not a map; [`WireError::WrongFieldType`] when
    /// a field is not text (or `t` not a list of text).
    pub fn from_value(e: Value) -> Result<Self, WireError> {
        let mut e = into_map(e, "failure `e` of an RPC reply")?;
        let mut text = |field| {
            Ok::<_, WireError>(take_opt_string(&mut e, ENVELOPE, field)?.unwrap_or_default())
        };
        let class = text("c")?;
        let module = text("m")?;
        let message = text("s")?;
        let wrong = |found| WireError::WrongFieldType {
            envelope: ENVELOPE,
            field: "t",
            expected: "a list of strings",
            found,
        };
        let traceback = match e.remove("t") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(lines)) => lines
                .into_iter()
                .map(|line| match line {
                    Value::String(s) => Ok(s),
                    other => Err(wrong(json_type_name(&other))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(wrong(json_type_name(&other))),
        };
        Ok(Self {
            class,
            module,
            message,
            traceback,
        })
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Remote error: {} {}", self.class, self.message)?;
        if !self.module.is_empty() {
            write!(f, " (Python module `{}`)", self.module)?;
        }
        Ok(())
    }
}

impl std::error::Error for RemoteError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtins_of_both_pythons() {
        assert!(RemoteError::new("KeyError", "builtins", "k").is_builtin());
        assert!(RemoteError::new("KeyError", "exceptions", "k").is_builtin());
        assert!(
            !RemoteError::new("MessagingException", "oslo_messaging.exceptions", "x").is_builtin()
        );
    }

    #[test]
    fn dispatcher_errors_read_like_python() {
        let e = RemoteError::unsupported_version("2.0", "add");
        assert_eq!(e.class, "UnsupportedVersion");
        assert_eq!(e.module, "oslo_messaging.rpc.dispatcher");
        assert_eq!(
            e.message,
            "Endpoint does not support RPC version 2.0. Attempted method: add"
        );
        assert_eq!(RemoteError::no_such_method("x").class, "NoSuchMethod");
    }

    #[test]
    fn value_round_trip_and_lenient_reading() {
        let e = RemoteError::new(
            "MessagingException",
            "oslo_messaging.exceptions",
            "Error message",
        )
        .with_traceback(vec!["It is a trace".into()]);
        assert_eq!(
            e.to_value(),
            json!({"c": "MessagingException", "m": "oslo_messaging.exceptions",
                   "s": "Error message", "t": ["It is a trace"]})
        );
        assert_eq!(RemoteError::from_value(e.to_value()).unwrap(), e);
        assert_eq!(
            RemoteError::from_value(json!({"c": "X", "s": null})).unwrap(),
            RemoteError::new("X", "", "")
        );
        assert_eq!(e.traceback_text(), "It is a trace");
    }

    #[test]
    fn wrong_shapes_are_typed_errors() {
        assert!(matches!(
            RemoteError::from_value(json!("boom")),
            Err(WireError::NotAMap { .. })
        ));
        assert!(matches!(
            RemoteError::from_value(json!({"t": "one line"})),
            Err(WireError::WrongFieldType { field: "t", .. })
        ));
        assert!(matches!(
            RemoteError::from_value(json!({"t": [1]})),
            Err(WireError::WrongFieldType { field: "t", .. })
        ));
        assert!(matches!(
            RemoteError::from_value(json!({"c": 3})),
            Err(WireError::WrongFieldType { field: "c", .. })
        ));
    }
}
