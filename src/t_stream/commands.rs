//! The stream commands that do not manage groups (XADD, XRANGE, XREVRANGE,
//! XLEN, XREAD/XREADGROUP, XDEL, XTRIM, XSETID), the range replies they
//! share with the group commands, and the serving of clients blocked in
//! XREAD/XREADGROUP BLOCK.
//!
//! A blocked reader keeps, in `c.bpop.xread`, the ID it waits to see
//! exceeded on each key (or its group and consumer); a write that adds
//! entries signals the key ready and `blocked` calls
//! [`serve_clients_blocked_on_stream_key`]. A key that stops being a stream
//! (deleted, overwritten, flushed, swapped away) is signalled too, and its
//! XREADGROUP readers get an error, since their group went with it.

use std::collections::BTreeMap;

use super::{
    add_reply_lp_entry, add_reply_stream_id, AppendError, Stream, StreamCG, StreamId, StreamMeta,
    StreamNack, TrimArgs, TrimStrategy, SCG_INVALID_ENTRIES_READ,
};
use crate::blocked::{self, BlockingState, BLOCKED_STREAM};
use crate::config::NOTIFY_STREAM;
use crate::listpack::Listpack;
use crate::networking::{Client, CLIENT_DENY_BLOCKING};
use crate::notify::notify_keyspace_event;
use crate::object::{get_long_long_from_object_or_reply, ObjType, RObj, Value};
use crate::server::Server;

/// Entries a blocked XREAD without COUNT gets at most.
const XREAD_BLOCKED_DEFAULT_COUNT: i64 = 1000;

/// What a client blocked in XREAD/XREADGROUP waits for (the stream part
/// of C's `bpop` and its per-key `bkinfo`).
#[derive(Clone, Debug, Default)]
pub struct XreadWait {
    /// Per key, the ID an entry must exceed to be served.
    pub ids: Vec<(Vec<u8>, StreamId)>,
    pub count: i64,
    /// XREADGROUP: the group and consumer names.
    pub group: Option<(Vec<u8>, Vec<u8>)>,
    pub noack: bool,
}

// ----------------------------------------------------------------------
// Lookups and ID parsing.
// ----------------------------------------------------------------------

/// The stream stored at `key`, without a lookup's side effects.
pub(crate) fn stream_mut<'a>(
    server: &'a mut Server,
    db: usize,
    key: &[u8],
) -> Option<&'a mut Stream> {
    match server.dbs[db].dict.get_mut(key) {
        Some(RObj {
            value: Value::Stream(s),
            ..
        }) => Some(s.as_mut()),
        _ => None,
    }
}

/// What a lookup found: nothing, a stream, or another type (WRONGTYPE
/// replied).
pub(crate) enum Found {
    Missing,
    Stream,
    WrongType,
}

pub(crate) fn lookup(server: &mut Server, c: &mut Client, key: &[u8], write: bool) -> Found {
    let o = if write {
        server.lookup_key_write(c.db, key)
    } else {
        server.lookup_key_read(c.db, key)
    };
    match o {
        None => Found::Missing,
        Some(RObj {
            value: Value::Stream(_),
            ..
        }) => Found::Stream,
        Some(_) => {
            c.add_reply_wrongtype();
            Found::WrongType
        }
    }
}

/// `streamGenericParseIDOrReply` without the reply: `<ms>-<seq>`, `<ms>`
/// (seq = `missing_seq`), `-` and `+` unless `strict`, and `<ms>-*` when
/// `seq_given` is asked for (it is then false).
pub fn stream_parse_id(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    seq_given: Option<&mut bool>,
) -> Option<StreamId> {
    if arg.len() > 127 {
        return None;
    }
    // The C code works on a NUL-terminated copy.
    let buf = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if strict && (buf == b"-" || buf == b"+") {
        return None;
    }
    let mut given = true;
    let id = if buf == b"-" {
        StreamId::ZERO
    } else if buf == b"+" {
        StreamId::MAX
    } else {
        let (ms_part, seq_part) = match buf.iter().position(|&b| b == b'-') {
            Some(d) => (&buf[..d], Some(&buf[d + 1..])),
            None => (buf, None),
        };
        let ms = crate::util::string2ull(ms_part)?;
        let seq = match seq_part {
            Some(b"*") if seq_given.is_some() => {
                given = false;
                0
            }
            Some(s) => crate::util::string2ull(s)?,
            None => missing_seq,
        };
        StreamId { ms, seq }
    };
    if let Some(g) = seq_given {
        *g = given;
    }
    Some(id)
}

