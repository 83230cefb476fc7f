//! The keyspace: a port of `db.c`.
//!
//! Each of the `databases` numbered databases is a [`RedisDb`]: the main
//! dictionary from key to value and the `expires` dictionary from key to
//! its absolute expiry time in milliseconds, exactly as in C. Every read or
//! write of a key goes through the `lookup_key_*` functions, which expire
//! the key first if its time has passed (lazy expiry) and keep the
//! hit/miss statistics. The generic keyspace commands (DEL, EXISTS, TYPE,
//! SELECT, FLUSHDB, KEYS, SCAN, RENAME, MOVE, COPY, SWAPDB ...) live here
//! too; the expiry commands are in `expire.rs`.

use crate::cluster::redirect::SlotToKeys;
use crate::commands::{
    BeginSearch, CommandEntry, FindKeys, KeySpec, CMD_KEY_ACCESS, CMD_KEY_INCOMPLETE,
    CMD_KEY_NOT_KEY, CMD_KEY_OW, CMD_KEY_RO, CMD_KEY_RW, CMD_KEY_UPDATE, CMD_KEY_VARIABLE_FLAGS,
};
use crate::config::{NOTIFY_EXPIRED, NOTIFY_GENERIC, NOTIFY_KEY_MISS, NOTIFY_NEW};
use crate::dict::{Dict, Entry};
use crate::networking::{Client, CLIENT_CLOSE_ASAP};
use crate::object::{get_int_from_object_or_reply, get_long_from_object_or_reply, ObjType, RObj};
use crate::sds::Sds;
use crate::server::Server;
use crate::util::{string2ll, string_match_len};

/// One numbered database (`redisDb`).
pub struct RedisDb {
    pub id: usize,
    pub dict: Dict<Sds, RObj>,
    pub expires: Dict<Sds, i64>,
    /// Average TTL of the keys sampled by the active expire cycle.
    pub avg_ttl: i64,
    /// Where the active expire cycle resumes its scan of `expires`.
    pub expires_cursor: u64,
    /// The keys of each hash slot, kept only by db 0 of a cluster node
    /// (`slots_to_keys`); `None` costs a non-cluster server nothing per key.
    pub slots_to_keys: Option<Box<SlotToKeys>>,
}

impl RedisDb {
    pub fn new(id: usize) -> RedisDb {
        RedisDb {
            id,
            dict: Dict::new(),
            expires: Dict::new(),
            avg_ttl: 0,
            expires_cursor: 0,
            slots_to_keys: None,
        }
    }

    /// `getExpire`: the absolute expiry in ms, or -1.
    pub fn get_expire(&self, key: &[u8]) -> i64 {
        if self.expires.is_empty() {
            return -1;
        }
        self.expires.get(key).copied().unwrap_or(-1)
    }

    /// `dbSize`.
    pub fn size(&self) -> usize {
        self.dict.len()
    }
}

/// The NX / XX condition of a SET-like write (`set_key_if`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SetCond {
    Always,
    /// Only if the key does not exist.
    Nx,
    /// Only if the key exists.
    Xx,
}

/// `lookupKey` flags.
pub const LOOKUP_NONE: u32 = 0;
/// Leave the access clock (LRU/LFU) alone.
pub const LOOKUP_NOTOUCH: u32 = 1 << 0;
/// No "keymiss" keyspace event.
pub const LOOKUP_NONOTIFY: u32 = 1 << 1;
/// Leave the hit/miss statistics alone.
pub const LOOKUP_NOSTATS: u32 = 1 << 2;
/// The caller is about to write the key.
pub const LOOKUP_WRITE: u32 = 1 << 3;

impl Server {
    /// `keyIsExpired`: compares against the time snapshot of the running
    /// command, so one command sees a key either alive or gone throughout.
    pub fn key_is_expired(&self, db: usize, key: &[u8]) -> bool {
        if self.loading {
            return false;
        }
        let when = self.dbs[db].get_expire(key);
        when >= 0 && self.cmd_time_snapshot > when
    }

    /// `expireIfNeeded`: deletes the key when its time is up. Returns true
    /// when the key is (now) logically expired.
    pub fn expire_if_needed(&mut self, db: usize, key: &[u8]) -> bool {
        if !self.key_is_expired(db, key) {
            return false;
        }
        // While clients are paused the dataset must not change: the key
        // only looks gone until the pause ends.
        if crate::networking::client_cmd::check_client_pause_timeout_and_return_if_paused(self) {
            return true;
        }
        self.delete_expired_key(db, key);
        true
    }

    /// `deleteExpiredKeyAndPropagate`.
    pub fn delete_expired_key(&mut self, db: usize, key: &[u8]) {
        self.db_delete(db, key);
        crate::notify::notify_keyspace_event(self, NOTIFY_EXPIRED, "expired", key, db);
        self.signal_modified_key(db, key);
        self.stat_expiredkeys += 1;
    }

