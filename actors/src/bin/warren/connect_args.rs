//! The options every messaging subcommand shares: where the configuration comes from
//! and which serializer to use.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use warren::{Config, ConfigBuilder, Section, Serializer, Transport, TransportUrl};

/// Where to find the broker and the options.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// An oslo.config-style file with [DEFAULT], [oslo_messaging_pika] and
    /// [oslo_messaging_notifications] sections.
    #[arg(long, value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// A pika:// transport URL; overrides [DEFAULT] transport_url of the file.
    #[arg(long, value_name = "URL")]
    pub transport_url: Option<String>,
    /// Body serializer for outgoing messages (default: the configuration's).
    #[arg(long, value_parser = ["json", "msgpack"])]
    pub serializer: Option<String>,
}

impl ConnectArgs {
    /// The builder for these options, warning on stderr about unknown file options.
    pub fn builder(&self, command: &str) -> Result<ConfigBuilder, String> {
        let mut builder = match &self.config_file {
            Some(path) => ConfigBuilder::from_ini_file(path).map_err(|e| e.to_string())?,
            None => ConfigBuilder::new(),
        };
        for unknown in builder.unknown_options() {
            eprintln!("warren {command}: warning: {unknown}");
        }
        if let Some(text) = &self.transport_url {
            let url: TransportUrl = text
                .parse()
                .map_err(|e| format!("invalid --transport-url: {e}"))?;
            builder = builder.transport_url(url);
        }
        if let Some(serializer) = &self.serializer {
            builder = builder.set(
                Section::Pika,
                "default_serializer_type",
                serializer.as_str(),
            );
        }
        Ok(builder)
    }

    /// The effective configuration.
    pub fn config(&self, command: &str) -> Result<Config, String> {
        let config = self.builder(command)?.build().map_err(|e| e.to_string())?;
        if config.transport_url.is_none() {
            return Err(
                "no transport URL: pass --transport-url pika://user:pass@host:5672/ or a \
                 --config-file with [DEFAULT] transport_url"
                    .to_owned(),
            );
        }
        let _: Serializer = config.pika.default_serializer_type;
        Ok(config)
    }

    /// A started transport named after the subcommand.
    pub fn transport(&self, command: &str) -> Result<Transport, String> {
        let config = self.config(command)?;
        Transport::builder(config)
            .prog(format!("warren-{command}"))
            .connection_name(format!("warren-cli:{command}:{}", std::process::id()))
            .start()
            .map_err(|e| e.to_string())
    }
}

/// How long a one-shot command (`call`, `cast`, `notify`, `bench`) waits for a
/// connection before it gives up; `serve` and `listen` keep trying instead.
#[derive(Debug, Clone, Args)]
pub struct ConnectTimeout {
    /// Seconds to wait for a connection to the broker; then exit 1 saying why (for
    /// example "connection refused").
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = seconds)]
    connect_timeout: Duration,
}

/// A positive number of seconds.
fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    if secs <= 0.0 {
        return Err("must be more than 0".to_owned());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

impl ConnectTimeout {
    /// Wait until `transport` is connected. When it is not within the timeout, say
    /// why in one line, close it and return the exit status.
    pub async fn connected(&self, transport: &Transport, command: &str) -> Result<(), ExitCode> {
        match transport.ready(self.connect_timeout).await {
            Ok(()) => Ok(()),
            Err(e) => {
                eprintln!("warren {command}: {e}");
                transport.close().await;
                Err(ExitCode::FAILURE)
            }
        }
    }
}
