//! The set type: a port of `t_set.c`.
//!
//! A set lives in one of two encodings, as in Redis 7.0: an [`Intset`]
//! (a sorted array of numbers) while every member is an integer and there
//! are at most `set-max-intset-entries` of them, else a [`Dict`] of member
//! strings (`hashtable`). The switch happens on the write that breaks a
//! condition and is one way: a set never goes back to an intset. The
//! `SetValue` methods are the `setType*` functions the commands build on;
//! the commands follow, in the order of the C file.
//!
//! Replies that list a set come out in the order of its encoding (ascending
//! for an intset), and the multi-set commands build their result in a fresh
//! set that starts as an intset, so SUNION of integer sets answers sorted,
//! exactly as Redis does.

use crate::config::{NOTIFY_GENERIC, NOTIFY_SET};
use crate::db::{parse_scan_cursor_or_reply, scan_collection};
use crate::dict::Dict;
use crate::intset::Intset;
use crate::networking::{Client, CLIENT_CLOSE_ASAP};
use crate::notify::notify_keyspace_event;
use crate::object::{
    get_positive_long_from_object_or_reply, get_range_long_from_object_or_reply, RObj, Value,
};
use crate::sds::Sds;
use crate::server::Server;
use crate::util::{ll2string, string2ll};

/// A set value; the variant is the encoding.
pub enum SetValue {
    /// `OBJ_ENCODING_INTSET`
    Intset(Intset),
    /// `OBJ_ENCODING_HT`: members are the keys, there are no values. Boxed
    /// so that a set costs a keyspace slot no more than a string does.
    Ht(Box<Dict<Sds, ()>>),
}

/// One member as a set yields it: a number out of an intset or the bytes
/// of a hashtable member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetElem<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl SetElem<'_> {
    /// The member as text (`setTypeNextObject`).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            SetElem::Int(v) => crate::util::ll_to_bytes(v),
            SetElem::Str(s) => s.to_vec(),
        }
    }

    /// Calls `f` with the member's text, printing a number on the stack.
    fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            SetElem::Int(v) => {
                let mut buf = [0u8; 24];
                let n = ll2string(&mut buf, v);
                f(&buf[..n])
            }
            SetElem::Str(s) => f(s),
        }
    }
}

/// Replies with one member as a bulk string.
fn add_reply_elem(c: &mut Client, e: SetElem<'_>) {
    match e {
        SetElem::Int(v) => c.add_reply_bulk_long_long(v),
        SetElem::Str(s) => c.add_reply_bulk(s),
    }
}

/// `isSdsRepresentableAsLongLong`.
fn as_long_long(s: &[u8]) -> Option<i64> {
    if s.len() > 20 {
        return None;
    }
    string2ll(s)
}

/// Copies a hashtable set member for member (`setTypeDup`).
fn dup_dict(d: &Dict<Sds, ()>) -> Dict<Sds, ()> {
    let mut n = Dict::new();
    for (k, _) in d.iter() {
        n.insert(k.clone(), ());
    }
    n
}

impl Clone for SetValue {
    fn clone(&self) -> Self {
        match self {
            SetValue::Intset(is) => SetValue::Intset(is.clone()),
            SetValue::Ht(d) => SetValue::Ht(Box::new(dup_dict(d))),
        }
    }
}

impl std::fmt::Debug for SetValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetValue::Intset(is) => f.debug_tuple("Intset").field(is).finish(),
            SetValue::Ht(d) => f.debug_tuple("Ht").field(&d.len()).finish(),
        }
    }
}

impl SetValue {
    /// `setTypeCreate`: the encoding that can hold `first`.
    pub fn create(first: &[u8]) -> SetValue {
        if as_long_long(first).is_some() {
            SetValue::Intset(Intset::new())
        } else {
            SetValue::Ht(Box::default())
        }
    }

