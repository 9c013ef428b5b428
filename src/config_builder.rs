//! [`ConfigBuilder`]: collects option values from a file, from code and from the
//! transport URL's query, and builds the validated [`Config`].

use std::fmt;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Duration;

use crate::auth_mechanism::AuthMechanism;
use crate::buffer_overflow::BufferOverflow;
use crate::config::Config;
use crate::config_error::{ConfigError, Origin, UnknownOption};
use crate::connection_factory::ConnectionFactory;
use crate::ini::IniDocument;
use crate::option_table;
use crate::option_value::format_seconds;
use crate::retry::Retry;
use crate::section::Section;
use crate::serializer::Serializer;
use crate::url::TransportUrl;

/// Builds a [`Config`] from three layers, later ones winning:
///
/// 1. a configuration file ([`ConfigBuilder::from_ini_file`] /
///    [`ConfigBuilder::from_ini_str`]), which can only be the first layer;
/// 2. values set in code: the generic [`ConfigBuilder::set`] and typed setters such as
///    [`ConfigBuilder::heartbeat_interval`];
/// 3. the `?query` of the final `[DEFAULT] transport_url`, applied by
///    [`ConfigBuilder::build`]: each key must be an `[oslo_messaging_pika]` option and
///    its value is taken literally.
///
/// `${name}` references in file values and in [`ConfigBuilder::set`] values are resolved
/// at build time against the final value of `name` in the same section, then in
/// `[DEFAULT]`; that is how the exchange defaults follow `control_exchange`. Typed
/// setters and URL-query values are literal. Write `$$` for a `$` in a referencing
/// value.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use warren_core::{ConfigBuilder, Section};
/// let ini = "[DEFAULT]\ntransport_url = pika://u:p@h:5672/?heartbeat_interval=5\n\
///            [oslo_messaging_pika]\nheartbeat_interval = 2\npool_max_size = 4\n";
/// let config = ConfigBuilder::from_ini_str(ini, "nova.conf")
///     .unwrap()
///     .set(Section::Pika, "pool_max_size", "8")
///     .build()
///     .unwrap();
/// assert_eq!(config.pika.pool_max_size.get(), 8); // code beats the file
/// assert_eq!(config.pika.heartbeat_interval, Duration::from_secs(5)); // query beats both
/// ```
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    values: Values,
    unknown_options: Vec<UnknownOption>,
    unknown_in_code: Vec<(Section, String)>,
}

mod resolve;

use resolve::{Raw, RawValue, Values, apply, apply_query, convert, location, url_spec};