const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

/// `streamParseIDOrReply`.
pub fn parse_id_or_reply(c: &mut Client, arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    let id = stream_parse_id(arg, missing_seq, false, None);
    if id.is_none() {
        c.add_reply_error(INVALID_ID);
    }
    id
}

/// `streamParseStrictIDOrReply`.
pub fn parse_strict_id_or_reply(
    c: &mut Client,
    arg: &[u8],
    missing_seq: u64,
    seq_given: Option<&mut bool>,
) -> Option<StreamId> {
    let id = stream_parse_id(arg, missing_seq, true, seq_given);
    if id.is_none() {
        c.add_reply_error(INVALID_ID);
    }
    id
}

/// `streamParseIntervalIDOrReply`: an ID that may start with `(` for an
/// exclusive bound; returns it and whether it was exclusive.
pub fn parse_interval_id_or_reply(
    c: &mut Client,
    arg: &[u8],
    missing_seq: u64,
) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_strict_id_or_reply(c, &arg[1..], missing_seq, None).map(|id| (id, true))
    } else {
        parse_id_or_reply(c, arg, missing_seq).map(|id| (id, false))
    }
}

/// Parses `[(]start` and `[(]end` into an inclusive range, with the errors
/// of XRANGE and XPENDING.
pub fn parse_range_or_reply(
    c: &mut Client,
    start: &[u8],
    end: &[u8],
) -> Option<(StreamId, StreamId)> {
    let (mut startid, startex) = parse_interval_id_or_reply(c, start, 0)?;
    if startex && !startid.incr() {
        c.add_reply_error("invalid start ID for the interval");
        return None;
    }
    let (mut endid, endex) = parse_interval_id_or_reply(c, end, u64::MAX)?;
    if endex && !endid.decr() {
        c.add_reply_error("invalid end ID for the interval");
        return None;
    }
    Some((startid, endid))
}

// ----------------------------------------------------------------------
// Range replies.
// ----------------------------------------------------------------------

/// `streamReplyWithRange` without a group: the entries from `start` to
/// `end` (at most `count`, 0 for all), each as `[id, [field, value...]]`;
/// with `raw` the entries are emitted without the enclosing array.
pub fn reply_with_range(
    c: &mut Client,
    rax: &BTreeMap<StreamId, Listpack>,
    start: Option<StreamId>,
    end: Option<StreamId>,
    count: usize,
    rev: bool,
    raw: bool,
) -> usize {
    let dl = if raw {
        None
    } else {
        c.add_reply_deferred_len()
    };
    let mut si = super::StreamIterator::new(rax, start, end, rev);
    let mut arraylen = 0;
    while let Some((id, numfields)) = si.get_id() {
        emit_entry(c, &mut si, id, numfields);
        arraylen += 1;
        if count != 0 && count == arraylen {
            break;
        }
    }
    if !raw {
        c.set_deferred_array_len(dl, arraylen as i64);
    }
    arraylen
}

fn emit_entry(c: &mut Client, si: &mut super::StreamIterator<'_>, id: StreamId, numfields: i64) {
    c.add_reply_array_len(2);
    add_reply_stream_id(c, id);
    c.add_reply_array_len(numfields * 2);
    for _ in 0..numfields {
        let (f, v) = si.get_field();
        add_reply_lp_entry(c, f);
        add_reply_lp_entry(c, v);
    }
}

/// Records the delivery of `id` to `consumer`: a new NACK, or the existing
/// one moved to this consumer with its count reset.
fn deliver_to_consumer(cg: &mut StreamCG, id: StreamId, consumer: &[u8], now: i64) {
    if let Some(nack) = cg.pel.get_mut(&id) {
        let old = std::mem::replace(&mut nack.consumer, consumer.to_vec());
        nack.delivery_time = now;
        nack.delivery_count = 1;
        if let Some(prev) = cg.consumers.get_mut(&old) {
            prev.pel.remove(&id);
        }
    } else {
        cg.pel.insert(
            id,
            StreamNack {
                delivery_time: now,
                delivery_count: 1,
                consumer: consumer.to_vec(),
            },
        );
    }
    if let Some(c) = cg.consumers.get_mut(consumer) {
        c.pel.insert(id);
    }
}

