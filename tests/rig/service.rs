//! The service the failover tests keep alive across faults: an RPC server whose `echo`
//! returns its arguments and whose `slow` answers after the given seconds, and a loop of
//! calls that retries until one succeeds.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use warren::{Context, Endpoint, RemoteError, RpcClient, RpcServer, Target, Transport};

/// How long the tests wait for a set-up step.
pub const SETUP: Duration = Duration::from_secs(60);

/// The arguments of `slow`.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Slow {
    /// How long to take.
    pub seconds: f64,
}

/// Start the server on `topic` and wait until it consumes. The receiver gets one item
/// each time `slow` starts handling a request.
pub async fn start_server(
    transport: &Transport,
    topic: &str,
) -> (RpcServer, UnboundedReceiver<()>) {
    let (started_tx, started_rx) = unbounded_channel();
    let endpoint = Endpoint::new()
        .method("echo", |_ctx, a: serde_json::Value| async move {
            Ok::<_, RemoteError>(a)
        })
        .method("slow", move |_ctx, args: Slow| {
            let _ = started_tx.send(());
            async move {
                tokio::time::sleep(Duration::from_secs_f64(args.seconds)).await;
                Ok::<_, RemoteError>("slept")
            }
        });
    let server = RpcServer::start(
        transport,
        Target::new(topic).with_server("s1"),
        vec![endpoint],
    )
    .expect("start the server");
    tokio::time::timeout(SETUP, server.ready())
        .await
        .expect("server ready in time")
        .expect("server declared its queues");
    (server, started_rx)
}

/// Call `echo` until a call succeeds (each call bounded by the client's timeout);
/// returns when it did and how many calls failed before.
pub async fn first_success(client: &RpcClient, limit: Duration) -> (Instant, u32) {
    let deadline = Instant::now() + limit;
    let mut failed = 0;
    loop {
        let echoed: Result<serde_json::Value, warren::Error> = client
            .call(&Context::new(), "echo", &json!({"ping": 1}))
            .await;
        match echoed {
            Ok(v) if v == json!({"ping": 1}) => return (Instant::now(), failed),
            Ok(v) => panic!("echo returned {v}"),
            Err(e) => {
                assert!(e.is_retryable(), "echo failed for good: {e}");
                assert!(
                    Instant::now() < deadline,
                    "no call succeeded within {limit:?}; last error: {e}"
                );
                failed += 1;
            }
        }
    }
}

/// A call of `slow` running in the background: its result and when it ended.
pub type PendingCall = actix_rt::task::JoinHandle<(Result<String, warren::Error>, Instant)>;

/// Start `n` calls of `slow` taking `seconds` each, and return once the server is
/// handling every one of them (`started` is the receiver [`start_server`] gave).
pub async fn pending_slow_calls(
    client: &RpcClient,
    n: usize,
    seconds: f64,
    started: &mut UnboundedReceiver<()>,
) -> Vec<PendingCall> {
    let calls = (0..n)
        .map(|_| {
            let client = client.clone();
            actix_rt::spawn(async move {
                let result = client
                    .call(&Context::new(), "slow", &Slow { seconds })
                    .await;
                (result, Instant::now())
            })
        })
        .collect();
    for _ in 0..n {
        tokio::time::timeout(SETUP, started.recv())
            .await
            .expect("every slow call reached the server in time")
            .expect("the server is alive");
    }
    calls
}
