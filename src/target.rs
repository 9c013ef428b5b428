//! [`Target`]: the destination of an RPC request or a notification, as in oslo.messaging.

/// Where a message goes: oslo.messaging's `Target`.
///
/// A client fills `topic` (and optionally `server`, `fanout`, `exchange`, `namespace`,
/// `version`); a server listens on `topic` + `server`.
///
/// # Examples
///
/// ```
/// use warren_core::Target;
/// let t = Target::new("compute").with_server("host1").with_version("1.2");
/// assert_eq!(t.server.as_deref(), Some("host1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    /// Exchange to use instead of the configured default; used verbatim (no suffix).
    pub exchange: Option<String>,
    /// The topic: the service name shared by every server of a group.
    pub topic: String,
    /// One server of the topic's group, or `None` for any of them.
    pub server: Option<String>,
    /// Deliver to every server of the topic (RPC cast only).
    pub fanout: bool,
    /// The endpoint namespace the request is for (`None` is the null namespace).
    pub namespace: Option<String>,
    /// The RPC API version `X.Y` the request needs (`None`: the receiver assumes `1.0`).
    pub version: Option<String>,
}

impl Target {
    /// A target for `topic` with nothing else set.
    pub fn new(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            ..Self::default()
        }
    }

    /// The same target for one server of the topic.
    pub fn with_server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into());
        self
    }

    /// The same target on another exchange (used verbatim).
    pub fn with_exchange(mut self, exchange: impl Into<String>) -> Self {
        self.exchange = Some(exchange.into());
        self
    }

    /// The same target in an endpoint namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The same target requiring an API version `X.Y`.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The same target, delivered to every server of the topic.
    pub fn with_fanout(mut self, fanout: bool) -> Self {
        self.fanout = fanout;
        self
    }
}
