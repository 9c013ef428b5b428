//! [`RpcClient`]: a typed handle over the [`RpcClientActor`]'s [`Call`] and [`Cast`].

use std::time::Duration;

use actix::Addr;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use warren_core::{Context, Retry, Target, WireError};

use super::client::{Call, Cast, RpcClientActor};
use crate::Error;

/// Calls and casts to one target, like oslo.messaging's `RPCClient`; cheap to clone.
///
/// The `with_*` methods are oslo's `prepare()`: each returns a client with one
/// override, leaving this one unchanged.
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

    /// Call `method` with keyword arguments `args` (a struct or map) and wait for the
    /// result, deserialized as `R`.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when no reply came in time (also when no server listens on
    /// the target); [`Error::Remote`] when the endpoint raised; [`Error::Result`] when
    /// the result is not an `R`; connection and publish errors as [`Error`] documents.
    pub async fn call<A: Serialize, R: DeserializeOwned>(
        &self,
        context: &Context,
        method: &str,
        args: &A,
    ) -> Result<R, Error> {
        let msg = Call {
            target: self.target.clone(),
            method: method.to_owned(),
            args: args_map(method, args)?,
            context: context.clone(),
            timeout: self.timeout,
            retry: self.retry,
        };
        let value = self.actor.send(msg).await.map_err(|_| Error::Shutdown)??;
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
    /// `rpc_response_timeout` passed; connection and publish errors as [`Error`]
    /// documents.
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
    /// Connection and publish errors as [`Error`] documents.
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
        let msg = Cast {
            target,
            method: method.to_owned(),
            args: args_map(method, args)?,
            context: context.clone(),
            retry: self.retry,
        };
        self.actor.send(msg).await.map_err(|_| Error::Shutdown)?
    }
}
