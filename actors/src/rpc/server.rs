//! [`RpcServerActor`]: the supervised actor that serves one RPC target.
//!
//! It declares and consumes the six queues of the Pika driver for `topic` + `server`
//! (`no_ack` and `with_ack` families: the topic queue shared by the group, the
//! server's own queue, and a fresh worker queue bound to the fanout key), with
//! `rpc_listener_prefetch_count`. For each request it validates and decodes the
//! message, acks it (before dispatch, as the Pika driver does: at most once), runs the
//! endpoint method on the actor's arbiter, and publishes the reply to
//! `rpc_reply_exchange` with the request's correlation id and content type, bounded by
//! the request's `expiration`. A message that cannot be decoded is rejected without
//! requeue, logged with its message id, and counted; the server goes on.
//!
//! Messages handled: [`WhenReady`] (resolves once consuming), [`StopServer`] (stop
//! consuming, finish in-flight requests, close the channel).
//!
//! Restart behaviour: a failed channel or consumer, or a broker `basic.cancel` (queue
//! deleted), restarts the actor after `host_connection_reconnect_delay`; it declares
//! its queues again (new worker queues) and consumes again. Requests being handled
//! run on the arbiter, not in the actor's context, so they finish across a restart.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicCancelOptions, BasicNackOptions, BasicRejectOptions};
use serde_json::Value;
use tokio::sync::oneshot;
use warren_core::{
    AckMode, MessageProperties, RemoteError, RpcReply, RpcRequest, Serializer, WorkerIds,
    rpc_server_topology,
};

use super::dispatcher::Dispatcher;
use crate::Error;
use crate::amqp;
use crate::connection::OpenChannel;
use crate::incoming::decode_properties;
use crate::outgoing::to_amqp;
use crate::publish::{Outgoing, RetryOn, Send};
use crate::transport::Shared;

enum Phase {
    SettingUp,
    Consuming {
        channel: lapin::Channel,
        tags: Vec<String>,
    },
    Stopping {
        channel: Option<lapin::Channel>,
    },
    Stopped,
}

