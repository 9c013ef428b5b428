//! [`NotificationOptions`]: the typed `[oslo_messaging_notifications]` section.

use serde::Serialize;

use crate::notification_driver::NotificationDriver;
use crate::retry::Retry;
use crate::url::TransportUrl;

/// The `[oslo_messaging_notifications]` options, typed. Field names are the oslo option
/// names.
///
/// # Examples
///
/// ```
/// use warren_core::{NotificationOptions, Retry};
/// let n = NotificationOptions::default();
/// assert!(n.driver.is_empty());
/// assert_eq!(n.topics, ["notifications"]);
/// assert_eq!(n.retry, Retry::Forever);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationOptions {
    /// Notification drivers (`messaging`, `messagingv2`, `log`, `noop`). Default
    /// empty, which warren takes as `messagingv2` (see [`NotificationDriver`]).
    pub driver: Vec<NotificationDriver>,
    /// Topics notifications are sent to. Default `["notifications"]`.
    pub topics: Vec<String>,
    /// A separate transport for notifications; `None` uses `[DEFAULT] transport_url`.
    /// Its query overrides `[oslo_messaging_pika]` options for that transport only
    /// ([`Config::notification_pika`](crate::Config::notification_pika)).
    pub transport_url: Option<TransportUrl>,
    /// Attempts to send a notification. Default forever (-1).
    pub retry: Retry,
}

impl Default for NotificationOptions {
    fn default() -> Self {
        Self {
            driver: Vec::new(),
            topics: vec!["notifications".to_owned()],
            transport_url: None,
            retry: Retry::Forever,
        }
    }
}
