//! Sorted set commands (t_zset.rs).
//!
//! Fixed scripts asserting Redis 7.0.15's exact replies, and a
//! differential run that sends the same random sequence of sorted set
//! commands to this server and to Debian's `/usr/bin/redis-server`,
//! comparing replies, OBJECT ENCODING and DEBUG DIGEST-VALUE after every
//! step (skipped when that binary is not installed).

mod common;

use common::{Client, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn call(c: &mut Client, args: &[Vec<u8>]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|v| &v[..]).collect();
    c.send(&a);
    c.read_reply()
}

#[test]
fn zadd_options_and_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["zadd", "z", "nx", "xx", "1", "a"]),
        &b"-ERR XX and NX options at the same time are not compatible\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zadd", "z", "gt", "lt", "1", "a"]),
        &b"-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zadd", "z", "incr", "1", "a", "2", "b"]),
        &b"-ERR INCR option supports a single increment-element pair\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zadd", "z", "1", "a", "2"]),
        &b"-ERR syntax error\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zadd", "z", "x", "a"]),
        &b"-ERR value is not a valid float\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zadd", "z", "nan", "a"]),
        &b"-ERR value is not a valid float\r\n"[..]
    );
    assert_eq!(c.cmd(&["zadd", "z", "1", "a", "2", "b"]), b":2\r\n");
    assert_eq!(
        c.cmd(&["zadd", "z", "ch", "gt", "0", "a", "3", "b"]),
        b":1\r\n"
    );
    assert_eq!(c.cmd(&["zadd", "z", "xx", "incr", "1", "c"]), b"$-1\r\n");
    assert_eq!(c.cmd(&["zincrby", "z", "inf", "a"]), b"$3\r\ninf\r\n");
    assert_eq!(
        c.cmd(&["zincrby", "z", "-inf", "a"]),
        &b"-ERR resulting score is not a number (NaN)\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zincrby", "z", "0.1", "b"]),
        b"$18\r\n3.1000000000000001\r\n"
    );
    assert_eq!(c.cmd(&["object", "encoding", "z"]), b"$8\r\nlistpack\r\n");
    assert_eq!(c.cmd(&["type", "z"]), b"+zset\r\n");
    c.cmd(&["set", "s", "x"]);
    assert_eq!(
        c.cmd(&["zadd", "s", "1", "a"]),
        &b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"[..]
    );
}

