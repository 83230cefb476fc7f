//! Transactions: a port of `multi.c` (MULTI, EXEC, DISCARD, WATCH, UNWATCH).
//!
//! After MULTI a client's commands are not run: `process_command` checks
//! them as usual and hands them to [`queue_multi_command`], which keeps their
//! arguments in the client's [`MultiState`] and answers `+QUEUED`. A command
//! refused while queueing (unknown, wrong arity, not allowed...) marks the
//! transaction `CLIENT_DIRTY_EXEC`, so that EXEC refuses to run any of it.
//! EXEC then runs the queue through `call`, one command after the other,
//! with nothing else in between, which is all the isolation a single thread
//! needs.
//!
//! WATCH is optimistic locking. The watched keys are indexed twice, as in
//! C: each client lists its own `(db, key)` pairs, and the server maps every
//! watched key of every db to the clients watching it ([`MultiServerState`]).
//! Each write calls `signal_modified_key`, which lands in
//! [`touch_watched_key`] and marks the watchers `CLIENT_DIRTY_CAS`; EXEC of a
//! dirty client answers a null array. A key that had already expired when
//! it was watched is remembered as such, so that its (logically invisible)
//! deletion does not fail the transaction.
//!
//! Watchers are named by their slot in the client table. The client whose
//! command does the write is out of that table while it runs; its own
//! "dirty" mark is parked and applied by `call` once the command returns
//! ([`apply_touches_to_running_client`]).

use std::collections::HashMap;

use crate::networking::{
    Client, CLIENT_DENY_BLOCKING, CLIENT_DIRTY_CAS, CLIENT_DIRTY_EXEC, CLIENT_MULTI,
};
use crate::server::Server;

/// One queued command (`multiCmd`).
pub struct MultiCmd {
    pub argv: Vec<Vec<u8>>,
    /// Index in `server.commands`.
    pub cmd: usize,
}

/// The transaction state of a client (`multiState` plus the client's
/// `watched_keys` list).
#[derive(Default)]
pub struct MultiState {
    pub commands: Vec<MultiCmd>,
    /// Union of the flags of the queued commands.
    pub cmd_flags: u64,
    /// Union of the negated flags: a bit is set here when at least one
    /// queued command lacks it.
    pub cmd_inv_flags: u64,
    /// Argument bytes queued, for CLIENT LIST `multi-mem`.
    pub argv_len_sums: usize,
    /// The keys this client watches, with their db.
    pub watched_keys: Vec<(usize, Vec<u8>)>,
}

/// A client watching a key (`watchedKey`, the server side of it).
struct Watcher {
    slot: usize,
    /// The key was already logically expired when WATCH ran.
    expired: bool,
}

/// The transaction state of `struct redisServer` and of the dbs.
#[derive(Default)]
pub struct MultiServerState {
    /// Per db (`redisDb.watched_keys`): key to the clients watching it.
    watched_keys: Vec<HashMap<Vec<u8>, Vec<Watcher>>>,
    /// `server.in_exec`: EXEC is running its queue.
    pub in_exec: bool,
    /// Slots of watchers found out of the client table (running a command)
    /// when one of their keys was touched.
    touched_running: Vec<usize>,
}

impl MultiServerState {
    fn db_map(&mut self, db: usize) -> &mut HashMap<Vec<u8>, Vec<Watcher>> {
        if self.watched_keys.len() <= db {
            self.watched_keys.resize_with(db + 1, HashMap::new);
        }
        &mut self.watched_keys[db]
    }
}

/// Whether `idx` is the command `name` (by its own name, which a
/// `rename-command` does not change: C compares the handlers).
fn is_command(server: &Server, idx: usize, name: &str) -> bool {
    server
        .commands
        .list
        .get(idx)
        .is_some_and(|e| e.fullname == name)
}

/// Whether the client's current command is EXEC.
pub fn is_exec(server: &Server, c: &Client) -> bool {
    c.cmd.is_some_and(|i| is_command(server, i, "exec"))
}

