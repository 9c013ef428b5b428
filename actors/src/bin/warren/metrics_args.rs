//! `--metrics-addr`: Prometheus metrics of `warren serve`, `warren listen` and
//! `warren bench`.

use std::net::SocketAddr;

use clap::Args;
use metrics_exporter_prometheus::PrometheusBuilder;

/// Histogram buckets, in seconds: from half a millisecond (a call on a local broker)
/// to the default `rpc_response_timeout`.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Where to serve metrics.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics over HTTP at this address (`/metrics`), for example
    /// 127.0.0.1:9464.
    #[arg(long, value_name = "HOST:PORT")]
    metrics_addr: Option<SocketAddr>,
}

impl MetricsArgs {
    /// Start the exporter when asked (before the actix system: it runs on a thread of
    /// its own), or say why it cannot listen.
    pub fn install(&self, command: &str) -> Result<(), String> {
        let Some(addr) = self.metrics_addr else {
            return Ok(());
        };
        PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets(BUCKETS)
            .and_then(PrometheusBuilder::install)
            .map_err(|e| format!("--metrics-addr {addr}: {e}"))?;
        warren::enable_metrics();
        eprintln!("warren {command}: metrics at http://{addr}/metrics");
        Ok(())
    }
}
