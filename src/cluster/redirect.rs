//! Serving and redirecting clients (the "key space handling" and "serving /
//! redirecting clients" sections of `cluster.c`).
//!
//! A cluster node answers a command only when it serves the hash slot of
//! the command's keys (or shard channels); otherwise the client is told
//! where to go. Before `call`, `process_command` asks
//! [`get_node_by_query`] which node serves the query (for EXEC, the whole
//! transaction); anything but this node becomes the `-MOVED`, `-ASK`,
//! `-TRYAGAIN`, `-CROSSSLOT` or `-CLUSTERDOWN` error of
//! [`cluster_redirect_message`], counted as a rejected call. While a slot
//! moves, the migrating side still serves the keys it has and sends the
//! others on with ASK; the importing side serves a key only to a client
//! that said ASKING first (for one command) or to RESTORE-ASKING.
//! `clients_cron` also redirects clients blocked on a slot that went away.
//!
//! Counting and listing a slot's keys (`CLUSTER COUNTKEYSINSLOT`,
//! `GETKEYSINSLOT`, the bus deciding whether a slot is empty, dropping
//! the keys of a lost slot) need the keys of db 0 grouped by slot:
//! [`SlotToKeys`], kept by the `db.rs` functions that add and remove keys,
//! and only on a cluster node.

use crate::cluster::command::get_preferred_endpoint;
use crate::cluster::msg::CLUSTER_SLOTS;
use crate::cluster::{
    key_hash_slot, NodeId, CLUSTER_FAIL, CLUSTER_OK, CLUSTER_REDIR_ASK, CLUSTER_REDIR_CROSS_SLOT,
    CLUSTER_REDIR_DOWN_RO_STATE, CLUSTER_REDIR_DOWN_STATE, CLUSTER_REDIR_DOWN_UNBOUND,
    CLUSTER_REDIR_MOVED, CLUSTER_REDIR_NONE, CLUSTER_REDIR_UNSTABLE,
};
use crate::commands::{CommandEntry, CMD_ASKING, CMD_MOVABLE_KEYS, CMD_WRITE};
use crate::db::{get_keys_from_command_with_specs, KeyReference};
use crate::dict::Dict;
use crate::networking::{Client, CLIENT_ASKING, CLIENT_BLOCKED, CLIENT_MULTI, CLIENT_READONLY};
use crate::object::{get_long_long_from_object_or_reply, RObj};
use crate::sds::Sds;
use crate::server::{must_obey_client, Server};

const CLUSTER_DISABLED: &str = "This instance has cluster support disabled";

// ----------------------------------------------------------------------
// The keys of each slot.
// ----------------------------------------------------------------------

/// `clusterSlotToKeyMapping`: the keys of db 0 by hash slot.
///
/// C threads the keys of a slot on a list through two pointers added to
/// every keyspace entry. Our keyspace entries live in an arena that
/// compacts itself and carry no spare field, so nothing can point into
/// them; each slot instead keeps a copy of its keys in a vector, created
/// with the slot's first key and dropped with its last, beside a 32-bit
/// fingerprint of each key. Adding is O(1), counting is O(1) and listing
/// is O(keys listed); removing scans the slot's fingerprints (a slot holds
/// a 16384th of the keys: about 60 with a million keys, a few hundred
/// bytes to compare) and swaps the last key into the hole. The vectors
/// grow by a quarter at a time, so a key costs its 24-byte copy and the
/// fingerprint with little slack: a set with buckets and links per key
/// would cost twice as much.
pub struct SlotToKeys {
    by_slot: Box<[Option<Box<SlotKeys>>]>,
}

/// The keys of one slot, and their fingerprints at the same positions.
#[derive(Default)]
struct SlotKeys {
    keys: Vec<Sds>,
    fingerprints: Vec<u32>,
}

