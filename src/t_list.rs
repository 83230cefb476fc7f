//! The list type (t_list.c): every list command, blocking ones included,
//! on the quicklist encoding (the only list encoding of Redis 7.0).
//!
//! The blocking commands (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH) answer
//! at once when a list has elements, and otherwise park the client with
//! `blocked::block_for_keys`; when a push later makes one of the keys ready,
//! `blocked` calls [`serve_clients_blocked_on_list_key`], which answers the
//! waiting clients in the order they blocked.

use crate::blocked::{self, BlockPos, BlockingState, BLOCKED_LIST};
use crate::config::{NOTIFY_GENERIC, NOTIFY_LIST};
use crate::listpack::LpEntry;
use crate::networking::{Client, CLIENT_DENY_BLOCKING};
use crate::notify::notify_keyspace_event;
use crate::object::{
    get_long_from_object_or_reply, get_positive_long_from_object_or_reply,
    get_range_long_from_object_or_reply, RObj, Value,
};
use crate::quicklist::{End, Quicklist};
use crate::server::Server;

/// `LIST_HEAD` / `LIST_TAIL` as stored in a `BlockPos`.
const LIST_HEAD: i32 = 0;
const LIST_TAIL: i32 = 1;

fn end_of(where_: i32) -> End {
    if where_ == LIST_HEAD {
        End::Head
    } else {
        End::Tail
    }
}

fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// `createQuicklistObject` with the configured node size and compression.
pub fn create_list_object(server: &Server) -> RObj {
    let fill = server
        .config
        .list_max_listpack_size
        .clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    let depth = server.config.list_compress_depth.clamp(0, i32::MAX as i64) as i32;
    RObj::new(Value::List(Quicklist::new(fill, depth)))
}

/// The list stored at `key`, without a lookup's side effects (used right
/// after a lookup, or on a key the command itself just created).
fn list_mut<'a>(server: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut Quicklist> {
    match server.dbs[db].dict.get_mut(key) {
        Some(RObj {
            value: Value::List(ql),
            ..
        }) => Some(ql),
        _ => None,
    }
}

/// What a lookup found at a key: nothing, a list (its length), or a value
/// of another type (the WRONGTYPE error has then been replied).
enum Found {
    Missing,
    List(usize),
    WrongType,
}

fn lookup(server: &mut Server, c: &mut Client, key: &[u8], write: bool) -> Found {
    let db = c.db;
    let o = if write {
        server.lookup_key_write(db, key)
    } else {
        server.lookup_key_read(db, key)
    };
    match o {
        None => Found::Missing,
        Some(RObj {
            value: Value::List(ql),
            ..
        }) => Found::List(ql.len()),
        Some(_) => {
            c.add_reply_wrongtype();
            Found::WrongType
        }
    }
}

fn reply_entry(c: &mut Client, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => c.add_reply_bulk_long_long(v),
        LpEntry::Str(s) => c.add_reply_bulk(s),
    }
}

/// `listTypePush` into a key, creating the list if needed.
fn push_into(server: &mut Server, db: usize, key: &[u8], value: &[u8], end: End) {
    if list_mut(server, db, key).is_none() {
        let o = create_list_object(server);
        server.db_add(db, key, o);
    }
    if let Some(ql) = list_mut(server, db, key) {
        ql.push(value, end);
    }
}

/// `pushGenericCommand`: LPUSH, RPUSH, and with `xx` LPUSHX, RPUSHX.
fn push_generic_command(server: &mut Server, c: &mut Client, end: End, xx: bool) {
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing if xx => {
            c.add_reply_long_long(0);
            return;
        }
        Found::Missing => {
            let o = create_list_object(server);
            server.db_add(db, &key, o);
        }
        Found::List(_) => {}
    }
    let mut len = 0;
    if let Some(ql) = list_mut(server, db, &key) {
        for v in &c.argv[2..] {
            ql.push(v, end);
        }
        len = ql.len();
    }
    server.dirty += c.argv.len() as u64 - 2;
    c.add_reply_long_long(len as i64);
    server.signal_modified_key(db, &key);
    notify_keyspace_event(server, NOTIFY_LIST, push_event(end), &key, db);
}

pub fn lpush_command(server: &mut Server, c: &mut Client) {
    push_generic_command(server, c, End::Head, false);
}

