//! The failover rig: RabbitMQ nodes of the tests' own, started on free ports, that the
//! tests kill, stop, pause, restart and cut off — never the shared broker on 5672.
//!
//! One rig per test binary ([`Rig::shared`]), started on first use. Tests of a binary
//! take turns with [`Rig::exclusive`], which first [`heal`](Rig::heal)s whatever the
//! previous test broke. A watchdog process kills every node and removes the rig's
//! directory when the test binary exits, however it exits.
//!
//! Needs the RabbitMQ server installed (`/usr/lib/rabbitmq/bin`, as `scripts/ensure-broker.sh`
//! installs it); it fails loudly otherwise.

#![allow(dead_code, unused_imports)]

pub mod certs;
mod node;
pub mod proxy;
pub mod service;

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub use node::Node;
pub use proxy::{Mode, Proxy};

/// A set of nodes, clustered when more than one; see the module docs.
pub struct Rig {
    /// The nodes, `n1` first (the one the others joined).
    pub nodes: Vec<Node>,
    dir: PathBuf,
    turn: tokio::sync::Mutex<()>,
    paused: Vec<AtomicBool>,
    alarmed: Vec<AtomicBool>,
}

static RIG: OnceLock<Rig> = OnceLock::new();

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

impl Rig {
    /// The test binary's rig of `size` nodes, each with `conf` appended to its
    /// `rabbitmq.conf`; started (and clustered) by the first caller.
    pub fn shared(size: usize, conf: &str) -> &'static Rig {
        RIG.get_or_init(|| Rig::boot(size, true, "", |_| vec![conf.to_owned(); size]))
    }

    /// The test binary's rig of `size` nodes, clustered when `cluster`, with the
    /// `plugins` (comma-separated Erlang atoms) enabled and each node's own
    /// `rabbitmq.conf` lines from `conf`, which gets the rig's directory (for files the
    /// configuration names, such as certificates) and returns one text per node.
    pub fn shared_with(
        size: usize,
        cluster: bool,
        plugins: &str,
        conf: impl FnOnce(&Path) -> Vec<String>,
    ) -> &'static Rig {
        RIG.get_or_init(|| Rig::boot(size, cluster, plugins, conf))
    }

    fn boot(
        size: usize,
        cluster: bool,
        plugins: &str,
        conf: impl FnOnce(&Path) -> Vec<String>,
    ) -> Rig {
        assert!(
            std::path::Path::new("/usr/lib/rabbitmq/bin/rabbitmq-server").exists(),
            "the failover rig needs the RabbitMQ server installed (/usr/lib/rabbitmq/bin); \
             run `bash scripts/ensure-broker.sh`"
        );
        let id = format!("wrig{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("warren-{id}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create the rig directory");
        let cookie = dir.join(".erlang.cookie");
        fs::write(&cookie, format!("{id}cookie")).expect("write the rig's cookie");
        fs::set_permissions(&cookie, fs::Permissions::from_mode(0o400)).expect("chmod the cookie");
        fs::write(dir.join("empty-env.conf"), "").expect("write the empty env file");
        fs::write(dir.join("plugins"), format!("[{plugins}].\n")).expect("write the plugins file");
        let confs = conf(&dir);
        assert_eq!(confs.len(), size, "one rabbitmq.conf text per node");
        start_watchdog(&dir);
        // The nodes register with epmd; start it apart so killing a node never kills it.
        let _ = Command::new("epmd")
            .args(["-daemon", "-address", "127.0.0.1"])
            .status();
        let nodes: Vec<Node> = confs
            .iter()
            .enumerate()
            .map(|(i, conf)| {
                Node::new(
                    &dir,
                    format!("{id}n{}@localhost", i + 1),
                    free_port(),
                    free_port(),
                    conf,
                )
            })
            .collect();
        std::thread::scope(|s| {
            for node in &nodes {
                s.spawn(|| node.start());
            }
        });
        let seed = &nodes[0].name;
        for node in nodes[1..].iter().filter(|_| cluster) {
            node.ctl(&["stop_app"]);
            node.ctl(&["join_cluster", seed]);
            node.ctl(&["start_app"]);
        }
        Rig {
            paused: nodes.iter().map(|_| AtomicBool::new(false)).collect(),
            alarmed: nodes.iter().map(|_| AtomicBool::new(false)).collect(),
            nodes,
            dir,
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Wait for this test's turn on the rig, healed: every node up, none paused, no
    /// alarm.
    pub async fn exclusive(&'static self) -> tokio::sync::MutexGuard<'static, ()> {
        let turn = self.turn.lock().await;
        tokio::task::spawn_blocking(move || self.heal())
            .await
            .expect("heal the rig");
        turn
    }

    /// Undo every fault: resume paused nodes, start stopped ones, clear alarms.
    pub fn heal(&self) {
        for (i, node) in self.nodes.iter().enumerate() {
            if self.paused[i].swap(false, Ordering::SeqCst) {
                node.resume();
            }
            if !node.is_running() {
                node.start();
            }
            if self.alarmed[i].swap(false, Ordering::SeqCst) {
                node.ctl(&["set_vm_memory_high_watermark", "0.4"]);
            }
        }
    }

    /// A transport URL listing `hosts` (`Node::host` or `Proxy::host`).
    pub fn url(hosts: &[String]) -> String {
        format!("pika://{}/", hosts.join(","))
    }

    /// A transport URL listing every node, `n1` first.
    pub fn url_all(&self) -> String {
        Rig::url(&self.nodes.iter().map(Node::host).collect::<Vec<_>>())
    }

    /// The hosts of every node but `i`, for a URL that avoids it.
    pub fn hosts_except(&self, i: usize) -> Vec<String> {
        (0..self.nodes.len())
            .filter(|&n| n != i)
            .map(|n| self.nodes[n].host())
            .collect()
    }

    /// `kill -9` node `i`.
    pub fn kill(&self, i: usize) {
        self.nodes[i].kill();
    }

    /// Stop node `i` gracefully.
    pub fn stop(&self, i: usize) {
        self.nodes[i].stop();
    }

    /// Start node `i` again (after a kill or a stop), off the async runtime.
    pub async fn start(&'static self, i: usize) {
        tokio::task::spawn_blocking(move || self.nodes[i].start())
            .await
            .expect("start the node");
    }

    /// Freeze node `i` (`SIGSTOP`).
    pub fn pause(&self, i: usize) {
        self.paused[i].store(true, Ordering::SeqCst);
        self.nodes[i].pause();
    }

    /// Let node `i` go on (`SIGCONT`).
    pub fn resume(&self, i: usize) {
        if self.paused[i].swap(false, Ordering::SeqCst) {
            self.nodes[i].resume();
        }
    }

    /// Raise (`on`) or clear node `i`'s memory alarm; the broker blocks publishing
    /// connections while it is raised.
    pub async fn memory_alarm(&'static self, i: usize, on: bool) {
        self.alarmed[i].store(on, Ordering::SeqCst);
        let watermark = if on { "0.0000001" } else { "0.4" };
        self.ctl(i, &["set_vm_memory_high_watermark", watermark])
            .await;
    }

    /// `rabbitmqctl -n <node i> ARGS`, off the async runtime.
    pub async fn ctl(&'static self, i: usize, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            self.nodes[i].ctl(&args)
        })
        .await
        .expect("rabbitmqctl ran")
    }
}

/// A process that outlives nothing: once the test binary is gone it kills every
/// process group a node was started in and removes the rig's directory.
// Never waited for on purpose: it ends only after this process has.
#[allow(clippy::zombie_processes)]
fn start_watchdog(dir: &std::path::Path) {
    // `env kill`: the procps kill, which takes `-- -<group>` (dash's builtin does not).
    let script = r#"
        while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
        if [ -f "$2/process-groups" ]; then
            while read -r group; do env kill -KILL -- "-$group" 2>/dev/null; done < "$2/process-groups"
        fi
        rm -rf "$2"
    "#;
    Command::new("sh")
        .args(["-c", script, "rig-watchdog"])
        .arg(std::process::id().to_string())
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the rig's watchdog");
}

/// Forwards a connection's state changes into a channel.
struct StateForwarder(tokio::sync::mpsc::UnboundedSender<warren::ConnectionState>);

impl actix::Actor for StateForwarder {
    type Context = actix::Context<Self>;
}

impl actix::Handler<warren::ConnectionStateChanged> for StateForwarder {
    type Result = ();

    fn handle(&mut self, msg: warren::ConnectionStateChanged, _: &mut actix::Context<Self>) {
        let _ = self.0.send(msg.state);
    }
}

/// The transport's connection state now, and every change from now on.
pub async fn states(
    transport: &warren::Transport,
) -> (
    warren::ConnectionState,
    tokio::sync::mpsc::UnboundedReceiver<warren::ConnectionState>,
) {
    use actix::Actor;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let forwarder = StateForwarder(tx).start();
    let now = transport
        .subscribe(forwarder.recipient())
        .await
        .expect("subscribe to the connection's state");
    (now, rx)
}

/// Wait (up to `limit`) until the transport is connected; returns the host.
pub async fn connected(
    now: warren::ConnectionState,
    changes: &mut tokio::sync::mpsc::UnboundedReceiver<warren::ConnectionState>,
    limit: std::time::Duration,
) -> String {
    let mut state = now;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let warren::ConnectionState::Connected { host } = &state {
            return host.clone();
        }
        state = tokio::time::timeout_at(deadline, changes.recv())
            .await
            .unwrap_or_else(|_| panic!("not connected within {limit:?}; last state {state:?}"))
            .expect("the connection actor is alive");
    }
}

impl Rig {
    /// The index of the node `host` (`127.0.0.1:<port>`, as a connection state names
    /// it) points at.
    pub fn node_at(&self, host: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| host.ends_with(&format!(":{}", n.port)))
            .unwrap_or_else(|| panic!("{host} is no node of the rig"))
    }
}
