//! `warren config`: loads the configuration the way a service would and prints the
//! effective values, so an operator can check a file and URL before deploying them.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;

use crate::EXIT_INVALID_INPUT;
use crate::connect_args::ConnectArgs;

/// Options of `warren config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    connect: ConnectArgs,
}

/// Prints the effective configuration as pretty JSON on stdout, or the error on stderr
/// with exit status 2. Unknown options of the file are warned about on stderr.
pub fn run(args: &ConfigArgs) -> ExitCode {
    let loaded = args
        .connect
        .builder("config")
        .and_then(|b| b.build().map_err(|e| e.to_string()));
    match loaded {
        // A closed stdout (`warren config | head`) is not worth a panic.
        Ok(config) => match writeln!(std::io::stdout().lock(), "{}", config.to_json_pretty()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(message) => {
            eprintln!("warren config: {message}");
            ExitCode::from(EXIT_INVALID_INPUT)
        }
    }
}