/// A cheap 32-bit hash of a key (FNV-1a); equal fingerprints are then
/// confirmed by comparing the keys.
fn key_fingerprint(key: &[u8]) -> u32 {
    key.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl Default for SlotToKeys {
    fn default() -> Self {
        SlotToKeys {
            by_slot: (0..CLUSTER_SLOTS).map(|_| None).collect(),
        }
    }
}

impl SlotToKeys {
    /// `slotToKeyAddEntry`: `key` must be new to the keyspace.
    pub fn add(&mut self, key: &[u8]) {
        let Some(slot) = self.by_slot.get_mut(key_hash_slot(key)) else {
            return;
        };
        let s = slot.get_or_insert_with(Default::default);
        if s.keys.len() == s.keys.capacity() {
            let more = (s.keys.len() / 4).max(4);
            s.keys.reserve_exact(more);
            s.fingerprints.reserve_exact(more);
        }
        s.keys.push(Sds::new(key));
        s.fingerprints.push(key_fingerprint(key));
    }

    /// `slotToKeyDelEntry`.
    pub fn del(&mut self, key: &[u8]) {
        let Some(slot) = self.by_slot.get_mut(key_hash_slot(key)) else {
            return;
        };
        let Some(s) = slot else {
            return;
        };
        let fp = key_fingerprint(key);
        let found = s
            .fingerprints
            .iter()
            .enumerate()
            .filter(|&(_, &f)| f == fp)
            .map(|(i, _)| i)
            .find(|&i| s.keys.get(i).is_some_and(|k| k.as_bytes() == key));
        let Some(pos) = found else {
            return;
        };
        s.keys.swap_remove(pos);
        s.fingerprints.swap_remove(pos);
        if s.keys.is_empty() {
            *slot = None;
        } else if s.keys.len() < s.keys.capacity() / 4 {
            s.keys.shrink_to_fit();
            s.fingerprints.shrink_to_fit();
        }
    }

    /// `slotToKeyFlush`.
    pub fn flush(&mut self) {
        self.by_slot.iter_mut().for_each(|s| *s = None);
    }

    /// Indexes `dict` afresh (after its contents were swapped in).
    pub fn rebuild(&mut self, dict: &Dict<Sds, RObj>) {
        self.flush();
        for (k, _) in dict.iter() {
            self.add(k);
        }
    }

    /// `countKeysInSlot`.
    pub fn count(&self, slot: usize) -> usize {
        match self.by_slot.get(slot) {
            Some(Some(s)) => s.keys.len(),
            _ => 0,
        }
    }

    /// The keys of `slot`, in no particular order.
    pub fn keys(&self, slot: usize) -> impl Iterator<Item = &Sds> {
        self.by_slot
            .get(slot)
            .and_then(|s| s.as_deref())
            .into_iter()
            .flat_map(|s| s.keys.iter())
    }

    /// Bytes the index takes, without the heap copies of long keys
    /// (MEMORY STATS `overhead.hashtable.slot-to-keys`).
    pub fn mem_overhead(&self) -> usize {
        let slots: usize = self
            .by_slot
            .iter()
            .flatten()
            .map(|s| {
                std::mem::size_of::<SlotKeys>()
                    + s.keys.capacity() * std::mem::size_of::<Sds>()
                    + s.fingerprints.capacity() * std::mem::size_of::<u32>()
            })
            .sum();
        self.by_slot.len() * std::mem::size_of::<Option<Box<SlotKeys>>>() + slots
    }
}

impl Server {
    fn slot_index(&self) -> Option<&SlotToKeys> {
        self.dbs.first()?.slots_to_keys.as_deref()
    }

    /// `countKeysInSlot`: 0 on a server without the index.
    pub fn count_keys_in_slot(&self, slot: usize) -> usize {
        self.slot_index().map_or(0, |s| s.count(slot))
    }

    /// Up to `count` keys of `slot` (what `CLUSTER GETKEYSINSLOT` lists).
    pub fn get_keys_in_slot(&self, slot: usize, count: usize) -> Vec<Vec<u8>> {
        self.slot_index().map_or_else(Vec::new, |s| {
            s.keys(slot).take(count).map(|k| k.to_vec()).collect()
        })
    }

    /// `delKeysInSlot`: drops every key of a slot this node no longer
    /// serves; returns how many there were.
    pub fn del_keys_in_slot(&mut self, slot: usize) -> usize {
        let keys = self.get_keys_in_slot(slot, usize::MAX);
        for k in &keys {
            self.db_delete(0, k);
            // Replicas learn of the deletion once propagation exists
            // (replication.rs); WATCH and tracking hear it here.
            self.signal_modified_key(0, k);
            self.dirty += 1;
        }
        keys.len()
    }
}

// ----------------------------------------------------------------------
// CLUSTER KEYSLOT / COUNTKEYSINSLOT / GETKEYSINSLOT
// ----------------------------------------------------------------------

/// CLUSTER KEYSLOT key
pub fn cluster_keyslot_command(_server: &mut Server, c: &mut Client) {
    let slot = c.argv.get(2).map_or(0, |k| key_hash_slot(k));
    c.add_reply_long_long(slot as i64);
}

/// CLUSTER COUNTKEYSINSLOT slot
pub fn cluster_countkeysinslot_command(server: &mut Server, c: &mut Client) {
    let arg = c.argv.get(2).cloned().unwrap_or_default();
    let Some(slot) = get_long_long_from_object_or_reply(c, &arg, None) else {
        return;
    };
    if !(0..CLUSTER_SLOTS as i64).contains(&slot) {
        c.add_reply_error("Invalid slot");
        return;
    }
    c.add_reply_long_long(server.count_keys_in_slot(slot as usize) as i64);
}

/// CLUSTER GETKEYSINSLOT slot count
pub fn cluster_getkeysinslot_command(server: &mut Server, c: &mut Client) {
    let slot_arg = c.argv.get(2).cloned().unwrap_or_default();
    let count_arg = c.argv.get(3).cloned().unwrap_or_default();
    let Some(slot) = get_long_long_from_object_or_reply(c, &slot_arg, None) else {
        return;
    };
    let Some(maxkeys) = get_long_long_from_object_or_reply(c, &count_arg, None) else {
        return;
    };
    if !(0..CLUSTER_SLOTS as i64).contains(&slot) || maxkeys < 0 {
        c.add_reply_error("Invalid slot or number of keys");
        return;
    }
    let Some(index) = server.slot_index() else {
        c.add_reply_array_len(0);
        return;
    };
    let slot = slot as usize;
    let numkeys = index.count(slot).min(maxkeys as usize);
    c.add_reply_array_len(numkeys as i64);
    for k in index.keys(slot).take(numkeys) {
        c.add_reply_bulk(k);
    }
}

// ----------------------------------------------------------------------
// ASKING, READONLY, READWRITE
// ----------------------------------------------------------------------

/// ASKING: the next command may touch a slot this node is importing.
pub fn asking_command(server: &mut Server, c: &mut Client) {
    if !server.config.cluster_enabled {
        c.add_reply_error(CLUSTER_DISABLED);
        return;
    }
    c.flags |= CLIENT_ASKING;
    c.add_reply_ok();
}

/// READONLY: a replica serves this client's reads of its master's slots
/// instead of redirecting them.
pub fn readonly_command(server: &mut Server, c: &mut Client) {
    if !server.config.cluster_enabled {
        c.add_reply_error(CLUSTER_DISABLED);
        return;
    }
    c.flags |= CLIENT_READONLY;
    c.add_reply_ok();
}

/// READWRITE: undoes READONLY.
pub fn readwrite_command(server: &mut Server, c: &mut Client) {
    if !server.config.cluster_enabled {
        c.add_reply_error(CLUSTER_DISABLED);
        return;
    }
    c.flags &= !CLIENT_READONLY;
    c.add_reply_ok();
}

/// Whether the command that just ran was ASKING, whose flag must outlive
/// the reset that follows it (`resetClient` keeps it for that one case
/// and inside MULTI, and clears it after any other command).
pub fn asking_survives_reset(server: &Server, c: &Client) -> bool {
    c.flags & CLIENT_MULTI != 0
        || c.cmd
            .and_then(|i| server.commands.list.get(i))
            .is_some_and(|e| e.fullname == "asking")
}

// ----------------------------------------------------------------------
// Which node serves a query.
// ----------------------------------------------------------------------

/// One command of a query: its index in the command table and its
/// arguments. A plain command is a query of one; EXEC's query is the
/// transaction's queued commands.
pub type QueryCommand<'a> = (usize, &'a [Vec<u8>]);

