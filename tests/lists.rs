//! List commands and blocking pops (t_list.rs, quicklist.rs, blocked.rs).
//!
//! A differential run sends the same random list commands to this server
//! and to Debian's `/usr/bin/redis-server` and requires byte-identical
//! replies, OBJECT ENCODING and DEBUG DIGEST-VALUE (skipped when that binary
//! is not installed); blocking behaviour is checked with two connections.

mod common;

use common::{Client, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn call(c: &mut Client, args: &[Vec<u8>]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|v| &v[..]).collect();
    c.send(&a);
    c.read_reply()
}

fn random_value(rng: &mut StdRng) -> Vec<u8> {
    match rng.gen_range(0..5) {
        0 => rng.gen_range(-5..5).to_string().into_bytes(),
        1 => rng.gen::<i64>().to_string().into_bytes(),
        2 => vec![b'x'; rng.gen_range(0..300)],
        3 => format!("v{}", rng.gen_range(0..8)).into_bytes(),
        _ => rng.gen_range(0..70000).to_string().into_bytes(),
    }
}

fn random_command(rng: &mut StdRng) -> Vec<Vec<u8>> {
    let key = format!("l{}", rng.gen_range(0..3)).into_bytes();
    let n = |rng: &mut StdRng| rng.gen_range(-12..12).to_string().into_bytes();
    let side = |rng: &mut StdRng| {
        if rng.gen() {
            b"LEFT".to_vec()
        } else {
            b"RIGHT".to_vec()
        }
    };
    let mut v: Vec<Vec<u8>> = match rng.gen_range(0..16) {
        0 | 1 => vec![b"rpush".to_vec(), key],
        2 => vec![b"lpush".to_vec(), key],
        3 => vec![b"lpushx".to_vec(), key],
        4 => vec![b"lpop".to_vec(), key],
        5 => vec![
            b"rpop".to_vec(),
            key,
            rng.gen_range(0..4).to_string().into_bytes(),
        ],
        6 => vec![b"lrange".to_vec(), key, n(rng), n(rng)],
        7 => vec![b"ltrim".to_vec(), key, n(rng), n(rng)],
        8 => vec![b"lindex".to_vec(), key, n(rng)],
        9 => vec![b"lset".to_vec(), key, n(rng), random_value(rng)],
        10 => vec![b"lrem".to_vec(), key, n(rng), random_value(rng)],
        11 => vec![
            b"linsert".to_vec(),
            key,
            if rng.gen() {
                b"before".to_vec()
            } else {
                b"after".to_vec()
            },
            random_value(rng),
        ],
        12 => vec![
            b"lpos".to_vec(),
            key,
            random_value(rng),
            b"rank".to_vec(),
            n(rng),
        ],
        13 => vec![b"lmove".to_vec(), key, b"l0".to_vec(), side(rng), side(rng)],
        14 => vec![
            b"lmpop".to_vec(),
            b"2".to_vec(),
            key,
            b"l1".to_vec(),
            side(rng),
        ],
        _ => vec![b"llen".to_vec(), key],
    };
    let pushes = matches!(&v[0][..], b"rpush" | b"lpush" | b"lpushx" | b"linsert");
    if pushes {
        for _ in 0..rng.gen_range(1..6) {
            v.push(random_value(rng));
        }
        if v[0] == b"linsert" {
            v.truncate(5);
        }
    }
    v
}

#[test]
fn differential_against_real_redis() {
    let Some((ours, real)) = common::start_ours_and_real(&[]) else {
        return;
    };
    let (mut a, mut b) = (ours.client(), real.client());
    for seed in 0..6u64 {
        if seed == 3 {
            a.cmd(&["hello", "3"]);
            b.cmd(&["hello", "3"]);
        }
        let fill = ["-2", "4", "-1"][seed as usize % 3];
        for c in [&mut a, &mut b] {
            c.cmd(&["config", "set", "list-max-listpack-size", fill]);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for _ in 0..1500 {
            let cmd = random_command(&mut rng);
            let (ra, rb) = (call(&mut a, &cmd), call(&mut b, &cmd));
            assert_eq!(
                String::from_utf8_lossy(&ra),
                String::from_utf8_lossy(&rb),
                "seed {seed}: {:?}",
                cmd.iter()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect::<Vec<_>>()
            );
        }
        for k in ["l0", "l1", "l2"] {
            for probe in [
                &["object", "encoding", k][..],
                &["debug", "digest-value", k][..],
                &["type", k][..],
            ] {
                assert_eq!(a.cmd_str(probe), b.cmd_str(probe), "seed {seed}: {probe:?}");
            }
        }
        assert_eq!(
            a.cmd_str(&["debug", "digest"]),
            b.cmd_str(&["debug", "digest"])
        );
    }
}

#[test]
fn blocking_pops_are_served_in_order_and_time_out() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (mut w1, mut w2) = (s.client(), s.client());
    w1.send(&[b"blpop", b"q", b"0"]);
    // Make sure w1 blocked before w2.
    while !c
        .cmd_str(&["info", "clients"])
        .contains("blocked_clients:1")
    {}
    w2.send(&[b"brpoplpush", b"q", b"dst", b"0"]);
    while !c
        .cmd_str(&["info", "clients"])
        .contains("blocked_clients:2")
    {}
    assert_eq!(c.cmd(&["rpush", "q", "a", "b"]), b":2\r\n");
    assert_eq!(w1.read_reply(), b"*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    assert_eq!(w2.read_reply(), b"$1\r\nb\r\n");
    assert_eq!(c.cmd(&["lrange", "dst", "0", "-1"]), b"*1\r\n$1\r\nb\r\n");
    assert_eq!(c.cmd(&["exists", "q"]), b":0\r\n");
    // A timeout answers a null array (RESP2) or `_` (RESP3).
    assert_eq!(w1.cmd(&["blpop", "none", "0.05"]), b"*-1\r\n");
    w1.cmd(&["hello", "3"]);
    assert_eq!(w1.cmd(&["brpop", "none", "0.05"]), b"_\r\n");
    assert_eq!(
        c.cmd(&["blpop", "q", "-1"]),
        b"-ERR timeout is negative\r\n"
    );
    // CLIENT UNBLOCK with ERROR.
    let id = w2.cmd_str(&["client", "id"]);
    let id = id.trim_start_matches(':').trim();
    w2.send(&[b"blmove", b"none", b"x", b"left", b"right", b"0"]);
    while !c
        .cmd_str(&["info", "clients"])
        .contains("blocked_clients:1")
    {}
    assert_eq!(c.cmd(&["client", "unblock", id, "error"]), b":1\r\n");
    assert_eq!(
        w2.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}
