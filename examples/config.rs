//! Prints the effective configuration of `examples/sample.conf`: every option of
//! `[DEFAULT]`, `[oslo_messaging_pika]` and `[oslo_messaging_notifications]` with its
//! final value, the hosts and virtual host of the transport URL, and the password shown
//! as `***`.
//!
//! Run it with:
//!
//! ```sh
//! cargo run --example config
//! ```
//!
//! Set `WARREN_TRANSPORT_URL` (for example `pika://guest:guest@localhost:5672/?heartbeat_interval=5`)
//! to override the file's `transport_url`; its query overrides `[oslo_messaging_pika]`
//! options.

use std::process::ExitCode;

use warren::{ConfigBuilder, TransportUrl};

fn main() -> ExitCode {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.conf");
    let mut builder = match ConfigBuilder::from_ini_file(path) {
        Ok(builder) => builder,
        Err(e) => return fail(&e),
    };
    for unknown in builder.unknown_options() {
        eprintln!("warning: {unknown}");
    }
    if let Ok(text) = std::env::var("WARREN_TRANSPORT_URL") {
        match text.parse::<TransportUrl>() {
            Ok(url) => builder = builder.transport_url(url),
            Err(e) => return fail(&e),
        }
    }
    match builder.build() {
        Ok(config) => {
            println!("{}", config.to_json_pretty());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(error: &dyn std::error::Error) -> ExitCode {
    eprintln!("invalid configuration: {error}");
    ExitCode::from(2)
}
