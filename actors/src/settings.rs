//! The runtime's view of [`Config`]: the options each actor needs, resolved once.

use std::num::NonZeroUsize;
use std::time::Duration;

use warren_core::{Config, NotificationSinks, QueueType, Retry, Serializer, TlsOptions};

use crate::Error;
use crate::connection::{ConnectionSettings, HostEndpoint, TlsClient};
use crate::pool::{PoolLimits, PoolSettings};
use crate::publish::RetryPolicy;

/// The shortest pause between reconnection attempts: a configured delay of zero would
/// turn a persistent failure into a busy loop.
pub(crate) const MIN_RECONNECT_DELAY: Duration = Duration::from_millis(50);

/// `host_connection_reconnect_delay`, at least [`MIN_RECONNECT_DELAY`].
pub(crate) fn reconnect_delay(config: &Config) -> Duration {
    config
        .pika
        .host_connection_reconnect_delay
        .max(MIN_RECONNECT_DELAY)
}

/// RabbitMQ's default account, used when the URL names no credentials at all.
const DEFAULT_USER: &str = "guest";

/// RabbitMQ's TLS port, for a host of the URL without a port when `ssl` is on. (The
/// Pika driver connects to 5672 then, where no TLS listener is by default.)
const DEFAULT_TLS_PORT: u16 = 5671;

/// What the RPC client actor needs.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    pub(crate) default_exchange: String,
    pub(crate) serializer: Serializer,
    pub(crate) response_timeout: Duration,
    pub(crate) call_retry: Retry,
    pub(crate) retry_delay: Duration,
}

impl ClientSettings {
    pub(crate) fn from_config(config: &Config) -> Self {
        let p = &config.pika;
        Self {
            default_exchange: p.default_rpc_exchange.clone(),
            serializer: p.default_serializer_type,
            response_timeout: config.rpc_response_timeout,
            call_retry: p.default_rpc_retry_attempts,
            retry_delay: p.rpc_retry_delay,
        }
    }
}

/// What an RPC server actor needs.
#[derive(Debug, Clone)]
pub(crate) struct ServerSettings {
    pub(crate) default_exchange: String,
    pub(crate) reply_exchange: String,
    pub(crate) response_timeout: Duration,
    pub(crate) reply_retry: RetryPolicy,
    pub(crate) queue_expiration: Duration,
    /// The type of the server queues; the reply queue is always classic.
    pub(crate) queue_type: QueueType,
    pub(crate) prefetch: u16,
    pub(crate) reconnect_delay: Duration,
    pub(crate) max_body_size: Option<NonZeroUsize>,
    /// How many endpoint invocations run at once (`executor_thread_pool_size`).
    pub(crate) max_invocations: NonZeroUsize,
}

impl ServerSettings {
    pub(crate) fn from_config(config: &Config) -> Self {
        let p = &config.pika;
        Self {
            default_exchange: p.default_rpc_exchange.clone(),
            reply_exchange: p.rpc_reply_exchange.clone(),
            response_timeout: config.rpc_response_timeout,
            reply_retry: RetryPolicy::new(p.rpc_reply_retry_attempts, p.rpc_reply_retry_delay),
            queue_expiration: p.rpc_queue_expiration,
            queue_type: p.queue_type(),
            prefetch: p.rpc_listener_prefetch_count,
            reconnect_delay: reconnect_delay(config),
            max_body_size: p.max_message_body_size,
            max_invocations: config.executor_thread_pool_size,
        }
    }
}

/// What the reply waiter needs: its queue and how to consume it.
#[derive(Debug, Clone)]
pub(crate) struct ReplySettings {
    pub(crate) exchange: String,
    pub(crate) queue: String,
    pub(crate) expiration: Duration,
    /// `durable_queues` or `quorum_queues`: the reply queue is declared durable.
    pub(crate) durable: bool,
    pub(crate) prefetch: u16,
    pub(crate) reconnect_delay: Duration,
    pub(crate) max_body_size: Option<NonZeroUsize>,
}

impl ReplySettings {
    pub(crate) fn from_config(config: &Config, queue: String) -> Self {
        let p = &config.pika;
        Self {
            exchange: p.rpc_reply_exchange.clone(),
            queue,
            expiration: p.rpc_queue_expiration,
            durable: p.durable_reply_queues(),
            prefetch: p.rpc_reply_listener_prefetch_count,
            reconnect_delay: reconnect_delay(config),
            max_body_size: p.max_message_body_size,
        }
    }
}

/// The pool options, resolved.
pub(crate) fn pool_settings(config: &Config) -> PoolSettings {
    let p = &config.pika;
    PoolSettings {
        limits: PoolLimits {
            max_size: p.pool_max_size.get(),
            max_overflow: p.pool_max_overflow,
            recycle: p.pool_recycle,
            stale: p.pool_stale,
            window: PUBLISH_WINDOW,
        },
        timeout: p.pool_timeout,
        reconnect_delay: reconnect_delay(config),
    }
}