    /// The name OBJECT ENCODING prints.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            SetValue::Intset(_) => "intset",
            SetValue::Ht(_) => "hashtable",
        }
    }

    /// `setTypeSize`.
    pub fn size(&self) -> usize {
        match self {
            SetValue::Intset(is) => is.len(),
            SetValue::Ht(d) => d.len(),
        }
    }

    /// `setTypeConvert` to a hashtable.
    fn convert_to_ht(&mut self) {
        if let SetValue::Intset(is) = self {
            let mut d = Dict::new();
            for v in is.iter() {
                d.insert(Sds::new(&crate::util::ll_to_bytes(v)), ());
            }
            *self = SetValue::Ht(Box::new(d));
        }
    }

    /// `setTypeAdd`: returns whether `value` was new. `max_intset` is
    /// `set-max-intset-entries`.
    pub fn add(&mut self, value: &[u8], max_intset: u64) -> bool {
        match self {
            SetValue::Ht(d) => match d.entry(value) {
                crate::dict::Entry::Occupied(_) => false,
                crate::dict::Entry::Vacant(e) => {
                    e.insert(Sds::new(value), ());
                    true
                }
            },
            SetValue::Intset(is) => match as_long_long(value) {
                Some(v) => {
                    if !is.add(v) {
                        return false;
                    }
                    // The intset's own limits cap the setting at 2^30.
                    if is.len() as u64 > max_intset.min(1 << 30) {
                        self.convert_to_ht();
                    }
                    true
                }
                None => {
                    self.convert_to_ht();
                    if let SetValue::Ht(d) = self {
                        d.insert(Sds::new(value), ());
                    }
                    true
                }
            },
        }
    }

    /// `setTypeRemove`: returns whether `value` was a member.
    pub fn remove(&mut self, value: &[u8]) -> bool {
        match self {
            SetValue::Ht(d) => {
                if d.remove(value).is_some() {
                    d.try_shrink();
                    true
                } else {
                    false
                }
            }
            SetValue::Intset(is) => as_long_long(value).is_some_and(|v| is.remove(v)),
        }
    }

    /// Removes a member as the set yielded it.
    fn remove_elem(&mut self, e: SetElem<'_>) -> bool {
        match (self, e) {
            (SetValue::Intset(is), SetElem::Int(v)) => is.remove(v),
            (s, e) => e.with_bytes(|b| s.remove(b)),
        }
    }

    /// `setTypeIsMember`.
    pub fn is_member(&self, value: &[u8]) -> bool {
        match self {
            SetValue::Ht(d) => d.contains_key(value),
            SetValue::Intset(is) => as_long_long(value).is_some_and(|v| is.find(v)),
        }
    }

    /// Membership of a member yielded by another set: an intset asks an
    /// intset without printing the number.
    fn is_member_elem(&self, e: SetElem<'_>) -> bool {
        match (self, e) {
            (SetValue::Intset(is), SetElem::Int(v)) => is.find(v),
            (s, e) => e.with_bytes(|b| s.is_member(b)),
        }
    }

    /// `setTypeRandomElement`; `None` only for an empty set.
    pub fn random_element(&self) -> Option<SetElem<'_>> {
        match self {
            SetValue::Intset(is) => is.random().map(SetElem::Int),
            SetValue::Ht(d) => d
                .fair_random_entry()
                .map(|(k, _)| SetElem::Str(k.as_bytes())),
        }
    }

    /// The members in the encoding's order (`setTypeInitIterator`).
    pub fn iter(&self) -> Box<dyn Iterator<Item = SetElem<'_>> + '_> {
        match self {
            SetValue::Intset(is) => Box::new(is.iter().map(SetElem::Int)),
            SetValue::Ht(d) => Box::new(d.iter().map(|(k, _)| SetElem::Str(k.as_bytes()))),
        }
    }

    /// Heap bytes of the encoding, for MEMORY USAGE.
    pub fn memory(&self) -> usize {
        match self {
            SetValue::Intset(is) => is.allocated(),
            SetValue::Ht(d) => {
                std::mem::size_of::<Dict<Sds, ()>>()
                    + d.mem_overhead()
                    + d.iter()
                        .map(|(k, _)| if k.is_inline() { 0 } else { k.len() })
                        .sum::<usize>()
            }
        }
    }

    /// The members' part of DEBUG DIGEST: SHA-1s xor-ed, order-free.
    pub fn digest(&self, digest: &mut [u8; 20]) {
        for e in self.iter() {
            e.with_bytes(|b| crate::debug::xor_digest(digest, b));
        }
    }
}

