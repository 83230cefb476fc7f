//! The consumer group commands: XGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM and XINFO.
//!
//! A group's pending entries list (PEL) maps each delivered, unacknowledged
//! ID to its NACK (owner, delivery time and count); each consumer keeps the
//! set of IDs it owns, so both views stay in step through
//! [`StreamCG::remove_nack`](super::StreamCG::remove_nack) and the
//! ownership moves done here.

use super::commands::{
    lookup, parse_id_or_reply, parse_interval_id_or_reply, parse_range_or_reply,
    parse_strict_id_or_reply, reply_with_range, stream_mut, Found,
};
use super::{
    add_reply_stream_id, Stream, StreamCG, StreamId, StreamNack, SCG_INVALID_ENTRIES_READ,
};
use crate::blocked;
use crate::config::NOTIFY_STREAM;
use crate::networking::Client;
use crate::notify::notify_keyspace_event;
use crate::object::{
    get_long_long_from_object_or_reply, get_range_long_from_object_or_reply, ObjType, RObj, Value,
};
use crate::server::Server;

/// Builds `-NOGROUP <text>` errors that quote a key and a group.
fn nogroup(parts: &[&[u8]]) -> Vec<u8> {
    let mut err = b"-NOGROUP ".to_vec();
    for p in parts {
        err.extend_from_slice(p);
    }
    err
}

/// The stream at `key` with group `group`, or the error of XCLAIM,
/// XAUTOCLAIM and XPENDING (`No such key ... or consumer group ...`).
fn stream_with_group_or_reply<'a>(
    server: &'a mut Server,
    c: &mut Client,
    key: &[u8],
    group: &[u8],
) -> Option<&'a mut Stream> {
    match lookup(server, c, key, false) {
        Found::WrongType => return None,
        Found::Missing => {}
        Found::Stream => {
            let s = stream_mut(server, c.db, key)?;
            if s.cgroups.contains_key(group) {
                return Some(s);
            }
        }
    }
    c.add_reply_error_bytes(&nogroup(&[
        b"No such key '",
        key,
        b"' or consumer group '",
        group,
        b"'",
    ]));
    None
}

