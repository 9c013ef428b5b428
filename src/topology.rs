//! [`Topology`]: the exchanges, queues and bindings a listener or sender needs, as data.
//!
//! The runtime declares a topology when a listener starts and declares it again after
//! every reconnect, so the broker objects are described once, here, and replayed
//! verbatim. The arguments are those of the Python driver: a shared object declared
//! with different arguments makes RabbitMQ close the channel with `406
//! PRECONDITION_FAILED`, so they must match field for field.

use std::time::Duration;

use crate::naming::{AckMode, NameError, check_name};
use crate::queue_type::QueueType;

/// The exchange type. The Pika driver only uses `direct` exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ExchangeKind {
    /// `direct`: a message goes to the queues bound with its exact routing key.
    #[default]
    Direct,
}

impl ExchangeKind {
    /// The type name of `exchange.declare`: `direct`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeKind::Direct => "direct",
        }
    }
}

/// One `exchange.declare` (not passive, not internal, no arguments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeDeclaration {
    /// The exchange name.
    pub name: String,
    /// The exchange type (always `direct`).
    pub kind: ExchangeKind,
    /// Survives a broker restart: `false` for RPC and reply exchanges,
    /// `notification_persistence` for notification exchanges.
    pub durable: bool,
    /// Deleted by the broker when its last binding goes: always `true`, even for a
    /// durable notification exchange.
    pub auto_delete: bool,
}

impl ExchangeDeclaration {
    /// A driver exchange: `direct`, auto-delete, durable as given.
    ///
    /// # Errors
    ///
    /// [`NameError::TooLong`] when `name` exceeds 255 bytes.
    pub fn direct(name: &str, durable: bool) -> Result<Self, NameError> {
        Ok(Self {
            name: check_name(name.to_owned())?,
            kind: ExchangeKind::Direct,
            durable,
            auto_delete: true,
        })
    }
}

/// The `arguments` table of a `queue.declare`.
///
/// Only RPC server and reply queues carry `x-expires`; notification queues carry
/// nothing (see [`QueueArguments::expiring`]). With `quorum_queues`, notification and
/// RPC server queues also carry `x-queue-type` (see [`QueueArguments::of_type`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueArguments {
    /// `x-expires`: milliseconds an unused queue lives before the broker deletes it.
    pub x_expires_ms: Option<i64>,
    /// `x-queue-type`; [`QueueType::Classic`] sends no argument.
    pub queue_type: QueueType,
}

/// A value of an AMQP field table, in the field type the Python driver (or, for what
/// it never sends, RabbitMQ's documentation) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgumentValue {
    /// Signed 32-bit, field type `I` (lapin `AMQPValue::LongInt`), as in the captures.
    LongInt(i32),
    /// Signed 64-bit, field type `l` (lapin `AMQPValue::LongLongInt`), for values that do
    /// not fit 32 bits. RabbitMQ treats both widths as the same argument.
    LongLongInt(i64),
    /// A string, field type `S` (lapin `AMQPValue::LongString`), as RabbitMQ expects
    /// for `x-queue-type`.
    LongString(&'static str),
}

impl ArgumentValue {
    /// The narrowest of the two widths that holds `value`.
    pub fn from_i64(value: i64) -> Self {
        i32::try_from(value).map_or(Self::LongLongInt(value), Self::LongInt)
    }
}

impl QueueArguments {
    /// No arguments: the table is empty.
    pub fn none() -> Self {
        Self::default()
    }

    /// `x-expires` = `rpc_queue_expiration` in milliseconds, or no argument at all when
    /// the expiration is zero (oslo's rule: the argument is set only when > 0).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use warren_core::QueueArguments;
    /// assert_eq!(QueueArguments::expiring(Duration::from_secs(60)).x_expires_ms, Some(60_000));
    /// assert_eq!(QueueArguments::expiring(Duration::ZERO).x_expires_ms, None);
    /// ```
    pub fn expiring(rpc_queue_expiration: Duration) -> Self {
        let ms = i64::try_from(rpc_queue_expiration.as_millis()).unwrap_or(i64::MAX);
        Self {
            x_expires_ms: (ms > 0).then_some(ms),
            queue_type: QueueType::Classic,
        }
    }

    /// The same arguments for a queue of type `queue_type`.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::{ArgumentValue, QueueArguments, QueueType};
    /// let args = QueueArguments::none().of_type(QueueType::Quorum);
    /// assert_eq!(args.to_pairs(), vec![("x-queue-type", ArgumentValue::LongString("quorum"))]);
    /// ```
    pub fn of_type(self, queue_type: QueueType) -> Self {
        Self { queue_type, ..self }
    }