/// The set in `o`, or `None` for another type.
fn as_set(o: &RObj) -> Option<&SetValue> {
    match &o.value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

fn as_set_mut(o: &mut RObj) -> Option<&mut SetValue> {
    match &mut o.value {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// What a lookup found: nothing, a set, or another type (already replied).
enum Found {
    Missing,
    Set,
    WrongType,
}

/// `lookupKey*` + `checkType`: replies WRONGTYPE itself.
fn lookup_set(server: &mut Server, c: &mut Client, key: &[u8], write: bool) -> Found {
    let o = if write {
        server.lookup_key_write(c.db, key)
    } else {
        server.lookup_key_read(c.db, key)
    };
    match o {
        None => Found::Missing,
        Some(o) if as_set(o).is_some() => Found::Set,
        Some(_) => {
            c.add_reply_wrongtype();
            Found::WrongType
        }
    }
}

/// The set at `key` after a successful [`lookup_set`].
fn set_at<'a>(server: &'a Server, db: usize, key: &[u8]) -> Option<&'a SetValue> {
    server.dbs[db].dict.get(key).and_then(as_set)
}

fn set_at_mut<'a>(server: &'a mut Server, db: usize, key: &[u8]) -> Option<&'a mut SetValue> {
    server.dbs[db].dict.get_mut(key).and_then(as_set_mut)
}

/// SADD key member [member ...]
pub fn sadd_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let max = server.config.set_max_intset_entries;
    let key = std::mem::take(&mut c.argv[1]);
    let added = match lookup_set(server, c, &key, true) {
        Found::WrongType => {
            c.argv[1] = key;
            return;
        }
        Found::Missing => {
            let mut set = SetValue::create(&c.argv[2]);
            let added = c.argv[2..].iter().filter(|m| set.add(m, max)).count();
            server.db_add(db, &key, RObj::new(Value::Set(set)));
            added
        }
        Found::Set => match set_at_mut(server, db, &key) {
            Some(set) => c.argv[2..].iter().filter(|m| set.add(m, max)).count(),
            None => 0,
        },
    };
    if added > 0 {
        server.signal_modified_key(db, &key);
        notify_keyspace_event(server, NOTIFY_SET, "sadd", &key, db);
    }
    server.dirty += added as u64;
    c.add_reply_long_long(added as i64);
    c.argv[1] = key;
}

/// SREM key member [member ...]
pub fn srem_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let key = std::mem::take(&mut c.argv[1]);
    match lookup_set(server, c, &key, true) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_long_long(0),
        Found::Set => {
            let mut deleted = 0i64;
            let mut keyremoved = false;
            if let Some(set) = set_at_mut(server, db, &key) {
                for m in &c.argv[2..] {
                    if set.remove(m) {
                        deleted += 1;
                        if set.size() == 0 {
                            keyremoved = true;
                            break;
                        }
                    }
                }
            }
            if keyremoved {
                server.db_delete(db, &key);
            }
            if deleted > 0 {
                server.signal_modified_key(db, &key);
                notify_keyspace_event(server, NOTIFY_SET, "srem", &key, db);
                if keyremoved {
                    notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
                }
                server.dirty += deleted as u64;
            }
            c.add_reply_long_long(deleted);
        }
    }
    c.argv[1] = key;
}

