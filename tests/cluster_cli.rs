//! Debian's `redis-cli` 7.0.15 as the cluster manager of six of our nodes:
//! `--cluster create` with one replica per master, `--cluster check`, and a
//! `-c` session that follows MOVED between nodes (skipped when redis-cli is
//! not installed).

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{free_port, Server};

const REDIS_CLI: &str = "/usr/bin/redis-cli";

fn cli(args: &[&str]) -> Output {
    Command::new(REDIS_CLI)
        .args(args)
        .output()
        .expect("run redis-cli")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn redis_cli_creates_checks_and_uses_a_cluster_of_ours() {
    if !std::path::Path::new(REDIS_CLI).exists() {
        eprintln!("{REDIS_CLI} not installed: test skipped");
        return;
    }
    let nodes: Vec<Server> = (0..6)
        .map(|_| {
            let cport = free_port().to_string();
            Server::start(&[
                "--cluster-enabled",
                "yes",
                "--cluster-port",
                &cport,
                "--cluster-node-timeout",
                "2000",
            ])
        })
        .collect();
    let addrs: Vec<String> = nodes
        .iter()
        .map(|s| format!("127.0.0.1:{}", s.port))
        .collect();
    let mut create = vec!["--cluster", "create"];
    create.extend(addrs.iter().map(|a| a.as_str()));
    create.extend(["--cluster-replicas", "1", "--cluster-yes"]);
    let out = cli(&create);
    assert!(out.status.success(), "create failed:\n{}", text(&out));

    // The replicas' roles and the slot table spread by gossip; check must
    // then agree everywhere.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = cli(&["--cluster", "check", &addrs[0]]);
        if out.status.success() {
            let t = text(&out);
            assert!(t.contains("[OK] All 16384 slots covered."), "{t}");
            assert_eq!(t.matches("slots: (0 slots) slave").count(), 3, "{t}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "check never passed:\n{}",
            text(&out)
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // Writes through one node, reads through another: MOVED followed by -c.
    let (p0, p3) = (nodes[0].port.to_string(), nodes[3].port.to_string());
    for i in 0..20 {
        let (key, val) = (format!("key:{i}"), format!("value:{i}"));
        let out = cli(&["-c", "-p", &p0, "set", &key, &val]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "OK",
            "{}",
            text(&out)
        );
        let out = cli(&["-c", "-p", &p3, "get", &key]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            val,
            "{}",
            text(&out)
        );
    }
}
