//! COMMAND INFO, GETKEYS and GETKEYSANDFLAGS against Debian's
//! `/usr/bin/redis-server` 7.0.15 (skipped when it is not installed).
//!
//! Every command and subcommand we have is asked about in RESP2 and RESP3
//! and the replies must be byte-identical, with two allowances: the key
//! spec notes (prose our table does not carry) are taken out of the real
//! server's replies, and a container's subcommands are compared as a set,
//! since Redis lists them in its dict's order.

mod common;

use common::{Client, Server};
use std::path::Path;

const REAL_REDIS: &str = "/usr/bin/redis-server";

/// The commands whose key specs carry notes in 7.0.15.
const WITH_NOTES: &[&str] = &["getex", "set", "bitfield", "xadd"];

/// The length of the first complete RESP element of `b`.
fn elem_len(b: &[u8]) -> usize {
    let eol = b.windows(2).position(|w| w == b"\r\n").expect("line") + 2;
    let n: i64 = std::str::from_utf8(&b[1..eol - 2])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    match b[0] {
        b'$' | b'=' | b'!' if n >= 0 => eol + n as usize + 2,
        b'*' | b'~' | b'>' | b'%' if n > 0 => {
            let count = if b[0] == b'%' { 2 * n } else { n };
            let mut len = eol;
            for _ in 0..count {
                len += elem_len(&b[len..]);
            }
            len
        }
        _ => eol,
    }
}

/// Splits an aggregate reply into its header and its elements' raw bytes.
fn split(b: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let eol = b.windows(2).position(|w| w == b"\r\n").expect("line") + 2;
    let n: usize = std::str::from_utf8(&b[1..eol - 2])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut elems = Vec::new();
    let mut at = eol;
    for _ in 0..n {
        let len = elem_len(&b[at..]);
        elems.push(&b[at..at + len]);
        at += len;
    }
    (&b[..eol], elems)
}

