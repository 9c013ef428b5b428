//! [`EntitySerializer`]: oslo.messaging's `Serializer` hooks, turning arguments, results
//! and contexts into their wire form and back.
//!
//! Not to be confused with [`crate::Serializer`], which picks the body encoding
//! (JSON or msgpack): an entity serializer works one level up, on the values inside
//! the body, before they are encoded and after they are decoded.

use std::fmt;

use serde_json::Value;

use crate::context::Context;
use crate::remote_error::RemoteError;

/// Hooks applied to every RPC argument, result and context, on both ends: oslo's
/// `Serializer` (`oslo_messaging.serializer.Serializer`).
///
/// The order is oslo's:
/// * a client calls [`serialize_entity`](Self::serialize_entity) on each keyword
///   argument and [`serialize_context`](Self::serialize_context) on the context before
///   sending, then [`deserialize_entity`](Self::deserialize_entity) on the result;
/// * a server calls [`deserialize_context`](Self::deserialize_context), then
///   [`deserialize_entity`](Self::deserialize_entity) on each argument, runs the
///   method, and calls [`serialize_entity`](Self::serialize_entity) on its result.
///
/// The entity hooks receive the context in its deserialized (caller-side) form, as
/// oslo passes it. Every method defaults to passing its input through, so an
/// implementation overrides only what it changes; [`NoOpSerializer`] overrides
/// nothing. oslo's common case is a `RequestContextSerializer`: a context hook that
/// adds, checks or strips entries (a token, a user) on the way in and out.
///
/// # Examples
///
/// ```
/// use serde_json::{Value, json};
/// use warren_core::{Context, EntityError, EntitySerializer};
///
/// /// Sends every entity wrapped as `{"wrapped": v}`, as an object serializer would.
/// #[derive(Debug)]
/// struct Wrapping;
///
/// impl EntitySerializer for Wrapping {
///     fn serialize_entity(&self, _ctx: &Context, entity: Value) -> Result<Value, EntityError> {
///         Ok(json!({ "wrapped": entity }))
///     }
///     fn deserialize_entity(&self, _ctx: &Context, mut entity: Value) -> Result<Value, EntityError> {
///         entity
///             .get_mut("wrapped")
///             .map(Value::take)
///             .ok_or_else(|| EntityError::new("the entity is not wrapped"))
///     }
/// }
///
/// let ctx = Context::new();
/// let sent = Wrapping.serialize_entity(&ctx, json!(3)).unwrap();
/// assert_eq!(sent, json!({"wrapped": 3}));
/// assert_eq!(Wrapping.deserialize_entity(&ctx, sent).unwrap(), json!(3));
/// ```
pub trait EntitySerializer: fmt::Debug + Send + Sync {
    /// An argument or result, to its wire form.
    ///
    /// # Errors
    ///
    /// [`EntityError`] when the entity cannot be sent.
    fn serialize_entity(&self, ctx: &Context, entity: Value) -> Result<Value, EntityError> {
        let _ = ctx;
        Ok(entity)
    }

    /// An argument or result, from its wire form.
    ///
    /// # Errors
    ///
    /// [`EntityError`] when the received value is not a valid entity.
    fn deserialize_entity(&self, ctx: &Context, entity: Value) -> Result<Value, EntityError> {
        let _ = ctx;
        Ok(entity)
    }

    /// A request context, to the entries that are sent.
    ///
    /// # Errors
    ///
    /// [`EntityError`] when the context cannot be sent.
    fn serialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
        Ok(ctx)
    }

    /// A received request context, to the form the endpoint sees.
    ///
    /// # Errors
    ///
    /// [`EntityError`] when the received entries are not a valid context.
    fn deserialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
        Ok(ctx)
    }
}

/// The serializer that changes nothing, the default of clients and endpoints: oslo's
/// `NoOpSerializer`.
///
/// # Examples
///
/// ```
/// use serde_json::json;
/// use warren_core::{Context, EntitySerializer, NoOpSerializer};
/// let ctx = Context::new().with("user", "u1");
/// assert_eq!(NoOpSerializer.serialize_entity(&ctx, json!([1])).unwrap(), json!([1]));
/// assert_eq!(NoOpSerializer.deserialize_context(ctx.clone()).unwrap(), ctx);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoOpSerializer;

impl EntitySerializer for NoOpSerializer {}

/// Why an [`EntitySerializer`] hook refused a value.
///
/// On a client it fails the call or cast before anything is sent (or, for a result,
/// after the reply came); on a server the caller gets it as a remote `ValueError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct EntityError {
    /// What the serializer reported; it reaches the caller, so it carries no secrets.
    pub reason: String,
}

impl EntityError {
    /// A refusal saying `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl From<EntityError> for RemoteError {
    /// What a server answers when its serializer refuses a request or a result: a
    /// Python-built-in `ValueError`, which a Python caller rebuilds as such.
    fn from(e: EntityError) -> Self {
        RemoteError::value_error(format!("the RPC entity serializer refused: {}", e.reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct ContextOnly;

    impl EntitySerializer for ContextOnly {
        fn serialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
            Ok(ctx.with("sent", true))
        }
    }

    #[test]
    fn unchanged_hooks_pass_values_through() {
        let ctx = Context::new().with("k", 1);
        let s = ContextOnly;
        assert_eq!(
            s.serialize_entity(&ctx, json!({"a": 1})).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            s.deserialize_entity(&ctx, json!(null)).unwrap(),
            json!(null)
        );
        assert_eq!(s.deserialize_context(ctx.clone()).unwrap(), ctx);
        assert_eq!(
            s.serialize_context(ctx.clone()).unwrap(),
            ctx.with("sent", true)
        );
    }

    #[test]
    fn a_refusal_reaches_a_python_caller_as_a_value_error() {
        let remote = RemoteError::from(EntityError::new("not an Instance"));
        assert!(remote.is_builtin());
        assert_eq!(remote.class, "ValueError");
        assert!(remote.message.ends_with("not an Instance"), "{remote:?}");
    }
}