/// The commands `process_command` runs at once even inside MULTI.
pub fn is_not_queued(server: &Server, idx: usize) -> bool {
    ["exec", "discard", "multi", "watch", "quit", "reset"]
        .iter()
        .any(|n| is_command(server, idx, n))
}

// ----------------------------------------------------------------------
// MULTI/EXEC.
// ----------------------------------------------------------------------

/// `freeClientMultiState` + `initClientMultiState`: the queue is dropped,
/// the watched keys are not.
fn free_client_multi_state(c: &mut Client) {
    c.mstate.commands = Vec::new();
    c.mstate.cmd_flags = 0;
    c.mstate.cmd_inv_flags = 0;
    c.mstate.argv_len_sums = 0;
}

/// `queueMultiCommand`: keeps the parsed command for EXEC.
pub fn queue_multi_command(c: &mut Client, cmd_flags: u64) {
    // A transaction that will fail anyway need not hold memory.
    if c.flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC) != 0 {
        return;
    }
    let Some(cmd) = c.cmd else { return };
    let argv = c.argv.to_vec();
    c.mstate.argv_len_sums += c.argv_len_sum + std::mem::size_of::<Vec<u8>>() * argv.len();
    c.mstate.commands.push(MultiCmd { argv, cmd });
    c.mstate.cmd_flags |= cmd_flags;
    c.mstate.cmd_inv_flags |= !cmd_flags;
}

/// `discardTransaction`.
pub fn discard_transaction(server: &mut Server, c: &mut Client) {
    free_client_multi_state(c);
    c.flags &= !(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC);
    unwatch_all_keys(server, c);
}

/// `flagTransaction`: an error while queueing dooms the transaction.
pub fn flag_transaction(c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.flags |= CLIENT_DIRTY_EXEC;
    }
}

/// MULTI
pub fn multi_command(_server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.add_reply_error("MULTI calls can not be nested");
        return;
    }
    c.flags |= CLIENT_MULTI;
    c.add_reply_ok();
}

/// DISCARD
pub fn discard_command(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("DISCARD without MULTI");
        return;
    }
    discard_transaction(server, c);
    c.add_reply_ok();
}

/// `execCommandAbort`: EXEC refused by `process_command`; the reason is
/// given after `-EXECABORT`, and monitors see the EXEC that ended the
/// transaction they saw begin.
pub fn exec_command_abort(server: &mut Server, c: &mut Client, error: &str) {
    discard_transaction(server, c);
    let error = error.strip_prefix('-').unwrap_or(error);
    c.add_reply_error(&format!(
        "-EXECABORT Transaction discarded because of: {error}"
    ));
    if !server.repl.monitors.is_empty() {
        let argv = c.argv.to_vec();
        let db = c.db;
        crate::replication::replication_feed_monitors(server, c, db, &argv);
    }
}

/// EXEC
pub fn exec_command(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("EXEC without MULTI");
        return;
    }
    if is_watched_key_expired(server, c) {
        c.flags |= CLIENT_DIRTY_CAS;
    }
    // A touched watched key answers a null array (the transaction simply
    // did not happen); an error while queueing answers an error.
    if c.flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC) != 0 {
        if c.flags & CLIENT_DIRTY_EXEC != 0 {
            c.add_reply_error("-EXECABORT Transaction discarded because of previous errors.");
        } else {
            c.add_reply_null_array();
        }
        discard_transaction(server, c);
        return;
    }

    let old_flags = c.flags;
    // Nothing may block in the middle of a transaction.
    c.flags |= CLIENT_DENY_BLOCKING;
    unwatch_all_keys(server, c);
    server.multi.in_exec = true;

    let orig_argv = c.argv.to_vec();
    let orig_cmd = c.cmd;
    let orig_original_argv = c.original_argv.take();
    let commands = std::mem::take(&mut c.mstate.commands);
    c.add_reply_array_len(commands.len() as i64);
    for mc in commands {
        c.argv.set(mc.argv);
        c.argv_len_sum = c.argv.iter().map(|a| a.len()).sum();
        c.cmd = Some(mc.cmd);
        crate::server::call(server, c, mc.cmd);
    }
    if old_flags & CLIENT_DENY_BLOCKING == 0 {
        c.flags &= !CLIENT_DENY_BLOCKING;
    }
    c.argv.set(orig_argv);
    c.argv_len_sum = c.argv.iter().map(|a| a.len()).sum();
    c.cmd = orig_cmd;
    c.original_argv = orig_original_argv;
    discard_transaction(server, c);
    server.multi.in_exec = false;
}

