//! [`RpcClientActor`] and its messages [`Call`] and [`Cast`]: RPC calls, casts and
//! fanout casts, on the Pika driver's wire format.
//!
//! The actor keeps no connection state: each message becomes a future that registers
//! with the [`ReplyWaiter`] (calls only), publishes through the [`ChannelPool`] with
//! the configured retries, and waits for the reply within the call's timeout. A call
//! waits for its reply and its publish confirm at once, not one after the other: the
//! reply usually comes first, and a `basic.return` or `basic.nack` still triggers the
//! retries. Any actor can send these messages to its `Addr` or a `Recipient`;
//! [`crate::RpcClient`] is a typed convenience over them.
//!
//! Restart behaviour: the actor holds only its settings and addresses, so a restart
//! changes nothing; calls in progress run outside its context and finish.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use serde_json::{Map, Value};
use tracing::{Instrument, Span};
use warren_core::{
    AckMode, Context as RequestContext, Retry, RpcReply, RpcRequest, Target, rpc_exchange,
    rpc_routing_key,
};

use super::reply_waiter::{ExpectReply, ForgetReply, ReplyWaiter};
use crate::Error;
use crate::channel::Outgoing;
use crate::connection::{BrokerAt, BrokerMoved, HostConnection, unavailable_or};
use crate::declare::declare_rpc_exchange;
use crate::instruments;
use crate::outgoing;
use crate::pool::ChannelPool;
use crate::publish::{RetryOn, RetryPolicy, Send};
use crate::settings::ClientSettings;
use crate::telemetry::FromCaller;
use crate::{telemetry, trace_context};

/// Call `method` on a server of `target` and wait for its result.
///
/// The result is the JSON value the server returned; [`crate::RpcClient::call`]
/// deserializes it into your type.
///
/// The message is sent as given: the version cap and the
/// [`EntitySerializer`](warren_core::EntitySerializer) of an [`crate::RpcClient`] are
/// applied by the handle before it builds the message, so an actor sending it directly
/// checks [`VersionCap::check`](warren_core::VersionCap::check) and serializes the
/// arguments and context itself.
#[derive(Debug, Clone)]
pub struct Call {
    /// Where the request goes; `fanout` must be false.
    pub target: Target,
    /// The method name.
    pub method: String,
    /// Keyword arguments.
    pub args: Map<String, Value>,
    /// The request context (sent as `_$_` keys).
    pub context: RequestContext,
    /// How long to wait for the reply; `None`: `rpc_response_timeout`.
    pub timeout: Option<Duration>,
    /// Publish attempts; `None`: `default_rpc_retry_attempts`.
    pub retry: Option<Retry>,
}

impl Message for Call {
    type Result = Result<Value, Error>;
}

/// Send `method` to a server of `target` (or every server, if `target.fanout`)
/// without waiting for a result.
///
/// Sent as given, as a [`Call`] is: no version cap or entity serializer is applied.
#[derive(Debug, Clone)]
pub struct Cast {
    /// Where the request goes.
    pub target: Target,
    /// The method name.
    pub method: String,
    /// Keyword arguments.
    pub args: Map<String, Value>,
    /// The request context (sent as `_$_` keys).
    pub context: RequestContext,
    /// Publish attempts; `None`: `default_rpc_retry_attempts`.
    pub retry: Option<Retry>,
}

impl Message for Cast {
    type Result = Result<(), Error>;
}

/// The RPC client actor; see the module docs.
pub struct RpcClientActor {
    parts: Rc<ClientParts>,
    /// Where the connection is, for the spans.
    broker: Option<BrokerAt>,
}

/// What every call and cast of the client uses.
struct ClientParts {
    settings: ClientSettings,
    pool: Addr<ChannelPool>,
    connection: Addr<HostConnection>,
    reply_waiter: Addr<ReplyWaiter>,
}

impl RpcClientActor {
    pub(crate) fn new(
        settings: ClientSettings,
        pool: Addr<ChannelPool>,
        connection: Addr<HostConnection>,
        reply_waiter: Addr<ReplyWaiter>,
    ) -> Self {
        Self {
            parts: Rc::new(ClientParts {
                settings,
                pool,
                connection,
                reply_waiter,
            }),
            broker: None,
        }
    }
}

impl Handler<BrokerMoved> for RpcClientActor {
    type Result = ();

    fn handle(&mut self, moved: BrokerMoved, _ctx: &mut Context<Self>) {
        self.broker = moved.0;
    }
}

impl Actor for RpcClientActor {
    type Context = Context<Self>;
}

impl Supervised for RpcClientActor {}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidTarget {
        reason: reason.into(),
    }
}

