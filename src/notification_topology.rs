//! The broker objects of notifications: a listener's queues, per routing key or per
//! pool, and the store-and-forward queue a sender declares (spec §4.3.3, §4.3.4).

use crate::naming::{
    AckMode, NameError, check_name, notification_queue_name, notification_routing_key,
};
use crate::queue_type::QueueType;
use crate::topology::{ExchangeDeclaration, QueueArguments, QueueDeclaration, Topology};

/// The queues of a notification listener on one exchange (spec §4.3.3).
///
/// `pairs` are `(topic, priority)` with a lowercase priority. Without a pool, one queue
/// per routing key `<topic>.<priority>`, named like its key; with a pool, one queue named
/// `pool`, bound once per key. Queues and exchange are durable when `persistent`
/// (`notification_persistence`); queues carry **no** `x-expires`; all are consumed with
/// manual acks. For targets on several exchanges, build one topology per exchange and
/// [`Topology::merge`] them.
///
/// `queue_type` (`quorum_queues`) is the queues' `x-queue-type`; a quorum queue is
/// durable even when `persistent` is `false` (the exchange still follows `persistent`).
///
/// # Examples
///
/// ```
/// use warren_core::{QueueType, notification_listener_topology};
/// let topo = notification_listener_topology(
///     "openstack_notification", &[("notifications", "info")], None, false, QueueType::Quorum,
/// ).unwrap();
/// assert_eq!(topo.queues[0].name, "notifications.info");
/// assert!(topo.queues[0].durable && !topo.exchanges[0].durable);
/// ```
///
/// # Errors
///
/// [`NameError::TooLong`] when a name exceeds 255 bytes.
pub fn notification_listener_topology(
    exchange: &str,
    pairs: &[(&str, &str)],
    pool: Option<&str>,
    persistent: bool,
    queue_type: QueueType,
) -> Result<Topology, NameError> {
    let mut topo = Topology::default();
    topo.add_exchange(ExchangeDeclaration::direct(exchange, persistent)?);
    for (topic, priority) in pairs {
        let key = notification_routing_key(topic, priority)?;
        let queue = notification_queue_name(&key, pool)?;
        topo.bind(exchange, &queue, &key);
        topo.add_queue(QueueDeclaration::new(
            queue,
            persistent,
            QueueArguments::none().of_type(queue_type),
            Some(AckMode::WithAck),
        ));
    }
    Ok(topo)
}

