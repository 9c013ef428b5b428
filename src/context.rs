//! [`Context`]: the request context, carried as `_$_`-prefixed top-level body keys.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::wire_error::{WireError, json_type_name};

/// The prefix that marks a top-level body key as a context entry.
pub const CONTEXT_PREFIX: &str = "_$_";

/// The request context of an RPC request or a notification (oslo's `ctxt` dict):
/// request id, user, project, token, ...
///
/// On the wire there is no context object: each entry `k: v` is a top-level key
/// `"_$_k": v` of the body, next to the envelope's own fields (spec §4.7).
///
/// Collision rule, both ways:
/// * sending ([`flatten_into`](Self::flatten_into)): entries overwrite any body key of
///   the same prefixed name. warren's envelope fields never start with `_$_`, so this
///   only matters for hand-built bodies;
/// * receiving ([`split_from`](Self::split_from)): **every** top-level key starting with
///   `_$_` is context, whatever the sender meant by it, exactly as the Python driver
///   reads it. A message field whose name starts with `_$_` cannot be sent.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::Context;
/// let ctx = Context::new().with("request_id", "req-1").with("user_id", "u1");
/// let mut body = json!({"method": "echo"}).as_object().unwrap().clone();
/// ctx.flatten_into(&mut body);
/// assert_eq!(body["_$_request_id"], "req-1");
/// assert_eq!(Context::split_from(&mut body), ctx);
/// assert_eq!(serde_json::Value::Object(body), json!({"method": "echo"}));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Context(Map<String, Value>);

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// The context holding the entries of `map`.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// The context holding the fields of `value`, which must serialize to a map.
    ///
    /// # Errors
    ///
    /// [`WireError::Encode`] when serialization fails; [`WireError::NotAMap`] when the
    /// value is not a map.
    pub fn from_serialize(value: &impl Serialize) -> Result<Self, WireError> {
        match serde_json::to_value(value) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(other) => Err(WireError::NotAMap {
                what: "context",
                found: json_type_name(&other),
            }),
            Err(e) => Err(WireError::Encode {
                what: "context",
                reason: e.to_string(),
            }),
        }
    }

    /// The context read into a user type.
    ///
    /// # Errors
    ///
    /// [`WireError::Decode`] when the entries do not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, WireError> {
        serde_json::from_value(Value::Object(self.0.clone())).map_err(|e| WireError::Decode {
            what: "context",
            reason: e.to_string(),
        })
    }

    /// The same context with `key` set to `value`.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(key, value);
        self
    }

    /// Sets `key` to `value`, returning the previous value.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.0.insert(key.into(), value.into())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries, unprefixed.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The entries, unprefixed, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// Adds every entry to `body` under its `_$_`-prefixed name.
    pub fn flatten_into(&self, body: &mut Map<String, Value>) {
        for (k, v) in &self.0 {
            body.insert(format!("{CONTEXT_PREFIX}{k}"), v.clone());
        }
    }

    /// Removes every `_$_`-prefixed key from `body` and returns them, unprefixed, as
    /// the context.
    pub fn split_from(body: &mut Map<String, Value>) -> Self {
        let keys: Vec<String> = body
            .keys()
            .filter(|k| k.starts_with(CONTEXT_PREFIX))
            .cloned()
            .collect();
        let mut ctx = Map::new();
        for key in keys {
            if let Some(v) = body.remove(&key) {
                ctx.insert(key[CONTEXT_PREFIX.len()..].to_owned(), v);
            }
        }
        Self(ctx)
    }
}

impl From<Map<String, Value>> for Context {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}

impl FromIterator<(String, Value)> for Context {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn python_fixture_splits_into_context_and_message() {
        // The body of the Python driver's incoming-message unit test.
        let mut body =
            map(json!({"_$_key_context": "context_value", "payload_key": "payload_value"}));
        let ctx = Context::split_from(&mut body);
        assert_eq!(ctx, Context::new().with("key_context", "context_value"));
        assert_eq!(body, map(json!({"payload_key": "payload_value"})));
    }

    #[test]
    fn flattening_prefixes_every_key_and_overwrites() {
        let ctx = Context::new()
            .with("request_id", 555)
            .with("token", "it is a token")
            .with("", json!({"nested": [1]}));
        let mut body = map(json!({"msg_str": "hello", "msg_type": 1, "_$_token": "old"}));
        ctx.flatten_into(&mut body);
        assert_eq!(
            body,
            map(
                json!({"_$_request_id": 555, "_$_token": "it is a token", "_$_": {"nested": [1]},
                       "msg_str": "hello", "msg_type": 1})
            )
        );
        assert_eq!(Context::split_from(&mut body), ctx);
    }

    #[test]
    fn any_prefixed_key_is_context_on_receipt() {
        let mut body = map(json!({"_$_$_x": 1, "_$": 2, "$_$_y": 3}));
        let ctx = Context::split_from(&mut body);
        assert_eq!(ctx.get("$_x"), Some(&json!(1)));
        assert_eq!(ctx.len(), 1);
        assert_eq!(body.len(), 2);
    }

    #[test]
    fn typed_contexts() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Ctx {
            request_id: String,
            user_id: Option<String>,
        }
        let typed = Ctx {
            request_id: "req-1".into(),
            user_id: None,
        };
        let ctx = Context::from_serialize(&typed).unwrap();
        assert_eq!(ctx.deserialize::<Ctx>().unwrap(), typed);
        assert_eq!(
            Context::from_serialize(&[1, 2]),
            Err(WireError::NotAMap {
                what: "context",
                found: "an array"
            })
        );
        assert!(matches!(
            Context::new().deserialize::<Ctx>(),
            Err(WireError::Decode { .. })
        ));
    }
}
