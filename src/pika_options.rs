//! [`PikaOptions`]: the typed `[oslo_messaging_pika]` section.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::Serialize;

use crate::auth_mechanism::AuthMechanism;
use crate::buffer_overflow::BufferOverflow;
use crate::connection_factory::ConnectionFactory;
use crate::option_value::{ser_display, ser_opt_seconds, ser_seconds};
use crate::queue_type::QueueType;
use crate::retry::Retry;
use crate::serializer::Serializer;
use crate::ssl_options::SslOptions;

/// The `[oslo_messaging_pika]` options, typed. Field names are the oslo option names.
///
/// Defaults follow the Pika driver deployment guide where it disagrees with the Python
/// code (`heartbeat_interval` 1 s instead of 3, `pool_max_size` 10 instead of 30); see
/// `docs/configuration.md` for every option and every difference.
///
/// The three exchange names default to `${control_exchange}_notification`,
/// `${control_exchange}_rpc` and `${control_exchange}_rpc_reply`, resolved against the
/// final `control_exchange` when the configuration is built; `PikaOptions::default()`
/// holds them for the default `openstack`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use warren_core::PikaOptions;
/// let o = PikaOptions::default();
/// assert_eq!(o.heartbeat_interval, Duration::from_secs(1));
/// assert_eq!(o.pool_max_size.get(), 10);
/// assert_eq!(o.default_rpc_exchange, "openstack_rpc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PikaOptions {
    // Connection.
    /// Maximum number of channels per connection; `None` lets the server decide.
    pub channel_max: Option<u16>,
    /// Maximum AMQP frame size in bytes; `None` uses the client library's default.
    pub frame_max: Option<u32>,
    /// Heartbeat interval of listening connections, whole seconds; zero disables
    /// heartbeats. Default 1 s (the guide; the Python code uses 3 s).
    #[serde(serialize_with = "ser_seconds")]
    pub heartbeat_interval: Duration,
    /// Use TLS. Default `false`.
    pub ssl: bool,
    /// TLS settings (oslo dict `key:value,...`); only allowed with `ssl = true`.
    pub ssl_options: Option<SslOptions>,
    /// SASL mechanism: `PLAIN` (user and password of the URL, the default) or
    /// `EXTERNAL` (the TLS client certificate names the user). A warren option.
    pub auth_mechanism: AuthMechanism,
    /// Timeout for opening a connection's socket. Default 0.25 s.
    #[serde(serialize_with = "ser_seconds")]
    pub socket_timeout: Duration,
    /// `TCP_USER_TIMEOUT` of connection sockets; `None` (written `0`) leaves it unset.
    /// Default 0.25 s.
    #[serde(serialize_with = "ser_opt_seconds")]
    pub tcp_user_timeout: Option<Duration>,
    /// How long a host that failed is skipped before it is tried again; also the
    /// listener's back-off after every host failed. Default 0.25 s.
    #[serde(serialize_with = "ser_seconds")]
    pub host_connection_reconnect_delay: Duration,
    /// How connections are shared. Default `single`.
    pub connection_factory: ConnectionFactory,

    // Publisher connection pools.
    /// Connections kept in each publisher pool. Default 10 (the guide; Python: 30).
    pub pool_max_size: NonZeroUsize,
    /// Connections a pool may open above `pool_max_size`. Default 0.
    pub pool_max_overflow: usize,
    /// How long to wait for a pooled connection, whole seconds. Default 30 s.
    #[serde(serialize_with = "ser_seconds")]
    pub pool_timeout: Duration,
    /// Lifetime of a pooled connection, whole seconds; `None` (`None` or `0`) never
    /// recycles. Default 600 s.
    #[serde(serialize_with = "ser_opt_seconds")]
    pub pool_recycle: Option<Duration>,
    /// Idle time after which a pooled connection is stale, whole seconds; `None`
    /// (`None` or `0`) never. Default 60 s.
    #[serde(serialize_with = "ser_opt_seconds")]
    pub pool_stale: Option<Duration>,

    // Messages.
    /// Body encoding of outgoing requests and notifications. Default `json`.
    #[serde(serialize_with = "ser_display")]
    pub default_serializer_type: Serializer,
    /// The largest message body a server, listener or reply waiter decodes, in bytes;
    /// larger ones are rejected unread. `None` (written `0` or `None`) sets no limit.
    /// Default 16 MiB ([`DEFAULT_MAX_MESSAGE_BODY_SIZE`](crate::DEFAULT_MAX_MESSAGE_BODY_SIZE)).
    /// Not an option of the Python driver.
    pub max_message_body_size: Option<NonZeroUsize>,

    // Notifications.
    /// Durable notification exchanges and queues, persistent messages. Default `false`.
    pub notification_persistence: bool,
    /// Exchange notifications are sent to. Default `${control_exchange}_notification`.
    pub default_notification_exchange: String,
    /// Unacknowledged notifications a listener may hold. Default 100.
    pub notification_listener_prefetch_count: u16,
    /// Attempts to send a notification when the connection fails. Default forever (-1).
    pub default_notification_retry_attempts: Retry,
    /// Delay between notification send attempts. Default 0.25 s.
    #[serde(serialize_with = "ser_seconds")]
    pub notification_retry_delay: Duration,
    /// Notifications a buffered notifier (`Notifier::buffered`) holds, queued or
    /// being sent, while the broker is away. Default 10000. A warren option.
    pub notification_buffer_size: NonZeroUsize,
    /// What a buffered notifier does when its buffer is full: `drop_oldest` (counted)
    /// or `wait`. Default `drop_oldest`. A warren option.
    pub notification_buffer_overflow: BufferOverflow,

    // Queues.
    /// Declare notification and RPC server queues as quorum queues (`x-queue-type` =
    /// `quorum`, always durable) instead of classic ones. Default `false`: the Python
    /// driver declares classic queues, and every service sharing a queue must declare
    /// it alike. Reply queues stay classic (durable, as with `durable_queues`).
    pub quorum_queues: bool,
    /// Declare every queue durable, reply queues included, where the Pika driver
    /// declares them non-durable; RPC and reply queues keep their `x-expires`. Default
    /// `false`. RabbitMQ 4.3 and later refuse non-durable non-exclusive queues unless
    /// `deprecated_features.permit.transient_nonexcl_queues = true`; with this option
    /// they accept warren's. Python services declare these queues non-durable: do not
    /// share a topic with them.
    pub durable_queues: bool,

    // RPC.
    /// `x-expires` of RPC server and reply queues, whole seconds. Default 60 s.
    #[serde(serialize_with = "ser_seconds")]
    pub rpc_queue_expiration: Duration,
    /// Exchange RPC requests are sent to. Default `${control_exchange}_rpc`.
    pub default_rpc_exchange: String,
    /// Exchange RPC replies are sent to. Default `${control_exchange}_rpc_reply`.
    pub rpc_reply_exchange: String,
    /// Unacknowledged requests an RPC server may hold. Default 100.
    pub rpc_listener_prefetch_count: u16,
    /// Unacknowledged replies the reply listener may hold. Default 100. warren honours
    /// it; the Python driver ignores it and uses `rpc_listener_prefetch_count`.
    pub rpc_reply_listener_prefetch_count: u16,
    /// Attempts to send a reply when the connection fails. Default forever (-1), bounded
    /// by the caller's timeout.
    pub rpc_reply_retry_attempts: Retry,
    /// Delay between reply send attempts. Default 0.25 s.
    #[serde(serialize_with = "ser_seconds")]
    pub rpc_reply_retry_delay: Duration,
    /// Attempts to send a request when the connection fails. Default forever (-1);
    /// `0` also selects the `no_ack` routing-key prefix.
    pub default_rpc_retry_attempts: Retry,
    /// Delay between request send attempts. Default 0.25 s.
    #[serde(serialize_with = "ser_seconds")]
    pub rpc_retry_delay: Duration,
}

