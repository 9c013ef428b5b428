//! [`RpcServerActor`]: the supervised actor that serves one RPC target.
//!
//! It declares and consumes the six queues of the Pika driver for `topic` + `server`
//! (`no_ack` and `with_ack` families: the topic queue shared by the group, the
//! server's own queue, and a fresh worker queue bound to the fanout key; quorum queues
//! with `quorum_queues`), with `rpc_listener_prefetch_count`. For each request it
//! validates and decodes the message, acks it (before dispatch, as the Pika driver
//! does: at most once), runs the endpoint method on the actor's arbiter (at most
//! `executor_thread_pool_size` at once; later requests wait for a turn), and publishes
//! the reply to `rpc_reply_exchange` with the request's correlation id and content
//! type, bounded by the request's `expiration`.
//!
//! Hostile input: a delivery with bad properties (driver version, content type,
//! expiration), a body over `max_message_body_size`, or a body that does not decode
//! into a request is rejected without requeue, logged once (WARN, with its message
//! id) and counted as `rejected`; when its properties name a serializer, a reply queue
//! and a correlation id, the caller is answered with a remote `ValueError` instead of
//! being left to time out. A request for an unknown method or version, or whose
//! arguments do not fit the method, is acked, answered with the remote error a Python
//! server sends (`NoSuchMethod`, `UnsupportedVersion`, `TypeError`), logged once and
//! counted as `refused`; no endpoint code runs for it. The server goes on either way.
//!
//! Messages handled: [`WhenReady`] (resolves once consuming, or with the error of a
//! queue the broker will not declare as asked), [`StopServer`] (stop consuming, finish
//! in-flight requests, close the channel), [`ServerStats`].
//!
//! Restart behaviour: a failed channel or consumer, or a broker `basic.cancel` (queue
//! deleted), restarts the actor after `host_connection_reconnect_delay`; it declares
//! its queues again (new worker queues) and consumes again. Requests being handled
//! run on the arbiter, not in the actor's context, so they finish across a restart.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use actix::prelude::*;
use futures_util::FutureExt;
use serde_json::Value;
use tracing::{Instrument, Span};
use warren_core::{
    MessageProperties, RemoteError, RpcReply, RpcRequest, Serializer, WorkerIds,
    rpc_server_topology,
};

use super::dispatcher::Dispatcher;
use super::endpoint::Ready;
use crate::Error;
use crate::broker::{Acker, BrokerChannel, Delivery};
use crate::channel::{Consuming, Outgoing};
use crate::connection::{BrokerAt, BrokerMoved, HostConnection};
use crate::delivery::{
    DeliveryId, IncomingProperties, Undecodable, decode_delivery, loggable, reject_without_requeue,
};
use crate::instruments;
use crate::lifecycle::{Incoming, Lifecycle};
use crate::outgoing::to_amqp;
use crate::pool::ChannelPool;
use crate::publish::{RetryOn, Send};
use crate::settings::ServerSettings;
use crate::{telemetry, trace_context};

/// The names a server serves under.
pub(crate) struct ServerNames {
    pub(crate) exchange: String,
    pub(crate) topic: String,
    pub(crate) server: String,
}

/// What the requests being handled need to reply; shared by them.
struct Replier {
    settings: ServerSettings,
    /// One permit per endpoint invocation that may run at once
    /// (`executor_thread_pool_size`); requests beyond it wait, acked, in arrival order.
    invocations: tokio::sync::Semaphore,
    pool: Addr<ChannelPool>,
    connection: Addr<HostConnection>,
}

/// The RPC server actor; see the module docs.
pub struct RpcServerActor {
    replier: Rc<Replier>,
    names: ServerNames,
    dispatcher: Rc<Dispatcher>,
    lifecycle: Lifecycle,
    restarts: u64,
    received: u64,
    rejected: u64,
    refused: u64,
    /// Where the connection is, for the spans.
    broker: Option<BrokerAt>,
}

