//! Popping and sampling: ZPOPMIN, ZPOPMAX, ZMPOP and ZRANDMEMBER.

use rand::Rng;

use super::{lookup_zset, lookup_zset_or_reply, Found, ZSetValue};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::networking::{Client, CLIENT_CLOSE_ASAP};
use crate::notify::notify_keyspace_event;
use crate::object::{get_positive_long_from_object_or_reply, get_range_long_from_object_or_reply};
use crate::server::Server;

/// Which end a pop takes from (`ZSET_MIN` / `ZSET_MAX`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Where {
    Min,
    Max,
}

/// How a pop shapes its reply.
#[derive(Clone, Copy)]
pub struct PopReply {
    /// Name the key first (BZPOP*, ZMPOP).
    pub emitkey: bool,
    /// Member-score pairs as nested arrays rather than one flat array.
    pub use_nested_array: bool,
    /// A null array, not an empty one, when there is nothing to pop.
    pub reply_nil_when_empty: bool,
}

/// `genericZpopCommand`: pops up to `count` elements (-1: one, the plain
/// form) from the first non-empty key of `keys`. Returns the key popped
/// from and how many elements it gave, for the caller's propagation.
pub fn generic_zpop_command(
    server: &mut Server,
    c: &mut Client,
    keys: &[Vec<u8>],
    wh: Where,
    count: i64,
    shape: PopReply,
) -> Option<(Vec<u8>, usize)> {
    let db = c.db;
    let mut chosen = None;
    for key in keys {
        match lookup_zset(server, db, key, true) {
            Found::Missing => continue,
            Found::WrongType => {
                c.add_reply_wrongtype();
                return None;
            }
            Found::ZSet(_) => {
                chosen = Some(key.clone());
                break;
            }
        }
    }
    let Some(key) = chosen else {
        if shape.reply_nil_when_empty {
            c.add_reply_null_array();
        } else {
            c.add_reply(b"*0\r\n");
        }
        return None;
    };
    if count == 0 {
        c.add_reply(b"*0\r\n");
        return None;
    }
    let count = if count == -1 { 1 } else { count as usize };
    let Found::ZSet(z) = lookup_zset(server, db, &key, true) else {
        return None;
    };
    let llen = z.len();
    let rangelen = count.min(llen);
    match (shape.use_nested_array, shape.emitkey) {
        (false, false) => c.add_reply_array_len(rangelen as i64 * 2),
        (true, false) => c.add_reply_array_len(rangelen as i64),
        (false, true) => {
            c.add_reply_array_len(rangelen as i64 * 2 + 1);
            c.add_reply_bulk(&key);
        }
        (true, true) => {
            c.add_reply_array_len(2);
            c.add_reply_bulk(&key);
            c.add_reply_array_len(rangelen as i64);
        }
    }
    let mut left = rangelen;
    z.visit(0, wh == Where::Max, |e, s| {
        if shape.use_nested_array {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(e);
        c.add_reply_double(s);
        left -= 1;
        left > 0
    });
    let (first, last) = match wh {
        Where::Min => (0, rangelen - 1),
        Where::Max => (llen - rangelen, llen - 1),
    };
    z.delete_range_by_rank(first, last);
    let empty = z.is_empty();
    server.dirty += rangelen as u64;
    let event = if wh == Where::Max {
        "zpopmax"
    } else {
        "zpopmin"
    };
    notify_keyspace_event(server, NOTIFY_ZSET, event, &key, db);
    server.signal_modified_key(db, &key);
    if empty {
        server.db_delete(db, &key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
    }
    Some((key, rangelen))
}

/// `zpopMinMaxCommand`.
fn zpop_min_max_command(server: &mut Server, c: &mut Client, wh: Where) {
    if c.argv.len() > 3 {
        c.add_reply_syntax_error();
        return;
    }
    let mut count = -1;
    if c.argv.len() == 3 {
        let Some(n) = get_positive_long_from_object_or_reply(c, &c.argv[2].clone(), None) else {
            return;
        };
        count = n;
    }
    let shape = PopReply {
        emitkey: false,
        use_nested_array: c.resp > 2 && count != -1,
        reply_nil_when_empty: false,
    };
    let keys = [c.argv[1].clone()];
    generic_zpop_command(server, c, &keys, wh, count, shape);
}

/// ZPOPMIN key [count]
pub fn zpopmin_command(server: &mut Server, c: &mut Client) {
    zpop_min_max_command(server, c, Where::Min);
}

/// ZPOPMAX key [count]
pub fn zpopmax_command(server: &mut Server, c: &mut Client) {
    zpop_min_max_command(server, c, Where::Max);
}

/// What `zmpop_parse` read: the keys, the end and the count.
pub struct ZmpopArgs {
    pub keys: Vec<Vec<u8>>,
    pub wh: Where,
    pub count: i64,
}

/// The argument part of `zmpopGenericCommand`: `numkeys key... MIN|MAX
/// [COUNT count]` from `numkeys_idx` on.
pub fn zmpop_parse(c: &mut Client, numkeys_idx: usize) -> Option<ZmpopArgs> {
    let numkeys = get_range_long_from_object_or_reply(
        c,
        &c.argv[numkeys_idx].clone(),
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    )?;
    let where_idx = (numkeys as u64).saturating_add(numkeys_idx as u64 + 1);
    if where_idx >= c.argv.len() as u64 {
        c.add_reply_syntax_error();
        return None;
    }
    let where_idx = where_idx as usize;
    let wh = if c.argv[where_idx].eq_ignore_ascii_case(b"min") {
        Where::Min
    } else if c.argv[where_idx].eq_ignore_ascii_case(b"max") {
        Where::Max
    } else {
        c.add_reply_syntax_error();
        return None;
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < c.argv.len() {
        let moreargs = c.argv.len() - 1 - j;
        if count == -1 && c.argv[j].eq_ignore_ascii_case(b"count") && moreargs > 0 {
            j += 1;
            count = get_range_long_from_object_or_reply(
                c,
                &c.argv[j].clone(),
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            )?;
        } else {
            c.add_reply_syntax_error();
            return None;
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    Some(ZmpopArgs {
        keys: c.argv[numkeys_idx + 1..where_idx].to_vec(),
        wh,
        count,
    })
}

/// The reply shape of ZMPOP and BZMPOP.
pub const ZMPOP_REPLY: PopReply = PopReply {
    emitkey: true,
    use_nested_array: true,
    reply_nil_when_empty: true,
};

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub fn zmpop_command(server: &mut Server, c: &mut Client) {
    let Some(args) = zmpop_parse(c, 1) else {
        return;
    };
    generic_zpop_command(server, c, &args.keys, args.wh, args.count, ZMPOP_REPLY);
}

/// One random element of a non-empty set.
fn random_element(z: &ZSetValue) -> Option<(Vec<u8>, f64)> {
    match z {
        ZSetValue::Skiplist(zs) => zs.dict.fair_random_entry().map(|(k, v)| (k.to_vec(), *v)),
        ZSetValue::Listpack(_) => {
            let r = rand::thread_rng().gen_range(0..z.len().max(1));
            let mut out = None;
            z.visit(r, false, |e, s| {
                out = Some((e.to_vec(), s));
                false
            });
            out
        }
    }
}

/// `zrandmemberWithCountCommand`: a negative count may repeat members.
fn zrandmember_with_count_command(server: &mut Server, c: &mut Client, l: i64, withscores: bool) {
    let key = c.argv[1].clone();
    let Some(z) = lookup_zset_or_reply(server, c, &key, false, b"*0\r\n") else {
        return;
    };
    let size = z.len();
    let (count, uniq) = if l >= 0 {
        (l as u64, true)
    } else {
        (l.unsigned_abs(), false)
    };
    if count == 0 {
        c.add_reply(b"*0\r\n");
        return;
    }
    let emit = |c: &mut Client, e: &[u8], s: f64| {
        if withscores && c.resp > 2 {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(e);
        if withscores {
            c.add_reply_double(s);
        }
    };

    // 1) Repeats allowed (or a single element): independent draws.
    if !uniq || count == 1 {
        let n = if withscores && c.resp == 2 {
            count.saturating_mul(2)
        } else {
            count
        };
        c.add_reply_array_len(n as i64);
        for _ in 0..count {
            if let Some((e, s)) = random_element(z) {
                emit(c, &e, s);
            }
            if c.flags & CLIENT_CLOSE_ASAP != 0 {
                break;
            }
        }
        return;
    }

    // 2) Distinct elements: the whole set when it is not larger than the
    // count, else a uniform sample of distinct ranks.
    let reply_size = count.min(size as u64) as usize;
    c.add_reply_array_len(if withscores && c.resp == 2 {
        reply_size as i64 * 2
    } else {
        reply_size as i64
    });
    if count as usize >= size {
        // C's zuiNext walks a sorted set from its tail.
        z.visit(0, true, |e, s| {
            emit(c, e, s);
            true
        });
        return;
    }
    let mut ranks = rand::seq::index::sample(&mut rand::thread_rng(), size, reply_size).into_vec();
    ranks.sort_unstable();
    let mut k = 0;
    let mut idx = 0;
    z.for_each(|e, s| {
        if k < ranks.len() && ranks[k] == idx {
            emit(c, e, s);
            k += 1;
        }
        idx += 1;
    });
}

/// ZRANDMEMBER key [count [WITHSCORES]]
pub fn zrandmember_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() >= 3 {
        let Some(l) =
            get_range_long_from_object_or_reply(c, &c.argv[2].clone(), -i64::MAX, i64::MAX, None)
        else {
            return;
        };
        let mut withscores = false;
        if c.argv.len() > 4 || (c.argv.len() == 4 && !c.argv[3].eq_ignore_ascii_case(b"withscores"))
        {
            c.add_reply_syntax_error();
            return;
        } else if c.argv.len() == 4 {
            withscores = true;
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&l) {
                c.add_reply_error("value is out of range");
                return;
            }
        }
        zrandmember_with_count_command(server, c, l, withscores);
        return;
    }
    let key = c.argv[1].clone();
    let z = match lookup_zset(server, c.db, &key, false) {
        Found::Missing => {
            c.add_reply_null();
            return;
        }
        Found::WrongType => {
            c.add_reply_wrongtype();
            return;
        }
        Found::ZSet(z) => z,
    };
    match random_element(z) {
        Some((e, _)) => c.add_reply_bulk(&e),
        None => c.add_reply_null(),
    }
}
