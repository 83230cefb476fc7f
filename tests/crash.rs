//! Crash reports: DEBUG SEGFAULT and DEBUG PANIC kill the server, which
//! first writes Redis's bug report to its log, and die by the right signal.

mod common;

use common::Server;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

/// Sends `DEBUG <sub>` to a server logging to a file; returns the signal
/// that ended it and the log.
fn crash_with(sub: &str, extra: &[&str]) -> (Option<i32>, String) {
    let mut args = vec!["--logfile", "redis.log", "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    let mut server = Server::start(&args);
    let mut c = server.client();
    c.send(&[b"DEBUG", sub.as_bytes()]);
    assert!(c.is_closed(), "DEBUG {sub} should drop the connection");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = server.child.try_wait().expect("wait") {
            break st;
        }
        assert!(Instant::now() < deadline, "server survived DEBUG {sub}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = std::fs::read_to_string(server.dir.join("redis.log")).expect("log file");
    (status.signal(), log)
}

fn assert_framed(log: &str) {
    let start = log
        .find("=== REDIS BUG REPORT START: Cut & paste starting from here ===")
        .unwrap_or_else(|| panic!("no report start in:\n{log}"));
    let end = log
        .find("=== REDIS BUG REPORT END. Make sure to include from START to END. ===")
        .unwrap_or_else(|| panic!("no report end in:\n{log}"));
    assert!(start < end);
    assert_eq!(log.matches("REDIS BUG REPORT START").count(), 1, "{log}");
}

#[test]
fn debug_segfault_writes_bug_report_and_dies_by_sigsegv() {
    let (sig, log) = crash_with("SEGFAULT", &[]);
    assert_eq!(sig, Some(libc::SIGSEGV), "{log}");
    assert_framed(&log);
    assert!(
        log.contains(&format!(
            "Redis 7.0.15 crashed by signal: {}, si_code: ",
            libc::SIGSEGV
        )),
        "{log}"
    );
    assert!(log.contains("# Accessing address: 0x"), "{log}");
    assert!(log.contains("------ STACK TRACE ------"), "{log}");
}

#[test]
fn debug_panic_logs_guru_meditation_and_aborts() {
    let (sig, log) = crash_with("PANIC", &[]);
    assert_eq!(sig, Some(libc::SIGABRT), "{log}");
    assert_framed(&log);
    assert!(
        log.contains("# Guru Meditation: DEBUG PANIC called at Unix time "),
        "{log}"
    );
    assert!(log.contains(" #src/debug.rs:"), "{log}");
    // The abort of the panic must not be reported a second time as a signal.
    assert!(!log.contains("crashed by signal"), "{log}");
}

#[test]
fn crash_log_disabled_dies_without_report() {
    let (sig, log) = crash_with("SEGFAULT", &["--crash-log-enabled", "no"]);
    assert_eq!(sig, Some(libc::SIGSEGV));
    assert!(!log.contains("BUG REPORT"), "{log}");
}

#[test]
fn config_set_crash_log_enabled_installs_handlers() {
    let mut server = Server::start(&["--logfile", "redis.log", "--crash-log-enabled", "no"]);
    let mut c = server.client();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "crash-log-enabled", "yes"]),
        b"+OK\r\n"
    );
    let pid = server.child.id() as i32;
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(pid, libc::SIGSEGV) };
    let status = server.child.wait().expect("wait");
    assert_eq!(status.signal(), Some(libc::SIGSEGV));
    let log = std::fs::read_to_string(server.dir.join("redis.log")).expect("log file");
    assert_framed(&log);
    assert!(log.contains("crashed by signal: 11, si_code: 0"), "{log}");
    assert!(
        log.contains(&format!("Killed by PID: {}, UID: ", std::process::id())),
        "{log}"
    );
}