pub fn rpush_command(server: &mut Server, c: &mut Client) {
    push_generic_command(server, c, End::Tail, false);
}

pub fn lpushx_command(server: &mut Server, c: &mut Client) {
    push_generic_command(server, c, End::Head, true);
}

pub fn rpushx_command(server: &mut Server, c: &mut Client) {
    push_generic_command(server, c, End::Tail, true);
}

/// LINSERT key BEFORE|AFTER pivot element
pub fn linsert_command(server: &mut Server, c: &mut Client) {
    let after = if c.argv[2].eq_ignore_ascii_case(b"after") {
        true
    } else if c.argv[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        c.add_reply_syntax_error();
        return;
    };
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_long_long(0);
            return;
        }
        Found::List(_) => {}
    }
    let mut len = None;
    if let Some(ql) = list_mut(server, db, &key) {
        if let Some(pos) = ql.find(&c.argv[3]) {
            ql.insert_at(pos, &c.argv[4], after);
            len = Some(ql.len());
        }
    }
    let Some(len) = len else {
        c.add_reply_long_long(-1);
        return;
    };
    server.signal_modified_key(db, &key);
    notify_keyspace_event(server, NOTIFY_LIST, "linsert", &key, db);
    server.dirty += 1;
    c.add_reply_long_long(len as i64);
}

/// LLEN key
pub fn llen_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_long_long(0),
        Found::List(n) => c.add_reply_long_long(n as i64),
    }
}

/// LINDEX key index
pub fn lindex_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_null();
            return;
        }
        Found::List(_) => {}
    }
    let arg = c.argv[2].clone();
    let Some(index) = get_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    let Some(ql) = list_mut(server, c.db, &key) else {
        return;
    };
    match ql.index(index) {
        Some(pos) => reply_entry(c, ql.get(pos)),
        None => c.add_reply_null(),
    }
}

/// LSET key index element
pub fn lset_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_error("no such key");
            return;
        }
        Found::List(_) => {}
    }
    let arg = c.argv[2].clone();
    let Some(index) = get_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    let replaced =
        list_mut(server, db, &key).is_some_and(|ql| ql.replace_at_index(index, &c.argv[3]));
    if !replaced {
        c.add_reply_error("index out of range");
        return;
    }
    c.add_reply_ok();
    server.signal_modified_key(db, &key);
    notify_keyspace_event(server, NOTIFY_LIST, "lset", &key, db);
    server.dirty += 1;
}

/// `addListRangeReply`: elements `start..=end` (negative from the tail),
/// tail first with `reverse`.
fn add_list_range_reply(c: &mut Client, ql: &Quicklist, start: i64, end: i64, reverse: bool) {
    let llen = ql.len() as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        c.add_reply_array_len(0);
        return;
    }
    if end >= llen {
        end = llen - 1;
    }
    let rangelen = (end - start) + 1;
    c.add_reply_array_len(rangelen);
    let from = if reverse { end } else { start };
    for e in ql
        .iter_from(ql.index(from), !reverse)
        .take(rangelen as usize)
    {
        reply_entry(c, e);
    }
}