/// What [`get_node_by_query`] decided: the node to serve the query (None
/// with an error code for the errors that name no node), and the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryRoute {
    pub node: Option<NodeId>,
    pub slot: usize,
    pub error_code: i32,
}

/// Where a command's keys are, as `getKeysFromCommand` finds them: the
/// legacy (first, last, step) range when it describes every call, which
/// needs no allocation, else the key specs.
enum KeyPositions {
    Range {
        next: usize,
        last: usize,
        step: usize,
    },
    Found(std::vec::IntoIter<KeyReference>),
}

impl Iterator for KeyPositions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            KeyPositions::Range { next, last, step } => {
                if *next > *last {
                    return None;
                }
                let pos = *next;
                *next += *step;
                Some(pos)
            }
            KeyPositions::Found(it) => it.next().map(|(pos, _)| pos),
        }
    }
}

fn command_key_positions(e: &CommandEntry, argv: &[Vec<u8>]) -> KeyPositions {
    if e.flags & CMD_MOVABLE_KEYS != 0 {
        return KeyPositions::Found(get_keys_from_command_with_specs(e, argv).into_iter());
    }
    let none = KeyPositions::Range {
        next: 1,
        last: 0,
        step: 1,
    };
    let (first, last, step) = e.keys;
    if first <= 0 || step <= 0 {
        return none;
    }
    let argc = argv.len() as i64;
    let last = if last < 0 {
        argc + last as i64
    } else {
        last as i64
    };
    // Too few arguments for the range (possible with a negative arity):
    // no keys, and the command itself reports the error.
    if last >= argc {
        return none;
    }
    if last < first as i64 {
        return none;
    }
    KeyPositions::Range {
        next: first as usize,
        last: last as usize,
        step: step as usize,
    }
}

