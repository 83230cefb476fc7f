//! Blocked clients: the generic part of `blocked.c` (and the timeout
//! table of `timeout.c`).
//!
//! A blocked client keeps its connection and its parsed command but runs
//! nothing: `process_input_buffer` stops at `CLIENT_BLOCKED` and only
//! accumulates what arrives. When the reason goes away the client is
//! unblocked and queued; `before_sleep` then runs its pending command (if it
//! was postponed rather than answered) and whatever else is in its query
//! buffer, through [`process_unblocked_clients`].
//!
//! Reasons (`btype`): `BLOCKED_POSTPONE` for CLIENT PAUSE (see
//! `networking::client_cmd`), and blocking on keys ([`block_for_keys`]) for
//! BLPOP and friends. A client blocked on keys is queued FIFO per key; a
//! write that gives a watched key a value calls [`signal_key_as_ready`], and
//! after each command [`handle_clients_blocked_on_keys`] serves the queued
//! clients of every ready key through the serving function of the key's type
//! (`t_list::serve_clients_blocked_on_list_key`,
//! `t_stream::commands::serve_clients_blocked_on_stream_key`; zsets
//! `t_zset::pop::serve_clients_blocked_on_zset_key`; others add theirs to [`serve_ready_key`]). A blocking timeout sits in a table sorted
//! by deadline and is checked in `before_sleep`.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

use crate::networking::{self, Client, CLIENT_BLOCKED, CLIENT_PENDING_COMMAND, CLIENT_UNBLOCKED};
use crate::object::ObjType;
use crate::server::Server;

pub const BLOCKED_NONE: u8 = 0;
/// BLPOP & co.
pub const BLOCKED_LIST: u8 = 1;
/// WAIT.
pub const BLOCKED_WAIT: u8 = 2;
/// Module commands.
pub const BLOCKED_MODULE: u8 = 3;
/// XREAD BLOCK.
pub const BLOCKED_STREAM: u8 = 4;
/// BZPOPMIN & co.
pub const BLOCKED_ZSET: u8 = 5;
/// Postponed by CLIENT PAUSE: the command runs when the pause ends.
pub const BLOCKED_POSTPONE: u8 = 6;
/// SHUTDOWN waiting for replicas.
pub const BLOCKED_SHUTDOWN: u8 = 7;
const BLOCKED_NUM: usize = 8;

/// A (db, key) pair, the identity of a key across databases.
pub type DbKey = (usize, Vec<u8>);

/// `blockPos`: where a blocked pop takes from and a move pushes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockPos {
    /// `LIST_HEAD` (0) / `LIST_TAIL` (1), or the zset's min/max side.
    pub wherefrom: i32,
    pub whereto: i32,
}

/// `c->bpop`: what a client blocked on keys waits for.
#[derive(Clone, Debug, Default)]
pub struct BlockingState {
    /// Deadline in unix ms, 0 for none.
    pub timeout: i64,
    /// The keys, once each, in the order given.
    pub keys: Vec<Vec<u8>>,
    /// BLMOVE/BRPOPLPUSH destination.
    pub target: Option<Vec<u8>>,
    pub blockpos: BlockPos,
    /// Elements wanted (BLMPOP/BZMPOP COUNT), -1 when not given.
    pub count: i64,
    /// Run time of the command before it blocked (`c->duration`), added to
    /// its statistics when it is served.
    pub duration: i64,
    /// XREAD/XREADGROUP: the IDs waited past, the count, the group.
    pub xread: Option<Box<crate::t_stream::commands::XreadWait>>,
}

/// The blocking bookkeeping of `struct redisServer` and of each `redisDb`.
#[derive(Default)]
pub struct BlockedState {
    /// `blocked_clients`: clients with `CLIENT_BLOCKED`, for INFO.
    pub blocked_clients: usize,
    /// `blocked_clients_by_type`.
    pub blocked_clients_by_type: [usize; BLOCKED_NUM],
    /// Slots of the clients postponed by a pause (`postponed_clients`).
    pub postponed_clients: Vec<usize>,
    /// Slots of clients to reprocess in `before_sleep` (`unblocked_clients`).
    pub unblocked_clients: VecDeque<usize>,
    /// `db->blocking_keys`: per key, the slots of the clients waiting, in
    /// the order they blocked.
    pub blocking_keys: HashMap<DbKey, VecDeque<usize>>,
    /// `server.ready_keys` in signal order, and `db->ready_keys` to signal
    /// each key once.
    ready_keys: Vec<DbKey>,
    ready_set: HashSet<DbKey>,
    /// `server.clients_timeout_table`: (deadline ms, client id, slot).
    timeout_table: BTreeSet<(i64, u64, usize)>,
}