impl RpcServerActor {
    pub(crate) fn new(
        settings: ServerSettings,
        connection: Addr<HostConnection>,
        pool: Addr<ChannelPool>,
        names: ServerNames,
        dispatcher: Dispatcher,
    ) -> Self {
        let lifecycle = Lifecycle::new(
            connection.clone(),
            settings.reconnect_delay,
            "RPC server stopped",
        );
        Self {
            replier: Rc::new(Replier {
                invocations: tokio::sync::Semaphore::new(settings.max_invocations.get()),
                settings,
                pool,
                connection,
            }),
            names,
            dispatcher: Rc::new(dispatcher),
            lifecycle,
            restarts: 0,
            received: 0,
            rejected: 0,
            refused: 0,
            broker: None,
        }
    }

    fn set_up(&mut self, ctx: &mut Context<Self>) {
        if !self.lifecycle.is_setting_up() {
            return;
        }
        let settings = &self.replier.settings;
        let topology = match rpc_server_topology(
            &self.names.exchange,
            &self.names.topic,
            &self.names.server,
            settings.queue_expiration,
            WorkerIds::random(),
            settings.queue_type,
        ) {
            Ok(topology) => Arc::new(topology),
            Err(e) => {
                tracing::error!(topic = %self.names.topic, reason = %e, "RPC server cannot serve this target");
                self.lifecycle.stopped();
                return;
            }
        };
        let subscribe = self.lifecycle.subscribe(settings.prefetch, topology);
        ctx.spawn(
            subscribe
                .into_actor(self)
                .map(|result, act, ctx| act.subscribed(result, ctx)),
        );
    }

    fn subscribed(&mut self, result: Result<Vec<Consuming>, Error>, ctx: &mut Context<Self>) {
        match result {
            Ok(consumers) => {
                // False when stopped while setting up: do not start serving after all.
                if self.lifecycle.consuming(consumers, ctx) {
                    tracing::info!(topic = %self.names.topic, server = %self.names.server, "RPC server consuming");
                }
            }
            Err(Error::Shutdown) => self.lifecycle.stopped(),
            Err(e) => {
                if self.lifecycle.set_up_failed(&e) {
                    tracing::warn!(topic = %self.names.topic, error = %e, "RPC server set-up failed; retrying");
                } else {
                    tracing::debug!(topic = %self.names.topic, error = %e, "RPC server set-up failed again; retrying");
                }
                ctx.stop();
            }
        }
    }