/// `lookupKeyReadWithFlags(LOOKUP_NOTOUCH|LOOKUP_NOSTATS|LOOKUP_NONOTIFY|
/// LOOKUP_NOEXPIRE) != NULL`: a key whose time is up counts as missing
/// but is left in place, and nothing about it changes.
fn key_is_present(server: &Server, key: &[u8], now: i64) -> bool {
    let Some(db) = server.dbs.first() else {
        return false;
    };
    if !db.dict.contains_key(key) {
        return false;
    }
    if server.loading {
        return true;
    }
    let when = db.get_expire(key);
    when < 0 || now <= when
}

fn is_pubsubshard_command(e: &CommandEntry) -> bool {
    matches!(
        e.fullname.as_str(),
        "ssubscribe" | "sunsubscribe" | "spublish"
    )
}

/// `getNodeByQuery`: the node that can serve the query `ms` for command
/// `cmd` (EXEC for a transaction, with `multi_write` telling whether a
/// queued command writes), given the client's flags.
///
/// The query is served here when all its keys are in one slot this node
/// serves. The decisions, in order:
/// 1. keys in different slots: CROSSSLOT; a slot nobody serves: CLUSTERDOWN;
/// 2. the cluster is down: CLUSTERDOWN, unless reads (or shard pub/sub) are
///    allowed while down and this is one;
/// 3. MIGRATE of an open slot runs here;
/// 4. a slot being migrated away: served if every key is still here, ASK
///    to the target if none is, TRYAGAIN if some are;
/// 5. a slot being imported: served to ASKING clients (and for commands
///    flagged `asking`), TRYAGAIN for several keys with some missing;
/// 6. a replica serves reads of its master's slots to READONLY clients, and
///    shard pub/sub always;
/// 7. otherwise the slot's owner, MOVED when that is another node.
pub fn get_node_by_query(
    server: &Server,
    client_flags: u64,
    cmd: usize,
    ms: &[QueryCommand],
    multi_write: bool,
) -> QueryRoute {
    let Some(cluster) = server.cluster.as_deref() else {
        return QueryRoute {
            node: None,
            slot: 0,
            error_code: CLUSTER_REDIR_NONE,
        };
    };
    let myself = cluster.myself;
    let served_here = QueryRoute {
        node: Some(myself),
        slot: 0,
        error_code: CLUSTER_REDIR_NONE,
    };
    let fail = |error_code| QueryRoute {
        node: None,
        slot: 0,
        error_code,
    };
    let Some(entry) = server.commands.list.get(cmd) else {
        return served_here;
    };
    let is_pubsubshard = is_pubsubshard_command(entry);
    let now = crate::util::mstime();

    // 1) One slot for every key (or shard channel) of the query.
    let mut firstkey: Option<&[u8]> = None;
    let mut slot = 0;
    let mut owner: Option<NodeId> = None;
    let (mut migrating_slot, mut importing_slot, mut multiple_keys) = (false, false, false);
    let (mut missing_keys, mut existing_keys) = (0, 0);
    for &(mcmd, margv) in ms {
        let Some(mentry) = server.commands.list.get(mcmd) else {
            continue;
        };
        for pos in command_key_positions(mentry, margv) {
            let Some(thiskey) = margv.get(pos) else {
                continue;
            };
            let thisslot = key_hash_slot(thiskey);
            match firstkey {
                None => {
                    firstkey = Some(thiskey);
                    slot = thisslot;
                    owner = cluster.slots.get(slot).copied().flatten();
                    // The state may not say "down" yet, but nobody serves
                    // this slot.
                    if owner.is_none() {
                        return fail(CLUSTER_REDIR_DOWN_UNBOUND);
                    }
                    if owner == Some(myself) && cluster.migrating_slots_to[slot].is_some() {
                        migrating_slot = true;
                    } else if cluster.importing_slots_from[slot].is_some() {
                        importing_slot = true;
                    }
                }
                Some(first) if first != thiskey.as_slice() => {
                    if thisslot != slot {
                        return fail(CLUSTER_REDIR_CROSS_SLOT);
                    }
                    multiple_keys = true;
                }
                Some(_) => {}
            }
            // A shard channel keeps being served by the old owner until the
            // slot is handed over, whatever the migration state.
            if (migrating_slot || importing_slot) && !is_pubsubshard {
                if key_is_present(server, thiskey, now) {
                    existing_keys += 1;
                } else {
                    missing_keys += 1;
                }
            }
        }
    }
    // No keys: any node serves the command.
    let Some(owner) = owner else {
        return served_here;
    };

    // 2) The cluster is down. (For EVAL and FCALL, C takes the write
    // flag from the script's own flags, `getCommandFlags`: scripting
    // brings that; the command's flags stand in until then.)
    let cmd_flags = entry.flags;
    if cluster.state != CLUSTER_OK {
        if is_pubsubshard {
            if !server.config.cluster_allow_pubsubshard_when_down {
                return fail(CLUSTER_REDIR_DOWN_STATE);
            }
        } else if !server.config.cluster_allow_reads_when_down {
            return fail(CLUSTER_REDIR_DOWN_STATE);
        } else if cmd_flags & CMD_WRITE != 0 {
            return fail(CLUSTER_REDIR_DOWN_RO_STATE);
        }
    }
    let route = |node, error_code| QueryRoute {
        node: Some(node),
        slot,
        error_code,
    };

    // 3) MIGRATE moves keys of an open slot from here.
    if (migrating_slot || importing_slot) && entry.fullname == "migrate" {
        return route(myself, CLUSTER_REDIR_NONE);
    }

    // 4) Migrating away.
    if migrating_slot && missing_keys > 0 {
        if existing_keys > 0 {
            return fail(CLUSTER_REDIR_UNSTABLE);
        }
        if let Some(target) = cluster.migrating_slots_to[slot] {
            return route(target, CLUSTER_REDIR_ASK);
        }
    }

    // 5) Importing, for a client sent here by ASK.
    if importing_slot && (client_flags & CLIENT_ASKING != 0 || cmd_flags & CMD_ASKING != 0) {
        if multiple_keys && missing_keys > 0 {
            return fail(CLUSTER_REDIR_UNSTABLE);
        }
        return route(myself, CLUSTER_REDIR_NONE);
    }

    // 6) Reads served by a replica of the owner.
    let is_write_command = cmd_flags & CMD_WRITE != 0 || multi_write;
    if (client_flags & CLIENT_READONLY != 0 || is_pubsubshard) && !is_write_command {
        if let Some(me) = cluster.nodes.get(myself) {
            if me.is_slave() && me.slaveof == Some(owner) {
                return route(myself, CLUSTER_REDIR_NONE);
            }
        }
    }

    // 7) The owner.
    if owner != myself {
        return route(owner, CLUSTER_REDIR_MOVED);
    }
    route(myself, CLUSTER_REDIR_NONE)
}