// ----------------------------------------------------------------------
// WATCH.
// ----------------------------------------------------------------------

/// `watchForKey`.
fn watch_for_key(server: &mut Server, c: &mut Client, key: &[u8]) {
    let db = c.db;
    if c.mstate
        .watched_keys
        .iter()
        .any(|(d, k)| *d == db && k == key)
    {
        return;
    }
    let expired = server.key_is_expired(db, key);
    server
        .multi
        .db_map(db)
        .entry(key.to_vec())
        .or_default()
        .push(Watcher {
            slot: c.slot,
            expired,
        });
    c.mstate.watched_keys.push((db, key.to_vec()));
}

/// `unwatchAllKeys`: the dirty flag is the caller's business.
pub fn unwatch_all_keys(server: &mut Server, c: &mut Client) {
    unwatch_all_keys_in(&mut server.multi, c);
}

fn unwatch_all_keys_in(state: &mut MultiServerState, c: &mut Client) {
    for (db, key) in std::mem::take(&mut c.mstate.watched_keys) {
        let map = state.db_map(db);
        if let Some(watchers) = map.get_mut(&key) {
            watchers.retain(|w| w.slot != c.slot);
            if watchers.is_empty() {
                map.remove(&key);
            }
        }
    }
}

/// `isWatchedKeyExpired`: a watched key that has expired since WATCH counts
/// as modified (keys already expired at WATCH time do not).
fn is_watched_key_expired(server: &Server, c: &Client) -> bool {
    c.mstate.watched_keys.iter().any(|(db, key)| {
        let expired_at_watch = server
            .multi
            .watched_keys
            .get(*db)
            .and_then(|m| m.get(key))
            .and_then(|ws| ws.iter().find(|w| w.slot == c.slot))
            .is_some_and(|w| w.expired);
        !expired_at_watch && server.key_is_expired(*db, key)
    })
}

/// Marks a watcher dirty: at once when it sits in the client table, else
/// (it is the client running the command) once its command returns.
fn mark_dirty_cas(server: &mut Server, slot: usize) {
    match server.clients.get_mut(slot) {
        Some(Some(w)) => {
            w.flags |= CLIENT_DIRTY_CAS;
            // Dirty for good: its keys need not be watched any more.
            unwatch_all_keys_in(&mut server.multi, w);
        }
        Some(None) => server.multi.touched_running.push(slot),
        None => {}
    }
}

/// Applies the touches parked for the client that was running (see the
/// module docs). Called by `call` after every command.
pub fn apply_touches_to_running_client(server: &mut Server, c: &mut Client) {
    if server.multi.touched_running.is_empty() {
        return;
    }
    let slots = std::mem::take(&mut server.multi.touched_running);
    for slot in slots {
        if slot == c.slot {
            c.flags |= CLIENT_DIRTY_CAS;
            unwatch_all_keys(server, c);
        } else {
            mark_dirty_cas(server, slot);
        }
    }
}

/// `touchWatchedKey`: a write to `key` fails the transactions watching it.
pub fn touch_watched_key(server: &mut Server, db: usize, key: &[u8]) {
    let Some(watchers) = server
        .multi
        .watched_keys
        .get_mut(db)
        .and_then(|m| m.get_mut(key))
    else {
        return;
    };
    let exists = server.dbs[db].dict.contains_key(key);
    let mut dirty = Vec::new();
    for w in watchers.iter_mut() {
        if w.expired {
            // Deleting a key that was already expired when watched changes
            // nothing the client could see; from now on it is a plain
            // missing key.
            if !exists {
                w.expired = false;
                continue;
            }
            // As 7.0.15 does, the walk stops at an expired watch whose key
            // exists again.
            break;
        }
        dirty.push(w.slot);
    }
    for slot in dirty {
        mark_dirty_cas(server, slot);
    }
}