/// Removes `notes` entries from key spec maps, fixing the map headers.
fn strip_notes(reply: &[u8], resp3: bool) -> Vec<u8> {
    let (head, tail) = if resp3 {
        (&b"%4\r\n$5\r\nnotes\r\n"[..], &b"%3\r\n"[..])
    } else {
        (&b"*8\r\n$5\r\nnotes\r\n"[..], &b"*6\r\n"[..])
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < reply.len() {
        if reply[i..].starts_with(head) {
            out.extend_from_slice(tail);
            i += head.len();
            i += elem_len(&reply[i..]);
        } else {
            out.push(reply[i]);
            i += 1;
        }
    }
    out
}

/// COMMAND INFO of one command, with the subcommands (10th element of the
/// command's description) sorted so that their order does not matter.
fn normalized_info(c: &mut Client, name: &str) -> Vec<u8> {
    let reply = c.cmd(&["command", "info", name]);
    let (outer, infos) = split(&reply);
    let mut out = outer.to_vec();
    for info in infos {
        if info.starts_with(b"*10\r\n") {
            let (head, mut fields) = split(info);
            let subs = fields.pop().expect("subcommands");
            let (subs_head, mut subs) = split(subs);
            subs.sort();
            out.extend_from_slice(head);
            fields.iter().for_each(|f| out.extend_from_slice(f));
            out.extend_from_slice(subs_head);
            subs.iter().for_each(|s| out.extend_from_slice(s));
        } else {
            out.extend_from_slice(info);
        }
    }
    out
}

/// Calls that exercise every key spec shape and the getkeys functions.
const GETKEYS_CALLS: &[&[&str]] = &[
    &["get", "k"],
    &["get"],
    &["set", "k", "v"],
    &["set", "k", "v", "GET"],
    &["set", "k", "v", "get", "nx"],
    &["set", "k", "v", "nx", "getx"],
    &["bitfield", "k"],
    &["bitfield", "k", "get", "u8", "0"],
    &["bitfield", "k", "GET", "u8", "0", "set", "u8", "0", "1"],
    &["bitfield", "k", "overflow", "sat", "get", "u8", "0"],
    &["bitfield", "k", "get", "u8"],
    &["bitfield", "k", "incrby", "u8", "0", "1"],
    &["bitfield_ro", "k", "get", "u8", "0"],
    &["bitop", "and", "dest", "a", "b"],
    &["bitop", "not", "dest", "a"],
    &["mset", "a", "1", "b", "2"],
    &["mset", "a", "1", "b"],
    &["msetnx", "a", "1", "b", "2"],
    &["mget", "a", "b", "c"],
    &["del", "a", "b", "c"],
    &["unlink", "a"],
    &["exists", "a", "b"],
    &["touch", "a", "a"],
    &["rename", "a", "b"],
    &["renamenx", "a", "b"],
    &["copy", "a", "b", "db", "1", "replace"],
    &["move", "a", "1"],
    &["lcs", "a", "b", "len"],
    &["getex", "k", "px", "1"],
    &["getdel", "k"],
    &["getset", "k", "v"],
    &["append", "k", "v"],
    &["setnx", "k", "v"],
    &["setex", "k", "10", "v"],
    &["expire", "k", "10", "nx"],
    &["ttl", "k"],
    &["object", "encoding", "k"],
    &["object", "help"],
    &["memory", "usage", "k", "samples", "5"],
    &["ping"],
    &["config", "get", "x"],
    &["blpop", "a", "b", "0"],
    &["blmove", "a", "b", "left", "right", "0"],
    &["lmpop", "2", "a", "b", "left"],
    &["blmpop", "0", "2", "a", "b", "right", "count", "3"],
    &["lmpop", "5", "a", "left"],
    &["nosuch", "x"],
    &["command", "info", "get"],
    &["xadd", "s", "*", "f", "v"],
    &["xread", "count", "2", "streams", "a", "b", "0", "0"],
    &["xread", "streams", "a", "b", "0"],
    &[
        "xreadgroup",
        "group",
        "g",
        "c",
        "streams",
        "a",
        "b",
        ">",
        ">",
    ],
    &["xgroup", "create", "s", "g", "$", "mkstream"],
    &["xinfo", "stream", "s", "full"],
    &["xautoclaim", "s", "g", "c", "0", "0"],
];

#[test]
fn command_info_and_getkeys_match_real_redis() {
    let real = Path::new(REAL_REDIS);
    if !real.exists() {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        return;
    }
    let ours = Server::start(&[]);
    let theirs = Server::start_binary(real, &[]);
    let (mut a, mut b) = (ours.client(), theirs.client());
    let mut diffs = Vec::new();
    for proto in ["2", "3"] {
        let resp3 = proto == "3";
        a.cmd(&["hello", proto]);
        b.cmd(&["hello", proto]);
        let list = a.cmd(&["command", "list"]);
        let (_, names) = split(&list);
        let mut names: Vec<String> = names
            .iter()
            .map(|n| {
                let (_, body) = n.split_at(n.iter().position(|&c| c == b'\n').expect("nl") + 1);
                String::from_utf8_lossy(&body[..body.len() - 2]).into_owned()
            })
            .collect();
        names.push("no-such-command".to_string());
        for name in &names {
            let ra = normalized_info(&mut a, name);
            let raw_b = normalized_info(&mut b, name);
            let rb = strip_notes(&raw_b, resp3);
            let has_notes = rb != raw_b;
            assert_eq!(
                has_notes,
                WITH_NOTES.contains(&name.as_str()),
                "notes in {name}"
            );
            if ra != rb {
                diffs.push(format!(
                    "RESP{proto} COMMAND INFO {name}\n  ours: {:?}\n  real: {:?}",
                    String::from_utf8_lossy(&ra),
                    String::from_utf8_lossy(&rb)
                ));
            }
        }
        for call in GETKEYS_CALLS {
            for sub in ["getkeys", "getkeysandflags"] {
                let args: Vec<&str> = ["command", sub]
                    .iter()
                    .chain(call.iter())
                    .copied()
                    .collect();
                let (ra, rb) = (a.cmd(&args), b.cmd(&args));
                if ra != rb {
                    diffs.push(format!(
                        "RESP{proto} {args:?}\n  ours: {:?}\n  real: {:?}",
                        String::from_utf8_lossy(&ra),
                        String::from_utf8_lossy(&rb)
                    ));
                }
            }
        }
    }
    assert!(diffs.is_empty(), "replies differ:\n{}", diffs.join("\n"));
}