/// SMOVE source destination member
pub fn smove_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let (src, dst, ele) = (c.argv[1].clone(), c.argv[2].clone(), c.argv[3].clone());
    let src_type = server
        .lookup_key_write(db, &src)
        .map(|o| as_set(o).is_some());
    let dst_type = server
        .lookup_key_write(db, &dst)
        .map(|o| as_set(o).is_some());
    let Some(src_is_set) = src_type else {
        c.add_reply_long_long(0);
        return;
    };
    if !src_is_set || dst_type == Some(false) {
        c.add_reply_wrongtype();
        return;
    }
    // Same key: nothing moves, the answer is whether it is a member.
    if src == dst {
        let member = set_at(server, db, &src).is_some_and(|s| s.is_member(&ele));
        c.add_reply_long_long(member as i64);
        return;
    }
    let removed = set_at_mut(server, db, &src).is_some_and(|s| s.remove(&ele));
    if !removed {
        c.add_reply_long_long(0);
        return;
    }
    notify_keyspace_event(server, NOTIFY_SET, "srem", &src, db);
    if set_at(server, db, &src).is_some_and(|s| s.size() == 0) {
        server.db_delete(db, &src);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &src, db);
    }
    if dst_type.is_none() {
        server.db_add(db, &dst, RObj::new(Value::Set(SetValue::create(&ele))));
    }
    server.signal_modified_key(db, &src);
    server.dirty += 1;
    let max = server.config.set_max_intset_entries;
    if set_at_mut(server, db, &dst).is_some_and(|s| s.add(&ele, max)) {
        server.dirty += 1;
        server.signal_modified_key(db, &dst);
        notify_keyspace_event(server, NOTIFY_SET, "sadd", &dst, db);
    }
    c.add_reply_long_long(1);
}

/// SISMEMBER key member
pub fn sismember_command(server: &mut Server, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Found::Missing | Found::Set = lookup_set(server, c, &key, false) {
        let member = set_at(server, c.db, &key).is_some_and(|s| s.is_member(&c.argv[2]));
        c.add_reply_long_long(member as i64);
    }
    c.argv[1] = key;
}

/// SMISMEMBER key member [member ...]
pub fn smismember_command(server: &mut Server, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Found::Missing | Found::Set = lookup_set(server, c, &key, false) {
        let set = set_at(server, c.db, &key);
        c.add_reply_array_len(c.argv.len() as i64 - 2);
        for j in 2..c.argv.len() {
            let member = set.is_some_and(|s| s.is_member(&c.argv[j]));
            c.add_reply_long_long(member as i64);
        }
    }
    c.argv[1] = key;
}

/// SCARD key
pub fn scard_command(server: &mut Server, c: &mut Client) {
    let key = std::mem::take(&mut c.argv[1]);
    if let Found::Missing | Found::Set = lookup_set(server, c, &key, false) {
        let n = set_at(server, c.db, &key).map_or(0, |s| s.size());
        c.add_reply_long_long(n as i64);
    }
    c.argv[1] = key;
}

/// How much bigger than the remainder the popped part must be before SPOP
/// builds the remainder as a new set instead (`SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

/// `spopWithCountCommand`: SPOP key count.
fn spop_with_count_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let Some(l) = get_positive_long_from_object_or_reply(c, &c.argv[2].clone(), None) else {
        return;
    };
    let count = l as u64;
    let key = c.argv[1].clone();
    match lookup_set(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => {
            c.add_reply_set_len(0);
            return;
        }
        Found::Set => {}
    }
    if count == 0 {
        c.add_reply_set_len(0);
        return;
    }
    let size = set_at(server, db, &key).map_or(0, |s| s.size()) as u64;
    notify_keyspace_event(server, NOTIFY_SET, "spop", &key, db);
    server.dirty += count.min(size);

    // 1) Everything goes: reply as SUNION would, then delete the key.
    if count >= size {
        sunion_diff_generic_command(server, c, std::slice::from_ref(&key), None, SetOp::Union);
        server.db_delete(db, &key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
        server.signal_modified_key(db, &key);
        return;
    }

    c.add_reply_set_len(count as i64);
    let remaining = size - count;
    let max = server.config.set_max_intset_entries;
    let Some(set) = set_at_mut(server, db, &key) else {
        return;
    };
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        // 2) A few members: draw and remove them one by one.
        for _ in 0..count {
            let Some(e) = set.random_element() else { break };
            let owned = e.to_vec();
            c.add_reply_bulk(&owned);
            set.remove(&owned);
        }
    } else {
        // 3) Most members: draw the ones that stay into a new set, reply
        // with what is left in the old one, and keep the new one.
        let mut newset: Option<SetValue> = None;
        for _ in 0..remaining {
            let Some(e) = set.random_element() else { break };
            let owned = e.to_vec();
            newset
                .get_or_insert_with(|| SetValue::create(&owned))
                .add(&owned, max);
            set.remove(&owned);
        }
        for e in set.iter() {
            add_reply_elem(c, e);
        }
        if let Some(n) = newset {
            *set = n;
        }
    }
    server.signal_modified_key(db, &key);
}