/// `listElementsRemoved`: the events and the key deletion after elements
/// were popped. Returns whether the key went away.
fn list_elements_removed(server: &mut Server, db: usize, key: &[u8], end: End, count: i64) -> bool {
    notify_keyspace_event(server, NOTIFY_LIST, pop_event(end), key, db);
    let empty = list_mut(server, db, key).is_none_or(|ql| ql.is_empty());
    if empty {
        server.db_delete(db, key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", key, db);
    }
    server.signal_modified_key(db, key);
    server.dirty += count as u64;
    empty
}

/// Pops up to `count` elements from one end, replying them as an array.
/// Returns how many went.
fn pop_range_reply(
    server: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    end: End,
    count: i64,
) -> i64 {
    let Some(ql) = list_mut(server, db, key) else {
        return 0;
    };
    let llen = ql.len() as i64;
    let rangelen = count.min(llen);
    let (start, stop) = match end {
        End::Head => (0, rangelen - 1),
        End::Tail => (-rangelen, -1),
    };
    add_list_range_reply(c, ql, start, stop, end == End::Tail);
    ql.del_range(start, rangelen);
    rangelen
}

/// `listPopRangeAndReplyWithKey`: `[key, [elements...]]`. Returns whether
/// the key was deleted.
fn list_pop_range_and_reply_with_key(
    server: &mut Server,
    c: &mut Client,
    key: &[u8],
    end: End,
    count: i64,
) -> bool {
    let db = c.db;
    c.add_reply_array_len(2);
    c.add_reply_bulk(key);
    let n = pop_range_reply(server, c, db, key, end, count);
    list_elements_removed(server, db, key, end, n)
}

/// `popGenericCommand`: LPOP/RPOP key [count].
fn pop_generic_command(server: &mut Server, c: &mut Client, end: End) {
    let hascount = c.argv.len() == 3;
    let mut count = 0;
    if c.argv.len() > 3 {
        let name = c
            .cmd
            .and_then(|i| server.commands.list.get(i))
            .map(|e| e.fullname.clone())
            .unwrap_or_default();
        c.add_reply_error_arity(&name);
        return;
    } else if hascount {
        let arg = c.argv[2].clone();
        let Some(n) = get_positive_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        count = n;
    }
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            if hascount {
                c.add_reply_null_array();
            } else {
                c.add_reply_null();
            }
            return;
        }
        Found::List(_) => {}
    }
    if hascount && count == 0 {
        c.add_reply_array_len(0);
        return;
    }
    if !hascount {
        let Some(v) = list_mut(server, db, &key).and_then(|ql| ql.pop(end)) else {
            return;
        };
        c.add_reply_bulk(&v);
        list_elements_removed(server, db, &key, end, 1);
    } else {
        let n = pop_range_reply(server, c, db, &key, end, count);
        list_elements_removed(server, db, &key, end, n);
    }
}

pub fn lpop_command(server: &mut Server, c: &mut Client) {
    pop_generic_command(server, c, End::Head);
}

pub fn rpop_command(server: &mut Server, c: &mut Client) {
    pop_generic_command(server, c, End::Tail);
}

/// `mpopGenericCommand`: LMPOP's pop from the first non-empty list.
fn mpop_generic_command(
    server: &mut Server,
    c: &mut Client,
    keys: &[Vec<u8>],
    end: End,
    count: i64,
) {
    for key in keys {
        match lookup(server, c, key, true) {
            Found::WrongType => return,
            Found::Missing | Found::List(0) => continue,
            Found::List(llen) => {
                list_pop_range_and_reply_with_key(server, c, key, end, count);
                let n = count.min(llen as i64);
                rewrite_as_pop(c, end, key, Some(n));
                return;
            }
        }
    }
    c.add_reply_null_array();
}

/// `rewriteClientCommandVector` to the LPOP/RPOP that replicas would run.
fn rewrite_as_pop(c: &mut Client, end: End, key: &[u8], count: Option<i64>) {
    let mut argv = vec![pop_event(end).as_bytes().to_vec(), key.to_vec()];
    if let Some(n) = count {
        argv.push(crate::util::ll_to_bytes(n));
    }
    c.retain_original_command_vector();
    c.argv.set(argv);
}

/// LRANGE key start stop
pub fn lrange_command(server: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[2].clone(), c.argv[3].clone());
    let Some(start) = get_long_from_object_or_reply(c, &a, None) else {
        return;
    };
    let Some(end) = get_long_from_object_or_reply(c, &b, None) else {
        return;
    };
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_array_len(0),
        Found::List(_) => {
            if let Some(ql) = list_mut(server, c.db, &key) {
                add_list_range_reply(c, ql, start, end, false);
            }
        }
    }
}