    /// `lookupKey`: the value of a live key (expiring it first if its time
    /// is up), with the access clock and the statistics updated unless
    /// `flags` say otherwise.
    pub fn lookup_key(&mut self, db: usize, key: &[u8], flags: u32) -> Option<&mut RObj> {
        // An expired key is a miss even when a client pause keeps it in
        // the dict.
        let expired = self.expire_if_needed(db, key);
        let stats = flags & (LOOKUP_NOSTATS | LOOKUP_WRITE) == 0;
        // Checked apart (one more lookup, only while misses are notified)
        // so that the hot path below stays a single lookup.
        if self.config.notify_keyspace_events & NOTIFY_KEY_MISS != 0
            && flags & (LOOKUP_NONOTIFY | LOOKUP_WRITE) == 0
            && (expired || !self.dbs[db].dict.contains_key(key))
        {
            crate::notify::notify_keyspace_event(self, NOTIFY_KEY_MISS, "keymiss", key, db);
        }
        if expired {
            if stats {
                self.stat_keyspace_misses += 1;
            }
            return None;
        }
        let touch = flags & LOOKUP_NOTOUCH == 0;
        // Under LFU the new clock depends on the old one, which costs a
        // second lookup; under LRU it is just the current clock.
        let new_lru = if !touch {
            None
        } else if self.lfu_enabled() {
            let old = self.dbs[db].dict.get(key).map(|o| o.lru);
            old.map(|l| self.lru_after_access(l))
        } else {
            Some(self.lru_clock())
        };
        match self.dbs[db].dict.get_mut(key) {
            Some(o) => {
                if let Some(l) = new_lru {
                    o.lru = l;
                }
                if stats {
                    self.stat_keyspace_hits += 1;
                }
                Some(o)
            }
            None => {
                if stats {
                    self.stat_keyspace_misses += 1;
                }
                None
            }
        }
    }

    /// `lookupKeyRead`.
    pub fn lookup_key_read(&mut self, db: usize, key: &[u8]) -> Option<&mut RObj> {
        self.lookup_key(db, key, LOOKUP_NONE)
    }

    /// `lookupKeyReadWithFlags`.
    pub fn lookup_key_read_with_flags(
        &mut self,
        db: usize,
        key: &[u8],
        flags: u32,
    ) -> Option<&mut RObj> {
        self.lookup_key(db, key, flags & !LOOKUP_WRITE)
    }

    /// `lookupKeyWrite`: like a read, without the statistics.
    pub fn lookup_key_write(&mut self, db: usize, key: &[u8]) -> Option<&mut RObj> {
        self.lookup_key(db, key, LOOKUP_WRITE)
    }

    /// The current LRU clock (seconds, 24 bits), as `LRU_CLOCK`.
    pub fn lru_clock(&self) -> u32 {
        ((self.mstime / 1000) & crate::evict::LRU_CLOCK_MAX as i64) as u32
    }

    /// `dbAdd`: adds a key that must not exist, with a value just created.
    pub fn db_add(&mut self, db: usize, key: &[u8], mut val: RObj) {
        val.lru = self.new_object_lru();
        self.db_add_keep_clock(db, key, val);
    }

    /// `dbAdd` of a value that already lived in the keyspace (RENAME,
    /// MOVE): its access clock travels with it, as the C object does.
    fn db_add_keep_clock(&mut self, db: usize, key: &[u8], val: RObj) {
        let t = val.obj_type();
        let d = &mut self.dbs[db];
        let replaced = d.dict.insert(Sds::new(key), val).is_some();
        if let Some(s) = &mut d.slots_to_keys {
            if !replaced {
                s.add(key);
            }
        }
        crate::blocked::signal_key_as_ready(self, db, key, t);
        crate::notify::notify_keyspace_event(self, NOTIFY_NEW, "new", key, db);
    }

