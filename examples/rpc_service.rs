//! An actix service that serves an RPC endpoint and calls it, by message passing.
//!
//! What it shows: a `Calculator` RPC server started in the service's own arbiter, and
//! a `Frontend` actor of the service that calls a remote method by sending a
//! [`warren::Call`] to the RPC client actor through a `Recipient` — the way any actor
//! of an actix service talks to warren. Over RabbitMQ the round trip uses the Pika
//! driver's wire format, so the server could as well be a Python service.
//!
//! Run it on the in-memory broker (nothing but Rust needed), or against RabbitMQ:
//!
//! ```sh
//! cargo run --example rpc_service
//! WARREN_URL=pika://guest:guest@127.0.0.1:5672/ cargo run --example rpc_service
//! ```
//!
//! When the broker of `WARREN_URL` does not answer it exits with status 1 within 10 s,
//! naming the host and the cause.

use actix::prelude::*;
use serde::Deserialize;
use serde_json::json;
use warren::{Call, Context, Endpoint, Error, RemoteError, RpcServer, Target, Transport};

/// The arguments of the remote `add` method.
#[derive(Deserialize)]
struct Add {
    a: i64,
    b: i64,
}

/// A message of the service itself: add two numbers (remotely).
#[derive(Message)]
#[rtype(result = "Result<i64, Error>")]
struct Compute {
    a: i64,
    b: i64,
}

/// A service actor that knows nothing of RabbitMQ: it sends `Call` messages.
struct Frontend {
    rpc: Recipient<Call>,
}

impl Actor for Frontend {
    type Context = actix::Context<Self>;
}

impl Handler<Compute> for Frontend {
    type Result = ResponseFuture<Result<i64, Error>>;

    fn handle(&mut self, msg: Compute, _ctx: &mut actix::Context<Self>) -> Self::Result {
        let call = Call {
            target: Target::new("calculator"),
            method: "add".to_owned(),
            args: json!({ "a": msg.a, "b": msg.b })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            context: Context::new().with("request_id", "req-example"),
            timeout: None,
            retry: None,
        };
        let rpc = self.rpc.clone();
        Box::pin(async move {
            let value = rpc.send(call).await.map_err(|_| Error::Shutdown)??;
            serde_json::from_value(value).map_err(|e| Error::Result {
                method: "add".to_owned(),
                reason: e.to_string(),
            })
        })
    }
}

#[actix::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rpc_service: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// `WARREN_URL`, or the in-memory broker (said in one line) when it is unset.
fn demo_url() -> String {
    std::env::var("WARREN_URL").unwrap_or_else(|_| {
        println!("WARREN_URL is not set: using the in-memory broker (fake://)");
        "fake://".to_owned()
    })
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = demo_url();
    let config = warren::Config::builder()
        .transport_url(url.parse()?)
        .build()?;
    let transport = Transport::builder(config)
        .connection_name("warren-example-rpc-service")
        .start()?;
    println!(
        "transport: {}",
        transport
            .config()
            .transport_url
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    // The transport would keep trying; the demo gives up and says why.
    transport.ready(std::time::Duration::from_secs(10)).await?;

    let calculator = Endpoint::new().method("add", |_ctx, args: Add| async move {
        Ok::<_, RemoteError>(args.a + args.b)
    });
    let server = RpcServer::start(
        &transport,
        Target::new("calculator").with_server("example"),
        vec![calculator],
    )?;
    server.ready().await?;

    let frontend = Frontend {
        rpc: transport.rpc_client_actor().recipient(),
    }
    .start();
    for (a, b) in [(1, 2), (40, 2), (-7, 7)] {
        let sum = frontend.send(Compute { a, b }).await??;
        println!("add({a}, {b}) = {sum}");
    }

    server.stop().await;
    transport.close().await;
    Ok(())
}