    fn on_delivery(&mut self, no_ack: bool, delivery: Delivery, ctx: &mut Context<Self>) {
        if self.lifecycle.is_stopping() && !no_ack {
            // Stopping: hand the request back to the broker for another server.
            instruments::requeued("rpc_server");
            let acker = delivery.acker.clone();
            actix::spawn(async move {
                let _ = acker.nack(true).await;
            });
            return;
        }
        self.received += 1;
        instruments::consumed("rpc_server", delivery.exchange.as_str());
        let received = Instant::now();
        let limit = self.replier.settings.max_body_size;
        let (props, request) = match decode_delivery(&delivery, limit, RpcRequest::from_body) {
            Ok(ok) => ok,
            Err(undecodable) => {
                let Undecodable { error, props } = *undecodable;
                self.reject(&delivery, no_ack, &error, props, received);
                return;
            }
        };
        let method = request.method.clone();
        let span = self.process_span(&delivery, &request, props.correlation_id.as_deref());
        let call = match self.dispatcher.prepare(request) {
            Ok(call) => Ok(call),
            Err(remote) => {
                self.refused += 1;
                let id = DeliveryId::of(&delivery);
                tracing::warn!(
                        topic = %self.names.topic,
                        origin = %id.origin,
                message_id = ?id.message_id,
                        correlation_id = ?id.correlation_id,
                        method = %loggable(&method),
                        error = %loggable(&remote),
                        refused = self.refused,
                        "answering an RPC request no endpoint can run with an error"
                    );
                Err(remote)
            }
        };
        // A refused request was logged above: failing to answer it is not news.
        let already_logged = call.is_err();
        self.lifecycle.handling(1);
        // A graceful stop waits for the request from here on.
        tracing::debug!(
            topic = %self.names.topic,
            method = %loggable(&method),
            in_flight = self.lifecycle.in_flight(),
            "handling an RPC request"
        );
        let ack = (!no_ack).then(|| {
            let channel = self.lifecycle.consumer_channel().cloned();
            (channel, delivery.acker.clone(), delivery.delivery_tag)
        });
        let replier = self.replier.clone();
        let me = ctx.address();
        let traced = span.clone();
        let metered = instruments::enabled().then(|| delivery.exchange.as_str().to_owned());
        actix::spawn(
            async move {
                // Ack before dispatch (at most once, as the Pika driver): the ack is queued
                // for the socket first, and a request whose ack is refused (its channel
                // has closed, so the broker will deliver it again) is skipped. Its write is
                // not waited for before dispatch: like the Python driver's ack it is then
                // on its way, and a connection that dies before it leaves loses it either
                // way; it is awaited after the reply.
                let mut ack = ack.map(|ack| Box::pin(ack_request(ack)));
                if let Some(pending) = ack.as_mut() {
                    match futures_util::poll!(pending.as_mut()) {
                        Poll::Ready(Err(e)) => {
                            tracing::debug!(error = %e, "could not ack a request; skipping it");
                            me.do_send(RequestDone);
                            return;
                        }
                        Poll::Ready(Ok(())) => ack = None,
                        Poll::Pending => {}
                    }
                }
                let result = match call {
                    Ok(call) => {
                        // Never closed, so a permit always comes.
                        let _permit = replier.invocations.acquire().await;
                        run_guarded(call).await
                    }
                    Err(remote) => Err(remote),
                };
                if let Err(remote) = &result {
                    telemetry::record_error_type(&traced, &remote.class);
                }
                // Recorded once the reply is sent: after `result` is moved into it.
                let error_type = metered
                    .as_ref()
                    .and_then(|_| result.as_ref().err().map(|remote| remote.class.clone()));
                if let (Some(reply_to), Some(correlation_id)) =
                    (props.reply_to, props.correlation_id)
                {
                    let deadline = props.expiration.map(|e| received + e);
                    send_reply(
                        &replier,
                        reply_to,
                        correlation_id,
                        props.serializer,
                        deadline,
                        result,
                        already_logged,
                    )
                    .await;
                }
                if let Some(exchange) = &metered {
                    let elapsed = received.elapsed();
                    instruments::processed("rpc_server", exchange, elapsed, error_type.as_deref());
                }
                if let Some(pending) = ack
                    && let Err(e) = pending.await
                {
                    tracing::debug!(error = %e, "the ack of a served request was not written");
                }
                me.do_send(RequestDone);
            }
            .instrument(span),
        );
    }

    /// The `process` span of a request (see [`crate::telemetry`]).
    fn process_span(
        &self,
        delivery: &Delivery,
        request: &RpcRequest,
        correlation_id: Option<&str>,
    ) -> Span {
        let span = telemetry::process_span(
            delivery.exchange.as_str(),
            delivery.routing_key.as_str(),
            delivery.data.len(),
            self.broker.as_ref(),
        );
        telemetry::record_request(
            &span,
            &self.names.topic,
            Some(&self.names.server),
            &request.method,
            request.namespace.as_deref(),
            request.version.as_deref(),
        );
        if let Some(id) = correlation_id
            && !span.is_disabled()
        {
            span.record("messaging.message.conversation_id", id);
        }
        trace_context::parent(&span, &delivery.properties);
        span
    }

