//! [`RpcClient`]: a typed handle over the [`RpcClientActor`]'s [`Call`] and [`Cast`].

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use warren_core::{
    Context, EntityError, EntitySerializer, Retry, Target, VersionCap, WireError, can_send_version,
};

use super::client::{Call, Cast, RpcClientActor};
use crate::Error;
use crate::telemetry::FromCaller;

/// Calls and casts to one target, like oslo.messaging's `RPCClient`; cheap to clone.
///
/// The `with_*` methods are oslo's `prepare()`: each returns a client with one
/// override, leaving this one unchanged. Two of them are oslo's client options:
/// [`with_version_cap`](Self::with_version_cap) refuses requests above a version
/// before sending them, and [`with_serializer`](Self::with_serializer) applies an
/// [`EntitySerializer`] to arguments, context and result.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
/// use serde::Serialize;
/// use warren::{Context, Target};
///
/// #[derive(Serialize)]
/// struct Add { a: i64, b: i64 }
///
/// let client = transport.rpc_client(Target::new("calculator")).with_version("1.2");
/// let ctx = Context::new().with("request_id", "req-1");
/// let sum: i64 = client.call(&ctx, "add", &Add { a: 1, b: 2 }).await?;
/// assert_eq!(sum, 3);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RpcClient {
    actor: Addr<RpcClientActor>,
    target: Target,
    timeout: Option<Duration>,
    retry: Option<Retry>,
    version_cap: Option<VersionCap>,
    /// `None` for [`NoOpSerializer`](warren_core::NoOpSerializer)'s behaviour without its per-request work.
    serializer: Option<Arc<dyn EntitySerializer>>,
}

fn args_map(method: &str, args: &impl Serialize) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(args) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(Error::Wire(WireError::NotAMap {
            what: "RPC args",
            found: json_type(&other),
        })),
        Err(e) => Err(Error::Arguments {
            method: method.to_owned(),
            reason: e.to_string(),
        }),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a map",
    }
}

impl RpcClient {
    pub(crate) fn new(actor: Addr<RpcClientActor>, target: Target) -> Self {
        Self {
            actor,
            target,
            timeout: None,
            retry: None,
            version_cap: None,
            serializer: None,
        }
    }

    /// The target requests go to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The same client for another topic.
    pub fn with_topic(&self, topic: impl Into<String>) -> Self {
        let mut c = self.clone();
        c.target.topic = topic.into();
        c
    }

    /// The same client for one server of the topic.
    pub fn with_server(&self, server: impl Into<String>) -> Self {
        let mut c = self.clone();
        c.target.server = Some(server.into());
        c
    }

    /// The same client on another exchange (used verbatim).
    pub fn with_exchange(&self, exchange: impl Into<String>) -> Self {
        let mut c = self.clone();
        c.target.exchange = Some(exchange.into());
        c
    }

    /// The same client for an endpoint namespace.
    pub fn with_namespace(&self, namespace: impl Into<String>) -> Self {
        let mut c = self.clone();
        c.target.namespace = Some(namespace.into());
        c
    }

    /// The same client requiring API version `X.Y`.
    pub fn with_version(&self, version: impl Into<String>) -> Self {
        let mut c = self.clone();
        c.target.version = Some(version.into());
        c
    }

    /// The same client with another call timeout (default: `rpc_response_timeout`).
    pub fn with_timeout(&self, timeout: Duration) -> Self {
        let mut c = self.clone();
        c.timeout = Some(timeout);
        c
    }

    /// The same client with another publish retry policy (default:
    /// `default_rpc_retry_attempts`). [`Retry::NoRetrier`] also selects the
    /// `no_ack` queues, as in the Pika driver.
    pub fn with_retry(&self, retry: Retry) -> Self {
        let mut c = self.clone();
        c.retry = Some(retry);
        c
    }