/// `streamReplyWithRange` for a group read (XREADGROUP with `>`): entries
/// after `start` move the group's last ID and read counter, and unless
/// `noack` are added to the PELs of the group and the consumer.
fn reply_with_range_group(
    c: &mut Client,
    s: &mut Stream,
    start: StreamId,
    count: usize,
    group: &[u8],
    consumer: &[u8],
    noack: bool,
) -> usize {
    let meta: StreamMeta = s.meta();
    let Stream { rax, cgroups, .. } = s;
    let Some(cg) = cgroups.get_mut(group) else {
        c.add_reply_array_len(0);
        return 0;
    };
    let dl = c.add_reply_deferred_len();
    let mut si = super::StreamIterator::new(rax, Some(start), None, false);
    let mut arraylen = 0;
    let now = crate::util::mstime();
    while let Some((id, numfields)) = si.get_id() {
        if id > cg.last_id {
            if cg.entries_read != SCG_INVALID_ENTRIES_READ
                && !meta.range_has_tombstones(Some(id), None)
            {
                cg.entries_read += 1;
            } else if meta.entries_added != 0 {
                cg.entries_read = meta.estimate_distance_from_first_ever_entry(id);
            }
            cg.last_id = id;
        }
        emit_entry(c, &mut si, id, numfields);
        if !noack {
            deliver_to_consumer(cg, id, consumer, now);
        }
        arraylen += 1;
        if count != 0 && count == arraylen {
            break;
        }
    }
    c.set_deferred_array_len(dl, arraylen as i64);
    arraylen
}

/// `streamReplyWithRangeFromConsumerPEL`: XREADGROUP with an explicit ID
/// serves the consumer's own pending entries from `start`, counting a
/// delivery for each; an entry deleted since is `[id, nil]`.
fn reply_with_range_from_consumer_pel(
    c: &mut Client,
    s: &mut Stream,
    start: StreamId,
    count: usize,
    group: &[u8],
    consumer: &[u8],
) -> usize {
    let Stream { rax, cgroups, .. } = s;
    let Some(cg) = cgroups.get_mut(group) else {
        c.add_reply_array_len(0);
        return 0;
    };
    let ids: Vec<StreamId> = match cg.consumers.get(consumer) {
        Some(cons) => cons
            .pel
            .range(start..)
            .take(if count == 0 { usize::MAX } else { count })
            .copied()
            .collect(),
        None => Vec::new(),
    };
    c.add_reply_array_len(ids.len() as i64);
    let now = crate::util::mstime();
    for id in &ids {
        if reply_with_range(c, rax, Some(*id), Some(*id), 1, false, true) == 0 {
            c.add_reply_array_len(2);
            add_reply_stream_id(c, *id);
            c.add_reply_null_array();
        } else if let Some(nack) = cg.pel.get_mut(id) {
            nack.delivery_time = now;
            nack.delivery_count += 1;
        }
    }
    ids.len()
}

// ----------------------------------------------------------------------
// XADD and XTRIM.
// ----------------------------------------------------------------------

/// `streamAddTrimArgs`.
#[derive(Default)]
struct AddTrimArgs {
    trim: TrimArgs,
    /// XADD's explicit ID, with whether its seq part was given.
    id: Option<StreamId>,
    seq_given: bool,
    no_mkstream: bool,
}

