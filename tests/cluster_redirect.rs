//! Redirections of a two-node cluster, ours against Debian's
//! `/usr/bin/redis-server` 7.0.15 in the same setup (skipped when the real
//! server is not installed).
//!
//! Node A serves slots 0-8191, node B 8192-16383. The same script of
//! commands runs on both kinds of cluster: plain MOVED and CROSSSLOT, the
//! slot commands and their errors, a slot migrating from A to B (ASK,
//! TRYAGAIN, ASKING for one command only), the INFO counters of rejected
//! calls, then the cluster going down (CLUSTERDOWN and
//! cluster-allow-reads-when-down, blocked clients redirected). Every reply must be byte for byte the
//! real one once port numbers and node ids are replaced by names.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Client;

const REAL_REDIS: &str = "/usr/bin/redis-server";

struct Node {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(bin: &Path, port: u16) -> Node {
    let dir = std::env::temp_dir().join(format!(
        "redis-mio-redirect-{}-{}",
        std::process::id(),
        port
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let port_s = port.to_string();
    let cport_s = (port + 100).to_string();
    let child = Command::new(bin)
        .args([
            "--port",
            &port_s,
            "--cluster-port",
            &cport_s,
            "--cluster-enabled",
            "yes",
            "--cluster-node-timeout",
            "3000",
            "--save",
            "",
            "--appendonly",
            "no",
            "--bind",
            "127.0.0.1",
            "--enable-debug-command",
            "yes",
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let node = Node { child, dir, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "node {port} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    node
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs one command and adds it with its reply to the transcript.
fn step(out: &mut Vec<String>, who: &str, c: &mut Client, args: &[&str]) {
    let r = trim(&c.cmd(args));
    out.push(format!("{who}> {} => {r}", args.join(" ")));
}

fn trim(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).trim_end().to_string()
}

/// The lines of an INFO section that count calls and errors, without
/// the timings.
fn counters(c: &mut Client, section: &str) -> String {
    let info = c.cmd_str(&["info", section]);
    let mut out = Vec::new();
    for line in info.lines() {
        if line.starts_with("errorstat_") {
            out.push(line.to_string());
        } else if let Some(rest) = line.strip_prefix("cmdstat_") {
            // name:calls=..,usec=..,usec_per_call=..,rejected_calls=..,failed_calls=..
            let keep: Vec<&str> = rest
                .split([':', ','])
                .filter(|f| !f.starts_with("usec"))
                .collect();
            out.push(keep.join(" "));
        }
    }
    // Redis lists the commands in its hash table's order.
    out.sort();
    out.join("\n")
}

/// Runs the script on a fresh cluster of `bin`; returns the transcript
/// with ports and node ids replaced by names.
fn run(bin: &Path, port_a: u16, port_b: u16) -> Vec<String> {
    let na = start(bin, port_a);
    let nb = start(bin, port_b);
    let (mut a, mut b) = (Client::connect(na.port), Client::connect(nb.port));
    let id_a = trim(&a.cmd(&["cluster", "myid"]));
    let id_b = trim(&b.cmd(&["cluster", "myid"]));
    let id_a = id_a
        .trim_start_matches('$')
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    let id_b = id_b
        .trim_start_matches('$')
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    a.cmd(&["cluster", "addslotsrange", "0", "8191"]);
    b.cmd(&["cluster", "addslotsrange", "8192", "16383"]);
    a.cmd(&[
        "cluster",
        "meet",
        "127.0.0.1",
        &port_b.to_string(),
        &(port_b + 100).to_string(),
    ]);
    for (name, port) in [("A", port_a), ("B", port_b)] {
        let mut c = Client::connect(port);
        wait_for(&format!("cluster ok on {name}"), || {
            c.cmd_str(&["cluster", "info"]).contains("cluster_state:ok")
        });
    }
    let mut out = Vec::new();
    a.cmd(&["config", "resetstat"]);
    b.cmd(&["config", "resetstat"]);

    // Plain routing. Slots: foo 12182 (B), bar 5061 (A), 06S 0 (A).
    step(&mut out, "A", &mut a, &["set", "foo", "x"]);
    step(&mut out, "A", &mut a, &["set", "bar", "x"]);
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(&mut out, "A", &mut a, &["mset", "bar", "1", "foo", "2"]);
    step(&mut out, "A", &mut a, &["mset", "bar", "1", "{bar}x", "2"]);
    step(&mut out, "A", &mut a, &["mset", "foo", "1", "foo", "2"]);
    step(&mut out, "A", &mut a, &["del", "{bar}x"]);
    step(&mut out, "A", &mut a, &["exists", "foo", "bar"]);
    step(&mut out, "A", &mut a, &["ping"]);
    step(&mut out, "A", &mut a, &["dbsize"]);
    step(&mut out, "A", &mut a, &["select", "1"]);
    step(&mut out, "A", &mut a, &["select", "0"]);
    step(&mut out, "A", &mut a, &["move", "bar", "1"]);
    step(&mut out, "A", &mut a, &["swapdb", "0", "1"]);
    step(&mut out, "A", &mut a, &["copy", "bar", "{bar}2", "db", "1"]);
    step(&mut out, "A", &mut a, &["readonly"]);
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(&mut out, "A", &mut a, &["readwrite"]);

    // Transactions: each command is routed when queued, then EXEC routes
    // them together.
    step(&mut out, "A", &mut a, &["multi"]);
    step(&mut out, "A", &mut a, &["set", "bar", "1"]);
    step(&mut out, "A", &mut a, &["set", "foo", "1"]);
    step(&mut out, "A", &mut a, &["exec"]);
    step(&mut out, "A", &mut a, &["multi"]);
    step(&mut out, "A", &mut a, &["set", "bar", "2"]);
    step(&mut out, "A", &mut a, &["get", "{bar}x"]);
    step(&mut out, "A", &mut a, &["exec"]);
    step(&mut out, "A", &mut a, &["multi"]);
    step(&mut out, "A", &mut a, &["set", "bar", "3"]);
    step(&mut out, "A", &mut a, &["set", "06S", "1"]);
    step(&mut out, "A", &mut a, &["exec"]);
    step(&mut out, "A", &mut a, &["exec"]);
    step(&mut out, "A", &mut a, &["get", "bar"]);
    step(&mut out, "A", &mut a, &["del", "06S"]);

    // Shard channels are routed like keys.
    let mut sub = Client::connect(port_a);
    step(&mut out, "A", &mut sub, &["ssubscribe", "foo"]);
    step(&mut out, "A", &mut sub, &["ssubscribe", "bar", "foo"]);
    step(&mut out, "A", &mut sub, &["spublish", "foo", "x"]);
    step(&mut out, "A", &mut sub, &["sunsubscribe", "foo"]);
    step(&mut out, "A", &mut sub, &["ssubscribe", "bar", "{bar}x"]);
    step(&mut out, "A", &mut a, &["spublish", "bar", "hello"]);
    out.push(trim(&sub.read_reply()));
    drop(sub);

    // The slot commands.
    step(&mut out, "A", &mut a, &["cluster", "keyslot", "foo"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "keyslot", "{user1000}.following"],
    );
    step(&mut out, "A", &mut a, &["set", "{bar}1", "x"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "countkeysinslot", "5061"],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "countkeysinslot", "16384"],
    );
    step(&mut out, "A", &mut a, &["cluster", "countkeysinslot", "-1"]);
    step(&mut out, "A", &mut a, &["cluster", "countkeysinslot", "x"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "getkeysinslot", "5061", "0"],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "getkeysinslot", "5061", "-1"],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "getkeysinslot", "16384", "1"],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "getkeysinslot", "5061", "x"],
    );
    step(&mut out, "A", &mut a, &["del", "{bar}1"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "getkeysinslot", "5061", "10"],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "countkeysinslot", "12182"],
    );