    /// `signalModifiedKey`: every write to a key calls this, so that
    /// WATCH (multi.rs) fails the transactions watching it (client side
    /// caching would invalidate it here too).
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        crate::multi::touch_watched_key(self, db, key);
    }

    /// `setKey`: creates or overwrites a key (signalling it); the TTL is
    /// dropped unless `keepttl`.
    pub fn set_key(&mut self, db: usize, key: &[u8], val: RObj, keepttl: bool) {
        self.set_key_if(db, key, SetCond::Always, keepttl, || val);
    }

    /// `lookupKeyWrite` + `setKey` as SET does them, in one dict lookup:
    /// writes the value made by `val` unless `cond` says otherwise, and
    /// returns whether it did. The key is hashed once (and once more in
    /// `expires` when some key has a TTL), where C hashes it in the lookup
    /// and again in `dbAdd`/`dbOverwrite`.
    pub fn set_key_if(
        &mut self,
        db: usize,
        key: &[u8],
        cond: SetCond,
        keepttl: bool,
        val: impl FnOnce() -> RObj,
    ) -> bool {
        // Expired but kept by a client pause: written over as if missing.
        let expired = self.expire_if_needed(db, key);
        let fresh = self.new_object_lru();
        // The lookup touches an existing key's clock, and an overwrite keeps
        // the touched LFU counter (`dbOverwrite`), or a key written often
        // would look cold. Under LFU the touch depends on the old counter:
        // only then is the key looked up a second time.
        let touched = if self.lfu_enabled() {
            let old = self.dbs[db].dict.get(key).map(|o| o.lru);
            old.map(|l| self.lru_after_access(l)).unwrap_or(fresh)
        } else {
            fresh
        };
        let d = &mut self.dbs[db];
        let mut was_stream = false;
        // The type of a key this call creates: `dbAdd` in C, which is also
        // what writing over an expired key amounts to.
        let mut added = None;
        match d.dict.entry(key) {
            Entry::Occupied(mut e) => {
                let Some(slot) = e.get_mut() else {
                    return false;
                };
                let exists = !expired;
                if (cond == SetCond::Nx && exists) || (cond == SetCond::Xx && !exists) {
                    slot.lru = touched;
                    return false;
                }
                let mut v = val();
                v.lru = touched;
                was_stream = slot.obj_type() == ObjType::Stream;
                if expired {
                    added = Some(v.obj_type());
                }
                *slot = v;
            }
            Entry::Vacant(e) => {
                if cond == SetCond::Xx {
                    return false;
                }
                let mut v = val();
                v.lru = fresh;
                added = Some(v.obj_type());
                e.insert(Sds::new(key), v);
                if let Some(s) = &mut d.slots_to_keys {
                    s.add(key);
                }
            }
        }
        if !keepttl && !d.expires.is_empty() {
            d.expires.remove(key);
        }
        if let Some(t) = added {
            crate::blocked::signal_key_as_ready(self, db, key, t);
            crate::notify::notify_keyspace_event(self, NOTIFY_NEW, "new", key, db);
        }
        self.signal_modified_key(db, key);
        if was_stream {
            // Overwriting a stream drops its groups: XREADGROUP readers
            // must be told.
            crate::blocked::signal_key_as_ready(self, db, key, ObjType::Stream);
        }
        true
    }

    /// `dbRandomKey`: a random live key, or None when the db is empty.
    /// Expired keys met on the way are deleted and another one is drawn.
    pub fn db_random_key(&mut self, db: usize) -> Option<Vec<u8>> {
        loop {
            let key = self.dbs[db].dict.fair_random_entry()?.0.to_vec();
            if self.dbs[db].expires.contains_key(&key[..]) && self.expire_if_needed(db, &key) {
                continue;
            }
            return Some(key);
        }
    }

    /// `dbDelete`: removes a key and its TTL. Returns whether it existed.
    pub fn db_delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.db_take(db, key).is_some()
    }

    /// Removes a key and its TTL from the keyspace and hands back its
    /// value (RENAME and MOVE re-add it elsewhere).
    fn db_take(&mut self, db: usize, key: &[u8]) -> Option<RObj> {
        let d = &mut self.dbs[db];
        if !d.expires.is_empty() {
            d.expires.remove(key);
        }
        let (_, val) = d.dict.remove(key)?;
        if let Some(s) = &mut d.slots_to_keys {
            s.del(key);
        }
        // XREADGROUP readers of a deleted stream must be told.
        if val.obj_type() == ObjType::Stream {
            crate::blocked::signal_key_as_ready(self, db, key, ObjType::Stream);
        }
        Some(val)
    }

    /// `emptyData` for one database or all (-1). Returns the keys removed.
    pub fn empty_data(&mut self, dbnum: i64) -> usize {
        // `signalFlushedDb`: watchers learn before the keys are gone.
        for id in 0..self.dbs.len() {
            if dbnum == -1 || dbnum == id as i64 {
                crate::multi::touch_all_watched_keys_in_db(self, id, None);
                crate::t_stream::commands::scan_database_for_deleted_streams(self, id, None);
            }
        }
        let mut removed = 0;
        for d in self.dbs.iter_mut() {
            if dbnum == -1 || dbnum == d.id as i64 {
                removed += d.dict.len();
                d.dict.clear();
                d.expires.clear();
                if let Some(s) = &mut d.slots_to_keys {
                    s.flush();
                }
                d.avg_ttl = 0;
                d.expires_cursor = 0;
            }
        }
        removed
    }

    /// `dbSwapDatabases`: exchanges the data of two databases. Clients
    /// stay on their db number and so see the other data set.
    pub fn db_swap_databases(&mut self, id1: i64, id2: i64) -> bool {
        let n = self.dbs.len() as i64;
        if !(0..n).contains(&id1) || !(0..n).contains(&id2) {
            return false;
        }
        if id1 == id2 {
            return true;
        }
        // Keys present on either side change for their watchers.
        crate::multi::touch_all_watched_keys_in_db(self, id1 as usize, Some(id2 as usize));
        crate::multi::touch_all_watched_keys_in_db(self, id2 as usize, Some(id1 as usize));
        let (lo, hi) = (id1.min(id2) as usize, id1.max(id2) as usize);
        crate::t_stream::commands::scan_database_for_deleted_streams(self, lo, Some(hi));
        crate::t_stream::commands::scan_database_for_deleted_streams(self, hi, Some(lo));
        let (a, b) = self.dbs.split_at_mut(hi);
        let (d1, d2) = (&mut a[lo], &mut b[0]);
        // Only the data moves: the id (and, once they exist, the blocked
        // and watched keys) belong to the db number.
        std::mem::swap(&mut d1.dict, &mut d2.dict);
        std::mem::swap(&mut d1.expires, &mut d2.expires);
        std::mem::swap(&mut d1.avg_ttl, &mut d2.avg_ttl);
        std::mem::swap(&mut d1.expires_cursor, &mut d2.expires_cursor);
        // The slot index stays with db 0 and must describe its new dict.
        for d in [d1, d2] {
            if let Some(s) = &mut d.slots_to_keys {
                s.rebuild(&d.dict);
            }
        }
        // Clients blocked on a key the swap filled can be served now.
        crate::blocked::scan_database_for_ready_keys(self, lo);
        crate::blocked::scan_database_for_ready_keys(self, hi);
        true
    }

    /// `setExpire`: `when` is an absolute unix time in milliseconds.
    pub fn set_expire(&mut self, db: usize, key: &[u8], when: i64) {
        let d = &mut self.dbs[db];
        if let Some((k, _)) = d.dict.get_key_value(key) {
            let k = k.clone();
            d.expires.insert(k, when);
        }
    }

    /// `removeExpire`: returns whether the key had a TTL.
    pub fn remove_expire(&mut self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].expires.remove(key).is_some()
    }
}

