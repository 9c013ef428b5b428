//! [`Config`]: the effective, validated configuration of a warren process.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::config_builder::ConfigBuilder;
use crate::notification_options::NotificationOptions;
use crate::option_value::ser_seconds;
use crate::pika_options::PikaOptions;
use crate::section::Section;
use crate::url::TransportUrl;

/// Every option warren reads, typed: `[DEFAULT]` fields at the top level,
/// `[oslo_messaging_pika]` in [`Config::pika`], `[oslo_messaging_notifications]` in
/// [`Config::notifications`]. Field names are the oslo option names.
///
/// Build one with [`ConfigBuilder`] (file, then code, then the transport URL's query),
/// or start from `Config::default()`. Serializing it (for example with
/// [`Config::to_json_pretty`]) prints each section with every option, durations as float
/// seconds, `None` as `null`, and passwords and `ssl_options` values as `***`.
///
/// # Examples
///
/// ```
/// use warren_core::{Config, Section};
/// let config = Config::builder()
///     .set(Section::Default, "control_exchange", "nova")
///     .transport_url("pika://nova:s3cret@rabbit:5672/?rpc_queue_expiration=30".parse().unwrap())
///     .build()
///     .unwrap();
/// assert_eq!(config.pika.default_rpc_exchange, "nova_rpc");
/// assert_eq!(config.pika.rpc_queue_expiration.as_secs(), 30);
/// assert!(!config.to_json_pretty().contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `[DEFAULT] transport_url`: the broker(s). `None` when unset.
    pub transport_url: Option<TransportUrl>,
    /// `[DEFAULT] control_exchange`: prefix of the default exchange names. Default
    /// `openstack`.
    pub control_exchange: String,
    /// `[DEFAULT] rpc_response_timeout`: default RPC call timeout, whole seconds.
    /// Default 60 s.
    pub rpc_response_timeout: Duration,
    /// `[DEFAULT] executor_thread_pool_size`: how many requests a server handles at
    /// once. Default 64.
    pub executor_thread_pool_size: NonZeroUsize,
    /// `[oslo_messaging_pika]`, with the `transport_url` query applied.
    pub pika: PikaOptions,
    /// `[oslo_messaging_notifications]`.
    pub notifications: NotificationOptions,
    /// `pika` with the notification transport URL's query applied, when it has one.
    pub(crate) notification_pika: Option<PikaOptions>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            transport_url: None,
            control_exchange: "openstack".to_owned(),
            rpc_response_timeout: Duration::from_secs(60),
            executor_thread_pool_size: NonZeroUsize::new(64).expect("64 is not zero"),
            pika: PikaOptions::default(),
            notifications: NotificationOptions::default(),
            notification_pika: None,
        }
    }
}

impl Config {
    /// A builder with every option at its default.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::new()
    }

    /// The `[oslo_messaging_pika]` options of the notification transport: [`Config::pika`]
    /// with the query of `[oslo_messaging_notifications] transport_url` applied, or
    /// [`Config::pika`] itself when that URL is unset or has no query.
    pub fn notification_pika(&self) -> &PikaOptions {
        self.notification_pika.as_ref().unwrap_or(&self.pika)
    }

    /// The transport notifications use: `[oslo_messaging_notifications] transport_url`,
    /// else `[DEFAULT] transport_url`.
    pub fn notification_transport_url(&self) -> Option<&TransportUrl> {
        self.notifications
            .transport_url
            .as_ref()
            .or(self.transport_url.as_ref())
    }

    /// The configuration of the notification transport, as oslo's
    /// `get_notification_transport(conf)` builds it: this configuration with
    /// [`Config::notification_transport_url`] as its transport URL and
    /// [`Config::notification_pika`] as its `[oslo_messaging_pika]` options. The same
    /// configuration when `[oslo_messaging_notifications] transport_url` is unset.
    ///
    /// # Examples
    ///
    /// ```
    /// use warren_core::{Config, Section};
    /// let config = Config::builder()
    ///     .transport_url("pika://u:p@rpc-bus:5672/".parse().unwrap())
    ///     .set(
    ///         Section::Notifications,
    ///         "transport_url",
    ///         "pika://u:p@events:5672/?notification_persistence=true",
    ///     )
    ///     .build()
    ///     .unwrap();
    /// let notifications = config.for_notifications();
    /// assert_eq!(notifications.transport_url.unwrap().hosts()[0].host_or_default(), "events");
    /// assert!(notifications.pika.notification_persistence);
    /// assert!(!config.pika.notification_persistence);
    /// ```
    pub fn for_notifications(&self) -> Config {
        Config {
            transport_url: self.notification_transport_url().cloned(),
            pika: self.notification_pika().clone(),
            notification_pika: None,
            notifications: NotificationOptions {
                transport_url: None,
                ..self.notifications.clone()
            },
            ..self.clone()
        }
    }

    /// The configuration as JSON, one object per section (see the type docs).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("the configuration has only string keys")
    }

    /// [`Config::to_json`], pretty-printed.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("the configuration has only string keys")
    }
}

impl Serialize for Config {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Defaults<'a> {
            transport_url: &'a Option<TransportUrl>,
            control_exchange: &'a str,
            #[serde(serialize_with = "ser_seconds")]
            rpc_response_timeout: Duration,
            executor_thread_pool_size: NonZeroUsize,
        }
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry(
            Section::Default.name(),
            &Defaults {
                transport_url: &self.transport_url,
                control_exchange: &self.control_exchange,
                rpc_response_timeout: self.rpc_response_timeout,
                executor_thread_pool_size: self.executor_thread_pool_size,
            },
        )?;
        map.serialize_entry(Section::Pika.name(), &self.pika)?;
        map.serialize_entry(Section::Notifications.name(), &self.notifications)?;
        map.end()
    }
}