/// The RPC server actor; see the module docs.
pub struct RpcServerActor {
    shared: Shared,
    exchange: String,
    topic: String,
    server: String,
    dispatcher: Rc<Dispatcher>,
    phase: Phase,
    in_flight: usize,
    restarts: u64,
    rejected: u64,
    ready_waiters: Vec<oneshot::Sender<()>>,
    stop_waiters: Vec<oneshot::Sender<()>>,
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
            phase: Phase::SettingUp,
            in_flight: 0,
            restarts: 0,
            rejected: 0,
            ready_waiters: Vec::new(),
            stop_waiters: Vec::new(),
        }
    }

    fn set_up(&mut self, ctx: &mut Context<Self>) {
        if !matches!(self.phase, Phase::SettingUp) {
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
                if !matches!(act.phase, Phase::SettingUp) {
                    // Stopped while setting up: do not start serving after all.
                    drop(consumers);
                    actix::spawn(async move {
                        let _ = channel.close(200, "RPC server stopped".into()).await;
                    });
                    return;
                }
                let tags = consumers.iter().map(|(_, c)| c.tag().to_string()).collect();
                for (no_ack, consumer) in consumers {
                    ctx.add_stream(consumer.map(move |d| (no_ack, d)));
                }
                act.phase = Phase::Consuming { channel, tags };
                tracing::info!(topic = %act.topic, server = %act.server, "RPC server consuming");
                for w in act.ready_waiters.drain(..) {
                    let _ = w.send(());
                }
            }
            Err(Error::InvalidTarget { reason }) => {
                tracing::error!(topic = %act.topic, %reason, "RPC server cannot serve this target");
                act.finish_stopped();
            }
            Err(Error::Shutdown) => act.finish_stopped(),
            Err(e) => {
                tracing::warn!(topic = %act.topic, error = %e, "RPC server set-up failed; retrying");
                ctx.stop();
            }
        }));
    }

    fn on_delivery(&mut self, no_ack: bool, delivery: Delivery, ctx: &mut Context<Self>) {
        if matches!(self.phase, Phase::Stopping { .. } | Phase::Stopped) && !no_ack {
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
        self.in_flight += 1;
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

    fn finish_stopped(&mut self) {
        self.phase = Phase::Stopped;
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
        // Dropping the senders answers `ready()` with `Shutdown`.
        self.ready_waiters.clear();
    }

    fn finish_stop_if_drained(&mut self) {
        if self.in_flight > 0 {
            return;
        }
        if let Phase::Stopping { channel } = &mut self.phase {
            if let Some(channel) = channel.take() {
                actix::spawn(async move {
                    let _ = channel.close(200, "RPC server stopped".into()).await;
                });
            }
            self.phase = Phase::Stopped;
            for w in self.stop_waiters.drain(..) {
                let _ = w.send(());
            }
        }
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
        match self.phase {
            Phase::Stopping { .. } => {
                // The channel is gone; unacked requests return to the queue.
                self.phase = Phase::Stopping { channel: None };
            }
            Phase::Stopped => {}
            _ => self.phase = Phase::SettingUp,
        }
    }
}

impl StreamHandler<(bool, lapin::Result<Delivery>)> for RpcServerActor {
    fn handle(&mut self, (no_ack, item): (bool, lapin::Result<Delivery>), ctx: &mut Context<Self>) {
        match item {
            Ok(delivery) => self.on_delivery(no_ack, delivery, ctx),
            Err(e) => {
                if matches!(self.phase, Phase::Consuming { .. }) {
                    tracing::warn!(topic = %self.topic, error = %e, "RPC consumer failed; restarting");
                    ctx.stop();
                }
            }
        }
    }

    fn finished(&mut self, ctx: &mut Context<Self>) {
        if matches!(self.phase, Phase::Consuming { .. }) {
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
        self.in_flight = self.in_flight.saturating_sub(1);
        self.finish_stop_if_drained();
    }
}

/// Resolves once the server consumes its queues.
#[derive(Debug, Message)]
#[rtype(result = "Result<(), Error>")]
pub struct WhenReady;

impl Handler<WhenReady> for RpcServerActor {
    type Result = ResponseFuture<Result<(), Error>>;

    fn handle(&mut self, _: WhenReady, _ctx: &mut Context<Self>) -> Self::Result {
        match self.phase {
            Phase::Consuming { .. } => Box::pin(async { Ok(()) }),
            Phase::Stopping { .. } | Phase::Stopped => Box::pin(async { Err(Error::Shutdown) }),
            Phase::SettingUp => {
                let (tx, rx) = oneshot::channel();
                self.ready_waiters.push(tx);
                Box::pin(async move { rx.await.map_err(|_| Error::Shutdown) })
            }
        }
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
        let phase = std::mem::replace(&mut self.phase, Phase::Stopping { channel: None });
        match phase {
            Phase::Consuming { channel, tags } => {
                let cancel_on = channel.clone();
                actix::spawn(async move {
                    for tag in tags {
                        let _ = cancel_on
                            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                            .await;
                    }
                });
                self.phase = Phase::Stopping {
                    channel: Some(channel),
                };
            }
            Phase::Stopped => self.phase = Phase::Stopped,
            other => self.phase = other,
        }
        if matches!(self.phase, Phase::SettingUp) {
            self.phase = Phase::Stopping { channel: None };
        }
        for w in self.ready_waiters.drain(..) {
            drop(w);
        }
        let (tx, rx) = oneshot::channel();
        self.stop_waiters.push(tx);
        self.finish_stop_if_drained();
        Box::pin(async move {
            let _ = tokio::time::timeout(Duration::from_secs(3600), rx).await;
        })
    }
}
