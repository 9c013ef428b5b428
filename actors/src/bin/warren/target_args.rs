//! Target options shared by `call`, `cast` and `bench`.

use clap::Args;
use warren::Target;

/// Where requests go.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// The topic (service name).
    #[arg(long)]
    pub topic: String,
    /// One server of the topic; any server when omitted.
    #[arg(long)]
    pub server: Option<String>,
    /// An exchange other than default_rpc_exchange.
    #[arg(long)]
    pub exchange: Option<String>,
    /// The endpoint namespace.
    #[arg(long)]
    pub namespace: Option<String>,
    /// The API version X.Y the request needs.
    #[arg(long = "api-version", value_name = "X.Y")]
    pub version: Option<String>,
}

impl TargetArgs {
    /// The target these options name.
    pub fn target(&self) -> Target {
        Target {
            exchange: self.exchange.clone(),
            topic: self.topic.clone(),
            server: self.server.clone(),
            fanout: false,
            namespace: self.namespace.clone(),
            version: self.version.clone(),
        }
    }
}
