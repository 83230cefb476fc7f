//! The generic keyspace, expiry and DEBUG commands, end to end: exact reply
//! bytes for the edge cases, active and lazy expiry over time, and a
//! differential run of one command script against Debian's redis-server
//! 7.0.15 (skipped when it is not installed).

mod common;

use common::{Client, Server};
use std::path::Path;
use std::time::{Duration, Instant};

fn start() -> (Server, Client) {
    let s = Server::start(&["--enable-debug-command", "yes"]);
    let c = s.client();
    (s, c)
}

/// The integer of a `:n` reply.
fn int(reply: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(reply);
    s.trim()
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {s:?}"))
}

#[test]
fn rename_move_copy_and_their_errors() {
    let (_s, mut c) = start();
    assert_eq!(c.cmd(&["rename", "nokey", "x"]), b"-ERR no such key\r\n");
    c.cmd(&["set", "a", "1"]);
    assert_eq!(c.cmd(&["rename", "a", "a"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["renamenx", "a", "a"]), b":0\r\n");
    c.cmd(&["set", "b", "2"]);
    c.cmd(&["expire", "b", "100"]);
    // RENAME overwrites the destination and drops its TTL.
    assert_eq!(c.cmd(&["rename", "a", "b"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["ttl", "b"]), b":-1\r\n");
    assert_eq!(c.cmd(&["get", "b"]), b"$1\r\n1\r\n");
    c.cmd(&["set", "c", "3"]);
    assert_eq!(c.cmd(&["renamenx", "b", "c"]), b":0\r\n");
    // The TTL travels with the value.
    c.cmd(&["pexpireat", "c", "99999999999999"]);
    assert_eq!(c.cmd(&["renamenx", "c", "d"]), b":1\r\n");
    assert_eq!(c.cmd(&["pexpiretime", "d"]), b":99999999999999\r\n");

    assert_eq!(
        c.cmd(&["move", "d", "0"]),
        b"-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        c.cmd(&["move", "d", "16"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(c.cmd(&["move", "d", "1"]), b":1\r\n");
    assert_eq!(c.cmd(&["exists", "d"]), b":0\r\n");
    c.cmd(&["select", "1"]);
    assert_eq!(c.cmd(&["pexpiretime", "d"]), b":99999999999999\r\n");
    assert_eq!(c.cmd(&["copy", "d", "e", "db", "0"]), b":1\r\n");
    assert_eq!(c.cmd(&["copy", "d", "e", "db", "0"]), b":0\r\n");
    assert_eq!(c.cmd(&["copy", "d", "e", "db", "0", "replace"]), b":1\r\n");
    assert_eq!(
        c.cmd(&["copy", "d", "d"]),
        b"-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(c.cmd(&["copy", "d", "x", "db"]), b"-ERR syntax error\r\n");
    c.cmd(&["select", "0"]);
    assert_eq!(c.cmd(&["pexpiretime", "e"]), b":99999999999999\r\n");
}

#[test]
fn swapdb_exchanges_data_not_clients() {
    let (_s, mut c) = start();
    c.cmd(&["set", "k", "in0"]);
    assert_eq!(
        c.cmd(&["swapdb", "0", "x"]),
        b"-ERR invalid second DB index\r\n"
    );
    assert_eq!(
        c.cmd(&["swapdb", "0", "99"]),
        b"-ERR DB index is out of range\r\n"
    );
    assert_eq!(c.cmd(&["swapdb", "0", "5"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["exists", "k"]), b":0\r\n");
    c.cmd(&["select", "5"]);
    assert_eq!(c.cmd(&["get", "k"]), b"$3\r\nin0\r\n");
}

#[test]
fn keys_and_scan() {
    let (_s, mut c) = start();
    for k in ["foo_a", "foo_b", "bar"] {
        c.cmd(&["set", k, "v"]);
    }
    let keys = c.cmd_str(&["keys", "foo*"]);
    assert!(keys.starts_with("*2\r\n") && keys.contains("foo_a") && keys.contains("foo_b"));
    assert_eq!(c.cmd(&["keys", "nomatch*"]), b"*0\r\n");
    let all = c.cmd_str(&["scan", "0", "count", "1000"]);
    assert!(all.starts_with("*2\r\n$1\r\n0\r\n*3\r\n"), "{all:?}");
    assert_eq!(
        c.cmd(&["scan", "0", "match", "bar"]),
        b"*2\r\n$1\r\n0\r\n*1\r\n$3\r\nbar\r\n"
    );
    assert_eq!(
        c.cmd(&["scan", "0", "type", "list"]),
        b"*2\r\n$1\r\n0\r\n*0\r\n"
    );
    assert_eq!(c.cmd(&["scan", "x"]), b"-ERR invalid cursor\r\n");
    assert_eq!(
        c.cmd(&["scan", "0", "count", "0"]),
        b"-ERR syntax error\r\n"
    );
    // Logically expired keys are not listed.
    c.cmd(&["debug", "set-active-expire", "0"]);
    c.cmd(&["set", "gone", "v", "px", "1"]);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(c.cmd(&["keys", "gone"]), b"*0\r\n");
    assert_eq!(
        c.cmd(&["scan", "0", "match", "gone"]),
        b"*2\r\n$1\r\n0\r\n*0\r\n"
    );
}

#[test]
fn expire_options_and_overflow() {
    let (_s, mut c) = start();
    c.cmd(&["set", "foo", "bar"]);
    assert_eq!(
        c.cmd(&["expire", "foo", "10", "nx", "xx"]),
        b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "foo", "10", "gt", "lt"]),
        b"-ERR GT and LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "foo", "10", "ab"]),
        b"-ERR Unsupported option ab\r\n"
    );
    assert_eq!(
        c.cmd(&["expire", "foo", "9223372036854776"]),
        b"-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        c.cmd(&["pexpire", "foo", "9223372036854770000"]),
        b"-ERR invalid expire time in 'pexpire' command\r\n"
    );
    assert_eq!(c.cmd(&["expire", "foo", "100", "gt"]), b":0\r\n");
    assert_eq!(c.cmd(&["expire", "foo", "100", "lt"]), b":1\r\n");
    assert_eq!(c.cmd(&["ttl", "foo"]), b":100\r\n");
    assert_eq!(c.cmd(&["expire", "foo", "200", "nx"]), b":0\r\n");
    assert_eq!(c.cmd(&["persist", "foo"]), b":1\r\n");
    assert_eq!(c.cmd(&["persist", "foo"]), b":0\r\n");
    // A time in the past deletes the key at once.
    assert_eq!(c.cmd(&["expire", "foo", "-1"]), b":1\r\n");
    assert_eq!(c.cmd(&["exists", "foo"]), b":0\r\n");
    assert_eq!(c.cmd(&["ttl", "foo"]), b":-2\r\n");
}

#[test]
fn keys_expire_actively_and_lazily() {
    let (_s, mut c) = start();
    for k in ["k1", "k2", "k3"] {
        c.cmd(&["set", k, "v", "px", "100"]);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while int(&c.cmd(&["dbsize"])) != 0 {
        assert!(Instant::now() < deadline, "keys did not actively expire");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert_eq!(c.cmd(&["debug", "set-active-expire", "0"]), b"+OK\r\n");
    for k in ["k1", "k2", "k3"] {
        c.cmd(&["set", k, "v", "px", "50"]);
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(c.cmd(&["dbsize"]), b":3\r\n");
    // EXPIRE on an expired key must not bring it back.
    assert_eq!(c.cmd(&["expire", "k1", "100"]), b":0\r\n");
    assert_eq!(c.cmd(&["get", "k2"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["del", "k3"]), b":0\r\n");
    assert_eq!(c.cmd(&["dbsize"]), b":0\r\n");
}

#[test]
fn object_and_debug_object() {
    let (_s, mut c) = start();
    c.cmd(&["set", "n", "123"]);
    c.cmd(&["set", "s", "hello"]);
    assert_eq!(c.cmd(&["object", "encoding", "n"]), b"$3\r\nint\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "s"]), b"$6\r\nembstr\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "n"]), b":2147483647\r\n");
    assert_eq!(c.cmd(&["object", "refcount", "s"]), b":1\r\n");
    assert_eq!(c.cmd(&["object", "idletime", "s"]), b":0\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "none"]), b"$-1\r\n");
    assert!(c
        .cmd_str(&["object", "freq", "s"])
        .starts_with("-ERR An LFU maxmemory policy is not selected"));
    let line = c.cmd_str(&["debug", "object", "s"]);
    let words: Vec<&str> = line.trim_end().split(' ').collect();
    assert_eq!(words[0], "+Value");
    assert!(words[1].starts_with("at:0x"), "{line:?}");
    assert_eq!(
        &words[2..5],
        ["refcount:1", "encoding:embstr", "serializedlength:6"]
    );
    assert!(words[5].starts_with("lru:") && words[6].starts_with("lru_seconds_idle:"));
    assert_eq!(c.cmd(&["debug", "object", "none"]), b"-ERR no such key\r\n");
}

#[test]
fn object_freq_under_lfu() {
    let s = Server::start(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = s.client();
    c.cmd(&["set", "k", "v"]);
    // New values start at LFU_INIT_VAL and only grow with accesses.
    let f = int(&c.cmd(&["object", "freq", "k"]));
    assert!((5..=6).contains(&f), "{f}");
    for _ in 0..50 {
        c.cmd(&["get", "k"]);
    }
    assert!(int(&c.cmd(&["object", "freq", "k"])) > f);
    assert!(c
        .cmd_str(&["object", "idletime", "k"])
        .starts_with("-ERR An LFU maxmemory policy is selected"));
}

#[test]
fn debug_is_protected_by_default() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert!(c
        .cmd_str(&["debug", "digest"])
        .starts_with("-ERR DEBUG command not allowed."));
}

#[test]
fn debug_populate_sleep_and_digest() {
    let (_s, mut c) = start();
    assert_eq!(
        c.cmd(&["debug", "digest"]),
        b"+0000000000000000000000000000000000000000\r\n"
    );
    assert_eq!(c.cmd(&["debug", "populate", "100"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["dbsize"]), b":100\r\n");
    assert_eq!(c.cmd(&["get", "key:42"]), b"$8\r\nvalue:42\r\n");
    c.cmd(&["debug", "populate", "2", "p", "10"]);
    assert_eq!(c.cmd(&["get", "p:1"]), b"$10\r\nvalue:1\0\0\0\r\n");
    assert_eq!(
        c.cmd(&["debug", "populate", "-1"]),
        b"-ERR value is out of range, must be positive\r\n"
    );
    let t = Instant::now();
    assert_eq!(c.cmd(&["debug", "sleep", "0.2"]), b"+OK\r\n");
    assert!(t.elapsed() >= Duration::from_millis(190));
    assert_eq!(
        c.cmd(&["debug", "nosuch"]),
        b"-ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.\r\n"
    );
}

/// The script of the differential test: every reply must be deterministic
/// (no multi-key KEYS/SCAN results, whose order is the hash table's).
const SCRIPT: &[&[&str]] = &[
    &["set", "foo", "bar"],
    &["set", "n", "12345"],
    &["set", "big", "12345678901234567890123"],
    &[
        "set",
        "long",
        "a string that is certainly longer than forty-four bytes",
    ],
    &["debug", "digest"],
    &[
        "debug",
        "digest-value",
        "foo",
        "n",
        "big",
        "long",
        "missing",
    ],
    &["pexpireat", "foo", "99999999999999"],
    &["debug", "digest"],
    &["debug", "digest-value", "foo"],
    &["pexpiretime", "foo"],
    &["expiretime", "foo"],
    &["ttl", "n"],
    &["pttl", "missing"],
    &["expire", "n", "100", "xx"],
    &["expire", "n", "100", "nx", "gt"],
    &["expire", "n", "abc"],
    &["expire", "n", ""],
    &["expire", "n", "9223370399119966"],
    &["expire", "n", "-9223372036854776"],
    &["pexpireat", "n", "9223372036854770000"],
    &["pexpiretime", "n"],
    &["pexpireat", "n", "-9223372036854770000"],
    &["exists", "n"],
    &["set", "n", "7"],
    &["rename", "foo", "foo2"],
    &["pexpiretime", "foo2"],
    &["renamenx", "foo2", "big"],
    &["rename", "missing", "x"],
    &["move", "foo2", "3"],
    &["move", "foo2", "notanumber"],
    &["move", "foo2", "-1"],
    &["copy", "big", "big2", "db", "3", "replace"],
    &["copy", "big", "big2", "db", "3"],
    &["copy", "big", "big2", "db", "99999999999"],
    &["copy", "big", "big", "db", "0"],
    &["swapdb", "0", "3"],
    &["swapdb", "a", "3"],
    &["debug", "digest"],
    &["select", "3"],
    &["exists", "foo2", "big2", "big2", "nokey"],
    &["touch", "foo2", "nokey"],
    &["type", "foo2"],
    &["type", "nokey"],
    &["keys", "foo?"],
    &["keys", "l*"],
    &[
        "scan", "0", "match", "big*", "count", "1000", "type", "string",
    ],
    &["scan", "18446744073709551616"],
    &["scan", "0", "type"],
    &["object", "encoding", "n"],
    &["object", "encoding", "big"],
    &["object", "refcount", "n"],
    &["object", "idletime", "n"],
    &["object", "freq", "n"],
    &["object", "nosuch", "n"],
    &["object", "help"],
    &["object", "encoding"],
    &["select", "0"],
    &["object", "encoding", "long"],
    &["del", "foo2"],
    &["randomkey"],
    &["del", "big2", "nokey"],
    &["randomkey"],
    &["flushall"],
    &["randomkey"],
    &["debug", "populate", "50", "pre", "30"],
    &["debug", "digest"],
    &["debug", "populate", "5"],
    &["debug", "digest"],
    &["debug", "protocol", "string"],
    &["debug", "protocol", "integer"],
    &["debug", "protocol", "double"],
    &["debug", "protocol", "bignum"],
    &["debug", "protocol", "null"],
    &["debug", "protocol", "array"],
    &["debug", "protocol", "set"],
    &["debug", "protocol", "map"],
    &["debug", "protocol", "attrib"],
    &["debug", "protocol", "push"],
    &["debug", "protocol", "true"],
    &["debug", "protocol", "false"],
    &["debug", "protocol", "verbatim"],
    &["debug", "protocol", "nosuch"],
    &["debug", "error", "CUSTOM an error"],
    &["debug", "quicklist-packed-threshold", "5gb"],
    &["debug", "quicklist-packed-threshold", "1mb"],
    &["debug", "set-active-expire", "1"],
    &["debug", "change-repl-id"],
    &["debug", "log", "from the differential test"],
    &["debug"],
];

#[test]
fn differential_against_real_redis() {
    let real = Path::new("/usr/bin/redis-server");
    if !real.exists() {
        eprintln!("skipped: /usr/bin/redis-server is not installed");
        return;
    }
    let args = ["--enable-debug-command", "yes"];
    let ours = Server::start(&args);
    let theirs = Server::start_binary(real, &args);
    let (mut a, mut b) = (ours.client(), theirs.client());
    let mut diffs = Vec::new();
    for cmd in SCRIPT {
        let (ra, rb) = (a.cmd(cmd), b.cmd(cmd));
        if ra != rb {
            diffs.push(format!(
                "{cmd:?}\n  ours: {:?}\n  real: {:?}",
                String::from_utf8_lossy(&ra),
                String::from_utf8_lossy(&rb)
            ));
        }
    }
    assert!(diffs.is_empty(), "replies differ:\n{}", diffs.join("\n"));
}
