//! [`RpcRequest`]: the body of an RPC call or cast.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::codec;
use crate::context::Context;
use crate::fields::{body_map, take_opt_string, take_string};
use crate::serializer::Serializer;
use crate::wire_error::{WireError, json_type_name};

const ENVELOPE: &str = "RPC request";

/// The body of an RPC call or cast (spec §4.8.1):
/// `{"method", "args", ["namespace"], ["version"], "_$_<ctx>"...}`.
///
/// The RPC id, reply queue and deadline are properties, not body fields.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{Context, RpcRequest, Serializer};
/// let req = RpcRequest::new("add", &json!({"increment": 2}))
///     .unwrap()
///     .with_version("1.2")
///     .with_context(Context::new().with("user", "u1"));
/// let body = req.to_body(Serializer::Json).unwrap();
/// assert_eq!(
///     serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
///     json!({"method": "add", "args": {"increment": 2}, "version": "1.2", "_$_user": "u1"})
/// );
/// assert_eq!(RpcRequest::from_body(Serializer::Json, &body).unwrap(), req);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RpcRequest {
    /// The endpoint method to run.
    pub method: String,
    /// The method's keyword arguments.
    pub args: Map<String, Value>,
    /// The endpoint namespace; `None` is the null namespace (the field is omitted).
    pub namespace: Option<String>,
    /// The RPC API version `X.Y` required; `None` omits the field and the server
    /// assumes `1.0`.
    pub version: Option<String>,
    /// The request context, flattened into `_$_` keys on the wire.
    pub context: Context,
}

