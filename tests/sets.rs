//! Set commands (t_set.rs, intset.rs).
//!
//! Fixed scripts check exact reply bytes of Redis 7.0.15, and a
//! differential run sends the same random set commands to this server and
//! to Debian's `/usr/bin/redis-server` (skipped when it is not installed),
//! comparing the replies (sorted where Redis leaves the order open, only
//! the shape where it is random), OBJECT ENCODING and DEBUG DIGEST-VALUE
//! of every key touched.

mod common;

use common::{Conn, Reply, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[test]
fn encodings_and_conversions() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["sadd", "s", "3", "1", "2", "1"]), b":3\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "s"]), b"$6\r\nintset\r\n");
    // An intset lists its members in ascending order.
    assert_eq!(
        c.cmd(&["smembers", "s"]),
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(c.cmd(&["sadd", "s", "x"]), b":1\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "s"]), b"$9\r\nhashtable\r\n");
    assert_eq!(
        c.cmd(&["config", "set", "set-max-intset-entries", "2"]),
        b"+OK\r\n"
    );
    c.cmd(&["sadd", "n", "1", "2"]);
    assert_eq!(c.cmd(&["object", "encoding", "n"]), b"$6\r\nintset\r\n");
    c.cmd(&["sadd", "n", "3"]);
    assert_eq!(c.cmd(&["object", "encoding", "n"]), b"$9\r\nhashtable\r\n");
    assert_eq!(c.cmd(&["type", "n"]), b"+set\r\n");
    // Removing the last member removes the key.
    assert_eq!(c.cmd(&["srem", "n", "1", "2", "3", "4"]), b":3\r\n");
    assert_eq!(c.cmd(&["exists", "n"]), b":0\r\n");
}

#[test]
fn errors_and_edge_replies() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["set", "str", "x"]);
    let wrongtype = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    for cmd in [
        &["sadd", "str", "a"][..],
        &["scard", "str"],
        &["sinter", "nokey", "str"],
        &["sunion", "str"],
        &["smove", "str", "x", "a"],
        &["srandmember", "str", "3"],
    ] {
        assert_eq!(c.cmd(cmd), wrongtype, "{cmd:?}");
    }
    assert_eq!(c.cmd(&["spop", "nokey"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["spop", "nokey", "2"]), b"*0\r\n");
    assert_eq!(
        c.cmd(&["spop", "nokey", "-1"]),
        b"-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(c.cmd(&["spop", "s", "1", "2"]), b"-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["srandmember", "nokey"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["srandmember", "nokey", "-5"]), b"*0\r\n");
    assert_eq!(
        c.cmd(&["sintercard", "0", "a"]),
        b"-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(
        c.cmd(&["sintercard", "3", "a"]),
        b"-ERR Number of keys can't be greater than number of args\r\n"
    );
    assert_eq!(
        c.cmd(&["sintercard", "1", "a", "limit", "-1"]),
        b"-ERR LIMIT can't be negative\r\n"
    );
    assert_eq!(c.cmd(&["sscan", "nokey", "0"]), b"*2\r\n$1\r\n0\r\n*0\r\n");
    c.cmd(&["sadd", "s", "1"]);
    assert_eq!(
        c.cmd(&["sscan", "s", "0", "count", "0"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["sscan", "s", "x"]), b"-ERR invalid cursor\r\n");
    // A negative count repeats members; a positive one never does.
    c.cmd(&["sadd", "s", "2", "3"]);
    let mut conn = s.connect();
    match conn.cmd("srandmember s -10") {
        Reply::Array(v) => assert_eq!(v.len(), 10),
        other => panic!("{other:?}"),
    }
    match conn.cmd("srandmember s 10") {
        Reply::Array(v) => assert_eq!(v.len(), 3),
        other => panic!("{other:?}"),
    }
    // SPOP with a count covering the set empties it.
    match conn.cmd("spop s 5") {
        Reply::Array(v) => assert_eq!(v.len(), 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(conn.cmd("exists s"), Reply::Int(0));
}

fn random_member(rng: &mut StdRng) -> String {
    match rng.gen_range(0..10) {
        0 => format!("m{}", rng.gen_range(0..30)),
        1 => format!("{}", rng.gen_range(-3_000_000_000i64..3_000_000_000)),
        2 => "007".to_string(),
        _ => format!("{}", rng.gen_range(-20..40)),
    }
}

fn random_key(rng: &mut StdRng) -> String {
    format!("s{}", rng.gen_range(0..6))
}

/// A random set command, and how to compare its reply: `Some(pairs)`
/// sorts it first, `None` compares its shape only (random replies).
fn random_command(rng: &mut StdRng) -> (Vec<String>, Option<bool>, bool) {
    let k = |rng: &mut StdRng| random_key(rng);
    let m = |rng: &mut StdRng| random_member(rng);
    let keys =
        |rng: &mut StdRng| -> Vec<String> { (0..rng.gen_range(1..4)).map(|_| k(rng)).collect() };
    let (cmd, order): (Vec<String>, Option<bool>) = match rng.gen_range(0..20) {
        0..=4 => {
            let mut v = vec!["sadd".into(), k(rng)];
            v.extend((0..rng.gen_range(1..8)).map(|_| m(rng)));
            (v, Some(false))
        }
        5 | 6 => {
            let mut v = vec!["srem".into(), k(rng)];
            v.extend((0..rng.gen_range(1..5)).map(|_| m(rng)));
            (v, Some(false))
        }
        7 => (vec!["smove".into(), k(rng), k(rng), m(rng)], Some(false)),
        8 => (vec!["sismember".into(), k(rng), m(rng)], Some(false)),
        9 => (
            vec!["smismember".into(), k(rng), m(rng), m(rng)],
            Some(false),
        ),
        10 => (vec!["scard".into(), k(rng)], Some(false)),
        11 => {
            let op = ["sinter", "sunion", "sdiff", "smembers"][rng.gen_range(0..4)];
            let mut v = vec![op.to_string()];
            if op == "smembers" {
                v.push(k(rng));
            } else {
                v.extend(keys(rng));
            }
            (v, Some(false))
        }
        12 => {
            let op = ["sinterstore", "sunionstore", "sdiffstore"][rng.gen_range(0..3)];
            let mut v = vec![op.to_string(), k(rng)];
            v.extend(keys(rng));
            (v, Some(false))
        }
        13 => {
            let ks = keys(rng);
            let mut v = vec!["sintercard".to_string(), ks.len().to_string()];
            v.extend(ks);
            if rng.gen_bool(0.5) {
                v.extend(["limit".to_string(), rng.gen_range(0..4).to_string()]);
            }
            (v, Some(false))
        }
        14 => {
            let count = rng.gen_range(-8..8).to_string();
            (vec!["srandmember".into(), k(rng), count], None)
        }
        15 => (vec!["srandmember".into(), k(rng)], None),
        // Only the deterministic SPOP: a count that takes everything.
        16 => (vec!["spop".into(), k(rng), "1000".into()], Some(false)),
        17 => {
            let mut v = vec![
                "sscan".into(),
                k(rng),
                "0".into(),
                "count".into(),
                "1000".into(),
            ];
            if rng.gen_bool(0.5) {
                v.extend(["match".to_string(), "*1*".to_string()]);
            }
            (v, Some(false))
        }
        18 => (vec!["del".into(), k(rng)], Some(false)),
        _ => (vec!["set".into(), k(rng), "x".into()], Some(false)),
    };
    let scan = cmd[0] == "sscan";
    (cmd, order, scan)
}

/// The shape of a reply: its kind and element count.
fn shape(r: &Reply) -> String {
    match r {
        Reply::Array(v) | Reply::Set(v) => format!("aggregate of {}", v.len()),
        Reply::Bulk(_) => "bulk".into(),
        other => format!("{other:?}"),
    }
}

fn normalize(r: Reply, order: Option<bool>, scan: bool) -> String {
    match (order, r) {
        (None, r) => shape(&r),
        (Some(_), Reply::Array(v)) if scan && v.len() == 2 => {
            let mut v = v;
            let items = v.pop().map(|i| i.sorted(false));
            format!("{:?} {:?}", v, items)
        }
        (Some(p), r) => format!("{:?}", r.sorted(p)),
    }
}

#[test]
fn differential_against_real_redis() {
    let Some((ours, real)) = common::start_ours_and_real(&[]) else {
        return;
    };
    let (mut a, mut b) = (Conn::new(ours.port), Conn::new(real.port));
    for c in [&mut a, &mut b] {
        // Small limits so that sets cross from intset to hashtable often.
        c.cmd("config set set-max-intset-entries 12");
    }
    for seed in 0..6u64 {
        if seed == 3 {
            a.cmd("hello 3");
            b.cmd("hello 3");
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..1500 {
            let (cmd, order, scan) = random_command(&mut rng);
            let args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
            let (ra, rb) = (a.cmd_args(&args), b.cmd_args(&args));
            assert_eq!(
                normalize(ra, order, scan),
                normalize(rb, order, scan),
                "seed {seed} step {i}: {cmd:?}"
            );
            for key in cmd.iter().filter(|k| k.len() == 2 && k.starts_with('s')) {
                for probe in [
                    vec!["object", "encoding", key],
                    vec!["debug", "digest-value", key],
                ] {
                    let p: Vec<&[u8]> = probe.iter().map(|s| s.as_bytes()).collect();
                    assert_eq!(
                        a.cmd_args(&p),
                        b.cmd_args(&p),
                        "{probe:?} after seed {seed} step {i}: {cmd:?}"
                    );
                }
            }
        }
        assert_eq!(a.cmd("debug digest"), b.cmd("debug digest"), "seed {seed}");
    }
}
