//! Stream commands and consumer groups (t_stream/, blocked.rs).
//!
//! A differential run sends the same random stream commands (explicit IDs
//! only, so that the clock plays no part) to this server and to Debian's
//! `/usr/bin/redis-server`, with small node limits so that entries spread
//! over many nodes, and requires byte-identical replies, XINFO STREAM FULL,
//! XINFO GROUPS and DEBUG DIGEST-VALUE (skipped when that binary is not
//! installed). Blocking XREAD/XREADGROUP is checked with two connections.

mod common;

use common::{Client, Server};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn call(c: &mut Client, args: &[Vec<u8>]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|v| &v[..]).collect();
    c.send(&a);
    c.read_reply()
}

fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// Random commands over keys s0, s1 with IDs around a moving clock `ms`.
struct Gen {
    rng: StdRng,
    ms: u64,
}

impl Gen {
    fn id(&mut self) -> Vec<u8> {
        let ms = self.rng.gen_range(0..=self.ms + 2);
        match self.rng.gen_range(0..6) {
            0 => v("-"),
            1 => v("+"),
            2 => format!("{ms}").into_bytes(),
            3 => format!("({ms}-{}", self.rng.gen_range(0..3)).into_bytes(),
            _ => format!("{ms}-{}", self.rng.gen_range(0..3)).into_bytes(),
        }
    }

    fn strict_id(&mut self) -> Vec<u8> {
        let ms = self.rng.gen_range(0..=self.ms + 2);
        format!("{ms}-{}", self.rng.gen_range(0..3)).into_bytes()
    }

    fn fields(&mut self, cmd: &mut Vec<Vec<u8>>) {
        let same = self.rng.gen_bool(0.6);
        for i in 0..self.rng.gen_range(1..4) {
            let f = if same {
                format!("f{i}")
            } else {
                format!("g{}", self.rng.gen_range(0..5))
            };
            cmd.push(f.into_bytes());
            let val = match self.rng.gen_range(0..3) {
                0 => self.rng.gen_range(-1000..100000).to_string(),
                1 => "x".repeat(self.rng.gen_range(0..80)),
                _ => format!("v{}", self.rng.gen_range(0..9)),
            };
            cmd.push(val.into_bytes());
        }
    }

