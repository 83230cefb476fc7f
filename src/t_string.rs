//! String commands: a port of `t_string.c`.
//!
//! SET, SETNX, SETEX and PSETEX share `set_generic_command`; the options
//! of SET and GETEX are read by `parse_extended_string_arguments` with the
//! mutual exclusions of redis-server (NX/XX, EX/PX/EXAT/PXAT/KEEPTTL/PERSIST).
//!
//! Values keep the three encodings OBJECT ENCODING reports (see
//! `object.rs`): a value written whole goes through `try_object_encoding_arg`
//! (`int`, `embstr` or `raw`); a value modified in place (APPEND, SETRANGE,
//! the bit commands) is turned `raw` first with `RObj::make_raw`, exactly as
//! `dbUnshareStringValue` does; INCR and friends store an `int`, and
//! INCRBYFLOAT stores its printed result as a plain string. Sizes that a
//! command would create are checked against `proto-max-bulk-len`, as C
//! does, so that no client can make a string larger than it could send.

use std::borrow::Cow;

use crate::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::db::SetCond;
use crate::networking::Client;
use crate::notify::notify_keyspace_event;
use crate::object::{ObjType, RObj, Value};
use crate::server::{must_obey_client, Server};
use crate::util::{
    incr_long_double, ld2string, mstime, string2l, string2ld, string2ll, Ld2StringMode, LdError,
    LongDouble,
};

pub const OBJ_NO_FLAGS: u32 = 0;
pub const OBJ_SET_NX: u32 = 1 << 0;
pub const OBJ_SET_XX: u32 = 1 << 1;
pub const OBJ_EX: u32 = 1 << 2;
pub const OBJ_PX: u32 = 1 << 3;
pub const OBJ_KEEPTTL: u32 = 1 << 4;
pub const OBJ_SET_GET: u32 = 1 << 5;
pub const OBJ_EXAT: u32 = 1 << 6;
pub const OBJ_PXAT: u32 = 1 << 7;
pub const OBJ_PERSIST: u32 = 1 << 8;

const UNIT_SECONDS: u8 = 0;
const UNIT_MILLISECONDS: u8 = 1;

const COMMAND_GET: u8 = 0;
const COMMAND_SET: u8 = 1;

/// The error of `getLongLongFromObjectOrReply` without a custom message.
pub const ERR_NOT_INTEGER: &str = "value is not an integer or out of range";

/// `checkStringLength`: refuses a string of `size + append` bytes above
/// `proto-max-bulk-len` (or one whose length overflows), except from the
/// master or the AOF, whose writes must be applied whatever they are.
pub fn check_string_length(server: &Server, c: &mut Client, size: u64, append: u64) -> bool {
    if must_obey_client(c) {
        return true;
    }
    match size.checked_add(append) {
        Some(total) if total <= server.config.proto_max_bulk_len.max(0) as u64 => true,
        _ => {
            c.add_reply_error("string exceeds maximum allowed size (proto-max-bulk-len)");
            false
        }
    }
}

/// `tryObjectEncoding` of an argument to be stored: a copy, because the
/// argument must stay in argv after the command has run (the slow log,
/// MONITOR and command propagation read it then, as in C where argv and
/// the keyspace share the object).
fn try_object_encoding_arg(arg: &[u8]) -> RObj {
    if arg.len() <= 20 {
        if let Some(v) = string2l(arg) {
            return RObj::create_string_object_from_long_long(v);
        }
    }
    RObj::create_string_object(arg)
}

/// `getGenericCommand`: replies with the value of argv[1]. Returns false
/// (after a WRONGTYPE reply) when the key holds another type.
fn get_generic_command(server: &mut Server, c: &mut Client) -> bool {
    let db = c.db;
    match server.lookup_key_read(db, &c.argv[1]) {
        None => {
            c.add_reply_null();
            true
        }
        Some(o) => add_reply_string_object(c, o),
    }
}