/// SPOP key [count]
pub fn spop_command(server: &mut Server, c: &mut Client) {
    match c.argv.len() {
        3 => return spop_with_count_command(server, c),
        n if n > 3 => return c.add_reply_syntax_error(),
        _ => {}
    }
    let db = c.db;
    let key = c.argv[1].clone();
    match lookup_set(server, c, &key, true) {
        Found::WrongType => return,
        Found::Missing => return c.add_reply_null(),
        Found::Set => {}
    }
    let Some(set) = set_at_mut(server, db, &key) else {
        return;
    };
    let Some(ele) = set.random_element().map(|e| e.to_vec()) else {
        return;
    };
    set.remove(&ele);
    let empty = set.size() == 0;
    notify_keyspace_event(server, NOTIFY_SET, "spop", &key, db);
    c.add_reply_bulk(&ele);
    if empty {
        server.db_delete(db, &key);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &key, db);
    }
    server.signal_modified_key(db, &key);
    server.dirty += 1;
}

/// Above this share of the set SRANDMEMBER starts from a copy and drops
/// members, rather than drawing (`SRANDMEMBER_SUB_STRATEGY_MUL`).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

/// `srandmemberWithCountCommand`: SRANDMEMBER key count.
fn srandmember_with_count_command(server: &mut Server, c: &mut Client) {
    let Some(l) =
        get_range_long_from_object_or_reply(c, &c.argv[2].clone(), -i64::MAX, i64::MAX, None)
    else {
        return;
    };
    // A negative count may repeat members.
    let (mut count, uniq) = (l.unsigned_abs(), l >= 0);
    let key = c.argv[1].clone();
    match lookup_set(server, c, &key, false) {
        Found::WrongType => return,
        Found::Missing => return c.add_reply_array_len(0),
        Found::Set => {}
    }
    let Some(set) = set_at(server, c.db, &key) else {
        return;
    };
    let mut size = set.size() as u64;
    if count == 0 {
        c.add_reply_array_len(0);
        return;
    }

    // 1) Repeats allowed (or one member): draw `count` times.
    if !uniq || count == 1 {
        c.add_reply_array_len(count as i64);
        while count > 0 {
            count -= 1;
            if let Some(e) = set.random_element() {
                add_reply_elem(c, e);
            }
            if c.flags & CLIENT_CLOSE_ASAP != 0 {
                break;
            }
        }
        return;
    }

    // 2) At least the whole set: all of it.
    if count >= size {
        c.add_reply_array_len(size as i64);
        for e in set.iter() {
            add_reply_elem(c, e);
        }
        return;
    }

    let mut d: Dict<Sds, ()> = Dict::new();
    if count * SRANDMEMBER_SUB_STRATEGY_MUL > size {
        // 3) Close to the whole set: copy it, then drop random members.
        for e in set.iter() {
            e.with_bytes(|b| d.insert(Sds::new(b), ()));
        }
        while size > count {
            let Some(k) = d.fair_random_entry().map(|(k, _)| k.clone()) else {
                break;
            };
            d.remove(&k);
            size -= 1;
        }
    } else {
        // 4) A small part: draw until enough distinct members are found.
        let mut added = 0;
        while added < count {
            let Some(e) = set.random_element() else { break };
            if e.with_bytes(|b| d.insert(Sds::new(b), ())).is_none() {
                added += 1;
            }
        }
    }
    c.add_reply_array_len(count as i64);
    for (k, _) in d.iter() {
        c.add_reply_bulk(k);
    }
}