// ----------------------------------------------------------------------
// XGROUP.
// ----------------------------------------------------------------------

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...
pub fn xgroup_command(server: &mut Server, c: &mut Client) {
    let opt = c.argv[1].to_ascii_uppercase();
    let argc = c.argv.len();
    let db = c.db;
    let mut mkstream = false;
    let mut entries_read = SCG_INVALID_ENTRIES_READ;
    let mut has_stream = false;
    let mut has_group = false;

    // Everything but HELP names a key and a group.
    if argc >= 4 {
        let create = opt == b"CREATE";
        let setid = opt == b"SETID";
        let mut i = 5;
        while i < argc {
            if create && c.argv[i].eq_ignore_ascii_case(b"mkstream") {
                mkstream = true;
                i += 1;
            } else if (create || setid)
                && c.argv[i].eq_ignore_ascii_case(b"entriesread")
                && i + 1 < argc
            {
                let arg = c.argv[i + 1].clone();
                let Some(n) = get_long_long_from_object_or_reply(c, &arg, None) else {
                    return;
                };
                if n < 0 && n != SCG_INVALID_ENTRIES_READ {
                    c.add_reply_error("value for ENTRIESREAD must be positive or -1");
                    return;
                }
                entries_read = n;
                i += 2;
            } else {
                c.add_reply_subcommand_syntax_error();
                return;
            }
        }
        let key = c.argv[2].clone();
        match lookup(server, c, &key, true) {
            Found::WrongType => return,
            Found::Missing => {}
            Found::Stream => has_stream = true,
        }
        if has_stream {
            let grp = &c.argv[3];
            has_group = stream_mut(server, db, &key).is_some_and(|s| s.cgroups.contains_key(grp));
        }
        if !mkstream {
            if !has_stream {
                c.add_reply_error(
                    "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
                );
                return;
            }
            if !has_group && matches!(&opt[..], b"SETID" | b"CREATECONSUMER" | b"DELCONSUMER") {
                let err = nogroup(&[
                    b"No such consumer group '",
                    &c.argv[3],
                    b"' for key name '",
                    &c.argv[2],
                    b"'",
                ]);
                c.add_reply_error_bytes(&err);
                return;
            }
        }
    }

    let key = c.argv.get(2).cloned().unwrap_or_default();
    let grpname = c.argv.get(3).cloned().unwrap_or_default();
    match &opt[..] {
        b"HELP" if argc == 2 => c.add_reply_help("XGROUP", XGROUP_HELP),
        b"CREATE" if (5..=8).contains(&argc) => {
            let idarg = c.argv[4].clone();
            let id = if idarg == b"$" {
                stream_mut(server, db, &key).map_or(StreamId::ZERO, |s| s.last_id)
            } else {
                let Some(id) = parse_strict_id_or_reply(c, &idarg, 0, None) else {
                    return;
                };
                id
            };
            if !has_stream {
                server.db_add(db, &key, RObj::new(Value::Stream(Box::default())));
                server.signal_modified_key(db, &key);
            }
            let created = stream_mut(server, db, &key)
                .is_some_and(|s| s.create_cg(&grpname, id, entries_read).is_some());
            if created {
                c.add_reply_ok();
                server.dirty += 1;
                notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-create", &key, db);
            } else {
                c.add_reply_error("-BUSYGROUP Consumer Group name already exists");
            }
        }
        b"SETID" if argc == 5 || argc == 7 => {
            let idarg = c.argv[4].clone();
            let id = if idarg == b"$" {
                stream_mut(server, db, &key).map_or(StreamId::ZERO, |s| s.last_id)
            } else {
                let Some(id) = parse_id_or_reply(c, &idarg, 0) else {
                    return;
                };
                id
            };
            // The checks above made sure the group exists.
            let Some(cg) = stream_mut(server, db, &key).and_then(|s| s.cgroups.get_mut(&grpname))
            else {
                c.add_reply_subcommand_syntax_error();
                return;
            };
            cg.last_id = id;
            cg.entries_read = entries_read;
            c.add_reply_ok();
            server.dirty += 1;
            notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-setid", &key, db);
        }
        b"DESTROY" if argc == 4 => {
            let removed = stream_mut(server, db, &key)
                .and_then(|s| s.cgroups.remove(&grpname))
                .is_some();
            if removed {
                c.add_reply_long_long(1);
                server.dirty += 1;
                notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-destroy", &key, db);
                // Its blocked readers must learn the group is gone.
                blocked::signal_key_as_ready(server, db, &key, ObjType::Stream);
            } else {
                c.add_reply_long_long(0);
            }
        }
        b"CREATECONSUMER" if argc == 5 => {
            let cname = c.argv[4].clone();
            let created = stream_mut(server, db, &key)
                .and_then(|s| s.cgroups.get_mut(&grpname))
                .is_some_and(|cg| cg.create_consumer(&cname));
            if created {
                server.dirty += 1;
                notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-createconsumer", &key, db);
            }
            c.add_reply_long_long(created as i64);
        }
        b"DELCONSUMER" if argc == 5 => {
            let cname = c.argv[4].clone();
            let pending = stream_mut(server, db, &key)
                .and_then(|s| s.cgroups.get_mut(&grpname))
                .and_then(|cg| {
                    let n = cg.consumers.get(&cname)?.pel.len();
                    cg.del_consumer(&cname);
                    Some(n)
                });
            if pending.is_some() {
                server.dirty += 1;
                notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-delconsumer", &key, db);
            }
            c.add_reply_long_long(pending.unwrap_or(0) as i64);
        }
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

// ----------------------------------------------------------------------
// XACK and XPENDING.
// ----------------------------------------------------------------------

/// XACK key group id [id ...]
pub fn xack_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let db = c.db;
    let has_group = match lookup(server, c, &key, false) {
        Found::WrongType => return,
        Found::Missing => false,
        Found::Stream => {
            let g = &c.argv[2];
            stream_mut(server, db, &key).is_some_and(|s| s.cgroups.contains_key(g))
        }
    };
    if !has_group {
        c.add_reply_long_long(0);
        return;
    }
    // All or nothing: every ID is parsed before any is acknowledged.
    let mut ids = Vec::with_capacity(c.argv.len() - 3);
    for j in 3..c.argv.len() {
        let arg = c.argv[j].clone();
        let Some(id) = parse_strict_id_or_reply(c, &arg, 0, None) else {
            return;
        };
        ids.push(id);
    }
    let group = c.argv[2].clone();
    let mut acknowledged: i64 = 0;
    if let Some(cg) = stream_mut(server, db, &key).and_then(|s| s.cgroups.get_mut(&group)) {
        for id in ids {
            if cg.remove_nack(id) {
                acknowledged += 1;
            }
        }
    }
    server.dirty += acknowledged as u64;
    c.add_reply_long_long(acknowledged);
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub fn xpending_command(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let justinfo = argc == 3;
    if argc != 3 && !(6..=9).contains(&argc) {
        c.add_reply_syntax_error();
        return;
    }
    let mut minidle = 0;
    let mut range = (StreamId::ZERO, StreamId::MAX);
    let mut count = 0;
    let mut consumername = None;
    if argc >= 6 {
        let mut startidx = 3;
        if c.argv[3].eq_ignore_ascii_case(b"idle") {
            let arg = c.argv[4].clone();
            let Some(n) = get_long_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            minidle = n;
            if argc < 8 {
                c.add_reply_syntax_error();
                return;
            }
            startidx += 2;
        }
        let arg = c.argv[startidx + 2].clone();
        let Some(n) = get_long_long_from_object_or_reply(c, &arg, None) else {
            return;
        };
        count = n.max(0);
        let (s, e) = (c.argv[startidx].clone(), c.argv[startidx + 1].clone());
        let Some(r) = parse_range_or_reply(c, &s, &e) else {
            return;
        };
        range = r;
        if startidx + 3 < argc {
            consumername = Some(c.argv[startidx + 3].clone());
        }
    }
    let key = c.argv[1].clone();
    let group = c.argv[2].clone();
    let Some(s) = stream_with_group_or_reply(server, c, &key, &group) else {
        return;
    };
    let Some(cg) = s.cgroups.get_mut(&group) else {
        return;
    };
    if justinfo {
        c.add_reply_array_len(4);
        c.add_reply_long_long(cg.pel.len() as i64);
        match (cg.pel.keys().next(), cg.pel.keys().next_back()) {
            (Some(&first), Some(&last)) => {
                add_reply_stream_id(c, first);
                add_reply_stream_id(c, last);
                let owners: Vec<_> = cg
                    .consumers
                    .values()
                    .filter(|x| !x.pel.is_empty())
                    .collect();
                c.add_reply_array_len(owners.len() as i64);
                for o in owners {
                    c.add_reply_array_len(2);
                    c.add_reply_bulk(&o.name);
                    c.add_reply_bulk_long_long(o.pel.len() as i64);
                }
            }
            _ => {
                c.add_reply_null();
                c.add_reply_null();
                c.add_reply_null_array();
            }
        }
        return;
    }
    let (startid, endid) = range;
    let ids: Vec<StreamId> = match &consumername {
        Some(name) => match cg.consumers.get(name) {
            Some(cons) if startid <= endid => cons.pel.range(startid..=endid).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                c.add_reply_array_len(0);
                return;
            }
        },
        None if startid <= endid => cg.pel.range(startid..=endid).map(|(k, _)| *k).collect(),
        None => Vec::new(),
    };
    let now = crate::util::mstime();
    let dl = c.add_reply_deferred_len();
    let mut arraylen = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = cg.pel.get(&id) else {
            continue;
        };
        if minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        arraylen += 1;
        count -= 1;
        c.add_reply_array_len(4);
        add_reply_stream_id(c, id);
        c.add_reply_bulk(&nack.consumer);
        c.add_reply_long_long((now - nack.delivery_time).max(0));
        c.add_reply_long_long(nack.delivery_count as i64);
    }
    c.set_deferred_array_len(dl, arraylen);
}

