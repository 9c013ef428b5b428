//! [`Lifecycle`]: the phases a consuming actor goes through — setting up, consuming,
//! stopping, stopped — with its `ready()` and `stop()` waiters and the count of
//! messages being handled. The RPC server and the notification listener share it, so a
//! graceful stop, a stop during set-up and a restart behave the same in both.

use actix::ResponseFuture;
use lapin::options::BasicCancelOptions;
use tokio::sync::oneshot;

use crate::Error;

enum Phase {
    SettingUp,
    Consuming {
        channel: lapin::Channel,
        tags: Vec<String>,
    },
    Stopping {
        channel: Option<lapin::Channel>,
    },
    Stopped,
}

/// See the module docs.
pub(crate) struct Lifecycle {
    phase: Phase,
    in_flight: usize,
    ready_waiters: Vec<oneshot::Sender<Result<(), Error>>>,
    stop_waiters: Vec<oneshot::Sender<()>>,
    /// The close reason given to the broker, e.g. "RPC server stopped".
    closing: &'static str,
}

fn close(channel: lapin::Channel, reason: &'static str) {
    actix::spawn(async move {
        let _ = channel.close(200, reason.into()).await;
    });
}

impl Lifecycle {
    pub(crate) fn new(closing: &'static str) -> Self {
        Self {
            phase: Phase::SettingUp,
            in_flight: 0,
            ready_waiters: Vec::new(),
            stop_waiters: Vec::new(),
            closing,
        }
    }

    pub(crate) fn is_setting_up(&self) -> bool {
        matches!(self.phase, Phase::SettingUp)
    }

    pub(crate) fn is_consuming(&self) -> bool {
        matches!(self.phase, Phase::Consuming { .. })
    }

    /// Stopping or stopped: new deliveries are handed back, not handled.
    pub(crate) fn is_stopping(&self) -> bool {
        matches!(self.phase, Phase::Stopping { .. } | Phase::Stopped)
    }

    /// Set-up succeeded with `channel` consuming as `tags`. Returns false (and closes
    /// the channel) when a stop came meanwhile: the caller must not start consuming.
    pub(crate) fn consuming(&mut self, channel: lapin::Channel, tags: Vec<String>) -> bool {
        if !self.is_setting_up() {
            close(channel, self.closing);
            return false;
        }
        self.phase = Phase::Consuming { channel, tags };
        for w in self.ready_waiters.drain(..) {
            let _ = w.send(Ok(()));
        }
        true
    }

    /// Set-up failed with `error`; the actor restarts and tries again. A queue that
    /// exists with other properties stays so until someone deletes it or changes the
    /// configuration, so pending `ready()` waiters get that error instead of waiting
    /// for ever; a later `ready()` waits for the next attempt. Other failures (a lost
    /// connection) pass with retrying, and the waiters keep waiting.
    pub(crate) fn set_up_failed(&mut self, error: &Error) {
        if matches!(error, Error::QueueMismatch { .. }) {
            for w in self.ready_waiters.drain(..) {
                let _ = w.send(Err(error.clone()));
            }
        }
    }

    /// Done for good: answer `stop()` waiters, and `ready()` ones with `Shutdown`.
    pub(crate) fn stopped(&mut self) {
        self.phase = Phase::Stopped;
        for w in self.stop_waiters.drain(..) {
            let _ = w.send(());
        }
        // Dropping the senders answers `ready()` with `Shutdown`.
        self.ready_waiters.clear();
    }

    /// Resolves once consuming, with `Shutdown` when stopped first, or with the error of
    /// a set-up that cannot succeed as things are (see [`Lifecycle::set_up_failed`]).
    pub(crate) fn ready(&mut self) -> ResponseFuture<Result<(), Error>> {
        match self.phase {
            Phase::Consuming { .. } => Box::pin(async { Ok(()) }),
            Phase::Stopping { .. } | Phase::Stopped => Box::pin(async { Err(Error::Shutdown) }),
            Phase::SettingUp => {
                let (tx, rx) = oneshot::channel();
                self.ready_waiters.push(tx);
                Box::pin(async move { rx.await.unwrap_or(Err(Error::Shutdown)) })
            }
        }
    }

    /// `n` more messages are being handled.
    pub(crate) fn handling(&mut self, n: usize) {
        self.in_flight += n;
    }

    /// `n` messages are handled; finish a stop if nothing else is pending (`busy`: the
    /// actor still holds messages of its own, such as a batch buffer).
    pub(crate) fn handled(&mut self, n: usize, busy: bool) {
        self.in_flight = self.in_flight.saturating_sub(n);
        self.finish_stop_if_drained(busy);
    }

    /// Start a graceful stop: cancel the consumers, keep the channel to settle what is
    /// in flight, answer pending `ready()` with `Shutdown`.
    pub(crate) fn begin_stop(&mut self) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Stopped) {
            Phase::Consuming { channel, tags } => {
                let cancel_on = channel.clone();
                actix::spawn(async move {
                    for tag in tags {
                        let _ = cancel_on
                            .basic_cancel(tag.as_str().into(), BasicCancelOptions::default())
                            .await;
                    }
                });
                Phase::Stopping {
                    channel: Some(channel),
                }
            }
            Phase::SettingUp => Phase::Stopping { channel: None },
            other => other,
        };
        self.ready_waiters.clear();
    }

    /// Resolves once stopped: at once when already stopped, otherwise when the last
    /// message in flight is settled (`busy` as for [`Lifecycle::handled`]).
    pub(crate) fn wait_stopped(&mut self, busy: bool) -> ResponseFuture<()> {
        let (tx, rx) = oneshot::channel();
        self.stop_waiters.push(tx);
        if matches!(self.phase, Phase::Stopped) {
            self.stopped();
        } else {
            self.finish_stop_if_drained(busy);
        }
        Box::pin(async move {
            let _ = rx.await;
        })
    }

    fn finish_stop_if_drained(&mut self, busy: bool) {
        if self.in_flight > 0 || busy {
            return;
        }
        if let Phase::Stopping { channel } = &mut self.phase {
            if let Some(channel) = channel.take() {
                close(channel, self.closing);
            }
            self.stopped();
        }
    }

    /// The actor restarts after a failure: its channel is gone (the broker returns
    /// unacked messages to their queues). Set up again unless stopping.
    pub(crate) fn restarting(&mut self) {
        self.phase = match std::mem::replace(&mut self.phase, Phase::Stopped) {
            Phase::Stopping { .. } => Phase::Stopping { channel: None },
            Phase::Stopped => Phase::Stopped,
            Phase::SettingUp | Phase::Consuming { .. } => Phase::SettingUp,
        };
    }
}