/// SRANDMEMBER key [count]
pub fn srandmember_command(server: &mut Server, c: &mut Client) {
    match c.argv.len() {
        3 => return srandmember_with_count_command(server, c),
        n if n > 3 => return c.add_reply_syntax_error(),
        _ => {}
    }
    let key = std::mem::take(&mut c.argv[1]);
    match lookup_set(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => c.add_reply_null(),
        Found::Set => {
            if let Some(e) = set_at(server, c.db, &key).and_then(|s| s.random_element()) {
                add_reply_elem(c, e);
            }
        }
    }
    c.argv[1] = key;
}

/// Looks up every key of a multi-set command in order (expiring,
/// counting hits) and type-checks it. `None` after a WRONGTYPE reply;
/// else whether each key exists.
fn lookup_sets(server: &mut Server, c: &mut Client, keys: &[Vec<u8>]) -> Option<Vec<bool>> {
    let mut exists = Vec::with_capacity(keys.len());
    for k in keys {
        match lookup_set(server, c, k, false) {
            Found::WrongType => return None,
            Found::Missing => exists.push(false),
            Found::Set => exists.push(true),
        }
    }
    Some(exists)
}

/// What SINTER* does with the intersection.
enum InterOutput<'a> {
    Reply,
    Store(&'a [u8]),
    /// SINTERCARD, with its LIMIT (0 = none).
    Cardinality(u64),
}

/// `sinterGenericCommand`: SINTER, SMEMBERS, SINTERSTORE, SINTERCARD.
fn sinter_generic_command(server: &mut Server, c: &mut Client, keys: &[Vec<u8>], out: InterOutput) {
    let db = c.db;
    let Some(exists) = lookup_sets(server, c, keys) else {
        return;
    };
    // With any set missing the intersection is empty.
    if exists.contains(&false) {
        match out {
            InterOutput::Store(dst) => {
                if server.db_delete(db, dst) {
                    server.signal_modified_key(db, dst);
                    notify_keyspace_event(server, NOTIFY_GENERIC, "del", dst, db);
                    server.dirty += 1;
                }
                c.add_reply_long_long(0);
            }
            InterOutput::Cardinality(_) => c.add_reply_long_long(0),
            InterOutput::Reply => c.add_reply_set_len(0),
        }
        return;
    }
    let mut sets: Vec<&SetValue> = keys.iter().filter_map(|k| set_at(server, db, k)).collect();
    // Smallest first: every member of the first is checked in the others.
    sets.sort_by_key(|s| s.size());
    let Some(&first) = sets.first() else {
        return;
    };
    let max = server.config.set_max_intset_entries;
    let mut dstset = SetValue::Intset(Intset::new());
    let mut members: Vec<SetElem<'_>> = Vec::new();
    let mut cardinality = 0u64;
    for e in first.iter() {
        let in_all = sets[1..]
            .iter()
            .all(|s| std::ptr::eq(*s, first) || s.is_member_elem(e));
        if !in_all {
            continue;
        }
        match out {
            InterOutput::Cardinality(limit) => {
                cardinality += 1;
                if limit != 0 && cardinality >= limit {
                    break;
                }
            }
            InterOutput::Reply => members.push(e),
            InterOutput::Store(_) => {
                e.with_bytes(|b| dstset.add(b, max));
            }
        }
    }
    match out {
        InterOutput::Cardinality(_) => c.add_reply_long_long(cardinality as i64),
        InterOutput::Reply => {
            c.add_reply_set_len(members.len() as i64);
            for e in members {
                add_reply_elem(c, e);
            }
        }
        InterOutput::Store(dst) => store_result(server, c, dst, dstset, "sinterstore"),
    }
}

