//! A mixed cluster: three Debian `/usr/bin/redis-server` 7.0.15 nodes and
//! three of ours (skipped when the real server is not installed).
//!
//! The nodes meet, split the slots, and must agree on the whole table
//! (ids, addresses, roles, epochs, slots) everywhere; epochs must become
//! unique. Then one node of each kind is killed: the others must flag them
//! `fail?` or `fail` and finally `fail`; CLUSTER FORGET works across kinds.
//! Real Redis judges our wire format: its log must not complain about a
//! packet.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REAL_REDIS: &str = "/usr/bin/redis-server";

struct Node {
    child: Child,
    dir: PathBuf,
    port: u16,
    real: bool,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            if let Ok(log) = std::fs::read_to_string(self.dir.join("log.txt")) {
                eprintln!(
                    "--- log of {} node {} ---",
                    if self.real { "real" } else { "our" },
                    self.port
                );
                for l in log.lines().rev().take(25).collect::<Vec<_>>().iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(bin: &std::path::Path, port: u16, real: bool) -> Node {
    let dir =
        std::env::temp_dir().join(format!("redis-mio-interop-{}-{}", std::process::id(), port));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let args = [
        "--port".to_string(),
        port.to_string(),
        "--cluster-port".to_string(),
        (port + 100).to_string(),
        "--cluster-enabled".to_string(),
        "yes".to_string(),
        "--cluster-node-timeout".to_string(),
        "2000".to_string(),
        "--save".to_string(),
        "".to_string(),
        "--appendonly".to_string(),
        "no".to_string(),
        "--logfile".to_string(),
        "log.txt".to_string(),
        "--loglevel".to_string(),
        "verbose".to_string(),
        "--bind".to_string(),
        "127.0.0.1".to_string(),
    ];
    let child = Command::new(bin)
        .args(&args)
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "node {port} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Node {
        child,
        dir,
        port,
        real,
    }
}

fn cmd(port: u16, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    common::Conn::new(port).cmd_args(&a).text()
}

/// A node's view: id -> (addr, flags without myself, master, epoch, slots).
fn view(port: u16) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    for line in cmd(port, &["CLUSTER", "NODES"]).lines() {
        let f: Vec<&str> = line.split(' ').collect();
        if f.len() < 8 {
            continue;
        }
        let flags: Vec<&str> = f[2].split(',').filter(|&x| x != "myself").collect();
        let slots = f[8..].join(" ");
        v.insert(
            f[0].to_string(),
            format!("{} {} {} {} {}", f[1], flags.join(","), f[3], f[6], slots),
        );
    }
    v
}

fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn flags_of(port: u16, id: &str) -> Option<String> {
    cmd(port, &["CLUSTER", "NODES"])
        .lines()
        .find(|l| l.starts_with(id))
        .and_then(|l| l.split(' ').nth(2).map(str::to_string))
}

#[test]
fn mixed_cluster_agrees_and_detects_failures() {
    let real = std::path::Path::new(REAL_REDIS);
    if !real.exists() {
        eprintln!("skipped: {REAL_REDIS} not installed");
        return;
    }
    let ours = common::server_binary();
    let base = 23100 + (std::process::id() % 9) as u16 * 10;
    let mut nodes: Vec<Node> = (0..6)
        .map(|i| {
            let is_real = i % 2 == 0;
            start(if is_real { real } else { &ours }, base + i as u16, is_real)
        })
        .collect();
    let ports: Vec<u16> = nodes.iter().map(|n| n.port).collect();
    for &p in &ports[1..] {
        assert_eq!(
            cmd(
                ports[0],
                &[
                    "CLUSTER",
                    "MEET",
                    "127.0.0.1",
                    &p.to_string(),
                    &(p + 100).to_string()
                ]
            ),
            "OK"
        );
    }
    let per = 16384 / 6;
    for (i, &p) in ports.iter().enumerate() {
        let start = i * per;
        let end = if i == 5 { 16383 } else { (i + 1) * per - 1 };
        assert_eq!(
            cmd(
                p,
                &[
                    "CLUSTER",
                    "ADDSLOTSRANGE",
                    &start.to_string(),
                    &end.to_string()
                ]
            ),
            "OK"
        );
    }
    let ids: Vec<String> = ports
        .iter()
        .map(|&p| cmd(p, &["CLUSTER", "MYID"]))
        .collect();

    // Everyone agrees on everything, with unique epochs and state ok.
    wait_for("an agreed table", 30, || {
        let v0 = view(ports[0]);
        if v0.len() != 6 || ports.iter().any(|&p| view(p) != v0) {
            return false;
        }
        let epochs: std::collections::BTreeSet<&str> = v0
            .values()
            .map(|s| s.split(' ').nth(3).unwrap_or(""))
            .collect();
        epochs.len() == 6
            && ports
                .iter()
                .all(|&p| cmd(p, &["CLUSTER", "INFO"]).contains("cluster_state:ok"))
    });
    let v0 = view(ports[0]);
    for (i, id) in ids.iter().enumerate() {
        let line = &v0[id];
        assert!(
            line.starts_with(&format!(
                "127.0.0.1:{}@{} master - ",
                ports[i],
                ports[i] + 100
            )),
            "{line}"
        );
    }

    // Kill one node of each kind: the others flag them failing.
    let dead = [0usize, 1];
    for &d in &dead {
        let _ = nodes[d].child.kill();
        let _ = nodes[d].child.wait();
    }
    let alive: Vec<u16> = (2..6).map(|i| ports[i]).collect();
    for &d in &dead {
        wait_for("fail", 30, || {
            alive
                .iter()
                .all(|&p| flags_of(p, &ids[d]).is_some_and(|f| f.split(',').any(|x| x == "fail")))
        });
    }
    for &p in &alive {
        assert!(cmd(p, &["CLUSTER", "INFO"]).contains("cluster_state:fail"));
    }

    // FORGET across kinds.
    for &p in &alive {
        for &d in &dead {
            assert_eq!(cmd(p, &["CLUSTER", "FORGET", &ids[d]]), "OK");
        }
    }
    for &p in &alive {
        assert_eq!(view(p).len(), 4);
        assert!(cmd(p, &["CLUSTER", "FORGET", &ids[0]]).starts_with("ERR Unknown node"));
    }

    // The real nodes never complained about a packet of ours.
    for n in nodes.iter().filter(|n| n.real) {
        let log = std::fs::read_to_string(n.dir.join("log.txt")).unwrap_or_default();
        for bad in [
            "invalid",
            "Bad message",
            "unknown packet",
            "unknown extension",
            "without proper padding",
            "null terminator",
        ] {
            assert!(
                !log.contains(bad),
                "real node {} logged {bad:?}:\n{log}",
                n.port
            );
        }
    }
    nodes.clear();
}