// ----------------------------------------------------------------------
// Keyspace commands.
// ----------------------------------------------------------------------

/// `shared.sameobjecterr`.
const SAME_OBJECT_ERR: &str = "source and destination objects are the same";

/// The db number of `arg` (`getIntFromObjectOrReply` + `selectDb`'s range
/// check), or None after an error reply.
fn get_db_index_or_reply(server: &Server, c: &mut Client, arg: usize) -> Option<usize> {
    let id = get_int_from_object_or_reply(c, &c.argv[arg].clone(), None)?;
    if id < 0 || id as usize >= server.dbs.len() {
        c.add_reply_error("DB index is out of range");
        return None;
    }
    Some(id as usize)
}

/// Parses the optional ASYNC|SYNC argument of FLUSHDB/FLUSHALL.
fn get_flush_command_flags(c: &mut Client) -> Option<()> {
    if c.argv.len() > 2 {
        c.add_reply_syntax_error();
        return None;
    }
    if let Some(a) = c.argv.get(1) {
        if !a.eq_ignore_ascii_case(b"sync") && !a.eq_ignore_ascii_case(b"async") {
            c.add_reply_syntax_error();
            return None;
        }
    }
    Some(())
}

/// FLUSHDB [ASYNC|SYNC]
pub fn flushdb_command(server: &mut Server, c: &mut Client) {
    if get_flush_command_flags(c).is_none() {
        return;
    }
    let removed = server.empty_data(c.db as i64);
    server.dirty += removed as u64;
    c.add_reply_ok();
}

/// FLUSHALL [ASYNC|SYNC]
pub fn flushall_command(server: &mut Server, c: &mut Client) {
    if get_flush_command_flags(c).is_none() {
        return;
    }
    // `flushAllDataAndResetRDB`: a running BGSAVE is stopped, and with
    // save points the empty dataset is saved at once.
    let removed = server.empty_data(-1);
    server.dirty += removed as u64;
    crate::rdb::save::flush_all_reset_rdb(server);
    c.add_reply_ok();
}

/// `delGenericCommand`: DEL and UNLINK (the latter frees big values in the
/// background once lazyfree exists; the reply is the same).
fn del_generic_command(server: &mut Server, c: &mut Client) {
    let mut deleted = 0;
    for j in 1..c.argv.len() {
        server.expire_if_needed(c.db, &c.argv[j]);
        if server.db_delete(c.db, &c.argv[j]) {
            server.signal_modified_key(c.db, &c.argv[j]);
            crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "del", &c.argv[j], c.db);
            server.dirty += 1;
            deleted += 1;
        }
    }
    c.add_reply_long_long(deleted);
}

/// DEL key [key ...]
pub fn del_command(server: &mut Server, c: &mut Client) {
    del_generic_command(server, c);
}

/// UNLINK key [key ...]
pub fn unlink_command(server: &mut Server, c: &mut Client) {
    del_generic_command(server, c);
}

/// EXISTS key [key ...]: counts repeated keys repeatedly, as Redis does.
pub fn exists_command(server: &mut Server, c: &mut Client) {
    let mut count = 0;
    for j in 1..c.argv.len() {
        if server
            .lookup_key_read_with_flags(c.db, &c.argv[j], LOOKUP_NOTOUCH)
            .is_some()
        {
            count += 1;
        }
    }
    c.add_reply_long_long(count);
}

/// SELECT index
pub fn select_command(server: &mut Server, c: &mut Client) {
    let Some(id) = get_int_from_object_or_reply(c, &c.argv[1].clone(), None) else {
        return;
    };
    if server.config.cluster_enabled && id != 0 {
        c.add_reply_error("SELECT is not allowed in cluster mode");
        return;
    }
    if id < 0 || id as usize >= server.dbs.len() {
        c.add_reply_error("DB index is out of range");
        return;
    }
    c.db = id as usize;
    c.add_reply_ok();
}

/// RANDOMKEY
pub fn randomkey_command(server: &mut Server, c: &mut Client) {
    match server.db_random_key(c.db) {
        Some(k) => c.add_reply_bulk(&k),
        None => c.add_reply_null(),
    }
}

/// KEYS pattern: logically expired keys are skipped but not deleted, so
/// that KEYS stays a read-only walk.
pub fn keys_command(server: &mut Server, c: &mut Client) {
    let pattern = std::mem::take(&mut c.argv[1]);
    let allkeys = pattern.as_slice() == b"*";
    let replylen = c.add_reply_deferred_len();
    let mut numkeys = 0;
    for (key, _) in server.dbs[c.db].dict.iter() {
        if (allkeys || string_match_len(&pattern, key, false)) && !server.key_is_expired(c.db, key)
        {
            c.add_reply_bulk(key);
            numkeys += 1;
        }
        if c.flags & CLIENT_CLOSE_ASAP != 0 {
            break;
        }
    }
    c.set_deferred_array_len(replylen, numkeys);
}