/// `addReplyBulk` of a value after `checkType`: false (and WRONGTYPE) when
/// the value is not a string.
fn add_reply_string_object(c: &mut Client, o: &RObj) -> bool {
    let mut buf = [0u8; 24];
    match o.string_bytes(&mut buf) {
        Some(b) => {
            c.add_reply_bulk(b);
            true
        }
        _ => {
            c.add_reply_wrongtype();
            false
        }
    }
}

/// GET key
pub fn get_command(server: &mut Server, c: &mut Client) {
    get_generic_command(server, c);
}

/// `getExpireMillisecondsOrReply`: the absolute expiry in milliseconds
/// meant by the EX/PX/EXAT/PXAT argument at `idx`.
fn get_expire_milliseconds_or_reply(
    server: &Server,
    c: &mut Client,
    idx: usize,
    flags: u32,
    unit: u8,
) -> Option<i64> {
    let Some(mut ms) = string2ll(&c.argv[idx]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return None;
    };
    // Zero, negative, or about to overflow once turned into milliseconds.
    let mut valid = ms > 0 && !(unit == UNIT_SECONDS && ms > i64::MAX / 1000);
    if valid {
        if unit == UNIT_SECONDS {
            ms *= 1000;
        }
        if flags & (OBJ_PX | OBJ_EX) != 0 {
            ms = ms.wrapping_add(mstime());
        }
        valid = ms > 0;
    }
    if !valid {
        let name = c
            .cmd
            .map_or("", |i| server.commands.list[i].fullname.as_str());
        c.add_reply_error(&format!("invalid expire time in '{name}' command"));
        return None;
    }
    Some(ms)
}

/// `parseExtendedStringArgumentsOrReply`: returns the flags, the unit and
/// the index of the expire argument.
fn parse_extended_string_arguments(
    c: &mut Client,
    command_type: u8,
) -> Option<(u32, u8, Option<usize>)> {
    let mut flags = OBJ_NO_FLAGS;
    let mut unit = UNIT_SECONDS;
    let mut expire = None;
    let mut j = if command_type == COMMAND_GET { 2 } else { 3 };
    let is_set = command_type == COMMAND_SET;
    let ttl_flags = OBJ_EX | OBJ_EXAT | OBJ_PX | OBJ_PXAT;
    while j < c.argv.len() {
        let opt = &c.argv[j];
        let has_next = j + 1 < c.argv.len();
        let is = |name: &[u8]| opt.eq_ignore_ascii_case(name);
        if is(b"nx") && flags & OBJ_SET_XX == 0 && is_set {
            flags |= OBJ_SET_NX;
        } else if is(b"xx") && flags & OBJ_SET_NX == 0 && is_set {
            flags |= OBJ_SET_XX;
        } else if is(b"get") && is_set {
            flags |= OBJ_SET_GET;
        } else if is(b"keepttl") && flags & (OBJ_PERSIST | ttl_flags) == 0 && is_set {
            flags |= OBJ_KEEPTTL;
        } else if is(b"persist") && !is_set && flags & (ttl_flags | OBJ_KEEPTTL) == 0 {
            flags |= OBJ_PERSIST;
        } else {
            let f = if is(b"ex") {
                OBJ_EX
            } else if is(b"px") {
                OBJ_PX
            } else if is(b"exat") {
                OBJ_EXAT
            } else if is(b"pxat") {
                OBJ_PXAT
            } else {
                0
            };
            // One TTL option only, and never beside KEEPTTL or PERSIST.
            if f == 0 || !has_next || flags & (OBJ_KEEPTTL | OBJ_PERSIST | (ttl_flags & !f)) != 0 {
                c.add_reply_syntax_error();
                return None;
            }
            flags |= f;
            if f & (OBJ_PX | OBJ_PXAT) != 0 {
                unit = UNIT_MILLISECONDS;
            }
            expire = Some(j + 1);
            j += 1;
        }
        j += 1;
    }
    Some((flags, unit, expire))
}

/// What `set_generic_command` replies when it sets (`ok`) or, because of
/// NX/XX, does not (`abort`).
struct SetReplies {
    ok: &'static [u8],
    abort: Option<&'static [u8]>,
}

const SET_REPLIES: SetReplies = SetReplies {
    ok: b"+OK\r\n",
    abort: None,
};

