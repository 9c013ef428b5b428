//! The `warren` command-line tool: one subcommand per module of this folder.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench_cmd;
mod call_cmd;
mod config_cmd;
mod connect_args;
mod drain_args;
mod listen_cmd;
mod metrics_args;
mod notify_cmd;
mod serve_cmd;
mod target_args;

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
    // lapin logs each broker-closed channel at ERROR, including the expected 404 of a
    // first publish to a missing exchange (warren then declares it and retries), and
    // each returned message at WARN with its whole body, including the expected
    // return of a first notification to a topic without a queue (store and forward).
    // warren reports real failures itself, without bodies.
    let quiet_lapin = "lapin::channel=off,lapin::returned_messages=off";
    // `[oslo_messaging_notifications] driver = log` writes its lines here: shown, as
    // they are what that driver is for.
    let defaults = format!("warn,warren::notification=info,{quiet_lapin}");
    let default_filter = match command {
        // Long-running: also say when the connection comes up (again).
        Command::Serve(_) | Command::Listen(_) => format!("{defaults},warren::connection=info"),
        _ => defaults,
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARREN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match command {
        Command::Config(args) => config_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Call(args) => call_cmd::run_call(&args),
        Command::Cast(args) => call_cmd::run_cast(&args),
        Command::Notify(args) => notify_cmd::run(&args),
        Command::Listen(args) => listen_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
    }
}