/// `touchAllWatchedKeysInDb`: FLUSHDB, FLUSHALL and SWAPDB touch every
/// watched key of `emptied` that exists there, or in `replaced_with`, the
/// db whose data is about to take its place.
pub fn touch_all_watched_keys_in_db(
    server: &mut Server,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    let Some(map) = server.multi.watched_keys.get_mut(emptied) else {
        return;
    };
    let mut dirty = Vec::new();
    for (key, watchers) in map.iter_mut() {
        let exists_in_emptied = server.dbs[emptied].dict.contains_key(&key[..]);
        let exists_in_replacement =
            replaced_with.is_some_and(|r| server.dbs[r].dict.contains_key(&key[..]));
        if !exists_in_emptied && !exists_in_replacement {
            continue;
        }
        let expired_in_replacement = replaced_with.is_some_and(|r| {
            let when = server.dbs[r].get_expire(key);
            !server.loading && when >= 0 && server.cmd_time_snapshot > when
        });
        for w in watchers.iter_mut() {
            if w.expired {
                if !exists_in_replacement {
                    // The stale key is gone: no logical change.
                    w.expired = false;
                    continue;
                } else if expired_in_replacement {
                    // Stale before, stale after.
                    continue;
                }
            } else if !exists_in_emptied && expired_in_replacement {
                // A missing key replaced by a stale one: still missing.
                w.expired = true;
                continue;
            }
            dirty.push(w.slot);
        }
    }
    // C only flags these clients here (no unwatch).
    for slot in dirty {
        match server.clients.get_mut(slot) {
            Some(Some(w)) => w.flags |= CLIENT_DIRTY_CAS,
            Some(None) => server.multi.touched_running.push(slot),
            None => {}
        }
    }
}

/// WATCH key [key ...]
pub fn watch_command(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MULTI != 0 {
        c.add_reply_error("WATCH inside MULTI is not allowed");
        return;
    }
    // Already doomed: watching more changes nothing.
    if c.flags & CLIENT_DIRTY_CAS == 0 {
        for j in 1..c.argv.len() {
            let key = std::mem::take(&mut c.argv[j]);
            watch_for_key(server, c, &key);
            c.argv[j] = key;
        }
    }
    c.add_reply_ok();
}

/// UNWATCH
pub fn unwatch_command(server: &mut Server, c: &mut Client) {
    unwatch_all_keys(server, c);
    c.flags &= !CLIENT_DIRTY_CAS;
    c.add_reply_ok();
}

/// `multiStateMemOverhead`: CLIENT LIST `multi-mem`.
pub fn multi_state_mem_overhead(c: &Client) -> usize {
    // A list node plus a watchedKey per watched key, as C counts them.
    c.mstate.argv_len_sums
        + c.mstate.watched_keys.len() * (24 + 32)
        + c.mstate.commands.capacity() * std::mem::size_of::<MultiCmd>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::CMD_WRITE;

    #[test]
    fn queueing_collects_flags_and_skips_doomed_transactions() {
        let mut c = Client::new(1, None, 0);
        c.flags |= CLIENT_MULTI;
        c.cmd = Some(3);
        c.argv
            .set(vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]);
        c.argv_len_sum = 5;
        queue_multi_command(&mut c, CMD_WRITE);
        assert_eq!(c.mstate.commands.len(), 1);
        assert_eq!(c.mstate.commands[0].argv[1], b"k");
        assert_ne!(c.mstate.cmd_flags & CMD_WRITE, 0);
        flag_transaction(&mut c);
        assert_ne!(c.flags & CLIENT_DIRTY_EXEC, 0);
        queue_multi_command(&mut c, 0);
        assert_eq!(c.mstate.commands.len(), 1, "doomed: not queued");
        free_client_multi_state(&mut c);
        assert!(c.mstate.commands.is_empty());
    }
}