/// `setGenericCommand`: SET and its relatives. `expire` is the index of
/// the TTL argument in `unit`s.
fn set_generic_command(
    server: &mut Server,
    c: &mut Client,
    flags: u32,
    val_idx: usize,
    expire: Option<usize>,
    unit: u8,
    replies: SetReplies,
) {
    let mut milliseconds = 0;
    if let Some(e) = expire {
        match get_expire_milliseconds_or_reply(server, c, e, flags, unit) {
            Some(ms) => milliseconds = ms,
            None => return,
        }
    }
    if flags & OBJ_SET_GET != 0 && !get_generic_command(server, c) {
        return;
    }
    let db = c.db;
    let cond = if flags & OBJ_SET_NX != 0 {
        SetCond::Nx
    } else if flags & OBJ_SET_XX != 0 {
        SetCond::Xx
    } else {
        SetCond::Always
    };
    let keepttl = flags & OBJ_KEEPTTL != 0;
    let val = || try_object_encoding_arg(&c.argv[val_idx]);
    if !server.set_key_if(db, &c.argv[1], cond, keepttl, val) {
        if flags & OBJ_SET_GET == 0 {
            match replies.abort {
                Some(r) => c.add_reply(r),
                None => c.add_reply_null(),
            }
        }
        return;
    }
    server.dirty += 1;
    notify_keyspace_event(server, NOTIFY_STRING, "set", &c.argv[1], db);
    if expire.is_some() {
        server.set_expire(db, &c.argv[1], milliseconds);
        notify_keyspace_event(server, NOTIFY_GENERIC, "expire", &c.argv[1], db);
    }
    if flags & OBJ_SET_GET == 0 {
        c.add_reply(replies.ok);
    }
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
pub fn set_command(server: &mut Server, c: &mut Client) {
    let Some((flags, unit, expire)) = parse_extended_string_arguments(c, COMMAND_SET) else {
        return;
    };
    set_generic_command(server, c, flags, 2, expire, unit, SET_REPLIES);
}

/// SETNX key value
pub fn setnx_command(server: &mut Server, c: &mut Client) {
    let replies = SetReplies {
        ok: b":1\r\n",
        abort: Some(b":0\r\n"),
    };
    set_generic_command(server, c, OBJ_SET_NX, 2, None, UNIT_SECONDS, replies);
}

/// SETEX key seconds value
pub fn setex_command(server: &mut Server, c: &mut Client) {
    set_generic_command(server, c, OBJ_EX, 3, Some(2), UNIT_SECONDS, SET_REPLIES);
}

/// PSETEX key milliseconds value
pub fn psetex_command(server: &mut Server, c: &mut Client) {
    set_generic_command(
        server,
        c,
        OBJ_PX,
        3,
        Some(2),
        UNIT_MILLISECONDS,
        SET_REPLIES,
    );
}

/// GETEX key [PERSIST|EX s|PX ms|EXAT ts|PXAT ms-ts]
pub fn getex_command(server: &mut Server, c: &mut Client) {
    let Some((flags, unit, expire)) = parse_extended_string_arguments(c, COMMAND_GET) else {
        return;
    };
    let db = c.db;
    match server.lookup_key_read(db, &c.argv[1]) {
        None => {
            c.add_reply_null();
            return;
        }
        Some(o) if o.obj_type() != ObjType::String => {
            c.add_reply_wrongtype();
            return;
        }
        Some(_) => {}
    }
    // The TTL is validated before anything is replied or changed.
    let mut milliseconds = 0;
    if let Some(e) = expire {
        match get_expire_milliseconds_or_reply(server, c, e, flags, unit) {
            Some(ms) => milliseconds = ms,
            None => return,
        }
    }
    if let Some(o) = server.dbs[db].dict.get(&c.argv[1][..]) {
        add_reply_string_object(c, o);
    }
    if flags & (OBJ_PXAT | OBJ_EXAT) != 0 && check_already_expired(server, milliseconds) {
        // An absolute time already past: the key goes now.
        server.db_delete(db, &c.argv[1]);
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &c.argv[1], db);
        server.dirty += 1;
    } else if expire.is_some() {
        server.set_expire(db, &c.argv[1], milliseconds);
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "expire", &c.argv[1], db);
        server.dirty += 1;
    } else if flags & OBJ_PERSIST != 0 && server.remove_expire(db, &c.argv[1]) {
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "persist", &c.argv[1], db);
        server.dirty += 1;
    }
}

