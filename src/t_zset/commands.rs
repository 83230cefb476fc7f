//! The sorted set commands that read or change single members and
//! intervals: ZADD, ZINCRBY, ZREM, ZREMRANGEBY*, ZCARD, ZSCORE, ZMSCORE,
//! ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT and ZSCAN.

use super::{
    lookup_zset, lookup_zset_or_reply, zsl_parse_lex_range, zsl_parse_range, Found, ListpackLimits,
    ZSetValue, ZADD_IN_GT, ZADD_IN_INCR, ZADD_IN_LT, ZADD_IN_NONE, ZADD_IN_NX, ZADD_IN_XX,
    ZADD_OUT_ADDED, ZADD_OUT_NAN, ZADD_OUT_NOP, ZADD_OUT_UPDATED,
};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::networking::Client;
use crate::notify::notify_keyspace_event;
use crate::object::{get_double_from_object_or_reply, get_long_from_object_or_reply, RObj, Value};
use crate::server::Server;

/// `shared.czero`.
pub const CZERO: &[u8] = b":0\r\n";

/// The error for a score that would become NaN.
pub const NAN_ERR: &str = "resulting score is not a number (NaN)";

/// `zaddGenericCommand`: ZADD and ZINCRBY.
fn zadd_generic_command(server: &mut Server, c: &mut Client, mut flags: u32) {
    let key = c.argv[1].clone();
    let mut ch = false;

    // 1) Options, up to the first score.
    let mut scoreidx = 2;
    while scoreidx < c.argv.len() {
        let opt = &c.argv[scoreidx];
        if opt.eq_ignore_ascii_case(b"nx") {
            flags |= ZADD_IN_NX;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags |= ZADD_IN_XX;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            ch = true;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            flags |= ZADD_IN_INCR;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            flags |= ZADD_IN_GT;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            flags |= ZADD_IN_LT;
        } else {
            break;
        }
        scoreidx += 1;
    }
    let incr = flags & ZADD_IN_INCR != 0;
    let nx = flags & ZADD_IN_NX != 0;
    let xx = flags & ZADD_IN_XX != 0;
    let gt = flags & ZADD_IN_GT != 0;
    let lt = flags & ZADD_IN_LT != 0;

    // 2) Score-member pairs, and options that cannot go together.
    let elements = c.argv.len() - scoreidx;
    if !elements.is_multiple_of(2) || elements == 0 {
        c.add_reply_syntax_error();
        return;
    }
    let elements = elements / 2;
    if nx && xx {
        c.add_reply_error("XX and NX options at the same time are not compatible");
        return;
    }
    if (nx && (gt || lt)) || (gt && lt) {
        c.add_reply_error("GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if incr && elements > 1 {
        c.add_reply_error("INCR option supports a single increment-element pair");
        return;
    }

    // 3) Every score is checked before anything changes.
    let mut scores = Vec::with_capacity(elements);
    for j in 0..elements {
        let Some(s) = get_double_from_object_or_reply(c, &c.argv[scoreidx + j * 2].clone(), None)
        else {
            return;
        };
        scores.push(s);
    }

    // 4) The key, created with the encoding the first member suits.
    let db = c.db;
    let (mut added, mut updated, mut processed) = (0, 0, 0);
    let mut score = 0.0;
    match lookup_zset(server, db, &key, true) {
        Found::WrongType => {
            c.add_reply_wrongtype();
            return;
        }
        Found::Missing if xx => {}
        found => {
            if matches!(found, Found::Missing) {
                let first_len = c.argv[scoreidx + 1].len();
                let zobj = if server.config.zset_max_listpack_entries == 0
                    || (server.config.zset_max_listpack_value as usize) < first_len
                {
                    ZSetValue::new_skiplist()
                } else {
                    ZSetValue::new_listpack()
                };
                server.db_add(db, &key, RObj::new(Value::ZSet(zobj)));
            }
            let limits = ListpackLimits::of(server);
            let Found::ZSet(z) = lookup_zset(server, db, &key, true) else {
                return;
            };
            for (j, &s) in scores.iter().enumerate() {
                let ele = &c.argv[scoreidx + 1 + j * 2];
                let (retflags, newscore) = z.add(limits, s, ele, flags);
                if retflags & ZADD_OUT_NAN != 0 {
                    c.add_reply_error(NAN_ERR);
                    zadd_cleanup(server, c, &key, incr, added + updated);
                    return;
                }
                if retflags & ZADD_OUT_ADDED != 0 {
                    added += 1;
                }
                if retflags & ZADD_OUT_UPDATED != 0 {
                    updated += 1;
                }
                if retflags & ZADD_OUT_NOP == 0 {
                    processed += 1;
                }
                score = newscore;
            }
            z.shrink_to_fit();
            server.dirty += (added + updated) as u64;
        }
    }

    // 5) Reply.
    if incr {
        if processed > 0 {
            c.add_reply_double(score);
        } else {
            c.add_reply_null();
        }
    } else {
        c.add_reply_long_long(if ch { added + updated } else { added });
    }
    zadd_cleanup(server, c, &key, incr, added + updated);
}

fn zadd_cleanup(server: &mut Server, c: &Client, key: &[u8], incr: bool, changed: i64) {
    if changed > 0 {
        server.signal_modified_key(c.db, key);
        let event = if incr { "zincr" } else { "zadd" };
        notify_keyspace_event(server, NOTIFY_ZSET, event, key, c.db);
    }
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub fn zadd_command(server: &mut Server, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_IN_NONE);
}

/// ZINCRBY key increment member
pub fn zincrby_command(server: &mut Server, c: &mut Client) {
    zadd_generic_command(server, c, ZADD_IN_INCR);
}

/// ZREM key member [member ...]
pub fn zrem_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let db = c.db;
    let Some(z) = lookup_zset_or_reply(server, c, &key, true, CZERO) else {
        return;
    };
    let mut deleted = 0;
    let mut keyremoved = false;
    for j in 2..c.argv.len() {
        if z.remove(&c.argv[j]) {
            deleted += 1;
        }
        if z.is_empty() {
            keyremoved = true;
            break;
        }
    }
    z.shrink_to_fit();
    if keyremoved {
        server.db_delete(db, &key);
    }
    if deleted > 0 {
        notify_keyspace_event(server, NOTIFY_ZSET, "zrem", &key, db);
        if keyremoved {
            notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
        }
        server.signal_modified_key(db, &key);
        server.dirty += deleted as u64;
    }
    c.add_reply_long_long(deleted);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ZRangeType {
    Rank,
    Score,
    Lex,
}

/// `zremrangeGenericCommand`.
fn zremrange_generic_command(server: &mut Server, c: &mut Client, rangetype: ZRangeType) {
    let key = c.argv[1].clone();
    let db = c.db;

    // 1) The interval, parsed before the key is looked at.
    let (mut start, mut end) = (0i64, 0i64);
    let mut range = None;
    let mut lexrange = None;
    let notify_type = match rangetype {
        ZRangeType::Rank => {
            let Some(s) = get_long_from_object_or_reply(c, &c.argv[2].clone(), None) else {
                return;
            };
            let Some(e) = get_long_from_object_or_reply(c, &c.argv[3].clone(), None) else {
                return;
            };
            (start, end) = (s, e);
            "zremrangebyrank"
        }
        ZRangeType::Score => {
            range = zsl_parse_range(&c.argv[2], &c.argv[3]);
            if range.is_none() {
                c.add_reply_error("min or max is not a float");
                return;
            }
            "zremrangebyscore"
        }
        ZRangeType::Lex => {
            lexrange = zsl_parse_lex_range(&c.argv[2], &c.argv[3]);
            if lexrange.is_none() {
                c.add_reply_error("min or max not valid string range item");
                return;
            }
            "zremrangebylex"
        }
    };

    // 2) The key.
    let Some(z) = lookup_zset_or_reply(server, c, &key, true, CZERO) else {
        return;
    };

    // 3) Remove.
    let deleted = match rangetype {
        ZRangeType::Rank => {
            let llen = z.len() as i64;
            if start < 0 {
                start += llen;
            }
            if end < 0 {
                end += llen;
            }
            start = start.max(0);
            if start > end || start >= llen {
                c.add_reply(CZERO);
                return;
            }
            z.delete_range_by_rank(start as usize, end.min(llen - 1) as usize)
        }
        ZRangeType::Score => range.map_or(0, |r| z.delete_range_by_score(&r)),
        ZRangeType::Lex => lexrange.map_or(0, |r| z.delete_range_by_lex(&r)),
    };
    z.shrink_to_fit();
    let keyremoved = z.is_empty();
    if keyremoved {
        server.db_delete(db, &key);
    }

    // 4) Events and reply.
    if deleted > 0 {
        server.signal_modified_key(db, &key);
        notify_keyspace_event(server, NOTIFY_ZSET, notify_type, &key, db);
        if keyremoved {
            notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
        }
    }
    server.dirty += deleted as u64;
    c.add_reply_long_long(deleted as i64);
}

/// ZREMRANGEBYRANK key start stop
pub fn zremrangebyrank_command(server: &mut Server, c: &mut Client) {
    zremrange_generic_command(server, c, ZRangeType::Rank);
}

/// ZREMRANGEBYSCORE key min max
pub fn zremrangebyscore_command(server: &mut Server, c: &mut Client) {
    zremrange_generic_command(server, c, ZRangeType::Score);
}

/// ZREMRANGEBYLEX key min max
pub fn zremrangebylex_command(server: &mut Server, c: &mut Client) {
    zremrange_generic_command(server, c, ZRangeType::Lex);
}

/// ZCARD key
pub fn zcard_command(server: &mut Server, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Some(z) = lookup_zset_or_reply(server, c, &key, false, CZERO) {
        let n = z.len();
        c.add_reply_long_long(n as i64);
    }
    c.argv[1] = key;
}

/// `lookupKeyReadOrReply` with the null reply of the client's protocol.
fn lookup_or_null<'a>(
    server: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Option<&'a mut ZSetValue> {
    match lookup_zset(server, c.db, key, false) {
        Found::ZSet(z) => Some(z),
        Found::Missing => {
            c.add_reply_null();
            None
        }
        Found::WrongType => {
            c.add_reply_wrongtype();
            None
        }
    }
}

