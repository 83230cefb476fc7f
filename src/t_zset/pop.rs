//! Popping and sampling: ZPOPMIN, ZPOPMAX, ZMPOP, their blocking forms
//! BZPOPMIN, BZPOPMAX and BZMPOP (parked through `blocked.rs` and served
//! here when a key they wait on gets members), and ZRANDMEMBER.

use rand::Rng;

use super::{lookup_zset, lookup_zset_or_reply, Found, ZSetValue};
use crate::blocked::{self, BlockPos, BlockingState, BLOCKED_ZSET};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::networking::{Client, CLIENT_CLOSE_ASAP, CLIENT_DENY_BLOCKING};
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
    z.shrink_to_fit();
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
    if let Some((key, n)) =
        generic_zpop_command(server, c, &args.keys, args.wh, args.count, ZMPOP_REPLY)
    {
        rewrite_as_zpop(c, args.wh, &key, Some(n as i64));
    }
}

/// The command as it is propagated: a plain ZPOPMIN / ZPOPMAX of the key
/// popped from (`rewriteClientCommandVector`).
fn rewrite_as_zpop(c: &mut Client, wh: Where, key: &[u8], count: Option<i64>) {
    let name: &[u8] = if wh == Where::Max {
        b"zpopmax"
    } else {
        b"zpopmin"
    };
    let mut argv = vec![name.to_vec(), key.to_vec()];
    if let Some(n) = count {
        argv.push(crate::util::ll_to_bytes(n));
    }
    c.retain_original_command_vector();
    c.argv.set(argv);
}

/// `blockingGenericZpopCommand`: pops from the first non-empty key like
/// the non-blocking form, or parks the client on all the keys.
fn blocking_generic_zpop_command(
    server: &mut Server,
    c: &mut Client,
    keys: &[Vec<u8>],
    wh: Where,
    timeout_idx: usize,
    count: i64,
    shape: PopReply,
) {
    let arg = c.argv[timeout_idx].clone();
    let Some(timeout) =
        crate::blocked::get_timeout_from_object_or_reply(c, &arg, crate::blocked::UNIT_SECONDS)
    else {
        return;
    };
    for key in keys {
        let llen = match lookup_zset(server, c.db, key, true) {
            Found::Missing => continue,
            Found::WrongType => {
                c.add_reply_wrongtype();
                return;
            }
            Found::ZSet(z) => z.len() as i64,
        };
        if llen == 0 {
            continue;
        }
        generic_zpop_command(server, c, std::slice::from_ref(key), wh, count, shape);
        let n = (count != -1).then(|| count.min(llen));
        rewrite_as_zpop(c, wh, key, n);
        return;
    }
    // A client that may not block (MULTI, scripts) sees a timeout.
    if c.flags & CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_null_array();
        return;
    }
    let wait = BlockingState {
        timeout,
        blockpos: BlockPos {
            wherefrom: if wh == Where::Max { 1 } else { 0 },
            whereto: 0,
        },
        count,
        ..Default::default()
    };
    blocked::block_for_keys(server, c, BLOCKED_ZSET, keys, wait);
}

/// The reply shape of BZPOPMIN / BZPOPMAX: key, member, score.
const BZPOP_REPLY: PopReply = PopReply {
    emitkey: true,
    use_nested_array: false,
    reply_nil_when_empty: false,
};

/// BZPOPMIN key [key ...] timeout
pub fn bzpopmin_command(server: &mut Server, c: &mut Client) {
    let n = c.argv.len();
    let keys = c.argv[1..n - 1].to_vec();
    blocking_generic_zpop_command(server, c, &keys, Where::Min, n - 1, -1, BZPOP_REPLY);
}

/// BZPOPMAX key [key ...] timeout
pub fn bzpopmax_command(server: &mut Server, c: &mut Client) {
    let n = c.argv.len();
    let keys = c.argv[1..n - 1].to_vec();
    blocking_generic_zpop_command(server, c, &keys, Where::Max, n - 1, -1, BZPOP_REPLY);
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub fn bzmpop_command(server: &mut Server, c: &mut Client) {
    let Some(args) = zmpop_parse(c, 2) else {
        return;
    };
    blocking_generic_zpop_command(server, c, &args.keys, args.wh, 1, args.count, ZMPOP_REPLY);
}

/// `serveClientsBlockedOnSortedSetKey`: the clients waiting on `key`, in
/// the order they blocked, each popping as its command asked, while the
/// set has members.
pub fn serve_clients_blocked_on_zset_key(server: &mut Server, db: usize, key: &[u8]) {
    if server.blocked.blocked_clients_by_type[BLOCKED_ZSET as usize] == 0 {
        return;
    }
    for slot in blocked::clients_blocked_on(server, db, key) {
        let Some(mut receiver) = server.take_client(slot) else {
            continue;
        };
        if receiver.btype != BLOCKED_ZSET {
            server.put_client_back(receiver, true);
            continue;
        }
        let wh = if receiver.bpop.blockpos.wherefrom == 1 {
            Where::Max
        } else {
            Where::Min
        };
        let count = receiver.bpop.count;
        let is_bzmpop = receiver
            .argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"bzmpop"));
        let shape = if is_bzmpop { ZMPOP_REPLY } else { BZPOP_REPLY };
        let start = crate::util::ustime();
        let keys = [key.to_vec()];
        let popped = generic_zpop_command(server, &mut receiver, &keys, wh, count, shape);
        let deleted = lookup_zset(server, db, key, true).is_missing();
        if let Some((k, n)) = popped {
            rewrite_as_zpop(&mut receiver, wh, &k, (count != -1).then_some(n as i64));
        }
        blocked::finish_serving_blocked_client(server, receiver, start);
        if deleted {
            break;
        }
    }
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