/// Stores a computed set at `dst` (or deletes `dst` when it is empty) and
/// replies with its size: the tail of the *STORE commands.
fn store_result(server: &mut Server, c: &mut Client, dst: &[u8], set: SetValue, event: &str) {
    let db = c.db;
    let n = set.size();
    if n > 0 {
        server.set_key(db, dst, RObj::new(Value::Set(set)), false);
        server.signal_modified_key(db, dst);
        c.add_reply_long_long(n as i64);
        notify_keyspace_event(server, NOTIFY_SET, event, dst, db);
        server.dirty += 1;
    } else {
        c.add_reply_long_long(0);
        if server.db_delete(db, dst) {
            server.dirty += 1;
            server.signal_modified_key(db, dst);
            notify_keyspace_event(server, NOTIFY_GENERIC, "del", dst, db);
        }
    }
}

/// SINTER key [key ...], and SMEMBERS key
pub fn sinter_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[1..].to_vec();
    sinter_generic_command(server, c, &keys, InterOutput::Reply);
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn sintercard_command(server: &mut Server, c: &mut Client) {
    let Some(numkeys) = get_range_long_from_object_or_reply(
        c,
        &c.argv[1].clone(),
        1,
        i64::MAX,
        Some("numkeys should be greater than 0"),
    ) else {
        return;
    };
    let numkeys = numkeys as usize;
    if numkeys > c.argv.len() - 2 {
        c.add_reply_error("Number of keys can't be greater than number of args");
        return;
    }
    let mut limit = 0;
    let mut j = 2 + numkeys;
    while j < c.argv.len() {
        let moreargs = c.argv.len() - 1 - j;
        if c.argv[j].eq_ignore_ascii_case(b"limit") && moreargs > 0 {
            j += 1;
            let Some(l) = get_positive_long_from_object_or_reply(
                c,
                &c.argv[j].clone(),
                Some("LIMIT can't be negative"),
            ) else {
                return;
            };
            limit = l as u64;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    let keys = c.argv[2..2 + numkeys].to_vec();
    sinter_generic_command(server, c, &keys, InterOutput::Cardinality(limit));
}

/// SINTERSTORE destination key [key ...]
pub fn sinterstore_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[2..].to_vec();
    let dst = c.argv[1].clone();
    sinter_generic_command(server, c, &keys, InterOutput::Store(&dst));
}

/// SUNION or SDIFF (`SET_OP_UNION`, `SET_OP_DIFF`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// `sunionDiffGenericCommand`: SUNION, SDIFF and their STORE forms.
fn sunion_diff_generic_command(
    server: &mut Server,
    c: &mut Client,
    keys: &[Vec<u8>],
    dst: Option<&[u8]>,
    op: SetOp,
) {
    let db = c.db;
    let Some(_) = lookup_sets(server, c, keys) else {
        return;
    };
    let mut sets: Vec<Option<&SetValue>> = keys.iter().map(|k| set_at(server, db, k)).collect();
    let same = |a: Option<&SetValue>, b: Option<&SetValue>| match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b),
        _ => false,
    };
    let sameset = sets.iter().skip(1).any(|s| same(sets[0], *s));

    // Algorithm 1 checks each member of the first set against the others,
    // algorithm 2 adds the first set and removes the others: pick the one
    // with less work, giving 1 an edge since it stops at the first match.
    let mut diff_algo = 1;
    if op == SetOp::Diff {
        if let (Some(first), false) = (sets[0], sameset) {
            let mut one = 0u64;
            let mut two = 0u64;
            for s in sets.iter().flatten() {
                one += first.size() as u64;
                two += s.size() as u64;
            }
            one /= 2;
            diff_algo = if one <= two { 1 } else { 2 };
            if diff_algo == 1 && sets.len() > 1 {
                // Biggest first: a member is likelier to be found early.
                sets[1..].sort_by_key(|s| std::cmp::Reverse(s.map_or(0, |s| s.size())));
            }
        }
    }

    let max = server.config.set_max_intset_entries;
    let mut dstset = SetValue::Intset(Intset::new());
    let mut cardinality: i64 = 0;
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                for e in s.iter() {
                    if e.with_bytes(|b| dstset.add(b, max)) {
                        cardinality += 1;
                    }
                }
            }
        }
        SetOp::Diff if sameset => {}
        SetOp::Diff => match sets[0] {
            None => {}
            Some(first) if diff_algo == 1 => {
                for e in first.iter() {
                    let elsewhere = sets[1..].iter().flatten().any(|s| s.is_member_elem(e));
                    if !elsewhere {
                        e.with_bytes(|b| dstset.add(b, max));
                        cardinality += 1;
                    }
                }
            }
            Some(_) => {
                for (j, s) in sets.iter().enumerate() {
                    let Some(s) = s else { continue };
                    for e in s.iter() {
                        if j == 0 {
                            if e.with_bytes(|b| dstset.add(b, max)) {
                                cardinality += 1;
                            }
                        } else if dstset.remove_elem(e) {
                            cardinality -= 1;
                        }
                    }
                    if cardinality == 0 {
                        break;
                    }
                }
            }
        },
    }

    match dst {
        None => {
            c.add_reply_set_len(cardinality);
            for e in dstset.iter() {
                add_reply_elem(c, e);
            }
        }
        Some(dst) => {
            let event = if op == SetOp::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store_result(server, c, dst, dstset, event);
        }
    }
}

