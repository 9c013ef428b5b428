//! What both benchmarks share: running operations with a number in flight, and the
//! result table with warren/lapin ratios.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

/// One row of the table: `lapin <label>` or `warren <label>`.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub rate: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

/// Run `total` operations with `in_flight` at a time; collect each one's latency.
pub async fn measure<F, Fut>(name: &str, total: usize, in_flight: usize, op: F) -> Row
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut latencies = Vec::with_capacity(total);
    let mut errors = 0;
    let started = Instant::now();
    let mut running = FuturesUnordered::new();
    let mut next = 0;
    while next < total || !running.is_empty() {
        while next < total && running.len() < in_flight {
            let fut = op(next);
            running.push(async move {
                let t = Instant::now();
                let ok = fut.await;
                (ok, t.elapsed())
            });
            next += 1;
        }
        if let Some((ok, latency)) = running.next().await {
            latencies.push(latency);
            if !ok {
                errors += 1;
            }
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    Row {
        name: name.to_owned(),
        rate: total as f64 / elapsed.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
        errors,
    }
}

/// Print the rows, each warren row with its rate relative to the lapin row of the same
/// label.
pub fn print_table(title: &str, rows: &[Row]) {
    println!("{title}");
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>7} {:>14}",
        "row", "ops/s", "p50 ms", "p99 ms", "errors", "warren/lapin"
    );
    for row in rows {
        let ratio = row
            .name
            .strip_prefix("warren ")
            .and_then(|rest| rows.iter().find(|r| r.name == format!("lapin {rest}")))
            .map(|base| format!("{:.2}", row.rate / base.rate))
            .unwrap_or_default();
        println!(
            "{:<32} {:>10.0} {:>10.3} {:>10.3} {:>7} {:>14}",
            row.name,
            row.rate,
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3,
            row.errors,
            ratio
        );
    }
}