#[test]
fn ranges_and_their_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["zadd", "z", "1", "a", "2", "b", "3", "c", "3", "d"]);
    assert_eq!(
        c.cmd(&["zrangebyscore", "z", "(1", "x"]),
        &b"-ERR min or max is not a float\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zrangebylex", "z", "a", "+"]),
        &b"-ERR min or max not valid string range item\r\n"[..]
    );
    assert_eq!(c.cmd(&["zrange", "z", "0", "1", "limit", "0", "1"]), &b"-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"[..]);
    assert_eq!(
        c.cmd(&["zrange", "z", "-", "+", "bylex", "withscores"]),
        &b"-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"[..]
    );
    assert_eq!(
        c.cmd(&["zrange", "z", "(3", "1", "byscore", "rev", "withscores"]),
        b"*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n"
    );
    assert_eq!(c.cmd(&["zrangestore", "d", "z", "1", "2"]), b":2\r\n");
    assert_eq!(
        c.cmd(&["zrange", "d", "0", "-1"]),
        b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(c.cmd(&["zrangestore", "d", "nokey", "0", "-1"]), b":0\r\n");
    assert_eq!(c.cmd(&["exists", "d"]), b":0\r\n");
    c.cmd(&["hello", "3"]);
    assert_eq!(c.cmd(&["zscore", "z", "b"]), b",2\r\n");
    assert_eq!(
        c.cmd(&["zrange", "z", "0", "0", "withscores"]),
        b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(
        c.cmd(&["zpopmin", "z", "1"]),
        b"*1\r\n*2\r\n$1\r\na\r\n,1\r\n"
    );
    assert_eq!(
        c.cmd(&["zmpop", "1", "z", "max"]),
        b"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nd\r\n,3\r\n"
    );
    assert_eq!(c.cmd(&["zmpop", "1", "nokey", "max"]), b"_\r\n");
}

#[test]
fn encodings_follow_the_limits() {
    let s = Server::start(&[
        "--zset-max-listpack-entries",
        "4",
        "--zset-max-listpack-value",
        "8",
    ]);
    let mut c = s.client();
    c.cmd(&["zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["object", "encoding", "z"]), b"$8\r\nlistpack\r\n");
    c.cmd(&["zadd", "z", "5", "e"]);
    assert_eq!(c.cmd(&["object", "encoding", "z"]), b"$8\r\nskiplist\r\n");
    c.cmd(&["zrem", "z", "e"]);
    // A set never goes back by itself; a stored result does when it fits.
    assert_eq!(c.cmd(&["object", "encoding", "z"]), b"$8\r\nskiplist\r\n");
    c.cmd(&["zunionstore", "u", "1", "z"]);
    assert_eq!(c.cmd(&["object", "encoding", "u"]), b"$8\r\nlistpack\r\n");
    c.cmd(&["zadd", "long", "1", "123456789"]);
    assert_eq!(
        c.cmd(&["object", "encoding", "long"]),
        b"$8\r\nskiplist\r\n"
    );
}

/// Random sorted set commands over five keys and a small member pool.
/// Lexicographic ranges are only meaningful (and only deterministic in
/// Redis, whose skiplist levels are random) when all scores are equal:
/// they go to `k4`, whose members all score 0.
fn random_command(rng: &mut StdRng) -> Vec<Vec<u8>> {
    let key = |rng: &mut StdRng| format!("k{}", rng.gen_range(0..4)).into_bytes();
    let lexkey = || b"k4".to_vec();
    let member = |rng: &mut StdRng| -> Vec<u8> {
        match rng.gen_range(0..10) {
            0 => rng.gen_range(-5..50).to_string().into_bytes(),
            1 => format!("long-member-{}-{}", rng.gen_range(0..4), "x".repeat(60)).into_bytes(),
            _ => format!("m{}", rng.gen_range(0..40)).into_bytes(),
        }
    };
    let score = |rng: &mut StdRng| -> Vec<u8> {
        match rng.gen_range(0..20) {
            0 => b"inf".to_vec(),
            1 => b"-inf".to_vec(),
            2 => b"1.5e300".to_vec(),
            3 => b"0.1".to_vec(),
            4 => b"x".to_vec(),
            // Integral but printed by %.17g in exponent form.
            5 => b"1e17".to_vec(),
            _ => rng.gen_range(-20..20).to_string().into_bytes(),
        }
    };
    let bound = |rng: &mut StdRng| -> Vec<u8> {
        match rng.gen_range(0..8) {
            0 => b"-inf".to_vec(),
            1 => b"+inf".to_vec(),
            2 => format!("({}", rng.gen_range(-20..20)).into_bytes(),
            3 => b"x".to_vec(),
            _ => rng.gen_range(-20..20).to_string().into_bytes(),
        }
    };
    let lex = |rng: &mut StdRng| -> Vec<u8> {
        match rng.gen_range(0..6) {
            0 => b"-".to_vec(),
            1 => b"+".to_vec(),
            2 => format!("(m{}", rng.gen_range(0..40)).into_bytes(),
            3 => b"m".to_vec(),
            _ => format!("[m{}", rng.gen_range(0..40)).into_bytes(),
        }
    };
    let int = |rng: &mut StdRng| rng.gen_range(-8..8).to_string().into_bytes();
    let s = |x: &str| x.as_bytes().to_vec();
    let mut v: Vec<Vec<u8>> = Vec::new();
    match rng.gen_range(0..30) {
        0..=5 => {
            v.push(s("zadd"));
            let lex = rng.gen_ratio(1, 4);
            v.push(if lex { lexkey() } else { key(rng) });
            for opt in ["nx", "xx", "gt", "lt", "ch", "incr"] {
                if rng.gen_ratio(1, 8) {
                    v.push(s(opt));
                }
            }
            for _ in 0..rng.gen_range(1..6) {
                v.push(if lex { s("0") } else { score(rng) });
                v.push(member(rng));
            }
        }
        6 => v.extend([s("zincrby"), key(rng), score(rng), member(rng)]),
        7 => {
            v.extend([s("zrem"), key(rng)]);
            for _ in 0..rng.gen_range(1..4) {
                v.push(member(rng));
            }
        }
        8 => v.extend([s("zremrangebyscore"), key(rng), bound(rng), bound(rng)]),
        9 => v.extend([s("zremrangebyrank"), key(rng), int(rng), int(rng)]),
        10 => v.extend([s("zremrangebylex"), lexkey(), lex(rng), lex(rng)]),
        11 | 12 => {
            let name = [
                "zunion",
                "zinter",
                "zdiff",
                "zintercard",
                "zunionstore",
                "zinterstore",
                "zdiffstore",
            ][rng.gen_range(0..7)];
            v.push(s(name));
            let store = name.ends_with("store");
            if store {
                v.push(key(rng));
            }
            let n = rng.gen_range(1..4);
            v.push(n.to_string().into_bytes());
            for _ in 0..n {
                v.push(key(rng));
            }
            if name != "zdiff" && name != "zdiffstore" && name != "zintercard" {
                if rng.gen_bool(0.3) {
                    v.push(s("weights"));
                    for _ in 0..n {
                        v.push(int(rng));
                    }
                }
                if rng.gen_bool(0.3) {
                    v.extend([
                        s("aggregate"),
                        s(["sum", "min", "max"][rng.gen_range(0..3)]),
                    ]);
                }
            }
            if name == "zintercard" && rng.gen_bool(0.5) {
                v.extend([s("limit"), rng.gen_range(0..4).to_string().into_bytes()]);
            }
            if !store && name != "zintercard" && rng.gen_bool(0.5) {
                v.push(s("withscores"));
            }
        }
        13 | 14 => {
            let store = rng.gen_bool(0.3);
            v.push(s(if store { "zrangestore" } else { "zrange" }));
            if store {
                v.push(key(rng));
            }
            v.push(key(rng));
            match rng.gen_range(0..3) {
                0 => v.extend([int(rng), int(rng)]),
                1 => v.extend([bound(rng), bound(rng), s("byscore")]),
                _ => {
                    // The source is the last key pushed.
                    v.pop();
                    v.push(lexkey());
                    v.extend([lex(rng), lex(rng), s("bylex")]);
                }
            }
            if rng.gen_bool(0.3) {
                v.push(s("rev"));
            }
            if rng.gen_bool(0.3) {
                v.extend([s("limit"), int(rng), int(rng)]);
            }
            if !store && rng.gen_bool(0.3) {
                v.push(s("withscores"));
            }
        }
        15 => {
            let name = ["zrangebyscore", "zrevrangebyscore"][rng.gen_range(0..2)];
            v.extend([s(name), key(rng), bound(rng), bound(rng)]);
            if rng.gen_bool(0.5) {
                v.push(s("withscores"));
            }
            if rng.gen_bool(0.3) {
                v.extend([s("limit"), int(rng), int(rng)]);
            }
        }
        16 => {
            let name = ["zrangebylex", "zrevrangebylex"][rng.gen_range(0..2)];
            v.extend([s(name), lexkey(), lex(rng), lex(rng)]);
            if rng.gen_bool(0.3) {
                v.extend([s("limit"), int(rng), int(rng)]);
            }
        }
        17 => {
            v.extend([s("zrevrange"), key(rng), int(rng), int(rng)]);
            if rng.gen_bool(0.5) {
                v.push(s("withscores"));
            }
        }
        18 => v.extend([s("zcount"), key(rng), bound(rng), bound(rng)]),
        19 => v.extend([s("zlexcount"), lexkey(), lex(rng), lex(rng)]),
        20 => v.extend([s("zcard"), key(rng)]),
        21 => v.extend([s("zscore"), key(rng), member(rng)]),
        22 => v.extend([s("zmscore"), key(rng), member(rng), member(rng)]),
        23 => v.extend([
            s(["zrank", "zrevrank"][rng.gen_range(0..2)]),
            key(rng),
            member(rng),
        ]),
        24 => {
            v.extend([s(["zpopmin", "zpopmax"][rng.gen_range(0..2)]), key(rng)]);
            if rng.gen_bool(0.5) {
                v.push(rng.gen_range(0..4).to_string().into_bytes());
            }
        }
        25 => {
            v.extend([
                s("zmpop"),
                s("2"),
                key(rng),
                key(rng),
                s(["min", "max"][rng.gen_range(0..2)]),
            ]);
            if rng.gen_bool(0.5) {
                v.extend([s("count"), rng.gen_range(1..4).to_string().into_bytes()]);
            }
        }
        26 => v.extend([s("zrandmember"), key(rng), s("1000"), s("withscores")]),
        27 => v.extend([s("del"), key(rng)]),
        // A string key turns every command on it into WRONGTYPE until it
        // is deleted: rare.
        28 if rng.gen_ratio(1, 5) => v.extend([s("set"), key(rng), s("str")]),
        28 => v.extend([s("del"), key(rng)]),
        _ => v.extend([s("zscan"), key(rng), s("0"), s("count"), s("1000")]),
    }
    v
}

#[test]
fn differential_against_real_redis() {
    // Small limits, so that conversions happen often.
    let args = [
        "--zset-max-listpack-entries",
        "12",
        "--zset-max-listpack-value",
        "32",
    ];
    let Some((ours, real)) = common::start_ours_and_real(&args) else {
        return;
    };
    let (mut a, mut b) = (ours.client(), real.client());
    let show = |v: &[Vec<u8>]| {
        v.iter()
            .map(|x| format!("{:?}", String::from_utf8_lossy(x)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (mut errors, mut total) = (0, 0);
    for seed in 0..4u64 {
        if seed == 2 {
            a.cmd(&["hello", "3"]);
            b.cmd(&["hello", "3"]);
        }
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..2500 {
            let cmd = random_command(&mut rng);
            // ZSCAN of a skiplist follows the dict's order: only listpacks
            // are compared.
            if cmd[0] == b"zscan" {
                let enc = call(
                    &mut b,
                    &[b"object".to_vec(), b"encoding".to_vec(), cmd[1].clone()],
                );
                if enc != b"$8\r\nlistpack\r\n" {
                    continue;
                }
            }
            let (ra, rb) = (call(&mut a, &cmd), call(&mut b, &cmd));
            if ra != rb {
                // Show the key as it was when the replies parted.
                let dump: Vec<Vec<u8>> = ["zrange", "k?", "0", "-1", "withscores"]
                    .iter()
                    .map(|x| {
                        x.replace("k?", &String::from_utf8_lossy(&cmd[1]))
                            .into_bytes()
                    })
                    .collect();
                let enc = [b"object".to_vec(), b"encoding".to_vec(), cmd[1].clone()];
                eprintln!(
                    "before the mismatch: {} {}",
                    String::from_utf8_lossy(&call(&mut b, &enc)),
                    String::from_utf8_lossy(&call(&mut b, &dump))
                );
            }
            total += 1;
            errors += (ra.first() == Some(&b'-')) as usize;
            assert_eq!(
                String::from_utf8_lossy(&ra),
                String::from_utf8_lossy(&rb),
                "seed {seed} step {i}: {}",
                show(&cmd)
            );
            // The keys the command names.
            for k in 0..5 {
                let key = format!("k{k}").into_bytes();
                if !cmd.contains(&key) {
                    continue;
                }
                for probe in [&["object", "encoding"][..], &["debug", "digest-value"][..]] {
                    let mut p: Vec<Vec<u8>> = probe.iter().map(|x| x.as_bytes().to_vec()).collect();
                    p.push(key.clone());
                    let (pa, pb) = (call(&mut a, &p), call(&mut b, &p));
                    assert_eq!(
                        String::from_utf8_lossy(&pa),
                        String::from_utf8_lossy(&pb),
                        "{} of k{k} after seed {seed} step {i}: {}",
                        probe[1],
                        show(&cmd)
                    );
                }
            }
        }
    }
    assert!(errors * 3 < total, "{errors} errors in {total} commands");
}

/// Waits until INFO reports `n` blocked clients.
fn wait_blocked(c: &mut Client, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    for _ in 0..200 {
        if c.cmd_str(&["info", "clients"]).contains(&want) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("never saw {n} blocked clients");
}

#[test]
fn blocking_pops_wait_and_are_served_in_order() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (mut b1, mut b2) = (s.client(), s.client());
    b1.send(&[b"bzpopmin", b"z1", b"z2", b"0"]);
    wait_blocked(&mut c, 1);
    b2.send(&[b"bzmpop", b"0", b"1", b"z2", b"max", b"count", b"5"]);
    wait_blocked(&mut c, 2);
    // One ZADD serves the first client one element, the second the rest.
    assert_eq!(
        c.cmd(&["zadd", "z2", "1", "a", "2", "b", "3", "c"]),
        b":3\r\n"
    );
    assert_eq!(b1.read_reply(), b"*3\r\n$2\r\nz2\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(
        b2.read_reply(),
        b"*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"
    );
    assert_eq!(c.cmd(&["exists", "z2"]), b":0\r\n");
    // A store command creating the key wakes a waiter too.
    b1.send(&[b"bzpopmax", b"dst", b"0"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["zadd", "src", "5", "x"]);
    assert_eq!(c.cmd(&["zunionstore", "dst", "1", "src"]), b":1\r\n");
    assert_eq!(
        b1.read_reply(),
        b"*3\r\n$3\r\ndst\r\n$1\r\nx\r\n$1\r\n5\r\n"
    );
    // Timeouts answer a null array; errors come before blocking.
    assert_eq!(c.cmd(&["bzpopmin", "none", "0.01"]), b"*-1\r\n");
    assert_eq!(c.cmd(&["bzmpop", "0.01", "1", "none", "min"]), b"*-1\r\n");
    assert_eq!(
        c.cmd(&["bzpopmin", "src", "-1"]),
        &b"-ERR timeout is negative\r\n"[..]
    );
    c.cmd(&["set", "str", "v"]);
    assert_eq!(
        c.cmd(&["bzpopmin", "str", "0"]),
        &b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"[..]
    );
}