/// `parseScanCursorOrReply`: the cursor is read as C's `strtoul` reads
/// it, so "-1" wraps to the largest cursor and "" is cursor 0.
pub fn parse_scan_cursor_or_reply(c: &mut Client, arg: &[u8]) -> Option<u64> {
    match parse_scan_cursor(arg) {
        Some(v) => Some(v),
        None => {
            c.add_reply_error("invalid cursor");
            None
        }
    }
}

fn parse_scan_cursor(arg: &[u8]) -> Option<u64> {
    // A C string ends at its first NUL.
    let s = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    if s.is_empty() {
        return Some(0);
    }
    if crate::util::is_c_space(s[0]) {
        return None;
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// `scanGenericCommand` over the keyspace: one bounded step of the dict
/// cursor, then the MATCH, TYPE and expiry filters.
fn scan_generic_command(server: &mut Server, c: &mut Client, mut cursor: u64) {
    let mut count: i64 = 10;
    let mut pat: Option<Vec<u8>> = None;
    let mut typename: Option<Vec<u8>> = None;

    // 1) Options.
    let mut i = 2;
    while i < c.argv.len() {
        let remaining = c.argv.len() - i;
        let opt = &c.argv[i];
        if opt.eq_ignore_ascii_case(b"count") && remaining >= 2 {
            let Some(n) = get_long_from_object_or_reply(c, &c.argv[i + 1].clone(), None) else {
                return;
            };
            if n < 1 {
                c.add_reply_syntax_error();
                return;
            }
            count = n;
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"match") && remaining >= 2 {
            let p = c.argv[i + 1].clone();
            // "*" matches everything: the same as no pattern.
            pat = if p.as_slice() == b"*" { None } else { Some(p) };
            i += 2;
        } else if opt.eq_ignore_ascii_case(b"type") && remaining >= 2 {
            typename = Some(c.argv[i + 1].clone());
            i += 2;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }

    // 2) Walk the table. Ten times COUNT buckets at most, so that a
    // sparse table cannot make one call take long.
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut maxiterations = count.saturating_mul(10);
    let db = c.db;
    loop {
        cursor = server.dbs[db]
            .dict
            .scan(cursor, |k, _| keys.push(k.to_vec()));
        if cursor == 0 || maxiterations == 0 || keys.len() as i64 >= count {
            break;
        }
        maxiterations -= 1;
    }

    // 3) Filter.
    keys.retain(|k| {
        if let Some(p) = &pat {
            if !string_match_len(p, k, false) {
                return false;
            }
        }
        if let Some(t) = &typename {
            let name = server
                .lookup_key_read_with_flags(db, k, LOOKUP_NOTOUCH)
                .map_or("none", |o| o.obj_type().name());
            if !t.eq_ignore_ascii_case(name.as_bytes()) {
                return false;
            }
        }
        !server.expire_if_needed(db, k)
    });

    // 4) Reply.
    c.add_reply_array_len(2);
    let mut buf = [0u8; 24];
    let n = crate::util::ull2string(&mut buf, cursor);
    c.add_reply_bulk(&buf[..n]);
    c.add_reply_array_len(keys.len() as i64);
    for k in &keys {
        c.add_reply_bulk(k);
    }
}

/// `shared.emptyscan`: the reply of SSCAN/HSCAN/ZSCAN on a missing key.
pub fn add_reply_empty_scan(c: &mut Client) {
    c.add_reply_array_len(2);
    c.add_reply_bulk(b"0");
    c.add_reply_array_len(0);
}

/// One bounded step of `dictScan` over a collection's table, as
/// `scanGenericCommand` takes it: up to ten times `count` buckets, stopping
/// once `count` entries were seen. Returns the next cursor.
pub fn scan_dict<K: std::hash::Hash + Eq, V>(
    d: &Dict<K, V>,
    mut cursor: u64,
    count: i64,
    mut f: impl FnMut(&K, &V),
) -> u64 {
    let mut seen: i64 = 0;
    let mut maxiterations = count.saturating_mul(10);
    loop {
        cursor = d.scan(cursor, |k, v| {
            seen += 1;
            f(k, v)
        });
        if cursor == 0 || maxiterations == 0 || seen >= count {
            return cursor;
        }
        maxiterations -= 1;
    }
}

/// `scanGenericCommand` for the elements of a value (SSCAN, HSCAN, ZSCAN
/// key cursor [MATCH pattern] [COUNT count]), once the key was found and
/// type-checked. `walk(cursor, count, out)` pushes the next elements and
/// returns the next cursor; with `pairs` they come as (field, value) and
/// MATCH filters on the field and drops its value with it.
pub fn scan_collection(
    c: &mut Client,
    cursor: u64,
    pairs: bool,
    walk: impl FnOnce(u64, i64, &mut Vec<Vec<u8>>) -> u64,
) {
    let mut count: i64 = 10;
    let mut pat: Option<Vec<u8>> = None;
    let mut i = 3;
    while i < c.argv.len() {
        let remaining = c.argv.len() - i;
        if c.argv[i].eq_ignore_ascii_case(b"count") && remaining >= 2 {
            let Some(n) = get_long_from_object_or_reply(c, &c.argv[i + 1].clone(), None) else {
                return;
            };
            if n < 1 {
                c.add_reply_syntax_error();
                return;
            }
            count = n;
        } else if c.argv[i].eq_ignore_ascii_case(b"match") && remaining >= 2 {
            let p = c.argv[i + 1].clone();
            pat = if p.as_slice() == b"*" { None } else { Some(p) };
        } else {
            c.add_reply_syntax_error();
            return;
        }
        i += 2;
    }
    let mut items = Vec::new();
    let cursor = walk(cursor, count, &mut items);
    if let Some(p) = &pat {
        let mut kept = Vec::with_capacity(items.len());
        let mut it = items.into_iter();
        while let Some(k) = it.next() {
            let v = if pairs { it.next() } else { None };
            if string_match_len(p, &k, false) {
                kept.push(k);
                kept.extend(v);
            }
        }
        items = kept;
    }
    c.add_reply_array_len(2);
    let mut buf = [0u8; 24];
    let n = crate::util::ull2string(&mut buf, cursor);
    c.add_reply_bulk(&buf[..n]);
    c.add_reply_array_len(items.len() as i64);
    for k in &items {
        c.add_reply_bulk(k);
    }
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub fn scan_command(server: &mut Server, c: &mut Client) {
    let Some(cursor) = parse_scan_cursor_or_reply(c, &c.argv[1].clone()) else {
        return;
    };
    scan_generic_command(server, c, cursor);
}

/// DBSIZE
pub fn dbsize_command(server: &mut Server, c: &mut Client) {
    let n = server.dbs[c.db].size();
    c.add_reply_long_long(n as i64);
}

/// TYPE key
pub fn type_command(server: &mut Server, c: &mut Client) {
    let t = server
        .lookup_key_read_with_flags(c.db, &c.argv[1], LOOKUP_NOTOUCH)
        .map_or("none", |o| o.obj_type().name());
    c.add_reply_status(t);
}

/// `renameGenericCommand`: RENAME and RENAMENX. The value moves with its
/// TTL; a TTL the destination had is dropped with the old value.
fn rename_generic_command(server: &mut Server, c: &mut Client, nx: bool) {
    let db = c.db;
    let samekey = c.argv[1] == c.argv[2];
    if server.lookup_key_write(db, &c.argv[1]).is_none() {
        c.add_reply_error("no such key");
        return;
    }
    if samekey {
        c.add_reply_long_long_or_ok(nx, 0);
        return;
    }
    if server.lookup_key_write(db, &c.argv[2]).is_some() {
        if nx {
            c.add_reply_long_long(0);
            return;
        }
        server.db_delete(db, &c.argv[2]);
    }
    let expire = server.dbs[db].get_expire(&c.argv[1]);
    let Some(val) = server.db_take(db, &c.argv[1]) else {
        return;
    };
    server.db_add_keep_clock(db, &c.argv[2], val);
    if expire != -1 {
        server.set_expire(db, &c.argv[2], expire);
    }
    server.signal_modified_key(db, &c.argv[1]);
    server.signal_modified_key(db, &c.argv[2]);
    crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "rename_from", &c.argv[1], db);
    crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "rename_to", &c.argv[2], db);
    server.dirty += 1;
    c.add_reply_long_long_or_ok(nx, 1);
}

/// RENAME key newkey
pub fn rename_command(server: &mut Server, c: &mut Client) {
    rename_generic_command(server, c, false);
}

/// RENAMENX key newkey
pub fn renamenx_command(server: &mut Server, c: &mut Client) {
    rename_generic_command(server, c, true);
}

/// MOVE key db
pub fn move_command(server: &mut Server, c: &mut Client) {
    if server.config.cluster_enabled {
        c.add_reply_error("MOVE is not allowed in cluster mode");
        return;
    }
    let src = c.db;
    let Some(dst) = get_db_index_or_reply(server, c, 2) else {
        return;
    };
    if src == dst {
        c.add_reply_error(SAME_OBJECT_ERR);
        return;
    }
    if server.lookup_key_write(src, &c.argv[1]).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    let expire = server.dbs[src].get_expire(&c.argv[1]);
    if server.lookup_key_write(dst, &c.argv[1]).is_some() {
        c.add_reply_long_long(0);
        return;
    }
    let Some(val) = server.db_take(src, &c.argv[1]) else {
        return;
    };
    server.db_add_keep_clock(dst, &c.argv[1], val);
    if expire != -1 {
        server.set_expire(dst, &c.argv[1], expire);
    }
    server.signal_modified_key(src, &c.argv[1]);
    server.signal_modified_key(dst, &c.argv[1]);
    crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "move_from", &c.argv[1], src);
    crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "move_to", &c.argv[1], dst);
    server.dirty += 1;
    c.add_reply_long_long(1);
}

