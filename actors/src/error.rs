//! [`Error`]: everything a warren caller can be told, one variant per thing to do.

use std::time::Duration;

use lapin::protocol::{AMQPErrorKind, AMQPHardError, AMQPSoftError};
use warren_core::{
    ConfigError, QueueType, RemoteError, RemoteErrorRegistry, VersionCapError, WireError,
};

use crate::connection::ConnectFailure;

/// The RabbitMQ deprecated feature that covers non-durable, non-exclusive queues.
const TRANSIENT_QUEUES_FEATURE: &str = "transient_nonexcl_queues";

/// What went wrong with a warren operation.
///
/// Each variant is a different situation for the caller: [`Error::is_retryable`] tells
/// the ones where trying again later may succeed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No answer within the time allowed. The request may still be processed.
    #[error("timed out after {after:?} waiting for {waiting_for}")]
    Timeout {
        /// What was being waited for.
        waiting_for: &'static str,
        /// The time allowed.
        after: Duration,
    },
    /// A mandatory message could not be routed to any queue: nobody listens on that
    /// target (start a server for the topic, or check the exchange and topic names).
    #[error(
        "message to exchange {exchange:?} with routing key {routing_key:?} could not be \
         delivered to any queue: no server or listener is bound to it"
    )]
    Undeliverable {
        /// The exchange published to.
        exchange: String,
        /// The routing key used.
        routing_key: String,
    },
    /// The broker refused the message (`basic.nack`), for example because a queue
    /// limit was reached.
    #[error(
        "the broker rejected the message to exchange {exchange:?} (routing key {routing_key:?})"
    )]
    Rejected {
        /// The exchange published to.
        exchange: String,
        /// The routing key used.
        routing_key: String,
    },
    /// No usable connection to any broker host; warren keeps reconnecting.
    #[error("RabbitMQ connection unavailable: {reason}")]
    ConnectionUnavailable {
        /// What failed, without credentials.
        reason: String,
    },
    /// Every host of the transport URL refused the connection for a reason that
    /// repeats until an operator acts (see [`ConnectFailure::needs_operator`]): a TLS
    /// certificate problem, TLS to a plain port or the reverse, a refused login or
    /// virtual host. `host` is the last host tried; the failure says what to change.
    /// warren keeps trying, so a fix takes effect without a restart.
    #[error("could not connect to RabbitMQ at {host}: {failure}")]
    ConnectFailed {
        /// The host (`host:port`) of the last attempt.
        host: String,
        /// Why it failed.
        failure: ConnectFailure,
    },
    /// The connection was lost while a call was waiting for `waiting_for`: the call
    /// failed at once instead of waiting for its timeout. The request may or may not
    /// have been processed; call again only if that is safe for this method.
    #[error(
        "the RabbitMQ connection was lost while waiting for {waiting_for} ({reason}); \
         the request may or may not have been processed"
    )]
    ConnectionLost {
        /// What the call was waiting for.
        waiting_for: &'static str,
        /// What failed, without credentials.
        reason: String,
    },
    /// The broker blocked publishing on the connection (a resource alarm: memory or
    /// disk) and the caller's time ran out while waiting for `waiting_for`. A message
    /// already published may still be delivered once the alarm clears; free broker
    /// memory or disk.
    #[error(
        "RabbitMQ blocked publishing on this connection ({reason}); gave up after \
         {after:.1?} waiting for {waiting_for}. A message already published may still be \
         delivered once the broker's resource alarm clears"
    )]
    Blocked {
        /// The broker's reason, for example `low on memory`.
        reason: String,
        /// What was being waited for.
        waiting_for: &'static str,
        /// The time allowed.
        after: Duration,
    },
    /// The broker refused an operation on a channel (for example an exchange
    /// declaration whose durability differs from the existing exchange's).
    #[error("the broker refused {operation}: {reason}")]
    Broker {
        /// The AMQP operation.
        operation: String,
        /// The broker's reply text.
        reason: String,
    },
    /// The broker refused to declare a queue because one of that name exists with
    /// other properties (`406 PRECONDITION_FAILED`): a classic queue while
    /// `quorum_queues` is on (RabbitMQ then names `durable` first, as quorum queues are
    /// always durable) or the reverse, another durability (`notification_persistence`)
    /// or another `x-expires` (`rpc_queue_expiration`). Retrying does not help until
    /// someone deletes the queue or changes the option; listeners and servers keep
    /// retrying, so either fix takes effect without a restart.
    #[error(
        "the broker refused to declare queue {queue:?} as a {} {queue_type} queue: a queue \
         of that name exists with other properties ({reason}). Every service sharing a \
         queue must declare it alike: either delete the queue so it is declared anew \
         (`rabbitmqctl delete_queue {queue}`; the messages in it are lost), or set \
         quorum_queues, durable_queues, notification_persistence and \
         rpc_queue_expiration in [oslo_messaging_pika] as the services already using it \
         do (Python services declare classic, non-durable queues: keep quorum_queues = \
         false and durable_queues = false)",
        if *.durable { "durable" } else { "non-durable" }
    )]
    QueueMismatch {
        /// The queue.
        queue: String,
        /// The type warren declared it with.
        queue_type: QueueType,
        /// Whether warren declared it durable.
        durable: bool,
        /// The broker's reply text, naming the first argument that differs.
        reason: String,
    },
    /// The broker refused to declare a non-durable, non-exclusive queue and closed the
    /// connection (`541 INTERNAL_ERROR`): RabbitMQ 4.3 and later deny the deprecated
    /// feature `transient_nonexcl_queues` by default, and the Pika driver's RPC, reply
    /// and (without `notification_persistence`) notification queues are such queues.
    /// Retrying does not help until the broker or warren is configured otherwise;
    /// servers and listeners keep retrying (every 10 s at most, as each attempt costs
    /// a connection), so either fix takes effect without a restart.
    #[error(
        "RabbitMQ refused to declare queue {queue:?} and closed the connection: it no \
         longer permits non-durable, non-exclusive queues (the deprecated feature \
         `transient_nonexcl_queues`, denied by default since RabbitMQ 4.3). Either permit \
         them on the broker with `deprecated_features.permit.transient_nonexcl_queues = \
         true` in rabbitmq.conf (needed while Python services share these topics), or set \
         durable_queues = true (or quorum_queues = true) in [oslo_messaging_pika] so that \
         warren declares durable queues (only on topics no Python service shares: they \
         declare these queues non-durable). The broker said: {reason}"
    )]
    TransientQueuesRefused {
        /// The queue.
        queue: String,
        /// The broker's reply text, on one line (RabbitMQ cuts it at 255 characters,
        /// before the setting's name).
        reason: String,
    },
    /// The target cannot be used for this operation.
    #[error("invalid target: {reason}")]
    InvalidTarget {
        /// Why.
        reason: String,
    },
    /// The remote endpoint raised an exception: its class, module, message and
    /// traceback as the server sent them (a Python `ValueError` has class
    /// `ValueError`, module `builtins`).
    #[error("{0}")]
    Remote(RemoteError),
    /// The request's version is above the client's version cap
    /// ([`crate::RpcClient::with_version_cap`]), so it was not sent: oslo's
    /// `RPCVersionCapError`. Send an older form of the request (ask
    /// [`crate::RpcClient::can_send_version`] first), or raise the cap once every
    /// server is upgraded.
    #[error("{0}")]
    VersionCap(#[from] VersionCapError),
    /// The client's [`warren_core::EntitySerializer`] refused an argument or the
    /// context (nothing was sent), or the result of a call (the call ran).
    #[error("the entity serializer refused the {what} of {method:?}: {reason}")]
    EntitySerializer {
        /// The method called.
        method: String,
        /// What was refused: `arguments`, `context` or `result`.
        what: &'static str,
        /// What the serializer reported.
        reason: String,
    },
    /// A message could not be encoded, or a reply could not be decoded.
    #[error("{0}")]
    Wire(#[from] WireError),
    /// The arguments of a call or cast could not be serialized.
    #[error("the arguments of {method:?} cannot be serialized: {reason}")]
    Arguments {
        /// The method called.
        method: String,
        /// What serde reported.
        reason: String,
    },
    /// The result of a call is not of the type asked for.
    #[error("the result of {method:?} is not of the expected type: {reason}")]
    Result {
        /// The method called.
        method: String,
        /// What serde reported.
        reason: String,
    },
    /// An endpoint given to a server is unusable (for example a version that is not
    /// `X.Y`).
    #[error("invalid endpoint: {reason}")]
    InvalidEndpoint {
        /// What is wrong.
        reason: String,
    },
    /// The configuration is unusable.
    #[error("invalid configuration: {reason}")]
    Config {
        /// What is wrong, and where, without secrets.
        reason: String,
    },
    /// The transport (or the actor) was shut down.
    #[error("warren transport is shut down")]
    Shutdown,
    /// A graceful stop ([`crate::RpcServer::stop_within`],
    /// [`crate::NotificationListener::stop_within`]) did not finish in time: the server
    /// or listener no longer consumes, but `in_flight` handlers still run. They go on
    /// until the transport is closed; closing it abandons them. An abandoned RPC request
    /// gets no reply (it was acknowledged on receipt, as the Pika driver does, so it is
    /// not delivered again and its caller times out); an abandoned notification is not
    /// acknowledged, so the broker delivers it again to another listener.
    #[error(
        "stopping gracefully timed out after {after:?}: {what} still in progress: \
         {in_flight}; closing the transport abandons them"
    )]
    DrainTimedOut {
        /// What was being drained: `RPC requests` or `notification handlers`.
        what: &'static str,
        /// Handlers still running when the time ran out (a batch counts once), plus,
        /// for a batching listener, the notifications buffered for its next batch.
        in_flight: usize,
        /// The time allowed.
        after: Duration,
    },
}