    /// The table as `(key, value)` pairs, ready to copy into a field table.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use warren_core::{ArgumentValue, QueueArguments};
    /// let args = QueueArguments::expiring(Duration::from_secs(60));
    /// assert_eq!(args.to_pairs(), vec![("x-expires", ArgumentValue::LongInt(60_000))]);
    /// assert!(QueueArguments::none().to_pairs().is_empty());
    /// ```
    pub fn to_pairs(&self) -> Vec<(&'static str, ArgumentValue)> {
        let expires = self
            .x_expires_ms
            .map(|ms| ("x-expires", ArgumentValue::from_i64(ms)));
        let queue_type = self
            .queue_type
            .x_queue_type()
            .map(|t| ("x-queue-type", ArgumentValue::LongString(t)));
        expires.into_iter().chain(queue_type).collect()
    }
}

/// One `queue.declare` (not passive, not exclusive, not auto-delete), plus how the
/// listener that owns the topology consumes the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDeclaration {
    /// The queue name.
    pub name: String,
    /// Survives a broker restart: `false` for RPC and reply queues,
    /// `notification_persistence` for notification queues; always `true` for a quorum
    /// queue.
    pub durable: bool,
    /// Always `false`: queues are shared between processes.
    pub exclusive: bool,
    /// Always `false`: unused RPC queues go away through `x-expires` instead.
    pub auto_delete: bool,
    /// The `arguments` table.
    pub arguments: QueueArguments,
    /// How the owner consumes the queue: [`AckMode::NoAck`] means `basic.consume` with
    /// `no_ack=true`. `None` when the queue is only declared (a sender's store-and-forward
    /// queue).
    pub consume: Option<AckMode>,
}

impl QueueDeclaration {
    /// A queue, durable when asked or when its type requires it: RabbitMQ refuses a
    /// non-durable quorum queue, so `quorum_queues` overrides a `false` here.
    pub(crate) fn new(
        name: String,
        durable: bool,
        arguments: QueueArguments,
        consume: Option<AckMode>,
    ) -> Self {
        Self {
            name,
            durable: durable || arguments.queue_type.is_always_durable(),
            exclusive: false,
            auto_delete: false,
            arguments,
            consume,
        }
    }
}

/// One `queue.bind` (no arguments).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Binding {
    /// The exchange the queue is bound on.
    pub exchange: String,
    /// The bound queue.
    pub queue: String,
    /// The routing key.
    pub routing_key: String,
}