/// `checkAlreadyExpired` (expire.c): an absolute expiry in the past
/// deletes at once, except while loading, when the key must be kept.
fn check_already_expired(server: &Server, when: i64) -> bool {
    when <= mstime() && !server.loading
}

/// GETDEL key
pub fn getdel_command(server: &mut Server, c: &mut Client) {
    if !get_generic_command(server, c) {
        return;
    }
    if server.db_delete(c.db, &c.argv[1]) {
        server.signal_modified_key(c.db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &c.argv[1], c.db);
        server.dirty += 1;
    }
}

/// GETSET key value
pub fn getset_command(server: &mut Server, c: &mut Client) {
    if !get_generic_command(server, c) {
        return;
    }
    let val = try_object_encoding_arg(&c.argv[2]);
    server.set_key(c.db, &c.argv[1], val, false);
    notify_keyspace_event(server, NOTIFY_STRING, "set", &c.argv[1], c.db);
    server.dirty += 1;
}

/// SETRANGE key offset value
pub fn setrange_command(server: &mut Server, c: &mut Client) {
    let Some(offset) = string2ll(&c.argv[2]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return;
    };
    if offset < 0 {
        c.add_reply_error("offset is out of range");
        return;
    }
    let offset = offset as u64;
    let db = c.db;
    let vlen = c.argv[3].len() as u64;
    let olen = match server.lookup_key_write(db, &c.argv[1]) {
        None => None,
        Some(o) => match o.string_len() {
            Some(l) => Some(l),
            _ => {
                c.add_reply_wrongtype();
                return;
            }
        },
    };
    // Writing nothing changes nothing: not even the encoding.
    if vlen == 0 {
        c.add_reply_long_long(olen.unwrap_or(0) as i64);
        return;
    }
    if !check_string_length(server, c, offset, vlen) {
        return;
    }
    let end = (offset + vlen) as usize;
    let offset = offset as usize;
    if olen.is_none() {
        server.db_add(db, &c.argv[1], RObj::new(Value::Raw(Vec::new())));
    }
    let Some(s) = server.dbs[db]
        .dict
        .get_mut(&c.argv[1][..])
        .and_then(RObj::make_raw)
    else {
        return;
    };
    if s.len() < end {
        s.resize(end, 0);
    }
    s[offset..end].copy_from_slice(&c.argv[3]);
    let len = s.len();
    server.signal_modified_key(db, &c.argv[1]);
    notify_keyspace_event(server, NOTIFY_STRING, "setrange", &c.argv[1], db);
    server.dirty += 1;
    c.add_reply_long_long(len as i64);
}

/// GETRANGE key start end (and its old name SUBSTR)
pub fn getrange_command(server: &mut Server, c: &mut Client) {
    let Some(mut start) = string2ll(&c.argv[2]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return;
    };
    let Some(mut end) = string2ll(&c.argv[3]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return;
    };
    let db = c.db;
    let Some(o) = server.lookup_key_read(db, &c.argv[1]) else {
        c.add_reply_bulk(b"");
        return;
    };
    let mut buf = [0u8; 24];
    let Some(s) = o.string_bytes(&mut buf) else {
        c.add_reply_wrongtype();
        return;
    };
    let strlen = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        c.add_reply_bulk(b"");
        return;
    }
    if start < 0 {
        start += strlen;
    }
    if end < 0 {
        end += strlen;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= strlen {
        end = strlen - 1;
    }
    if start > end || strlen == 0 {
        c.add_reply_bulk(b"");
    } else {
        c.add_reply_bulk(&s[start as usize..=end as usize]);
    }
}

