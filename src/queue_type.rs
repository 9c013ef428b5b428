//! [`QueueType`]: whether a queue is declared classic, as the Pika driver does, classic
//! but always durable (`[oslo_messaging_pika] durable_queues`), or as a RabbitMQ quorum
//! queue (`quorum_queues`).

use std::fmt;

/// The RabbitMQ type a queue is declared with.
///
/// RabbitMQ fixes a queue's type when it creates it: declaring an existing classic queue
/// as quorum (or the reverse) fails with `406 PRECONDITION_FAILED`, so every service
/// sharing a queue must use the same type. The Python driver always declares classic
/// queues.
///
/// # Examples
///
/// ```
/// use warren_core::QueueType;
/// assert_eq!(QueueType::from_quorum_queues(false), QueueType::Classic);
/// assert_eq!(QueueType::Classic.x_queue_type(), None);
/// assert_eq!(QueueType::Quorum.x_queue_type(), Some("quorum"));
/// assert!(QueueType::Quorum.is_always_durable());
/// assert_eq!(QueueType::Quorum.to_string(), "quorum");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum QueueType {
    /// A classic queue, declared with no `x-queue-type` argument at all, so that the
    /// declaration is byte for byte the Python driver's.
    #[default]
    Classic,
    /// A quorum queue: `x-queue-type` = `quorum`, replicated on several nodes of a
    /// cluster. RabbitMQ only accepts it durable, neither exclusive nor auto-delete.
    Quorum,
    /// A classic queue declared durable even where the Pika driver declares it
    /// non-durable (`durable_queues`), keeping its `x-expires`. RabbitMQ 4.3 and later
    /// refuse non-durable non-exclusive queues by default (the deprecated feature
    /// `transient_nonexcl_queues`); they accept these.
    DurableClassic,
}

impl QueueType {
    /// The type the `quorum_queues` option selects.
    pub fn from_quorum_queues(quorum_queues: bool) -> Self {
        Self::from_options(quorum_queues, false)
    }

    /// The type the `quorum_queues` and `durable_queues` options select: quorum wins,
    /// as quorum queues are durable anyway.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::QueueType;
    /// assert_eq!(QueueType::from_options(false, true), QueueType::DurableClassic);
    /// assert_eq!(QueueType::from_options(true, true), QueueType::Quorum);
    /// assert_eq!(QueueType::from_options(false, false), QueueType::Classic);
    /// ```
    pub fn from_options(quorum_queues: bool, durable_queues: bool) -> Self {
        match (quorum_queues, durable_queues) {
            (true, _) => QueueType::Quorum,
            (false, true) => QueueType::DurableClassic,
            (false, false) => QueueType::Classic,
        }
    }

    /// The type's name as RabbitMQ lists it (`rabbitmqctl list_queues type`):
    /// `classic` or `quorum`.
    pub fn name(self) -> &'static str {
        match self {
            QueueType::Classic | QueueType::DurableClassic => "classic",
            QueueType::Quorum => "quorum",
        }
    }

    /// The value of the `x-queue-type` argument, or `None` when the argument is left
    /// out (classic: an explicit `classic` would still differ from what the Python
    /// driver sends).
    pub fn x_queue_type(self) -> Option<&'static str> {
        match self {
            QueueType::Classic | QueueType::DurableClassic => None,
            QueueType::Quorum => Some(self.name()),
        }
    }

    /// Whether queues of this type are declared durable whatever the Pika driver
    /// does: the broker refuses a non-durable quorum queue, and `durable_queues` asks
    /// for durable classic ones.
    pub fn is_always_durable(self) -> bool {
        matches!(self, QueueType::Quorum | QueueType::DurableClassic)
    }
}

impl fmt::Display for QueueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_python_drivers_classic_queue() {
        assert_eq!(QueueType::default(), QueueType::Classic);
        assert_eq!(QueueType::default().x_queue_type(), None);
        assert!(!QueueType::Classic.is_always_durable());
    }

    #[test]
    fn durable_classic_queues_are_classic_on_the_wire_but_durable() {
        let q = QueueType::from_options(false, true);
        assert_eq!((q.name(), q.x_queue_type()), ("classic", None));
        assert!(q.is_always_durable());
    }

    #[test]
    fn the_option_selects_quorum() {
        let q = QueueType::from_quorum_queues(true);
        assert_eq!(q, QueueType::Quorum);
        assert_eq!(q.x_queue_type(), Some("quorum"));
    }
}
