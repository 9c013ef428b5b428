//! The broker objects of RPC: an RPC server's six queues, a client's reply queue, and
//! what a sender declares when its exchange is missing (spec §4.3.1, §4.3.2, §4.3.4).

use std::time::Duration;

use uuid::Uuid;

use crate::naming::{AckMode, NameError, check_name, rpc_fanout_routing_key, rpc_queue_name};
use crate::queue_type::QueueType;
use crate::topology::{ExchangeDeclaration, QueueArguments, QueueDeclaration, Topology};

/// The ids of the two worker queues of an RPC server, one per [`AckMode`].
///
/// They differ, and a process takes fresh ones each time it declares its queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerIds {
    /// Id of the `no_ack.<topic>.<server>.worker.<id>` queue.
    pub no_ack: Uuid,
    /// Id of the `with_ack.<topic>.<server>.worker.<id>` queue.
    pub with_ack: Uuid,
}

impl WorkerIds {
    /// Two fresh random (v4) ids.
    pub fn random() -> Self {
        Self {
            no_ack: Uuid::new_v4(),
            with_ack: Uuid::new_v4(),
        }
    }

    /// The id for one family.
    pub fn get(&self, ack: AckMode) -> Uuid {
        match ack {
            AckMode::NoAck => self.no_ack,
            AckMode::WithAck => self.with_ack,
        }
    }
}

/// The queues of an RPC server listening on `topic` + `server` (spec §4.3.1).
///
/// For `no_ack` and then `with_ack`: `<ack>.<topic>`, `<ack>.<topic>.<server>` (each
/// bound with its own name) and `<ack>.<topic>.<server>.worker.<id>` (bound with
/// `<ack>.<topic>.all_workers`). Six non-durable queues with `x-expires`, on the
/// non-durable `exchange` (the target's exchange or `default_rpc_exchange`). An empty
/// `server` gives only the topic queues, as in the Python driver.
///
/// With [`QueueType::Quorum`] (`quorum_queues`) the six queues are quorum queues, hence
/// durable, and keep their `x-expires`; the exchange is unchanged.
///
/// # Errors
///
/// [`NameError::TooLong`] when a name exceeds 255 bytes.
pub fn rpc_server_topology(
    exchange: &str,
    topic: &str,
    server: &str,
    rpc_queue_expiration: Duration,
    workers: WorkerIds,
    queue_type: QueueType,
) -> Result<Topology, NameError> {
    let args = QueueArguments::expiring(rpc_queue_expiration).of_type(queue_type);
    let mut topo = Topology::default();
    topo.add_exchange(ExchangeDeclaration::direct(exchange, false)?);
    for ack in AckMode::ALL {
        let mut queues = vec![(rpc_queue_name(topic, None, ack, None)?, None)];
        if !server.is_empty() {
            let fanout_key = rpc_fanout_routing_key(topic, ack)?;
            queues.push((rpc_queue_name(topic, Some(server), ack, None)?, None));
            queues.push((
                rpc_queue_name(topic, Some(server), ack, Some(workers.get(ack)))?,
                Some(fanout_key),
            ));
        }
        for (name, key) in queues {
            topo.bind(exchange, &name, key.as_deref().unwrap_or(&name));
            topo.add_queue(QueueDeclaration::new(name, false, args, Some(ack)));
        }
    }
    Ok(topo)
}

/// The reply queue of an RPC client (spec §4.3.2): `queue_name` (see
/// [`reply_queue_name`](crate::reply_queue_name)), non-durable (durable when `durable`:
/// `durable_queues` or `quorum_queues`, see [`crate::PikaOptions::durable_reply_queues`])
/// with `x-expires`, bound
/// with its own name on the non-durable `rpc_reply_exchange`, consumed without acks
/// (the Python driver acks each reply as it arrives; a reply is only of use to the
/// process that consumes it, so acking it buys nothing, and peers cannot tell).
/// Always a classic queue, even with `quorum_queues`: it belongs to one process and
/// lives no longer than it, so replicating it would only slow every call down.
///
/// # Errors
///
/// [`NameError::TooLong`] when a name exceeds 255 bytes.
pub fn rpc_reply_topology(
    rpc_reply_exchange: &str,
    queue_name: &str,
    rpc_queue_expiration: Duration,
    durable: bool,
) -> Result<Topology, NameError> {
    Ok(Topology::self_bound_queue(
        ExchangeDeclaration::direct(rpc_reply_exchange, false)?,
        QueueDeclaration::new(
            check_name(queue_name.to_owned())?,
            durable,
            QueueArguments::expiring(rpc_queue_expiration),
            Some(AckMode::NoAck),
        ),
    ))
}