/// MGET key [key ...]: keys of other types read as missing.
pub fn mget_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    c.add_reply_array_len(c.argv.len() as i64 - 1);
    for j in 1..c.argv.len() {
        match server.lookup_key_read(db, &c.argv[j]) {
            Some(o) => {
                let mut buf = [0u8; 24];
                match o.string_bytes(&mut buf) {
                    Some(b) => c.add_reply_bulk(b),
                    None => c.add_reply_null(),
                }
            }
            None => c.add_reply_null(),
        }
    }
}

/// `msetGenericCommand`: MSET, and MSETNX when `nx` (which sets nothing
/// if any of the keys exists).
fn mset_generic_command(server: &mut Server, c: &mut Client, nx: bool) {
    if c.argv.len().is_multiple_of(2) {
        let name = c
            .cmd
            .map_or("", |i| server.commands.list[i].fullname.as_str());
        c.add_reply_error_arity(name);
        return;
    }
    let db = c.db;
    if nx {
        for j in (1..c.argv.len()).step_by(2) {
            if server.lookup_key_write(db, &c.argv[j]).is_some() {
                c.add_reply(b":0\r\n");
                return;
            }
        }
    }
    for j in (1..c.argv.len()).step_by(2) {
        let val = try_object_encoding_arg(&c.argv[j + 1]);
        server.set_key(db, &c.argv[j], val, false);
        notify_keyspace_event(server, NOTIFY_STRING, "set", &c.argv[j], db);
    }
    server.dirty += ((c.argv.len() - 1) / 2) as u64;
    c.add_reply(if nx { b":1\r\n" } else { b"+OK\r\n" });
}

/// MSET key value [key value ...]
pub fn mset_command(server: &mut Server, c: &mut Client) {
    mset_generic_command(server, c, false);
}

/// MSETNX key value [key value ...]
pub fn msetnx_command(server: &mut Server, c: &mut Client) {
    mset_generic_command(server, c, true);
}

/// `incrDecrCommand`: adds `incr` to the integer at argv[1]. The result
/// is stored `int`, in place when the key exists (keeping its TTL).
fn incr_decr_command(server: &mut Server, c: &mut Client, incr: i64) {
    let db = c.db;
    let new = match server.lookup_key_write(db, &c.argv[1]) {
        None => {
            server.db_add(
                db,
                &c.argv[1],
                RObj::create_string_object_from_long_long(incr),
            );
            incr
        }
        Some(o) => {
            if o.obj_type() != ObjType::String {
                c.add_reply_wrongtype();
                return;
            }
            let Some(value) = o.get_long_long() else {
                c.add_reply_error(ERR_NOT_INTEGER);
                return;
            };
            let Some(new) = value.checked_add(incr) else {
                c.add_reply_error("increment or decrement would overflow");
                return;
            };
            o.value = Value::Int(new);
            new
        }
    };
    server.signal_modified_key(db, &c.argv[1]);
    notify_keyspace_event(server, NOTIFY_STRING, "incrby", &c.argv[1], db);
    server.dirty += 1;
    c.add_reply_long_long(new);
}

/// INCR key
pub fn incr_command(server: &mut Server, c: &mut Client) {
    incr_decr_command(server, c, 1);
}

/// DECR key
pub fn decr_command(server: &mut Server, c: &mut Client) {
    incr_decr_command(server, c, -1);
}

/// INCRBY key increment
pub fn incrby_command(server: &mut Server, c: &mut Client) {
    let Some(incr) = string2ll(&c.argv[2]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return;
    };
    incr_decr_command(server, c, incr);
}

/// DECRBY key decrement
pub fn decrby_command(server: &mut Server, c: &mut Client) {
    let Some(incr) = string2ll(&c.argv[2]) else {
        c.add_reply_error(ERR_NOT_INTEGER);
        return;
    };
    // The one decrement whose negation does not fit.
    if incr == i64::MIN {
        c.add_reply_error("decrement would overflow");
        return;
    }
    incr_decr_command(server, c, -incr);
}