impl RpcRequest {
    /// A request for `method` with keyword arguments `args`, which must serialize to a
    /// map (a struct or a map) or to nothing (`()`, `None`: no arguments).
    ///
    /// # Errors
    ///
    /// [`WireError::Encode`] when `args` fails to serialize; [`WireError::NotAMap`] when
    /// it is not a map.
    pub fn new(method: impl Into<String>, args: &impl Serialize) -> Result<Self, WireError> {
        let args = match serde_json::to_value(args) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(other) => {
                return Err(WireError::NotAMap {
                    what: "RPC args",
                    found: json_type_name(&other),
                });
            }
            Err(e) => {
                return Err(WireError::Encode {
                    what: "RPC args",
                    reason: e.to_string(),
                });
            }
        };
        Ok(Self::with_args(method, args))
    }

    /// A request for `method` with arguments already in map form.
    pub fn with_args(method: impl Into<String>, args: Map<String, Value>) -> Self {
        Self {
            method: method.into(),
            args,
            ..Self::default()
        }
    }

    /// The same request for an endpoint namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The same request requiring an API version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The same request with a context.
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The arguments read into a user type (a struct whose fields are the argument
    /// names).
    ///
    /// # Errors
    ///
    /// [`WireError::Decode`] when the arguments do not fit `T`.
    pub fn args_as<T: DeserializeOwned>(&self) -> Result<T, WireError> {
        serde_json::from_value(Value::Object(self.args.clone())).map_err(|e| WireError::Decode {
            what: "RPC args",
            reason: e.to_string(),
        })
    }

    /// The body as a map, context flattened in.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("method".to_owned(), Value::String(self.method.clone()));
        body.insert("args".to_owned(), Value::Object(self.args.clone()));
        if let Some(ns) = &self.namespace {
            body.insert("namespace".to_owned(), Value::String(ns.clone()));
        }
        if let Some(v) = &self.version {
            body.insert("version".to_owned(), Value::String(v.clone()));
        }
        self.context.flatten_into(&mut body);
        body
    }

    /// Reads a request body map. Fields other than the four known ones and the context
    /// are ignored, as the Python dispatcher ignores them.
    ///
    /// # Errors
    ///
    /// [`WireError::MissingField`] without `method`; [`WireError::WrongFieldType`] when
    /// `method`, `namespace` or `version` is not text or `args` is not a map (a `null`
    /// `args` is read as no arguments).
    pub fn from_map(mut body: Map<String, Value>) -> Result<Self, WireError> {
        let context = Context::split_from(&mut body);
        let method = take_string(&mut body, ENVELOPE, "method")?;
        let args = match body.remove("args") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(args)) => args,
            Some(other) => {
                return Err(WireError::WrongFieldType {
                    envelope: ENVELOPE,
                    field: "args",
                    expected: "a map",
                    found: json_type_name(&other),
                });
            }
        };
        Ok(Self {
            method,
            args,
            namespace: take_opt_string(&mut body, ENVELOPE, "namespace")?,
            version: take_opt_string(&mut body, ENVELOPE, "version")?,
            context,
        })
    }

    /// The body bytes in `serializer`'s encoding.
    ///
    /// # Errors
    ///
    /// As [`encode`](crate::encode).
    pub fn to_body(&self, serializer: Serializer) -> Result<Vec<u8>, WireError> {
        codec::encode(serializer, &Value::Object(self.to_map()))
    }

    /// Reads body bytes.
    ///
    /// # Errors
    ///
    /// As [`decode`](crate::decode), [`WireError::NotAMap`] when the body is not a map,
    /// and as [`RpcRequest::from_map`].
    pub fn from_body(serializer: Serializer, body: &[u8]) -> Result<Self, WireError> {
        Self::from_map(body_map(serializer, body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbitrary::{arb_context, arb_map};
    use proptest::prelude::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn typed_args() {
        #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Add {
            a: i64,
            b: i64,
        }
        let req = RpcRequest::new("add", &Add { a: 2, b: 3 }).unwrap();
        assert_eq!(req.args, map(json!({"a": 2, "b": 3})));
        assert_eq!(req.args_as::<Add>().unwrap(), Add { a: 2, b: 3 });
        assert!(matches!(
            req.args_as::<String>(),
            Err(WireError::Decode { .. })
        ));
        assert!(RpcRequest::new("ping", &()).unwrap().args.is_empty());
        assert_eq!(
            RpcRequest::new("bad", &[1, 2]),
            Err(WireError::NotAMap {
                what: "RPC args",
                found: "an array"
            })
        );
    }

    #[test]
    fn optional_fields_are_omitted() {
        let body = RpcRequest::with_args("echo", Map::new()).to_map();
        assert_eq!(body, map(json!({"method": "echo", "args": {}})));
        let body = RpcRequest::with_args("echo", Map::new())
            .with_namespace("ns")
            .with_version("1.3")
            .to_map();
        assert_eq!(
            body,
            map(json!({"method": "echo", "args": {}, "namespace": "ns", "version": "1.3"}))
        );
    }

    #[test]
    fn reading_is_as_lenient_as_python() {
        let req = RpcRequest::from_map(map(json!({"method": "m", "args": null, "namespace": null,
                                                 "extra": 1})))
        .unwrap();
        assert_eq!(req, RpcRequest::with_args("m", Map::new()));
        let req = RpcRequest::from_map(map(json!({"method": "m"}))).unwrap();
        assert!(req.args.is_empty());
    }

    #[test]
    fn malformed_requests_are_typed_errors() {
        assert_eq!(
            RpcRequest::from_map(map(json!({"args": {}}))),
            Err(WireError::MissingField {
                envelope: "RPC request",
                field: "method"
            })
        );
        assert!(matches!(
            RpcRequest::from_map(map(json!({"method": 1}))),
            Err(WireError::WrongFieldType {
                field: "method",
                ..
            })
        ));
        assert!(matches!(
            RpcRequest::from_map(map(json!({"method": "m", "args": [1]}))),
            Err(WireError::WrongFieldType { field: "args", .. })
        ));
        assert!(matches!(
            RpcRequest::from_map(map(json!({"method": "m", "version": 1.2}))),
            Err(WireError::WrongFieldType {
                field: "version",
                ..
            })
        ));
        assert_eq!(
            RpcRequest::from_body(Serializer::Json, b"[1]"),
            Err(WireError::NotAMap {
                what: "message body",
                found: "an array"
            })
        );
    }

    #[test]
    fn deeply_nested_arguments_are_refused_without_overflow() {
        let levels = 100_000;
        let json = format!(
            r#"{{"method": "m", "args": {{"a": {}1{}}}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        );
        // {"method": "m", "args": {"a": [[[...1]]]}}
        let mut pack = vec![0x82, 0xa6];
        pack.extend(b"method");
        pack.extend([0xa1, b'm', 0xa4]);
        pack.extend(b"args");
        pack.extend([0x81, 0xa1, b'a']);
        pack.extend(std::iter::repeat_n(0x91, levels));
        pack.push(0x01);
        for (s, body) in [
            (Serializer::Json, json.as_bytes()),
            (Serializer::Msgpack, &pack),
        ] {
            assert!(
                matches!(
                    RpcRequest::from_body(s, body),
                    Err(WireError::TooDeep { .. })
                ),
                "{s:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn encode_decode_identity(
            method in ".*",
            args in arb_map(),
            namespace in proptest::option::of(".*"),
            version in proptest::option::of("[0-9]{1,3}\\.[0-9]{1,3}"),
            context in arb_context(),
        ) {
            let req = RpcRequest { method, args, namespace, version, context };
            for s in Serializer::ALL {
                let body = req.to_body(s).unwrap();
                prop_assert_eq!(&RpcRequest::from_body(s, &body).unwrap(), &req);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            for s in Serializer::ALL {
                let _ = RpcRequest::from_body(s, &bytes);
            }
        }

        #[test]
        fn random_maps_never_panic(body in arb_map()) {
            let _ = RpcRequest::from_map(body);
        }
    }
}