    /// The same client refusing requests whose version is above `cap`: oslo's
    /// `version_cap`. A call or cast then fails with [`Error::VersionCap`] before
    /// anything is sent when the target's version (see
    /// [`with_version`](Self::with_version)) is not the cap's major version with a
    /// minor at most the cap's, or when the target names no version at all.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
    /// use warren::{Context, Target, Version};
    ///
    /// let cap: Version = "5.1".parse().expect("a literal version");
    /// let client = transport.rpc_client(Target::new("compute")).with_version_cap(cap);
    /// let ctx = Context::new();
    /// if client.can_send_version("5.2") {
    ///     client.with_version("5.2").cast(&ctx, "reboot", &serde_json::json!({"hard": true})).await?;
    /// } else {
    ///     client.with_version("5.0").cast(&ctx, "reboot", &serde_json::json!({})).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn with_version_cap(&self, cap: impl Into<VersionCap>) -> Self {
        let mut c = self.clone();
        c.version_cap = Some(cap.into());
        c
    }

    /// The version cap, if one is set.
    pub fn version_cap(&self) -> Option<VersionCap> {
        self.version_cap
    }

    /// Whether a request for `version` would pass the version cap: always without a
    /// cap, as oslo's `can_send_version`. A string that is not `X.Y` or `X.Y.Z` never
    /// passes a cap.
    pub fn can_send_version(&self, version: &str) -> bool {
        can_send_version(self.version_cap.as_ref(), Some(version))
    }

    /// The same client applying `serializer` to each argument and the context before
    /// sending, and to the result of a call: oslo's `serializer`. The default,
    /// [`NoOpSerializer`](warren_core::NoOpSerializer), changes nothing.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) {
    /// use std::sync::Arc;
    /// use warren::{Context, EntityError, EntitySerializer, Target};
    ///
    /// /// Never lets the token leave the process.
    /// #[derive(Debug)]
    /// struct NoToken;
    ///
    /// impl EntitySerializer for NoToken {
    ///     fn serialize_context(&self, ctx: Context) -> Result<Context, EntityError> {
    ///         Ok(ctx.into_map().into_iter().filter(|(k, _)| k != "auth_token").collect())
    ///     }
    /// }
    ///
    /// let client = transport.rpc_client(Target::new("compute")).with_serializer(Arc::new(NoToken));
    /// # }
    /// ```
    pub fn with_serializer(&self, serializer: Arc<dyn EntitySerializer>) -> Self {
        let mut c = self.clone();
        c.serializer = Some(serializer);
        c
    }

    /// The arguments and context to send for `method` to `target`: the version cap
    /// checked, then the serializer applied. oslo serializes first; checking first
    /// spares a refused request the work, and only changes which error a request
    /// both above the cap and refused by the serializer gets.
    fn outgoing<A: Serialize>(
        &self,
        target: &Target,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<(Map<String, Value>, Context), Error> {
        if let Some(cap) = &self.version_cap {
            cap.check(target.version.as_deref())?;
        }
        let Some(serializer) = &self.serializer else {
            return Ok((args_map(method, args)?, context.clone()));
        };
        let refused = |what| {
            move |e: EntityError| Error::EntitySerializer {
                method: method.to_owned(),
                what,
                reason: e.reason,
            }
        };
        let args = args_map(method, args)?
            .into_iter()
            .map(|(name, arg)| Ok((name, serializer.serialize_entity(context, arg)?)))
            .collect::<Result<_, EntityError>>()
            .map_err(refused("arguments"))?;
        let context = serializer
            .serialize_context(context.clone())
            .map_err(refused("context"))?;
        Ok((args, context))
    }

    /// Call `method` with keyword arguments `args` (a struct or map) and wait for the
    /// result, deserialized as `R`.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when no reply came in time (also when no server listens on
    /// the target); [`Error::Remote`] when the endpoint raised; [`Error::Result`] when
    /// the result is not an `R`; [`Error::VersionCap`] when the target's version is
    /// above the version cap; [`Error::EntitySerializer`] when the serializer refuses
    /// an argument, the context or the result; connection and publish errors as
    /// [`Error`] documents.
    pub async fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<R, Error> {
        let (args, sent_context) = self.outgoing(&self.target, context, method, args)?;
        let msg = Call {
            target: self.target.clone(),
            method: method.to_owned(),
            args,
            context: sent_context,
            timeout: self.timeout,
            retry: self.retry,
        };
        let value = self
            .actor
            .send(FromCaller::here(msg))
            .await
            .map_err(|_| Error::Shutdown)??;
        // oslo deserializes the result with the caller's own context, not the one sent.
        let value = match &self.serializer {
            None => value,
            Some(serializer) => serializer.deserialize_entity(context, value).map_err(|e| {
                Error::EntitySerializer {
                    method: method.to_owned(),
                    what: "result",
                    reason: e.reason,
                }
            })?,
        };
        serde_json::from_value(value).map_err(|e| Error::Result {
            method: method.to_owned(),
            reason: e.to_string(),
        })
    }

    /// Send `method` to one server of the target without waiting for a result; returns
    /// once the broker confirmed the message.
    ///
    /// # Errors
    ///
    /// [`Error::Undeliverable`] when no server listened on the target until
    /// `rpc_response_timeout` passed; [`Error::VersionCap`] and
    /// [`Error::EntitySerializer`] as for [`call`](Self::call); connection and publish
    /// errors as [`Error`] documents.
    pub async fn cast<A: Serialize>(
        &self,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<(), Error> {
        self.cast_to(self.target.clone(), context, method, args)
            .await
    }

    /// Send `method` to every server of the topic (fanout). With no server listening
    /// the message is dropped, as in the Pika driver.
    ///
    /// # Errors
    ///
    /// [`Error::VersionCap`] and [`Error::EntitySerializer`] as for
    /// [`call`](Self::call); connection and publish errors as [`Error`] documents.
    pub async fn fanout_cast<A: Serialize>(
        &self,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<(), Error> {
        let target = self.target.clone().with_fanout(true);
        self.cast_to(target, context, method, args).await
    }

    async fn cast_to<A: Serialize>(
        &self,
        target: Target,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<(), Error> {
        let (args, context) = self.outgoing(&target, context, method, args)?;
        let msg = Cast {
            target,
            method: method.to_owned(),
            args,
            context,
            retry: self.retry,
        };
        self.actor
            .send(FromCaller::here(msg))
            .await
            .map_err(|_| Error::Shutdown)?
    }
}
