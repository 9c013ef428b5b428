//! [`ChannelPublisher`]: the publishes of one channel and their confirms, settled in
//! rounds so that each publish learns exactly its own outcome.
//!
//! Why one task per channel rather than each publish awaiting its own confirm: lapin
//! gives each `basic.return` to whichever publish's confirm it completes next, not to
//! the publish that was returned. RabbitMQ sends a message's return before the ack
//! that covers it, but acks come out of publish order (an unroutable message is acked
//! at once, a routed one when its queue has it), so the confirm carrying a return can
//! be an earlier publish's, completed by an earlier ack, or any publish one multiple
//! ack completes together. A publish awaiting its own confirm could decide "routed"
//! before the publish carrying its return had been looked at (seen in about one run
//! in five of 400 interleaved casts).
//!
//! Here every publish is started by this task, so every confirm lapin can complete is
//! one it holds. When one completes, the task waits until lapin has finished the
//! acknowledgement that completed it, takes every confirm complete by then (again,
//! until no acknowledgement is left half-processed), puts all their carried returns
//! in the [`ReturnLedger`], and only then settles each publish.

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use lapin::BasicProperties;
use lapin::Confirmation;
use lapin::message::BasicReturnMessage;
use tokio::sync::{mpsc, oneshot};

use super::confirmed_publish::{Outgoing, PublishFailure, publish_and_confirm};
use super::return_ledger::{ReturnLedger, Returned};
use crate::Error;
use crate::broker::BrokerChannel;
use crate::memory::MemoryChannel;

/// What one publish ends in.
type Outcome = Result<(), PublishFailure>;

/// A publish asked for.
pub(crate) struct Request {
    message: Arc<Outgoing>,
    properties: BasicProperties,
    outcome: oneshot::Sender<Outcome>,
}

/// A publish whose confirm has come, or that failed.
struct Completed {
    message: Arc<Outgoing>,
    confirmation: Result<Confirmation, PublishFailure>,
    outcome: oneshot::Sender<Outcome>,
}

/// Hands publishes to the publishing task of one channel (on the in-memory broker,
/// which confirms at once, publishes directly). Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) enum ChannelPublisher {
    Amqp {
        requests: mpsc::UnboundedSender<Request>,
    },
    Memory(MemoryChannel),
}

impl ChannelPublisher {
    /// Start publishing on `channel`, from a task on the current arbiter for a
    /// RabbitMQ channel. The task ends once every handle is dropped and every publish
    /// handed to it has settled.
    pub(crate) fn start(channel: BrokerChannel) -> Self {
        match channel {
            BrokerChannel::Amqp(channel) => {
                let (requests, incoming) = mpsc::unbounded_channel();
                actix::spawn(publish_all(channel, incoming));
                Self::Amqp { requests }
            }
            BrokerChannel::Memory(channel) => Self::Memory(channel),
        }
    }

    /// Publish `message` with `properties` (this attempt's, in place of
    /// `message.properties`) and wait for the broker's confirm (none on a channel
    /// without confirms).
    pub(crate) async fn publish(
        &self,
        message: Arc<Outgoing>,
        properties: BasicProperties,
    ) -> Result<(), PublishFailure> {
        let requests = match self {
            Self::Amqp { requests } => requests,
            Self::Memory(channel) => return channel.publish(&message, &properties),
        };
        let (outcome, settled) = oneshot::channel();
        let request = Request {
            message,
            properties,
            outcome,
        };
        if requests.send(request).is_err() {
            return Err(PublishFailure::NotSent(Error::Shutdown));
        }
        // Dropped unanswered only when the arbiter stops under the task.
        settled
            .await
            .unwrap_or(Err(PublishFailure::InDoubt(Error::Shutdown)))
    }
}