impl BlockedState {
    /// `clients_in_timeout_table` of INFO.
    pub fn clients_in_timeout_table(&self) -> usize {
        self.timeout_table.len()
    }
}

/// `blockClient`.
pub fn block_client(server: &mut Server, c: &mut Client, btype: u8) {
    c.flags |= CLIENT_BLOCKED;
    c.btype = btype;
    server.blocked.blocked_clients += 1;
    server.blocked.blocked_clients_by_type[btype as usize] += 1;
    add_client_to_timeout_table(server, c);
    if btype == BLOCKED_POSTPONE {
        server.blocked.postponed_clients.push(c.slot);
        // The parsed command stays in argv and runs once unblocked.
        c.flags |= CLIENT_PENDING_COMMAND;
    }
}

/// `updateStatsOnUnblock`: the blocked command's statistics, counted when
/// it finally replies.
pub fn update_stats_on_unblock(
    server: &mut Server,
    c: &mut Client,
    reply_us: i64,
    had_errors: bool,
) {
    let total = c.bpop.duration + reply_us;
    if let Some(idx) = c.lastcmd {
        let tracking = server.config.latency_tracking;
        if let Some(cmd) = server.commands.list.get_mut(idx) {
            cmd.stats.microseconds += total.max(0) as u64;
            if had_errors {
                cmd.stats.failed_calls += 1;
            }
            if tracking {
                cmd.stats
                    .latency_histogram
                    .get_or_insert_with(Default::default)
                    .record(total.max(0) * 1000);
            }
        }
    }
    crate::slowlog::slowlog_push_entry_if_needed(server, c, total);
    crate::latency::latency_add_sample_if_needed(server, "command-unblocking", reply_us / 1000);
}

/// After a blocked client was served (`start` is when serving began, in
/// microseconds): its error and command statistics, then it is unblocked
/// and put back.
pub fn finish_serving_blocked_client(server: &mut Server, mut receiver: Box<Client>, start: i64) {
    let had_errors = !receiver.pending_errors.is_empty();
    crate::server::update_error_stats(server, &mut receiver);
    update_stats_on_unblock(
        server,
        &mut receiver,
        crate::util::ustime() - start,
        had_errors,
    );
    unblock_client(server, &mut receiver);
    server.put_client_back(receiver, true);
}

/// `unblockClient`: clears the blocked state and queues the client so its
/// pending input is processed in `before_sleep`.
pub fn unblock_client(server: &mut Server, c: &mut Client) {
    match c.btype {
        BLOCKED_LIST | BLOCKED_ZSET | BLOCKED_STREAM => unblock_client_waiting_data(server, c),
        BLOCKED_POSTPONE => server.blocked.postponed_clients.retain(|&s| s != c.slot),
        _ => {}
    }
    if c.btype != BLOCKED_POSTPONE && c.btype != BLOCKED_SHUTDOWN {
        // The command is over: the next one may be parsed.
        c.original_argv = None;
        c.reset_client();
    }
    let b = &mut server.blocked;
    b.blocked_clients = b.blocked_clients.saturating_sub(1);
    let t = &mut b.blocked_clients_by_type[c.btype as usize % BLOCKED_NUM];
    *t = t.saturating_sub(1);
    c.flags &= !CLIENT_BLOCKED;
    c.btype = BLOCKED_NONE;
    remove_client_from_timeout_table(server, c);
    queue_client_for_reprocessing(server, c);
}

/// `replyToBlockedClientTimedOut`.
pub fn reply_to_blocked_client_timed_out(c: &mut Client) {
    if matches!(c.btype, BLOCKED_LIST | BLOCKED_ZSET | BLOCKED_STREAM) {
        c.add_reply_null_array();
    }
}

/// `queueClientForReprocessing`.
fn queue_client_for_reprocessing(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_UNBLOCKED == 0 {
        c.flags |= CLIENT_UNBLOCKED;
        server.blocked.unblocked_clients.push_back(c.slot);
    }
}

/// Unblocks a client that sits in the client table (not the one running a
/// command).
pub fn unblock_client_by_slot(server: &mut Server, slot: usize) {
    if let Some(mut c) = server.take_client(slot) {
        unblock_client(server, &mut c);
        server.put_client_back(c, true);
    }
}

/// `processUnblockedClients`: runs the postponed command, then the rest of
/// the query buffer, of every client unblocked since the last call.
pub fn process_unblocked_clients(server: &mut Server) {
    while let Some(slot) = server.blocked.unblocked_clients.pop_front() {
        let Some(mut c) = server.take_client(slot) else {
            continue;
        };
        c.flags &= !CLIENT_UNBLOCKED;
        if c.flags & CLIENT_BLOCKED == 0 {
            process_pending_command_and_input_buffer(server, &mut c);
        }
        server.put_client_back(c, true);
    }
}

