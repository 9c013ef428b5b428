//! `warren config`: loads the configuration the way a service would and prints the
//! effective values, so an operator can check a file and URL before deploying them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use warren::{ConfigBuilder, ConfigError, TransportUrl};

use crate::EXIT_INVALID_INPUT;

/// Options of `warren config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// An oslo.config-style file with [DEFAULT], [oslo_messaging_pika] and
    /// [oslo_messaging_notifications] sections.
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// A pika:// transport URL; overrides [DEFAULT] transport_url of the file.
    #[arg(long, value_name = "URL")]
    transport_url: Option<String>,
}

/// Prints the effective configuration as pretty JSON on stdout, or the error on stderr
/// with exit status 2. Unknown options of the file are warned about on stderr.
pub fn run(args: &ConfigArgs) -> ExitCode {
    match load(args) {
        // A closed stdout (`warren config | head`) is not worth a panic.
        Ok(json) => match writeln!(std::io::stdout().lock(), "{json}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(message) => {
            eprintln!("warren config: {message}");
            ExitCode::from(EXIT_INVALID_INPUT)
        }
    }
}

fn load(args: &ConfigArgs) -> Result<String, String> {
    let mut builder = match &args.config_file {
        Some(path) => ConfigBuilder::from_ini_file(path).map_err(|e: ConfigError| e.to_string())?,
        None => ConfigBuilder::new(),
    };
    for unknown in builder.unknown_options() {
        eprintln!("warren config: warning: {unknown}");
    }
    if let Some(text) = &args.transport_url {
        let url: TransportUrl = text
            .parse()
            .map_err(|e| format!("invalid --transport-url: {e}"))?;
        builder = builder.transport_url(url);
    }
    let config = builder.build().map_err(|e: ConfigError| e.to_string())?;
    Ok(config.to_json_pretty())
}