/// COPY source destination [DB destination-db] [REPLACE]
pub fn copy_command(server: &mut Server, c: &mut Client) {
    let src = c.db;
    let mut dst = c.db;
    let mut replace = false;
    let mut j = 3;
    while j < c.argv.len() {
        let additional = c.argv.len() - j - 1;
        if c.argv[j].eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if c.argv[j].eq_ignore_ascii_case(b"db") && additional >= 1 {
            let Some(id) = get_db_index_or_reply(server, c, j + 1) else {
                return;
            };
            dst = id;
            j += 1;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    if server.config.cluster_enabled && (src != 0 || dst != 0) {
        c.add_reply_error("Copying to another database is not allowed in cluster mode");
        return;
    }
    if src == dst && c.argv[1] == c.argv[2] {
        c.add_reply_error(SAME_OBJECT_ERR);
        return;
    }
    let Some(o) = server.lookup_key_read(src, &c.argv[1]) else {
        c.add_reply_long_long(0);
        return;
    };
    // Every value type is a deep copy: the two keys never share data.
    let newobj = o.clone();
    let expire = server.dbs[src].get_expire(&c.argv[1]);
    if server.lookup_key_write(dst, &c.argv[2]).is_some() {
        if !replace {
            c.add_reply_long_long(0);
            return;
        }
        server.db_delete(dst, &c.argv[2]);
    }
    server.db_add(dst, &c.argv[2], newobj);
    if expire != -1 {
        server.set_expire(dst, &c.argv[2], expire);
    }
    server.signal_modified_key(dst, &c.argv[2]);
    crate::notify::notify_keyspace_event(server, NOTIFY_GENERIC, "copy_to", &c.argv[2], dst);
    server.dirty += 1;
    c.add_reply_long_long(1);
}

/// SWAPDB index1 index2
pub fn swapdb_command(server: &mut Server, c: &mut Client) {
    if server.config.cluster_enabled {
        c.add_reply_error("SWAPDB is not allowed in cluster mode");
        return;
    }
    let Some(id1) =
        get_int_from_object_or_reply(c, &c.argv[1].clone(), Some("invalid first DB index"))
    else {
        return;
    };
    let Some(id2) =
        get_int_from_object_or_reply(c, &c.argv[2].clone(), Some("invalid second DB index"))
    else {
        return;
    };
    if !server.db_swap_databases(id1, id2) {
        c.add_reply_error("DB index is out of range");
        return;
    }
    server.dirty += 1;
    c.add_reply_ok();
}

impl Client {
    /// RENAME answers +OK where RENAMENX answers an integer.
    fn add_reply_long_long_or_ok(&mut self, integer: bool, v: i64) {
        if integer {
            self.add_reply_long_long(v);
        } else {
            self.add_reply_ok();
        }
    }
}

// ---- Key extraction from arguments (key specs and getkeys functions) ----

/// A key found in the arguments: its index in argv and its key spec flags.
pub type KeyReference = (usize, u64);

/// `getKeysUsingKeySpecs` without the search options: the keys every spec
/// (but the `not_key` ones) finds in `argv` (command name included), or
/// `None` when a spec does not fit the arguments or is incomplete.
pub fn get_keys_using_key_specs(specs: &[KeySpec], argv: &[Vec<u8>]) -> Option<Vec<KeyReference>> {
    let argc = argv.len() as i64;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & CMD_KEY_NOT_KEY != 0 {
            continue;
        }
        let mut first = match spec.begin_search {
            BeginSearch::Index(pos) => pos as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                match find_keyword(argv, keyword, startfrom as i64) {
                    Some(i) => i + 1,
                    // No keyword, no keys for this spec.
                    None => continue,
                }
            }
        };
        let (last, step) = match spec.find_keys {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let (lastkey, limit) = (lastkey as i64, limit as i64);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (last, keystep)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let idx = first + keynumidx as i64;
                if keynumidx as i64 >= argc || idx >= argc {
                    return None;
                }
                let numkeys = string2ll(&argv[idx as usize]).filter(|&n| n >= 0)?;
                first += firstkey as i64;
                (first.saturating_add(numkeys) - 1, keystep)
            }
        };
        if last >= argc || last < first || first >= argc {
            return None;
        }
        let mut i = first;
        while i <= last {
            keys.push((i as usize, spec.flags));
            i += step.max(1) as i64;
        }
        if spec.flags & CMD_KEY_INCOMPLETE != 0 {
            return None;
        }
    }
    Some(keys)
}