/// The blocked-client part of `freeClient`: a closed client leaves every
/// list that names it.
pub fn forget_client(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_BLOCKED != 0 {
        if matches!(c.btype, BLOCKED_LIST | BLOCKED_ZSET | BLOCKED_STREAM) {
            unblock_client_waiting_data(server, c);
        }
        let b = &mut server.blocked;
        b.blocked_clients = b.blocked_clients.saturating_sub(1);
        let t = &mut b.blocked_clients_by_type[c.btype as usize % BLOCKED_NUM];
        *t = t.saturating_sub(1);
        b.postponed_clients.retain(|&s| s != c.slot);
        remove_client_from_timeout_table(server, c);
        c.flags &= !CLIENT_BLOCKED;
    }
    if c.flags & CLIENT_UNBLOCKED != 0 {
        server.blocked.unblocked_clients.retain(|&s| s != c.slot);
    }
}

/// `processPendingCommandAndInputBuffer`.
fn process_pending_command_and_input_buffer(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_PENDING_COMMAND != 0 {
        c.flags &= !CLIENT_PENDING_COMMAND;
        crate::server::process_command_and_reset_client(server, c);
    }
    if c.qb_end > c.qb_pos {
        networking::process_input_buffer(server, c);
    }
}

/// `handleClientsBlockedOnKeys`: serves the clients waiting on every key
/// signalled ready, and again for the keys that serving made ready (BLMOVE
/// pushing into a key others wait on), until none is left.
pub fn handle_clients_blocked_on_keys(server: &mut Server) {
    while !server.blocked.ready_keys.is_empty() {
        let ready = std::mem::take(&mut server.blocked.ready_keys);
        for dbkey in ready {
            server.blocked.ready_set.remove(&dbkey);
            crate::server::update_cached_time(server);
            serve_ready_key(server, dbkey.0, &dbkey.1);
        }
    }
}

/// Serves the clients blocked on one ready key, by the key's type.
fn serve_ready_key(server: &mut Server, db: usize, key: &[u8]) {
    let flags = crate::db::LOOKUP_NONOTIFY | crate::db::LOOKUP_NOSTATS;
    let t = server
        .lookup_key_read_with_flags(db, key, flags)
        .map(|o| o.obj_type());
    match t {
        Some(ObjType::List) => crate::t_list::serve_clients_blocked_on_list_key(server, db, key),
        Some(ObjType::ZSet) => {
            crate::t_zset::pop::serve_clients_blocked_on_zset_key(server, db, key)
        }
        Some(ObjType::Stream) => {
            crate::t_stream::commands::serve_clients_blocked_on_stream_key(server, db, key)
        }
        _ => {}
    }
    // XREADGROUP readers of a key that is gone or no longer a stream lost
    // their group with it.
    if t != Some(ObjType::Stream) {
        crate::t_stream::commands::unblock_deleted_stream_readgroup_clients(server, db, key);
    }
}

/// The clients blocked on a key, in blocking order.
pub fn clients_blocked_on(server: &Server, db: usize, key: &[u8]) -> Vec<usize> {
    server
        .blocked
        .blocking_keys
        .get(&(db, key.to_vec()))
        .map(|q| q.iter().copied().collect())
        .unwrap_or_default()
}

/// `blockForKeys`: parks the client on `keys` until one gets served or
/// the deadline passes; `wait` carries the deadline (unix ms, 0 for none),
/// the destination, the ends and the count.
pub fn block_for_keys(
    server: &mut Server,
    c: &mut Client,
    btype: u8,
    keys: &[Vec<u8>],
    wait: BlockingState,
) {
    c.bpop = BlockingState {
        keys: Vec::new(),
        duration: c.bpop.duration,
        ..wait
    };
    for key in keys {
        if c.bpop.keys.contains(key) {
            continue;
        }
        c.bpop.keys.push(key.clone());
        server
            .blocked
            .blocking_keys
            .entry((c.db, key.clone()))
            .or_default()
            .push_back(c.slot);
    }
    block_client(server, c, btype);
}

/// `unblockClientWaitingData`: takes the client off every key it waits on.
fn unblock_client_waiting_data(server: &mut Server, c: &mut Client) {
    for key in std::mem::take(&mut c.bpop.keys) {
        let dbkey = (c.db, key);
        if let Some(q) = server.blocked.blocking_keys.get_mut(&dbkey) {
            q.retain(|&s| s != c.slot);
            if q.is_empty() {
                server.blocked.blocking_keys.remove(&dbkey);
            }
        }
    }
    c.bpop.target = None;
    c.bpop.xread = None;
}