async fn publish_all(channel: lapin::Channel, mut incoming: mpsc::UnboundedReceiver<Request>) {
    let mut outstanding = FuturesUnordered::new();
    let mut ledger = ReturnLedger::default();
    let mut open = true;
    loop {
        tokio::select! {
            request = incoming.recv(), if open => match request {
                Some(request) => outstanding.push(completion(channel.clone(), request)),
                None => open = false,
            },
            Some(first) = outstanding.next(), if !outstanding.is_empty() => {
                let mut round = vec![first];
                finish_round(&channel, &mut outstanding, &mut round, &mut ledger).await;
                settle(round, &mut ledger);
            }
            else => break,
        }
    }
}

fn completion(channel: lapin::Channel, request: Request) -> impl Future<Output = Completed> {
    publish_and_confirm(channel, request.message, request.properties).map(
        move |(message, confirmation)| Completed {
            message,
            confirmation,
            outcome: request.outcome,
        },
    )
}

/// Add to `round` every confirm that lapin completed together with, or before, the
/// ones in it, until no acknowledgement is left half-processed.
async fn finish_round<F: Future<Output = Completed>>(
    channel: &lapin::Channel,
    outstanding: &mut FuturesUnordered<F>,
    round: &mut Vec<Completed>,
    ledger: &mut ReturnLedger,
) {
    // lapin completes the publishes one acknowledgement covers while holding the
    // channel's acknowledgement lock, and `wait_for_confirms` takes that lock before
    // anything else (lapin 4.12): polling it once therefore returns only after lapin
    // has finished the acknowledgement it is working through (blocking this thread
    // for that long), so every confirm that acknowledgement covered has woken its
    // future by now. A later acknowledgement may complete part of its confirms while
    // the round drains: so barrier and drain again until a drain after a barrier finds
    // nothing new. No publish starts meanwhile, so this ends. `wait_for_confirms` also
    // takes (and here drops) the promise of the channel's last publish, which only
    // `wait_for_confirms` uses and nothing here does. What it returns at once are
    // returns of confirms nobody awaited: none here, but kept all the same.
    loop {
        if let Some(Ok(unawaited)) = channel.wait_for_confirms().now_or_never() {
            for message in unawaited {
                ledger.deposit(returned(message));
            }
        }
        let before = round.len();
        // Polled with this task's own waker (never `now_or_never`'s no-op one): the
        // set keeps the waker of its last poll, and must wake this task later.
        while let Poll::Ready(Some(completed)) = futures_util::poll!(outstanding.next()) {
            round.push(completed);
        }
        if round.len() == before {
            return;
        }
    }
}

/// Settle each publish of `round`: every carried return goes to the ledger first, then
/// each confirmed publish claims its own.
fn settle(round: Vec<Completed>, ledger: &mut ReturnLedger) {
    let mut confirmed = Vec::with_capacity(round.len());
    for completed in round {
        match completed.confirmation {
            Ok(confirmation @ (Confirmation::Ack(_) | Confirmation::Nack(_))) => {
                let acked = confirmation.is_ack();
                if let Some(carried) = confirmation.take_message() {
                    ledger.deposit(returned(carried));
                }
                confirmed.push((completed.message, acked, completed.outcome));
            }
            Ok(Confirmation::NotRequested) => {
                let _ = completed.outcome.send(Ok(()));
            }
            Err(failure) => {
                let _ = completed.outcome.send(Err(failure));
            }
        }
    }
    for (message, acked, outcome) in confirmed {
        // An unroutable mandatory message comes back *and* is acked.
        let unroutable = ledger.claim(&message.exchange, &message.routing_key, &message.body);
        let settled = match (acked, unroutable) {
            (true, false) => Ok(()),
            (true, true) => Err(PublishFailure::Unroutable),
            (false, _) => Err(PublishFailure::Nacked),
        };
        let _ = outcome.send(settled);
    }
}

fn returned(message: BasicReturnMessage) -> Returned {
    Returned {
        exchange: message.delivery.exchange.to_string(),
        routing_key: message.delivery.routing_key.to_string(),
        body: message.delivery.data,
    }
}
