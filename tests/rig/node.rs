//! One RabbitMQ node of the rig: its own name, ports, data and cookie, started from
//! `/usr/lib/rabbitmq/bin` in a process group of its own so a signal reaches all of it.

use std::fs;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The server scripts themselves: the `/usr/sbin` wrappers switch to the `rabbitmq`
/// user and the system node's cookie.
const BIN: &str = "/usr/lib/rabbitmq/bin";

/// How long a node may take to boot (3–5 s measured on an idle 2-core machine; a
/// loaded CI machine is slower).
const BOOT_LIMIT: Duration = Duration::from_secs(90);

/// A node's fixed identity; its process comes and goes.
pub struct Node {
    /// The Erlang node name, `<rig>n<i>@localhost`.
    pub name: String,
    /// The AMQP port, on 127.0.0.1.
    pub port: u16,
    dist_port: u16,
    dir: PathBuf,
    /// The rig's directory: the cookie's `HOME`, the empty env file, the plugins file.
    rig_dir: PathBuf,
    process: Mutex<Option<Child>>,
}

impl Node {
    /// Describe node `name`; writes its configuration, starts nothing.
    pub fn new(rig_dir: &Path, name: String, port: u16, dist_port: u16, conf: &str) -> Self {
        let dir = rig_dir.join(&name);
        fs::create_dir_all(&dir).expect("create the node's directory");
        let conf = format!("listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n{conf}");
        fs::write(dir.join("rabbitmq.conf"), conf).expect("write the node's rabbitmq.conf");
        Self {
            name,
            port,
            dist_port,
            dir,
            rig_dir: rig_dir.to_owned(),
            process: Mutex::new(None),
        }
    }

    /// `guest:guest@127.0.0.1:<port>`, a host of a transport URL.
    pub fn host(&self) -> String {
        format!("guest:guest@127.0.0.1:{}", self.port)
    }

    /// The environment every `rabbitmq-*` script of this node runs with. The cookie
    /// lives in the rig's own `HOME`, so nothing here can reach the system node.
    fn env(&self, command: &mut Command) {
        let base = self.dir.display();
        command
            .env("HOME", &self.rig_dir)
            .env("RABBITMQ_NODENAME", &self.name)
            .env("RABBITMQ_NODE_PORT", self.port.to_string())
            .env("RABBITMQ_DIST_PORT", self.dist_port.to_string())
            .env("RABBITMQ_MNESIA_BASE", format!("{base}/mnesia"))
            .env("RABBITMQ_LOG_BASE", format!("{base}/log"))
            .env("RABBITMQ_PID_FILE", format!("{base}/pid"))
            .env("RABBITMQ_CONFIG_FILE", format!("{base}/rabbitmq"))
            .env(
                "RABBITMQ_CONF_ENV_FILE",
                self.rig_dir.join("empty-env.conf"),
            )
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.rig_dir.join("plugins"),
            )
            .env("ERL_EPMD_ADDRESS", "127.0.0.1")
            // One scheduler without busy-waiting: several idle nodes share two cores.
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none",
            );
    }

    /// Start the node and wait until it accepts AMQP connections.
    pub fn start(&self) {
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        assert!(process.is_none(), "{} is already running", self.name);
        let log = fs::File::create(self.dir.join("console.log")).expect("create console.log");
        let mut command = Command::new(format!("{BIN}/rabbitmq-server"));
        self.env(&mut command);
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log file"))
            .stderr(log)
            // Its own process group: kill, stop and continue reach every process of it.
            .process_group(0)
            .spawn()
            .expect("start rabbitmq-server (is RabbitMQ installed?)");
        // The watchdog kills every group ever started when the test binary is gone.
        let groups = self.rig_dir.join("process-groups");
        let line = format!("{}\n", child.id());
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(groups)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()))
            .expect("record the node's process group");
        *process = Some(child);
        drop(process);
        self.wait_for_port();
    }

    /// RabbitMQ opens its AMQP listener last in its boot: an accepting port is a node
    /// ready for clients.
    fn wait_for_port(&self) {
        let started = Instant::now();
        let addr = ([127, 0, 0, 1], self.port).into();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Some(status) = self.exited() {
                panic!(
                    "rig node {} exited while booting ({status}); see {}",
                    self.name,
                    self.dir.join("console.log").display()
                );
            }
            assert!(
                started.elapsed() < BOOT_LIMIT,
                "rig node {} did not open port {} within {BOOT_LIMIT:?}; see {}",
                self.name,
                self.port,
                self.dir.join("console.log").display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn exited(&self) -> Option<std::process::ExitStatus> {
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        let status = process.as_mut()?.try_wait().ok()??;
        *process = None;
        Some(status)
    }

    /// Whether the node's process is alive (it may be paused).
    pub fn is_running(&self) -> bool {
        let _ = self.exited();
        self.process
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Send `signal` to the node's whole process group.
    fn signal(&self, signal: &str) {
        let process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        let child = process.as_ref().expect("the node is running");
        let status = Command::new("kill")
            .args([signal, "--", &format!("-{}", child.id())])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {} failed", self.name);
    }

    /// `kill -9` the node: gone at once, no goodbye to its clients.
    pub fn kill(&self) {
        self.signal("-KILL");
        self.reap();
    }

    /// Stop the node gracefully (clients get `connection.close`).
    pub fn stop(&self) {
        self.signal("-TERM");
        self.reap();
    }

    fn reap(&self) {
        let mut process = self.process.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mut child) = process.take() {
            let _ = child.wait();
        }
    }

    /// Freeze the node (`SIGSTOP`): a hung broker whose TCP connections stay up.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Let a paused node go on.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    /// Run `rabbitmqctl -q -n <node> ARGS`; panics with its output when it fails.
    /// Each call boots an Erlang VM (~0.4 s of a core): never while measuring.
    pub fn ctl(&self, args: &[&str]) -> String {
        let mut command = Command::new(format!("{BIN}/rabbitmqctl"));
        self.env(&mut command);
        let out = command
            .args(["-q", "-n", &self.name])
            .args(args)
            .output()
            .expect("run rabbitmqctl");
        assert!(
            out.status.success(),
            "rabbitmqctl -n {} {args:?} failed: {}{}",
            self.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