/// The error `clusterRedirectClient` replies for a route of
/// [`get_node_by_query`] that is not this node.
pub fn cluster_redirect_message(server: &Server, route: QueryRoute) -> String {
    let kind = match route.error_code {
        CLUSTER_REDIR_CROSS_SLOT => {
            return "-CROSSSLOT Keys in request don't hash to the same slot".to_string()
        }
        CLUSTER_REDIR_UNSTABLE => {
            return "-TRYAGAIN Multiple keys request during rehashing of slot".to_string()
        }
        CLUSTER_REDIR_DOWN_STATE => return "-CLUSTERDOWN The cluster is down".to_string(),
        CLUSTER_REDIR_DOWN_RO_STATE => {
            return "-CLUSTERDOWN The cluster is down and only accepts read commands".to_string()
        }
        CLUSTER_REDIR_DOWN_UNBOUND => return "-CLUSTERDOWN Hash slot not served".to_string(),
        CLUSTER_REDIR_ASK => "ASK",
        _ => "MOVED",
    };
    let node = server
        .cluster
        .as_deref()
        .zip(route.node)
        .and_then(|(cl, n)| cl.nodes.get(n));
    let (endpoint, port) = match node {
        Some(n) => {
            // Without TLS on client connections every client is a
            // plaintext one: with `tls-cluster` the announced port is the
            // TLS one, so such clients get the plaintext port when known.
            let port = if server.config.tls_cluster && n.pport != 0 {
                n.pport
            } else {
                n.port
            };
            (get_preferred_endpoint(server, n), port)
        }
        None => (String::new(), 0),
    };
    format!("-{kind} {} {endpoint}:{port}", route.slot)
}

/// `clusterRedirectClient`.
pub fn cluster_redirect_client(server: &Server, c: &mut Client, route: QueryRoute) {
    let msg = cluster_redirect_message(server, route);
    c.add_reply_error(&msg);
}

