//! Hash commands (t_hash.rs on the listpack module).
//!
//! Fixed scripts check exact reply bytes of Redis 7.0.15, and a
//! differential run sends the same random hash commands to this server and
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
    assert_eq!(c.cmd(&["hset", "h", "a", "1", "b", "x"]), b":2\r\n");
    assert_eq!(c.cmd(&["object", "encoding", "h"]), b"$8\r\nlistpack\r\n");
    // A listpack keeps insertion order.
    assert_eq!(
        c.cmd(&["hgetall", "h"]),
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\nx\r\n"
    );
    let long = "v".repeat(65);
    c.cmd(&["hset", "h", "c", &long]);
    assert_eq!(c.cmd(&["object", "encoding", "h"]), b"$9\r\nhashtable\r\n");
    assert_eq!(
        c.cmd(&["config", "set", "hash-max-ziplist-entries", "2"]),
        b"+OK\r\n"
    );
    c.cmd(&["hset", "g", "a", "1", "b", "2"]);
    assert_eq!(c.cmd(&["object", "encoding", "g"]), b"$8\r\nlistpack\r\n");
    c.cmd(&["hsetnx", "g", "c", "3"]);
    assert_eq!(c.cmd(&["object", "encoding", "g"]), b"$9\r\nhashtable\r\n");
    assert_eq!(c.cmd(&["type", "g"]), b"+hash\r\n");
    assert_eq!(c.cmd(&["hdel", "g", "a", "b", "c", "d"]), b":3\r\n");
    assert_eq!(c.cmd(&["exists", "g"]), b":0\r\n");
}

