//! String commands: a port of `t_string.c`.
//!
//! SET and its variants share `set_generic_command`; the extended options
//! of SET and GETEX are parsed by `parse_extended_string_arguments` with the
//! same mutual-exclusion rules as C (NX/XX, EX/PX/EXAT/PXAT/KEEPTTL/PERSIST).
//! Values are stored as `int`, `embstr` or `raw` objects (see `object.rs`).

use crate::networking::Client;
use crate::object::{RObj, Value};
use crate::server::Server;
use crate::util::{mstime, string2ll};

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

/// `getGenericCommand`: replies with the value of argv[1]. Returns false
/// (after a WRONGTYPE reply) when the key holds another type.
fn get_generic_command(server: &mut Server, c: &mut Client) -> bool {
    let db = c.db;
    match server.lookup_key_read(db, &c.argv[1]) {
        None => {
            c.add_reply_null();
            true
        }
        Some(o) => {
            let mut buf = [0u8; 24];
            match o.string_bytes(&mut buf) {
                Some(b) => {
                    c.add_reply_bulk(b);
                    true
                }
                None => {
                    c.add_reply_wrongtype();
                    false
                }
            }
        }
    }
}

/// GET key
pub fn get_command(server: &mut Server, c: &mut Client) {
    get_generic_command(server, c);
}

/// `getExpireMillisecondsOrReply`: the absolute expiry in ms of an
/// EX/PX/EXAT/PXAT argument.
fn get_expire_milliseconds_or_reply(
    c: &mut Client,
    expire: &[u8],
    flags: u32,
    unit: u8,
    cmdname: &str,
) -> Option<i64> {
    let Some(mut ms) = string2ll(expire) else {
        c.add_reply_error("value is not an integer or out of range");
        return None;
    };
    if ms <= 0 || (unit == UNIT_SECONDS && ms > i64::MAX / 1000) {
        c.add_reply_error(&format!("invalid expire time in '{cmdname}' command"));
        return None;
    }
    if unit == UNIT_SECONDS {
        ms *= 1000;
    }
    if flags & (OBJ_PX | OBJ_EX) != 0 {
        ms = ms.wrapping_add(mstime());
    }
    if ms <= 0 {
        c.add_reply_error(&format!("invalid expire time in '{cmdname}' command"));
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
        let opt = c.argv[j].to_ascii_lowercase();
        let has_next = j + 1 < c.argv.len();
        match &opt[..] {
            b"nx" if flags & OBJ_SET_XX == 0 && is_set => flags |= OBJ_SET_NX,
            b"xx" if flags & OBJ_SET_NX == 0 && is_set => flags |= OBJ_SET_XX,
            b"get" if is_set => flags |= OBJ_SET_GET,
            b"keepttl" if flags & (OBJ_PERSIST | ttl_flags) == 0 && is_set => flags |= OBJ_KEEPTTL,
            b"persist" if !is_set && flags & (ttl_flags | OBJ_KEEPTTL) == 0 => flags |= OBJ_PERSIST,
            b"ex" | b"px" | b"exat" | b"pxat" if has_next => {
                let f = match &opt[..] {
                    b"ex" => OBJ_EX,
                    b"px" => OBJ_PX,
                    b"exat" => OBJ_EXAT,
                    _ => OBJ_PXAT,
                };
                if flags & (OBJ_KEEPTTL | OBJ_PERSIST | (ttl_flags & !f)) != 0 {
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
            _ => {
                c.add_reply_syntax_error();
                return None;
            }
        }
        j += 1;
    }
    Some((flags, unit, expire))
}

/// `setGenericCommand`: SET and its relatives. `expire` is the index of
/// the TTL argument; `ok_reply`/`abort_reply` override `+OK` / null.
#[allow(clippy::too_many_arguments)]
fn set_generic_command(
    server: &mut Server,
    c: &mut Client,
    flags: u32,
    key_idx: usize,
    val_idx: usize,
    expire: Option<usize>,
    unit: u8,
    ok_reply: Option<&[u8]>,
    abort_reply: Option<&[u8]>,
) {
    let cmdname = c
        .cmd
        .map_or_else(String::new, |i| server.commands.list[i].fullname.clone());
    let mut milliseconds = 0;
    if let Some(e) = expire {
        let arg = c.argv[e].clone();
        match get_expire_milliseconds_or_reply(c, &arg, flags, unit, &cmdname) {
            Some(ms) => milliseconds = ms,
            None => return,
        }
    }
    if flags & OBJ_SET_GET != 0 && !get_generic_command(server, c) {
        return;
    }
    let db = c.db;
    let found = server.lookup_key_write(db, &c.argv[key_idx]).is_some();
    if (flags & OBJ_SET_NX != 0 && found) || (flags & OBJ_SET_XX != 0 && !found) {
        if flags & OBJ_SET_GET == 0 {
            match abort_reply {
                Some(r) => c.add_reply(r),
                None => c.add_reply_null(),
            }
        }
        return;
    }
    let val = RObj::try_object_encoding(std::mem::take(&mut c.argv[val_idx]));
    server.set_key(db, &c.argv[key_idx], val, flags & OBJ_KEEPTTL != 0);
    server.dirty += 1;
    if expire.is_some() {
        server.set_expire(db, &c.argv[key_idx], milliseconds);
    }
    if flags & OBJ_SET_GET == 0 {
        c.add_reply(ok_reply.unwrap_or(b"+OK\r\n"));
    }
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
pub fn set_command(server: &mut Server, c: &mut Client) {
    let Some((flags, unit, expire)) = parse_extended_string_arguments(c, COMMAND_SET) else {
        return;
    };
    set_generic_command(server, c, flags, 1, 2, expire, unit, None, None);
}

/// `incrDecrCommand`: adds `incr` to the integer at argv[1].
fn incr_decr_command(server: &mut Server, c: &mut Client, incr: i64) {
    let db = c.db;
    let value = match server.lookup_key_write(db, &c.argv[1]) {
        None => 0,
        Some(o) => {
            if o.string_len().is_none() {
                c.add_reply_wrongtype();
                return;
            }
            match o.get_long_long() {
                Some(v) => v,
                None => {
                    c.add_reply_error("value is not an integer or out of range");
                    return;
                }
            }
        }
    };
    let Some(new) = value.checked_add(incr) else {
        c.add_reply_error("increment or decrement would overflow");
        return;
    };
    match server.dbs[db].dict.get_mut(&c.argv[1][..]) {
        // Update in place, keeping the TTL (C reuses the object too).
        Some(o) => o.value = Value::Int(new),
        None => server.db_add(
            db,
            &c.argv[1],
            RObj::create_string_object_from_long_long(new),
        ),
    }
    server.dirty += 1;
    c.add_reply_long_long(new);
}

/// INCR key
pub fn incr_command(server: &mut Server, c: &mut Client) {
    incr_decr_command(server, c, 1);
}

/// MSET key value [key value ...]
pub fn mset_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() % 2 == 0 {
        c.add_reply_error_arity("mset");
        return;
    }
    let db = c.db;
    for j in (1..c.argv.len()).step_by(2) {
        let val = RObj::try_object_encoding(std::mem::take(&mut c.argv[j + 1]));
        server.set_key(db, &c.argv[j], val, false);
    }
    server.dirty += ((c.argv.len() - 1) / 2) as u64;
    c.add_reply_ok();
}