/// The route of the client's current command `cmd` (a transaction's
/// queued commands for EXEC), or None when it runs here without asking:
/// commands from our master or the AOF, commands without keys, EXEC
/// outside MULTI.
pub fn route_command(server: &Server, c: &Client, cmd: usize) -> Option<QueryRoute> {
    if must_obey_client(c) {
        return None;
    }
    let entry = server.commands.list.get(cmd)?;
    let is_exec = entry.fullname == "exec";
    if entry.flags & CMD_MOVABLE_KEYS == 0 && entry.key_specs.is_empty() && !is_exec {
        return None;
    }
    let route = if is_exec {
        if c.flags & CLIENT_MULTI == 0 {
            return None;
        }
        let queued: Vec<QueryCommand> = c
            .mstate
            .commands
            .iter()
            .map(|m| (m.cmd, &m.argv[..]))
            .collect();
        let multi_write = c.mstate.cmd_flags & CMD_WRITE != 0;
        get_node_by_query(server, c.flags, cmd, &queued, multi_write)
    } else {
        get_node_by_query(server, c.flags, cmd, &[(cmd, &c.argv[..])], false)
    };
    let myself = server.cluster.as_deref().map(|cl| cl.myself);
    if route.node.is_some() && route.node == myself {
        return None;
    }
    Some(route)
}

/// The cluster step of `processCommand`: when the command must go
/// elsewhere, replies the redirection, counts a rejected call and returns
/// true. A command refused while queueing dooms its transaction; a
/// refused EXEC discards it (and answers the redirection itself, not
/// EXECABORT).
pub fn cluster_redirect_if_needed(server: &mut Server, c: &mut Client, cmd: usize) -> bool {
    let Some(route) = route_command(server, c, cmd) else {
        return false;
    };
    if c.flags & CLIENT_MULTI != 0 && crate::multi::is_exec(server, c) {
        crate::multi::discard_transaction(server, c);
    } else {
        crate::multi::flag_transaction(c);
    }
    cluster_redirect_client(server, c, route);
    if let Some(e) = server.commands.list.get_mut(cmd) {
        e.stats.rejected_calls += 1;
    }
    crate::server::update_error_stats(server, c);
    true
}

