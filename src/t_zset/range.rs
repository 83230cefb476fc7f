//! The ZRANGE family: ZRANGE, ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE,
//! ZREVRANGEBYSCORE, ZRANGEBYLEX and ZREVRANGEBYLEX, all run by
//! [`zrange_generic_command`]. As in C, the range walkers emit into a
//! result handler that either replies to the client or fills the sorted
//! set ZRANGESTORE writes.

use super::skiplist::{
    zsl_lex_value_gte_min, zsl_lex_value_lte_max, zsl_value_gte_min, zsl_value_lte_max,
};
use super::{
    lookup_zset, zsl_parse_lex_range, zsl_parse_range, Found, ListpackLimits, ZLexRangeSpec,
    ZRangeSpec, ZSetValue, ZADD_IN_NONE,
};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::networking::{Client, DeferredLen};
use crate::notify::notify_keyspace_event;
use crate::object::{get_long_from_object_or_reply, RObj, Value};
use crate::server::Server;

/// `zrange_result_handler`: where the elements of a range go.
struct ZRangeResultHandler {
    /// ZRANGESTORE: the destination key and the set being built.
    store: Option<(Vec<u8>, ZSetValue)>,
    limits: ListpackLimits,
    withscores: bool,
    deferred: Option<DeferredLen>,
}

impl ZRangeResultHandler {
    /// `zrangeResultBeginClient` / `zrangeResultBeginStore`; a negative
    /// length is not known yet.
    fn begin(&mut self, c: &mut Client, length: i64) {
        if let Some((_, dst)) = &mut self.store {
            *dst = if length > self.limits.entries as i64 {
                ZSetValue::new_skiplist()
            } else {
                ZSetValue::new_listpack()
            };
            return;
        }
        if length > 0 {
            let n = if self.withscores && c.resp == 2 {
                length * 2
            } else {
                length
            };
            c.add_reply_array_len(n);
        } else {
            self.deferred = c.add_reply_deferred_len();
        }
    }