/// The exchange, routing key and body of a request.
fn prepare(
    settings: &ClientSettings,
    target: &Target,
    method: &str,
    args: Map<String, Value>,
    context: RequestContext,
    retry: Retry,
) -> Result<(String, String, Vec<u8>), Error> {
    if target.topic.is_empty() {
        return Err(invalid("a topic is required"));
    }
    let ack = AckMode::for_retrier(!matches!(retry, Retry::NoRetrier));
    let exchange =
        rpc_exchange(target, &settings.default_exchange).map_err(|e| invalid(e.to_string()))?;
    let routing_key = rpc_routing_key(target, ack).map_err(|e| invalid(e.to_string()))?;
    let request = RpcRequest {
        method: method.to_owned(),
        args,
        namespace: target.namespace.clone(),
        version: target.version.clone(),
        context,
    };
    let body = request.to_body(settings.serializer)?;
    Ok((exchange, routing_key, body))
}

async fn call(parts: Rc<ClientParts>, msg: Call, span: Span) -> Result<Value, Error> {
    if msg.target.fanout {
        return Err(invalid("a call cannot be fanout; use a cast"));
    }
    let settings = &parts.settings;
    let timeout = msg.timeout.unwrap_or(settings.response_timeout);
    let deadline = Instant::now() + timeout;
    let retry = msg.retry.unwrap_or(settings.call_retry);
    let (exchange, routing_key, body) = prepare(
        settings,
        &msg.target,
        &msg.method,
        msg.args,
        msg.context,
        retry,
    )?;
    telemetry::record_destination(&span, &routing_key, body.len());
    let correlation_id = uuid::Uuid::new_v4().simple().to_string();
    if !span.is_disabled() {
        span.record("messaging.message.conversation_id", correlation_id.as_str());
    }
    let waiter = &parts.reply_waiter;
    let registration = waiter.send(ExpectReply {
        correlation_id: correlation_id.clone(),
    });
    let slot = match tokio::time::timeout_at(deadline.into(), registration).await {
        Ok(Ok(Ok(slot))) => slot,
        Ok(Ok(Err(e))) => {
            waiter.do_send(ForgetReply { correlation_id });
            return Err(e);
        }
        Ok(Err(_)) => return Err(Error::Shutdown),
        Err(_) => {
            waiter.do_send(ForgetReply { correlation_id });
            let waited = Error::Timeout {
                waiting_for: "the reply queue to be ready",
                after: timeout,
            };
            return Err(unavailable_or(&parts.connection, waited).await);
        }
    };
    let outgoing = Arc::new(Outgoing {
        exchange: exchange.clone(),
        routing_key,
        mandatory: true,
        body,
        properties: trace_context::inject(
            &span,
            outgoing::call_properties(settings.serializer, &correlation_id, &slot.reply_to),
        ),
    });
    let send = Send {
        pool: &parts.pool,
        connection: &parts.connection,
        policy: RetryPolicy::new(retry, settings.retry_delay),
        retry_on: RetryOn {
            unroutable: true,
            declare_when_unroutable: false,
            nacked: true,
            connection: true,
            exchange_not_found: true,
        },
        deadline: Some(deadline),
        expire_with_deadline: true,
    };
    let published = send.run(outgoing, || async {
        declare_rpc_exchange(&parts.connection, &exchange).await;
        Ok(())
    });
    let reply = tokio::time::timeout_at(deadline.into(), slot.reply);
    tokio::pin!(published, reply);
    // The reply needs no confirm first: a failed publish (retried until routed, or
    // given up) ends the call, and so does the reply.
    let mut confirmed = false;
    let reply = loop {
        tokio::select! {
            biased;
            reply = &mut reply => break reply,
            published = &mut published, if !confirmed => match published {
                Ok(()) => {
                    confirmed = true;
                    instruments::sent("call", &exchange);
                }
                Err(e) => {
                    waiter.do_send(ForgetReply { correlation_id });
                    return Err(match e {
                        // Python's behaviour: an unknown topic ends in a timeout once the
                        // deadline passes; say why in the message.
                        Error::Undeliverable { .. }
                            if Instant::now() + settings.retry_delay >= deadline =>
                        {
                            Error::Timeout {
                                waiting_for: "a server to be listening on the target (every publish was unroutable)",
                                after: timeout,
                            }
                        }
                        other => other,
                    });
                }
            },
        }
    };
    if !confirmed && matches!(reply, Ok(Ok(Ok(_)))) {
        // The reply came before the confirm: the request was delivered all the same.
        instruments::sent("call", &exchange);
    }
    match reply {
        Ok(Ok(Ok(RpcReply::Success(value)))) => Ok(value),
        Ok(Ok(Ok(RpcReply::Failure(remote)))) => Err(Error::Remote(remote)),
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(Error::Shutdown),
        Err(_) => {
            waiter.do_send(ForgetReply { correlation_id });
            let waited = if confirmed {
                Error::Timeout {
                    waiting_for: "the reply",
                    after: timeout,
                }
            } else {
                // Never confirmed: a blocked or dead connection says more than the time.
                let waited = Error::Timeout {
                    waiting_for: "the broker to confirm the publish",
                    after: timeout,
                };
                unavailable_or(&parts.connection, waited).await
            };
            Err(waited)
        }
    }
}

