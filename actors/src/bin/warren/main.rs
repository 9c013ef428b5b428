//! The `warren` command-line tool: one subcommand per module of this folder.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench_cmd;
mod call_cmd;
mod config_cmd;
mod connect_args;
mod drain_args;
mod listen_cmd;
mod logging;
mod metrics_args;
mod notify_cmd;
mod serve_cmd;
mod target_args;
#[cfg(feature = "otlp")]
mod trace_export;

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
    /// Run a demo RPC server: echo(value), add(a, b), fail(message), sleep(seconds).
    Serve(serve_cmd::ServeArgs),
    /// Call a method and print its result as JSON.
    Call(call_cmd::CallArgs),
    /// Cast a method (no result); --fanout sends it to every server of the topic.
    Cast(call_cmd::CastArgs),
    /// Send one notification and wait for the broker's confirm.
    Notify(notify_cmd::NotifyArgs),
    /// Print notifications as JSON lines.
    Listen(listen_cmd::ListenArgs),
    /// Load-test calls or casts to a server's echo method, or notifications; prints a
    /// JSON summary.
    Bench(bench_cmd::BenchArgs),
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    let long_running = matches!(command, Command::Serve(_) | Command::Listen(_));
    let logging = match logging::install(long_running) {
        Ok(logging) => logging,
        Err(e) => {
            eprintln!("warren: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    let status = match command {
        Command::Config(args) => config_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Call(args) => call_cmd::run_call(&args),
        Command::Cast(args) => call_cmd::run_cast(&args),
        Command::Notify(args) => notify_cmd::run(&args),
        Command::Listen(args) => listen_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
    };
    logging.finish();
    status
}
