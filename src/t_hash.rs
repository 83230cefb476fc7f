//! The hash type: a port of `t_hash.c`.
//!
//! A hash starts as a [`Listpack`] of alternating fields and values, the
//! form Redis 7.0 keeps small hashes in, and becomes a [`Dict`] of field to
//! value (`hashtable`) once it holds more than `hash-max-listpack-entries`
//! fields or a field or value longer than `hash-max-listpack-value` bytes.
//! The conversion is one way, as in C. The `HashValue` methods are the
//! `hashType*` functions; the commands follow in the order of the C file.
//!
//! A listpack stores a number-looking value as an integer, so elements come
//! out as [`LpEntry`]: `Int` or `Str`. A hashtable's elements are always
//! `Str`. Replies print both the same way.

use rand::Rng;

use crate::config::{NOTIFY_GENERIC, NOTIFY_HASH};
use crate::db::{parse_scan_cursor_or_reply, scan_collection, scan_dict};
use crate::dict::Dict;
use crate::listpack::{safe_to_add, Listpack, LpEntry};
use crate::networking::{Client, CLIENT_CLOSE_ASAP};
use crate::notify::notify_keyspace_event;
use crate::object::{get_range_long_from_object_or_reply, RObj, Value};
use crate::sds::Sds;
use crate::server::Server;
use crate::util::{ld2string, string2ld, string2ll, Ld2StringMode, LongDouble};

/// A hash value; the variant is the encoding.
pub enum HashValue {
    /// `OBJ_ENCODING_LISTPACK`: field, value, field, value...
    Listpack(Listpack),
    /// `OBJ_ENCODING_HT`, boxed so that a hash costs a keyspace slot no
    /// more than a string does.
    Ht(Box<Dict<Sds, Sds>>),
}

/// Replies with one element as a bulk string.
fn add_reply_entry(c: &mut Client, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => c.add_reply_bulk_long_long(v),
        LpEntry::Str(s) => c.add_reply_bulk(s),
    }
}

/// An element's length as text (`hashTypeGetValueLength`).
fn entry_len(e: LpEntry<'_>) -> usize {
    match e {
        LpEntry::Int(v) => crate::util::sdigits10(v) as usize,
        LpEntry::Str(s) => s.len(),
    }
}

impl Clone for HashValue {
    fn clone(&self) -> Self {
        match self {
            HashValue::Listpack(lp) => HashValue::Listpack(lp.clone()),
            HashValue::Ht(d) => {
                let mut n = Dict::new();
                for (k, v) in d.iter() {
                    n.insert(k.clone(), v.clone());
                }
                HashValue::Ht(Box::new(n))
            }
        }
    }
}

impl std::fmt::Debug for HashValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashValue::Listpack(lp) => f.debug_tuple("Listpack").field(lp).finish(),
            HashValue::Ht(d) => f.debug_tuple("Ht").field(&d.len()).finish(),
        }
    }
}

impl Default for HashValue {
    fn default() -> Self {
        HashValue::new()
    }
}

impl HashValue {
    /// `createHashObject`: an empty listpack.
    pub fn new() -> HashValue {
        HashValue::Listpack(Listpack::new())
    }