const QUARTER_SECOND: Duration = Duration::from_millis(250);

impl PikaOptions {
    /// The type of the queues that servers, listeners and notifiers declare, as
    /// `quorum_queues` and `durable_queues` select it.
    pub fn queue_type(&self) -> QueueType {
        QueueType::from_options(self.quorum_queues, self.durable_queues)
    }

    /// Whether reply queues are declared durable: with `durable_queues` or
    /// `quorum_queues` (they stay classic: a reply queue belongs to one process).
    pub fn durable_reply_queues(&self) -> bool {
        self.queue_type().is_always_durable()
    }
}

impl Default for PikaOptions {
    fn default() -> Self {
        Self {
            channel_max: None,
            frame_max: None,
            heartbeat_interval: Duration::from_secs(1),
            ssl: false,
            ssl_options: None,
            auth_mechanism: AuthMechanism::Plain,
            socket_timeout: QUARTER_SECOND,
            tcp_user_timeout: Some(QUARTER_SECOND),
            host_connection_reconnect_delay: QUARTER_SECOND,
            connection_factory: ConnectionFactory::Single,
            pool_max_size: NonZeroUsize::new(10).expect("10 is not zero"),
            pool_max_overflow: 0,
            pool_timeout: Duration::from_secs(30),
            pool_recycle: Some(Duration::from_secs(600)),
            pool_stale: Some(Duration::from_secs(60)),
            default_serializer_type: Serializer::Json,
            max_message_body_size: NonZeroUsize::new(crate::DEFAULT_MAX_MESSAGE_BODY_SIZE),
            notification_persistence: false,
            default_notification_exchange: "openstack_notification".to_owned(),
            notification_listener_prefetch_count: 100,
            default_notification_retry_attempts: Retry::Forever,
            notification_retry_delay: QUARTER_SECOND,
            notification_buffer_size: NonZeroUsize::new(10_000).expect("10000 is not zero"),
            notification_buffer_overflow: BufferOverflow::DropOldest,
            quorum_queues: false,
            durable_queues: false,
            rpc_queue_expiration: Duration::from_secs(60),
            default_rpc_exchange: "openstack_rpc".to_owned(),
            rpc_reply_exchange: "openstack_rpc_reply".to_owned(),
            rpc_listener_prefetch_count: 100,
            rpc_reply_listener_prefetch_count: 100,
            rpc_reply_retry_attempts: Retry::Forever,
            rpc_reply_retry_delay: QUARTER_SECOND,
            default_rpc_retry_attempts: Retry::Forever,
            rpc_retry_delay: QUARTER_SECOND,
        }
    }
}