    fn command(&mut self) -> Vec<Vec<u8>> {
        let key = format!("s{}", self.rng.gen_range(0..2)).into_bytes();
        let grp = format!("g{}", self.rng.gen_range(0..2)).into_bytes();
        let cons = format!("c{}", self.rng.gen_range(0..3)).into_bytes();
        match self.rng.gen_range(0..20) {
            0..=5 => {
                self.ms += self.rng.gen_range(0..2);
                let mut c = vec![v("xadd"), key];
                match self.rng.gen_range(0..8) {
                    0 => c.extend([
                        v("maxlen"),
                        v("~"),
                        self.rng.gen_range(0..30).to_string().into_bytes(),
                    ]),
                    1 => c.extend([
                        v("maxlen"),
                        self.rng.gen_range(0..30).to_string().into_bytes(),
                    ]),
                    2 => {
                        let m = self.strict_id();
                        c.extend([v("minid"), v("="), m]);
                    }
                    3 => c.push(v("nomkstream")),
                    _ => {}
                }
                let id = match self.rng.gen_range(0..4) {
                    0 => format!("{}-*", self.ms),
                    1 => format!("{}", self.ms),
                    _ => format!("{}-{}", self.ms, self.rng.gen_range(0..4)),
                };
                c.push(id.into_bytes());
                self.fields(&mut c);
                c
            }
            6 => {
                let (a, b) = (self.id(), self.id());
                let mut c = vec![v("xrange"), key, a, b];
                if self.rng.gen() {
                    c.extend([
                        v("count"),
                        self.rng.gen_range(-1..5).to_string().into_bytes(),
                    ]);
                }
                c
            }
            7 => {
                let (a, b) = (self.id(), self.id());
                vec![v("xrevrange"), key, a, b, v("count"), v("3")]
            }
            8 => {
                let mut c = vec![v("xdel"), key];
                for _ in 0..self.rng.gen_range(1..4) {
                    c.push(self.strict_id());
                }
                c
            }
            9 => {
                let th = self.rng.gen_range(0..20).to_string().into_bytes();
                match self.rng.gen_range(0..3) {
                    0 => vec![v("xtrim"), key, v("maxlen"), th],
                    1 => vec![v("xtrim"), key, v("maxlen"), v("~"), th, v("limit"), v("7")],
                    _ => {
                        let m = self.strict_id();
                        vec![v("xtrim"), key, v("minid"), m]
                    }
                }
            }
            10 => {
                let a = self.strict_id();
                vec![
                    v("xread"),
                    v("count"),
                    v("4"),
                    v("streams"),
                    key,
                    v("s1"),
                    a,
                    v("0"),
                ]
            }
            11 => {
                let id = if self.rng.gen() {
                    v("$")
                } else {
                    self.strict_id()
                };
                let mut c = vec![v("xgroup"), v("create"), key, grp, id];
                if self.rng.gen() {
                    c.push(v("mkstream"));
                }
                c
            }
            12 => {
                let id = self.strict_id();
                vec![v("xgroup"), v("setid"), key, grp, id]
            }
            13 | 14 => {
                let id = if self.rng.gen_bool(0.7) {
                    v(">")
                } else {
                    v("0")
                };
                let mut c = vec![v("xreadgroup"), v("group"), grp, cons, v("count"), v("3")];
                if self.rng.gen_bool(0.2) {
                    c.push(v("noack"));
                }
                c.extend([v("streams"), key, id]);
                c
            }
            15 => {
                let mut c = vec![v("xack"), key, grp];
                for _ in 0..self.rng.gen_range(1..3) {
                    c.push(self.strict_id());
                }
                c
            }
            16 => vec![v("xpending"), key, grp],
            17 => {
                let a = self.strict_id();
                vec![
                    v("xautoclaim"),
                    key,
                    grp,
                    cons,
                    v("0"),
                    a,
                    v("count"),
                    v("2"),
                    v("justid"),
                ]
            }
            18 => {
                let a = self.strict_id();
                vec![
                    v("xclaim"),
                    key,
                    grp,
                    cons,
                    v("0"),
                    a,
                    v("justid"),
                    v("force"),
                ]
            }
            _ => match self.rng.gen_range(0..4) {
                0 => vec![v("xgroup"), v("delconsumer"), key, grp, cons],
                1 => vec![v("xgroup"), v("createconsumer"), key, grp, cons],
                2 => vec![v("xgroup"), v("destroy"), key, grp],
                _ => vec![v("xlen"), key],
            },
        }
    }
}

/// XINFO STREAM FULL without the consumers' and NACKs' times, which
/// depend on the clock.
fn stream_state(c: &mut Client, key: &str) -> Vec<String> {
    let mut out = vec![
        c.cmd_str(&["xinfo", "groups", key]),
        c.cmd_str(&["debug", "digest-value", key]),
        c.cmd_str(&["object", "encoding", key]),
    ];
    let full = c.cmd_str(&["xinfo", "stream", key, "full", "count", "0"]);
    // Drop the numbers following "seen-time" and the delivery times inside
    // pending arrays by keeping only the lines that are not ':' numbers
    // right after a stream ID inside a PEL.
    out.push(
        full.lines()
            .filter(|l| !l.starts_with(':') || l.len() < 8)
            .collect::<Vec<_>>()
            .join("\n"),
    );
    out
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
        let entries = ["3", "5", "100"][seed as usize % 3];
        let bytes = ["4096", "200", "0"][seed as usize % 3];
        for c in [&mut a, &mut b] {
            c.cmd(&["flushall"]);
            c.cmd(&["config", "set", "stream-node-max-entries", entries]);
            c.cmd(&["config", "set", "stream-node-max-bytes", bytes]);
        }
        let mut g = Gen {
            rng: StdRng::seed_from_u64(seed),
            ms: 1,
        };
        for _ in 0..2000 {
            let cmd = g.command();
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
        for k in ["s0", "s1"] {
            assert_eq!(
                stream_state(&mut a, k),
                stream_state(&mut b, k),
                "seed {seed}: {k}"
            );
        }
        assert_eq!(
            a.cmd_str(&["debug", "digest"]),
            b.cmd_str(&["debug", "digest"])
        );
    }
}

