//! The `warren` command-line tool: one subcommand per module of this folder.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod config_cmd;

/// Exit status for invalid input (a bad transport URL, configuration file or option).
const EXIT_INVALID_INPUT: u8 = 2;

/// warren: oslo.messaging Pika-driver compatible messaging over RabbitMQ.
#[derive(Debug, Parser)]
#[command(name = "warren", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the effective configuration as JSON (passwords shown as ***).
    Config(config_cmd::ConfigArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Config(args) => config_cmd::run(&args),
    }
}
