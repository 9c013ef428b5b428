//! The names of the Pika driver: exchanges, queues and routing keys, built exactly as the
//! Python driver builds them so both sides meet on the same broker objects.
//!
//! Every function returns a checked name: AMQP carries exchange names, queue names and
//! routing keys as *short strings* (at most 255 bytes), so a longer name is refused here
//! with a [`NameError`] instead of failing later as a frame error on the connection.

use uuid::Uuid;

use crate::Target;

/// The longest name AMQP 0-9-1 can carry: a short string holds at most 255 bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// The server part of the fanout routing key `<ack>.<topic>.all_workers`.
pub const ALL_WORKERS: &str = "all_workers";

/// Whether RPC messages on a queue family are acknowledged: the first part of every RPC
/// queue name and routing key.
///
/// A sender picks the family from its retry policy: a send with **no retrier**
/// (`retry == 0`) uses [`AckMode::NoAck`], any other policy (the default `retry=None`,
/// `-1`, or `N > 0`) uses [`AckMode::WithAck`]. A server consumes both families: the
/// `no_ack.*` queues in auto-ack mode, the `with_ack.*` queues with manual acks.
///
/// # Examples
///
/// ```
/// use warren_core::AckMode;
/// assert_eq!(AckMode::for_retrier(false), AckMode::NoAck);
/// assert_eq!(AckMode::WithAck.prefix(), "with_ack");
/// assert!(AckMode::NoAck.consume_no_ack());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckMode {
    /// `no_ack`: sent without a retrier; the server consumes with `no_ack=true`.
    NoAck,
    /// `with_ack`: sent with a retrier; the server consumes with manual acks.
    WithAck,
}

impl AckMode {
    /// Both families, in the order an RPC server declares them (`no_ack` first).
    pub const ALL: [AckMode; 2] = [AckMode::NoAck, AckMode::WithAck];

    /// The name prefix: `no_ack` or `with_ack`.
    pub fn prefix(self) -> &'static str {
        match self {
            AckMode::NoAck => "no_ack",
            AckMode::WithAck => "with_ack",
        }
    }

    /// The family a sender uses: [`AckMode::NoAck`] when the send has no retrier
    /// (`retry == 0`), [`AckMode::WithAck`] otherwise.
    pub fn for_retrier(has_retrier: bool) -> Self {
        if has_retrier {
            AckMode::WithAck
        } else {
            AckMode::NoAck
        }
    }

    /// The `no_ack` flag of `basic.consume` for queues of this family.
    pub fn consume_no_ack(self) -> bool {
        self == AckMode::NoAck
    }
}

/// A name that AMQP cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is longer than an AMQP short string (255 bytes).
    #[error(
        "name {name:?} is {bytes} bytes long; AMQP names hold at most 255 bytes: \
         shorten the topic, server, pool or exchange it is built from"
    )]
    TooLong {
        /// The name that was built.
        name: String,
        /// Its length in bytes.
        bytes: usize,
    },
}

/// Checks that `name` fits an AMQP short string.
///
/// # Errors
///
/// [`NameError::TooLong`] when `name` is longer than [`MAX_NAME_BYTES`].
///
/// # Examples
///
/// ```
/// use warren_core::check_name;
/// assert!(check_name("openstack_rpc".into()).is_ok());
/// assert!(check_name("x".repeat(256)).is_err());
/// ```
pub fn check_name(name: String) -> Result<String, NameError> {
    if name.len() > MAX_NAME_BYTES {
        Err(NameError::TooLong {
            bytes: name.len(),
            name,
        })
    } else {
        Ok(name)
    }
}

/// The name of an RPC queue: `<ack>.<topic>[.<server>][.worker.<32 hex>]`.
///
/// The server part appears whenever `server` is `Some`; `worker` adds the literal
/// `worker` and the id as 32 lowercase hex digits without dashes. Except for worker
/// queues, the routing key of an RPC queue equals its name; worker queues are bound with
/// [`rpc_fanout_routing_key`].
///
/// # Errors
///
/// [`NameError::TooLong`] when the name exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::{rpc_queue_name, AckMode};
/// use uuid::Uuid;
/// assert_eq!(rpc_queue_name("compute", None, AckMode::WithAck, None).unwrap(), "with_ack.compute");
/// let id = Uuid::parse_str("2bfa955058484dccbce93d44f73c92cf").unwrap();
/// assert_eq!(
///     rpc_queue_name("compute", Some("host1"), AckMode::NoAck, Some(id)).unwrap(),
///     "no_ack.compute.host1.worker.2bfa955058484dccbce93d44f73c92cf",
/// );
/// ```
pub fn rpc_queue_name(
    topic: &str,
    server: Option<&str>,
    ack: AckMode,
    worker: Option<Uuid>,
) -> Result<String, NameError> {
    let mut name = format!("{}.{topic}", ack.prefix());
    if let Some(server) = server {
        name.push('.');
        name.push_str(server);
    }
    if let Some(id) = worker {
        name.push_str(".worker.");
        name.push_str(&id.simple().to_string());
    }
    check_name(name)
}