    // Slot 5061 migrates from A to B.
    step(
        &mut out,
        "B",
        &mut b,
        &["cluster", "setslot", "5061", "importing", &id_a],
    );
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "setslot", "5061", "migrating", &id_b],
    );
    step(&mut out, "A", &mut a, &["get", "bar"]);
    step(&mut out, "A", &mut a, &["get", "{bar}y"]);
    step(&mut out, "A", &mut a, &["set", "{bar}y", "1"]);
    step(&mut out, "A", &mut a, &["mset", "{bar}y", "1", "bar", "2"]);
    step(&mut out, "A", &mut a, &["mget", "bar", "bar"]);
    step(&mut out, "A", &mut a, &["set", "06S", "x"]);
    step(&mut out, "A", &mut a, &["mset", "06S", "1", "bar", "2"]);
    step(&mut out, "B", &mut b, &["get", "bar"]);
    step(&mut out, "B", &mut b, &["asking"]);
    step(&mut out, "B", &mut b, &["get", "bar"]);
    step(&mut out, "B", &mut b, &["get", "bar"]);
    step(&mut out, "B", &mut b, &["asking"]);
    step(&mut out, "B", &mut b, &["set", "{bar}y", "1"]);
    step(&mut out, "B", &mut b, &["asking"]);
    step(
        &mut out,
        "B",
        &mut b,
        &["mset", "{bar}y", "1", "{bar}z", "2"],
    );
    step(&mut out, "B", &mut b, &["asking"]);
    step(&mut out, "B", &mut b, &["mset", "{bar}y", "1", "bar", "2"]);
    step(&mut out, "B", &mut b, &["asking"]);
    step(&mut out, "B", &mut b, &["ping"]);
    step(&mut out, "B", &mut b, &["get", "{bar}y"]);
    out.push(counters(&mut a, "commandstats"));
    out.push(counters(&mut a, "errorstats"));
    out.push(counters(&mut b, "commandstats"));
    out.push(counters(&mut b, "errorstats"));
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "setslot", "5061", "stable"],
    );
    step(
        &mut out,
        "B",
        &mut b,
        &["cluster", "setslot", "5061", "stable"],
    );

    // The endpoint of redirections.
    step(
        &mut out,
        "A",
        &mut a,
        &[
            "config",
            "set",
            "cluster-preferred-endpoint-type",
            "hostname",
        ],
    );
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(
        &mut out,
        "A",
        &mut a,
        &[
            "config",
            "set",
            "cluster-preferred-endpoint-type",
            "unknown-endpoint",
        ],
    );
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["config", "set", "cluster-preferred-endpoint-type", "ip"],
    );

    // Clients blocked on a slot that moves away get MOVED (slot 0 must be
    // empty to be given away).
    step(&mut out, "A", &mut a, &["del", "06S"]);
    let mut blocked = Client::connect(port_a);
    blocked.send(&[b"blpop", b"{06S}l", b"0"]);
    let mut blocked2 = Client::connect(port_a);
    blocked2.send(&[b"blpop", b"{bar}l", b"0"]);
    std::thread::sleep(Duration::from_millis(200));
    step(
        &mut out,
        "A",
        &mut a,
        &["cluster", "setslot", "0", "node", &id_b],
    );
    out.push(format!("blocked: {}", trim(&blocked.read_reply())));

    // A drops slot 0: its view of the cluster goes down, and so do the
    // clients blocked on its own slots.
    step(&mut out, "A", &mut a, &["cluster", "delslots", "0"]);
    wait_for("cluster down on A", || {
        a.cmd_str(&["cluster", "info"])
            .contains("cluster_state:fail")
    });
    out.push(format!("blocked: {}", trim(&blocked2.read_reply())));
    step(&mut out, "A", &mut a, &["get", "bar"]);
    step(&mut out, "A", &mut a, &["get", "06S"]);
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(&mut out, "A", &mut a, &["ping"]);
    step(
        &mut out,
        "A",
        &mut a,
        &["config", "set", "cluster-allow-reads-when-down", "yes"],
    );
    step(&mut out, "A", &mut a, &["get", "bar"]);
    step(&mut out, "A", &mut a, &["set", "bar", "y"]);
    step(&mut out, "A", &mut a, &["get", "foo"]);
    step(&mut out, "A", &mut a, &["get", "06S"]);

    out.into_iter()
        .map(|l| {
            l.replace(&port_a.to_string(), "PORT_A")
                .replace(&port_b.to_string(), "PORT_B")
                .replace(&id_a, "ID_A")
                .replace(&id_b, "ID_B")
        })
        .collect()
}

