//! [`Transport`]: one configured connection to RabbitMQ and the actors on it.
//!
//! A transport starts, in the current actix arbiter, a supervised [`HostConnection`]
//! and a [`ChannelPool`] on it (the Pika driver's default `single` connection factory:
//! every publisher and consumer of the transport shares one AMQP connection, each on
//! its own channels), plus an [`RpcClientActor`]. The [`ReplyWaiter`] starts with the
//! first call, as the Pika driver declares its reply queue lazily.

use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use actix::prelude::*;
use warren_core::{Config, Target};

use crate::Error;
use crate::connection::{
    CloseConnection, ConnectionState, ConnectionStateChanged, HostConnection, SubscribeState,
};
use crate::notify::NotifierActor;
use crate::pool::ChannelPool;
use crate::rpc::{
    CloseReplyWaiter, ReplyCounts, ReplyQueueSpec, ReplyStats, ReplyWaiter, RpcClientActor,
};
use crate::runtime::lapin_runtime;
use crate::settings::{NotifySettings, RpcSettings, connection_settings, endpoints, pool_limits};
use crate::{Notifier, RpcClient};

/// What every actor of a transport shares.
pub(crate) struct SharedParts {
    pub(crate) config: Config,
    pub(crate) rpc: RpcSettings,
    pub(crate) notify: NotifySettings,
    pub(crate) connection: Addr<HostConnection>,
    pub(crate) pool: Addr<ChannelPool>,
    reply_queue: String,
    reply_waiter: OnceLock<Addr<ReplyWaiter>>,
}

/// A cheap handle to [`SharedParts`].
#[derive(Clone)]
pub(crate) struct Shared(Arc<SharedParts>);

impl Deref for Shared {
    type Target = SharedParts;

    fn deref(&self) -> &SharedParts {
        &self.0
    }
}

impl Shared {
    /// The transport's reply waiter, started on first use in the current arbiter.
    pub(crate) fn reply_waiter(&self) -> Addr<ReplyWaiter> {
        self.reply_waiter
            .get_or_init(|| {
                let spec = ReplyQueueSpec {
                    exchange: self.rpc.reply_exchange.clone(),
                    queue: self.reply_queue.clone(),
                    expiration: self.rpc.queue_expiration,
                    prefetch: self.rpc.reply_prefetch,
                    reconnect_delay: self.rpc.reconnect_delay,
                    max_body_size: self.config.pika.max_message_body_size,
                };
                let connection = self.connection.clone();
                Supervisor::start(move |_| ReplyWaiter::new(connection, spec))
            })
            .clone()
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

    /// Start the transport's actors in the current actix arbiter.
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
        let hosts = endpoints(&self.config)?;
        let runtime = lapin_runtime()?;
        let name = self
            .connection_name
            .unwrap_or_else(|| format!("warren:{}:{}", self.prog, std::process::id()));
        let settings = connection_settings(&self.config, name)?;
        let connection = Supervisor::start(move |_| HostConnection::new(hosts, settings, runtime));
        let limits = pool_limits(&self.config);
        let pool_connection = connection.clone();
        let pool = Supervisor::start(move |_| ChannelPool::new(pool_connection, limits));
        let reply_queue = warren_core::new_reply_queue_name(self.project.as_deref(), &self.prog)
            .map_err(|e| Error::Config {
                reason: format!("cannot name the reply queue: {e}"),
            })?;
        let shared = Shared(Arc::new(SharedParts {
            rpc: RpcSettings::from_config(&self.config),
            notify: NotifySettings::from_config(&self.config),
            config: self.config,
            connection,
            pool,
            reply_queue,
            reply_waiter: OnceLock::new(),
        }));
        let client_shared = shared.clone();
        let client = Supervisor::start(move |_| RpcClientActor::new(client_shared));
        let notifier_shared = shared.clone();
        let notifier = Supervisor::start(move |_| NotifierActor::new(notifier_shared));
        Ok(Transport {
            shared,
            client,
            notifier,
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
    pub(crate) shared: Shared,
    client: Addr<RpcClientActor>,
    notifier: Addr<NotifierActor>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("transport_url", &self.shared.config.transport_url)
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

    /// The effective configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// An RPC client for `target` (see [`RpcClient`] for per-call overrides).
    pub fn rpc_client(&self, target: Target) -> RpcClient {
        RpcClient::new(self.client.clone(), target)
    }

    /// The RPC client actor, for sending [`crate::Call`] and [`crate::Cast`]
    /// messages from other actors.
    pub fn rpc_client_actor(&self) -> Addr<RpcClientActor> {
        self.client.clone()
    }

    /// A notifier publishing as `publisher_id` on the configured topics.
    pub fn notifier(&self, publisher_id: impl Into<String>) -> Notifier {
        Notifier::new(self.notifier.clone(), publisher_id.into())
    }

    /// The notifier actor, for sending [`crate::Notify`] messages from other actors.
    pub fn notifier_actor(&self) -> Addr<NotifierActor> {
        self.notifier.clone()
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
        match self.shared.reply_waiter.get() {
            Some(waiter) => waiter.send(ReplyStats).await.unwrap_or_default(),
            None => ReplyCounts::default(),
        }
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
        self.shared
            .connection
            .send(SubscribeState(subscriber))
            .await
            .map_err(|_| Error::Shutdown)
    }

    /// Close the connection gracefully and stop reconnecting. Stop servers first
    /// ([`crate::RpcServer::stop`]) so they can finish their work.
    pub async fn close(&self) {
        if let Some(waiter) = self.shared.reply_waiter.get() {
            let _ = waiter.send(CloseReplyWaiter).await;
        }
        let _ = self.shared.connection.send(CloseConnection).await;
    }
}