/// ZSCORE key member
pub fn zscore_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let Some(z) = lookup_or_null(server, c, &key) else {
        return;
    };
    match z.score(&c.argv[2]) {
        Some(s) => c.add_reply_double(s),
        None => c.add_reply_null(),
    }
}

/// ZMSCORE key member [member ...]
pub fn zmscore_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let z = match lookup_zset(server, c.db, &key, false) {
        Found::WrongType => {
            c.add_reply_wrongtype();
            return;
        }
        Found::Missing => None,
        Found::ZSet(z) => Some(z),
    };
    c.add_reply_array_len(c.argv.len() as i64 - 2);
    for j in 2..c.argv.len() {
        match z.as_ref().and_then(|z| z.score(&c.argv[j])) {
            Some(s) => c.add_reply_double(s),
            None => c.add_reply_null(),
        }
    }
}

/// `zrankGenericCommand`.
fn zrank_generic_command(server: &mut Server, c: &mut Client, reverse: bool) {
    let key = c.argv[1].clone();
    let Some(z) = lookup_or_null(server, c, &key) else {
        return;
    };
    match z.rank(&c.argv[2], reverse) {
        Some(r) => c.add_reply_long_long(r as i64),
        None => c.add_reply_null(),
    }
}

/// ZRANK key member
pub fn zrank_command(server: &mut Server, c: &mut Client) {
    zrank_generic_command(server, c, false);
}