/// LTRIM key start stop
pub fn ltrim_command(server: &mut Server, c: &mut Client) {
    let (a, b) = (c.argv[2].clone(), c.argv[3].clone());
    let Some(mut start) = get_long_from_object_or_reply(c, &a, None) else {
        return;
    };
    let Some(mut end) = get_long_from_object_or_reply(c, &b, None) else {
        return;
    };
    let key = c.argv[1].clone();
    let db = c.db;
    let llen = match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_ok();
            return;
        }
        Found::List(n) => n as i64,
    };
    if start < 0 {
        start += llen;
    }
    if end < 0 {
        end += llen;
    }
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= llen {
        (llen, 0)
    } else {
        if end >= llen {
            end = llen - 1;
        }
        (start, llen - end - 1)
    };
    let mut empty = false;
    if let Some(ql) = list_mut(server, db, &key) {
        ql.del_range(0, ltrim);
        ql.del_range(-rtrim, rtrim);
        empty = ql.is_empty();
    }
    notify_keyspace_event(server, NOTIFY_LIST, "ltrim", &key, db);
    if empty {
        server.db_delete(db, &key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
    }
    server.signal_modified_key(db, &key);
    server.dirty += (ltrim + rtrim) as u64;
    c.add_reply_ok();
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos_command(server: &mut Server, c: &mut Client) {
    let mut rank: i64 = 1;
    let mut count: i64 = -1;
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < c.argv.len() {
        let moreargs = c.argv.len() - 1 - j > 0;
        let opt = c.argv[j].to_ascii_lowercase();
        if moreargs && opt == b"rank" {
            j += 1;
            let arg = c.argv[j].clone();
            let Some(r) = get_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            if r == 0 {
                c.add_reply_error("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                return;
            }
            rank = r;
        } else if moreargs && opt == b"count" {
            j += 1;
            let arg = c.argv[j].clone();
            let Some(n) =
                get_positive_long_from_object_or_reply(c, &arg, Some("COUNT can't be negative"))
            else {
                return;
            };
            count = n;
        } else if moreargs && opt == b"maxlen" {
            j += 1;
            let arg = c.argv[j].clone();
            let Some(n) =
                get_positive_long_from_object_or_reply(c, &arg, Some("MAXLEN can't be negative"))
            else {
                return;
            };
            maxlen = n;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    // RANK's sign is the direction: i64::MIN has no positive twin, C's
    // negation wraps and the huge rank just never matches.
    let forward = rank > 0;
    let rank = rank.unsigned_abs();
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => return,
        Found::Missing => {
            if count != -1 {
                c.add_reply_array_len(0);
            } else {
                c.add_reply_null();
            }
            return;
        }
        Found::List(_) => {}
    }
    let Some(ql) = list_mut(server, c.db, &key) else {
        return;
    };
    let ele = c.argv[2].clone();
    let deferred = if count != -1 {
        c.add_reply_deferred_len()
    } else {
        None
    };
    let llen = ql.len() as i64;
    let start = ql.index(if forward { 0 } else { -1 });
    let (mut matches, mut arraylen, mut found) = (0u64, 0i64, None);
    for (index, e) in ql.iter_from(start, forward).enumerate() {
        let index = index as i64;
        if maxlen != 0 && index >= maxlen {
            break;
        }
        if !e.eq_bytes(&ele) {
            continue;
        }
        matches += 1;
        let matchindex = if forward { index } else { llen - index - 1 };
        if matches >= rank {
            if count != -1 {
                arraylen += 1;
                c.add_reply_long_long(matchindex);
                if count != 0 && (matches - rank + 1) as i64 >= count {
                    break;
                }
            } else {
                found = Some(matchindex);
                break;
            }
        }
    }
    if count != -1 {
        c.set_deferred_array_len(deferred, arraylen);
    } else if let Some(i) = found {
        c.add_reply_long_long(i);
    } else {
        c.add_reply_null();
    }
}

/// LREM key count element
pub fn lrem_command(server: &mut Server, c: &mut Client) {
    let arg = c.argv[2].clone();
    let Some(toremove) = get_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_long_long(0);
            return;
        }
        Found::List(_) => {}
    }
    let (mut removed, mut empty) = (0, false);
    if let Some(ql) = list_mut(server, db, &key) {
        removed = ql.remove_matching(&c.argv[3], toremove.unsigned_abs(), toremove >= 0);
        empty = ql.is_empty();
    }
    server.dirty += removed;
    if removed > 0 {
        server.signal_modified_key(db, &key);
        notify_keyspace_event(server, NOTIFY_LIST, "lrem", &key, db);
    }
    if empty {
        server.db_delete(db, &key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
    }
    c.add_reply_long_long(removed as i64);
}

/// `lmoveHandlePush`: pushes the moved element into the destination
/// (created if needed) and replies it.
fn lmove_handle_push(
    server: &mut Server,
    c: &mut Client,
    db: usize,
    dstkey: &[u8],
    value: &[u8],
    end: End,
) {
    server.signal_modified_key(db, dstkey);
    push_into(server, db, dstkey, value, end);
    notify_keyspace_event(server, NOTIFY_LIST, push_event(end), dstkey, db);
    c.add_reply_bulk(value);
}

/// `getListPositionFromObjectOrReply`: LEFT or RIGHT.
fn get_list_position_or_reply(c: &mut Client, i: usize) -> Option<End> {
    if c.argv[i].eq_ignore_ascii_case(b"right") {
        Some(End::Tail)
    } else if c.argv[i].eq_ignore_ascii_case(b"left") {
        Some(End::Head)
    } else {
        c.add_reply_syntax_error();
        None
    }
}

/// `lmoveGenericCommand`: LMOVE/RPOPLPUSH, and the non-blocking path of
/// BLMOVE/BRPOPLPUSH (rewritten to their non-blocking forms).
fn lmove_generic_command(server: &mut Server, c: &mut Client, from: End, to: End) {
    let src = c.argv[1].clone();
    let dst = c.argv[2].clone();
    let db = c.db;
    match lookup(server, c, &src, true) {
        Found::WrongType => return,
        Found::Missing | Found::List(0) => {
            c.add_reply_null();
            return;
        }
        Found::List(_) => {}
    }
    if let Found::WrongType = lookup(server, c, &dst, true) {
        return;
    }
    let Some(value) = list_mut(server, db, &src).and_then(|ql| ql.pop(from)) else {
        return;
    };
    lmove_handle_push(server, c, db, &dst, &value, to);
    notify_keyspace_event(server, NOTIFY_LIST, pop_event(from), &src, db);
    if list_mut(server, db, &src).is_none_or(|ql| ql.is_empty()) {
        server.db_delete(db, &src);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &src, db);
    }
    server.signal_modified_key(db, &src);
    server.dirty += 1;
    let name = c.argv[0].to_ascii_lowercase();
    if name == b"blmove" {
        let argv = vec![
            b"lmove".to_vec(),
            src,
            dst,
            c.argv[3].clone(),
            c.argv[4].clone(),
        ];
        c.retain_original_command_vector();
        c.argv.set(argv);
    } else if name == b"brpoplpush" {
        c.retain_original_command_vector();
        c.argv.set(vec![b"rpoplpush".to_vec(), src, dst]);
    }
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub fn lmove_command(server: &mut Server, c: &mut Client) {
    let Some(from) = get_list_position_or_reply(c, 3) else {
        return;
    };
    let Some(to) = get_list_position_or_reply(c, 4) else {
        return;
    };
    lmove_generic_command(server, c, from, to);
}

/// RPOPLPUSH source destination
pub fn rpoplpush_command(server: &mut Server, c: &mut Client) {
    lmove_generic_command(server, c, End::Tail, End::Head);
}

// ----------------------------------------------------------------------
// Blocking operations.
// ----------------------------------------------------------------------

/// `serveClientBlockedOnList`: answers one client blocked on `key`, which
/// holds a non-empty list. Returns whether the key was deleted.
fn serve_client_blocked_on_list(
    server: &mut Server,
    receiver: &mut Client,
    db: usize,
    key: &[u8],
) -> bool {
    let from = end_of(receiver.bpop.blockpos.wherefrom);
    let to = end_of(receiver.bpop.blockpos.whereto);
    let Some(dstkey) = receiver.bpop.target.clone() else {
        let is_blmpop = receiver
            .argv
            .first()
            .is_some_and(|a| a.eq_ignore_ascii_case(b"blmpop"));
        if is_blmpop {
            let count = receiver.bpop.count;
            return list_pop_range_and_reply_with_key(server, receiver, key, from, count);
        }
        let Some(value) = list_mut(server, db, key).and_then(|ql| ql.pop(from)) else {
            return false;
        };
        receiver.add_reply_array_len(2);
        receiver.add_reply_bulk(key);
        receiver.add_reply_bulk(&value);
        notify_keyspace_event(server, NOTIFY_LIST, pop_event(from), key, db);
        return delete_if_empty(server, db, key);
    };
    if let Found::WrongType = lookup(server, receiver, &dstkey, true) {
        // The error went to the receiver; the element stays where it is.
        return false;
    }
    let Some(value) = list_mut(server, db, key).and_then(|ql| ql.pop(from)) else {
        return false;
    };
    lmove_handle_push(server, receiver, db, &dstkey, &value, to);
    notify_keyspace_event(server, NOTIFY_LIST, pop_event(from), key, db);
    delete_if_empty(server, db, key)
}

fn delete_if_empty(server: &mut Server, db: usize, key: &[u8]) -> bool {
    if list_mut(server, db, key).is_none_or(|ql| ql.is_empty()) {
        server.db_delete(db, key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", key, db);
        return true;
    }
    false
}

/// `serveClientsBlockedOnListKey`: serves the clients waiting on `key`, in
/// the order they blocked, while the list has elements.
pub fn serve_clients_blocked_on_list_key(server: &mut Server, db: usize, key: &[u8]) {
    if server.blocked.blocked_clients_by_type[BLOCKED_LIST as usize] == 0 {
        return;
    }
    for slot in blocked::clients_blocked_on(server, db, key) {
        let Some(mut receiver) = server.take_client(slot) else {
            continue;
        };
        if receiver.btype != BLOCKED_LIST {
            server.put_client_back(receiver, true);
            continue;
        }
        let start = crate::util::ustime();
        let deleted = serve_client_blocked_on_list(server, &mut receiver, db, key);
        blocked::finish_serving_blocked_client(server, receiver, start);
        if deleted {
            break;
        }
    }
}

/// `blockingPopGenericCommand`: BLPOP, BRPOP, BLMPOP.
fn blocking_pop_generic_command(
    server: &mut Server,
    c: &mut Client,
    keys: Vec<Vec<u8>>,
    end: End,
    timeout_idx: usize,
    count: i64,
) {
    let arg = c.argv[timeout_idx].clone();
    let Some(timeout) = blocked::get_timeout_from_object_or_reply(c, &arg, blocked::UNIT_SECONDS)
    else {
        return;
    };
    for key in &keys {
        match lookup(server, c, key, true) {
            Found::WrongType => return,
            Found::Missing | Found::List(0) => continue,
            Found::List(llen) => {
                if count != -1 {
                    list_pop_range_and_reply_with_key(server, c, key, end, count);
                    rewrite_as_pop(c, end, key, Some(count.min(llen as i64)));
                    return;
                }
                let db = c.db;
                let Some(v) = list_mut(server, db, key).and_then(|ql| ql.pop(end)) else {
                    return;
                };
                c.add_reply_array_len(2);
                c.add_reply_bulk(key);
                c.add_reply_bulk(&v);
                list_elements_removed(server, db, key, end, 1);
                rewrite_as_pop(c, end, key, None);
                return;
            }
        }
    }
    if c.flags & CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_null_array();
        return;
    }
    let pos = BlockPos {
        wherefrom: if end == End::Head {
            LIST_HEAD
        } else {
            LIST_TAIL
        },
        whereto: 0,
    };
    let wait = BlockingState {
        timeout,
        blockpos: pos,
        count,
        ..Default::default()
    };
    blocked::block_for_keys(server, c, BLOCKED_LIST, &keys, wait);
}

/// BLPOP key [key ...] timeout
pub fn blpop_command(server: &mut Server, c: &mut Client) {
    let n = c.argv.len();
    let keys = c.argv[1..n - 1].to_vec();
    blocking_pop_generic_command(server, c, keys, End::Head, n - 1, -1);
}

/// BRPOP key [key ...] timeout
pub fn brpop_command(server: &mut Server, c: &mut Client) {
    let n = c.argv.len();
    let keys = c.argv[1..n - 1].to_vec();
    blocking_pop_generic_command(server, c, keys, End::Tail, n - 1, -1);
}

/// `blmoveGenericCommand`.
fn blmove_generic_command(server: &mut Server, c: &mut Client, from: End, to: End, timeout: i64) {
    let src = c.argv[1].clone();
    match lookup(server, c, &src, true) {
        Found::WrongType => {}
        Found::Missing => {
            if c.flags & CLIENT_DENY_BLOCKING != 0 {
                c.add_reply_null();
            } else {
                let pos = BlockPos {
                    wherefrom: if from == End::Head {
                        LIST_HEAD
                    } else {
                        LIST_TAIL
                    },
                    whereto: if to == End::Head {
                        LIST_HEAD
                    } else {
                        LIST_TAIL
                    },
                };
                let wait = BlockingState {
                    timeout,
                    target: Some(c.argv[2].clone()),
                    blockpos: pos,
                    count: -1,
                    ..Default::default()
                };
                blocked::block_for_keys(server, c, BLOCKED_LIST, &[src], wait);
            }
        }
        Found::List(_) => lmove_generic_command(server, c, from, to),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub fn blmove_command(server: &mut Server, c: &mut Client) {
    let Some(from) = get_list_position_or_reply(c, 3) else {
        return;
    };
    let Some(to) = get_list_position_or_reply(c, 4) else {
        return;
    };
    let arg = c.argv[5].clone();
    let Some(timeout) = blocked::get_timeout_from_object_or_reply(c, &arg, blocked::UNIT_SECONDS)
    else {
        return;
    };
    blmove_generic_command(server, c, from, to, timeout);
}

/// BRPOPLPUSH source destination timeout
pub fn brpoplpush_command(server: &mut Server, c: &mut Client) {
    let arg = c.argv[3].clone();
    let Some(timeout) = blocked::get_timeout_from_object_or_reply(c, &arg, blocked::UNIT_SECONDS)
    else {
        return;
    };
    blmove_generic_command(server, c, End::Tail, End::Head, timeout);
}

/// `lmpopGenericCommand`: [B]LMPOP [timeout] numkeys key... LEFT|RIGHT
/// [COUNT count].
fn lmpop_generic_command(server: &mut Server, c: &mut Client, numkeys_idx: usize, is_block: bool) {
    let arg = c.argv[numkeys_idx].clone();
    let Some(numkeys) = get_range_long_from_object_or_reply(
        c,
        &arg,
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    ) else {
        return;
    };
    let where_idx = (numkeys_idx as i64)
        .saturating_add(numkeys)
        .saturating_add(1);
    if where_idx >= c.argv.len() as i64 {
        c.add_reply_syntax_error();
        return;
    }
    let where_idx = where_idx as usize;
    let Some(end) = get_list_position_or_reply(c, where_idx) else {
        return;
    };
    let mut count = -1;
    let mut j = where_idx + 1;
    while j < c.argv.len() {
        let moreargs = c.argv.len() - 1 - j > 0;
        if count == -1 && moreargs && c.argv[j].eq_ignore_ascii_case(b"count") {
            j += 1;
            let arg = c.argv[j].clone();
            let Some(n) = get_range_long_from_object_or_reply(
                c,
                &arg,
                1,
                i64::MAX,
                Some("count should be greater than 0"),
            ) else {
                return;
            };
            count = n;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    if count == -1 {
        count = 1;
    }
    let keys = c.argv[numkeys_idx + 1..where_idx].to_vec();
    if is_block {
        blocking_pop_generic_command(server, c, keys, end, 1, count);
    } else {
        mpop_generic_command(server, c, &keys, end, count);
    }
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn lmpop_command(server: &mut Server, c: &mut Client) {
    lmpop_generic_command(server, c, 1, false);
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub fn blmpop_command(server: &mut Server, c: &mut Client) {
    lmpop_generic_command(server, c, 2, true);
}

// ----------------------------------------------------------------------
// Hooks for object.c and debug.c.
// ----------------------------------------------------------------------

/// The quicklist part of `objectComputeSize`: the struct plus the average
/// of up to 5 sampled nodes times the node count, as C estimates it.
pub fn list_compute_size(ql: &Quicklist) -> usize {
    const SAMPLES: usize = 5;
    const QUICKLIST_SIZE: usize = 40;
    const NODE_SIZE: usize = 32;
    let mut elesize = 0;
    let mut samples = 0;
    for n in ql.nodes().take(SAMPLES) {
        elesize += NODE_SIZE + n.alloc_size();
        samples += 1;
    }
    let nodes = if samples > 0 {
        (elesize as f64 / samples as f64 * ql.node_count() as f64) as usize
    } else {
        0
    };
    QUICKLIST_SIZE + nodes
}

/// The list part of `xorObjectDigest`: every element mixed in order, as
/// a string.
pub fn mix_list_digest(digest: &mut [u8; 20], o: &RObj) {
    if let Value::List(ql) = &o.value {
        for e in ql.iter() {
            match e {
                LpEntry::Str(s) => crate::debug::mix_digest(digest, s),
                LpEntry::Int(v) => crate::debug::mix_digest(digest, &crate::util::ll_to_bytes(v)),
            }
        }
    }
}