/// What an RPC sender declares when its publish finds no exchange (spec §4.3.4): the
/// non-durable RPC exchange alone, never a queue.
///
/// # Errors
///
/// [`NameError::TooLong`] when `exchange` exceeds 255 bytes.
pub fn rpc_sender_fallback_topology(exchange: &str) -> Result<Topology, NameError> {
    Ok(Topology {
        exchanges: vec![ExchangeDeclaration::direct(exchange, false)?],
        ..Topology::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ExchangeKind;
    use crate::notification_listener_topology;
    use crate::topology::ArgumentValue;

    const MINUTE: Duration = Duration::from_secs(60);
    const CLASSIC: QueueType = QueueType::Classic;

    fn srv1_workers() -> WorkerIds {
        WorkerIds {
            no_ack: Uuid::parse_str("2bfa955058484dccbce93d44f73c92cf").unwrap(),
            with_ack: Uuid::parse_str("a1027373853342fd81f4370947e637f1").unwrap(),
        }
    }

    #[test]
    fn test_declare_rpc_queue_bindings() {
        let topo = rpc_server_topology(
            "openstack_rpc",
            "interop",
            "srv1",
            MINUTE,
            srv1_workers(),
            CLASSIC,
        )
        .unwrap();
        assert_eq!(
            topo.exchanges,
            vec![ExchangeDeclaration {
                name: "openstack_rpc".into(),
                kind: ExchangeKind::Direct,
                durable: false,
                auto_delete: true,
            }]
        );
        let queues: Vec<(&str, Option<AckMode>)> = topo
            .queues
            .iter()
            .map(|q| (q.name.as_str(), q.consume))
            .collect();
        let no = Some(AckMode::NoAck);
        let with = Some(AckMode::WithAck);
        assert_eq!(
            queues,
            vec![
                ("no_ack.interop", no),
                ("no_ack.interop.srv1", no),
                (
                    "no_ack.interop.srv1.worker.2bfa955058484dccbce93d44f73c92cf",
                    no
                ),
                ("with_ack.interop", with),
                ("with_ack.interop.srv1", with),
                (
                    "with_ack.interop.srv1.worker.a1027373853342fd81f4370947e637f1",
                    with
                ),
            ]
        );
        for q in &topo.queues {
            assert!(!q.durable && !q.exclusive && !q.auto_delete, "{q:?}");
            assert_eq!(
                q.arguments.to_pairs(),
                [("x-expires", ArgumentValue::LongInt(60_000))],
                "classic: no x-queue-type"
            );
        }
        assert_eq!(
            topo.binding_rows(),
            vec![
                ("openstack_rpc", "no_ack.interop", "no_ack.interop"),
                (
                    "openstack_rpc",
                    "no_ack.interop.srv1",
                    "no_ack.interop.srv1"
                ),
                (
                    "openstack_rpc",
                    "no_ack.interop.srv1.worker.2bfa955058484dccbce93d44f73c92cf",
                    "no_ack.interop.all_workers"
                ),
                ("openstack_rpc", "with_ack.interop", "with_ack.interop"),
                (
                    "openstack_rpc",
                    "with_ack.interop.srv1",
                    "with_ack.interop.srv1"
                ),
                (
                    "openstack_rpc",
                    "with_ack.interop.srv1.worker.a1027373853342fd81f4370947e637f1",
                    "with_ack.interop.all_workers"
                ),
            ]
        );
        let consumed: Vec<bool> = topo.consumers().map(|(_, a)| a.consume_no_ack()).collect();
        assert_eq!(consumed, [true, true, true, false, false, false]);
    }

    #[test]
    fn rpc_server_without_server_declares_topic_queues_only() {
        let topo = rpc_server_topology("e", "t", "", MINUTE, WorkerIds::random(), CLASSIC).unwrap();
        let names: Vec<&str> = topo.queues.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["no_ack.t", "with_ack.t"]);
    }

    #[test]
    fn quorum_server_queues_are_durable_and_keep_x_expires() {
        let classic = rpc_server_topology("e", "t", "s", MINUTE, srv1_workers(), CLASSIC).unwrap();
        let quorum =
            rpc_server_topology("e", "t", "s", MINUTE, srv1_workers(), QueueType::Quorum).unwrap();
        // Same objects, same names and bindings; only the queues' type and durability.
        assert_eq!(quorum.exchanges, classic.exchanges);
        assert_eq!(quorum.bindings, classic.bindings);
        assert_eq!(quorum.queues.len(), 6);
        for (q, c) in quorum.queues.iter().zip(&classic.queues) {
            assert_eq!((&q.name, q.consume), (&c.name, c.consume));
            assert!(q.durable && !q.exclusive && !q.auto_delete, "{q:?}");
            assert_eq!(
                q.arguments.to_pairs(),
                [
                    ("x-expires", ArgumentValue::LongInt(60_000)),
                    ("x-queue-type", ArgumentValue::LongString("quorum")),
                ]
            );
        }
        let no_expiry = rpc_server_topology(
            "e",
            "t",
            "s",
            Duration::ZERO,
            srv1_workers(),
            QueueType::Quorum,
        )
        .unwrap();
        assert!(
            no_expiry.queues.iter().all(|q| q.arguments.to_pairs()
                == [("x-queue-type", ArgumentValue::LongString("quorum"))])
        );
    }

    #[test]
    fn fresh_worker_ids_differ() {
        let w = WorkerIds::random();
        assert_ne!(w.no_ack, w.with_ack);
    }

    #[test]
    fn test_declare_rpc_reply_queue_binding() {
        let q = "reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36";
        let topo = rpc_reply_topology("openstack_rpc_reply", q, MINUTE, false).unwrap();
        assert_eq!(topo.exchanges.len(), 1);
        assert_eq!(topo.exchanges[0].name, "openstack_rpc_reply");
        assert!(!topo.exchanges[0].durable && topo.exchanges[0].auto_delete);
        assert_eq!(topo.queues.len(), 1);
        let queue = &topo.queues[0];
        assert_eq!(queue.name, q);
        assert!(!queue.durable && !queue.auto_delete && !queue.exclusive);
        assert_eq!(queue.arguments.x_expires_ms, Some(60_000));
        assert_eq!(queue.consume, Some(AckMode::NoAck));
        assert_eq!(topo.binding_rows(), vec![("openstack_rpc_reply", q, q)]);
    }

    #[test]
    fn rpc_sender_fallback_declares_the_exchange_only() {
        let topo = rpc_sender_fallback_topology("openstack_rpc").unwrap();
        assert_eq!(topo.exchanges.len(), 1);
        assert!(!topo.exchanges[0].durable);
        assert!(topo.queues.is_empty() && topo.bindings.is_empty());
    }

    const PRIORITIES: [&str; 7] = [
        "audit", "critical", "debug", "error", "info", "sample", "warn",
    ];

    /// The objects `rabbitmqctl` listed while two Python servers and a listener ran
    /// (wire samples, section 1), rebuilt from our constructors.
    #[test]
    fn matches_captured_broker_objects() {
        let mut topo = rpc_server_topology(
            "openstack_rpc",
            "interop",
            "srv1",
            MINUTE,
            srv1_workers(),
            CLASSIC,
        )
        .unwrap();
        let srv2 = WorkerIds {
            no_ack: Uuid::parse_str("663ec6fd327f476eae384a80bf1585ff").unwrap(),
            with_ack: Uuid::parse_str("03e8b30b704949869f04e19f23fedacd").unwrap(),
        };
        topo.merge(
            rpc_server_topology("openstack_rpc", "interop", "srv2", MINUTE, srv2, CLASSIC).unwrap(),
        );
        let pairs: Vec<(&str, &str)> = PRIORITIES.iter().map(|p| ("notifications", *p)).collect();
        topo.merge(
            notification_listener_topology("openstack_notification", &pairs, None, false, CLASSIC)
                .unwrap(),
        );
        let reply = "reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36";
        topo.merge(rpc_reply_topology("openstack_rpc_reply", reply, MINUTE, false).unwrap());

        let captured_queues = "\
no_ack.interop	false	false	false	[{\"x-expires\",60000}]
no_ack.interop.srv1	false	false	false	[{\"x-expires\",60000}]
no_ack.interop.srv1.worker.2bfa955058484dccbce93d44f73c92cf	false	false	false	[{\"x-expires\",60000}]
no_ack.interop.srv2	false	false	false	[{\"x-expires\",60000}]
no_ack.interop.srv2.worker.663ec6fd327f476eae384a80bf1585ff	false	false	false	[{\"x-expires\",60000}]
notifications.audit	false	false	false	[]
notifications.critical	false	false	false	[]
notifications.debug	false	false	false	[]
notifications.error	false	false	false	[]
notifications.info	false	false	false	[]
notifications.sample	false	false	false	[]
notifications.warn	false	false	false	[]
reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36	false	false	false	[{\"x-expires\",60000}]
with_ack.interop	false	false	false	[{\"x-expires\",60000}]
with_ack.interop.srv1	false	false	false	[{\"x-expires\",60000}]
with_ack.interop.srv1.worker.a1027373853342fd81f4370947e637f1	false	false	false	[{\"x-expires\",60000}]
with_ack.interop.srv2	false	false	false	[{\"x-expires\",60000}]
with_ack.interop.srv2.worker.03e8b30b704949869f04e19f23fedacd	false	false	false	[{\"x-expires\",60000}]";
        let mut listed: Vec<String> = topo
            .queues
            .iter()
            .map(|q| {
                let args = match q.arguments.x_expires_ms {
                    Some(ms) => format!("[{{\"x-expires\",{ms}}}]"),
                    None => "[]".to_owned(),
                };
                format!(
                    "{}\t{}\t{}\t{}\t{args}",
                    q.name, q.durable, q.auto_delete, q.exclusive
                )
            })
            .collect();
        listed.sort();
        assert_eq!(listed.join("\n"), captured_queues);

        let captured_bindings = "\
openstack_notification	notifications.audit	notifications.audit
openstack_notification	notifications.critical	notifications.critical
openstack_notification	notifications.debug	notifications.debug
openstack_notification	notifications.error	notifications.error
openstack_notification	notifications.info	notifications.info
openstack_notification	notifications.sample	notifications.sample
openstack_notification	notifications.warn	notifications.warn
openstack_rpc	no_ack.interop	no_ack.interop
openstack_rpc	no_ack.interop.srv1	no_ack.interop.srv1
openstack_rpc	no_ack.interop.srv1.worker.2bfa955058484dccbce93d44f73c92cf	no_ack.interop.all_workers
openstack_rpc	no_ack.interop.srv2	no_ack.interop.srv2
openstack_rpc	no_ack.interop.srv2.worker.663ec6fd327f476eae384a80bf1585ff	no_ack.interop.all_workers
openstack_rpc	with_ack.interop	with_ack.interop
openstack_rpc	with_ack.interop.srv1	with_ack.interop.srv1
openstack_rpc	with_ack.interop.srv1.worker.a1027373853342fd81f4370947e637f1	with_ack.interop.all_workers
openstack_rpc	with_ack.interop.srv2	with_ack.interop.srv2
openstack_rpc	with_ack.interop.srv2.worker.03e8b30b704949869f04e19f23fedacd	with_ack.interop.all_workers
openstack_rpc_reply	reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36	reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36";
        let mut listed: Vec<String> = topo
            .binding_rows()
            .into_iter()
            .map(|(e, q, k)| format!("{e}\t{q}\t{k}"))
            .collect();
        listed.sort();
        assert_eq!(listed.join("\n"), captured_bindings);

        let mut exchanges: Vec<String> = topo
            .exchanges
            .iter()
            .map(|e| {
                format!(
                    "{}\t{}\t{}\t{}",
                    e.name,
                    e.kind.as_str(),
                    e.durable,
                    e.auto_delete
                )
            })
            .collect();
        exchanges.sort();
        assert_eq!(
            exchanges,
            [
                "openstack_notification\tdirect\tfalse\ttrue",
                "openstack_rpc\tdirect\tfalse\ttrue",
                "openstack_rpc_reply\tdirect\tfalse\ttrue",
            ]
        );
    }
}