impl ConfigBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder starting from an oslo.config-style INI text (see the `ini` rules in
    /// `docs/configuration.md`). `file` names the text in error messages.
    ///
    /// Sections other than `[DEFAULT]`, `[oslo_messaging_pika]` and
    /// `[oslo_messaging_notifications]` are ignored; unknown options inside those are
    /// ignored too, as oslo.config does, and listed by
    /// [`ConfigBuilder::unknown_options`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::Ini`] when the text is not valid INI. Values are checked by
    /// [`ConfigBuilder::build`].
    pub fn from_ini_str(text: &str, file: &str) -> Result<Self, ConfigError> {
        let doc = IniDocument::parse(text).map_err(|source| ConfigError::Ini {
            file: file.to_owned(),
            source,
        })?;
        let mut builder = Self::new();
        for entry in doc.entries() {
            let Some(section) = Section::from_name(&entry.section) else {
                continue;
            };
            let origin = Origin::File {
                file: file.to_owned(),
                line: entry.line,
            };
            if option_table::find(section, &entry.key).is_none() {
                builder
                    .unknown_options
                    .retain(|u| !(u.section == section && u.option == entry.key));
                builder.unknown_options.push(UnknownOption {
                    section,
                    option: entry.key.clone(),
                    origin: origin.clone(),
                });
            }
            // Unknown keys stay available to `${}` references, as in oslo.config files.
            builder.values.insert(
                (section, entry.key.clone()),
                Raw {
                    value: RawValue::Text(entry.value.clone()),
                    origin,
                },
            );
        }
        Ok(builder)
    }

    /// A builder starting from the configuration file at `path`: reads it, then
    /// [`ConfigBuilder::from_ini_str`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::Io`] when the file cannot be read, [`ConfigError::Ini`] when it is
    /// not valid INI.
    pub fn from_ini_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_ini_str(&text, &path.display().to_string())
    }

    /// Options found in the file's `[DEFAULT]`, `[oslo_messaging_pika]` or
    /// `[oslo_messaging_notifications]` that warren does not know; they are ignored
    /// (a shared file holds other services' `[DEFAULT]` options), but an unknown name in
    /// `[oslo_messaging_pika]` is usually a typo worth a warning.
    pub fn unknown_options(&self) -> &[UnknownOption] {
        &self.unknown_options
    }

    /// Sets `option` of `section` from text, as a file line would (same type rules,
    /// `${}` references resolved). An unknown option is reported by
    /// [`ConfigBuilder::build`] as [`ConfigError::UnknownOption`].
    pub fn set(mut self, section: Section, option: &str, value: impl Into<String>) -> Self {
        if option_table::find(section, option).is_none() {
            self.unknown_in_code.push((section, option.to_owned()));
            return self;
        }
        self.insert(section, option, RawValue::Text(value.into()));
        self
    }

    fn insert(&mut self, section: Section, option: &str, value: RawValue) {
        self.values.insert(
            (section, option.to_owned()),
            Raw {
                value,
                origin: Origin::Code,
            },
        );
    }

    fn literal(self, section: Section, option: &str, value: &str) -> Self {
        self.set(section, option, value.replace('$', "$$"))
    }

    /// `[DEFAULT] transport_url`.
    pub fn transport_url(mut self, url: TransportUrl) -> Self {
        self.insert(Section::Default, "transport_url", RawValue::Url(url));
        self
    }

    /// `[DEFAULT] control_exchange` (literal).
    pub fn control_exchange(self, name: &str) -> Self {
        self.literal(Section::Default, "control_exchange", name)
    }

    /// `[DEFAULT] rpc_response_timeout`, in whole seconds (a fraction is dropped).
    pub fn rpc_response_timeout(self, timeout: Duration) -> Self {
        let secs = timeout.as_secs().to_string();
        self.set(Section::Default, "rpc_response_timeout", secs)
    }

    /// `[DEFAULT] executor_thread_pool_size`.
    pub fn executor_thread_pool_size(self, size: NonZeroUsize) -> Self {
        self.set(
            Section::Default,
            "executor_thread_pool_size",
            size.to_string(),
        )
    }

    /// `[oslo_messaging_pika] heartbeat_interval`, in whole seconds (a fraction is
    /// dropped, but an interval under a second is one second: only zero turns
    /// heartbeats off).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use warren_core::ConfigBuilder;
    /// let half = ConfigBuilder::new().heartbeat_interval(Duration::from_millis(500));
    /// assert_eq!(half.build().unwrap().pika.heartbeat_interval, Duration::from_secs(1));
    /// let off = ConfigBuilder::new().heartbeat_interval(Duration::ZERO);
    /// assert_eq!(off.build().unwrap().pika.heartbeat_interval, Duration::ZERO);
    /// ```
    pub fn heartbeat_interval(self, interval: Duration) -> Self {
        let mut secs = interval.as_secs();
        if secs == 0 && !interval.is_zero() {
            secs = 1;
        }
        self.set(Section::Pika, "heartbeat_interval", secs.to_string())
    }

    /// `[oslo_messaging_pika] ssl`.
    pub fn ssl(self, enabled: bool) -> Self {
        self.set(Section::Pika, "ssl", enabled.to_string())
    }

    /// `[oslo_messaging_pika] auth_mechanism`: `PLAIN` (the default) or `EXTERNAL`
    /// (the TLS client certificate names the user).
    pub fn auth_mechanism(self, mechanism: AuthMechanism) -> Self {
        self.set(Section::Pika, "auth_mechanism", mechanism.name())
    }

    /// `[oslo_messaging_pika] connection_factory`.
    pub fn connection_factory(self, factory: ConnectionFactory) -> Self {
        self.set(Section::Pika, "connection_factory", factory.name())
    }

    /// `[oslo_messaging_pika] pool_max_size`.
    pub fn pool_max_size(self, size: NonZeroUsize) -> Self {
        self.set(Section::Pika, "pool_max_size", size.to_string())
    }

    /// `[oslo_messaging_pika] default_serializer_type`.
    pub fn default_serializer_type(self, serializer: Serializer) -> Self {
        self.set(Section::Pika, "default_serializer_type", serializer.name())
    }

    /// `[oslo_messaging_pika] max_message_body_size`: the largest body, in bytes, a
    /// server, listener or reply waiter decodes; `0` sets no limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::ConfigBuilder;
    /// let config = ConfigBuilder::new().max_message_body_size(1 << 20).build().unwrap();
    /// assert_eq!(config.pika.max_message_body_size.map(|n| n.get()), Some(1 << 20));
    /// let unlimited = ConfigBuilder::new().max_message_body_size(0).build().unwrap();
    /// assert_eq!(unlimited.pika.max_message_body_size, None);
    /// ```
    pub fn max_message_body_size(self, bytes: usize) -> Self {
        self.set(Section::Pika, "max_message_body_size", bytes.to_string())
    }

    /// `[oslo_messaging_pika] notification_persistence`.
    pub fn notification_persistence(self, persistent: bool) -> Self {
        self.set(
            Section::Pika,
            "notification_persistence",
            persistent.to_string(),
        )
    }

    /// `[oslo_messaging_pika] default_notification_exchange` (literal).
    pub fn default_notification_exchange(self, name: &str) -> Self {
        self.literal(Section::Pika, "default_notification_exchange", name)
    }

    /// `[oslo_messaging_pika] quorum_queues`: declare notification and RPC server queues
    /// as quorum queues (always durable). Leave it off when Python services share the
    /// queues: they declare classic ones.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::ConfigBuilder;
    /// let config = ConfigBuilder::new().quorum_queues(true).build().unwrap();
    /// assert!(config.pika.quorum_queues);
    /// ```
    pub fn quorum_queues(self, enabled: bool) -> Self {
        self.set(Section::Pika, "quorum_queues", enabled.to_string())
    }

    /// `[oslo_messaging_pika] notification_buffer_size`: notifications a buffered
    /// notifier holds, queued or being sent, while the broker is away.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::ConfigBuilder;
    /// let config = ConfigBuilder::new().notification_buffer_size(500).build().unwrap();
    /// assert_eq!(config.pika.notification_buffer_size.get(), 500);
    /// ```
    pub fn notification_buffer_size(self, size: usize) -> Self {
        self.set(Section::Pika, "notification_buffer_size", size.to_string())
    }

    /// `[oslo_messaging_pika] notification_buffer_overflow`: what a full notification
    /// buffer does with one more notification.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::{BufferOverflow, ConfigBuilder};
    /// let config = ConfigBuilder::new()
    ///     .notification_buffer_overflow(BufferOverflow::Wait)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(config.pika.notification_buffer_overflow, BufferOverflow::Wait);
    /// ```
    pub fn notification_buffer_overflow(self, overflow: BufferOverflow) -> Self {
        self.set(
            Section::Pika,
            "notification_buffer_overflow",
            overflow.name(),
        )
    }

    /// `[oslo_messaging_pika] durable_queues`: declare every queue durable (RPC server,
    /// reply and notification queues; `x-expires` kept), so that RabbitMQ 4.3 and later
    /// accept them without `deprecated_features.permit.transient_nonexcl_queues`.
    /// Leave it off when Python services share the queues: they declare them
    /// non-durable.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::{ConfigBuilder, QueueType};
    /// let config = ConfigBuilder::new().durable_queues(true).build().unwrap();
    /// assert_eq!(config.pika.queue_type(), QueueType::DurableClassic);
    /// assert!(config.pika.durable_reply_queues());
    /// ```
    pub fn durable_queues(self, enabled: bool) -> Self {
        self.set(Section::Pika, "durable_queues", enabled.to_string())
    }

    /// `[oslo_messaging_pika] rpc_queue_expiration`, in whole seconds (a fraction is
    /// dropped).
    pub fn rpc_queue_expiration(self, ttl: Duration) -> Self {
        let secs = ttl.as_secs().to_string();
        self.set(Section::Pika, "rpc_queue_expiration", secs)
    }

    /// `[oslo_messaging_pika] default_rpc_exchange` (literal).
    pub fn default_rpc_exchange(self, name: &str) -> Self {
        self.literal(Section::Pika, "default_rpc_exchange", name)
    }

    /// `[oslo_messaging_pika] rpc_reply_exchange` (literal).
    pub fn rpc_reply_exchange(self, name: &str) -> Self {
        self.literal(Section::Pika, "rpc_reply_exchange", name)
    }

    /// `[oslo_messaging_pika] default_rpc_retry_attempts`.
    pub fn default_rpc_retry_attempts(self, retry: Retry) -> Self {
        let oslo = retry.to_oslo().to_string();
        self.set(Section::Pika, "default_rpc_retry_attempts", oslo)
    }

    /// `[oslo_messaging_pika] rpc_retry_delay`.
    pub fn rpc_retry_delay(self, delay: Duration) -> Self {
        self.set(Section::Pika, "rpc_retry_delay", format_seconds(delay))
    }

    /// `[oslo_messaging_notifications] transport_url`.
    pub fn notification_transport_url(mut self, url: TransportUrl) -> Self {
        self.insert(Section::Notifications, "transport_url", RawValue::Url(url));
        self
    }

    /// `[oslo_messaging_notifications] driver`.
    pub fn notification_driver<S: AsRef<str>>(self, drivers: &[S]) -> Self {
        let joined = join(drivers);
        self.literal(Section::Notifications, "driver", &joined)
    }

    /// `[oslo_messaging_notifications] topics`.
    pub fn notification_topics<S: AsRef<str>>(self, topics: &[S]) -> Self {
        let joined = join(topics);
        self.literal(Section::Notifications, "topics", &joined)
    }

    /// The effective configuration: defaults, then the file, then code, then the query
    /// of the final `[DEFAULT] transport_url`, all converted and validated. The query
    /// of `[oslo_messaging_notifications] transport_url` is checked too and applied to
    /// [`Config::notification_pika`] only.
    ///
    /// # Errors
    ///
    /// The first problem found, as a [`ConfigError`] naming the option, its section and
    /// where the value came from: [`ConfigError::InvalidValue`],
    /// [`ConfigError::SslOptionsWithoutSsl`], [`ConfigError::UnknownQueryOption`],
    /// [`ConfigError::UnknownOption`], [`ConfigError::UnresolvedReference`],
    /// [`ConfigError::ReferenceCycle`].
    pub fn build(&self) -> Result<Config, ConfigError> {
        if let Some((section, option)) = self.unknown_in_code.first() {
            return Err(ConfigError::UnknownOption {
                section: *section,
                option: option.clone(),
                accepted: option_table::names(*section),
            });
        }

        let mut values = self.values.clone();
        let mut scratch = Config::default();
        apply(&values, &mut scratch, url_spec(Section::Default))?;
        if let Some(url) = &scratch.transport_url {
            let url_at = location(&values, url_spec(Section::Default));
            apply_query(&mut values, url, url_at)?;
        }
        let mut config = convert(&values)?;

        if let Some(url) = config.notifications.transport_url.clone()
            && !url.query().is_empty()
        {
            let mut own = self.values.clone();
            let url_at = location(&own, url_spec(Section::Notifications));
            apply_query(&mut own, &url, url_at)?;
            config.notification_pika = Some(convert(&own)?.pika);
        }
        Ok(config)
    }
}

fn join<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(",")
}
/// Lists what is set and where from, never the values (they may hold passwords).
impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field(
                "set",
                &self
                    .values
                    .iter()
                    .map(|((s, o), raw)| format!("{}.{o} ({})", s.name(), raw.origin))
                    .collect::<Vec<_>>(),
            )
            .field("unknown_options", &self.unknown_options)
            .finish()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tls_tests;
