//! Mode `call-pika`: request/reply on the Pika driver's wire format, as fast as lapin
//! allows. `--role both` (the default) runs a [`Responder`] and a [`Requester`] on two
//! connections, like `call`; `--role responder` only answers (for `warren bench
//! call`), `--role requester` only calls (`warren serve`'s `echo`).
//!
//! ```sh
//! warren serve --transport-url pika://guest:guest@127.0.0.1:5672/ --topic t1 --server s1 &
//! cargo bench -p warren --bench baseline -- call-pika --role requester --topic t1 --server s1
//! cargo bench -p warren --bench baseline -- call-pika --role responder --topic t2 --count 1000 &
//! warren bench call --transport-url pika://guest:guest@127.0.0.1:5672/ --topic t2 --count 1000
//! ```

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use lapin::Connection;
use serde_json::Value;
use tokio::runtime::Handle;

use crate::load::{self, Load, Outcome};
use crate::pika_requester::{Requester, RequesterConfig};
use crate::pika_responder::{Responder, ResponderConfig};
use crate::{Common, close, connect, runtime};

/// Which side(s) of the conversation this process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    /// Responder and requester, each on its own connection; the benchmark.
    Both,
    /// Answer `--count` requests (or until Ctrl-C), then print their timing.
    Responder,
    /// Make `--count` calls to the topic's servers.
    Requester,
}

/// Options of `call-pika`.
#[derive(Debug, Args)]
pub struct PikaArgs {
    #[command(flatten)]
    pub common: Common,
    /// Which side(s) to run.
    #[arg(long, value_enum, default_value_t = Role::Both)]
    role: Role,
    /// The topic; `baseline-pika-<pid>` when omitted.
    #[arg(long)]
    topic: Option<String>,
    /// The responder's server name (default `s1`); for the requester, the one server to
    /// call, any server of the topic when omitted.
    #[arg(long)]
    server: Option<String>,
    /// The RPC exchange (`default_rpc_exchange`).
    #[arg(long, default_value = "openstack_rpc")]
    exchange: String,
    /// The reply exchange (`rpc_reply_exchange`).
    #[arg(long, default_value = "openstack_rpc_reply")]
    reply_exchange: String,
    /// The endpoint namespace the requester asks for.
    #[arg(long)]
    namespace: Option<String>,
    /// The API version X.Y the requester asks for.
    #[arg(long = "api-version", value_name = "X.Y")]
    version: Option<String>,
    /// Seconds a call waits for its reply (`rpc_response_timeout`).
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

impl PikaArgs {
    fn topic(&self) -> String {
        self.topic
            .clone()
            .unwrap_or_else(|| format!("baseline-pika-{}", std::process::id()))
    }

    fn responder(&self) -> ResponderConfig {
        ResponderConfig {
            exchange: self.exchange.clone(),
            reply_exchange: self.reply_exchange.clone(),
            topic: self.topic(),
            server: self.server.clone().unwrap_or_else(|| "s1".to_owned()),
            prefetch: u16::try_from(self.common.concurrency).unwrap_or(u16::MAX),
        }
    }

    fn requester(&self) -> RequesterConfig {
        RequesterConfig {
            exchange: self.exchange.clone(),
            reply_exchange: self.reply_exchange.clone(),
            topic: self.topic(),
            server: self.server.clone(),
            namespace: self.namespace.clone(),
            version: self.version.clone(),
            timeout: Duration::from_secs(self.timeout),
            payload_bytes: self.common.payload_bytes,
        }
    }
}

/// Run the mode; the summary line names the role and topic too.
pub fn run(args: &PikaArgs) -> Result<Value, String> {
    let load = args.common.load();
    let threads = args.common.worker_threads;
    // The runtime of the requester, or of the responder when it runs alone.
    let rt = runtime(threads).map_err(|e| e.to_string())?;
    let outcome = match args.role {
        Role::Requester => rt.block_on(request(args, load)),
        Role::Responder => rt.block_on(async {
            let (connection, responder) = start_responder(args, &Handle::current()).await?;
            eprintln!(
                "baseline call-pika: answering {} requests on topic {:?}; Ctrl-C stops",
                load.count,
                args.topic()
            );
            let outcome = responder.finish(load.count).await;
            responder.delete_queues().await?;
            close(&[&connection]).await;
            Ok(outcome)
        }),
        Role::Both => {
            let responder_rt = runtime(threads).map_err(|e| e.to_string())?;
            rt.block_on(async {
                let (connection, responder) = start_responder(args, responder_rt.handle()).await?;
                let outcome = request(args, load).await;
                responder.delete_queues().await?;
                close(&[&connection]).await;
                outcome
            })
        }
    };
    let outcome = outcome.map_err(|e| e.to_string())?;
    let mut summary = outcome.summary("call-pika", load, args.common.payload_bytes);
    summary["role"] = format!("{:?}", args.role).to_lowercase().into();
    summary["topic"] = args.topic().into();
    Ok(summary)
}

/// Connect the responder with its tasks on `handle`, and start it.
async fn start_responder(
    args: &PikaArgs,
    handle: &Handle,
) -> lapin::Result<(Connection, Responder)> {
    let connection = connect(&args.common.url, "baseline-pika-responder", handle).await?;
    let responder = Responder::start(&connection, &args.responder()).await?;
    Ok((connection, responder))
}

/// Connect the requester on the current runtime and make `load` calls.
async fn request(args: &PikaArgs, load: Load) -> lapin::Result<Outcome> {
    let here = Handle::current();
    let connection = connect(&args.common.url, "baseline-pika-requester", &here).await?;
    let requester = Arc::new(Requester::start(&connection, &args.requester()).await?);
    let caller = requester.clone();
    let outcome = load::run(&here, load, move || {
        let caller = caller.clone();
        async move { caller.call().await }
    })
    .await;
    requester.delete_queue().await?;
    close(&[&connection]).await;
    Ok(outcome)
}