    /// The name OBJECT ENCODING prints.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            HashValue::Listpack(_) => "listpack",
            HashValue::Ht(_) => "hashtable",
        }
    }

    /// `hashTypeLength`: the number of fields.
    pub fn len(&self) -> usize {
        match self {
            HashValue::Listpack(lp) => lp.count() / 2,
            HashValue::Ht(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offset of `field` in a listpack (fields only, values skipped).
    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.find(lp.first()?, field, 1)
    }

    /// `hashTypeGetValue`.
    pub fn get(&self, field: &[u8]) -> Option<LpEntry<'_>> {
        match self {
            HashValue::Listpack(lp) => {
                let f = Self::lp_find(lp, field)?;
                lp.next(f).map(|v| lp.get(v))
            }
            HashValue::Ht(d) => d.get(field).map(|v| LpEntry::Str(v.as_bytes())),
        }
    }

    /// `hashTypeExists`.
    pub fn exists(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// `hashTypeConvert` to a hashtable.
    fn convert_to_ht(&mut self) {
        if let HashValue::Listpack(lp) = self {
            let mut d = Dict::new();
            for (f, v) in lp_pairs(lp) {
                d.insert(Sds::new(&f.to_vec()), Sds::new(&v.to_vec()));
            }
            *self = HashValue::Ht(Box::new(d));
        }
    }

    /// `hashTypeTryConversion`: before a write of `args` (fields and
    /// values), leaves the listpack when one of them is too long for it or
    /// the listpack would pass its size cap.
    pub fn try_conversion(&mut self, args: &[Vec<u8>], max_value: u64) {
        let HashValue::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() as u64 > max_value {
                self.convert_to_ht();
                return;
            }
            sum += a.len();
        }
        if !safe_to_add(lp.bytes(), sum) {
            self.convert_to_ht();
        }
    }

    /// `hashTypeSet`: returns true when the field existed (an update).
    pub fn set(&mut self, field: &[u8], value: &[u8], max_entries: u64, max_value: u64) -> bool {
        if let HashValue::Listpack(_) = self {
            if field.len() as u64 > max_value || value.len() as u64 > max_value {
                self.convert_to_ht();
            }
        }
        match self {
            HashValue::Listpack(lp) => {
                let update = match Self::lp_find(lp, field).and_then(|f| lp.next(f)) {
                    Some(v) => {
                        lp.replace(v, value);
                        true
                    }
                    None => {
                        lp.append(field);
                        lp.append(value);
                        false
                    }
                };
                if (lp.count() / 2) as u64 > max_entries {
                    self.convert_to_ht();
                }
                update
            }
            HashValue::Ht(d) => match d.entry(field) {
                crate::dict::Entry::Occupied(mut e) => {
                    if let Some(v) = e.get_mut() {
                        *v = Sds::new(value);
                    }
                    true
                }
                crate::dict::Entry::Vacant(e) => {
                    e.insert(Sds::new(field), Sds::new(value));
                    false
                }
            },
        }
    }

    /// Gives back a listpack's spare room after a write: growing a `Vec`
    /// doubles it, where C reallocates to the exact size, and small hashes
    /// are numerous enough for that to show in `used_memory`.
    pub fn shrink_to_fit(&mut self) {
        if let HashValue::Listpack(lp) = self {
            lp.shrink_to_fit();
        }
    }

    /// `hashTypeDelete`: returns whether the field was there.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            HashValue::Listpack(lp) => match Self::lp_find(lp, field) {
                Some(f) => {
                    lp.delete_range_with_entry(f, 2);
                    lp.shrink_to_fit();
                    true
                }
                None => false,
            },
            HashValue::Ht(d) => {
                let hit = d.remove(field).is_some();
                if hit {
                    d.try_shrink();
                }
                hit
            }
        }
    }

    /// The (field, value) pairs in the encoding's order.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (LpEntry<'_>, LpEntry<'_>)> + '_> {
        match self {
            HashValue::Listpack(lp) => Box::new(lp_pairs(lp)),
            HashValue::Ht(d) => Box::new(
                d.iter()
                    .map(|(k, v)| (LpEntry::Str(k.as_bytes()), LpEntry::Str(v.as_bytes()))),
            ),
        }
    }

    /// `hashTypeRandomElement`; `None` only when empty.
    pub fn random_pair(&self) -> Option<(LpEntry<'_>, LpEntry<'_>)> {
        match self {
            HashValue::Listpack(lp) => {
                let n = lp.count() / 2;
                if n == 0 {
                    return None;
                }
                let i = rand::thread_rng().gen_range(0..n) as i64;
                let f = lp.seek(2 * i)?;
                let v = lp.next(f)?;
                Some((lp.get(f), lp.get(v)))
            }
            HashValue::Ht(d) => d
                .fair_random_entry()
                .map(|(k, v)| (LpEntry::Str(k.as_bytes()), LpEntry::Str(v.as_bytes()))),
        }
    }

    /// Heap bytes of the encoding, for MEMORY USAGE.
    pub fn memory(&self) -> usize {
        let heap = |s: &Sds| if s.is_inline() { 0 } else { s.len() };
        match self {
            HashValue::Listpack(lp) => lp.alloc_size(),
            HashValue::Ht(d) => {
                std::mem::size_of::<Dict<Sds, Sds>>()
                    + d.mem_overhead()
                    + d.iter().map(|(k, v)| heap(k) + heap(v)).sum::<usize>()
            }
        }
    }

    /// The hash's part of DEBUG DIGEST: each pair digested in order, the
    /// pairs xor-ed together so that their order does not matter.
    pub fn digest(&self, digest: &mut [u8; 20]) {
        for (f, v) in self.iter() {
            let mut ele = [0u8; 20];
            crate::debug::mix_digest(&mut ele, &f.to_vec());
            crate::debug::mix_digest(&mut ele, &v.to_vec());
            crate::debug::xor_digest(digest, &ele);
        }
    }
}

