//! [`RpcReply`]: the body of the one reply an RPC server sends per call.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::codec;
use crate::fields::body_map;
use crate::remote_error::RemoteError;
use crate::serializer::Serializer;
use crate::wire_error::WireError;

/// The body of an RPC reply (spec §4.8.2): `{"s": result}` or
/// `{"e": {"c", "m", "s", "t"}}`. Replies carry no context.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{RemoteError, RpcReply, Serializer};
/// let ok = RpcReply::success(&"all_fine").unwrap();
/// assert_eq!(ok.to_body(Serializer::Json).unwrap(), br#"{"s": "all_fine"}"#);
/// let failed = RpcReply::from_body(Serializer::Json, br#"{"e": {"c": "ValueError", "m": "builtins", "s": "boom"}}"#).unwrap();
/// assert_eq!(failed, RpcReply::Failure(RemoteError::value_error("boom")));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum RpcReply {
    /// The method returned this value (`null` for Python's `None`).
    Success(Value),
    /// The method raised.
    Failure(RemoteError),
}

impl RpcReply {
    /// A success reply carrying `result`.
    ///
    /// # Errors
    ///
    /// [`WireError::Encode`] when `result` fails to serialize.
    pub fn success(result: &impl Serialize) -> Result<Self, WireError> {
        serde_json::to_value(result)
            .map(Self::Success)
            .map_err(|e| WireError::Encode {
                what: "RPC result",
                reason: e.to_string(),
            })
    }

    /// The result, or the remote error.
    pub fn into_result(self) -> Result<Value, RemoteError> {
        match self {
            Self::Success(v) => Ok(v),
            Self::Failure(e) => Err(e),
        }
    }

    /// The body as a map.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut body = Map::new();
        match self {
            Self::Success(v) => body.insert("s".to_owned(), v.clone()),
            Self::Failure(e) => body.insert("e".to_owned(), e.to_value()),
        };
        body
    }

    /// Reads a reply body map the way a Python client does: a non-null `e` is a
    /// failure; otherwise the reply is a success whose result is `s`. Other keys are
    /// ignored.
    ///
    /// Unlike a Python client, a map with neither `s` nor `e` is refused rather than
    /// read as a `None` result: no server, Python or warren, sends one, so it can only
    /// be a stray or forged message.
    ///
    /// # Errors
    ///
    /// [`WireError::MissingField`] (`s`) when the map has neither `s` nor a non-null
    /// `e`; as [`RemoteError::from_value`] when `e` is malformed.
    pub fn from_map(mut body: Map<String, Value>) -> Result<Self, WireError> {
        match body.remove("e") {
            None | Some(Value::Null) => match body.remove("s") {
                Some(result) => Ok(Self::Success(result)),
                None => Err(WireError::MissingField {
                    envelope: "RPC reply",
                    field: "s",
                }),
            },
            Some(e) => RemoteError::from_value(e).map(Self::Failure),
        }
    }

    /// The body bytes in `serializer`'s encoding (a reply uses the request's).
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
    /// and as [`RpcReply::from_map`].
    pub fn from_body(serializer: Serializer, body: &[u8]) -> Result<Self, WireError> {
        Self::from_map(body_map(serializer, body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arbitrary::{arb_map, arb_value};
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn python_unit_test_bodies_byte_for_byte() {
        let ok = RpcReply::success(&"all_fine").unwrap();
        assert_eq!(
            ok.to_body(Serializer::Json).unwrap(),
            br#"{"s": "all_fine"}"#
        );
        let failed = RpcReply::Failure(
            RemoteError::new(
                "MessagingException",
                "oslo_messaging.exceptions",
                "Error message",
            )
            .with_traceback(vec!["It is a trace".into()]),
        );
        assert_eq!(
            failed.to_body(Serializer::Json).unwrap(),
            br#"{"e": {"c": "MessagingException", "m": "oslo_messaging.exceptions", "s": "Error message", "t": ["It is a trace"]}}"#
        );
    }

    #[test]
    fn none_result_and_lenient_reading() {
        let none = RpcReply::Success(Value::Null);
        assert_eq!(none.to_body(Serializer::Json).unwrap(), br#"{"s": null}"#);
        assert_eq!(
            RpcReply::from_body(Serializer::Json, br#"{"s": null}"#).unwrap(),
            none
        );
        for neither in [&b"{}"[..], br#"{"e": null}"#, br#"{"x": 1}"#] {
            assert_eq!(
                RpcReply::from_body(Serializer::Json, neither),
                Err(WireError::MissingField {
                    envelope: "RPC reply",
                    field: "s"
                })
            );
        }
        assert_eq!(
            RpcReply::from_body(Serializer::Json, br#"{"s": 3, "e": null}"#).unwrap(),
            RpcReply::Success(json!(3))
        );
        assert_eq!(
            RpcReply::from_body(Serializer::Json, br#"{"e": {}}"#).unwrap(),
            RpcReply::Failure(RemoteError::default())
        );
        assert!(matches!(
            RpcReply::from_body(Serializer::Json, br#""s""#),
            Err(WireError::NotAMap { .. })
        ));
        assert!(matches!(
            RpcReply::from_body(Serializer::Json, br#"{"e": "boom"}"#),
            Err(WireError::NotAMap { .. })
        ));
    }

    #[test]
    fn into_result() {
        assert_eq!(RpcReply::Success(json!(5)).into_result(), Ok(json!(5)));
        let e = RemoteError::value_error("x");
        assert_eq!(RpcReply::Failure(e.clone()).into_result(), Err(e));
    }

    fn arb_reply() -> impl Strategy<Value = RpcReply> {
        prop_oneof![
            arb_value().prop_map(RpcReply::Success),
            (".*", ".*", ".*", prop::collection::vec(".*", 0..4)).prop_map(|(c, m, s, t)| {
                RpcReply::Failure(RemoteError::new(c, m, s).with_traceback(t))
            }),
        ]
    }

    proptest! {
        #[test]
        fn encode_decode_identity(reply in arb_reply()) {
            for s in Serializer::ALL {
                let body = reply.to_body(s).unwrap();
                prop_assert_eq!(&RpcReply::from_body(s, &body).unwrap(), &reply);
            }
        }

        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            for s in Serializer::ALL {
                let _ = RpcReply::from_body(s, &bytes);
            }
        }

        #[test]
        fn random_failures_never_panic(e in arb_map(), s in arb_value()) {
            let mut body = Map::new();
            body.insert("e".to_owned(), Value::Object(e));
            body.insert("s".to_owned(), s);
            let _ = RpcReply::from_map(body);
        }
    }
}
