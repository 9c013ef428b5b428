//! [`Transport`]: one configured connection to RabbitMQ and the tree of actors on it.
//!
//! A transport starts an arbiter of its own and, in it, each under an
//! `actix::Supervisor`: a [`HostConnection`] (the Pika driver's default `single`
//! connection factory: every publisher and consumer of the transport shares one AMQP
//! connection, each on its own channels), the [`ChannelPool`] of publisher
//! [`ChannelActor`](crate::ChannelActor)s, the [`ReplyWaiter`] (it declares its queue
//! with the first call, as the Pika driver does), the [`RpcClientActor`] and the
//! [`NotifierActor`]. When `[oslo_messaging_notifications] transport_url` is set, the
//! notifier and the notification listeners use a second connection, to that URL, with
//! a pool of its own ([`Config::for_notifications`]). The transport owns them: they
//! live on, and restart after failures, whatever happens to the arbiters of the
//! services calling them, until [`Transport::close`]. Each actor gets its own settings and the addresses it talks
//! to when it is built.

#[cfg(feature = "fault-injection")]
mod faults;
mod notification_bus;
mod servers;

use std::path::Path;
use std::sync::Arc;

use actix::prelude::*;
use warren_core::{Config, Target};

use crate::Error;
use crate::connection::{
    CloseConnection, ConnectionState, ConnectionStateChanged, HostConnection, OpenChannel,
    SubscribeState, WatchBroker, unavailable_or,
};
use crate::notify::{NotificationBufferActor, NotifierActor};
use crate::pool::ChannelPool;
use crate::rpc::{CloseReplyWaiter, ReplyCounts, ReplyStats, ReplyWaiter, RpcClientActor};
use crate::runtime::lapin_runtime;
use crate::settings::{
    ClientSettings, ListenerSettings, NotifierSettings, ReplySettings, ServerSettings,
    connection_settings, endpoints, pool_settings,
};
use crate::{Notifier, RpcClient};
use notification_bus::NotificationBus;

/// What a transport owns; shared by its clones.
struct Tree {
    config: Config,
    arbiter: Arbiter,
    connection: Addr<HostConnection>,
    pool: Addr<ChannelPool>,
    reply_waiter: Addr<ReplyWaiter>,
    client: Addr<RpcClientActor>,
    notifier: Addr<NotifierActor>,
    /// The buffer behind [`Notifier::buffered`].
    notification_buffer: Addr<NotificationBufferActor>,
    /// The connection and pool of the notification transport when it is not the
    /// transport's own connection.
    notification_bus: Option<NotificationBus>,
    /// Handed to each RPC server and listener started on the transport.
    server: ServerSettings,
    listener: ListenerSettings,
}

/// Wait until `connection` is up, at most `timeout`; see [`Transport::ready`].
async fn connected(
    connection: &Addr<HostConnection>,
    timeout: std::time::Duration,
) -> Result<(), Error> {
    // A channel is what every user of the connection waits for: its opening answers
    // "connected" with the connection's own readiness rules.
    match tokio::time::timeout(timeout, connection.send(OpenChannel)).await {
        Ok(Ok(Ok(channel))) => {
            channel.close("warren: connection checked").await;
            Ok(())
        }
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(Error::Shutdown),
        Err(_) => {
            let waited = Error::Timeout {
                waiting_for: "a connection to RabbitMQ",
                after: timeout,
            };
            Err(unavailable_or(connection, waited).await)
        }
    }
}

impl Tree {
    /// The connection notification listeners consume on.
    fn notification_connection(&self) -> &Addr<HostConnection> {
        self.notification_bus
            .as_ref()
            .map_or(&self.connection, |bus| &bus.connection)
    }
}

/// How the transport names itself to the broker.
#[derive(Debug, Clone)]
pub struct TransportBuilder {
    config: Config,
    project: Option<String>,
    prog: String,
    connection_name: Option<String>,
}