/// A listpack's elements two by two.
fn lp_pairs(lp: &Listpack) -> impl Iterator<Item = (LpEntry<'_>, LpEntry<'_>)> + '_ {
    let mut it = lp.iter();
    std::iter::from_fn(move || Some((it.next()?, it.next()?)))
}

/// Runs a handler with the key (argument 1) taken out of the client, so
/// that it can be borrowed while the client is replied to; no copy.
fn with_key(c: &mut Client, f: impl FnOnce(&mut Client, &[u8])) {
    let key = std::mem::take(&mut c.argv[1]);
    f(c, &key);
    c.argv[1] = key;
}

fn as_hash(o: &RObj) -> Option<&HashValue> {
    match &o.value {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

fn as_hash_mut(o: &mut RObj) -> Option<&mut HashValue> {
    match &mut o.value {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

/// `lookupKeyRead` + `checkType`: `Err` after a WRONGTYPE reply, else
/// whether the key holds a hash. The hash is then read with [`hash_at`].
fn lookup_hash_read(server: &mut Server, c: &mut Client, key: &[u8]) -> Result<bool, ()> {
    match server.lookup_key_read(c.db, key) {
        None => Ok(false),
        Some(o) if as_hash(o).is_some() => Ok(true),
        Some(_) => {
            c.add_reply_wrongtype();
            Err(())
        }
    }
}

fn hash_at<'a>(server: &'a Server, db: usize, key: &[u8]) -> Option<&'a HashValue> {
    server.dbs[db].dict.get(key).and_then(as_hash)
}

/// `hashTypeLookupWriteOrCreate`: the hash at `key`, created empty when
/// missing; `None` after a WRONGTYPE reply.
fn lookup_write_or_create<'a>(
    server: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Option<&'a mut HashValue> {
    let db = c.db;
    match server.lookup_key_write(db, key) {
        Some(o) if as_hash(o).is_none() => {
            c.add_reply_wrongtype();
            return None;
        }
        Some(_) => {}
        None => server.db_add(db, key, RObj::new(Value::Hash(HashValue::new()))),
    }
    server.dbs[db].dict.get_mut(key).and_then(as_hash_mut)
}

/// HSETNX key field value
pub fn hsetnx_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    with_key(c, |c, key| {
        let (max_entries, max_value) = listpack_limits(server);
        let Some(h) = lookup_write_or_create(server, c, key) else {
            return;
        };
        if h.exists(&c.argv[2]) {
            c.add_reply_long_long(0);
            return;
        }
        h.try_conversion(&c.argv[2..4], max_value);
        h.set(&c.argv[2], &c.argv[3], max_entries, max_value);
        h.shrink_to_fit();
        c.add_reply_long_long(1);
        server.signal_modified_key(db, key);
        notify_keyspace_event(server, NOTIFY_HASH, "hset", key, db);
        server.dirty += 1;
    });
}

/// `hash-max-listpack-entries` and `hash-max-listpack-value`.
fn listpack_limits(server: &Server) -> (u64, u64) {
    (
        server.config.hash_max_listpack_entries,
        server.config.hash_max_listpack_value,
    )
}