/// `streamParseAddOrTrimArgsOrReply`: the options of XADD (up to the ID,
/// whose index is returned) or XTRIM.
fn parse_add_or_trim_args_or_reply(
    server: &Server,
    c: &mut Client,
    xadd: bool,
) -> Option<(AddTrimArgs, usize)> {
    let mut args = AddTrimArgs::default();
    let mut limit_given = false;
    let argc = c.argv.len();
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        let opt = c.argv[i].clone();
        if xadd && opt == b"*" {
            break;
        } else if (opt.eq_ignore_ascii_case(b"maxlen") || opt.eq_ignore_ascii_case(b"minid"))
            && moreargs > 0
        {
            if args.trim.strategy != TrimStrategy::None {
                c.add_reply_error(
                    "syntax error, MAXLEN and MINID options at the same time are not compatible",
                );
                return None;
            }
            args.trim.approx = false;
            let next = &c.argv[i + 1];
            if moreargs >= 2 && next == b"~" {
                args.trim.approx = true;
                i += 1;
            } else if moreargs >= 2 && next == b"=" {
                i += 1;
            }
            let val = c.argv[i + 1].clone();
            if opt.eq_ignore_ascii_case(b"maxlen") {
                let maxlen = get_long_long_from_object_or_reply(c, &val, None)?;
                if maxlen < 0 {
                    c.add_reply_error("The MAXLEN argument must be >= 0.");
                    return None;
                }
                args.trim.strategy = TrimStrategy::MaxLen(maxlen);
            } else {
                let id = parse_strict_id_or_reply(c, &val, 0, None)?;
                args.trim.strategy = TrimStrategy::MinId(id);
            }
            i += 1;
        } else if opt.eq_ignore_ascii_case(b"limit") && moreargs > 0 {
            let val = c.argv[i + 1].clone();
            let limit = get_long_long_from_object_or_reply(c, &val, None)?;
            if limit < 0 {
                c.add_reply_error("The LIMIT argument must be >= 0.");
                return None;
            }
            args.trim.limit = limit;
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            args.no_mkstream = true;
        } else if xadd {
            let mut seq_given = true;
            args.id = Some(parse_strict_id_or_reply(c, &opt, 0, Some(&mut seq_given))?);
            args.seq_given = seq_given;
            break;
        } else {
            c.add_reply_syntax_error();
            return None;
        }
        i += 1;
    }
    if args.trim.limit != 0 && args.trim.strategy == TrimStrategy::None {
        c.add_reply_error(
            "syntax error, LIMIT cannot be used without specifying a trimming strategy",
        );
        return None;
    }
    if !xadd && args.trim.strategy == TrimStrategy::None {
        c.add_reply_error("syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if limit_given {
        if !args.trim.approx {
            c.add_reply_error("syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if args.trim.approx {
        // A default cap on the work an approximate trim may do: 100 nodes.
        let mut limit = 100i64.saturating_mul(server.config.stream_node_max_entries);
        if limit <= 0 {
            limit = 10000;
        }
        args.trim.limit = limit.min(1_000_000);
    } else {
        args.trim.limit = 0;
    }
    Some((args, i))
}

/// XADD key [NOMKSTREAM] [(MAXLEN|MINID) [=|~] threshold [LIMIT count]]
/// (*|id) field value [field value ...]
pub fn xadd_command(server: &mut Server, c: &mut Client) {
    let Some((args, idpos)) = parse_add_or_trim_args_or_reply(server, c, true) else {
        return;
    };
    let field_pos = idpos + 1;
    let nargs = c.argv.len().saturating_sub(field_pos);
    if nargs < 2 || nargs % 2 == 1 {
        c.add_reply_error_arity("xadd");
        return;
    }
    if args.seq_given && args.id == Some(StreamId::ZERO) {
        c.add_reply_error("The ID specified in XADD must be greater than 0-0");
        return;
    }
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing if args.no_mkstream => {
            c.add_reply_null();
            return;
        }
        Found::Missing => server.db_add(db, &key, RObj::new(Value::Stream(Box::default()))),
        Found::Stream => {}
    }
    let max_bytes = server.config.stream_node_max_bytes;
    let max_entries = server.config.stream_node_max_entries;
    let Some(s) = stream_mut(server, db, &key) else {
        return;
    };
    if s.last_id == StreamId::MAX {
        c.add_reply_error(
            "The stream has exhausted the last possible ID, unable to add more items",
        );
        return;
    }
    let id = match s.append_item(
        &c.argv[field_pos..],
        args.id,
        args.seq_given,
        max_bytes,
        max_entries,
    ) {
        Ok(id) => id,
        Err(AppendError::IdTooSmall) => {
            c.add_reply_error(
                "The ID specified in XADD is equal or smaller than the target stream top item",
            );
            return;
        }
        Err(AppendError::TooLarge) => {
            c.add_reply_error("Elements are too large to be stored");
            return;
        }
    };
    add_reply_stream_id(c, id);
    let trimmed = args.trim.strategy != TrimStrategy::None && s.trim(&args.trim) != 0;
    server.signal_modified_key(db, &key);
    notify_keyspace_event(server, NOTIFY_STREAM, "xadd", &key, db);
    server.dirty += 1;
    if trimmed {
        notify_keyspace_event(server, NOTIFY_STREAM, "xtrim", &key, db);
    }
    blocked::signal_key_as_ready(server, db, &key, ObjType::Stream);
}

/// XTRIM key (MAXLEN|MINID) [=|~] threshold [LIMIT count]
pub fn xtrim_command(server: &mut Server, c: &mut Client) {
    let Some((args, _)) = parse_add_or_trim_args_or_reply(server, c, false) else {
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
        Found::Stream => {}
    }
    let deleted = stream_mut(server, db, &key).map_or(0, |s| s.trim(&args.trim));
    if deleted != 0 {
        notify_keyspace_event(server, NOTIFY_STREAM, "xtrim", &key, db);
        server.signal_modified_key(db, &key);
        server.dirty += deleted as u64;
    }
    c.add_reply_long_long(deleted);
}

// ----------------------------------------------------------------------
// XRANGE, XREVRANGE, XLEN, XDEL, XSETID.
// ----------------------------------------------------------------------

/// `xrangeGenericCommand`.
fn xrange_generic_command(server: &mut Server, c: &mut Client, rev: bool) {
    let (startarg, endarg) = if rev {
        (c.argv[3].clone(), c.argv[2].clone())
    } else {
        (c.argv[2].clone(), c.argv[3].clone())
    };
    let Some((startid, endid)) = parse_range_or_reply(c, &startarg, &endarg) else {
        return;
    };
    let mut count: i64 = -1;
    let mut j = 4;
    while j < c.argv.len() {
        let additional = c.argv.len() - j - 1;
        if c.argv[j].eq_ignore_ascii_case(b"count") && additional >= 1 {
            let arg = c.argv[j + 1].clone();
            let Some(n) = get_long_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            count = n.max(0);
            j += 1;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_array_len(0),
        Found::Stream => {
            let Some(s) = stream_mut(server, c.db, &key) else {
                return;
            };
            if count == 0 {
                c.add_reply_null_array();
            } else {
                let count = if count == -1 { 0 } else { count as usize };
                reply_with_range(c, &s.rax, Some(startid), Some(endid), count, rev, false);
            }
        }
    }
}

/// XRANGE key start end [COUNT count]
pub fn xrange_command(server: &mut Server, c: &mut Client) {
    xrange_generic_command(server, c, false);
}

/// XREVRANGE key end start [COUNT count]
pub fn xrevrange_command(server: &mut Server, c: &mut Client) {
    xrange_generic_command(server, c, true);
}

/// XLEN key
pub fn xlen_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_long_long(0),
        Found::Stream => {
            let len = stream_mut(server, c.db, &key).map_or(0, |s| s.length);
            c.add_reply_long_long(len as i64);
        }
    }
}