/// One step of declaring a [`Topology`], in the order [`Topology::declarations`] gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declaration<'a> {
    /// `exchange.declare`.
    Exchange(&'a ExchangeDeclaration),
    /// `queue.declare`.
    Queue(&'a QueueDeclaration),
    /// `queue.bind`.
    Bind(&'a Binding),
}

/// The broker objects one listener or sender needs, in declaration order.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use warren_core::{rpc_server_topology, QueueType, WorkerIds};
/// let topo = rpc_server_topology(
///     "openstack_rpc", "compute", "host1", Duration::from_secs(60), WorkerIds::random(),
///     QueueType::Classic,
/// ).unwrap();
/// assert_eq!(topo.queues.len(), 6);
/// assert_eq!(topo.queues[0].name, "no_ack.compute");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Topology {
    /// Exchanges, each once.
    pub exchanges: Vec<ExchangeDeclaration>,
    /// Queues, each once, in the order they are declared and consumed.
    pub queues: Vec<QueueDeclaration>,
    /// Bindings, in the order they are made.
    pub bindings: Vec<Binding>,
}

impl Topology {
    /// Every step: exchanges, then queues, then bindings — an order in which each step
    /// only needs objects declared before it.
    pub fn declarations(&self) -> impl Iterator<Item = Declaration<'_>> {
        self.exchanges
            .iter()
            .map(Declaration::Exchange)
            .chain(self.queues.iter().map(Declaration::Queue))
            .chain(self.bindings.iter().map(Declaration::Bind))
    }

    /// The queues to consume, in order, with their ack mode.
    pub fn consumers(&self) -> impl Iterator<Item = (&str, AckMode)> {
        self.queues
            .iter()
            .filter_map(|q| q.consume.map(|ack| (q.name.as_str(), ack)))
    }

    /// Adds `other`'s objects, skipping exchanges and queues already present by name and
    /// bindings already present.
    ///
    /// A listener on targets in several exchanges builds one topology per exchange and
    /// merges them.
    pub fn merge(&mut self, other: Topology) {
        for e in other.exchanges {
            self.add_exchange(e);
        }
        for q in other.queues {
            self.add_queue(q);
        }
        for b in other.bindings {
            self.add_binding(b);
        }
    }

    pub(crate) fn add_exchange(&mut self, exchange: ExchangeDeclaration) {
        if !self.exchanges.iter().any(|e| e.name == exchange.name) {
            self.exchanges.push(exchange);
        }
    }

    pub(crate) fn add_queue(&mut self, queue: QueueDeclaration) {
        if !self.queues.iter().any(|q| q.name == queue.name) {
            self.queues.push(queue);
        }
    }

    pub(crate) fn add_binding(&mut self, binding: Binding) {
        if !self.bindings.contains(&binding) {
            self.bindings.push(binding);
        }
    }

    pub(crate) fn bind(&mut self, exchange: &str, queue: &str, routing_key: &str) {
        self.add_binding(Binding {
            exchange: exchange.to_owned(),
            queue: queue.to_owned(),
            routing_key: routing_key.to_owned(),
        });
    }

    /// A direct exchange and one queue bound to it with the queue's own name as the
    /// routing key: the shape of a reply queue and of a sender's fallback queue.
    pub(crate) fn self_bound_queue(exchange: ExchangeDeclaration, queue: QueueDeclaration) -> Self {
        let mut topo = Topology::default();
        topo.bind(&exchange.name, &queue.name, &queue.name);
        topo.add_exchange(exchange);
        topo.add_queue(queue);
        topo
    }

    /// `(exchange, queue, routing key)` of each binding, for assertions.
    #[cfg(test)]
    pub(crate) fn binding_rows(&self) -> Vec<(&str, &str, &str)> {
        self.bindings
            .iter()
            .map(|b| {
                (
                    b.exchange.as_str(),
                    b.queue.as_str(),
                    b.routing_key.as_str(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{WorkerIds, notification_listener_topology, rpc_server_topology};

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn zero_expiration_sends_no_argument() {
        let topo = rpc_server_topology(
            "e",
            "t",
            "s",
            Duration::ZERO,
            WorkerIds::random(),
            QueueType::Classic,
        )
        .unwrap();
        assert!(
            topo.queues
                .iter()
                .all(|q| q.arguments.to_pairs().is_empty())
        );
    }

    #[test]
    fn x_expires_is_32_bit_when_it_fits() {
        let args = QueueArguments::expiring(MINUTE);
        assert_eq!(
            args.to_pairs(),
            vec![("x-expires", ArgumentValue::LongInt(60_000))]
        );
        let long = QueueArguments::expiring(Duration::from_secs(30 * 24 * 3600));
        assert_eq!(
            long.to_pairs(),
            vec![("x-expires", ArgumentValue::LongLongInt(2_592_000_000))]
        );
    }

    #[test]
    fn quorum_adds_the_queue_type_after_x_expires() {
        let args = QueueArguments::expiring(MINUTE).of_type(QueueType::Quorum);
        assert_eq!(
            args.to_pairs(),
            vec![
                ("x-expires", ArgumentValue::LongInt(60_000)),
                ("x-queue-type", ArgumentValue::LongString("quorum")),
            ]
        );
        let queue = QueueDeclaration::new("q".into(), false, args, None);
        assert!(queue.durable, "RabbitMQ refuses a non-durable quorum queue");
        assert!(!queue.exclusive && !queue.auto_delete);
        let classic = QueueDeclaration::new("q".into(), false, QueueArguments::none(), None);
        assert!(!classic.durable);
    }

    #[test]
    fn pool_across_exchanges_merges_into_one_queue() {
        let pairs = [("t", "info")];
        let classic = QueueType::Classic;
        let mut topo =
            notification_listener_topology("a", &pairs, Some("pool"), false, classic).unwrap();
        topo.merge(
            notification_listener_topology("b", &pairs, Some("pool"), false, classic).unwrap(),
        );
        assert_eq!(topo.exchanges.len(), 2);
        assert_eq!(topo.queues.len(), 1);
        assert_eq!(
            topo.binding_rows(),
            vec![("a", "pool", "t.info"), ("b", "pool", "t.info")]
        );
        let steps: Vec<_> = topo.declarations().collect();
        assert_eq!(steps.len(), 5);
        assert!(matches!(steps[0], Declaration::Exchange(_)));
        assert!(matches!(steps[2], Declaration::Queue(_)));
        assert!(matches!(steps[4], Declaration::Bind(_)));
    }
}
