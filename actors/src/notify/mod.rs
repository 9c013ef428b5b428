//! Notifications: the notifier actor and its handle, the listener actor, its endpoints
//! and filters.

mod dispatch;
mod endpoint;
mod filter;
mod listener;
mod listener_handle;
mod notification;
mod notifier;
mod notifier_handle;

pub use endpoint::NotificationEndpoint;
pub use filter::NotificationFilter;
pub use listener::{
    ListenerCounts, ListenerReady, ListenerStats, NotificationListenerActor, StopListener,
};
pub(crate) use listener_handle::launch_listener;
pub use listener_handle::{ListenerOptions, NotificationListener};
pub use notification::{
    Notification, NotificationBatchReceived, NotificationReceived, NotificationResult,
};
pub use notifier::{NotifierActor, Notify};
pub use notifier_handle::Notifier;