/// ZREVRANK key member
pub fn zrevrank_command(server: &mut Server, c: &mut Client) {
    zrank_generic_command(server, c, true);
}

/// ZCOUNT key min max
pub fn zcount_command(server: &mut Server, c: &mut Client) {
    let Some(range) = zsl_parse_range(&c.argv[2], &c.argv[3]) else {
        c.add_reply_error("min or max is not a float");
        return;
    };
    let key = c.argv[1].clone();
    let Some(z) = lookup_zset_or_reply(server, c, &key, false, CZERO) else {
        return;
    };
    let count = z.count_in_range(&range);
    c.add_reply_long_long(count);
}

/// ZLEXCOUNT key min max
pub fn zlexcount_command(server: &mut Server, c: &mut Client) {
    let Some(range) = zsl_parse_lex_range(&c.argv[2], &c.argv[3]) else {
        c.add_reply_error("min or max not valid string range item");
        return;
    };
    let key = c.argv[1].clone();
    let Some(z) = lookup_zset_or_reply(server, c, &key, false, CZERO) else {
        return;
    };
    let count = z.count_in_lex_range(&range);
    c.add_reply_long_long(count);
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: `scanGenericCommand`
/// on a sorted set. A listpack is small and returned whole with cursor 0;
/// a skiplist's dict is scanned like the keyspace.
pub fn zscan_command(server: &mut Server, c: &mut Client) {
    let Some(mut cursor) = crate::db::parse_scan_cursor_or_reply(c, &c.argv[2].clone()) else {
        return;
    };
    let key = c.argv[1].clone();
    let Some(z) = lookup_zset_or_reply(server, c, &key, false, b"*2\r\n$1\r\n0\r\n*0\r\n") else {
        return;
    };

    // 1) Options.
    let mut count: i64 = 10;
    let mut pat: Option<Vec<u8>> = None;
    let mut i = 3;
    while i < c.argv.len() {
        let left = c.argv.len() - i;
        if c.argv[i].eq_ignore_ascii_case(b"count") && left >= 2 {
            let Some(n) = get_long_from_object_or_reply(c, &c.argv[i + 1].clone(), None) else {
                return;
            };
            if n < 1 {
                c.add_reply_syntax_error();
                return;
            }
            count = n;
            i += 2;
        } else if c.argv[i].eq_ignore_ascii_case(b"match") && left >= 2 {
            let p = &c.argv[i + 1];
            pat = (p.as_slice() != b"*").then(|| p.clone());
            i += 2;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }

    // 2) Collect member / score pairs.
    let mut items: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    match z {
        ZSetValue::Listpack(_) => {
            z.for_each(|e, s| items.push((e.to_vec(), crate::util::d2string(s))));
            cursor = 0;
        }
        ZSetValue::Skiplist(zs) => {
            let count = count.saturating_mul(2);
            let mut maxiterations = count.saturating_mul(10);
            loop {
                cursor = zs.dict.scan(cursor, |k, v| {
                    let mut score = Vec::new();
                    crate::util::append_double(&mut score, *v);
                    items.push((k.to_vec(), score));
                });
                // C counts both the member and the score in its list.
                if cursor == 0 || maxiterations == 0 || items.len() as i64 * 2 >= count {
                    break;
                }
                maxiterations -= 1;
            }
        }
    }

    // 3) Filter and reply.
    if let Some(p) = &pat {
        items.retain(|(e, _)| crate::util::string_match_len(p, e, false));
    }
    c.add_reply_array_len(2);
    let mut buf = [0u8; 24];
    let n = crate::util::ull2string(&mut buf, cursor);
    c.add_reply_bulk(&buf[..n]);
    c.add_reply_array_len(items.len() as i64 * 2);
    for (e, s) in &items {
        c.add_reply_bulk(e);
        c.add_reply_bulk(s);
    }
}
