//! The `warren` command-line tool.

use clap::Parser;

/// warren: oslo.messaging Pika-driver compatible messaging over RabbitMQ.
#[derive(Debug, Parser)]
#[command(name = "warren", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
