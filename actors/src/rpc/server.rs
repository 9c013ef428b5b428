//! [`RpcServerActor`]: the supervised actor that serves one RPC target.
//!
//! It declares and consumes the six queues of the Pika driver for `topic` + `server`
//! (`no_ack` and `with_ack` families: the topic queue shared by the group, the
//! server's own queue, and a fresh worker queue bound to the fanout key; quorum queues
//! with `quorum_queues`), with `rpc_listener_prefetch_count`. For each request it
//! validates and decodes the message, acks it (before dispatch, as the Pika driver
//! does: at most once), runs the endpoint method on the actor's arbiter, and publishes
//! the reply to `rpc_reply_exchange` with the request's correlation id and content
//! type, bounded by the request's `expiration`. A message that cannot be decoded is
//! rejected without requeue, logged with its message id, and counted; the server goes
//! on.
//!
//! Messages handled: [`WhenReady`] (resolves once consuming, or with the error of a
//! queue the broker will not declare as asked), [`StopServer`] (stop consuming, finish
//! in-flight requests, close the channel).
//!
//! Restart behaviour: a failed channel or consumer, or a broker `basic.cancel` (queue
//! deleted), restarts the actor after `host_connection_reconnect_delay`; it declares
//! its queues again (new worker queues) and consumes again. Requests being handled
//! run on the arbiter, not in the actor's context, so they finish across a restart.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Instant;

use actix::prelude::*;
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicNackOptions, BasicRejectOptions};
use serde_json::Value;
use warren_core::{
    AckMode, MessageProperties, RemoteError, RpcReply, RpcRequest, Serializer, WorkerIds,
    rpc_server_topology,
};

use super::dispatcher::Dispatcher;
use crate::Error;
use crate::amqp;
use crate::connection::OpenChannel;
use crate::incoming::decode_properties;
use crate::lifecycle::Lifecycle;
use crate::outgoing::to_amqp;
use crate::publish::{Outgoing, RetryOn, Send};
use crate::transport::Shared;

/// The RPC server actor; see the module docs.
pub struct RpcServerActor {
    shared: Shared,
    exchange: String,
    topic: String,
    server: String,
    dispatcher: Rc<Dispatcher>,
    lifecycle: Lifecycle,
    restarts: u64,
    rejected: u64,
}

impl RpcServerActor {
    pub(crate) fn new(
        shared: Shared,
        exchange: String,
        topic: String,
        server: String,
        dispatcher: Dispatcher,
    ) -> Self {
        Self {
            shared,
            exchange,
            topic,
            server,
            dispatcher: Rc::new(dispatcher),
            lifecycle: Lifecycle::new("RPC server stopped"),
            restarts: 0,
            rejected: 0,
        }
    }

    fn set_up(&mut self, ctx: &mut Context<Self>) {
        if !self.lifecycle.is_setting_up() {
            return;
        }
        let connection = self.shared.connection.clone();
        let prefetch = self.shared.rpc.listener_prefetch;
        let topology = rpc_server_topology(
            &self.exchange,
            &self.topic,
            &self.server,
            self.shared.rpc.queue_expiration,
            WorkerIds::random(),
            self.shared.rpc.queue_type,
        );
        let setup = async move {
            let topology = topology.map_err(|e| Error::InvalidTarget {
                reason: e.to_string(),
            })?;
            let channel = connection
                .send(OpenChannel)
                .await
                .map_err(|_| Error::Shutdown)??;
            amqp::set_prefetch(&channel, prefetch).await?;
            amqp::declare_topology(&channel, &topology).await?;
            let mut consumers = Vec::new();
            for (queue, ack) in topology.consumers() {
                let no_ack = matches!(ack, AckMode::NoAck);
                consumers.push((no_ack, amqp::consume(&channel, queue, no_ack).await?));
            }
            Ok::<_, Error>((channel, consumers))
        };
        ctx.spawn(setup.into_actor(self).map(|result, act, ctx| match result {
            Ok((channel, consumers)) => {
                let tags = consumers.iter().map(|(_, c)| c.tag().to_string()).collect();
                // False when stopped while setting up: do not start serving after all.
                if act.lifecycle.consuming(channel, tags) {
                    for (no_ack, consumer) in consumers {
                        ctx.add_stream(consumer.map(move |d| (no_ack, d)));
                    }
                    tracing::info!(topic = %act.topic, server = %act.server, "RPC server consuming");
                }
            }
            Err(Error::InvalidTarget { reason }) => {
                tracing::error!(topic = %act.topic, %reason, "RPC server cannot serve this target");
                act.lifecycle.stopped();
            }
            Err(Error::Shutdown) => act.lifecycle.stopped(),
            Err(e) => {
                tracing::warn!(topic = %act.topic, error = %e, "RPC server set-up failed; retrying");
                act.lifecycle.set_up_failed(&e);
                ctx.stop();
            }
        }));
    }