/// HSET key field value [field value ...], and HMSET (which replies OK).
pub fn hset_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() % 2 == 1 {
        let name = c
            .cmd
            .map_or("", |i| server.commands.list[i].fullname.as_str());
        c.add_reply_error_arity(name);
        return;
    }
    let db = c.db;
    with_key(c, |c, key| {
        let (max_entries, max_value) = listpack_limits(server);
        let Some(h) = lookup_write_or_create(server, c, key) else {
            return;
        };
        h.try_conversion(&c.argv[2..], max_value);
        let mut created = 0;
        for pair in c.argv[2..].chunks_exact(2) {
            if !h.set(&pair[0], &pair[1], max_entries, max_value) {
                created += 1;
            }
        }
        h.shrink_to_fit();
        // HSET counts the new fields; the deprecated HMSET says OK.
        let hmset = c
            .cmd
            .is_some_and(|i| server.commands.list[i].fullname == "hmset");
        if !hmset {
            c.add_reply_long_long(created);
        } else {
            c.add_reply_ok();
        }
        server.signal_modified_key(db, key);
        notify_keyspace_event(server, NOTIFY_HASH, "hset", key, db);
        server.dirty += (c.argv.len() as u64 - 2) / 2;
    });
}

/// HINCRBY key field increment
pub fn hincrby_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let Some(incr) = string2ll(&c.argv[3]) else {
        c.add_reply_error("value is not an integer or out of range");
        return;
    };
    with_key(c, |c, key| {
        let (max_entries, max_value) = listpack_limits(server);
        let Some(h) = lookup_write_or_create(server, c, key) else {
            return;
        };
        let value = match h.get(&c.argv[2]) {
            None => 0,
            Some(LpEntry::Int(v)) => v,
            Some(LpEntry::Str(s)) => match string2ll(s) {
                Some(v) => v,
                None => {
                    c.add_reply_error("hash value is not an integer");
                    return;
                }
            },
        };
        let Some(value) = value.checked_add(incr) else {
            c.add_reply_error("increment or decrement would overflow");
            return;
        };
        let text = crate::util::ll_to_bytes(value);
        h.set(&c.argv[2], &text, max_entries, max_value);
        h.shrink_to_fit();
        c.add_reply_long_long(value);
        server.signal_modified_key(db, key);
        notify_keyspace_event(server, NOTIFY_HASH, "hincrby", key, db);
        server.dirty += 1;
    });
}

/// HINCRBYFLOAT key field increment
pub fn hincrbyfloat_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let Some(incr) = string2ld(&c.argv[3]) else {
        c.add_reply_error("value is not a valid float");
        return;
    };
    if !incr.is_finite() {
        c.add_reply_error("value is NaN or Infinity");
        return;
    }
    with_key(c, |c, key| {
        let (max_entries, max_value) = listpack_limits(server);
        let Some(h) = lookup_write_or_create(server, c, key) else {
            return;
        };
        let value = match h.get(&c.argv[2]) {
            None => LongDouble::ZERO,
            Some(LpEntry::Int(v)) => LongDouble::from_i64(v),
            Some(LpEntry::Str(s)) => match string2ld(s) {
                Some(v) => v,
                None => {
                    c.add_reply_error("hash value is not a float");
                    return;
                }
            },
        };
        let Some(sum) = value.checked_add(incr) else {
            c.add_reply_error("increment would produce NaN or Infinity");
            return;
        };
        let text = ld2string(sum, Ld2StringMode::Human);
        h.set(&c.argv[2], &text, max_entries, max_value);
        h.shrink_to_fit();
        c.add_reply_bulk(&text);
        server.signal_modified_key(db, key);
        notify_keyspace_event(server, NOTIFY_HASH, "hincrbyfloat", key, db);
        server.dirty += 1;
    });
}

/// `addHashFieldToReply` of argument `j`.
fn add_hash_field_to_reply(c: &mut Client, h: Option<&HashValue>, j: usize) {
    match h.and_then(|h| h.get(&c.argv[j])) {
        Some(e) => add_reply_entry(c, e),
        None => c.add_reply_null(),
    }
}