/// What a notification sender declares when its publish finds no exchange or no queue
/// (spec §4.3.4): the exchange, a queue named `routing_key` (`<topic>.<priority>`) bound
/// with that key, both durable when `persistent`, no `x-expires`, not consumed. The
/// notification is then kept until a listener comes. The queue is of `queue_type`, as a
/// listener would declare it (a quorum queue is durable whatever `persistent` says).
///
/// # Errors
///
/// [`NameError::TooLong`] when a name exceeds 255 bytes.
pub fn notification_sender_fallback_topology(
    exchange: &str,
    routing_key: &str,
    persistent: bool,
    queue_type: QueueType,
) -> Result<Topology, NameError> {
    Ok(Topology::self_bound_queue(
        ExchangeDeclaration::direct(exchange, persistent)?,
        QueueDeclaration::new(
            check_name(routing_key.to_owned())?,
            persistent,
            QueueArguments::none().of_type(queue_type),
            None,
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ArgumentValue;

    const PRIORITIES: [&str; 7] = [
        "audit", "critical", "debug", "error", "info", "sample", "warn",
    ];
    const CLASSIC: QueueType = QueueType::Classic;
    const QUORUM: QueueType = QueueType::Quorum;

    #[test]
    fn test_declare_notification_queue_bindings_default_queue() {
        let pairs: Vec<(&str, &str)> = PRIORITIES.iter().map(|p| ("notifications", *p)).collect();
        let topo =
            notification_listener_topology("openstack_notification", &pairs, None, false, CLASSIC)
                .unwrap();
        assert_eq!(topo.exchanges.len(), 1);
        assert!(!topo.exchanges[0].durable && topo.exchanges[0].auto_delete);
        assert_eq!(topo.queues.len(), 7);
        for (q, p) in topo.queues.iter().zip(PRIORITIES) {
            assert_eq!(q.name, format!("notifications.{p}"));
            assert!(!q.durable && !q.auto_delete && !q.exclusive);
            assert_eq!(q.arguments, QueueArguments::none());
            assert_eq!(q.consume, Some(AckMode::WithAck));
        }
        for (b, p) in topo.bindings.iter().zip(PRIORITIES) {
            assert_eq!(b.exchange, "openstack_notification");
            assert_eq!(b.queue, format!("notifications.{p}"));
            assert_eq!(b.routing_key, b.queue);
        }
    }

    #[test]
    fn test_declare_notification_queue_bindings_custom_queue() {
        let pairs = [("t1", "info"), ("t1", "error"), ("t2", "info")];
        let topo = notification_listener_topology(
            "my_exchange",
            &pairs,
            Some("custom_queue_name"),
            true,
            CLASSIC,
        )
        .unwrap();
        assert!(topo.exchanges[0].durable);
        assert_eq!(topo.queues.len(), 1);
        assert_eq!(topo.queues[0].name, "custom_queue_name");
        assert!(topo.queues[0].durable);
        assert_eq!(topo.queues[0].arguments.x_expires_ms, None);
        assert_eq!(
            topo.binding_rows(),
            vec![
                ("my_exchange", "custom_queue_name", "t1.info"),
                ("my_exchange", "custom_queue_name", "t1.error"),
                ("my_exchange", "custom_queue_name", "t2.info"),
            ]
        );
    }

    #[test]
    fn notification_sender_fallback_keeps_messages() {
        let topo = notification_sender_fallback_topology(
            "openstack_notification",
            "n.info",
            true,
            CLASSIC,
        )
        .unwrap();
        assert!(topo.exchanges[0].durable && topo.exchanges[0].auto_delete);
        assert_eq!(topo.queues[0].name, "n.info");
        assert!(topo.queues[0].durable);
        assert_eq!(topo.queues[0].arguments, QueueArguments::none());
        assert_eq!(topo.consumers().count(), 0);
        assert_eq!(
            topo.binding_rows(),
            vec![("openstack_notification", "n.info", "n.info")]
        );
    }

    #[test]
    fn classic_queues_carry_no_queue_type_argument() {
        let pairs = [("n", "info"), ("n", "error")];
        for pool in [None, Some("pool")] {
            let topo = notification_listener_topology("x", &pairs, pool, false, CLASSIC).unwrap();
            for q in &topo.queues {
                assert!(q.arguments.to_pairs().is_empty(), "{q:?}");
                assert!(!q.durable);
            }
        }
        let fallback =
            notification_sender_fallback_topology("x", "n.info", false, CLASSIC).unwrap();
        assert!(fallback.queues[0].arguments.to_pairs().is_empty());
        assert!(!fallback.queues[0].durable);
    }

    #[test]
    fn quorum_queues_are_durable_without_notification_persistence() {
        let quorum = [("x-queue-type", ArgumentValue::LongString("quorum"))];
        let pairs = [("n", "info"), ("n", "error")];
        for persistent in [false, true] {
            for pool in [None, Some("pool")] {
                let topo =
                    notification_listener_topology("x", &pairs, pool, persistent, QUORUM).unwrap();
                // The exchange is not a queue: it keeps following the option.
                assert_eq!(topo.exchanges[0].durable, persistent);
                for q in &topo.queues {
                    assert!(q.durable && !q.exclusive && !q.auto_delete, "{q:?}");
                    assert_eq!(q.arguments.to_pairs(), quorum, "{q:?}");
                    assert_eq!(q.consume, Some(AckMode::WithAck));
                }
            }
            let fallback =
                notification_sender_fallback_topology("x", "n.info", persistent, QUORUM).unwrap();
            let q = &fallback.queues[0];
            assert!(q.durable && !q.exclusive && !q.auto_delete);
            assert_eq!(q.arguments.to_pairs(), quorum);
            assert_eq!(fallback.exchanges[0].durable, persistent);
            assert_eq!(fallback.binding_rows(), vec![("x", "n.info", "n.info")]);
        }
    }
}