/// The index of `keyword` (case-insensitive) searching forwards from
/// `startfrom`, or backwards from the end when it is negative. The last
/// argument is never taken going forwards (no key could follow it), and
/// the command name never going backwards.
fn find_keyword(argv: &[Vec<u8>], keyword: &str, startfrom: i64) -> Option<i64> {
    let argc = argv.len() as i64;
    let matches = |i: i64| {
        (1..argc).contains(&i) && argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes())
    };
    if startfrom > 0 {
        (startfrom..argc - 1).find(|&i| matches(i))
    } else if startfrom == 0 {
        // "From the end" with nothing to skip starts past the last argument.
        None
    } else {
        ((2..=argc + startfrom).rev()).find(|&i| matches(i))
    }
}

/// Whether the command has keys at all (`doesCommandHaveKeys`).
pub fn does_command_have_keys(cmd: &CommandEntry) -> bool {
    cmd.getkeys_proc.is_some() || cmd.key_specs.iter().any(|s| s.flags & CMD_KEY_NOT_KEY == 0)
}

/// `getKeysFromCommandWithSpecs`: the keys of a call, from the key specs
/// when their flags hold for every call, else from the command's getkeys
/// function. Empty when there are none or the arguments do not fit.
pub fn get_keys_from_command_with_specs(cmd: &CommandEntry, argv: &[Vec<u8>]) -> Vec<KeyReference> {
    let has_keyspec = cmd.key_specs.iter().any(|s| s.flags & CMD_KEY_NOT_KEY == 0);
    let has_varflags = cmd
        .key_specs
        .iter()
        .any(|s| s.flags & CMD_KEY_VARIABLE_FLAGS != 0);
    if has_keyspec && !has_varflags {
        if let Some(keys) = get_keys_using_key_specs(cmd.key_specs, argv) {
            return keys;
        }
    }
    cmd.getkeys_proc
        .map_or_else(Vec::new, |getkeys| getkeys(argv))
}