impl Error {
    /// Whether the same operation may succeed if tried again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Timeout { .. }
                | Error::Undeliverable { .. }
                | Error::Rejected { .. }
                | Error::ConnectionUnavailable { .. }
                | Error::ConnectionLost { .. }
                | Error::Blocked { .. }
        )
    }

    /// The remote exception, when the endpoint raised one ([`Error::Remote`]).
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            Error::Remote(remote) => Some(remote),
            _ => None,
        }
    }

    /// The caller's own error for a remote exception whose class `registry` knows;
    /// `None` for any other error, or a remote class it does not know (read that one
    /// with [`Error::remote`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use warren::{Error, RemoteError, RemoteErrorRegistry};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum NovaError { InstanceNotFound(String) }
    ///
    /// let registry = RemoteErrorRegistry::new().register(
    ///     "nova.exception",
    ///     "InstanceNotFound",
    ///     |e| NovaError::InstanceNotFound(e.message.clone()),
    /// );
    /// let err = Error::Remote(RemoteError::new("InstanceNotFound", "nova.exception", "gone"));
    /// assert_eq!(err.remote_as(&registry), Some(NovaError::InstanceNotFound("gone".into())));
    /// assert_eq!(Error::Shutdown.remote_as(&registry), None);
    /// ```
    pub fn remote_as<E>(&self, registry: &RemoteErrorRegistry<E>) -> Option<E> {
        self.remote().and_then(|remote| registry.map(remote))
    }

    /// Map a lapin error met while declaring `queue` (of `queue_type`, `durable`): a
    /// `406 PRECONDITION_FAILED` becomes [`Error::QueueMismatch`], RabbitMQ 4.3's refusal
    /// of a non-durable queue [`Error::TransientQueuesRefused`]; both say what to do
    /// about it.
    pub(crate) fn from_queue_declare(
        queue: &str,
        queue_type: QueueType,
        durable: bool,
        error: &lapin::Error,
    ) -> Self {
        match error.kind() {
            lapin::ErrorKind::ProtocolError(amqp)
                if matches!(
                    amqp.kind(),
                    AMQPErrorKind::Hard(AMQPHardError::INTERNALERROR)
                ) && amqp
                    .get_message()
                    .as_str()
                    .contains(TRANSIENT_QUEUES_FEATURE) =>
            {
                Error::TransientQueuesRefused {
                    queue: queue.to_owned(),
                    reason: amqp.get_message().as_str().replace('\n', " "),
                }
            }
            lapin::ErrorKind::ProtocolError(amqp)
                if matches!(
                    amqp.kind(),
                    AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED)
                ) =>
            {
                Error::QueueMismatch {
                    queue: queue.to_owned(),
                    queue_type,
                    durable,
                    reason: amqp.get_message().to_string(),
                }
            }
            _ => Self::from_lapin(&format!("queue.declare {queue:?}"), error),
        }
    }

    /// Map a lapin error met while doing `operation`.
    pub(crate) fn from_lapin(operation: &str, error: &lapin::Error) -> Self {
        match error.kind() {
            lapin::ErrorKind::ProtocolError(amqp) if error.is_amqp_soft_error() => Error::Broker {
                operation: operation.to_owned(),
                reason: amqp.to_string(),
            },
            _ => Error::ConnectionUnavailable {
                reason: format!("{operation} failed: {error}"),
            },
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config {
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use lapin::protocol::AMQPError;

    use super::*;

    fn closed_with(kind: AMQPSoftError, text: &str) -> lapin::Error {
        lapin::ErrorKind::ProtocolError(AMQPError::new(kind.into(), text.into())).into()
    }

    #[test]
    fn a_406_on_queue_declare_says_what_to_do() {
        // What RabbitMQ 3.10 answers when a classic queue is declared as quorum.
        let text = "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'q' in vhost \
                    '/': received 'true' but current is 'false'";
        let refused = closed_with(AMQPSoftError::PRECONDITIONFAILED, text);
        let e = Error::from_queue_declare("q", QueueType::Quorum, true, &refused);
        assert!(matches!(&e, Error::QueueMismatch { queue, .. } if queue == "q"));
        assert!(!e.is_retryable());
        let shown = e.to_string();
        let hints = [
            "declare queue \"q\" as a durable quorum queue",
            text,
            "rabbitmqctl delete_queue q",
            "quorum_queues = false",
        ];
        for hint in hints {
            assert!(shown.contains(hint), "{hint:?} missing from: {shown}");
        }
    }

    /// What RabbitMQ 4.3 closes the connection with when a non-durable, non-exclusive
    /// queue is declared and the deprecated feature is not permitted: its denial text,
    /// cut by the broker at 255 characters (before the setting it names). Taken from
    /// rabbitmq-server: `rabbit_amqqueue` raises `internal_error` with
    /// `rabbit_deprecated_features:get_warning(transient_nonexcl_queues)` (phase
    /// `denied_by_default`), and `rabbit_binary_generator` formats the reply text with
    /// `chars_limit` 255; checked with Erlang/OTP's `io_lib:format`.
    const RABBITMQ_4_3_REFUSAL: &str = "INTERNAL_ERROR - Feature `transient_nonexcl_queues` is \
        deprecated.\nBy default, this feature is not permitted anymore.\nThe feature will be \
        removed from a future major RabbitMQ version, regardless of the configuration; actual \
        version to be determined.\nTo...";

    fn connection_closed_with(kind: AMQPHardError, text: &str) -> lapin::Error {
        lapin::ErrorKind::ProtocolError(AMQPError::new(kind.into(), text.into())).into()
    }

    #[test]
    fn rabbitmq_4_3_refusing_a_transient_queue_names_both_ways_out() {
        assert_eq!(RABBITMQ_4_3_REFUSAL.len(), 255);
        let refused = connection_closed_with(AMQPHardError::INTERNALERROR, RABBITMQ_4_3_REFUSAL);
        let e = Error::from_queue_declare("with_ack.t", QueueType::Classic, false, &refused);
        assert!(
            matches!(&e, Error::TransientQueuesRefused { queue, .. } if queue == "with_ack.t"),
            "{e:?}"
        );
        assert!(!e.is_retryable());
        let shown = e.to_string();
        for hint in [
            "\"with_ack.t\"",
            "deprecated_features.permit.transient_nonexcl_queues = true",
            "durable_queues = true",
            "quorum_queues = true",
            "Feature `transient_nonexcl_queues` is deprecated. By default",
        ] {
            assert!(shown.contains(hint), "{hint:?} missing from: {shown}");
        }
        assert!(!shown.contains('\n'), "one line: {shown}");
    }

    #[test]
    fn other_internal_errors_are_not_taken_for_the_refusal() {
        let other = connection_closed_with(AMQPHardError::INTERNALERROR, "INTERNAL_ERROR");
        let e = Error::from_queue_declare("q", QueueType::Classic, false, &other);
        assert!(matches!(e, Error::ConnectionUnavailable { .. }), "{e:?}");
    }

    #[test]
    fn other_refusals_stay_broker_errors() {
        let refused = closed_with(AMQPSoftError::ACCESSREFUSED, "ACCESS_REFUSED - no access");
        let e = Error::from_queue_declare("q", QueueType::Classic, false, &refused);
        assert!(matches!(e, Error::Broker { .. }), "{e:?}");
    }
}