#[test]
fn redirections_match_redis() {
    let real = Path::new(REAL_REDIS);
    if !real.exists() {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        return;
    }
    let ours = run(&common::server_binary(), 24100, 24101);
    let theirs = run(real, 24110, 24111);
    for line in &ours {
        eprintln!("{line}");
    }
    let diffs: Vec<String> = ours
        .iter()
        .zip(&theirs)
        .filter(|(o, t)| o != t)
        .map(|(o, t)| format!("ours: {o}\nreal: {t}"))
        .collect();
    assert!(
        diffs.is_empty() && ours.len() == theirs.len(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n\n")
    );
}

#[test]
fn cluster_commands_without_cluster_mode_match_redis() {
    let real = Path::new(REAL_REDIS);
    if !real.exists() {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        return;
    }
    let script: &[&[&str]] = &[
        &["asking"],
        &["readonly"],
        &["readwrite"],
        &["cluster", "keyslot", "foo"],
        &["cluster", "countkeysinslot", "1"],
        &["select", "1"],
        &["get", "foo"],
    ];
    let transcript = |port: u16| {
        let mut c = Client::connect(port);
        script
            .iter()
            .map(|args| trim(&c.cmd(args)))
            .collect::<Vec<_>>()
    };
    let ours = common::Server::start(&[]);
    let theirs = common::Server::start_binary(real, &[]);
    assert_eq!(transcript(ours.port), transcript(theirs.port));
}