#[test]
fn errors_match_upstream() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["xadd", "s", "5-5", "a", "1"]);
    let cases: &[(&[&str], &str)] = &[
        (&["xadd", "s", "5-5", "a", "1"], "-ERR The ID specified in XADD is equal or smaller than the target stream top item\r\n"),
        (&["xadd", "s", "0-0", "a", "1"], "-ERR The ID specified in XADD must be greater than 0-0\r\n"),
        (&["xadd", "s", "x-1", "a", "1"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
        (&["xadd", "s", "*", "a"], "-ERR wrong number of arguments for 'xadd' command\r\n"),
        (&["xadd", "s", "maxlen", "-1", "*", "a", "1"], "-ERR The MAXLEN argument must be >= 0.\r\n"),
        (&["xadd", "s", "limit", "5", "*", "a", "1"], "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n"),
        (&["xadd", "s", "maxlen", "5", "limit", "5", "*", "a", "1"], "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n"),
        (&["xtrim", "s"], "-ERR wrong number of arguments for 'xtrim' command\r\n"),
        (&["xtrim", "s", "foo", "1"], "-ERR syntax error\r\n"),
        (&["xrange", "s", "(-", "+"], "-ERR Invalid stream ID specified as stream command argument\r\n"),
        (&["xread", "streams", "s", "t", "0"], "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.\r\n"),
        (&["xreadgroup", "group", "g", "c", "streams", "s", ">"], "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n"),
        (&["xgroup", "create", "nokey", "g", "$"], "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.\r\n"),
        (&["xsetid", "s", "1-1"], "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n"),
        (&["xinfo", "stream", "nokey"], "-ERR no such key\r\n"),
    ];
    for (args, want) in cases {
        assert_eq!(c.cmd_str(args), *want, "{args:?}");
    }
    assert_eq!(c.cmd_str(&["type", "s"]), "+stream\r\n");
    assert_eq!(c.cmd_str(&["object", "encoding", "s"]), "$6\r\nstream\r\n");
}

#[test]
fn blocking_reads_are_served_and_unblocked() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let (mut w1, mut w2) = (s.client(), s.client());
    let wait_blocked = |c: &mut Client, n: usize| {
        let want = format!("blocked_clients:{n}");
        while !c.cmd_str(&["info", "clients"]).contains(&want) {}
    };
    // XREAD BLOCK with $ gets the next entry.
    c.cmd(&["xadd", "s", "1-1", "a", "1"]);
    w1.send(&[b"xread", b"block", b"0", b"streams", b"s", b"$"]);
    wait_blocked(&mut c, 1);
    c.cmd(&["xadd", "s", "2-1", "b", "2"]);
    assert_eq!(
        w1.read_reply(),
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n".to_vec()
    );
    // XREADGROUP BLOCK: served with `>`, then a destroyed group errors.
    c.cmd(&["xgroup", "create", "s", "g", "$"]);
    w1.send(&[
        b"xreadgroup",
        b"group",
        b"g",
        b"alice",
        b"block",
        b"0",
        b"streams",
        b"s",
        b">",
    ]);
    wait_blocked(&mut c, 1);
    c.cmd(&["xadd", "s", "3-1", "c", "3"]);
    let r = String::from_utf8_lossy(&w1.read_reply()).into_owned();
    assert!(r.contains("3-1"), "{r}");
    assert!(c.cmd_str(&["xpending", "s", "g"]).contains("alice"));
    w2.send(&[
        b"xreadgroup",
        b"group",
        b"g",
        b"bob",
        b"block",
        b"0",
        b"streams",
        b"s",
        b">",
    ]);
    wait_blocked(&mut c, 1);
    c.cmd(&["xgroup", "destroy", "s", "g"]);
    assert_eq!(
        w2.read_reply(),
        b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n".to_vec()
    );
    // Deleting the key unblocks XREADGROUP readers with an error.
    c.cmd(&["xgroup", "create", "s", "g", "$"]);
    w2.send(&[
        b"xreadgroup",
        b"group",
        b"g",
        b"bob",
        b"block",
        b"0",
        b"streams",
        b"s",
        b">",
    ]);
    wait_blocked(&mut c, 1);
    c.cmd(&["del", "s"]);
    assert_eq!(
        w2.read_reply(),
        b"-UNBLOCKED the stream key no longer exists\r\n".to_vec()
    );
    // A timeout answers a null array.
    assert_eq!(
        w1.cmd(&["xread", "block", "20", "streams", "none", "0"]),
        b"*-1\r\n"
    );
}
