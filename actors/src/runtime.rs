//! The tokio runtime that drives lapin's I/O.
//!
//! lapin binds heartbeats and its socket reactor to the runtime it is given. An actor's
//! arbiter is single-threaded: a busy handler there would starve heartbeats and the
//! broker would drop the connection, and stopping that arbiter would leave the
//! connection hanging. So every warren connection runs on this one shared
//! multi-thread runtime, and actors merely await lapin's futures.

use std::sync::OnceLock;

use async_rs::{Runtime, Tokio};

use crate::Error;

static LAPIN_RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();

/// The shared runtime, built on first use.
pub(crate) fn lapin_runtime() -> Result<Runtime<Tokio>, Error> {
    let built = LAPIN_RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("warren-lapin")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(rt) => Ok(Runtime::tokio_with_handle(rt.handle().clone())),
        Err(reason) => Err(Error::ConnectionUnavailable {
            reason: format!("cannot start the I/O runtime for lapin: {reason}"),
        }),
    }
}