/// The key every worker queue of `topic` is bound with: `<ack>.<topic>.all_workers`.
///
/// # Errors
///
/// [`NameError::TooLong`] when the key exceeds 255 bytes.
pub fn rpc_fanout_routing_key(topic: &str, ack: AckMode) -> Result<String, NameError> {
    rpc_queue_name(topic, Some(ALL_WORKERS), ack, None)
}

/// The routing key an RPC request to `target` is published with.
///
/// `<ack>.<topic>.all_workers` for a fanout target, else `<ack>.<topic>.<server>` when
/// the target names a server, else `<ack>.<topic>`. Pick `ack` with
/// [`AckMode::for_retrier`].
///
/// # Errors
///
/// [`NameError::TooLong`] when the key exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::{rpc_routing_key, AckMode, Target};
/// let t = Target::new("compute").with_server("host1");
/// assert_eq!(rpc_routing_key(&t, AckMode::WithAck).unwrap(), "with_ack.compute.host1");
/// let t = t.with_fanout(true);
/// assert_eq!(rpc_routing_key(&t, AckMode::NoAck).unwrap(), "no_ack.compute.all_workers");
/// ```
pub fn rpc_routing_key(target: &Target, ack: AckMode) -> Result<String, NameError> {
    if target.fanout {
        rpc_fanout_routing_key(&target.topic, ack)
    } else {
        rpc_queue_name(&target.topic, target.server.as_deref(), ack, None)
    }
}

/// The exchange an RPC request to `target` goes to: `target.exchange` verbatim (no
/// suffix) when set, else `default_rpc_exchange` (normally `openstack_rpc`).
///
/// # Errors
///
/// [`NameError::TooLong`] when the exchange name exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::{rpc_exchange, Target};
/// let t = Target::new("compute");
/// assert_eq!(rpc_exchange(&t, "openstack_rpc").unwrap(), "openstack_rpc");
/// let t = t.with_exchange("nova");
/// assert_eq!(rpc_exchange(&t, "openstack_rpc").unwrap(), "nova");
/// ```
pub fn rpc_exchange(target: &Target, default_rpc_exchange: &str) -> Result<String, NameError> {
    check_name(
        target
            .exchange
            .as_deref()
            .unwrap_or(default_rpc_exchange)
            .to_owned(),
    )
}

/// The exchange a notification for `target` goes to: `target.exchange` verbatim when
/// set, else `default_notification_exchange` (normally `openstack_notification`).
///
/// # Errors
///
/// [`NameError::TooLong`] when the exchange name exceeds 255 bytes.
pub fn notification_exchange(
    target: &Target,
    default_notification_exchange: &str,
) -> Result<String, NameError> {
    rpc_exchange(target, default_notification_exchange)
}

/// The name of a reply queue: `reply.<project>.<prog>.<32 hex>`.
///
/// An unset project is written `None`, as Python's `str.format` writes it. Servers never
/// parse this name; they only publish to it.
///
/// # Errors
///
/// [`NameError::TooLong`] when the name exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::reply_queue_name;
/// use uuid::Uuid;
/// let id = Uuid::parse_str("0e9e29eaec4d4e13a1f809f2ebd4ff36").unwrap();
/// assert_eq!(
///     reply_queue_name(Some("interop"), "rpc_client", id).unwrap(),
///     "reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36",
/// );
/// assert!(reply_queue_name(None, "p", id).unwrap().starts_with("reply.None.p."));
/// ```
pub fn reply_queue_name(project: Option<&str>, prog: &str, id: Uuid) -> Result<String, NameError> {
    let project = project.unwrap_or("None");
    check_name(format!("reply.{project}.{prog}.{}", id.simple()))
}

/// [`reply_queue_name`] with a fresh random (v4) id.
///
/// # Errors
///
/// [`NameError::TooLong`] when the name exceeds 255 bytes.
pub fn new_reply_queue_name(project: Option<&str>, prog: &str) -> Result<String, NameError> {
    reply_queue_name(project, prog, Uuid::new_v4())
}

/// The routing key of a notification: `<topic>.<priority>`, e.g. `notifications.info`.
///
/// `priority` must already be lowercase (`info`, `warn`, `error`, ...), as on the wire.
///
/// # Errors
///
/// [`NameError::TooLong`] when the key exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::notification_routing_key;
/// assert_eq!(notification_routing_key("notifications", "info").unwrap(), "notifications.info");
/// ```
pub fn notification_routing_key(topic: &str, priority: &str) -> Result<String, NameError> {
    check_name(format!("{topic}.{priority}"))
}

