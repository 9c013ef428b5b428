//! Notifications: the notifier actor and its handle, the listener actor, its endpoints
//! and filters.

mod buffer_queue;
mod filter;
mod listener;
mod listener_handle;
mod notification_buffer;
mod notification_dispatch;
mod notification_endpoint;
mod notifier;
mod notifier_handle;
mod received_notification;

pub use filter::NotificationFilter;
pub use listener::{
    ListenerCounts, ListenerReady, ListenerStats, NotificationListenerActor, StopListener,
};
pub(crate) use listener_handle::launch_listener;
pub use listener_handle::{ListenerOptions, NotificationListener};
pub use notification_buffer::{
    BufferNotification, FlushNotifications, NotificationBufferActor, NotificationBufferCounts,
    NotificationBufferStats,
};
pub use notification_endpoint::NotificationEndpoint;
pub use notifier::{NotifierActor, Notify};
pub use notifier_handle::Notifier;
pub use received_notification::{
    Notification, NotificationBatchReceived, NotificationReceived, NotificationResult,
};