    /// Rejects a request that cannot be served, without requeue, and answers its caller
    /// with a remote error when the properties say where and how.
    fn reject(
        &mut self,
        delivery: &Delivery,
        no_ack: bool,
        error: &Error,
        props: Option<IncomingProperties>,
        received: Instant,
    ) {
        self.rejected += 1;
        instruments::rejected("rpc_server");
        let id = DeliveryId::of(delivery);
        tracing::warn!(
            topic = %self.names.topic,
            origin = %id.origin,
            message_id = ?id.message_id,
            correlation_id = ?id.correlation_id,
            size = id.size,
            error = %loggable(error),
            rejected = self.rejected,
            "rejecting an RPC request that cannot be decoded"
        );
        if !no_ack {
            reject_without_requeue(delivery);
        }
        let Some(IncomingProperties {
            serializer,
            correlation_id: Some(correlation_id),
            reply_to: Some(reply_to),
            expiration,
        }) = props
        else {
            return;
        };
        let replier = self.replier.clone();
        let remote = RemoteError::value_error(format!(
            "the server rejected the request: {}",
            loggable(error)
        ));
        let deadline = expiration.map(|e| received + e);
        actix::spawn(async move {
            send_reply(
                &replier,
                reply_to,
                correlation_id,
                serializer,
                deadline,
                Err(remote),
                true,
            )
            .await;
        });
    }
}

/// Acks a request on the channel it came on, or with its acker when the channel is
/// not known (it always is while consuming).
async fn ack_request(
    (channel, acker, tag): (Option<BrokerChannel>, Acker, u64),
) -> Result<(), Error> {
    match channel {
        Some(channel) => channel.ack(tag).await,
        None => acker.ack().await,
    }
}

/// Runs an endpoint method. A panicking endpoint (in its body or while building its
/// future) must not leave its caller waiting nor the server unable to stop: it is
/// answered with a remote error instead.
async fn run_guarded(call: Ready) -> Result<Value, RemoteError> {
    let work = async move { call().await };
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!("an RPC endpoint method panicked");
            Err(RemoteError::new(
                "RuntimeError",
                "builtins",
                "the endpoint method panicked",
            ))
        })
}

/// Publishes the reply to a request. `to_rejected`: the request was rejected and
/// already logged, and a failure to answer it (a forged reply queue, say) is logged at
/// debug level only, so a hostile message is logged once.
async fn send_reply(
    replier: &Replier,
    reply_to: String,
    correlation_id: String,
    serializer: Serializer,
    deadline: Option<Instant>,
    result: Result<Value, RemoteError>,
    to_rejected: bool,
) {
    let reply = match result {
        Ok(value) => RpcReply::Success(value),
        Err(remote) => RpcReply::Failure(remote),
    };
    let body = match reply.to_body(serializer) {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(%correlation_id, error = %e, "the reply cannot be encoded; answering with an error");
            let fallback = RpcReply::Failure(RemoteError::value_error(format!(
                "the result cannot be encoded: {e}"
            )));
            match fallback.to_body(serializer) {
                Ok(body) => body,
                Err(_) => return,
            }
        }
    };
    if deadline.is_some_and(|d| Instant::now() >= d) {
        // The caller has given up (its `expiration` passed): nobody reads this reply.
        tracing::debug!(%correlation_id, "not replying: the request's expiration has passed");
        return;
    }
    let settings = &replier.settings;
    let outgoing = Arc::new(Outgoing {
        exchange: settings.reply_exchange.clone(),
        routing_key: reply_to,
        mandatory: true,
        body,
        // Sent from within the request's `process` span.
        properties: trace_context::inject(
            &Span::current(),
            to_amqp(&MessageProperties::rpc_reply(
                serializer,
                correlation_id.clone(),
                None,
            )),
        ),
    });
    let send = Send {
        pool: &replier.pool,
        connection: &replier.connection,
        policy: settings.reply_retry,
        // Only connection problems are worth retrying: an unroutable reply means the
        // caller and its reply queue are gone.
        retry_on: RetryOn {
            unroutable: false,
            declare_when_unroutable: false,
            nacked: false,
            connection: true,
            exchange_not_found: false,
        },
        deadline: Some(deadline.unwrap_or_else(|| Instant::now() + settings.response_timeout)),
        expire_with_deadline: deadline.is_some(),
    };
    match send.run(outgoing, || async { Ok(()) }).await {
        Err(e) if to_rejected => {
            tracing::debug!(%correlation_id, error = %e, "answer to a rejected request not delivered");
        }
        Err(e) => tracing::warn!(%correlation_id, error = %e, "reply not delivered"),
        Ok(()) => {}
    }
}

