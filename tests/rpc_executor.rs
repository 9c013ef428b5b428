//! `executor_thread_pool_size` bounds how many endpoint invocations of one server run
//! at once, against the real broker.

mod common;

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{transport_with, unique};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use warren::{Context, Endpoint, MethodResult, RpcServer, Target};

const WAIT: Duration = Duration::from_secs(20);
const CALLS: usize = 6;

/// What the endpoint saw: how many invocations ran at once at most.
struct Observed {
    running: AtomicUsize,
    most: AtomicUsize,
}

/// Start a server with `executor_thread_pool_size` = `size` whose `hold` method
/// reports each start and then waits for a permit of `gate`; make `CALLS` calls to it,
/// and return the most invocations that ran at once once they have all returned.
/// `opened`: how many starts to wait for before the gate opens.
async fn most_at_once(size: usize, opened: usize) -> usize {
    let t = transport_with(&unique("executor"), |b| {
        b.executor_thread_pool_size(NonZeroUsize::new(size).unwrap())
    });
    let topic = unique("executor-topic");
    let observed = Arc::new(Observed {
        running: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    });
    let gate = Arc::new(Semaphore::new(0));
    let (started, mut starts) = mpsc::unbounded_channel();
    let endpoint = {
        let (observed, gate) = (observed.clone(), gate.clone());
        Endpoint::new().method("hold", move |_ctx: Context, _args: Value| {
            let (observed, gate, started) = (observed.clone(), gate.clone(), started.clone());
            async move {
                let now = observed.running.fetch_add(1, Ordering::SeqCst) + 1;
                observed.most.fetch_max(now, Ordering::SeqCst);
                let _ = started.send(());
                gate.acquire().await.expect("the gate stays open").forget();
                observed.running.fetch_sub(1, Ordering::SeqCst);
                MethodResult::Ok(json!(null))
            }
        })
    };
    let server = RpcServer::start(&t, Target::new(&topic).with_server("s1"), vec![endpoint])
        .expect("start the server");
    server.ready().await.expect("the server consumes");
    let client = t.rpc_client(Target::new(&topic)).with_timeout(WAIT);
    let calls = futures_util::future::join_all((0..CALLS).map(|_| {
        let client = client.clone();
        async move {
            client
                .call::<_, Value>(&Context::new(), "hold", &json!({}))
                .await
        }
    }));
    let open_gate = async {
        for _ in 0..opened {
            tokio::time::timeout(WAIT, starts.recv())
                .await
                .expect("invocations start")
                .expect("the endpoint is alive");
        }
        gate.add_permits(CALLS);
    };
    let (results, ()) = tokio::join!(calls, open_gate);
    for r in results {
        r.expect("every call is answered");
    }
    server.stop().await;
    t.close().await;
    observed.most.load(Ordering::SeqCst)
}

#[actix_rt::test]
async fn a_server_runs_at_most_executor_thread_pool_size_invocations_at_once() {
    // The gate opens once two have started; with a bound of 2 no third one runs
    // before then, and none after, since each waits for one of the first two to end.
    assert_eq!(most_at_once(2, 2).await, 2);
}

#[actix_rt::test]
async fn a_larger_pool_lets_every_call_run_at_once() {
    // The gate opens only once all six have started: they can run together.
    assert_eq!(most_at_once(CALLS, CALLS).await, CALLS);
}
