//! The keyspace: a port of `db.c`.
//!
//! Each of the `databases` numbered databases is a [`RedisDb`]: the main
//! dictionary from key to value and the `expires` dictionary from key to
//! its absolute expiry time in milliseconds, exactly as in C. Every read or
//! write of a key goes through the `lookup_key_*` functions, which expire
//! the key first if its time has passed (lazy expiry) and keep the
//! hit/miss statistics. The generic keyspace commands (DEL, EXISTS, TYPE,
//! SELECT, FLUSHDB ...) live here too.

use crate::dict::Dict;
use crate::networking::Client;
use crate::object::RObj;
use crate::sds::Sds;
use crate::server::Server;

/// One numbered database (`redisDb`).
pub struct RedisDb {
    pub id: usize,
    pub dict: Dict<Sds, RObj>,
    pub expires: Dict<Sds, i64>,
    /// Average TTL of the keys sampled by the active expire cycle.
    pub avg_ttl: i64,
    /// Where the active expire cycle resumes its scan of `expires`.
    pub expires_cursor: u64,
}

impl RedisDb {
    pub fn new(id: usize) -> RedisDb {
        RedisDb {
            id,
            dict: Dict::new(),
            expires: Dict::new(),
            avg_ttl: 0,
            expires_cursor: 0,
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
        self.stat_expiredkeys += 1;
    }

    /// `lookupKeyRead`: the value of a live key, counting hits and misses.
    pub fn lookup_key_read(&mut self, db: usize, key: &[u8]) -> Option<&mut RObj> {
        self.expire_if_needed(db, key);
        let lru = self.lru_clock();
        match self.dbs[db].dict.get_mut(key) {
            Some(o) => {
                self.stat_keyspace_hits += 1;
                o.lru = lru;
                Some(o)
            }
            None => {
                self.stat_keyspace_misses += 1;
                None
            }
        }
    }

    /// `lookupKeyWrite`: like a read, without the statistics.
    pub fn lookup_key_write(&mut self, db: usize, key: &[u8]) -> Option<&mut RObj> {
        self.expire_if_needed(db, key);
        let lru = self.lru_clock();
        let o = self.dbs[db].dict.get_mut(key)?;
        o.lru = lru;
        Some(o)
    }

    /// The current LRU clock (seconds, 24 bits), as `LRU_CLOCK`.
    pub fn lru_clock(&self) -> u32 {
        ((self.mstime / 1000) & ((1 << 24) - 1)) as u32
    }

    /// `dbAdd`: adds a key that must not exist.
    pub fn db_add(&mut self, db: usize, key: &[u8], mut val: RObj) {
        val.lru = self.lru_clock();
        self.dbs[db].dict.insert(Sds::new(key), val);
    }

    /// `setKey`: creates or overwrites a key; the TTL is dropped unless
    /// `keepttl`.
    pub fn set_key(&mut self, db: usize, key: &[u8], mut val: RObj, keepttl: bool) {
        val.lru = self.lru_clock();
        let d = &mut self.dbs[db];
        match d.dict.get_mut(key) {
            Some(slot) => *slot = val,
            None => {
                d.dict.insert(Sds::new(key), val);
            }
        }
        if !keepttl && !d.expires.is_empty() {
            d.expires.remove(key);
        }
    }

    /// `dbDelete`: removes a key and its TTL. Returns whether it existed.
    pub fn db_delete(&mut self, db: usize, key: &[u8]) -> bool {
        let d = &mut self.dbs[db];
        if !d.expires.is_empty() {
            d.expires.remove(key);
        }
        d.dict.remove(key).is_some()
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

    /// `emptyData` for one database or all (-1). Returns the keys removed.
    pub fn empty_data(&mut self, dbnum: i64) -> usize {
        let mut removed = 0;
        for d in self.dbs.iter_mut() {
            if dbnum == -1 || dbnum == d.id as i64 {
                removed += d.dict.len();
                d.dict.clear();
                d.expires.clear();
                d.avg_ttl = 0;
                d.expires_cursor = 0;
            }
        }
        removed
    }
}

// ----------------------------------------------------------------------
// Keyspace commands.
// ----------------------------------------------------------------------

/// SELECT index
pub fn select_command(server: &mut Server, c: &mut Client) {
    let Some(id) = crate::util::string2ll(&c.argv[1]) else {
        c.add_reply_error("invalid DB index");
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

/// `delGenericCommand`: DEL and UNLINK (the latter frees big values in the
/// background once lazyfree exists; the reply is the same).
fn del_generic_command(server: &mut Server, c: &mut Client) {
    let mut deleted = 0;
    for j in 1..c.argv.len() {
        server.expire_if_needed(c.db, &c.argv[j]);
        if server.db_delete(c.db, &c.argv[j]) {
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
        if server.lookup_key_read(c.db, &c.argv[j]).is_some() {
            count += 1;
        }
    }
    c.add_reply_long_long(count);
}

/// TYPE key
pub fn type_command(server: &mut Server, c: &mut Client) {
    let t = server
        .lookup_key_read(c.db, &c.argv[1])
        .map_or("none", |o| o.obj_type().name());
    c.add_reply_status(t);
}

/// DBSIZE
pub fn dbsize_command(server: &mut Server, c: &mut Client) {
    let n = server.dbs[c.db].size();
    c.add_reply_long_long(n as i64);
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
    let removed = server.empty_data(-1);
    server.dirty += removed as u64 + 1;
    c.add_reply_ok();
}