/// `getBlockedTypeByType`.
fn blocked_type_of(t: ObjType) -> u8 {
    match t {
        ObjType::List => BLOCKED_LIST,
        ObjType::Stream => BLOCKED_STREAM,
        ObjType::ZSet => BLOCKED_ZSET,
        _ => BLOCKED_NONE,
    }
}

/// `signalKeyAsReady`: a key of type `t` got a value; if clients wait on
/// it, queue it for [`handle_clients_blocked_on_keys`].
pub fn signal_key_as_ready(server: &mut Server, db: usize, key: &[u8], t: ObjType) {
    let btype = blocked_type_of(t);
    let b = &mut server.blocked;
    if btype == BLOCKED_NONE
        || (b.blocked_clients_by_type[btype as usize] == 0
            && b.blocked_clients_by_type[BLOCKED_MODULE as usize] == 0)
    {
        return;
    }
    let dbkey = (db, key.to_vec());
    if !b.blocking_keys.contains_key(&dbkey) || b.ready_set.contains(&dbkey) {
        return;
    }
    b.ready_set.insert(dbkey.clone());
    b.ready_keys.push(dbkey);
}

/// `scanDatabaseForReadyKeys`: after SWAPDB, the keys waited on in `db`
/// that now hold a value.
pub fn scan_database_for_ready_keys(server: &mut Server, db: usize) {
    let keys: Vec<Vec<u8>> = server
        .blocked
        .blocking_keys
        .keys()
        .filter(|(d, _)| *d == db)
        .map(|(_, k)| k.clone())
        .collect();
    for key in keys {
        let flags = crate::db::LOOKUP_NONOTIFY | crate::db::LOOKUP_NOSTATS;
        let t = server
            .lookup_key_read_with_flags(db, &key, flags)
            .map(|o| o.obj_type());
        if let Some(t) = t {
            signal_key_as_ready(server, db, &key, t);
        }
    }
}

/// `addClientToTimeoutTable`.
fn add_client_to_timeout_table(server: &mut Server, c: &Client) {
    if c.bpop.timeout != 0 {
        server
            .blocked
            .timeout_table
            .insert((c.bpop.timeout, c.id, c.slot));
    }
}

/// `removeClientFromTimeoutTable`.
fn remove_client_from_timeout_table(server: &mut Server, c: &Client) {
    if c.bpop.timeout != 0 {
        server
            .blocked
            .timeout_table
            .remove(&(c.bpop.timeout, c.id, c.slot));
    }
}

/// `handleBlockedClientsTimeout`: replies to and unblocks every client
/// whose deadline has passed.
pub fn handle_blocked_clients_timeout(server: &mut Server) {
    if server.blocked.timeout_table.is_empty() {
        return;
    }
    let now = crate::util::mstime();
    while let Some(&(deadline, id, slot)) = server.blocked.timeout_table.first() {
        if deadline >= now {
            break;
        }
        server.blocked.timeout_table.remove(&(deadline, id, slot));
        let Some(mut c) = server.take_client(slot) else {
            continue;
        };
        // checkBlockedClientTimeout
        if c.id == id
            && c.flags & CLIENT_BLOCKED != 0
            && c.bpop.timeout != 0
            && c.bpop.timeout < now
        {
            reply_to_blocked_client_timed_out(&mut c);
            unblock_client(server, &mut c);
        }
        server.put_client_back(c, true);
    }
}

/// Units of a blocking command's timeout argument.
pub const UNIT_SECONDS: u8 = 0;
pub const UNIT_MILLISECONDS: u8 = 1;

/// `getTimeoutFromObjectOrReply`: a blocking timeout argument as the
/// deadline in unix ms, 0 for none. Seconds may have decimals (BLPOP and
/// friends); milliseconds are an integer (XREAD BLOCK).
pub fn get_timeout_from_object_or_reply(c: &mut Client, arg: &[u8], unit: u8) -> Option<i64> {
    let tval = if unit == UNIT_SECONDS {
        let Some(ld) = crate::util::string2ld(arg) else {
            c.add_reply_error("timeout is not a float or out of range");
            return None;
        };
        let ms = (ld.to_f64() * 1000.0).ceil();
        // C converts with a cast; out of range it yields the "integer
        // indefinite" value, i64::MIN, which is then reported as negative.
        if ms.is_finite() && ms >= i64::MIN as f64 && ms < i64::MAX as f64 {
            ms as i64
        } else {
            i64::MIN
        }
    } else {
        crate::object::get_long_long_from_object_or_reply(
            c,
            arg,
            Some("timeout is not an integer or out of range"),
        )?
    };
    if tval < 0 {
        c.add_reply_error("timeout is negative");
        return None;
    }
    Some(if tval > 0 {
        tval.saturating_add(crate::util::mstime())
    } else {
        0
    })
}