    /// `zrangeResultEmit*ToClient` / `*ForStore`.
    fn emit(&mut self, c: &mut Client, ele: &[u8], score: f64) {
        if let Some((_, dst)) = &mut self.store {
            dst.add(self.limits, score, ele, ZADD_IN_NONE);
            return;
        }
        if self.withscores && c.resp > 2 {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(ele);
        if self.withscores {
            c.add_reply_double(score);
        }
    }

    /// `zrangeResultFinalizeClient` / `zrangeResultFinalizeStore`.
    fn finalize(self, server: &mut Server, c: &mut Client, result_count: usize) {
        let Some((dstkey, mut dst)) = self.store else {
            if self.deferred.is_some() {
                let n = if self.withscores && c.resp == 2 {
                    result_count * 2
                } else {
                    result_count
                };
                c.set_deferred_array_len(self.deferred, n as i64);
            }
            return;
        };
        let db = c.db;
        if result_count > 0 {
            dst.shrink_to_fit();
            server.set_key(db, &dstkey, RObj::new(Value::ZSet(dst)), false);
            server.signal_modified_key(db, &dstkey);
            c.add_reply_long_long(result_count as i64);
            notify_keyspace_event(server, NOTIFY_ZSET, "zrangestore", &dstkey, db);
            server.dirty += 1;
        } else {
            c.add_reply_long_long(0);
            if server.db_delete(db, &dstkey) {
                server.signal_modified_key(db, &dstkey);
                notify_keyspace_event(server, NOTIFY_GENERIC, "del", &dstkey, db);
                server.dirty += 1;
            }
        }
    }
}

/// `genericZrangebyrankCommand`.
fn generic_zrangebyrank(
    h: &mut ZRangeResultHandler,
    c: &mut Client,
    z: &ZSetValue,
    mut start: i64,
    mut end: i64,
    reverse: bool,
) -> usize {
    let llen = z.len() as i64;
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    start = start.max(0);
    if start > end || start >= llen {
        h.begin(c, 0);
        return 0;
    }
    end = end.min(llen - 1);
    let rangelen = (end - start + 1) as usize;
    h.begin(c, rangelen as i64);
    let mut left = rangelen;
    z.visit(start as usize, reverse, |e, s| {
        h.emit(c, e, s);
        left -= 1;
        left > 0
    });
    rangelen
}

/// The walk of a score or lex range: where it starts and how far it goes.
struct Walk {
    first: Option<usize>,
    offset: i64,
    limit: i64,
    reverse: bool,
}

/// Emits from rank `first` on, skipping `offset` elements first, at most
/// `limit` (negative: no limit), while `in_range` holds: the common walk
/// of `genericZrangebyscoreCommand` and `genericZrangebylexCommand`.
fn emit_from(
    h: &mut ZRangeResultHandler,
    c: &mut Client,
    z: &ZSetValue,
    walk: Walk,
    in_range: impl Fn(&[u8], f64) -> bool,
) -> usize {
    let Walk {
        first,
        offset,
        mut limit,
        reverse,
    } = walk;
    let mut rangelen = 0;
    h.begin(c, -1);
    // A negative offset skips everything, as C's `while (ln && offset--)`.
    let (Some(first), true) = (first, offset >= 0) else {
        return 0;
    };
    let Some(start) = first.checked_add(offset as usize) else {
        return 0;
    };
    if limit == 0 {
        return 0;
    }
    z.visit(start, reverse, |e, s| {
        if !in_range(e, s) {
            return false;
        }
        h.emit(c, e, s);
        rangelen += 1;
        limit -= 1;
        limit != 0
    });
    rangelen
}

/// `genericZrangebyscoreCommand`.
fn generic_zrangebyscore(
    h: &mut ZRangeResultHandler,
    c: &mut Client,
    z: &ZSetValue,
    range: &ZRangeSpec,
    offset: i64,
    limit: i64,
    reverse: bool,
) -> usize {
    let first = z.first_in_range(range, reverse);
    let walk = Walk {
        first,
        offset,
        limit,
        reverse,
    };
    emit_from(h, c, z, walk, |_, s| {
        if reverse {
            zsl_value_gte_min(s, range)
        } else {
            zsl_value_lte_max(s, range)
        }
    })
}

/// `genericZrangebylexCommand`.
fn generic_zrangebylex(
    h: &mut ZRangeResultHandler,
    c: &mut Client,
    z: &ZSetValue,
    range: &ZLexRangeSpec,
    offset: i64,
    limit: i64,
    reverse: bool,
) -> usize {
    let first = z.first_in_lex_range(range, reverse);
    let walk = Walk {
        first,
        offset,
        limit,
        reverse,
    };
    emit_from(h, c, z, walk, |e, _| {
        if reverse {
            zsl_lex_value_gte_min(e, range)
        } else {
            zsl_lex_value_lte_max(e, range)
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

/// `zrangeGenericCommand`: `argc_start` is the source key's index; the
/// syntax from there is `<src> <min> <max> [BYSCORE|BYLEX] [REV]
/// [WITHSCORES] [LIMIT offset count]`.
fn zrange_generic_command(
    server: &mut Server,
    c: &mut Client,
    argc_start: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) {
    let key = c.argv[argc_start].clone();
    let mut minidx = argc_start + 1;
    let mut maxidx = argc_start + 2;
    let mut withscores = false;
    let mut offset = 0i64;
    let mut limit = -1i64;

    // 1) Options.
    let mut j = argc_start + 3;
    while j < c.argv.len() {
        let leftargs = c.argv.len() - j - 1;
        let a = &c.argv[j];
        if !store && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"limit") && leftargs >= 2 {
            let Some(o) = get_long_from_object_or_reply(c, &c.argv[j + 1].clone(), None) else {
                return;
            };
            let Some(l) = get_long_from_object_or_reply(c, &c.argv[j + 2].clone(), None) else {
                return;
            };
            (offset, limit) = (o, l);
            j += 2;
        } else if direction == Direction::Auto && a.eq_ignore_ascii_case(b"rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && a.eq_ignore_ascii_case(b"bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && a.eq_ignore_ascii_case(b"byscore") {
            rangetype = RangeType::Score;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    let reverse = direction == Direction::Reverse;
    if limit != -1 && rangetype == RangeType::Rank {
        c.add_reply_error(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
        return;
    }
    if withscores && rangetype == RangeType::Lex {
        c.add_reply_error("syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    if reverse && rangetype != RangeType::Rank {
        // Given as max, min.
        std::mem::swap(&mut minidx, &mut maxidx);
    }

    // 2) The range.
    let (mut start, mut end) = (0, 0);
    let mut range = None;
    let mut lexrange = None;
    match rangetype {
        RangeType::Score => {
            range = zsl_parse_range(&c.argv[minidx], &c.argv[maxidx]);
            if range.is_none() {
                c.add_reply_error("min or max is not a float");
                return;
            }
        }
        RangeType::Lex => {
            lexrange = zsl_parse_lex_range(&c.argv[minidx], &c.argv[maxidx]);
            if lexrange.is_none() {
                c.add_reply_error("min or max not valid string range item");
                return;
            }
        }
        _ => {
            let Some(s) = get_long_from_object_or_reply(c, &c.argv[minidx].clone(), None) else {
                return;
            };
            let Some(e) = get_long_from_object_or_reply(c, &c.argv[maxidx].clone(), None) else {
                return;
            };
            (start, end) = (s, e);
        }
    }

    let mut h = ZRangeResultHandler {
        store: store.then(|| (c.argv[1].clone(), ZSetValue::new_listpack())),
        limits: ListpackLimits::of(server),
        withscores: withscores || store,
        deferred: None,
    };

    // 3) The key, and the walk.
    let z = match lookup_zset(server, c.db, &key, false) {
        Found::Missing => {
            if store {
                h.begin(c, -1);
                h.finalize(server, c, 0);
            } else {
                c.add_reply(b"*0\r\n");
            }
            return;
        }
        Found::WrongType => {
            c.add_reply_wrongtype();
            return;
        }
        Found::ZSet(z) => &*z,
    };
    let n = match (range, lexrange) {
        (Some(r), _) => generic_zrangebyscore(&mut h, c, z, &r, offset, limit, reverse),
        (_, Some(r)) => generic_zrangebylex(&mut h, c, z, &r, offset, limit, reverse),
        _ => generic_zrangebyrank(&mut h, c, z, start, end, reverse),
    };
    h.finalize(server, c, n);
}

/// ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub fn zrange_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Auto, Direction::Auto);
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub fn zrangestore_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 2, true, RangeType::Auto, Direction::Auto);
}

/// ZREVRANGE key start stop [WITHSCORES]
pub fn zrevrange_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Rank, Direction::Reverse);
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub fn zrangebyscore_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Score, Direction::Forward);
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub fn zrevrangebyscore_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Score, Direction::Reverse);
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub fn zrangebylex_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Lex, Direction::Forward);
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub fn zrevrangebylex_command(server: &mut Server, c: &mut Client) {
    zrange_generic_command(server, c, 1, false, RangeType::Lex, Direction::Reverse);
}