/// SUNION key [key ...]
pub fn sunion_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[1..].to_vec();
    sunion_diff_generic_command(server, c, &keys, None, SetOp::Union);
}

/// SUNIONSTORE destination key [key ...]
pub fn sunionstore_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[2..].to_vec();
    let dst = c.argv[1].clone();
    sunion_diff_generic_command(server, c, &keys, Some(&dst), SetOp::Union);
}

/// SDIFF key [key ...]
pub fn sdiff_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[1..].to_vec();
    sunion_diff_generic_command(server, c, &keys, None, SetOp::Diff);
}

/// SDIFFSTORE destination key [key ...]
pub fn sdiffstore_command(server: &mut Server, c: &mut Client) {
    let keys = c.argv[2..].to_vec();
    let dst = c.argv[1].clone();
    sunion_diff_generic_command(server, c, &keys, Some(&dst), SetOp::Diff);
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub fn sscan_command(server: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, &c.argv[2].clone()) else {
        return;
    };
    let key = c.argv[1].clone();
    match lookup_set(server, c, &key, false) {
        Found::WrongType => {}
        Found::Missing => crate::db::add_reply_empty_scan(c),
        Found::Set => {
            let Some(set) = set_at(server, c.db, &key) else {
                return;
            };
            scan_collection(c, cursor, false, |cursor, count, out| match set {
                // A small encoding goes out whole, with cursor 0.
                SetValue::Intset(is) => {
                    out.extend(is.iter().map(crate::util::ll_to_bytes));
                    0
                }
                SetValue::Ht(d) => {
                    crate::db::scan_dict(d, cursor, count, |k, _| out.push(k.to_vec()))
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intset_until_a_string_or_too_many() {
        let mut s = SetValue::create(b"1");
        assert!(s.add(b"1", 3) && s.add(b"2", 3) && s.add(b"3", 3));
        assert!(!s.add(b"2", 3));
        assert_eq!(s.encoding_name(), "intset");
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.is_member(b"4") && s.is_member(b"1") && !s.is_member(b"5"));

        let mut s = SetValue::create(b"1");
        s.add(b"1", 512);
        // Not canonical numbers stay strings.
        assert!(s.add(b"01", 512));
        assert_eq!(s.encoding_name(), "hashtable");
        assert!(s.is_member(b"1") && s.is_member(b"01"));
    }

    #[test]
    fn elements_compare_across_encodings() {
        let mut a = SetValue::create(b"x");
        a.add(b"10", 512);
        let mut b = SetValue::create(b"10");
        b.add(b"10", 512);
        assert!(a.is_member_elem(SetElem::Int(10)));
        assert!(b.is_member_elem(SetElem::Str(b"10")));
        assert!(!b.is_member_elem(SetElem::Str(b"010")));
        assert!(b.remove_elem(SetElem::Str(b"10")));
        assert_eq!(b.size(), 0);
    }
}