/// HGET key field
pub fn hget_command(server: &mut Server, c: &mut Client) {
    with_key(c, |c, key| match lookup_hash_read(server, c, key) {
        Err(()) => {}
        Ok(false) => c.add_reply_null(),
        Ok(true) => add_hash_field_to_reply(c, hash_at(server, c.db, key), 2),
    });
}

/// HMGET key field [field ...]
pub fn hmget_command(server: &mut Server, c: &mut Client) {
    with_key(c, |c, key| {
        if lookup_hash_read(server, c, key).is_err() {
            return;
        }
        let h = hash_at(server, c.db, key);
        c.add_reply_array_len(c.argv.len() as i64 - 2);
        for j in 2..c.argv.len() {
            add_hash_field_to_reply(c, h, j);
        }
    });
}

/// HDEL key field [field ...]
pub fn hdel_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    with_key(c, |c, key| {
        let h = match server.lookup_key_write(db, key) {
            None => return c.add_reply_long_long(0),
            Some(o) => match as_hash_mut(o) {
                Some(h) => h,
                None => return c.add_reply_wrongtype(),
            },
        };
        let mut deleted = 0i64;
        let mut keyremoved = false;
        for f in &c.argv[2..] {
            if h.delete(f) {
                deleted += 1;
                if h.is_empty() {
                    keyremoved = true;
                    break;
                }
            }
        }
        if keyremoved {
            server.db_delete(db, key);
        }
        if deleted > 0 {
            server.signal_modified_key(db, key);
            notify_keyspace_event(server, NOTIFY_HASH, "hdel", key, db);
            if keyremoved {
                notify_keyspace_event(server, NOTIFY_GENERIC, "del", key, db);
            }
            server.dirty += deleted as u64;
        }
        c.add_reply_long_long(deleted);
    });
}

/// HLEN key
pub fn hlen_command(server: &mut Server, c: &mut Client) {
    with_key(c, |c, key| {
        if lookup_hash_read(server, c, key).is_ok() {
            let n = hash_at(server, c.db, key).map_or(0, |h| h.len());
            c.add_reply_long_long(n as i64);
        }
    });
}

/// HSTRLEN key field
pub fn hstrlen_command(server: &mut Server, c: &mut Client) {
    with_key(c, |c, key| {
        if lookup_hash_read(server, c, key).is_ok() {
            let n = hash_at(server, c.db, key)
                .and_then(|h| h.get(&c.argv[2]))
                .map_or(0, entry_len);
            c.add_reply_long_long(n as i64);
        }
    });
}

/// `genericHgetallCommand`: HKEYS, HVALS, HGETALL.
fn generic_hgetall_command(server: &mut Server, c: &mut Client, keys: bool, vals: bool) {
    with_key(c, |c, key| {
        let Ok(found) = lookup_hash_read(server, c, key) else {
            return;
        };
        let h = if found {
            hash_at(server, c.db, key)
        } else {
            None
        };
        let len = h.map_or(0, |h| h.len()) as i64;
        // Fields with values make a map; either alone a flat array.
        if keys && vals {
            c.add_reply_map_len(len);
        } else {
            c.add_reply_array_len(len);
        }
        for (f, v) in h.into_iter().flat_map(|h| h.iter()) {
            if keys {
                add_reply_entry(c, f);
            }
            if vals {
                add_reply_entry(c, v);
            }
        }
    });
}

/// HKEYS key
pub fn hkeys_command(server: &mut Server, c: &mut Client) {
    generic_hgetall_command(server, c, true, false);
}

/// HVALS key
pub fn hvals_command(server: &mut Server, c: &mut Client) {
    generic_hgetall_command(server, c, false, true);
}

/// HGETALL key
pub fn hgetall_command(server: &mut Server, c: &mut Client) {
    generic_hgetall_command(server, c, true, true);
}