/// `clusterRedirectBlockedClientIfNeeded`: a client blocked on keys
/// (BLPOP and friends) must not wait forever for a slot this node no
/// longer serves, nor while the cluster is down. Replies the redirection
/// and returns true when the client must be unblocked (the caller does
/// it, as `clients_cron` does in C).
pub fn cluster_redirect_blocked_client_if_needed(server: &mut Server, c: &mut Client) -> bool {
    use crate::blocked::{BLOCKED_LIST, BLOCKED_MODULE, BLOCKED_STREAM, BLOCKED_ZSET};
    if c.flags & CLIENT_BLOCKED == 0
        || !matches!(
            c.btype,
            BLOCKED_LIST | BLOCKED_ZSET | BLOCKED_STREAM | BLOCKED_MODULE
        )
    {
        return false;
    }
    let Some(cluster) = server.cluster.as_deref() else {
        return false;
    };
    let down = |error_code| QueryRoute {
        node: None,
        slot: 0,
        error_code,
    };
    // Even when reads are allowed while down: only a write could wake
    // the client, and none will come.
    let route = if cluster.state == CLUSTER_FAIL {
        Some(down(CLUSTER_REDIR_DOWN_STATE))
    } else if let Some(key) = c.bpop.keys.first() {
        // All the keys are in one slot: the first tells.
        let slot = key_hash_slot(key);
        let myself = cluster.myself;
        let mut owner = cluster.slots.get(slot).copied().flatten();
        let me = cluster.nodes.get(myself);
        let lastcmd_writes = c
            .lastcmd
            .and_then(|i| server.commands.list.get(i))
            .is_some_and(|e| e.flags & CMD_WRITE != 0);
        if c.flags & CLIENT_READONLY != 0
            && !lastcmd_writes
            && me.is_some_and(|m| m.is_slave() && m.slaveof.is_some() && m.slaveof == owner)
        {
            owner = Some(myself);
        }
        let importing = cluster.importing_slots_from.get(slot).copied().flatten();
        match owner {
            _ if owner == Some(myself) || importing.is_some() => None,
            None => Some(down(CLUSTER_REDIR_DOWN_UNBOUND)),
            Some(n) => Some(QueryRoute {
                node: Some(n),
                slot,
                error_code: CLUSTER_REDIR_MOVED,
            }),
        }
    } else {
        None
    };
    let Some(route) = route else {
        return false;
    };
    cluster_redirect_client(server, c, route);
    crate::server::update_error_stats(server, c);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::msg::CLUSTER_NAMELEN;
    use crate::cluster::{
        ClusterNode, ClusterState, CLUSTER_FAIL, CLUSTER_NODE_MASTER, CLUSTER_NODE_MYSELF,
        CLUSTER_NODE_SLAVE,
    };
    use crate::config::{ClusterPreferredEndpointType, Config};
    use crate::networking::CLIENT_MASTER;
    use crate::object::RObj;

    fn node(name: u8, flags: u16, port: u16) -> ClusterNode {
        let mut n = ClusterNode::new(Some(&[name; CLUSTER_NAMELEN]), flags);
        n.ip = "127.0.0.1".to_string();
        n.port = port;
        n.cport = port + 10000;
        n
    }

    /// A cluster-mode server (its cluster state built here, not by
    /// `cluster_init`, so no bus and no nodes.conf) where myself (port
    /// 7000) serves slots 0-8191 and b (port 7001) the rest.
    fn server() -> (Server, NodeId, NodeId) {
        // Listening on a private unix socket keeps parallel tests apart.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let sock = std::env::temp_dir().join(format!("redirect-{}-{n}.sock", std::process::id()));
        let config = Config {
            port: 0,
            unixsocket: Some(sock.to_string_lossy().into_owned()),
            ..Default::default()
        };
        let mut s = crate::server::init_server(config, crate::commands::populate_command_table())
            .expect("server");
        let _ = std::fs::remove_file(&sock);
        s.config.cluster_enabled = true;
        s.dbs[0].slots_to_keys = Some(Box::default());
        let mut cl = ClusterState::new(String::new());
        let me = cl.add_node(node(b'a', CLUSTER_NODE_MYSELF | CLUSTER_NODE_MASTER, 7000));
        let b = cl.add_node(node(b'b', CLUSTER_NODE_MASTER, 7001));
        cl.myself = me;
        cl.state = CLUSTER_OK;
        for slot in 0..CLUSTER_SLOTS {
            cl.slots[slot] = Some(if slot < 8192 { me } else { b });
        }
        s.cluster = Some(Box::new(cl));
        (s, me, b)
    }

    fn args(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|a| a.as_bytes().to_vec()).collect()
    }

    fn redirect(s: &Server, flags: u64, line: &str) -> Option<String> {
        let argv = args(line);
        let cmd = s.commands.lookup_command(&argv).expect("command");
        let mut c = Client::new(1, None, 0);
        c.flags = flags;
        c.argv.set(argv);
        route_command(s, &c, cmd).map(|r| cluster_redirect_message(s, r))
    }

    fn cl(s: &mut Server) -> &mut ClusterState {
        s.cluster.as_deref_mut().expect("cluster")
    }

    // Slots: foo 12182 (b), bar 5061 (me), {bar}x 5061, a 15495 (b).
    #[test]
    fn keys_of_other_nodes_are_moved() {
        let (s, _, _) = server();
        assert_eq!(redirect(&s, 0, "get bar"), None);
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        assert_eq!(redirect(&s, 0, "mset bar 1 {bar}x 2"), None);
        assert_eq!(
            redirect(&s, 0, "mset bar 1 foo 2").as_deref(),
            Some("-CROSSSLOT Keys in request don't hash to the same slot")
        );
        // The same key twice is one key.
        assert_eq!(
            redirect(&s, 0, "mset foo 1 foo 2").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        // Keyless commands, and our master, are always served.
        assert_eq!(redirect(&s, 0, "ping"), None);
        assert_eq!(redirect(&s, CLIENT_MASTER, "get foo"), None);
        // Movable keys come from the key specs.
        assert_eq!(
            redirect(&s, 0, "set foo 1 get").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
    }

    #[test]
    fn endpoint_and_port_follow_the_config() {
        let (mut s, _, b) = server();
        cl(&mut s).nodes[b].hostname = "them.com".to_string();
        s.config.cluster_preferred_endpoint_type = ClusterPreferredEndpointType::Hostname;
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 them.com:7001")
        );
        cl(&mut s).nodes[b].hostname.clear();
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 ?:7001")
        );
        s.config.cluster_preferred_endpoint_type = ClusterPreferredEndpointType::UnknownEndpoint;
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 :7001")
        );
        s.config.cluster_preferred_endpoint_type = ClusterPreferredEndpointType::Ip;
        cl(&mut s).nodes[b].pport = 6001;
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        s.config.tls_cluster = true;
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 127.0.0.1:6001")
        );
    }

    #[test]
    fn migrating_and_importing_slots() {
        let (mut s, _, b) = server();
        s.set_key(0, b"bar", RObj::create_string_object(b"v"), false);
        cl(&mut s).migrating_slots_to[5061] = Some(b);
        assert_eq!(redirect(&s, 0, "get bar"), None);
        assert_eq!(
            redirect(&s, 0, "get {bar}y").as_deref(),
            Some("-ASK 5061 127.0.0.1:7001")
        );
        assert_eq!(
            redirect(&s, 0, "mset {bar}y 1 bar 2").as_deref(),
            Some("-TRYAGAIN Multiple keys request during rehashing of slot")
        );
        // A key whose time is up counts as missing, and stays.
        s.set_expire(0, b"bar", 1);
        assert_eq!(
            redirect(&s, 0, "get bar").as_deref(),
            Some("-ASK 5061 127.0.0.1:7001")
        );
        assert!(s.dbs[0].dict.contains_key(&b"bar"[..]));

        // Importing foo's slot from b: only for ASKING clients.
        cl(&mut s).importing_slots_from[12182] = Some(b);
        assert_eq!(
            redirect(&s, 0, "set foo 1").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        assert_eq!(redirect(&s, CLIENT_ASKING, "set foo 1"), None);
        assert_eq!(
            redirect(&s, CLIENT_ASKING, "mset foo 1 {foo}x 2").as_deref(),
            Some("-TRYAGAIN Multiple keys request during rehashing of slot")
        );
        s.set_key(0, b"foo", RObj::create_string_object(b"v"), false);
        s.set_key(0, b"{foo}x", RObj::create_string_object(b"v"), false);
        assert_eq!(redirect(&s, CLIENT_ASKING, "mset foo 1 {foo}x 2"), None);
    }

    #[test]
    fn cluster_down_and_unbound_slots() {
        let (mut s, _, _) = server();
        cl(&mut s).slots[5061] = None;
        assert_eq!(
            redirect(&s, 0, "get bar").as_deref(),
            Some("-CLUSTERDOWN Hash slot not served")
        );
        cl(&mut s).state = CLUSTER_FAIL;
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-CLUSTERDOWN The cluster is down")
        );
        assert_eq!(redirect(&s, 0, "ping"), None);
        s.config.cluster_allow_reads_when_down = true;
        assert_eq!(
            redirect(&s, 0, "set foo 1").as_deref(),
            Some("-CLUSTERDOWN The cluster is down and only accepts read commands")
        );
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        assert_eq!(
            redirect(&s, 0, "get {bar}z").as_deref(),
            Some("-CLUSTERDOWN Hash slot not served")
        );
    }

    #[test]
    fn replicas_serve_readonly_clients() {
        let (mut s, me, b) = server();
        let c = cl(&mut s);
        c.nodes[me].flags = CLUSTER_NODE_MYSELF | CLUSTER_NODE_SLAVE;
        c.nodes[me].slaveof = Some(b);
        assert_eq!(
            redirect(&s, 0, "get foo").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
        assert_eq!(redirect(&s, CLIENT_READONLY, "get foo"), None);
        assert_eq!(
            redirect(&s, CLIENT_READONLY, "set foo 1").as_deref(),
            Some("-MOVED 12182 127.0.0.1:7001")
        );
    }

    #[test]
    fn the_slot_index_follows_the_keyspace() {
        let (mut s, _, _) = server();
        for k in ["bar", "{bar}x", "{bar}y", "foo"] {
            s.set_key(0, k.as_bytes(), RObj::create_string_object(b"v"), false);
        }
        assert_eq!(s.count_keys_in_slot(5061), 3);
        assert_eq!(s.count_keys_in_slot(12182), 1);
        s.db_delete(0, b"{bar}y");
        assert_eq!(s.count_keys_in_slot(5061), 2);
        let mut keys = s.get_keys_in_slot(5061, 10);
        keys.sort();
        assert_eq!(keys, vec![b"bar".to_vec(), b"{bar}x".to_vec()]);
        assert_eq!(s.get_keys_in_slot(5061, 1).len(), 1);
        // Overwriting keeps one entry.
        s.set_key(0, b"bar", RObj::create_string_object(b"w"), false);
        assert_eq!(s.count_keys_in_slot(5061), 2);
        assert_eq!(s.del_keys_in_slot(5061), 2);
        assert_eq!(s.count_keys_in_slot(5061), 0);
        assert!(!s.dbs[0].dict.contains_key(&b"bar"[..]));
        s.empty_data(-1);
        assert_eq!(s.count_keys_in_slot(12182), 0);
    }
}
