//! `warren call` and `warren cast`: send one request from the command line.
//!
//! `call` prints the result as JSON on stdout. A remote error or a timeout goes to
//! stderr with exit status 1; invalid input (URL, file, `--args`) exits with 2.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::{Map, Value};
use warren::{Context, Error};

use crate::EXIT_INVALID_INPUT;
use crate::connect_args::{ConnectArgs, ConnectTimeout};
use crate::target_args::TargetArgs;

/// Options of `warren call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    connect_timeout: ConnectTimeout,
    #[command(flatten)]
    target: TargetArgs,
    /// Seconds to wait for the reply (default: rpc_response_timeout).
    #[arg(long, value_name = "SECS")]
    timeout: Option<f64>,
    /// The method to call.
    method: String,
    /// Keyword arguments as a JSON object, e.g. '{"a": 1, "b": 2}'.
    #[arg(long, default_value = "{}")]
    args: String,
    /// Request context as a JSON object (sent as `_$_` keys).
    #[arg(long, default_value = "{}")]
    context: String,
}

/// Options of `warren cast`.
#[derive(Debug, Args)]
pub struct CastArgs {
    #[command(flatten)]
    connect: ConnectArgs,
    #[command(flatten)]
    connect_timeout: ConnectTimeout,
    #[command(flatten)]
    target: TargetArgs,
    /// Send to every server of the topic.
    #[arg(long)]
    fanout: bool,
    /// The method to cast.
    method: String,
    /// Keyword arguments as a JSON object.
    #[arg(long, default_value = "{}")]
    args: String,
    /// Request context as a JSON object (sent as `_$_` keys).
    #[arg(long, default_value = "{}")]
    context: String,
}

/// Parse a JSON object given on the command line.
pub fn json_object(flag: &str, text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!(
            "{flag} must be a JSON object, like '{{\"value\": 1}}'"
        )),
        Err(e) => Err(format!("{flag} is not valid JSON: {e}")),
    }
}

fn fail(command: &str, error: &Error) -> ExitCode {
    eprintln!("warren {command}: {error}");
    if let Error::Remote(remote) = error {
        for line in &remote.traceback {
            eprint!("{line}");
        }
    }
    ExitCode::FAILURE
}

/// Run `warren call`.
pub fn run_call(args: &CallArgs) -> ExitCode {
    let prepared = (|| {
        let kwargs = json_object("--args", &args.args)?;
        let context = Context::from_map(json_object("--context", &args.context)?);
        let timeout = match args.timeout {
            Some(secs) => {
                Some(Duration::try_from_secs_f64(secs).map_err(|e| format!("--timeout: {e}"))?)
            }
            None => None,
        };
        Ok::<_, String>((kwargs, context, timeout))
    })();
    let (kwargs, context, timeout) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warren call: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    actix::System::new().block_on(async {
        let transport = match args.connect.transport("call") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren call: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        if let Err(code) = args.connect_timeout.connected(&transport, "call").await {
            return code;
        }
        let mut client = transport.rpc_client(args.target.target());
        if let Some(t) = timeout {
            client = client.with_timeout(t);
        }
        let result = client
            .call::<_, Value>(&context, &args.method, &kwargs)
            .await;
        transport.close().await;
        match result {
            Ok(value) => {
                println!("{value}");
                ExitCode::SUCCESS
            }
            Err(e) => fail("call", &e),
        }
    })
}

/// Run `warren cast`.
pub fn run_cast(args: &CastArgs) -> ExitCode {
    let prepared = json_object("--args", &args.args).and_then(|kwargs| {
        Ok((
            kwargs,
            Context::from_map(json_object("--context", &args.context)?),
        ))
    });
    let (kwargs, context) = match prepared {
        Ok(p) => p,
        Err(e) => {
            eprintln!("warren cast: {e}");
            return ExitCode::from(EXIT_INVALID_INPUT);
        }
    };
    actix::System::new().block_on(async {
        let transport = match args.connect.transport("cast") {
            Ok(t) => t,
            Err(e) => {
                eprintln!("warren cast: {e}");
                return ExitCode::from(EXIT_INVALID_INPUT);
            }
        };
        if let Err(code) = args.connect_timeout.connected(&transport, "cast").await {
            return code;
        }
        let client = transport.rpc_client(args.target.target());
        let result = if args.fanout {
            client.fanout_cast(&context, &args.method, &kwargs).await
        } else {
            client.cast(&context, &args.method, &kwargs).await
        };
        transport.close().await;
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail("cast", &e),
        }
    })
}