/// HEXISTS key field
pub fn hexists_command(server: &mut Server, c: &mut Client) {
    with_key(c, |c, key| {
        if lookup_hash_read(server, c, key).is_ok() {
            let hit = hash_at(server, c.db, key).is_some_and(|h| h.exists(&c.argv[2]));
            c.add_reply_long_long(hit as i64);
        }
    });
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub fn hscan_command(server: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, &c.argv[2].clone()) else {
        return;
    };
    let key = c.argv[1].clone();
    match lookup_hash_read(server, c, &key) {
        Err(()) => {}
        Ok(false) => crate::db::add_reply_empty_scan(c),
        Ok(true) => {
            let Some(h) = hash_at(server, c.db, &key) else {
                return;
            };
            scan_collection(c, cursor, true, |cursor, count, out| match h {
                // A listpack goes out whole, with cursor 0.
                HashValue::Listpack(lp) => {
                    out.extend(lp.iter().map(|e| e.to_vec()));
                    0
                }
                HashValue::Ht(d) => scan_dict(d, cursor, count, |k, v| {
                    out.push(k.to_vec());
                    out.push(v.to_vec());
                }),
            });
        }
    }
}

/// Above this share of the hash HRANDFIELD starts from a copy and drops
/// fields, rather than drawing (`HRANDFIELD_SUB_STRATEGY_MUL`).
const HRANDFIELD_SUB_STRATEGY_MUL: u64 = 3;

/// Replies with one field, and its value when asked (a pair array in RESP3).
fn add_reply_pair(c: &mut Client, f: LpEntry<'_>, v: Option<LpEntry<'_>>) {
    if v.is_some() && c.resp > 2 {
        c.add_reply_array_len(2);
    }
    add_reply_entry(c, f);
    if let Some(v) = v {
        add_reply_entry(c, v);
    }
}

/// The offsets of a listpack's fields, to draw pairs by index in O(1).
fn lp_field_offsets(lp: &Listpack) -> Vec<usize> {
    let mut out = Vec::with_capacity(lp.count() / 2);
    let mut p = lp.first();
    while let Some(f) = p {
        out.push(f);
        p = lp.next(f).and_then(|v| lp.next(v));
    }
    out
}

