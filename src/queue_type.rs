//! [`QueueType`]: whether a queue is declared classic, as the Pika driver does, or as a
//! RabbitMQ quorum queue (`[oslo_messaging_pika] quorum_queues`).

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
}

impl QueueType {
    /// The type the `quorum_queues` option selects.
    pub fn from_quorum_queues(quorum_queues: bool) -> Self {
        if quorum_queues {
            QueueType::Quorum
        } else {
            QueueType::Classic
        }
    }

    /// The type's name as RabbitMQ lists it (`rabbitmqctl list_queues type`):
    /// `classic` or `quorum`.
    pub fn name(self) -> &'static str {
        match self {
            QueueType::Classic => "classic",
            QueueType::Quorum => "quorum",
        }
    }

    /// The value of the `x-queue-type` argument, or `None` when the argument is left
    /// out (classic: an explicit `classic` would still differ from what the Python
    /// driver sends).
    pub fn x_queue_type(self) -> Option<&'static str> {
        match self {
            QueueType::Classic => None,
            QueueType::Quorum => Some(self.name()),
        }
    }

    /// Whether the broker refuses a non-durable queue of this type.
    pub fn is_always_durable(self) -> bool {
        matches!(self, QueueType::Quorum)
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
    fn the_option_selects_quorum() {
        let q = QueueType::from_quorum_queues(true);
        assert_eq!(q, QueueType::Quorum);
        assert_eq!(q.x_queue_type(), Some("quorum"));
    }
}