/// XDEL key id [id ...]
pub fn xdel_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_long_long(0);
            return;
        }
        Found::Stream => {}
    }
    // All the IDs are checked before anything is deleted.
    let mut ids = Vec::with_capacity(c.argv.len() - 2);
    for j in 2..c.argv.len() {
        let arg = c.argv[j].clone();
        let Some(id) = parse_strict_id_or_reply(c, &arg, 0, None) else {
            return;
        };
        ids.push(id);
    }
    let Some(s) = stream_mut(server, db, &key) else {
        return;
    };
    let mut deleted: i64 = 0;
    let mut first_entry = false;
    for id in ids {
        if s.delete_item(id) {
            if id == s.first_id {
                first_entry = true;
            }
            if id > s.max_deleted_entry_id {
                s.max_deleted_entry_id = id;
            }
            deleted += 1;
        }
    }
    if deleted != 0 {
        if s.length == 0 {
            s.first_id = StreamId::ZERO;
        } else if first_entry {
            s.first_id = s.get_edge_id(true, true);
        }
        server.signal_modified_key(db, &key);
        notify_keyspace_event(server, NOTIFY_STREAM, "xdel", &key, db);
        server.dirty += deleted as u64;
    }
    c.add_reply_long_long(deleted);
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid_command(server: &mut Server, c: &mut Client) {
    let arg = c.argv[2].clone();
    let Some(id) = parse_strict_id_or_reply(c, &arg, 0, None) else {
        return;
    };
    let mut max_xdel_id = StreamId::ZERO;
    let mut entries_added: i64 = -1;
    let mut i = 3;
    while i < c.argv.len() {
        let moreargs = c.argv.len() - 1 - i;
        let opt = c.argv[i].clone();
        if opt.eq_ignore_ascii_case(b"entriesadded") && moreargs > 0 {
            let v = c.argv[i + 1].clone();
            let Some(n) = get_long_long_from_object_or_reply(c, &v, None) else {
                return;
            };
            if n < 0 {
                c.add_reply_error("entries_added must be positive");
                return;
            }
            entries_added = n;
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"maxdeletedid") && moreargs > 0 {
            let v = c.argv[i + 1].clone();
            let Some(m) = parse_strict_id_or_reply(c, &v, 0, None) else {
                return;
            };
            if id < m {
                c.add_reply_error(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
                return;
            }
            max_xdel_id = m;
            i += 2;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }
    let key = c.argv[1].clone();
    let db = c.db;
    match lookup(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_error("no such key");
            return;
        }
        Found::Stream => {}
    }
    let Some(s) = stream_mut(server, db, &key) else {
        return;
    };
    if s.length > 0 {
        if id < s.last_valid_id() {
            c.add_reply_error(
                "The ID specified in XSETID is smaller than the target stream top item",
            );
            return;
        }
        if entries_added != -1 && s.length > entries_added as u64 {
            c.add_reply_error(
                "The entries_added specified in XSETID is smaller than the target stream length",
            );
            return;
        }
    }
    s.last_id = id;
    if entries_added != -1 {
        s.entries_added = entries_added as u64;
    }
    if !max_xdel_id.is_zero() {
        s.max_deleted_entry_id = max_xdel_id;
    }
    c.add_reply_ok();
    server.dirty += 1;
    notify_keyspace_event(server, NOTIFY_STREAM, "xsetid", &key, db);
}

// ----------------------------------------------------------------------
// XREAD and XREADGROUP.
// ----------------------------------------------------------------------

/// Creates the consumer if needed, with its notification and dirty count
/// (`streamCreateConsumer` with `SCC_DEFAULT`); refreshes its seen time
/// otherwise.
fn lookup_or_create_consumer(
    server: &mut Server,
    db: usize,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
) {
    let created = stream_mut(server, db, key)
        .and_then(|s| s.cgroups.get_mut(group))
        .is_some_and(|cg| {
            cg.lookup_consumer(consumer, false).is_none() && cg.create_consumer(consumer)
        });
    if created {
        server.dirty += 1;
        notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-createconsumer", key, db);
    }
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
/// and XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
/// [NOACK] STREAMS key [key ...] id [id ...]
pub fn xread_command(server: &mut Server, c: &mut Client) {
    let xreadgroup = c.argv[0].len() == 10;
    let argc = c.argv.len();
    let mut timeout: i64 = -1;
    let mut count: i64 = 0;
    let mut streams_arg = 0;
    let mut streams_count = 0;
    let mut noack = false;
    let mut group: Option<(Vec<u8>, Vec<u8>)> = None;

    // 1) Options.
    let mut i = 1;
    while i < argc {
        let moreargs = argc - i - 1;
        let o = c.argv[i].clone();
        if o.eq_ignore_ascii_case(b"block") && moreargs > 0 {
            i += 1;
            let arg = c.argv[i].clone();
            let Some(t) =
                blocked::get_timeout_from_object_or_reply(c, &arg, blocked::UNIT_MILLISECONDS)
            else {
                return;
            };
            timeout = t;
        } else if o.eq_ignore_ascii_case(b"count") && moreargs > 0 {
            i += 1;
            let arg = c.argv[i].clone();
            let Some(n) = get_long_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            count = n.max(0);
        } else if o.eq_ignore_ascii_case(b"streams") && moreargs > 0 {
            streams_arg = i + 1;
            streams_count = argc - streams_arg;
            if streams_count % 2 != 0 {
                c.add_reply_error(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
                return;
            }
            streams_count /= 2;
            break;
        } else if o.eq_ignore_ascii_case(b"group") && moreargs >= 2 {
            if !xreadgroup {
                c.add_reply_error(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            group = Some((c.argv[i + 1].clone(), c.argv[i + 2].clone()));
            i += 2;
        } else if o.eq_ignore_ascii_case(b"noack") {
            if !xreadgroup {
                c.add_reply_error(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return;
            }
            noack = true;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        i += 1;
    }
    if streams_arg == 0 {
        c.add_reply_syntax_error();
        return;
    }
    if xreadgroup && group.is_none() {
        c.add_reply_error("Missing GROUP option for XREADGROUP");
        return;
    }

    // 2) The IDs, and the groups' existence.
    let db = c.db;
    let mut ids = Vec::with_capacity(streams_count);
    for k in 0..streams_count {
        let key = c.argv[streams_arg + k].clone();
        let idarg = c.argv[streams_arg + streams_count + k].clone();
        let found = lookup(server, c, &key, false);
        if let Found::WrongType = found {
            return;
        }
        let s = stream_mut(server, db, &key);
        if let Some((gname, _)) = &group {
            if !s.as_ref().is_some_and(|s| s.cgroups.contains_key(gname)) {
                let mut err = b"-NOGROUP No such key '".to_vec();
                err.extend_from_slice(&key);
                err.extend_from_slice(b"' or consumer group '");
                err.extend_from_slice(gname);
                err.extend_from_slice(b"' in XREADGROUP with GROUP option");
                c.add_reply_error_bytes(&err);
                return;
            }
        }
        if idarg == b"$" {
            if xreadgroup {
                c.add_reply_error(
                    "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                );
                return;
            }
            ids.push(s.map_or(StreamId::ZERO, |s| s.last_id));
            continue;
        } else if idarg == b">" {
            if !xreadgroup {
                c.add_reply_error(
                    "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                );
                return;
            }
            ids.push(StreamId::MAX);
            continue;
        }
        let Some(id) = parse_strict_id_or_reply(c, &idarg, 0, None) else {
            return;
        };
        ids.push(id);
    }

    // 3) Serve at once what can be served.
    let mut arraylen = 0;
    let mut dl = None;
    for (k, gt) in ids.iter_mut().enumerate() {
        let key = c.argv[streams_arg + k].clone();
        if server.lookup_key_read(db, &key).is_none() {
            continue;
        }
        let Some(s) = stream_mut(server, db, &key) else {
            continue;
        };
        let mut serve = false;
        let mut history = false;
        if let Some((gname, _)) = &group {
            if *gt != StreamId::MAX {
                serve = true;
                history = true;
            } else if s.length != 0 {
                let last = s.cgroups.get(gname).map_or(StreamId::ZERO, |cg| cg.last_id);
                if s.last_valid_id() > last {
                    serve = true;
                    *gt = last;
                }
            }
        } else if s.length != 0 && s.last_valid_id() > *gt {
            serve = true;
        }
        if !serve {
            continue;
        }
        arraylen += 1;
        if arraylen == 1 {
            dl = c.add_reply_deferred_len();
        }
        let mut start = *gt;
        start.incr();
        if c.resp == 2 {
            c.add_reply_array_len(2);
        }
        c.add_reply_bulk(&key);
        match &group {
            Some((gname, cname)) => {
                lookup_or_create_consumer(server, db, &key, gname, cname);
                let Some(s) = stream_mut(server, db, &key) else {
                    continue;
                };
                if history {
                    reply_with_range_from_consumer_pel(c, s, start, count as usize, gname, cname);
                } else {
                    reply_with_range_group(c, s, start, count as usize, gname, cname, noack);
                }
                server.dirty += 1;
            }
            None => {
                reply_with_range(c, &s.rax, Some(start), None, count as usize, false, false);
            }
        }
    }
    if arraylen != 0 {
        if c.resp == 2 {
            c.set_deferred_array_len(dl, arraylen);
        } else {
            c.set_deferred_map_len(dl, arraylen);
        }
        return;
    }

    // 4) Block, or reply as a timeout would.
    if timeout != -1 {
        if c.flags & CLIENT_DENY_BLOCKING != 0 {
            c.add_reply_null_array();
            return;
        }
        let keys: Vec<Vec<u8>> = c.argv[streams_arg..streams_arg + streams_count].to_vec();
        let mut wait_ids: Vec<(Vec<u8>, StreamId)> = Vec::with_capacity(keys.len());
        for (key, id) in keys.iter().zip(ids) {
            if !wait_ids.iter().any(|(k, _)| k == key) {
                wait_ids.push((key.clone(), id));
            }
        }
        let wait = BlockingState {
            timeout,
            count: -1,
            xread: Some(Box::new(XreadWait {
                ids: wait_ids,
                count: if count != 0 {
                    count
                } else {
                    XREAD_BLOCKED_DEFAULT_COUNT
                },
                group,
                noack,
            })),
            ..Default::default()
        };
        blocked::block_for_keys(server, c, BLOCKED_STREAM, &keys, wait);
        return;
    }
    c.add_reply_null_array();
}

// ----------------------------------------------------------------------
// Serving blocked readers.
// ----------------------------------------------------------------------

/// `serveClientsBlockedOnStreamKey`: answers every reader of `key` that
/// the stream can now serve, in the order they blocked.
pub fn serve_clients_blocked_on_stream_key(server: &mut Server, db: usize, key: &[u8]) {
    if server.blocked.blocked_clients_by_type[BLOCKED_STREAM as usize] == 0 {
        return;
    }
    for slot in blocked::clients_blocked_on(server, db, key) {
        let Some(mut receiver) = server.take_client(slot) else {
            continue;
        };
        let Some(wait) = receiver
            .bpop
            .xread
            .as_ref()
            .filter(|_| receiver.btype == BLOCKED_STREAM)
            .map(|w| (**w).clone())
        else {
            server.put_client_back(receiver, true);
            continue;
        };
        let start_us = crate::util::ustime();
        let mut gt = wait
            .ids
            .iter()
            .find(|(k, _)| k == key)
            .map_or(StreamId::ZERO, |(_, id)| *id);
        let Some(s) = stream_mut(server, db, key) else {
            server.put_client_back(receiver, true);
            return;
        };
        if let Some((gname, _)) = &wait.group {
            match s.cgroups.get(gname) {
                None => {
                    receiver.add_reply_error(
                        "-NOGROUP the consumer group this client was blocked on no longer exists",
                    );
                    blocked::finish_serving_blocked_client(server, receiver, start_us);
                    continue;
                }
                Some(cg) => gt = cg.last_id,
            }
        }
        if s.last_id <= gt {
            server.put_client_back(receiver, true);
            continue;
        }
        let mut start = gt;
        start.incr();
        if let Some((gname, cname)) = &wait.group {
            lookup_or_create_consumer(server, db, key, gname, cname);
        }
        if receiver.resp == 2 {
            receiver.add_reply_array_len(1);
            receiver.add_reply_array_len(2);
        } else {
            receiver.add_reply_map_len(1);
        }
        receiver.add_reply_bulk(key);
        if let Some(s) = stream_mut(server, db, key) {
            let count = wait.count.max(0) as usize;
            match &wait.group {
                Some((gname, cname)) => {
                    reply_with_range_group(
                        &mut receiver,
                        s,
                        start,
                        count,
                        gname,
                        cname,
                        wait.noack,
                    );
                }
                None => {
                    reply_with_range(
                        &mut receiver,
                        &s.rax,
                        Some(start),
                        None,
                        count,
                        false,
                        false,
                    );
                }
            }
        }
        blocked::finish_serving_blocked_client(server, receiver, start_us);
    }
}

/// `unblockDeletedStreamReadgroupClients`: the key is gone or no longer a
/// stream, so the groups its XREADGROUP readers wait on are gone too.
pub fn unblock_deleted_stream_readgroup_clients(server: &mut Server, db: usize, key: &[u8]) {
    if server.blocked.blocked_clients_by_type[BLOCKED_STREAM as usize] == 0 {
        return;
    }
    for slot in blocked::clients_blocked_on(server, db, key) {
        let Some(mut receiver) = server.take_client(slot) else {
            continue;
        };
        let in_group = receiver.btype == BLOCKED_STREAM
            && receiver
                .bpop
                .xread
                .as_ref()
                .is_some_and(|w| w.group.is_some());
        if !in_group {
            server.put_client_back(receiver, true);
            continue;
        }
        let start_us = crate::util::ustime();
        receiver.add_reply_error("-UNBLOCKED the stream key no longer exists");
        blocked::finish_serving_blocked_client(server, receiver, start_us);
    }
}

/// `scanDatabaseForDeletedStreams`: before `emptied` loses its data (to a
/// flush, or to a swap with `replaced_with`), signals each waited-on key
/// that holds a stream now and will not after.
pub fn scan_database_for_deleted_streams(
    server: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    if server.blocked.blocked_clients_by_type[BLOCKED_STREAM as usize] == 0 {
        return;
    }
    let keys: Vec<Vec<u8>> = server
        .blocked
        .blocking_keys
        .keys()
        .filter(|(d, _)| *d == emptied)
        .map(|(_, k)| k.clone())
        .collect();
    let is_stream = |server: &Server, db: usize, key: &[u8]| {
        matches!(
            server.dbs[db].dict.get(key),
            Some(RObj {
                value: Value::Stream(_),
                ..
            })
        )
    };
    for key in keys {
        let was = is_stream(server, emptied, &key);
        let will = replaced_with.is_some_and(|r| is_stream(server, r, &key));
        if was && !will {
            blocked::signal_key_as_ready(server, emptied, &key, ObjType::Stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_forms() {
        let id = |ms, seq| Some(StreamId { ms, seq });
        assert_eq!(stream_parse_id(b"1-2", 0, false, None), id(1, 2));
        assert_eq!(stream_parse_id(b"7", 9, false, None), id(7, 9));
        assert_eq!(stream_parse_id(b"-", 0, false, None), id(0, 0));
        assert_eq!(stream_parse_id(b"+", 0, true, None), None);
        assert_eq!(stream_parse_id(b"-1", 0, false, None), None);
        assert_eq!(stream_parse_id(b"1-*", 0, false, None), None);
        let mut given = true;
        assert_eq!(stream_parse_id(b"5-*", 0, true, Some(&mut given)), id(5, 0));
        assert!(!given);
        assert_eq!(stream_parse_id(b"1-2-3", 0, false, None), None);
        assert_eq!(stream_parse_id(b"1-2\0junk", 0, false, None), id(1, 2));
    }
}
