//! A TCP proxy in front of a node, to make the network faults `rabbitmqctl` cannot:
//! a silent cut (black hole), a peer that stops reading (stall), a reset, a refused
//! port.
//!
//! It runs on a thread and runtime of its own, so it outlives the runtime of the test
//! that started it and keeps no test waiting.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pass everything both ways.
    Forward,
    /// Drop every byte both ways and answer nothing, keeping every socket open: a
    /// network cut neither side is told about. New connections hang unanswered.
    BlackHole,
    /// Stop reading and pass nothing either way, keeping every socket open: a peer
    /// whose process hangs. Unlike a black hole, the client's kernel learns of it: the
    /// proxy's kernel acknowledges data until its receive buffer is full, then
    /// advertises a zero window, so the client's writes stall unacknowledged (what
    /// `TCP_USER_TIMEOUT` bounds). New connections are accepted and then stall too.
    Stall,
    /// Reset every open connection once, then forward again.
    Reset,
    /// Accept and at once reset new connections; open ones go on.
    Refuse,
}

/// A running proxy; see the module docs.
pub struct Proxy {
    /// Where clients connect: 127.0.0.1 and a free port.
    pub port: u16,
    mode: watch::Sender<Mode>,
    /// Bumped on every [`Mode::Reset`], so each connection resets once.
    resets: watch::Sender<u64>,
}

impl Proxy {
    /// Listen on a free port of 127.0.0.1 and forward to `upstream`.
    pub fn start(upstream: SocketAddr) -> Arc<Self> {
        let (mode, mode_rx) = watch::channel(Mode::Forward);
        let (resets, resets_rx) = watch::channel(0);
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("rig-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("build the proxy's runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind the proxy");
                    let port = listener.local_addr().expect("proxy address").port();
                    port_tx.send(port).expect("report the proxy port");
                    accept_loop(listener, upstream, mode_rx, resets_rx).await;
                });
            })
            .expect("start the proxy thread");
        let port = port_rx.recv().expect("the proxy started");
        Arc::new(Self { port, mode, resets })
    }

    /// `guest:guest@127.0.0.1:<port>`, a host of a transport URL.
    pub fn host(&self) -> String {
        format!("guest:guest@127.0.0.1:{}", self.port)
    }

    /// Switch mode; [`Mode::Reset`] resets open connections and goes back to
    /// forwarding.
    pub fn set(&self, mode: Mode) {
        if mode == Mode::Reset {
            self.resets.send_modify(|n| *n += 1);
            self.mode.send_replace(Mode::Forward);
        } else {
            self.mode.send_replace(mode);
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    mode: watch::Receiver<Mode>,
    resets: watch::Receiver<u64>,
) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let current = *mode.borrow();
        match current {
            Mode::Refuse => reset(client),
            _ => {
                let mode = mode.clone();
                let resets = resets.clone();
                tokio::spawn(connection(client, upstream, mode, resets));
            }
        }
    }
}

/// Close with RST instead of FIN.
// A zero linger never blocks on drop, which is what the deprecation warns of.
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(std::time::Duration::ZERO));
    drop(stream);
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    mut resets: watch::Receiver<u64>,
) {
    // A black-holed connection attempt hangs until the cut heals.
    while *mode.borrow_and_update() == Mode::BlackHole {
        if mode.changed().await.is_err() {
            return;
        }
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    resets.borrow_and_update();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let mut up = [0u8; 16 * 1024];
    let mut down = [0u8; 16 * 1024];
    loop {
        // Stalled: read nothing until the mode changes, so the kernel buffers fill.
        if *mode.borrow_and_update() == Mode::Stall {
            if mode.changed().await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            changed = mode.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = client_read.read(&mut up) => {
                let Ok(n @ 1..) = read else { break };
                if *mode.borrow() != Mode::BlackHole && server_write.write_all(&up[..n]).await.is_err() {
                    break;
                }
            }
            read = server_read.read(&mut down) => {
                let Ok(n @ 1..) = read else { break };
                if *mode.borrow() != Mode::BlackHole && client_write.write_all(&down[..n]).await.is_err() {
                    break;
                }
            }
            changed = resets.changed() => {
                if changed.is_ok() {
                    let client = client_read.reunite(client_write).expect("the client halves");
                    let server = server_read.reunite(server_write).expect("the server halves");
                    reset(client);
                    reset(server);
                    return;
                }
            }
        }
    }
    // One side closed. Through a black hole the other side must not learn of it: hold
    // both sockets until the cut heals.
    while *mode.borrow_and_update() == Mode::BlackHole {
        if mode.changed().await.is_err() {
            return;
        }
    }
}