impl Handler<BrokerMoved> for RpcServerActor {
    type Result = ();

    fn handle(&mut self, moved: BrokerMoved, _ctx: &mut Context<Self>) {
        self.broker = moved.0;
    }
}

impl Actor for RpcServerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.restarts == 0 {
            self.set_up(ctx);
        } else {
            let delay = self
                .lifecycle
                .retry_delay(self.replier.settings.reconnect_delay);
            ctx.run_later(delay, |act, ctx| act.set_up(ctx));
        }
    }
}

impl Supervised for RpcServerActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.lifecycle.restarting();
    }
}

impl StreamHandler<Incoming> for RpcServerActor {
    fn handle(&mut self, (no_ack, item): Incoming, ctx: &mut Context<Self>) {
        match item {
            Ok(delivery) => self.on_delivery(no_ack, delivery, ctx),
            Err(e) => {
                if self.lifecycle.consumer_lost() {
                    tracing::warn!(topic = %self.names.topic, error = %e, "RPC consumer failed; restarting");
                    ctx.stop();
                }
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        // Not our own cancel: the broker cancelled (queue deleted) or the channel
        // closed. Declare and consume again.
        if self.lifecycle.consumer_lost() {
            tracing::warn!(topic = %self.names.topic, "RPC consumer ended; re-declaring");
            ctx.stop();
        }
    }
}

struct RequestDone;

impl Message for RequestDone {
    type Result = ();
}

impl Handler<RequestDone> for RpcServerActor {
    type Result = ();

    fn handle(&mut self, _: RequestDone, _ctx: &mut Context<Self>) {
        self.lifecycle.handled(1, false);
    }
}

/// Resolves once the server consumes its queues, or with [`Error::QueueMismatch`]
/// when the broker refuses to declare one of them (the server keeps trying).
#[derive(Debug, Message)]
#[rtype(result = "Result<(), Error>")]
pub struct WhenReady;

impl Handler<WhenReady> for RpcServerActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, _: WhenReady, _ctx: &mut Context<Self>) -> Self::Result {
        self.lifecycle.ready()
    }
}

/// Counts of what an RPC server received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerCounts {
    /// Deliveries received (including rejected and refused ones).
    pub received: u64,
    /// Deliveries rejected without requeue: bad properties, a body over
    /// `max_message_body_size`, or a body that is not a request.
    pub rejected: u64,
    /// Requests answered with an error without running an endpoint: an unknown method
    /// or version, or arguments that do not fit the method.
    pub refused: u64,
    /// Times the server re-declared and re-consumed after a failure.
    pub restarts: u64,
    /// Requests being handled now: acknowledged, and not yet answered.
    pub in_flight: usize,
}

/// Ask a server for its [`ServerCounts`].
#[derive(Debug, Message)]
#[rtype(result = "ServerCounts")]
pub struct ServerStats;

impl Handler<ServerStats> for RpcServerActor {
    type Result = MessageResult<ServerStats>;

    fn handle(&mut self, _: ServerStats, _ctx: &mut Context<Self>) -> Self::Result {
        MessageResult(ServerCounts {
            received: self.received,
            rejected: self.rejected,
            refused: self.refused,
            restarts: self.restarts,
            in_flight: self.lifecycle.in_flight(),
        })
    }
}

/// Stop gracefully: stop consuming, let in-flight requests finish and reply, then
/// close the channel. Resolves when done.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct StopServer;

impl Handler<StopServer> for RpcServerActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: StopServer, _ctx: &mut Context<Self>) -> Self::Result {
        self.lifecycle.begin_stop();
        self.lifecycle.wait_stopped(false)
    }
}

/// A failure injected by tests: the consumer's channel restarts as after a channel
/// error.
#[cfg(feature = "fault-injection")]
impl Handler<crate::fault::CrashChannels> for RpcServerActor {
    type Result = ();

    fn handle(&mut self, _: crate::fault::CrashChannels, _ctx: &mut Context<Self>) {
        self.lifecycle.crash_channel();
    }
}
