//! SLOWLOG, LATENCY and MEMORY over the wire. The thresholds are set on the
//! command line so these tests do not depend on CONFIG SET.

mod common;

use common::Server;

/// Splits a RESP reply into its top-level lines, for loose matching.
fn lines(reply: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(reply)
        .split("\r\n")
        .map(str::to_string)
        .collect()
}

#[test]
fn slowlog_logs_every_command_at_zero_threshold_and_trims_to_max_len() {
    let s = Server::start(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "10"]);
    let mut c = s.client();
    for _ in 0..20 {
        c.cmd(&["ping"]);
    }
    // An entry is added after the reply is built: LEN sees only the pings.
    assert_eq!(c.cmd_str(&["slowlog", "len"]), ":10\r\n");
    let get5 = c.cmd(&["slowlog", "get", "5"]);
    assert!(
        get5.starts_with(b"*5\r\n*6\r\n"),
        "{}",
        String::from_utf8_lossy(&get5)
    );
    assert!(c.cmd(&["slowlog", "get", "-1"]).starts_with(b"*10\r\n"));
    assert_eq!(c.cmd(&["slowlog", "get", "0"]), b"*0\r\n");
    assert_eq!(
        c.cmd_str(&["slowlog", "get", "-2"]),
        "-ERR count should be greater than or equal to -1\r\n"
    );
    assert_eq!(c.cmd_str(&["slowlog", "reset"]), "+OK\r\n");
    // The RESET itself is the one entry left.
    assert_eq!(c.cmd_str(&["slowlog", "len"]), ":1\r\n");
}

#[test]
fn slowlog_entry_layout() {
    let s = Server::start(&["--slowlog-log-slower-than", "0"]);
    let mut c = s.client();
    c.cmd(&["slowlog", "reset"]);
    c.cmd(&["echo", "hello"]);
    let r = lines(&c.cmd(&["slowlog", "get", "1"]));
    // [[id, time, duration, [echo, hello], peer, name]]
    assert_eq!(r[0], "*1");
    assert_eq!(r[1], "*6");
    assert_eq!(r[2], ":1", "ids count from 0 and the RESET took 0");
    assert!(r[3].starts_with(':'));
    assert!(r[4].starts_with(':'));
    assert_eq!(&r[5..10], &["*2", "$4", "echo", "$5", "hello"]);
    assert!(r[11].starts_with("127.0.0.1:"), "{:?}", r);
    assert_eq!(r[12], "$0");
}

#[test]
fn slowlog_trims_arguments() {
    let s = Server::start(&["--slowlog-log-slower-than", "0"]);
    let mut c = s.client();
    let mut args = vec!["del".to_string()];
    args.extend((2..=33).map(|i| i.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    c.cmd(&a);
    let r = lines(&c.cmd(&["slowlog", "get", "1"]));
    assert_eq!(r[5], "*32", "{:?}", r);
    assert!(r.contains(&"... (2 more arguments)".to_string()), "{:?}", r);

    let long = "A".repeat(129);
    c.cmd(&["exists", &long]);
    let r = lines(&c.cmd(&["slowlog", "get", "1"]));
    assert!(
        r.contains(&format!("{}... (1 more bytes)", "A".repeat(128))),
        "{:?}",
        r
    );
}

#[test]
fn slowlog_disabled_and_help() {
    let s = Server::start(&["--slowlog-log-slower-than", "-1"]);
    let mut c = s.client();
    c.cmd(&["ping"]);
    assert_eq!(c.cmd_str(&["slowlog", "len"]), ":0\r\n");
    let help = c.cmd_str(&["slowlog", "help"]);
    assert!(help.contains("Reset the slowlog."), "{help}");
    assert_eq!(
        c.cmd_str(&["slowlog", "get", "1", "2"]),
        "-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.\r\n"
    );
}

#[test]
fn latency_histogram_counts_calls() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["set", "a", "b"]);
    c.cmd(&["set", "c", "d"]);
    c.cmd(&["get", "a"]);
    let r = lines(&c.cmd(&["latency", "histogram", "set", "blabla", "get"]));
    // A map of two commands, each a map of calls and buckets.
    assert_eq!(r[0], "*4");
    assert_eq!(&r[1..3], &["$3", "set"]);
    assert_eq!(&r[3..8], &["*4", "$5", "calls", ":2", "$14"]);
    assert!(r.contains(&"get".to_string()));
    assert_eq!(c.cmd(&["latency", "histogram", "blabla"]), b"*0\r\n");
    // Without arguments: every command that ran, the LATENCY calls included.
    let all = String::from_utf8_lossy(&c.cmd(&["latency", "histogram"])).into_owned();
    assert!(all.contains("latency|histogram"), "{all}");
}

#[test]
fn latency_events_commands_without_samples() {
    let s = Server::start(&["--latency-monitor-threshold", "200"]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["latency", "latest"]), b"*0\r\n");
    assert_eq!(c.cmd(&["latency", "history", "command"]), b"*0\r\n");
    assert_eq!(c.cmd(&["latency", "reset", "blabla"]), b":0\r\n");
    assert_eq!(
        c.cmd_str(&["latency", "graph", "command"]),
        "-ERR No samples available for event 'command'\r\n"
    );
    assert!(c.cmd(&["latency", "doctor"]).len() > 10);
    assert_eq!(
        c.cmd_str(&["latency", "help", "xxx"]),
        "-ERR wrong number of arguments for 'latency|help' command\r\n"
    );
    assert!(c
        .cmd_str(&["latency", "help"])
        .contains("HISTOGRAM [COMMAND ...]"));
}

#[test]
fn memory_subcommands() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["set", "key", "value"]);
    let usage = c.cmd_str(&["memory", "usage", "key"]);
    let n: i64 = usage.trim_start_matches(':').trim().parse().unwrap_or(0);
    assert!(n > 8 && n < 1000, "{usage}");
    assert_eq!(c.cmd(&["memory", "usage", "nokey"]), b"$-1\r\n");
    assert_eq!(
        c.cmd_str(&["memory", "usage", "key", "samples", "-1"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd_str(&["memory", "usage", "key", "samples", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert!(c
        .cmd_str(&["memory", "usage", "key", "samples", "0"])
        .starts_with(':'));

    let stats = lines(&c.cmd(&["memory", "stats"]));
    // 27 fields plus db.0.
    assert_eq!(stats[0], "*56");
    for field in [
        "peak.allocated",
        "keys.count",
        "db.0",
        "dataset.bytes",
        "fragmentation.bytes",
    ] {
        assert!(stats.contains(&field.to_string()), "{field} missing");
    }
    let keys = stats.iter().position(|l| l == "keys.count").unwrap_or(0);
    assert_eq!(stats[keys + 1], ":1");

    assert_eq!(
        c.cmd_str(&["memory", "malloc-stats"]),
        "$45\r\nStats not supported for the current allocator\r\n"
    );
    assert_eq!(c.cmd_str(&["memory", "purge"]), "+OK\r\n");
    assert!(c.cmd(&["memory", "doctor"]).len() > 10);
    assert!(c
        .cmd_str(&["memory", "help"])
        .contains("USAGE <key> [SAMPLES <count>]"));
}