async fn cast(parts: Rc<ClientParts>, msg: Cast, span: Span) -> Result<(), Error> {
    let settings = &parts.settings;
    let retry = msg.retry.unwrap_or(settings.call_retry);
    let fanout = msg.target.fanout;
    let (exchange, routing_key, body) = prepare(
        settings,
        &msg.target,
        &msg.method,
        msg.args,
        msg.context,
        retry,
    )?;
    telemetry::record_destination(&span, &routing_key, body.len());
    let outgoing = Arc::new(Outgoing {
        exchange: exchange.clone(),
        routing_key,
        // A fanout with no server is dropped silently, as in the Pika driver.
        mandatory: !fanout,
        body,
        properties: trace_context::inject(&span, outgoing::cast_properties(settings.serializer)),
    });
    // Unlike Python, a cast never blocks forever: it gives up after
    // `rpc_response_timeout` (no `expiration` is set on the message itself).
    let send = Send {
        pool: &parts.pool,
        connection: &parts.connection,
        policy: RetryPolicy::new(retry, settings.retry_delay),
        retry_on: RetryOn {
            unroutable: !fanout,
            declare_when_unroutable: false,
            nacked: true,
            connection: true,
            exchange_not_found: true,
        },
        deadline: Some(Instant::now() + settings.response_timeout),
        expire_with_deadline: false,
    };
    let sent = send
        .run(outgoing, || async {
            declare_rpc_exchange(&parts.connection, &exchange).await;
            Ok(())
        })
        .await;
    if sent.is_ok() {
        instruments::sent(if fanout { "fanout" } else { "cast" }, &exchange);
    }
    sent
}

/// A `send` span for a request to `target` (see [`crate::telemetry`]).
fn request_span(
    caller: &Span,
    operation: &'static str,
    settings: &ClientSettings,
    broker: Option<&BrokerAt>,
    target: &Target,
    method: &str,
) -> Span {
    let span = telemetry::send_span(caller, operation, || destination(settings, target), broker);
    telemetry::record_request(
        &span,
        &target.topic,
        target.server.as_deref(),
        method,
        target.namespace.as_deref(),
        target.version.as_deref(),
    );
    span
}

/// `work` (an `operation` to `destination`) inside `span`, its error recorded there,
/// its duration in the metrics.
async fn traced<T>(
    span: Span,
    operation: &'static str,
    destination: Option<String>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let started = Instant::now();
    let result = work.instrument(span.clone()).await;
    telemetry::operation_ended(&span, operation, destination.as_deref(), started, &result);
    result
}

/// The exchange a request to `target` goes to (empty when the target is unusable:
/// the request then fails before it is sent).
fn destination(settings: &ClientSettings, target: &Target) -> String {
    rpc_exchange(target, &settings.default_exchange).unwrap_or_default()
}

/// The destination for the metrics, when they are recorded.
fn metered_destination(settings: &ClientSettings, target: &Target) -> Option<String> {
    instruments::enabled().then(|| destination(settings, target))
}

impl Handler<FromCaller<Call>> for RpcClientActor {
    type Result = ResponseFuture<Result<Value, Error>>;

    fn handle(&mut self, msg: FromCaller<Call>, _ctx: &mut Context<Self>) -> Self::Result {
        let FromCaller {
            message: msg,
            caller,
        } = msg;
        let settings = &self.parts.settings;
        let broker = self.broker.as_ref();
        let span = request_span(&caller, "call", settings, broker, &msg.target, &msg.method);
        let metered = metered_destination(settings, &msg.target);
        let work = call(self.parts.clone(), msg, span.clone());
        Box::pin(traced(span, "call", metered, work))
    }
}

impl Handler<Call> for RpcClientActor {
    type Result = ResponseFuture<Result<Value, Error>>;

    fn handle(&mut self, msg: Call, ctx: &mut Context<Self>) -> Self::Result {
        <Self as Handler<FromCaller<Call>>>::handle(self, FromCaller::here(msg), ctx)
    }
}

impl Handler<FromCaller<Cast>> for RpcClientActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: FromCaller<Cast>, _ctx: &mut Context<Self>) -> Self::Result {
        let FromCaller {
            message: msg,
            caller,
        } = msg;
        let operation = if msg.target.fanout { "fanout" } else { "cast" };
        let settings = &self.parts.settings;
        let broker = self.broker.as_ref();
        let span = request_span(
            &caller,
            operation,
            settings,
            broker,
            &msg.target,
            &msg.method,
        );
        let metered = metered_destination(settings, &msg.target);
        let work = cast(self.parts.clone(), msg, span.clone());
        Box::pin(traced(span, operation, metered, work))
    }
}

impl Handler<Cast> for RpcClientActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, msg: Cast, ctx: &mut Context<Self>) -> Self::Result {
        <Self as Handler<FromCaller<Cast>>>::handle(self, FromCaller::here(msg), ctx)
    }
}