/// `setGetKeys`: SET reads its key only with the GET option.
pub fn set_get_keys(argv: &[Vec<u8>]) -> Vec<KeyReference> {
    let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
    let flags = if get {
        CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE
    } else {
        CMD_KEY_OW | CMD_KEY_UPDATE
    };
    vec![(1, flags)]
}

/// `bitfieldGetKeys`: BITFIELD only reads its key when every operation is
/// a GET (a malformed call counts as a write).
pub fn bitfield_get_keys(argv: &[Vec<u8>]) -> Vec<KeyReference> {
    let mut readonly = true;
    let mut i = 2;
    while i < argv.len() {
        let remargs = argv.len() - i - 1;
        let arg = argv[i].as_slice();
        if arg.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            i += 3;
        } else if arg.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            i += 2;
        } else {
            // SET, INCRBY or a syntax error.
            readonly = false;
            break;
        }
    }
    let flags = if readonly {
        CMD_KEY_RO | CMD_KEY_ACCESS
    } else {
        CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE
    };
    vec![(1, flags)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn positions(specs: &[KeySpec], argv: &str) -> Option<Vec<usize>> {
        get_keys_using_key_specs(specs, &args(argv))
            .map(|k| k.into_iter().map(|(p, _)| p).collect())
    }

    const fn spec(begin_search: BeginSearch, find_keys: FindKeys) -> KeySpec {
        KeySpec {
            flags: CMD_KEY_RO,
            begin_search,
            find_keys,
        }
    }

    #[test]
    fn keynum_specs_read_the_key_count() {
        // ZUNIONSTORE dest numkeys key [key ...] ...
        let specs = [
            spec(
                BeginSearch::Index(1),
                FindKeys::Range {
                    lastkey: 0,
                    keystep: 1,
                    limit: 0,
                },
            ),
            spec(
                BeginSearch::Index(2),
                FindKeys::Keynum {
                    keynumidx: 0,
                    firstkey: 1,
                    keystep: 1,
                },
            ),
        ];
        assert_eq!(
            positions(&specs, "zunionstore d 2 a b weights 1 2"),
            Some(vec![1, 3, 4])
        );
        assert_eq!(positions(&specs, "zunionstore d 3 a b"), None);
        assert_eq!(positions(&specs, "zunionstore d x a b"), None);
        assert_eq!(positions(&specs, "zunionstore d -1 a"), None);
        assert_eq!(positions(&specs, "zunionstore d"), None);
    }

    #[test]
    fn keyword_specs_search_both_ways() {
        // MIGRATE host port key db timeout ... KEYS k1 k2, searched from the end.
        let back = [spec(
            BeginSearch::Keyword {
                keyword: "KEYS",
                startfrom: -2,
            },
            FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 0,
            },
        )];
        assert_eq!(
            positions(&back, "migrate h p \"\" 0 5 keys a b"),
            Some(vec![7, 8])
        );
        assert_eq!(positions(&back, "migrate h p k 0 5"), Some(vec![]));
        // XREAD ... STREAMS k1 k2 id1 id2: half of what follows the keyword.
        let fwd = [spec(
            BeginSearch::Keyword {
                keyword: "STREAMS",
                startfrom: 1,
            },
            FindKeys::Range {
                lastkey: -1,
                keystep: 1,
                limit: 2,
            },
        )];
        assert_eq!(
            positions(&fwd, "xread count 2 streams a b 0 0"),
            Some(vec![4, 5])
        );
        // The last argument is never the keyword going forwards.
        assert_eq!(positions(&fwd, "xread streams"), Some(vec![]));
    }

    #[test]
    fn incomplete_and_not_key_specs() {
        let mut s = spec(
            BeginSearch::Index(1),
            FindKeys::Range {
                lastkey: 0,
                keystep: 1,
                limit: 0,
            },
        );
        s.flags |= CMD_KEY_INCOMPLETE;
        assert_eq!(positions(&[s], "sort k"), None);
        s.flags = CMD_KEY_NOT_KEY;
        assert_eq!(positions(&[s], "x k"), Some(vec![]));
    }

    #[test]
    fn variable_flags_come_from_the_getkeys_functions() {
        let rw = CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE;
        assert_eq!(
            set_get_keys(&args("set k v")),
            vec![(1, CMD_KEY_OW | CMD_KEY_UPDATE)]
        );
        assert_eq!(set_get_keys(&args("set k get GET")), vec![(1, rw)]);
        assert_eq!(set_get_keys(&args("set k v Get")), vec![(1, rw)]);
        let ro = CMD_KEY_RO | CMD_KEY_ACCESS;
        assert_eq!(bitfield_get_keys(&args("bitfield k")), vec![(1, ro)]);
        assert_eq!(
            bitfield_get_keys(&args("bitfield k overflow fail get u1 0")),
            vec![(1, ro)]
        );
        assert_eq!(bitfield_get_keys(&args("bitfield k get u1")), vec![(1, rw)]);
        assert_eq!(
            bitfield_get_keys(&args("bitfield k get u1 0 set u1 0 1")),
            vec![(1, rw)]
        );
    }

    #[test]
    fn scan_cursor_follows_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b"123"), Some(123));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_scan_cursor(b" 1"), None);
        assert_eq!(parse_scan_cursor(b"1 "), None);
        assert_eq!(parse_scan_cursor(b"abc"), None);
        assert_eq!(parse_scan_cursor(b"+"), None);
        assert_eq!(parse_scan_cursor(b"7\0junk"), Some(7));
    }
}