/// The queue a notification listener consumes for one routing key: the pool name when
/// the listener has a pool, else the routing key itself.
///
/// # Errors
///
/// [`NameError::TooLong`] when the name exceeds 255 bytes.
///
/// # Examples
///
/// ```
/// use warren_core::notification_queue_name;
/// assert_eq!(notification_queue_name("notifications.info", None).unwrap(), "notifications.info");
/// assert_eq!(notification_queue_name("notifications.info", Some("audit")).unwrap(), "audit");
/// ```
pub fn notification_queue_name(routing_key: &str, pool: Option<&str>) -> Result<String, NameError> {
    check_name(pool.unwrap_or(routing_key).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "2bfa955058484dccbce93d44f73c92cf";

    fn id() -> Uuid {
        Uuid::parse_str(HEX).unwrap()
    }

    #[test]
    fn ack_mode_follows_the_retrier() {
        assert_eq!(AckMode::for_retrier(false), AckMode::NoAck);
        assert_eq!(AckMode::for_retrier(true), AckMode::WithAck);
        assert_eq!(AckMode::NoAck.prefix(), "no_ack");
        assert!(!AckMode::WithAck.consume_no_ack());
        assert_eq!(AckMode::ALL, [AckMode::NoAck, AckMode::WithAck]);
    }

    #[test]
    fn rpc_queue_names_join_parts_with_dots() {
        let q = |server, ack, worker| rpc_queue_name("compute", server, ack, worker).unwrap();
        assert_eq!(q(None, AckMode::WithAck, None), "with_ack.compute");
        assert_eq!(
            q(Some("host1"), AckMode::WithAck, None),
            "with_ack.compute.host1"
        );
        assert_eq!(
            q(Some("host1"), AckMode::NoAck, Some(id())),
            format!("no_ack.compute.host1.worker.{HEX}")
        );
        assert_eq!(
            rpc_fanout_routing_key("compute", AckMode::WithAck).unwrap(),
            "with_ack.compute.all_workers"
        );
    }

    #[test]
    fn worker_id_is_32_lowercase_hex_digits() {
        let name = rpc_queue_name("t", Some("s"), AckMode::NoAck, Some(Uuid::new_v4())).unwrap();
        let hex = name.rsplit('.').next().unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
    }

    #[test]
    fn routing_keys_for_targets() {
        let t = Target::new("interop");
        assert_eq!(
            rpc_routing_key(&t, AckMode::WithAck).unwrap(),
            "with_ack.interop"
        );
        let t = t.with_server("srv1");
        assert_eq!(
            rpc_routing_key(&t, AckMode::NoAck).unwrap(),
            "no_ack.interop.srv1"
        );
        // Fanout ignores the server.
        let t = t.with_fanout(true);
        assert_eq!(
            rpc_routing_key(&t, AckMode::WithAck).unwrap(),
            "with_ack.interop.all_workers"
        );
    }

    #[test]
    fn exchanges_use_target_exchange_verbatim() {
        let t = Target::new("interop");
        assert_eq!(rpc_exchange(&t, "openstack_rpc").unwrap(), "openstack_rpc");
        assert_eq!(
            notification_exchange(&t, "openstack_notification").unwrap(),
            "openstack_notification"
        );
        let t = t.with_exchange("mine");
        assert_eq!(rpc_exchange(&t, "openstack_rpc").unwrap(), "mine");
        assert_eq!(
            notification_exchange(&t, "openstack_notification").unwrap(),
            "mine"
        );
    }

    #[test]
    fn reply_queue_name_prints_unset_project_as_none() {
        let id = Uuid::parse_str("0e9e29eaec4d4e13a1f809f2ebd4ff36").unwrap();
        assert_eq!(
            reply_queue_name(Some("interop"), "rpc_client", id).unwrap(),
            "reply.interop.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36"
        );
        assert_eq!(
            reply_queue_name(None, "rpc_client", id).unwrap(),
            "reply.None.rpc_client.0e9e29eaec4d4e13a1f809f2ebd4ff36"
        );
        let a = new_reply_queue_name(Some("p"), "q").unwrap();
        let b = new_reply_queue_name(Some("p"), "q").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), "reply.p.q.".len() + 32);
    }

    #[test]
    fn notification_names() {
        assert_eq!(
            notification_routing_key("notifications", "warn").unwrap(),
            "notifications.warn"
        );
        assert_eq!(
            notification_queue_name("notifications.warn", None).unwrap(),
            "notifications.warn"
        );
        assert_eq!(
            notification_queue_name("notifications.warn", Some("custom_queue_name")).unwrap(),
            "custom_queue_name"
        );
    }

    #[test]
    fn names_past_255_bytes_are_refused() {
        assert!(check_name("a".repeat(255)).is_ok());
        // Counted in bytes, not characters: 128 two-byte characters are 256 bytes.
        let err = check_name("é".repeat(128)).unwrap_err();
        assert!(matches!(err, NameError::TooLong { bytes: 256, .. }));
        let long_topic = "t".repeat(250);
        assert!(rpc_queue_name(&long_topic, None, AckMode::WithAck, None).is_err());
        assert!(notification_routing_key(&long_topic, "critical").is_err());
        let t = Target::new("t").with_exchange("e".repeat(256));
        assert!(rpc_exchange(&t, "openstack_rpc").is_err());
    }
}