/// INCRBYFLOAT key increment: the sum is computed in long double, as in
/// C, and stored as the text it prints to (never as an `int`).
pub fn incrbyfloat_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let result = match server.lookup_key_write(db, &c.argv[1]) {
        None => incr_long_double(None, &c.argv[2]),
        Some(o) if o.obj_type() != ObjType::String => {
            c.add_reply_wrongtype();
            return;
        }
        Some(o) => match &o.value {
            Value::Int(v) => match string2ld(&c.argv[2]) {
                None => Err(LdError::NotAFloat),
                Some(incr) => LongDouble::from_i64(*v)
                    .checked_add(incr)
                    .map(|sum| ld2string(sum, Ld2StringMode::Human))
                    .ok_or(LdError::NanOrInfinity),
            },
            _ => {
                let mut buf = [0u8; 24];
                let cur = o.string_bytes(&mut buf).unwrap_or_default();
                incr_long_double(Some(cur), &c.argv[2])
            }
        },
    };
    let text = match result {
        Ok(t) => t,
        Err(e) => {
            c.add_reply_error(e.message());
            return;
        }
    };
    let new = RObj::create_string_object(&text);
    match server.dbs[db].dict.get_mut(&c.argv[1][..]) {
        // Overwrite the value only: the TTL stays.
        Some(o) => o.value = new.value,
        None => server.db_add(db, &c.argv[1], new),
    }
    server.signal_modified_key(db, &c.argv[1]);
    notify_keyspace_event(server, NOTIFY_STRING, "incrbyfloat", &c.argv[1], db);
    server.dirty += 1;
    c.add_reply_bulk(&text);
}

/// APPEND key value
pub fn append_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let totlen = match server.lookup_key_write(db, &c.argv[1]) {
        None => {
            let len = c.argv[2].len();
            let val = try_object_encoding_arg(&c.argv[2]);
            server.db_add(db, &c.argv[1], val);
            len
        }
        Some(o) => {
            let olen = match o.string_len() {
                Some(l) => l,
                _ => {
                    c.add_reply_wrongtype();
                    return;
                }
            };
            if !check_string_length(server, c, olen as u64, c.argv[2].len() as u64) {
                return;
            }
            let Some(s) = server.dbs[db]
                .dict
                .get_mut(&c.argv[1][..])
                .and_then(RObj::make_raw)
            else {
                return;
            };
            s.extend_from_slice(&c.argv[2]);
            s.len()
        }
    };
    server.signal_modified_key(db, &c.argv[1]);
    notify_keyspace_event(server, NOTIFY_STRING, "append", &c.argv[1], db);
    server.dirty += 1;
    c.add_reply_long_long(totlen as i64);
}