#[test]
fn errors_and_edge_replies() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["hset", "h", "a"]),
        b"-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_eq!(
        c.cmd(&["hmset", "h", "a", "1", "b"]),
        b"-ERR wrong number of arguments for 'hmset' command\r\n"
    );
    assert_eq!(c.cmd(&["hmset", "h", "a", "1"]), b"+OK\r\n");
    c.cmd(&["hset", "h", "s", "abc", "big", "9223372036854775807"]);
    assert_eq!(
        c.cmd(&["hincrby", "h", "s", "1"]),
        b"-ERR hash value is not an integer\r\n"
    );
    assert_eq!(
        c.cmd(&["hincrby", "h", "big", "1"]),
        b"-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        c.cmd(&["hincrbyfloat", "h", "s", "1"]),
        b"-ERR hash value is not a float\r\n"
    );
    assert_eq!(
        c.cmd(&["hincrbyfloat", "h", "a", "inf"]),
        b"-ERR value is NaN or Infinity\r\n"
    );
    assert_eq!(
        c.cmd(&["hincrbyfloat", "h", "a", "x"]),
        b"-ERR value is not a valid float\r\n"
    );
    assert_eq!(c.cmd(&["hincrbyfloat", "h", "a", "0.5"]), b"$3\r\n1.5\r\n");
    assert_eq!(c.cmd(&["hstrlen", "h", "big"]), b":19\r\n");
    assert_eq!(c.cmd(&["hget", "h", "nope"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["hgetall", "nokey"]), b"*0\r\n");
    assert_eq!(c.cmd(&["hrandfield", "nokey"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["hrandfield", "nokey", "3"]), b"*0\r\n");
    assert_eq!(
        c.cmd(&["hrandfield", "h", "1", "withscores"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        c.cmd(&["hrandfield", "h", "-9223372036854775807", "withvalues"]),
        b"-ERR value is out of range\r\n"
    );
    assert_eq!(c.cmd(&["hscan", "nokey", "0"]), b"*2\r\n$1\r\n0\r\n*0\r\n");
    c.cmd(&["set", "str", "x"]);
    assert_eq!(
        c.cmd(&["hget", "str", "a"]),
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    // RESP3: HGETALL is a map, HRANDFIELD WITHVALUES a list of pairs.
    let mut conn = s.connect();
    conn.cmd("hello 3");
    assert!(matches!(conn.cmd("hgetall h"), Reply::Map(m) if m.len() == 3));
    match conn.cmd("hrandfield h -5 withvalues") {
        Reply::Array(v) => {
            assert_eq!(v.len(), 5);
            assert!(v
                .iter()
                .all(|p| matches!(p, Reply::Array(x) if x.len() == 2)));
        }
        other => panic!("{other:?}"),
    }
}

fn random_field(rng: &mut StdRng) -> String {
    match rng.gen_range(0..8) {
        0 => "f".repeat(rng.gen_range(1..40)),
        1 => format!("{}", rng.gen_range(-100..100)),
        _ => format!("f{}", rng.gen_range(0..25)),
    }
}

fn random_value(rng: &mut StdRng) -> String {
    match rng.gen_range(0..8) {
        0 => "v".repeat(rng.gen_range(1..30)),
        1 => format!("{}.5", rng.gen_range(-100..100)),
        2 => "abc".into(),
        _ => format!("{}", rng.gen_range(-5_000_000_000i64..5_000_000_000)),
    }
}

/// A random hash command, and how to compare its reply: `Some(pairs)`
/// sorts it first, `None` compares its shape only (random replies).
fn random_command(rng: &mut StdRng) -> (Vec<String>, Option<bool>) {
    let k = format!("h{}", rng.gen_range(0..5));
    let f = |rng: &mut StdRng| random_field(rng);
    let v = |rng: &mut StdRng| random_value(rng);
    match rng.gen_range(0..20) {
        0..=4 => {
            let mut c = vec![
                if rng.gen_bool(0.8) { "hset" } else { "hmset" }.to_string(),
                k,
            ];
            for _ in 0..rng.gen_range(1..5) {
                c.push(f(rng));
                c.push(v(rng));
            }
            (c, Some(false))
        }
        5 => (vec!["hsetnx".into(), k, f(rng), v(rng)], Some(false)),
        6 | 7 => {
            let mut c = vec!["hdel".into(), k];
            c.extend((0..rng.gen_range(1..4)).map(|_| f(rng)));
            (c, Some(false))
        }
        8 => (vec!["hget".into(), k, f(rng)], Some(false)),
        9 => (vec!["hmget".into(), k, f(rng), f(rng)], Some(false)),
        10 => (vec!["hlen".into(), k], Some(false)),
        11 => (vec!["hstrlen".into(), k, f(rng)], Some(false)),
        12 => {
            let n = rng.gen_range(-1000..1000).to_string();
            (vec!["hincrby".into(), k, f(rng), n], Some(false))
        }
        13 => {
            let n = ["1.5", "-0.25", "1e3", "3"][rng.gen_range(0..4)].to_string();
            (vec!["hincrbyfloat".into(), k, f(rng), n], Some(false))
        }
        14 => (vec!["hkeys".into(), k], Some(false)),
        15 => (vec!["hvals".into(), k], Some(false)),
        16 => (vec!["hgetall".into(), k], Some(true)),
        17 => (vec!["hexists".into(), k, f(rng)], Some(false)),
        18 => {
            let mut c = vec!["hrandfield".into(), k];
            if rng.gen_bool(0.7) {
                c.push(rng.gen_range(-6..6).to_string());
                if rng.gen_bool(0.5) {
                    c.push("withvalues".into());
                }
            }
            (c, None)
        }
        _ => (vec!["del".into(), k], Some(false)),
    }
}

fn shape(r: &Reply) -> String {
    match r {
        Reply::Array(v) | Reply::Set(v) => format!("aggregate of {}", v.len()),
        Reply::Bulk(_) => "bulk".into(),
        other => format!("{other:?}"),
    }
}

#[test]
fn differential_against_real_redis() {
    let Some((ours, real)) = common::start_ours_and_real(&[]) else {
        return;
    };
    let (mut a, mut b) = (Conn::new(ours.port), Conn::new(real.port));
    for c in [&mut a, &mut b] {
        // Small limits so that hashes leave the listpack often.
        c.cmd("config set hash-max-listpack-entries 10");
        c.cmd("config set hash-max-listpack-value 24");
    }
    for seed in 0..6u64 {
        if seed == 3 {
            a.cmd("hello 3");
            b.cmd("hello 3");
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..1500 {
            let (cmd, order) = random_command(&mut rng);
            let args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
            let (ra, rb) = (a.cmd_args(&args), b.cmd_args(&args));
            let norm = |r: Reply| match order {
                None => shape(&r),
                Some(p) => format!("{:?}", r.sorted(p)),
            };
            assert_eq!(norm(ra), norm(rb), "seed {seed} step {i}: {cmd:?}");
            let key = &cmd[1];
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
        assert_eq!(a.cmd("debug digest"), b.cmd("debug digest"), "seed {seed}");
    }
}