/// `hrandfieldWithCountCommand`.
fn hrandfield_with_count_command(server: &mut Server, c: &mut Client, l: i64, withvalues: bool) {
    let key = c.argv[1].clone();
    match lookup_hash_read(server, c, &key) {
        Err(()) => return,
        Ok(false) => return c.add_reply_array_len(0),
        Ok(true) => {}
    }
    let Some(h) = hash_at(server, c.db, &key) else {
        return;
    };
    let mut size = h.len() as u64;
    // A negative count may repeat fields.
    let (mut count, uniq) = (l.unsigned_abs(), l >= 0);
    if count == 0 {
        c.add_reply_array_len(0);
        return;
    }
    let flat = withvalues && c.resp == 2;
    let mut rng = rand::thread_rng();

    // 1) Repeats allowed (or one field): draw `count` times.
    if !uniq || count == 1 {
        c.add_reply_array_len(if flat { count as i64 * 2 } else { count as i64 });
        let offsets = match h {
            HashValue::Listpack(lp) => Some((lp, lp_field_offsets(lp))),
            HashValue::Ht(_) => None,
        };
        while count > 0 {
            count -= 1;
            let pair = match &offsets {
                Some((lp, offs)) if !offs.is_empty() => {
                    let f = offs[rng.gen_range(0..offs.len())];
                    lp.next(f).map(|v| (lp.get(f), lp.get(v)))
                }
                _ => h.random_pair(),
            };
            if let Some((f, v)) = pair {
                add_reply_pair(c, f, withvalues.then_some(v));
            }
            if c.flags & CLIENT_CLOSE_ASAP != 0 {
                break;
            }
        }
        return;
    }

    let reply_size = count.min(size) as i64;
    c.add_reply_array_len(if flat { reply_size * 2 } else { reply_size });

    // 2) At least the whole hash: all of it.
    if count >= size {
        for (f, v) in h.iter() {
            add_reply_pair(c, f, withvalues.then_some(v));
        }
        return;
    }

    // 3) Close to the whole hash: copy it, then drop random fields.
    if count * HRANDFIELD_SUB_STRATEGY_MUL > size {
        let mut d: Dict<Sds, Sds> = Dict::new();
        for (f, v) in h.iter() {
            d.insert(Sds::new(&f.to_vec()), Sds::new(&v.to_vec()));
        }
        while size > count {
            let Some(k) = d.fair_random_entry().map(|(k, _)| k.clone()) else {
                break;
            };
            d.remove(&k);
            size -= 1;
        }
        for (k, v) in d.iter() {
            add_reply_pair(
                c,
                LpEntry::Str(k.as_bytes()),
                withvalues.then_some(LpEntry::Str(v.as_bytes())),
            );
        }
        return;
    }

    // 4) A small part. A listpack picks distinct pairs in one ordered pass
    // (each kept with probability needed/left); a hashtable draws until
    // enough distinct fields were seen.
    match h {
        HashValue::Listpack(lp) => {
            let mut needed = count;
            let mut left = size;
            for (f, v) in lp_pairs(lp) {
                if needed == 0 {
                    break;
                }
                if rng.gen_range(0..left) < needed {
                    add_reply_pair(c, f, withvalues.then_some(v));
                    needed -= 1;
                }
                left -= 1;
            }
        }
        HashValue::Ht(_) => {
            let mut seen: Dict<Sds, ()> = Dict::new();
            let mut added = 0;
            while added < count {
                let Some((f, v)) = h.random_pair() else { break };
                let LpEntry::Str(fb) = f else { continue };
                if seen.insert(Sds::new(fb), ()).is_some() {
                    continue;
                }
                added += 1;
                add_reply_pair(c, f, withvalues.then_some(v));
            }
        }
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() >= 3 {
        let Some(l) =
            get_range_long_from_object_or_reply(c, &c.argv[2].clone(), -i64::MAX, i64::MAX, None)
        else {
            return;
        };
        let withvalues = c.argv.len() == 4;
        if c.argv.len() > 4 || (withvalues && !c.argv[3].eq_ignore_ascii_case(b"withvalues")) {
            c.add_reply_syntax_error();
            return;
        }
        if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&l) {
            c.add_reply_error("value is out of range");
            return;
        }
        hrandfield_with_count_command(server, c, l, withvalues);
        return;
    }
    let key = c.argv[1].clone();
    match lookup_hash_read(server, c, &key) {
        Err(()) => {}
        Ok(false) => c.add_reply_null(),
        Ok(true) => {
            if let Some((f, _)) = hash_at(server, c.db, &key).and_then(|h| h.random_pair()) {
                add_reply_entry(c, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_small_enough_for_a_keyspace_slot() {
        assert!(std::mem::size_of::<HashValue>() <= 24);
        assert!(std::mem::size_of::<crate::t_set::SetValue>() <= 24);
    }

    #[test]
    fn listpack_until_too_many_or_too_long() {
        let mut h = HashValue::new();
        assert!(!h.set(b"a", b"1", 2, 8));
        assert!(h.set(b"a", b"2", 2, 8));
        assert!(!h.set(b"b", b"x", 2, 8));
        assert_eq!(h.encoding_name(), "listpack");
        assert!(matches!(h.get(b"a"), Some(LpEntry::Int(2))));
        h.set(b"c", b"x", 2, 8);
        assert_eq!(h.encoding_name(), "hashtable");
        assert_eq!(h.len(), 3);
        assert_eq!(h.get(b"a"), Some(LpEntry::Str(b"2")));

        let mut h = HashValue::new();
        h.try_conversion(&[b"f".to_vec(), b"123456789".to_vec()], 8);
        assert_eq!(h.encoding_name(), "hashtable");
    }

    #[test]
    fn deleting_and_iterating_pairs() {
        let mut h = HashValue::new();
        for (f, v) in [("a", "1"), ("b", "two"), ("c", "3")] {
            h.set(f.as_bytes(), v.as_bytes(), 512, 64);
        }
        assert!(h.delete(b"b"));
        assert!(!h.delete(b"b"));
        let pairs: Vec<(Vec<u8>, Vec<u8>)> =
            h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        assert_eq!(
            pairs,
            [
                (b"a".to_vec(), b"1".to_vec()),
                (b"c".to_vec(), b"3".to_vec())
            ]
        );
        assert_eq!(h.get(b"c").map(entry_len), Some(1));
    }
}
