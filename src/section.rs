//! [`Section`]: the configuration sections warren reads.

use std::fmt;

/// A section of an oslo.config file that holds options warren reads.
///
/// Every other section of a shared service configuration file is ignored.
///
/// # Examples
///
/// ```
/// use warren_core::Section;
/// assert_eq!(Section::Pika.name(), "oslo_messaging_pika");
/// assert_eq!(Section::from_name("DEFAULT"), Some(Section::Default));
/// assert_eq!(Section::from_name("keystone_authtoken"), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// `[DEFAULT]`: `transport_url`, `control_exchange`, `rpc_response_timeout`,
    /// `executor_thread_pool_size`.
    Default,
    /// `[oslo_messaging_pika]`: the driver's own options.
    Pika,
    /// `[oslo_messaging_notifications]`: `driver`, `topics`, `transport_url`, `retry`.
    Notifications,
}

impl Section {
    /// Every section, in file order.
    pub const ALL: [Section; 3] = [Section::Default, Section::Pika, Section::Notifications];

    /// The name inside the brackets.
    pub fn name(self) -> &'static str {
        match self {
            Section::Default => "DEFAULT",
            Section::Pika => "oslo_messaging_pika",
            Section::Notifications => "oslo_messaging_notifications",
        }
    }

    /// The section named `name` (case-sensitive, as oslo.config), if warren reads it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]", self.name())
    }
}
