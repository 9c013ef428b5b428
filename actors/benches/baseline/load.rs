//! The load every mode runs: `count` operations, `concurrency` at a time, and the
//! one-line JSON summary with the same keys as `warren bench` prints.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::runtime::Handle;

/// How many operations, and how many in flight at once.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// Operations in all.
    pub count: usize,
    /// Operations in flight at once.
    pub concurrency: usize,
}

/// What a finished load measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// From the first operation started to the last one finished.
    pub elapsed: Duration,
    /// One latency per operation, sorted.
    pub latencies: Vec<Duration>,
    /// Operations that failed.
    pub errors: usize,
    /// What the first failure said.
    pub first_error: Option<String>,
}

impl Outcome {
    fn absorb(&mut self, worker: Outcome) {
        self.latencies.extend(worker.latencies);
        self.errors += worker.errors;
        if self.first_error.is_none() {
            self.first_error = worker.first_error;
        }
    }

    /// The latency at quantile `q` (0..=1), in milliseconds.
    fn quantile_ms(&self, q: f64) -> f64 {
        let last = self.latencies.len().saturating_sub(1);
        let i = (last as f64 * q).round() as usize;
        self.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    }

    /// The summary line: `warren bench`'s keys, with `mode` naming the program.
    pub fn summary(&self, mode: &str, load: Load, payload_bytes: usize) -> Value {
        let seconds = self.elapsed.as_secs_f64();
        json!({
            "mode": mode,
            "count": load.count,
            "concurrency": load.concurrency,
            "payload_bytes": payload_bytes,
            "seconds": seconds,
            "per_second": load.count as f64 / seconds,
            "p50_ms": self.quantile_ms(0.50),
            "p99_ms": self.quantile_ms(0.99),
            "errors": self.errors,
            "first_error": self.first_error,
        })
    }
}

/// Run `op` `load.count` times with `load.concurrency` in flight, on `handle`.
///
/// Each slot of the concurrency is one task that takes the next operation as soon as
/// its last one finished: no coordinator sits between an operation ending and the next
/// starting, and the tasks spread over the runtime's worker threads.
pub async fn run<F, Fut>(handle: &Handle, load: Load, op: F) -> Outcome
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..load.concurrency.min(load.count))
        .map(|_| {
            let (op, next) = (op.clone(), next.clone());
            handle.spawn(async move {
                let mut mine = Outcome::default();
                while next.fetch_add(1, Ordering::Relaxed) < load.count {
                    let t = Instant::now();
                    let result = op().await;
                    mine.latencies.push(t.elapsed());
                    if let Err(e) = result {
                        mine.errors += 1;
                        mine.first_error.get_or_insert(e);
                    }
                }
                mine
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for worker in workers {
        match worker.await {
            Ok(w) => outcome.absorb(w),
            Err(e) => {
                outcome.errors += 1;
                outcome.first_error.get_or_insert(e.to_string());
            }
        }
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies.sort_unstable();
    outcome
}
