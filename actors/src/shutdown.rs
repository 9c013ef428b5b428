//! [`shutdown_signal`]: the signals that ask a service to stop gracefully.

/// Resolves when the process is asked to stop: SIGINT (Ctrl-C) or SIGTERM, which is
/// what systemd, Kubernetes and Docker send. A service then stops its servers and
/// listeners with a bound ([`crate::RpcServer::stop_within`],
/// [`crate::NotificationListener::stop_within`]) and closes its transport, as
/// `warren serve` and `warren listen` do.
///
/// The handlers are installed when the future is first polled: create it once, pin it
/// and poll it from the start (for example in a `tokio::select!` next to
/// `server.ready()`), so that a signal sent early is not missed. Call it again to wait
/// for a second signal (for example one that abandons a drain).
///
/// When no handler can be installed, this logs the cause once and never resolves: the
/// signals then keep their default effect of ending the process.
///
/// # Examples
///
/// ```no_run
/// # async fn demo(transport: warren::Transport, server: warren::RpcServer) {
/// use std::time::Duration;
///
/// warren::shutdown_signal().await;
/// let _ = server.stop_within(Duration::from_secs(30)).await;
/// transport.close().await;
/// # }
/// ```
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    interrupted = tokio::signal::ctrl_c() => {
                        if let Err(e) = interrupted {
                            tracing::warn!(error = %e, "cannot handle SIGINT; waiting for SIGTERM only");
                            term.recv().await;
                        }
                    }
                    _ = term.recv() => {}
                }
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot handle SIGTERM; waiting for SIGINT only");
            }
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!(error = %e, "cannot handle SIGINT; the default signal actions apply");
        std::future::pending::<()>().await;
    }
}