/// STRLEN key
pub fn strlen_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    match server.lookup_key_read(db, &c.argv[1]) {
        None => c.add_reply_long_long(0),
        Some(o) => match o.string_len() {
            Some(l) => c.add_reply_long_long(l as i64),
            _ => c.add_reply_wrongtype(),
        },
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
///
/// The longest common subsequence by the textbook dynamic programming
/// table, walked back from its end to rebuild the string and, for IDX,
/// the matching ranges (emitted last match first, as Redis does).
pub fn lcs_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let mut is_string = [true; 2];
    for (k, ok) in is_string.iter_mut().enumerate() {
        if let Some(o) = server.lookup_key_read(db, &c.argv[1 + k]) {
            *ok = o.obj_type() == ObjType::String;
        }
    }
    if is_string.contains(&false) {
        c.add_reply_error("The specified keys must contain string values");
        return;
    }
    // Both values are read in place; a missing key is an empty string.
    let dict = &server.dbs[db].dict;
    let value_of = |key: &[u8]| {
        dict.get(key)
            .and_then(RObj::string_value)
            .unwrap_or(Cow::Borrowed(&[]))
    };
    let (a, b) = (value_of(&c.argv[1]), value_of(&c.argv[2]));

    let (mut getlen, mut getidx, mut withmatchlen) = (false, false, false);
    let mut minmatchlen: u64 = 0;
    let mut j = 3;
    while j < c.argv.len() {
        let opt = &c.argv[j];
        let moreargs = j + 1 < c.argv.len();
        if opt.eq_ignore_ascii_case(b"idx") {
            getidx = true;
        } else if opt.eq_ignore_ascii_case(b"len") {
            getlen = true;
        } else if opt.eq_ignore_ascii_case(b"withmatchlen") {
            withmatchlen = true;
        } else if opt.eq_ignore_ascii_case(b"minmatchlen") && moreargs {
            let Some(v) = string2ll(&c.argv[j + 1]) else {
                c.add_reply_error(ERR_NOT_INTEGER);
                return;
            };
            minmatchlen = v.max(0) as u64;
            j += 1;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    if getlen && getidx {
        c.add_reply_error("If you want both the length and indexes, please just use IDX.");
        return;
    }
    if a.len() as u64 >= u32::MAX as u64 - 1 || b.len() as u64 >= u32::MAX as u64 - 1 {
        c.add_reply_error("String too long for LCS");
        return;
    }
    let (alen, blen) = (a.len(), b.len());
    let cells = (alen as u64 + 1) * (blen as u64 + 1);
    if cells.saturating_mul(4) > server.config.proto_max_bulk_len.max(0) as u64 {
        c.add_reply_error(
            "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        );
        return;
    }
    let mut lcs: Vec<u32> = Vec::new();
    if lcs.try_reserve_exact(cells as usize).is_err() {
        c.add_reply_error("Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    lcs.resize(cells as usize, 0);
    let w = blen + 1;
    // LCS[i][j] is the length of the LCS of a[..i] and b[..j].
    for i in 1..=alen {
        for jj in 1..=blen {
            lcs[i * w + jj] = if a[i - 1] == b[jj - 1] {
                lcs[(i - 1) * w + jj - 1] + 1
            } else {
                lcs[(i - 1) * w + jj].max(lcs[i * w + jj - 1])
            };
        }
    }
    let total = lcs[alen * w + blen];

    let computelcs = getidx || !getlen;
    let mut result = vec![0u8; if computelcs { total as usize } else { 0 }];
    let mut idx = total as usize;
    let mut arraylen = 0;
    let mut deferred = None;
    if getidx {
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"matches");
        deferred = c.add_reply_deferred_len();
    }
    // `arange_start == alen` means no range is being tracked.
    let (mut arange_start, mut arange_end, mut brange_start, mut brange_end) = (alen, 0, 0, 0);
    let (mut i, mut jj) = (alen, blen);
    while computelcs && i > 0 && jj > 0 {
        let mut emit_range = false;
        if a[i - 1] == b[jj - 1] {
            result[idx - 1] = a[i - 1];
            if arange_start == alen {
                arange_start = i - 1;
                arange_end = i - 1;
                brange_start = jj - 1;
                brange_end = jj - 1;
            } else if arange_start == i && brange_start == jj {
                // Still contiguous: grow the range backwards.
                arange_start -= 1;
                brange_start -= 1;
            } else {
                emit_range = true;
            }
            // At the start of either string no range can grow further.
            if arange_start == 0 || brange_start == 0 {
                emit_range = true;
            }
            idx -= 1;
            i -= 1;
            jj -= 1;
        } else {
            if lcs[(i - 1) * w + jj] > lcs[i * w + jj - 1] {
                i -= 1;
            } else {
                jj -= 1;
            }
            if arange_start != alen {
                emit_range = true;
            }
        }
        if emit_range {
            let match_len = (arange_end - arange_start + 1) as u64;
            if (minmatchlen == 0 || match_len >= minmatchlen) && getidx {
                c.add_reply_array_len(2 + withmatchlen as i64);
                c.add_reply_array_len(2);
                c.add_reply_long_long(arange_start as i64);
                c.add_reply_long_long(arange_end as i64);
                c.add_reply_array_len(2);
                c.add_reply_long_long(brange_start as i64);
                c.add_reply_long_long(brange_end as i64);
                if withmatchlen {
                    c.add_reply_long_long(match_len as i64);
                }
                arraylen += 1;
            }
            arange_start = alen;
        }
    }
    if getidx {
        c.add_reply_bulk(b"len");
        c.add_reply_long_long(total as i64);
        c.set_deferred_array_len(deferred, arraylen);
    } else if getlen {
        c.add_reply_long_long(total as i64);
    } else {
        c.add_reply_bulk(&result);
    }
}
