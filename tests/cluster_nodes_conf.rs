//! nodes.conf compatibility with Debian's `/usr/bin/redis-server` 7.0.15
//! (skipped when it is not installed): a file written by one server loads
//! in the other with the same identity, epochs, peers and slots.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REAL_REDIS: &str = "/usr/bin/redis-server";

struct Node {
    child: Child,
    port: u16,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, dir: &Path, port: u16) -> Node {
    std::fs::create_dir_all(dir).unwrap();
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--cluster-port",
            &(port + 50).to_string(),
            "--cluster-enabled",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--bind",
            "127.0.0.1",
            "--logfile",
            "log.txt",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "node {port} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Node { child, port }
}

fn cmd(port: u16, args: &[&str]) -> String {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    common::Conn::new(port).cmd_args(&a).text()
}

/// CLUSTER NODES without the ping/pong times and the link state, sorted.
fn nodes(port: u16) -> Vec<String> {
    let mut v: Vec<String> = cmd(port, &["CLUSTER", "NODES"])
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let mut keep = f[..4].to_vec();
            keep.push(f[6]);
            keep.extend_from_slice(&f[8..]);
            keep.join(" ")
        })
        .collect();
    v.sort();
    v
}

fn stop(mut n: Node) {
    common::Conn::new(n.port).send(&[b"SHUTDOWN", b"NOSAVE"]);
    let _ = n.child.wait();
}

fn wait_for(mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `writer` builds a two-node cluster with slots and an open slot, then
/// stops its first node; `reader` loads that node's nodes.conf.
fn cross_load(writer: &Path, reader: &Path, base: u16) {
    let root: PathBuf =
        std::env::temp_dir().join(format!("redis-mio-nodesconf-{}-{base}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (da, db) = (root.join("a"), root.join("b"));
    let a = start(writer, &da, base);
    let b = start(writer, &db, base + 1);
    assert_eq!(cmd(a.port, &["CLUSTER", "SET-CONFIG-EPOCH", "7"]), "OK");
    assert_eq!(
        cmd(
            a.port,
            &[
                "CLUSTER",
                "MEET",
                "127.0.0.1",
                &b.port.to_string(),
                &(b.port + 50).to_string()
            ]
        ),
        "OK"
    );
    assert_eq!(
        cmd(
            a.port,
            &["CLUSTER", "ADDSLOTSRANGE", "0", "100", "200", "16383"]
        ),
        "OK"
    );
    assert_eq!(
        cmd(b.port, &["CLUSTER", "ADDSLOTSRANGE", "101", "199"]),
        "OK"
    );
    let bid = cmd(b.port, &["CLUSTER", "MYID"]);
    wait_for(|| {
        nodes(a.port).len() == 2
            && nodes(b.port).len() == 2
            && nodes(a.port).iter().any(|l| l.contains("101-199"))
    });
    assert_eq!(
        cmd(a.port, &["CLUSTER", "SETSLOT", "5", "MIGRATING", &bid]),
        "OK"
    );
    let id = cmd(a.port, &["CLUSTER", "MYID"]);
    let before = nodes(a.port);
    let info_before = cmd(a.port, &["CLUSTER", "INFO"]);
    stop(a);
    stop(b);

    let a2 = start(reader, &da, base);
    assert_eq!(cmd(a2.port, &["CLUSTER", "MYID"]), id);
    assert_eq!(nodes(a2.port), before);
    let info = cmd(a2.port, &["CLUSTER", "INFO"]);
    for field in [
        "cluster_current_epoch:",
        "cluster_my_epoch:",
        "cluster_known_nodes:",
        "cluster_slots_assigned:",
    ] {
        let get = |s: &str| s.lines().find(|l| l.starts_with(field)).map(str::to_string);
        assert_eq!(get(&info), get(&info_before), "{field}");
    }
    stop(a2);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn nodes_conf_of_redis_loads_in_ours_and_back() {
    let real = Path::new(REAL_REDIS);
    if !real.exists() {
        eprintln!("skipped: {REAL_REDIS} not installed");
        return;
    }
    let ours = common::server_binary();
    let base = 23300 + (std::process::id() % 20) as u16 * 4;
    cross_load(real, &ours, base);
    cross_load(&ours, real, base + 2);
}
