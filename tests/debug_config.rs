//! Integration tests of DEBUG subcommands that act on the server itself
//! (PAUSE-CRON, CONFIG-REWRITE-FORCE-ALL) and of config directives with an
//! effect outside the keyspace: `rename-command` and `oom-score-adj`.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Conn, Reply, Server};

fn ok() -> Reply {
    Reply::Status("OK".into())
}

/// A server started with a config file (CONFIG REWRITE needs one), its
/// port, and the file's path. Killed on drop like [`Server`].
struct ConfServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
    conf: std::path::PathBuf,
}

impl ConfServer {
    fn start(conf_text: &str) -> ConfServer {
        let port = common::free_port();
        let dir = std::env::temp_dir().join(format!(
            "redis-mio-debugconf-{}-{}",
            std::process::id(),
            port
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let conf = dir.join("redis.conf");
        std::fs::write(
            &conf,
            format!("port {port}\nsave \"\"\nenable-debug-command yes\n{conf_text}"),
        )
        .unwrap();
        let child = Command::new(common::server_binary())
            .arg(&conf)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        ConfServer {
            child,
            port,
            dir,
            conf,
        }
    }

    fn connect(&self) -> Conn {
        Conn::new(self.port)
    }
}

impl Drop for ConfServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn pause_cron_delays_a_sigterm_shutdown_until_aborted() {
    let mut s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.connect();
    assert_eq!(c.cmd("DEBUG PAUSE-CRON 1"), ok());
    // SAFETY: a plain kill(2) of our own child process.
    unsafe { libc::kill(s.child.id() as libc::pid_t, libc::SIGTERM) };
    // The cron, which would act on the signal, is paused: still alive.
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.is_alive());
    assert_eq!(c.cmd("SHUTDOWN ABORT"), ok());
    assert_eq!(c.cmd("DEBUG PAUSE-CRON 0"), ok());
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.is_alive());
    assert_eq!(c.cmd("PING"), Reply::Status("PONG".into()));
}

#[test]
fn config_rewrite_force_all_writes_defaults_too() {
    let s = ConfServer::start("");
    let mut c = s.connect();
    assert_eq!(c.cmd("CONFIG REWRITE"), ok());
    let plain = std::fs::read_to_string(&s.conf).unwrap();
    assert!(!plain.contains("\nhz "), "{plain}");
    assert_eq!(c.cmd("DEBUG CONFIG-REWRITE-FORCE-ALL"), ok());
    let forced = std::fs::read_to_string(&s.conf).unwrap();
    assert!(forced.contains("\nhz 10\n"), "{forced}");
    assert!(
        forced.contains("\nmaxmemory-policy noeviction\n"),
        "{forced}"
    );
    // The server starts again from what it wrote.
    let port = common::free_port();
    let mut again = Command::new(common::server_binary())
        .arg(&s.conf)
        .arg("--port")
        .arg(port.to_string())
        .current_dir(&s.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline && matches!(again.try_wait(), Ok(None)),
            "the rewritten config does not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = again.kill();
    let _ = again.wait();
}

#[test]
fn config_rewrite_force_all_without_a_config_file() {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let mut c = s.connect();
    assert_eq!(
        c.cmd("DEBUG CONFIG-REWRITE-FORCE-ALL"),
        Reply::Error("ERR CONFIG-REWRITE-FORCE-ALL failed: Bad address".into())
    );
}

#[test]
fn rename_command_renames_and_removes() {
    let s = ConfServer::start("rename-command flushdb badger\nrename-command FLUSHALL \"\"\n");
    let mut c = s.connect();
    let Reply::Error(e) = c.cmd("FLUSHDB") else {
        panic!("FLUSHDB must be unknown")
    };
    assert!(e.starts_with("ERR unknown command 'FLUSHDB'"), "{e}");
    assert!(matches!(c.cmd("FLUSHALL"), Reply::Error(_)));
    assert_eq!(c.cmd("SET k v"), ok());
    assert_eq!(c.cmd("BADGER"), ok());
    assert_eq!(c.cmd("DBSIZE"), Reply::Int(0));
    // A removed command is gone from COMMAND too; a renamed one stays under
    // its own name.
    let Reply::Array(list) = c.cmd("COMMAND LIST") else {
        panic!()
    };
    let names: Vec<String> = list.iter().map(|r| r.text()).collect();
    assert!(!names.contains(&"flushall".to_string()));
    assert!(names.contains(&"flushdb".to_string()));
    // CONFIG REWRITE keeps the lines, so a restart renames again.
    assert_eq!(c.cmd("CONFIG REWRITE"), ok());
    let text = std::fs::read_to_string(&s.conf).unwrap();
    assert!(text.contains("rename-command flushdb badger"), "{text}");
}

#[test]
fn rename_command_errors_are_fatal() {
    for (line, err) in [
        ("nosuch foo", "No such command in rename-command"),
        ("get set", "Target command name already exists"),
    ] {
        let mut args = vec!["--port", "0", "--rename-command"];
        args.extend(line.split(' '));
        let out = Command::new(common::server_binary())
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("*** FATAL CONFIG FILE ERROR"), "{stderr}");
        assert!(stderr.contains(err), "{stderr}");
    }
}

fn read_oom_score_adj(pid: u32) -> i64 {
    std::fs::read_to_string(format!("/proc/{pid}/oom_score_adj"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn write_oom_score_adj(pid: u32, v: i64) {
    std::fs::write(format!("/proc/{pid}/oom_score_adj"), format!("{v}\n")).unwrap();
}

#[test]
fn oom_score_adj_relative_absolute_and_restore() {
    let s = Server::start(&[]);
    let pid = s.child.id();
    let mut c = s.connect();
    // Raising one's own score needs no privilege.
    let base = read_oom_score_adj(pid) + 22;
    write_oom_score_adj(pid, base);
    // Values changed while disabled leave the process alone.
    assert_eq!(
        c.cmd_args(&[b"CONFIG", b"SET", b"oom-score-adj-values", b"5 5 5"]),
        ok()
    );
    assert_eq!(read_oom_score_adj(pid), base);
    assert_eq!(
        c.cmd_args(&[
            b"CONFIG",
            b"SET",
            b"oom-score-adj-values",
            b"9 9 9",
            b"oom-score-adj",
            b"yes"
        ]),
        ok()
    );
    assert_eq!(read_oom_score_adj(pid), base + 9);
    assert_eq!(
        c.cmd_args(&[b"CONFIG", b"SET", b"oom-score-adj-values", b"15 20 30"]),
        ok()
    );
    assert_eq!(read_oom_score_adj(pid), base + 15);
    assert_eq!(c.cmd("CONFIG SET oom-score-adj absolute"), ok());
    assert_eq!(read_oom_score_adj(pid), 15);
    // Disabling gives the process its score from before.
    assert_eq!(c.cmd("CONFIG SET oom-score-adj no"), ok());
    assert_eq!(read_oom_score_adj(pid), base);
}

#[test]
fn oom_score_adj_from_the_command_line() {
    let s = Server::start(&[
        "--oom-score-adj",
        "absolute",
        "--oom-score-adj-values",
        "101 202 303",
    ]);
    assert_eq!(read_oom_score_adj(s.child.id()), 101);
}