    fn on_delivery(&mut self, no_ack: bool, delivery: Delivery, ctx: &mut Context<Self>) {
        if self.lifecycle.is_stopping() && !no_ack {
            // Stopping: hand the request back to the broker for another server.
            let acker = delivery.acker.clone();
            actix::spawn(async move {
                let _ = acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await;
            });
            return;
        }
        let received = Instant::now();
        let decoded = decode_properties(&delivery.properties).and_then(|props| {
            RpcRequest::from_body(props.serializer, &delivery.data)
                .map(|request| (props, request))
                .map_err(Error::from)
        });
        let (props, request) = match decoded {
            Ok(ok) => ok,
            Err(e) => {
                self.rejected += 1;
                let message_id = delivery
                    .properties
                    .message_id()
                    .as_ref()
                    .map(|m| m.to_string());
                tracing::warn!(topic = %self.topic, ?message_id, error = %e, rejected = self.rejected, "rejecting an undecodable RPC request");
                if !no_ack {
                    let acker = delivery.acker.clone();
                    actix::spawn(async move {
                        let _ = acker.reject(BasicRejectOptions { requeue: false }).await;
                    });
                }
                return;
            }
        };
        self.lifecycle.handling(1);
        let acker = (!no_ack).then(|| delivery.acker.clone());
        let dispatcher = self.dispatcher.clone();
        let shared = self.shared.clone();
        let me = ctx.address();
        actix::spawn(async move {
            // Ack before dispatch (at most once, as the Pika driver): a request whose
            // ack fails is skipped, since the broker will deliver it again.
            if let Some(acker) = acker
                && let Err(e) = acker.ack(BasicAckOptions::default()).await
            {
                tracing::debug!(error = %e, "could not ack a request; skipping it");
                me.do_send(RequestDone);
                return;
            }
            // A panicking endpoint (in its body or while building its future) must not
            // leave its caller waiting nor the server unable to stop: answer with a
            // remote error instead.
            let work = async move { dispatcher.dispatch(request).await };
            let result = AssertUnwindSafe(work)
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    tracing::error!("an RPC endpoint method panicked");
                    Err(RemoteError::new(
                        "RuntimeError",
                        "builtins",
                        "the endpoint method panicked",
                    ))
                });
            if let (Some(reply_to), Some(correlation_id)) = (props.reply_to, props.correlation_id) {
                let deadline = props.expiration.map(|e| received + e);
                send_reply(
                    &shared,
                    reply_to,
                    correlation_id,
                    props.serializer,
                    deadline,
                    result,
                )
                .await;
            }
            me.do_send(RequestDone);
        });
    }
}

async fn send_reply(
    shared: &Shared,
    reply_to: String,
    correlation_id: String,
    serializer: Serializer,
    deadline: Option<Instant>,
    result: Result<Value, RemoteError>,
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
    let settings = &shared.rpc;
    let outgoing = Outgoing {
        exchange: settings.reply_exchange.clone(),
        routing_key: reply_to,
        mandatory: true,
        body,
        properties: to_amqp(&MessageProperties::rpc_reply(
            serializer,
            correlation_id.clone(),
            None,
        )),
    };
    let send = Send {
        pool: &shared.pool,
        connection: &shared.connection,
        pool_timeout: settings.pool_timeout,
        policy: settings.policy(settings.reply_retry, settings.reply_retry_delay),
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
    if let Err(e) = send.run(&outgoing, || async {}).await {
        tracing::warn!(%correlation_id, error = %e, "reply not delivered");
    }
}

impl Actor for RpcServerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.restarts == 0 {
            self.set_up(ctx);
        } else {
            ctx.run_later(self.shared.rpc.reconnect_delay, |act, ctx| act.set_up(ctx));
        }
    }
}

impl Supervised for RpcServerActor {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.restarts += 1;
        self.lifecycle.restarting();
    }
}

impl StreamHandler<(bool, lapin::Result<Delivery>)> for RpcServerActor {
    fn handle(&mut self, (no_ack, item): (bool, lapin::Result<Delivery>), ctx: &mut Context<Self>) {
        match item {
            Ok(delivery) => self.on_delivery(no_ack, delivery, ctx),
            Err(e) => {
                if self.lifecycle.is_consuming() {
                    tracing::warn!(topic = %self.topic, error = %e, "RPC consumer failed; restarting");
                    ctx.stop();
                }
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        if self.lifecycle.is_consuming() {
            // Not our own cancel: the broker cancelled (queue deleted) or the channel
            // closed. Declare and consume again.
            tracing::warn!(topic = %self.topic, "RPC consumer ended; re-declaring");
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