impl TransportBuilder {
    /// The project name used in the reply queue name (oslo's `conf.project`).
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The program name used in the reply queue name (oslo's `conf.prog`; default:
    /// the executable's name).
    pub fn prog(mut self, prog: impl Into<String>) -> Self {
        self.prog = prog.into();
        self
    }

    /// The name shown by `rabbitmqctl list_connections name` (default
    /// `warren:<prog>:<pid>`).
    pub fn connection_name(mut self, name: impl Into<String>) -> Self {
        self.connection_name = Some(name.into());
        self
    }

    /// Start the transport's actors, in an arbiter of the transport's own.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the configuration has no usable transport URL, when a TLS
    /// certificate or key file of `ssl_options` cannot be read, or when called outside
    /// a running actix system.
    pub fn start(self) -> Result<Transport, Error> {
        if actix::System::try_current().is_none() {
            return Err(Error::Config {
                reason: "a warren transport must be started inside a running actix system \
                         (for example from #[actix::main] or System::new().block_on)"
                    .to_owned(),
            });
        }
        let config = self.config;
        for inert in config.inert_options() {
            tracing::warn!(option = inert.name, "{inert}");
        }
        let hosts = endpoints(&config)?;
        let runtime = lapin_runtime()?;
        let name = self
            .connection_name
            .unwrap_or_else(|| format!("warren:{}:{}", self.prog, std::process::id()));
        let settings = connection_settings(&config, name.clone())?;
        let reply_queue = warren_core::new_reply_queue_name(self.project.as_deref(), &self.prog)
            .map_err(|e| Error::Config {
                reason: format!("cannot name the reply queue: {e}"),
            })?;
        let arbiter = Arbiter::new();
        let site = arbiter.handle();
        let connection = Supervisor::start_in_arbiter(&site, move |_| {
            HostConnection::new(hosts, settings, runtime)
        });
        let pool = {
            let (connection, settings) = (connection.clone(), pool_settings(&config));
            Supervisor::start_in_arbiter(&site, move |_| ChannelPool::new(connection, settings))
        };
        let reply_waiter = {
            let connection = connection.clone();
            let settings = ReplySettings::from_config(&config, reply_queue);
            Supervisor::start_in_arbiter(&site, move |_| ReplyWaiter::new(connection, settings))
        };
        let client = {
            let settings = ClientSettings::from_config(&config);
            let (pool, connection, waiter) =
                (pool.clone(), connection.clone(), reply_waiter.clone());
            Supervisor::start_in_arbiter(&site, move |_| {
                RpcClientActor::new(settings, pool, connection, waiter)
            })
        };
        connection.do_send(WatchBroker(client.clone().recipient().downgrade()));
        // Notifications and their listeners use the notification transport: this
        // connection, or one of their own when [oslo_messaging_notifications]
        // transport_url is set (oslo's get_notification_transport).
        let notification_config = config.for_notifications();
        let notification_bus = if config.notifications.transport_url.is_some() {
            Some(NotificationBus::start(
                &notification_config,
                format!("{name}:notify"),
                &site,
            )?)
        } else {
            None
        };
        let notifier = {
            let settings = NotifierSettings::from_config(&notification_config);
            let (pool, connection) = match &notification_bus {
                Some(bus) => (bus.pool.clone(), bus.connection.clone()),
                None => (pool.clone(), connection.clone()),
            };
            let watched = connection.clone();
            let notifier = Supervisor::start_in_arbiter(&site, move |_| {
                NotifierActor::new(settings, pool, connection)
            });
            watched.do_send(WatchBroker(notifier.clone().recipient().downgrade()));
            notifier
        };
        let notification_buffer = {
            let notifier = notifier.clone();
            let pika = &notification_config.pika;
            let (capacity, overflow) = (
                pika.notification_buffer_size.get(),
                pika.notification_buffer_overflow,
            );
            NotificationBufferActor::start_in_arbiter(&site, move |_| {
                NotificationBufferActor::new(notifier, capacity, overflow)
            })
        };
        Ok(Transport {
            tree: Arc::new(Tree {
                server: ServerSettings::from_config(&config),
                listener: ListenerSettings::from_config(&notification_config),
                config,
                arbiter,
                connection,
                pool,
                reply_waiter,
                client,
                notifier,
                notification_buffer,
                notification_bus,
            }),
        })
    }
}

/// A running connection to RabbitMQ and its actors; cheap to clone.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), warren::Error> {
/// use warren::{Config, Target, Transport};
/// let config = Config::builder()
///     .transport_url("pika://guest:guest@127.0.0.1:5672/".parse().expect("valid URL"))
///     .build()
///     .expect("valid configuration");
/// let transport = Transport::new(config)?;
/// let client = transport.rpc_client(Target::new("compute"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Transport {
    tree: Arc<Tree>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("transport_url", &self.tree.config.transport_url)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Start a transport for `config` with default names; see [`Transport::builder`].
    ///
    /// # Errors
    ///
    /// As [`TransportBuilder::start`].
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::builder(config).start()
    }

    /// A builder to set the names the transport uses before starting it.
    pub fn builder(config: Config) -> TransportBuilder {
        let prog = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "warren".to_owned());
        TransportBuilder {
            config,
            project: None,
            prog,
            connection_name: None,
        }
    }

    /// Load an oslo.config-style INI file and start a transport for it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the file, line and option when the file is invalid.
    pub fn from_ini_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        let config = warren_core::ConfigBuilder::from_ini_file(path.as_ref())?.build()?;
        Self::new(config)
    }

    /// The arbiter the transport's actors run in, for services that start non-blocking
    /// servers there ([`crate::RpcServer::start_in`]).
    pub fn arbiter(&self) -> ArbiterHandle {
        self.tree.arbiter.handle()
    }

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.tree.config
    }

    /// An RPC client for `target` (see [`RpcClient`] for per-call overrides).
    pub fn rpc_client(&self, target: Target) -> RpcClient {
        RpcClient::new(self.tree.client.clone(), target)
    }

    /// The RPC client actor, for sending [`crate::Call`] and [`crate::Cast`]
    /// messages from other actors.
    pub fn rpc_client_actor(&self) -> Addr<RpcClientActor> {
        self.tree.client.clone()
    }

    /// A notifier publishing as `publisher_id` on the configured topics.
    pub fn notifier(&self, publisher_id: impl Into<String>) -> Notifier {
        Notifier::new(
            self.tree.notifier.clone(),
            self.tree.notification_buffer.clone(),
            publisher_id.into(),
        )
    }

    /// The notifier actor, for sending [`crate::Notify`] messages from other actors.
    pub fn notifier_actor(&self) -> Addr<NotifierActor> {
        self.tree.notifier.clone()
    }

    /// What the transport's reply waiter has received and rejected so far: zeros
    /// before the first call (the reply queue is declared lazily) or once the
    /// transport is closed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) {
    /// let counts = transport.reply_counts().await;
    /// println!("{} malformed replies rejected", counts.rejected);
    /// # }
    /// ```
    pub async fn reply_counts(&self) -> ReplyCounts {
        self.tree
            .reply_waiter
            .send(ReplyStats)
            .await
            .unwrap_or_default()
    }

    /// Receive the connection's state changes; returns the current state.
    ///
    /// # Errors
    ///
    /// [`Error::Shutdown`] when the connection actor is gone.
    pub async fn subscribe(
        &self,
        subscriber: Recipient<ConnectionStateChanged>,
    ) -> Result<ConnectionState, Error> {
        self.tree
            .connection
            .send(SubscribeState(subscriber))
            .await
            .map_err(|_| Error::Shutdown)
    }

    /// Wait until the transport is connected to a broker host, at most `timeout`
    /// (and its notification connection too, when notifications have their own
    /// `transport_url`).
    ///
    /// Calls, casts and notifications wait for a connection on their own; this is
    /// for programs that would rather fail fast (the `warren` tool's one-shot commands
    /// do so within `--connect-timeout`) or report readiness. The transport goes on
    /// trying the URL's hosts after an error.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionUnavailable`] when no host accepted a connection in time,
    /// with the host being tried and the last failure (connection refused, DNS, TLS,
    /// authentication); [`Error::ConnectFailed`] as soon as every host has refused
    /// for a reason only an operator can fix; [`Error::Shutdown`] after
    /// [`Transport::close`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn demo(transport: warren::Transport) -> Result<(), warren::Error> {
    /// transport.ready(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn ready(&self, timeout: std::time::Duration) -> Result<(), Error> {
        let deadline = tokio::time::Instant::now() + timeout;
        connected(&self.tree.connection, timeout).await?;
        if let Some(bus) = &self.tree.notification_bus {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            connected(&bus.connection, left).await?;
        }
        Ok(())
    }

    /// Close the connection gracefully, stop reconnecting and stop the transport's
    /// arbiter. Stop servers and listeners first ([`crate::RpcServer::stop`]) so they
    /// can finish their work; calls made afterwards fail with [`Error::Shutdown`].
    pub async fn close(&self) {
        let _ = self.tree.reply_waiter.send(CloseReplyWaiter).await;
        let _ = self.tree.connection.send(CloseConnection).await;
        if let Some(bus) = &self.tree.notification_bus {
            let _ = bus.connection.send(CloseConnection).await;
        }
        self.tree.arbiter.stop();
    }
}