// ----------------------------------------------------------------------
// XCLAIM and XAUTOCLAIM.
// ----------------------------------------------------------------------

/// Gives the NACK of `id` to `consumer` (creating the consumer first when
/// `created` says it is still to do): moves it between consumer PELs and
/// sets its delivery time and count.
fn claim_nack(
    cg: &mut StreamCG,
    id: StreamId,
    consumer: &[u8],
    deliverytime: i64,
    count: Option<u64>,
    bump: bool,
) {
    let Some(nack) = cg.pel.get_mut(&id) else {
        return;
    };
    let previous = std::mem::replace(&mut nack.consumer, consumer.to_vec());
    nack.delivery_time = deliverytime;
    match count {
        Some(n) => nack.delivery_count = n,
        None if bump => nack.delivery_count += 1,
        None => {}
    }
    if previous != consumer {
        if let Some(p) = cg.consumers.get_mut(&previous) {
            p.pel.remove(&id);
        }
    }
    if let Some(cons) = cg.consumers.get_mut(consumer) {
        cons.pel.insert(id);
    }
}

/// Looks the consumer up (refreshing it) or creates it, counting and
/// notifying a creation.
fn ensure_consumer(server: &mut Server, db: usize, key: &[u8], group: &[u8], name: &[u8]) {
    let created = stream_mut(server, db, key)
        .and_then(|s| s.cgroups.get_mut(group))
        .is_some_and(|cg| cg.lookup_consumer(name, false).is_none() && cg.create_consumer(name));
    if created {
        server.dirty += 1;
        notify_keyspace_event(server, NOTIFY_STREAM, "xgroup-createconsumer", key, db);
    }
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
/// [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID]
/// [LASTID lastid]
pub fn xclaim_command(server: &mut Server, c: &mut Client) {
    let key = c.argv[1].clone();
    let group = c.argv[2].clone();
    let name = c.argv[3].clone();
    let db = c.db;
    if stream_with_group_or_reply(server, c, &key, &group).is_none() {
        return;
    }
    let arg = c.argv[4].clone();
    let Some(minidle) = get_long_long_from_object_or_reply(
        c,
        &arg,
        Some("Invalid min-idle-time argument for XCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);

    // The IDs run until the first argument that is not one; options follow.
    let argc = c.argv.len();
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argc {
        match super::commands::stream_parse_id(&c.argv[j], 0, true, None) {
            Some(id) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = crate::util::mstime();
    let mut retrycount: i64 = -1;
    let mut deliverytime: i64 = -1;
    let mut force = false;
    let mut justid = false;
    let mut last_id = StreamId::ZERO;
    while j < argc {
        let moreargs = argc - 1 - j;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"force") {
            force = true;
        } else if opt.eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else if opt.eq_ignore_ascii_case(b"idle") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            let Some(v) = get_long_long_from_object_or_reply(
                c,
                &a,
                Some("Invalid IDLE option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = now.wrapping_sub(v);
        } else if opt.eq_ignore_ascii_case(b"time") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            let Some(v) = get_long_long_from_object_or_reply(
                c,
                &a,
                Some("Invalid TIME option argument for XCLAIM"),
            ) else {
                return;
            };
            deliverytime = v;
        } else if opt.eq_ignore_ascii_case(b"retrycount") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            let Some(v) = get_long_long_from_object_or_reply(
                c,
                &a,
                Some("Invalid RETRYCOUNT option argument for XCLAIM"),
            ) else {
                return;
            };
            retrycount = v;
        } else if opt.eq_ignore_ascii_case(b"lastid") && moreargs > 0 {
            j += 1;
            let a = c.argv[j].clone();
            let Some(v) = parse_strict_id_or_reply(c, &a, 0, None) else {
                return;
            };
            last_id = v;
        } else {
            let mut err = b"Unrecognized XCLAIM option '".to_vec();
            err.extend_from_slice(&opt);
            err.push(b'\'');
            c.add_reply_error_bytes(&err);
            return;
        }
        j += 1;
    }
    if let Some(cg) = stream_mut(server, db, &key).and_then(|s| s.cgroups.get_mut(&group)) {
        if last_id > cg.last_id {
            cg.last_id = last_id;
            server.dirty += 1;
        }
    }
    if deliverytime == -1 || deliverytime < 0 || deliverytime > now {
        deliverytime = now;
    }

    let dl = c.add_reply_deferred_len();
    let mut arraylen = 0;
    let mut consumer_ready = false;
    for id in ids {
        let Some(s) = stream_mut(server, db, &key) else {
            break;
        };
        let exists = s.entry_exists(id);
        let Some(cg) = s.cgroups.get_mut(&group) else {
            break;
        };
        if !exists {
            // The entry is gone: so goes its NACK.
            if cg.remove_nack(id) {
                server.dirty += 1;
            }
            continue;
        }
        let forced = force && !cg.pel.contains_key(&id);
        if forced {
            cg.pel.insert(
                id,
                StreamNack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: Vec::new(),
                },
            );
        }
        let Some(nack) = cg.pel.get(&id) else {
            continue;
        };
        if !forced && minidle != 0 && now - nack.delivery_time < minidle {
            continue;
        }
        if !consumer_ready {
            ensure_consumer(server, db, &key, &group, &name);
            consumer_ready = true;
        }
        let Some(s) = stream_mut(server, db, &key) else {
            break;
        };
        let Stream { rax, cgroups, .. } = s;
        if let Some(cg) = cgroups.get_mut(&group) {
            let count = (retrycount >= 0).then_some(retrycount as u64);
            claim_nack(cg, id, &name, deliverytime, count, !justid);
        }
        if justid {
            add_reply_stream_id(c, id);
        } else {
            reply_with_range(c, rax, Some(id), Some(id), 1, false, true);
        }
        arraylen += 1;
        server.dirty += 1;
    }
    c.set_deferred_array_len(dl, arraylen);
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub fn xautoclaim_command(server: &mut Server, c: &mut Client) {
    const ATTEMPTS_FACTOR: i64 = 10;
    let arg = c.argv[4].clone();
    let Some(minidle) = get_long_long_from_object_or_reply(
        c,
        &arg,
        Some("Invalid min-idle-time argument for XAUTOCLAIM"),
    ) else {
        return;
    };
    let minidle = minidle.max(0);
    let arg = c.argv[5].clone();
    let Some((mut startid, startex)) = parse_interval_id_or_reply(c, &arg, 0) else {
        return;
    };
    if startex && !startid.incr() {
        c.add_reply_error("invalid start ID for the interval");
        return;
    }
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < c.argv.len() {
        let moreargs = c.argv.len() - 1 - j;
        if c.argv[j].eq_ignore_ascii_case(b"count") && moreargs > 0 {
            let max_count = i64::MAX / 16;
            let a = c.argv[j + 1].clone();
            let Some(n) =
                get_range_long_from_object_or_reply(c, &a, 1, max_count, Some("COUNT must be > 0"))
            else {
                return;
            };
            count = n;
            j += 1;
        } else if c.argv[j].eq_ignore_ascii_case(b"justid") {
            justid = true;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    let key = c.argv[1].clone();
    let group = c.argv[2].clone();
    let name = c.argv[3].clone();
    let db = c.db;
    if stream_with_group_or_reply(server, c, &key, &group).is_none() {
        return;
    }

    let mut attempts = count * ATTEMPTS_FACTOR;
    let mut deleted_ids = Vec::new();
    let mut claimed = 0;
    let now = crate::util::mstime();
    let mut consumer_ready = false;
    c.add_reply_array_len(3);
    let end_dl = c.add_reply_deferred_len();
    let arr_dl = c.add_reply_deferred_len();
    let mut cursor = Some(startid);
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(from) = cursor else {
            break;
        };
        let Some(s) = stream_mut(server, db, &key) else {
            break;
        };
        let Some(cg) = s.cgroups.get(&group) else {
            break;
        };
        let Some((&id, nack)) = cg.pel.range(from..).next() else {
            cursor = None;
            break;
        };
        let idle = now - nack.delivery_time;
        let mut after = id;
        cursor = after.incr().then_some(after);
        if !s.entry_exists(id) {
            if let Some(cg) = s.cgroups.get_mut(&group) {
                cg.remove_nack(id);
            }
            server.dirty += 1;
            deleted_ids.push(id);
            count -= 1;
            continue;
        }
        if minidle != 0 && idle < minidle {
            continue;
        }
        if !consumer_ready {
            ensure_consumer(server, db, &key, &group, &name);
            consumer_ready = true;
        }
        let Some(s) = stream_mut(server, db, &key) else {
            break;
        };
        let Stream { rax, cgroups, .. } = s;
        if let Some(cg) = cgroups.get_mut(&group) {
            claim_nack(cg, id, &name, now, None, !justid);
        }
        if justid {
            add_reply_stream_id(c, id);
        } else {
            reply_with_range(c, rax, Some(id), Some(id), 1, false, true);
        }
        claimed += 1;
        count -= 1;
        server.dirty += 1;
    }
    // The cursor for the next call: the next pending ID, or 0-0 at the end.
    let next = cursor
        .and_then(|from| {
            let s = stream_mut(server, db, &key)?;
            s.cgroups
                .get(&group)?
                .pel
                .range(from..)
                .next()
                .map(|(k, _)| *k)
        })
        .unwrap_or(StreamId::ZERO);
    c.set_deferred_array_len(arr_dl, claimed);
    set_deferred_stream_id(c, end_dl, next);
    c.add_reply_array_len(deleted_ids.len() as i64);
    for id in deleted_ids {
        add_reply_stream_id(c, id);
    }
}

/// `setDeferredReplyStreamID`: fills a deferred slot with a bulk ID.
fn set_deferred_stream_id(
    c: &mut Client,
    dl: Option<crate::networking::DeferredLen>,
    id: StreamId,
) {
    let s = id.to_bytes();
    c.set_deferred_bulk(dl, &s);
}

// ----------------------------------------------------------------------
// XINFO.
// ----------------------------------------------------------------------

const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// `streamReplyWithCGLag`: entries not yet delivered to the group, or nil
/// when deletions make it unknowable.
fn reply_with_cg_lag(c: &mut Client, s: &Stream, cg: &StreamCG) {
    let meta = s.meta();
    let lag = if s.entries_added == 0 {
        Some(0)
    } else if cg.entries_read != SCG_INVALID_ENTRIES_READ
        && !meta.range_has_tombstones(Some(cg.last_id), None)
    {
        Some(s.entries_added as i64 - cg.entries_read)
    } else {
        let er = meta.estimate_distance_from_first_ever_entry(cg.last_id);
        (er != SCG_INVALID_ENTRIES_READ).then(|| s.entries_added as i64 - er)
    };
    match lag {
        Some(l) => c.add_reply_long_long(l),
        None => c.add_reply_null(),
    }
}

fn reply_entries_read(c: &mut Client, cg: &StreamCG) {
    if cg.entries_read != SCG_INVALID_ENTRIES_READ {
        c.add_reply_long_long(cg.entries_read);
    } else {
        c.add_reply_null();
    }
}

/// `xinfoReplyWithStreamInfo`: XINFO STREAM key [FULL [COUNT count]].
fn xinfo_reply_with_stream_info(c: &mut Client, s: &Stream) {
    let optc = c.argv.len() - 3;
    let mut full = true;
    let mut count: i64 = 10;
    if optc == 0 {
        full = false;
    } else {
        if (optc != 1 && optc != 3) || !c.argv[3].eq_ignore_ascii_case(b"full") {
            c.add_reply_subcommand_syntax_error();
            return;
        }
        if optc == 3 {
            if !c.argv[4].eq_ignore_ascii_case(b"count") {
                c.add_reply_subcommand_syntax_error();
                return;
            }
            let a = c.argv[5].clone();
            let Some(n) = get_long_long_from_object_or_reply(c, &a, None) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    let count = count as usize;
    c.add_reply_map_len(if full { 9 } else { 10 });
    c.add_reply_bulk(b"length");
    c.add_reply_long_long(s.length as i64);
    c.add_reply_bulk(b"radix-tree-keys");
    c.add_reply_long_long(s.rax.len() as i64);
    c.add_reply_bulk(b"radix-tree-nodes");
    c.add_reply_long_long(super::rax_numnodes(s.rax.keys().copied()) as i64);
    c.add_reply_bulk(b"last-generated-id");
    add_reply_stream_id(c, s.last_id);
    c.add_reply_bulk(b"max-deleted-entry-id");
    add_reply_stream_id(c, s.max_deleted_entry_id);
    c.add_reply_bulk(b"entries-added");
    c.add_reply_long_long(s.entries_added as i64);
    c.add_reply_bulk(b"recorded-first-entry-id");
    add_reply_stream_id(c, s.first_id);
    if !full {
        c.add_reply_bulk(b"groups");
        c.add_reply_long_long(s.cgroups.len() as i64);
        for (label, rev) in [(&b"first-entry"[..], false), (&b"last-entry"[..], true)] {
            c.add_reply_bulk(label);
            if reply_with_range(c, &s.rax, None, None, 1, rev, true) == 0 {
                c.add_reply_null();
            }
        }
        return;
    }
    c.add_reply_bulk(b"entries");
    reply_with_range(c, &s.rax, None, None, count, false, false);
    c.add_reply_bulk(b"groups");
    c.add_reply_array_len(s.cgroups.len() as i64);
    let take = if count == 0 { usize::MAX } else { count };
    for (name, cg) in &s.cgroups {
        c.add_reply_map_len(7);
        c.add_reply_bulk(b"name");
        c.add_reply_bulk(name);
        c.add_reply_bulk(b"last-delivered-id");
        add_reply_stream_id(c, cg.last_id);
        c.add_reply_bulk(b"entries-read");
        reply_entries_read(c, cg);
        c.add_reply_bulk(b"lag");
        reply_with_cg_lag(c, s, cg);
        c.add_reply_bulk(b"pel-count");
        c.add_reply_long_long(cg.pel.len() as i64);
        c.add_reply_bulk(b"pending");
        let n = cg.pel.len().min(take);
        c.add_reply_array_len(n as i64);
        for (id, nack) in cg.pel.iter().take(n) {
            c.add_reply_array_len(4);
            add_reply_stream_id(c, *id);
            c.add_reply_bulk(&nack.consumer);
            c.add_reply_long_long(nack.delivery_time);
            c.add_reply_long_long(nack.delivery_count as i64);
        }
        c.add_reply_bulk(b"consumers");
        c.add_reply_array_len(cg.consumers.len() as i64);
        for cons in cg.consumers.values() {
            c.add_reply_map_len(4);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(&cons.name);
            c.add_reply_bulk(b"seen-time");
            c.add_reply_long_long(cons.seen_time);
            c.add_reply_bulk(b"pel-count");
            c.add_reply_long_long(cons.pel.len() as i64);
            c.add_reply_bulk(b"pending");
            let n = cons.pel.len().min(take);
            c.add_reply_array_len(n as i64);
            for id in cons.pel.iter().take(n) {
                let (time, deliveries) = cg
                    .pel
                    .get(id)
                    .map_or((0, 0), |nack| (nack.delivery_time, nack.delivery_count));
                c.add_reply_array_len(3);
                add_reply_stream_id(c, *id);
                c.add_reply_long_long(time);
                c.add_reply_long_long(deliveries as i64);
            }
        }
    }
}

/// XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT n]] | HELP
pub fn xinfo_command(server: &mut Server, c: &mut Client) {
    if c.argv[1].eq_ignore_ascii_case(b"help") {
        if c.argv.len() != 2 {
            c.add_reply_subcommand_syntax_error();
        } else {
            c.add_reply_help("XINFO", XINFO_HELP);
        }
        return;
    } else if c.argv.len() < 3 {
        c.add_reply_subcommand_syntax_error();
        return;
    }
    let key = c.argv[2].clone();
    match lookup(server, c, &key, false) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_error("no such key");
            return;
        }
        Found::Stream => {}
    }
    let Some(s) = stream_mut(server, c.db, &key) else {
        return;
    };
    let opt = c.argv[1].to_ascii_uppercase();
    match &opt[..] {
        b"CONSUMERS" if c.argv.len() == 4 => {
            let Some(cg) = s.cgroups.get(&c.argv[3]) else {
                let err = nogroup(&[
                    b"No such consumer group '",
                    &c.argv[3],
                    b"' for key name '",
                    &key,
                    b"'",
                ]);
                c.add_reply_error_bytes(&err);
                return;
            };
            let now = crate::util::mstime();
            c.add_reply_array_len(cg.consumers.len() as i64);
            for cons in cg.consumers.values() {
                c.add_reply_map_len(3);
                c.add_reply_bulk(b"name");
                c.add_reply_bulk(&cons.name);
                c.add_reply_bulk(b"pending");
                c.add_reply_long_long(cons.pel.len() as i64);
                c.add_reply_bulk(b"idle");
                c.add_reply_long_long((now - cons.seen_time).max(0));
            }
        }
        b"GROUPS" if c.argv.len() == 3 => {
            c.add_reply_array_len(s.cgroups.len() as i64);
            for (name, cg) in &s.cgroups {
                c.add_reply_map_len(6);
                c.add_reply_bulk(b"name");
                c.add_reply_bulk(name);
                c.add_reply_bulk(b"consumers");
                c.add_reply_long_long(cg.consumers.len() as i64);
                c.add_reply_bulk(b"pending");
                c.add_reply_long_long(cg.pel.len() as i64);
                c.add_reply_bulk(b"last-delivered-id");
                add_reply_stream_id(c, cg.last_id);
                c.add_reply_bulk(b"entries-read");
                reply_entries_read(c, cg);
                c.add_reply_bulk(b"lag");
                reply_with_cg_lag(c, s, cg);
            }
        }
        b"STREAM" => xinfo_reply_with_stream_info(c, s),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}