/// Publishes in flight on one pooled publisher channel at most, awaiting their
/// confirms; more concurrent publishes open more channels, up to `pool_max_size +
/// pool_max_overflow`, and then wait up to `pool_timeout` (see docs/performance.md
/// for how the size was chosen).
pub const PUBLISH_WINDOW: usize = 64;

/// The hosts of the transport URL, credentials inherited, ready to connect to.
pub(crate) fn endpoints(config: &Config) -> Result<Vec<HostEndpoint>, Error> {
    let url = config.transport_url.as_ref().ok_or_else(|| Error::Config {
        reason: "no transport URL: set [DEFAULT] transport_url = pika://user:pass@host:5672/ \
                 or pass one to the transport builder"
            .to_owned(),
    })?;
    let vhost = url.effective_virtual_host().to_owned();
    let hosts = url.effective_hosts();
    let ssl = config.pika.ssl;
    if hosts.is_empty() {
        return Err(Error::Config {
            reason: "the transport URL names no RabbitMQ host".to_owned(),
        });
    }
    Ok(hosts
        .into_iter()
        .map(|h| HostEndpoint {
            host: h.host_or_default().to_owned(),
            port: match h.port {
                Some(port) => port,
                None if ssl => DEFAULT_TLS_PORT,
                None => h.port_or_default(),
            },
            username: h
                .username
                .clone()
                .unwrap_or_else(|| DEFAULT_USER.to_owned()),
            password: h
                .password
                .as_ref()
                .map_or_else(|| DEFAULT_USER.to_owned(), |p| p.expose().to_owned()),
            vhost: vhost.clone(),
            in_memory: url.is_in_memory(),
        })
        .collect())
}

/// The connection options, resolved; the TLS files are read here.
pub(crate) fn connection_settings(
    config: &Config,
    connection_name: String,
) -> Result<ConnectionSettings, Error> {
    let p = &config.pika;
    let tls = if p.ssl {
        let options =
            TlsOptions::from_ssl_options(p.ssl_options.as_ref()).map_err(|e| Error::Config {
                reason: e.to_string(),
            })?;
        Some(TlsClient::new(&options)?)
    } else {
        None
    };
    Ok(ConnectionSettings {
        heartbeat: p.heartbeat_interval,
        frame_max: p.frame_max,
        channel_max: p.channel_max,
        socket_timeout: p.socket_timeout,
        tcp_user_timeout: p.tcp_user_timeout,
        reconnect_delay: reconnect_delay(config),
        connection_name,
        tls,
        auth_mechanism: p.auth_mechanism,
    })
}

/// What the notifier actor needs.
#[derive(Debug, Clone)]
pub(crate) struct NotifierSettings {
    pub(crate) default_exchange: String,
    pub(crate) persistent: bool,
    /// The type of the store-and-forward queues (quorum ones are durable even when not
    /// `persistent`).
    pub(crate) queue_type: QueueType,
    pub(crate) serializer: Serializer,
    pub(crate) topics: Vec<String>,
    /// What `[oslo_messaging_notifications] driver` makes of each notification.
    pub(crate) sinks: NotificationSinks,
    /// `[oslo_messaging_notifications] retry`, what oslo's Notifier passes.
    pub(crate) retry: Retry,
    pub(crate) retry_delay: Duration,
}

impl NotifierSettings {
    pub(crate) fn from_config(config: &Config) -> Self {
        let p = &config.pika;
        Self {
            default_exchange: p.default_notification_exchange.clone(),
            persistent: p.notification_persistence,
            queue_type: p.queue_type(),
            serializer: p.default_serializer_type,
            topics: config.notifications.topics.clone(),
            sinks: NotificationSinks::of(&config.notifications.driver),
            retry: config.notifications.retry,
            retry_delay: p.notification_retry_delay,
        }
    }

    /// The publish attempts for `retry` (this notification's, or the configured one).
    pub(crate) fn policy(&self, retry: Option<Retry>) -> RetryPolicy {
        RetryPolicy::new(retry.unwrap_or(self.retry), self.retry_delay)
    }
}

/// What a notification listener actor needs.
#[derive(Debug, Clone)]
pub(crate) struct ListenerSettings {
    pub(crate) default_exchange: String,
    pub(crate) persistent: bool,
    /// The type of listener queues (quorum ones are durable even when not
    /// `persistent`).
    pub(crate) queue_type: QueueType,
    pub(crate) prefetch: u16,
    pub(crate) reconnect_delay: Duration,
    pub(crate) max_body_size: Option<NonZeroUsize>,
}

impl ListenerSettings {
    pub(crate) fn from_config(config: &Config) -> Self {
        let p = &config.pika;
        Self {
            default_exchange: p.default_notification_exchange.clone(),
            persistent: p.notification_persistence,
            queue_type: p.queue_type(),
            prefetch: p.notification_listener_prefetch_count,
            reconnect_delay: reconnect_delay(config),
            max_body_size: p.max_message_body_size,
        }
    }
}
