//! The command table: a port of `commands.c` and the lookup part of
//! `server.c`.
//!
//! [`COMMAND_TABLE`] lists every command the server runs: name, handler,
//! arity (negative = at least), flags, the Redis 7 key specs (where the
//! keys are and how the command uses them), the tips for cluster clients
//! and, for container commands such as CONFIG, their subcommands. At
//! start-up [`populate_command_table`] flattens it into [`Commands`], where
//! each command and subcommand gets an index, its full name (`config|get`),
//! the legacy key range (first, last, step) derived from its key specs and
//! its statistics. A client carries the index of its command.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::networking::Client;
use crate::server::{CommandStats, Server};

/// A command handler: `void xxxCommand(client *c)`.
pub type CommandProc = fn(&mut Server, &mut Client);

pub const CMD_WRITE: u64 = 1 << 0;
pub const CMD_READONLY: u64 = 1 << 1;
pub const CMD_DENYOOM: u64 = 1 << 2;
pub const CMD_MODULE: u64 = 1 << 3;
pub const CMD_ADMIN: u64 = 1 << 4;
pub const CMD_PUBSUB: u64 = 1 << 5;
pub const CMD_NOSCRIPT: u64 = 1 << 6;
pub const CMD_BLOCKING: u64 = 1 << 8;
pub const CMD_LOADING: u64 = 1 << 9;
pub const CMD_STALE: u64 = 1 << 10;
pub const CMD_SKIP_MONITOR: u64 = 1 << 11;
pub const CMD_SKIP_SLOWLOG: u64 = 1 << 12;
pub const CMD_ASKING: u64 = 1 << 13;
pub const CMD_FAST: u64 = 1 << 14;
pub const CMD_NO_AUTH: u64 = 1 << 15;
pub const CMD_MAY_REPLICATE: u64 = 1 << 16;
pub const CMD_SENTINEL: u64 = 1 << 17;
pub const CMD_ONLY_SENTINEL: u64 = 1 << 18;
pub const CMD_NO_MANDATORY_KEYS: u64 = 1 << 19;
pub const CMD_PROTECTED: u64 = 1 << 20;
pub const CMD_NO_ASYNC_LOADING: u64 = 1 << 23;
pub const CMD_NO_MULTI: u64 = 1 << 24;
pub const CMD_MOVABLE_KEYS: u64 = 1 << 25;
pub const CMD_ALLOW_BUSY: u64 = 1 << 26;
/// May lazily expire keys it was not given (SCAN, RANDOMKEY); not shown by
/// COMMAND INFO, as in C.
pub const CMD_TOUCHES_ARBITRARY_KEYS: u64 = 1 << 28;

/// Flag names as COMMAND INFO prints them, in the order of
/// `addReplyFlagsForCommand` (which hides may_replicate, sentinel and
/// protected on purpose).
pub const CMD_FLAG_NAMES: &[(u64, &str)] = &[
    (CMD_WRITE, "write"),
    (CMD_READONLY, "readonly"),
    (CMD_DENYOOM, "denyoom"),
    (CMD_MODULE, "module"),
    (CMD_ADMIN, "admin"),
    (CMD_PUBSUB, "pubsub"),
    (CMD_NOSCRIPT, "noscript"),
    (CMD_BLOCKING, "blocking"),
    (CMD_LOADING, "loading"),
    (CMD_STALE, "stale"),
    (CMD_SKIP_MONITOR, "skip_monitor"),
    (CMD_SKIP_SLOWLOG, "skip_slowlog"),
    (CMD_ASKING, "asking"),
    (CMD_FAST, "fast"),
    (CMD_NO_AUTH, "no_auth"),
    (CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"),
    (CMD_NO_ASYNC_LOADING, "no_async_loading"),
    (CMD_NO_MULTI, "no_multi"),
    (CMD_MOVABLE_KEYS, "movablekeys"),
    (CMD_ALLOW_BUSY, "allow_busy"),
];

// Key spec flags: how a command uses one of its keys.
/// Reads the value without changing it.
pub const CMD_KEY_RO: u64 = 1 << 0;
/// Reads and changes the value.
pub const CMD_KEY_RW: u64 = 1 << 1;
/// Replaces the value without reading it.
pub const CMD_KEY_OW: u64 = 1 << 2;
/// Removes the key.
pub const CMD_KEY_RM: u64 = 1 << 3;
/// Hands user data of the value back to the client (or elsewhere).
pub const CMD_KEY_ACCESS: u64 = 1 << 4;
pub const CMD_KEY_UPDATE: u64 = 1 << 5;
pub const CMD_KEY_INSERT: u64 = 1 << 6;
pub const CMD_KEY_DELETE: u64 = 1 << 7;
/// Not a key, but routed like one (cluster slots).
pub const CMD_KEY_NOT_KEY: u64 = 1 << 8;
/// The spec may miss some keys: the getkeys function knows better.
pub const CMD_KEY_INCOMPLETE: u64 = 1 << 9;
/// The flags depend on the arguments: the getkeys function tells them.
pub const CMD_KEY_VARIABLE_FLAGS: u64 = 1 << 10;

/// Key spec flag names in the order of `addReplyFlagsForKeyArgs`.
pub const CMD_KEY_FLAG_NAMES: &[(u64, &str)] = &[
    (CMD_KEY_RO, "RO"),
    (CMD_KEY_RW, "RW"),
    (CMD_KEY_OW, "OW"),
    (CMD_KEY_RM, "RM"),
    (CMD_KEY_ACCESS, "access"),
    (CMD_KEY_UPDATE, "update"),
    (CMD_KEY_INSERT, "insert"),
    (CMD_KEY_DELETE, "delete"),
    (CMD_KEY_NOT_KEY, "not_key"),
    (CMD_KEY_INCOMPLETE, "incomplete"),
    (CMD_KEY_VARIABLE_FLAGS, "variable_flags"),
];

/// Where the search for a spec's keys starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// Right after a keyword, looked for from `startfrom` (negative: from
    /// the end, searching backwards).
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
}

/// How the keys are found once the search has begun.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// `lastkey` relative to the first key (negative: from the end of the
    /// arguments), every `keystep`th argument; with `limit` > 1 and
    /// `lastkey` -1, only the first 1/limit of the remaining arguments.
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    /// The count of keys is an argument (`keynumidx`, relative to the
    /// start) and the keys begin at `firstkey` (relative too).
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
}

/// A 7.0 key specification (`keySpec`), without its notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    pub flags: u64,
    pub begin_search: BeginSearch,
    pub find_keys: FindKeys,
}

/// The common spec: keys from argument `index` to `lastkey` (relative,
/// negative from the end) every `keystep`.
const fn ks(flags: u64, index: i32, lastkey: i32, keystep: i32) -> KeySpec {
    KeySpec {
        flags,
        begin_search: BeginSearch::Index(index),
        find_keys: FindKeys::Range {
            lastkey,
            keystep,
            limit: 0,
        },
    }
}

/// The spec of commands whose argument `index` counts the keys that follow
/// it (LMPOP, ZUNION...).
const fn keynum(flags: u64, index: i32) -> KeySpec {
    KeySpec {
        flags,
        begin_search: BeginSearch::Index(index),
        find_keys: FindKeys::Keynum {
            keynumidx: 0,
            firstkey: 1,
            keystep: 1,
        },
    }
}

/// A command-specific key finder (`getkeys_proc`) for commands whose specs
/// cannot tell everything (variable flags): key positions in `argv` with
/// their flags.
pub type GetKeysProc = fn(&[Vec<u8>]) -> Vec<(usize, u64)>;

/// One entry of the static table (`struct redisCommand` as declared).
pub struct RedisCommand {
    pub name: &'static str,
    pub proc_: CommandProc,
    pub arity: i32,
    pub flags: u64,
    /// The key specs; the legacy (first, last, step) range is derived from
    /// them at start-up.
    pub key_specs: &'static [KeySpec],
    /// Hints for cluster clients (`request_policy:...`, ...).
    pub tips: &'static [&'static str],
    pub getkeys_proc: Option<GetKeysProc>,
    pub group: &'static str,
    pub subcommands: &'static [RedisCommand],
}

/// Declares a command with its key specs.
const fn cmd(
    name: &'static str,
    proc_: CommandProc,
    arity: i32,
    flags: u64,
    key_specs: &'static [KeySpec],
    group: &'static str,
) -> RedisCommand {
    RedisCommand {
        name,
        proc_,
        arity,
        flags,
        key_specs,
        tips: &[],
        getkeys_proc: None,
        group,
        subcommands: &[],
    }
}

impl RedisCommand {
    /// Adds the command tips.
    const fn tips(self, tips: &'static [&'static str]) -> Self {
        RedisCommand { tips, ..self }
    }

    /// Adds the command's own key finder.
    const fn getkeys(self, getkeys_proc: GetKeysProc) -> Self {
        RedisCommand {
            getkeys_proc: Some(getkeys_proc),
            ..self
        }
    }
}

/// Declares a container command (CONFIG, CLIENT...): run through a
/// subcommand; the container itself only answers with an arity error.
const fn container(
    name: &'static str,
    arity: i32,
    flags: u64,
    group: &'static str,
    subcommands: &'static [RedisCommand],
) -> RedisCommand {
    RedisCommand {
        name,
        proc_: container_command,
        arity,
        flags,
        key_specs: &[],
        tips: &[],
        getkeys_proc: None,
        group,
        subcommands,
    }
}

/// A container run without a subcommand never gets here (arity -2 stops
/// it), but the table needs a handler.
fn container_command(_server: &mut Server, c: &mut Client) {
    c.add_reply_subcommand_syntax_error();
}

const NOKEYS: &[KeySpec] = &[];
// The key specs many commands share, named after their flags; all take the
// key at argument 1 (2 for the _2 ones) unless said otherwise.
const RO: &[KeySpec] = &[ks(CMD_KEY_RO, 1, 0, 1)];
const RO_2: &[KeySpec] = &[ks(CMD_KEY_RO, 2, 0, 1)];
const RO_ALL: &[KeySpec] = &[ks(CMD_KEY_RO, 1, -1, 1)];
const RO_ACCESS: &[KeySpec] = &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, 0, 1)];
const RW_UPDATE: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_UPDATE, 1, 0, 1)];
const RW_ACCESS_UPDATE: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE, 1, 0, 1)];
const OW_UPDATE: &[KeySpec] = &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, 0, 1)];
const RM_DELETE_ALL: &[KeySpec] = &[ks(CMD_KEY_RM | CMD_KEY_DELETE, 1, -1, 1)];
const LIST_INSERT: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 1, 0, 1)];
const LIST_DELETE: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)];
const LIST_POP: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1)];
const LIST_BPOP: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, -2, 1)];
const LIST_MOVE: &[KeySpec] = &[
    ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1),
    ks(CMD_KEY_RW | CMD_KEY_INSERT, 2, 0, 1),
];

// Command tips.
const NONDET: &[&str] = &["nondeterministic_output"];
const NONDET_ORDER: &[&str] = &["nondeterministic_output_order"];
const MULTI_SHARD_SUM: &[&str] = &["request_policy:multi_shard", "response_policy:agg_sum"];
const ALL_SHARDS_SUCCEEDED: &[&str] =
    &["request_policy:all_shards", "response_policy:all_succeeded"];
const ALL_NODES_SUCCEEDED: &[&str] = &["request_policy:all_nodes", "response_policy:all_succeeded"];
const NONDET_ALL_NODES_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_nodes",
    "response_policy:special",
];
const NONDET_ALL_SHARDS_SPECIAL: &[&str] = &[
    "nondeterministic_output",
    "request_policy:all_shards",
    "response_policy:special",
];
/// The LATENCY subcommands that read or reset the monitor.
const LATENCY_FLAGS: u64 = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;

use crate::networking::client_cmd as cc;
use crate::server::{command as srvcmd, info};
use crate::t_zset as tz;
use crate::{
    acl, bitops, db, debug, expire, object, server as srv, t_hash, t_list, t_set, t_stream,
    t_string,
};

/// The key spec of the XINFO subcommands: read, key at argument 2.
const RO_ACCESS_2: &[KeySpec] = &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 2, 0, 1)];

use crate::{eval as ev, functions as fun};

/// The flags EVAL, EVALSHA, FCALL and their `_RO` twins share.
const SCRIPT_CMD_FLAGS: u64 = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_NO_MANDATORY_KEYS | CMD_STALE;
/// Scripts' keys: a count then the keys; we can't tell how the script uses
/// them, so the worst is assumed.
const fn script_keys(flags: u64) -> KeySpec {
    KeySpec {
        flags,
        begin_search: BeginSearch::Index(2),
        find_keys: FindKeys::Keynum {
            keynumidx: 0,
            firstkey: 1,
            keystep: 1,
        },
    }
}
const SCRIPT_RW_KEYS: &[KeySpec] = &[script_keys(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE)];
const SCRIPT_RO_KEYS: &[KeySpec] = &[script_keys(CMD_KEY_RO | CMD_KEY_ACCESS)];
const ALL_SHARDS_ONE_SUCCEEDED: &[&str] =
    &["request_policy:all_shards", "response_policy:one_succeeded"];

/// The flags most CLIENT subcommands share.
const CLIENT_FLAGS: u64 = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SENTINEL;

/// Every command, grouped as in the Redis documentation.
#[rustfmt::skip]
pub static COMMAND_TABLE: &[RedisCommand] = &[
    // ---- connection (server.c, networking.c) ----
    cmd("ping", srv::ping_command, -1, CMD_FAST | CMD_SENTINEL, NOKEYS, "connection").tips(ALL_SHARDS_SUCCEEDED),
    cmd("echo", srv::echo_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, NOKEYS, "connection"),
    cmd("select", db::select_command, 2, CMD_LOADING | CMD_STALE | CMD_FAST, NOKEYS, "connection"),
    cmd("auth", acl::auth_command, -2, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY, NOKEYS, "connection"),
    cmd("hello", cc::hello_command, -1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_SENTINEL | CMD_ALLOW_BUSY, NOKEYS, "connection"),
    cmd("quit", cc::quit_command, -1, CMD_ALLOW_BUSY | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH, NOKEYS, "connection"),
    cmd("reset", cc::reset_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY, NOKEYS, "connection"),
    container("client", -2, CMD_SENTINEL, "connection", &[
        cmd("caching", cc::client_command, 3, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("getname", cc::client_command, 2, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("getredir", cc::client_command, 2, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("help", cc::client_command, 2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "connection"),
        cmd("id", cc::client_command, 2, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("info", cc::client_command, 2, CLIENT_FLAGS, NOKEYS, "connection").tips(NONDET),
        cmd("kill", cc::client_command, -3, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("list", cc::client_command, -2, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection").tips(NONDET),
        cmd("no-evict", cc::client_command, 3, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("pause", cc::client_command, -3, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("reply", cc::client_command, 3, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("setname", cc::client_command, 3, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("tracking", cc::client_command, -3, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("trackinginfo", cc::client_command, 2, CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("unblock", cc::client_command, -3, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection"),
        cmd("unpause", cc::client_command, 2, CMD_ADMIN | CLIENT_FLAGS, NOKEYS, "connection"),
    ]),
    // ---- end of connection ----

    // ---- generic keyspace (db.c, expire.c, object.c) ----
    cmd("del", db::del_command, -2, CMD_WRITE, RM_DELETE_ALL, "generic").tips(MULTI_SHARD_SUM),
    cmd("unlink", db::unlink_command, -2, CMD_WRITE | CMD_FAST, RM_DELETE_ALL, "generic").tips(MULTI_SHARD_SUM),
    cmd("exists", db::exists_command, -2, CMD_READONLY | CMD_FAST, RO_ALL, "generic").tips(MULTI_SHARD_SUM),
    cmd("type", db::type_command, 2, CMD_READONLY | CMD_FAST, RO, "generic"),
    cmd("keys", db::keys_command, 2, CMD_READONLY, NOKEYS, "generic").tips(&["request_policy:all_shards", "nondeterministic_output_order"]),
    cmd("scan", db::scan_command, -2, CMD_READONLY | CMD_TOUCHES_ARBITRARY_KEYS, NOKEYS, "generic").tips(&["nondeterministic_output", "request_policy:special"]),
    cmd("randomkey", db::randomkey_command, 1, CMD_READONLY | CMD_TOUCHES_ARBITRARY_KEYS, NOKEYS, "generic").tips(&["request_policy:all_shards", "nondeterministic_output"]),
    cmd("rename", db::rename_command, 3, CMD_WRITE, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1), ks(CMD_KEY_OW | CMD_KEY_UPDATE, 2, 0, 1)], "generic"),
    cmd("renamenx", db::renamenx_command, 3, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1), ks(CMD_KEY_OW | CMD_KEY_INSERT, 2, 0, 1)], "generic"),
    cmd("move", db::move_command, 3, CMD_WRITE | CMD_FAST, RW_ACCESS_UPDATE, "generic"),
    cmd("copy", db::copy_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, 0, 1), ks(CMD_KEY_OW | CMD_KEY_UPDATE, 2, 0, 1)], "generic"),
    cmd("touch", expire::touch_command, -2, CMD_READONLY | CMD_FAST, RO_ALL, "generic").tips(MULTI_SHARD_SUM),
    cmd("expire", expire::expire_command, -3, CMD_WRITE | CMD_FAST, RW_UPDATE, "generic"),
    cmd("pexpire", expire::pexpire_command, -3, CMD_WRITE | CMD_FAST, RW_UPDATE, "generic"),
    cmd("expireat", expire::expireat_command, -3, CMD_WRITE | CMD_FAST, RW_UPDATE, "generic"),
    cmd("pexpireat", expire::pexpireat_command, -3, CMD_WRITE | CMD_FAST, RW_UPDATE, "generic"),
    cmd("ttl", expire::ttl_command, 2, CMD_READONLY | CMD_FAST, RO_ACCESS, "generic").tips(NONDET),
    cmd("pttl", expire::pttl_command, 2, CMD_READONLY | CMD_FAST, RO_ACCESS, "generic").tips(NONDET),
    cmd("expiretime", expire::expiretime_command, 2, CMD_READONLY | CMD_FAST, RO_ACCESS, "generic"),
    cmd("pexpiretime", expire::pexpiretime_command, 2, CMD_READONLY | CMD_FAST, RO_ACCESS, "generic"),
    cmd("persist", expire::persist_command, 2, CMD_WRITE | CMD_FAST, RW_UPDATE, "generic"),
    container(
        "object",
        -2,
        0,
        "generic",
        &[
            cmd("encoding", object::object_command, 3, CMD_READONLY, RO_2, "generic").tips(NONDET),
            cmd("freq", object::object_command, 3, CMD_READONLY, RO_2, "generic").tips(NONDET),
            cmd("help", object::object_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "generic"),
            cmd("idletime", object::object_command, 3, CMD_READONLY, RO_2, "generic").tips(NONDET),
            cmd("refcount", object::object_command, 3, CMD_READONLY, RO_2, "generic").tips(NONDET),
        ],
    ),
    cmd("dbsize", db::dbsize_command, 1, CMD_READONLY | CMD_FAST, NOKEYS, "server").tips(&["request_policy:all_shards", "response_policy:agg_sum"]),
    cmd("flushdb", db::flushdb_command, -1, CMD_WRITE, NOKEYS, "server").tips(ALL_SHARDS_SUCCEEDED),
    cmd("flushall", db::flushall_command, -1, CMD_WRITE, NOKEYS, "server").tips(ALL_SHARDS_SUCCEEDED),
    cmd("swapdb", db::swapdb_command, 3, CMD_WRITE | CMD_FAST, NOKEYS, "server"),
    // ---- end of generic keyspace ----

    // ---- string (t_string.c) ----
    cmd("get", t_string::get_command, 2, CMD_READONLY | CMD_FAST, RO_ACCESS, "string"),
    cmd("getex", t_string::getex_command, -2, CMD_WRITE | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("getdel", t_string::getdel_command, 2, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1)], "string"),
    cmd("set", t_string::set_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE | CMD_KEY_VARIABLE_FLAGS, 1, 0, 1)], "string").getkeys(db::set_get_keys),
    cmd("setnx", t_string::setnx_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, &[ks(CMD_KEY_OW | CMD_KEY_INSERT, 1, 0, 1)], "string"),
    cmd("setex", t_string::setex_command, 4, CMD_WRITE | CMD_DENYOOM, OW_UPDATE, "string"),
    cmd("psetex", t_string::psetex_command, 4, CMD_WRITE | CMD_DENYOOM, OW_UPDATE, "string"),
    cmd("append", t_string::append_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 1, 0, 1)], "string"),
    cmd("strlen", t_string::strlen_command, 2, CMD_READONLY | CMD_FAST, RO, "string"),
    cmd("setrange", t_string::setrange_command, 4, CMD_WRITE | CMD_DENYOOM, RW_UPDATE, "string"),
    cmd("getrange", t_string::getrange_command, 4, CMD_READONLY, RO_ACCESS, "string"),
    cmd("substr", t_string::getrange_command, 4, CMD_READONLY, RO_ACCESS, "string"),
    cmd("incr", t_string::incr_command, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("decr", t_string::decr_command, 2, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("mget", t_string::mget_command, -2, CMD_READONLY | CMD_FAST, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, -1, 1)], "string").tips(&["request_policy:multi_shard"]),
    cmd("mset", t_string::mset_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, -1, 2)], "string").tips(&["request_policy:multi_shard", "response_policy:all_succeeded"]),
    cmd("msetnx", t_string::msetnx_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_INSERT, 1, -1, 2)], "string").tips(&["request_policy:multi_shard", "response_policy:agg_min"]),
    cmd("incrby", t_string::incrby_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("decrby", t_string::decrby_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("incrbyfloat", t_string::incrbyfloat_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("getset", t_string::getset_command, 3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "string"),
    cmd("lcs", t_string::lcs_command, -3, CMD_READONLY, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, 1, 1)], "string"),
    // ---- end of string ----

    // ---- bitmap (bitops.c) ----
    cmd("setbit", bitops::setbit_command, 4, CMD_WRITE | CMD_DENYOOM, RW_ACCESS_UPDATE, "bitmap"),
    cmd("getbit", bitops::getbit_command, 3, CMD_READONLY | CMD_FAST, RO_ACCESS, "bitmap"),
    cmd("bitfield", bitops::bitfield_command, -2, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_UPDATE | CMD_KEY_VARIABLE_FLAGS, 1, 0, 1)], "bitmap").getkeys(db::bitfield_get_keys),
    cmd("bitfield_ro", bitops::bitfield_ro_command, -2, CMD_READONLY | CMD_FAST, RO_ACCESS, "bitmap"),
    cmd("bitcount", bitops::bitcount_command, -2, CMD_READONLY, RO_ACCESS, "bitmap"),
    cmd("bitpos", bitops::bitpos_command, -3, CMD_READONLY, RO_ACCESS, "bitmap"),
    cmd("bitop", bitops::bitop_command, -4, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 2, 0, 1), ks(CMD_KEY_RO | CMD_KEY_ACCESS, 3, -1, 1)], "bitmap"),
    // ---- end of bitmap ----

    // ---- list (t_list.c) ----
    cmd("lpush", t_list::lpush_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, LIST_INSERT, "list"),
    cmd("rpush", t_list::rpush_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, LIST_INSERT, "list"),
    cmd("lpushx", t_list::lpushx_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, LIST_INSERT, "list"),
    cmd("rpushx", t_list::rpushx_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, LIST_INSERT, "list"),
    cmd("linsert", t_list::linsert_command, 5, CMD_WRITE | CMD_DENYOOM, LIST_INSERT, "list"),
    cmd("rpop", t_list::rpop_command, -2, CMD_WRITE | CMD_FAST, LIST_POP, "list"),
    cmd("lpop", t_list::lpop_command, -2, CMD_WRITE | CMD_FAST, LIST_POP, "list"),
    cmd("lmpop", t_list::lmpop_command, -4, CMD_WRITE, &[keynum(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1)], "list"),
    cmd("brpop", t_list::brpop_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, LIST_BPOP, "list"),
    cmd("brpoplpush", t_list::brpoplpush_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, LIST_MOVE, "list"),
    cmd("blmove", t_list::blmove_command, 6, CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING, LIST_MOVE, "list"),
    cmd("blpop", t_list::blpop_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, LIST_BPOP, "list"),
    cmd("blmpop", t_list::blmpop_command, -5, CMD_WRITE | CMD_BLOCKING, &[keynum(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 2)], "list"),
    cmd("llen", t_list::llen_command, 2, CMD_READONLY | CMD_FAST, RO, "list"),
    cmd("lindex", t_list::lindex_command, 3, CMD_READONLY, RO_ACCESS, "list"),
    cmd("lset", t_list::lset_command, 4, CMD_WRITE | CMD_DENYOOM, RW_UPDATE, "list"),
    cmd("lrange", t_list::lrange_command, 4, CMD_READONLY, RO_ACCESS, "list"),
    cmd("ltrim", t_list::ltrim_command, 4, CMD_WRITE, LIST_DELETE, "list"),
    cmd("lpos", t_list::lpos_command, -3, CMD_READONLY, RO_ACCESS, "list"),
    cmd("lrem", t_list::lrem_command, 4, CMD_WRITE, LIST_DELETE, "list"),
    cmd("rpoplpush", t_list::rpoplpush_command, 3, CMD_WRITE | CMD_DENYOOM, LIST_MOVE, "list"),
    cmd("lmove", t_list::lmove_command, 5, CMD_WRITE | CMD_DENYOOM, LIST_MOVE, "list"),
    // ---- end of list ----
    // ---- set (t_set.c) ----
    cmd("sadd", t_set::sadd_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 1, 0, 1)], "set"),
    cmd("srem", t_set::srem_command, -3, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)], "set"),
    cmd("smove", t_set::smove_command, 4, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1), ks(CMD_KEY_RW | CMD_KEY_INSERT, 2, 0, 1)], "set"),
    cmd("sismember", t_set::sismember_command, 3, CMD_READONLY | CMD_FAST, RO, "set"),
    cmd("smismember", t_set::smismember_command, -3, CMD_READONLY | CMD_FAST, RO_ACCESS, "set"),
    cmd("scard", t_set::scard_command, 2, CMD_READONLY | CMD_FAST, RO, "set"),
    cmd("spop", t_set::spop_command, -2, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1)], "set").tips(NONDET),
    cmd("srandmember", t_set::srandmember_command, -2, CMD_READONLY, RO_ACCESS, "set").tips(NONDET),
    cmd("sinter", t_set::sinter_command, -2, CMD_READONLY, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, -1, 1)], "set").tips(NONDET_ORDER),
    cmd("sintercard", t_set::sintercard_command, -3, CMD_READONLY, &[KeySpec { flags: CMD_KEY_RO | CMD_KEY_ACCESS, begin_search: BeginSearch::Index(1), find_keys: FindKeys::Keynum { keynumidx: 0, firstkey: 1, keystep: 1 } }], "set"),
    cmd("sinterstore", t_set::sinterstore_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RW | CMD_KEY_UPDATE, 1, 0, 1), ks(CMD_KEY_RO | CMD_KEY_ACCESS, 2, -1, 1)], "set"),
    cmd("smembers", t_set::sinter_command, 2, CMD_READONLY, RO_ACCESS, "set").tips(NONDET_ORDER),
    cmd("sunion", t_set::sunion_command, -2, CMD_READONLY, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, -1, 1)], "set").tips(NONDET_ORDER),
    cmd("sunionstore", t_set::sunionstore_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, 0, 1), ks(CMD_KEY_RO | CMD_KEY_ACCESS, 2, -1, 1)], "set"),
    cmd("sdiff", t_set::sdiff_command, -2, CMD_READONLY, &[ks(CMD_KEY_RO | CMD_KEY_ACCESS, 1, -1, 1)], "set").tips(NONDET_ORDER),
    cmd("sdiffstore", t_set::sdiffstore_command, -3, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, 0, 1), ks(CMD_KEY_RO | CMD_KEY_ACCESS, 2, -1, 1)], "set"),
    cmd("sscan", t_set::sscan_command, -3, CMD_READONLY, RO_ACCESS, "set").tips(NONDET),
    // ---- end of set ----

    // ---- hash (t_hash.c) ----
    cmd("hset", t_hash::hset_command, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_UPDATE, "hash"),
    cmd("hsetnx", t_hash::hsetnx_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 1, 0, 1)], "hash"),
    cmd("hget", t_hash::hget_command, 3, CMD_READONLY | CMD_FAST, RO_ACCESS, "hash"),
    cmd("hmset", t_hash::hset_command, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_UPDATE, "hash"),
    cmd("hmget", t_hash::hmget_command, -3, CMD_READONLY | CMD_FAST, RO_ACCESS, "hash"),
    cmd("hincrby", t_hash::hincrby_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "hash"),
    cmd("hincrbyfloat", t_hash::hincrbyfloat_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "hash"),
    cmd("hdel", t_hash::hdel_command, -3, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)], "hash"),
    cmd("hlen", t_hash::hlen_command, 2, CMD_READONLY | CMD_FAST, RO, "hash"),
    cmd("hstrlen", t_hash::hstrlen_command, 3, CMD_READONLY | CMD_FAST, RO, "hash"),
    cmd("hkeys", t_hash::hkeys_command, 2, CMD_READONLY, RO_ACCESS, "hash").tips(NONDET_ORDER),
    cmd("hvals", t_hash::hvals_command, 2, CMD_READONLY, RO_ACCESS, "hash").tips(NONDET_ORDER),
    cmd("hgetall", t_hash::hgetall_command, 2, CMD_READONLY, RO_ACCESS, "hash").tips(NONDET_ORDER),
    cmd("hexists", t_hash::hexists_command, 3, CMD_READONLY | CMD_FAST, RO, "hash"),
    cmd("hrandfield", t_hash::hrandfield_command, -2, CMD_READONLY, RO_ACCESS, "hash").tips(NONDET),
    cmd("hscan", t_hash::hscan_command, -3, CMD_READONLY, RO_ACCESS, "hash").tips(NONDET),
    // ---- end of hash ----

    // ---- stream (t_stream.c) ----
    cmd("xadd", t_stream::commands::xadd_command, -5, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_UPDATE, "stream").tips(NONDET),
    cmd("xrange", t_stream::commands::xrange_command, -4, CMD_READONLY, RO_ACCESS, "stream"),
    cmd("xrevrange", t_stream::commands::xrevrange_command, -4, CMD_READONLY, RO_ACCESS, "stream"),
    cmd("xlen", t_stream::commands::xlen_command, 2, CMD_READONLY | CMD_FAST, RO, "stream"),
    cmd("xread", t_stream::commands::xread_command, -4, CMD_BLOCKING | CMD_READONLY, &[KeySpec { flags: CMD_KEY_RO | CMD_KEY_ACCESS, begin_search: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 }, find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 } }], "stream"),
    cmd("xreadgroup", t_stream::commands::xread_command, -7, CMD_BLOCKING | CMD_WRITE, &[KeySpec { flags: CMD_KEY_RO | CMD_KEY_ACCESS, begin_search: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 4 }, find_keys: FindKeys::Range { lastkey: -1, keystep: 1, limit: 2 } }], "stream"),
    cmd("xdel", t_stream::commands::xdel_command, -3, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)], "stream"),
    cmd("xtrim", t_stream::commands::xtrim_command, -4, CMD_WRITE, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)], "stream").tips(NONDET),
    cmd("xsetid", t_stream::commands::xsetid_command, -3, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_UPDATE, "stream"),
    cmd("xack", t_stream::cgroups::xack_command, -4, CMD_WRITE | CMD_FAST, RW_UPDATE, "stream"),
    cmd("xpending", t_stream::cgroups::xpending_command, -3, CMD_READONLY, RO_ACCESS, "stream").tips(NONDET),
    cmd("xclaim", t_stream::cgroups::xclaim_command, -6, CMD_WRITE | CMD_FAST, RW_UPDATE, "stream").tips(NONDET),
    cmd("xautoclaim", t_stream::cgroups::xautoclaim_command, -6, CMD_WRITE | CMD_FAST, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)], "stream").tips(NONDET),
    container("xgroup", -2, 0, "stream", &[
        cmd("create", t_stream::cgroups::xgroup_command, -5, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 2, 0, 1)], "stream"),
        cmd("createconsumer", t_stream::cgroups::xgroup_command, 5, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_RW | CMD_KEY_INSERT, 2, 0, 1)], "stream"),
        cmd("delconsumer", t_stream::cgroups::xgroup_command, 5, CMD_WRITE, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 2, 0, 1)], "stream"),
        cmd("destroy", t_stream::cgroups::xgroup_command, 4, CMD_WRITE, &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 2, 0, 1)], "stream"),
        cmd("help", t_stream::cgroups::xgroup_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "stream"),
        cmd("setid", t_stream::cgroups::xgroup_command, -5, CMD_WRITE, &[ks(CMD_KEY_RW | CMD_KEY_UPDATE, 2, 0, 1)], "stream"),
    ]),
    container("xinfo", -2, 0, "stream", &[
        cmd("consumers", t_stream::cgroups::xinfo_command, 4, CMD_READONLY, RO_ACCESS_2, "stream").tips(NONDET),
        cmd("groups", t_stream::cgroups::xinfo_command, 3, CMD_READONLY, RO_ACCESS_2, "stream"),
        cmd("help", t_stream::cgroups::xinfo_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "stream"),
        cmd("stream", t_stream::cgroups::xinfo_command, -3, CMD_READONLY, RO_ACCESS_2, "stream"),
    ]),
    // ---- end of stream ----
    // ---- sorted set (t_zset.c) ----
    cmd("zadd", tz::commands::zadd_command, -4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_UPDATE, "sorted-set"),
    cmd("zincrby", tz::commands::zincrby_command, 4, CMD_WRITE | CMD_DENYOOM | CMD_FAST, RW_ACCESS_UPDATE, "sorted-set"),
    cmd("zrem", tz::commands::zrem_command, -3, CMD_WRITE | CMD_FAST, ZSET_RW_DELETE, "sorted-set"),
    cmd("zremrangebyscore", tz::commands::zremrangebyscore_command, 4, CMD_WRITE, ZSET_RW_DELETE, "sorted-set"),
    cmd("zremrangebyrank", tz::commands::zremrangebyrank_command, 4, CMD_WRITE, ZSET_RW_DELETE, "sorted-set"),
    cmd("zremrangebylex", tz::commands::zremrangebylex_command, 4, CMD_WRITE, ZSET_RW_DELETE, "sorted-set"),
    cmd("zunionstore", tz::setops::zunionstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZSET_STORE_KEYNUM, "sorted-set"),
    cmd("zinterstore", tz::setops::zinterstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZSET_STORE_KEYNUM, "sorted-set"),
    cmd("zdiffstore", tz::setops::zdiffstore_command, -4, CMD_WRITE | CMD_DENYOOM, ZSET_STORE_KEYNUM, "sorted-set"),
    cmd("zunion", tz::setops::zunion_command, -3, CMD_READONLY, ZSET_RO_KEYNUM, "sorted-set"),
    cmd("zinter", tz::setops::zinter_command, -3, CMD_READONLY, ZSET_RO_KEYNUM, "sorted-set"),
    cmd("zintercard", tz::setops::zintercard_command, -3, CMD_READONLY, ZSET_RO_KEYNUM, "sorted-set"),
    cmd("zdiff", tz::setops::zdiff_command, -3, CMD_READONLY, ZSET_RO_KEYNUM, "sorted-set"),
    cmd("zrange", tz::range::zrange_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zrangestore", tz::range::zrangestore_command, -5, CMD_WRITE | CMD_DENYOOM, &[ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, 0, 1), ks(CMD_KEY_RO | CMD_KEY_ACCESS, 2, 0, 1)], "sorted-set"),
    cmd("zrangebyscore", tz::range::zrangebyscore_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zrevrangebyscore", tz::range::zrevrangebyscore_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zrangebylex", tz::range::zrangebylex_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zrevrangebylex", tz::range::zrevrangebylex_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zcount", tz::commands::zcount_command, 4, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zlexcount", tz::commands::zlexcount_command, 4, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zrevrange", tz::range::zrevrange_command, -4, CMD_READONLY, RO_ACCESS, "sorted-set"),
    cmd("zcard", tz::commands::zcard_command, 2, CMD_READONLY | CMD_FAST, RO, "sorted-set"),
    cmd("zscore", tz::commands::zscore_command, 3, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zmscore", tz::commands::zmscore_command, -3, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zrank", tz::commands::zrank_command, 3, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zrevrank", tz::commands::zrevrank_command, 3, CMD_READONLY | CMD_FAST, RO_ACCESS, "sorted-set"),
    cmd("zscan", tz::commands::zscan_command, -3, CMD_READONLY, RO_ACCESS, "sorted-set").tips(NONDET),
    cmd("zpopmin", tz::pop::zpopmin_command, -2, CMD_WRITE | CMD_FAST, ZSET_RW_ACCESS_DELETE, "sorted-set"),
    cmd("zpopmax", tz::pop::zpopmax_command, -2, CMD_WRITE | CMD_FAST, ZSET_RW_ACCESS_DELETE, "sorted-set"),
    cmd("zmpop", tz::pop::zmpop_command, -4, CMD_WRITE, &[keynum(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1)], "sorted-set"),
    cmd("bzpopmin", tz::pop::bzpopmin_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_FAST | CMD_BLOCKING, ZSET_BPOP, "sorted-set"),
    cmd("bzpopmax", tz::pop::bzpopmax_command, -3, CMD_WRITE | CMD_NOSCRIPT | CMD_FAST | CMD_BLOCKING, ZSET_BPOP, "sorted-set"),
    cmd("bzmpop", tz::pop::bzmpop_command, -5, CMD_WRITE | CMD_BLOCKING, &[keynum(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 2)], "sorted-set"),
    cmd("zrandmember", tz::pop::zrandmember_command, -2, CMD_READONLY, RO_ACCESS, "sorted-set").tips(NONDET),
    // ---- end of sorted set ----
    // ---- scripting (eval.c, functions.c) ----
    cmd("eval", ev::eval_command, -3, SCRIPT_CMD_FLAGS | CMD_MAY_REPLICATE, SCRIPT_RW_KEYS, "scripting"),
    cmd("evalsha", ev::evalsha_command, -3, SCRIPT_CMD_FLAGS | CMD_MAY_REPLICATE, SCRIPT_RW_KEYS, "scripting"),
    cmd("eval_ro", ev::eval_ro_command, -3, SCRIPT_CMD_FLAGS | CMD_READONLY, SCRIPT_RO_KEYS, "scripting"),
    cmd("evalsha_ro", ev::evalsha_ro_command, -3, SCRIPT_CMD_FLAGS | CMD_READONLY, SCRIPT_RO_KEYS, "scripting"),
    cmd("fcall", fun::fcall_command, -3, SCRIPT_CMD_FLAGS | CMD_MAY_REPLICATE, SCRIPT_RW_KEYS, "scripting"),
    cmd("fcall_ro", fun::fcall_ro_command, -3, SCRIPT_CMD_FLAGS | CMD_READONLY, SCRIPT_RO_KEYS, "scripting"),
    container("script", -2, 0, "scripting", &[
        cmd("debug", ev::script_command, 3, CMD_NOSCRIPT, NOKEYS, "scripting"),
        cmd("exists", ev::script_command, -3, CMD_NOSCRIPT, NOKEYS, "scripting").tips(&["request_policy:all_shards", "response_policy:agg_logical_and"]),
        cmd("flush", ev::script_command, -2, CMD_NOSCRIPT, NOKEYS, "scripting").tips(ALL_NODES_SUCCEEDED),
        cmd("help", ev::script_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "scripting"),
        cmd("kill", ev::script_command, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, NOKEYS, "scripting").tips(ALL_SHARDS_ONE_SUCCEEDED),
        cmd("load", ev::script_command, 3, CMD_NOSCRIPT | CMD_STALE, NOKEYS, "scripting").tips(ALL_NODES_SUCCEEDED),
    ]),
    container("function", -2, 0, "scripting", &[
        cmd("delete", fun::function_command, 3, CMD_NOSCRIPT | CMD_WRITE, NOKEYS, "scripting").tips(ALL_SHARDS_SUCCEEDED),
        cmd("flush", fun::function_command, -2, CMD_NOSCRIPT | CMD_WRITE, NOKEYS, "scripting").tips(ALL_SHARDS_SUCCEEDED),
        cmd("help", fun::function_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "scripting"),
        cmd("kill", fun::function_command, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, NOKEYS, "scripting").tips(ALL_SHARDS_ONE_SUCCEEDED),
        cmd("list", fun::function_command, -2, CMD_NOSCRIPT, NOKEYS, "scripting").tips(NONDET_ORDER),
        cmd("load", fun::function_command, -3, CMD_NOSCRIPT | CMD_WRITE | CMD_DENYOOM, NOKEYS, "scripting").tips(ALL_SHARDS_SUCCEEDED),
        cmd("stats", fun::function_command, 2, CMD_NOSCRIPT | CMD_ALLOW_BUSY, NOKEYS, "scripting").tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    ]),
    // ---- end of scripting ----

    // ---- server (server.c, config.c, networking.c: INFO, CONFIG, CLIENT, COMMAND...) ----
    container("config", -2, 0, "server", CONFIG_SUBCOMMANDS),
    RedisCommand {
        name: "command",
        proc_: srvcmd::command_command,
        arity: -1,
        flags: CMD_LOADING | CMD_STALE | CMD_SENTINEL,
        key_specs: NOKEYS,
        tips: NONDET_ORDER,
        getkeys_proc: None,
        group: "server",
        subcommands: &[
            cmd("count", srvcmd::command_count_command, 2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server"),
            cmd("docs", srvcmd::command_docs_command, -2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server").tips(NONDET_ORDER),
            cmd("getkeys", srvcmd::command_get_keys_command, -4, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server"),
            cmd("getkeysandflags", srvcmd::command_get_keys_and_flags_command, -4, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server"),
            cmd("help", srvcmd::command_help_command, 2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server"),
            cmd("info", srvcmd::command_info_command, -2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server").tips(NONDET_ORDER),
            cmd("list", srvcmd::command_list_command, -2, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server").tips(NONDET_ORDER),
        ],
    },
    cmd("info", info::info_command, -1, CMD_LOADING | CMD_STALE | CMD_SENTINEL, NOKEYS, "server").tips(&["nondeterministic_output", "request_policy:all_shards", "response_policy:special"]),
    cmd("lastsave", srv::lastsave_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, NOKEYS, "server").tips(NONDET),
    cmd("monitor", srv::monitor_command, 1, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, NOKEYS, "server"),
    cmd("shutdown", srv::shutdown_command, -1, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_SENTINEL | CMD_ALLOW_BUSY, NOKEYS, "server"),
    cmd("time", srv::time_command, 1, CMD_LOADING | CMD_STALE | CMD_FAST, NOKEYS, "server").tips(NONDET),
    // ---- end of server ----

    // ---- introspection (slowlog.c, latency.c, object.c MEMORY, debug.c) ----
    container(
        "slowlog",
        -2,
        0,
        "server",
        &[
            cmd("get", crate::slowlog::slowlog_command, -2, CMD_ADMIN | CMD_LOADING | CMD_STALE, NOKEYS, "server").tips(&["request_policy:all_nodes", "nondeterministic_output"]),
            cmd("help", crate::slowlog::slowlog_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "server"),
            cmd("len", crate::slowlog::slowlog_command, 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, NOKEYS, "server").tips(&["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"]),
            cmd("reset", crate::slowlog::slowlog_command, 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, NOKEYS, "server").tips(ALL_NODES_SUCCEEDED),
        ],
    ),
    container(
        "latency",
        -2,
        0,
        "server",
        &[
            cmd("doctor", crate::latency::latency_command, 2, LATENCY_FLAGS, NOKEYS, "server").tips(NONDET_ALL_NODES_SPECIAL),
            cmd("graph", crate::latency::latency_command, 3, LATENCY_FLAGS, NOKEYS, "server").tips(NONDET_ALL_NODES_SPECIAL),
            cmd("help", crate::latency::latency_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "server"),
            cmd("histogram", crate::latency::latency_command, -2, LATENCY_FLAGS, NOKEYS, "server").tips(NONDET_ALL_NODES_SPECIAL),
            cmd("history", crate::latency::latency_command, 3, LATENCY_FLAGS, NOKEYS, "server").tips(NONDET_ALL_NODES_SPECIAL),
            cmd("latest", crate::latency::latency_command, 2, LATENCY_FLAGS, NOKEYS, "server").tips(NONDET_ALL_NODES_SPECIAL),
            cmd("reset", crate::latency::latency_command, -2, LATENCY_FLAGS, NOKEYS, "server").tips(ALL_NODES_SUCCEEDED),
        ],
    ),
    container(
        "memory",
        -2,
        0,
        "server",
        &[
            cmd("doctor", crate::object::memory_command, 2, 0, NOKEYS, "server").tips(NONDET_ALL_SHARDS_SPECIAL),
            cmd("help", crate::object::memory_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "server"),
            cmd("malloc-stats", crate::object::memory_command, 2, 0, NOKEYS, "server").tips(NONDET_ALL_SHARDS_SPECIAL),
            cmd("purge", crate::object::memory_command, 2, 0, NOKEYS, "server").tips(ALL_SHARDS_SUCCEEDED),
            cmd("stats", crate::object::memory_command, 2, 0, NOKEYS, "server").tips(NONDET_ALL_SHARDS_SPECIAL),
            cmd("usage", crate::object::memory_command, -3, CMD_READONLY, RO_2, "server"),
        ],
    ),
    cmd("debug", debug::debug_command, -2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_PROTECTED, NOKEYS, "server"),
    // ---- end of introspection ----

    // ---- transactions and pub/sub (multi.c, pubsub.c) ----
    cmd("multi", multi::multi_command, 1, TX_FLAGS | CMD_ALLOW_BUSY, NOKEYS, "transactions"),
    cmd("exec", multi::exec_command, 1, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG, NOKEYS, "transactions"),
    cmd("discard", multi::discard_command, 1, TX_FLAGS | CMD_ALLOW_BUSY, NOKEYS, "transactions"),
    cmd("watch", multi::watch_command, -2, TX_FLAGS | CMD_ALLOW_BUSY, RO_ALL, "transactions"),
    cmd("unwatch", multi::unwatch_command, 1, TX_FLAGS | CMD_ALLOW_BUSY, NOKEYS, "transactions"),
    cmd("subscribe", pubsub::subscribe_command, -2, SUB_FLAGS | CMD_SENTINEL, NOKEYS, "pubsub"),
    cmd("unsubscribe", pubsub::unsubscribe_command, -1, SUB_FLAGS | CMD_SENTINEL, NOKEYS, "pubsub"),
    cmd("psubscribe", pubsub::psubscribe_command, -2, SUB_FLAGS | CMD_SENTINEL, NOKEYS, "pubsub"),
    cmd("punsubscribe", pubsub::punsubscribe_command, -1, SUB_FLAGS | CMD_SENTINEL, NOKEYS, "pubsub"),
    cmd("publish", pubsub::publish_command, 3, PUBLISH_FLAGS | CMD_SENTINEL, NOKEYS, "pubsub"),
    cmd("ssubscribe", pubsub::ssubscribe_command, -2, SUB_FLAGS, NOT_KEY_ALL, "pubsub"),
    cmd("sunsubscribe", pubsub::sunsubscribe_command, -1, SUB_FLAGS, NOT_KEY_ALL, "pubsub"),
    cmd("spublish", pubsub::spublish_command, 3, PUBLISH_FLAGS, &[ks(CMD_KEY_NOT_KEY, 1, 0, 1)], "pubsub"),
    container("pubsub", -2, 0, "pubsub", &[
        cmd("channels", pubsub::pubsub_command, -2, PUBSUB_INTRO, NOKEYS, "pubsub"),
        cmd("help", pubsub::pubsub_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "pubsub"),
        cmd("numpat", pubsub::pubsub_command, 2, PUBSUB_INTRO, NOKEYS, "pubsub"),
        cmd("numsub", pubsub::pubsub_command, -2, PUBSUB_INTRO, NOKEYS, "pubsub"),
        cmd("shardchannels", pubsub::pubsub_command, -2, PUBSUB_INTRO, NOKEYS, "pubsub"),
        cmd("shardnumsub", pubsub::pubsub_command, -2, PUBSUB_INTRO, NOKEYS, "pubsub"),
    ]),
    // ---- end of transactions and pub/sub ----

    // ---- cluster (cluster.c) ----
    container("cluster", -2, 0, "cluster", CLUSTER_SUBCOMMANDS),
    // ---- end of cluster ----

    // ---- cluster redirection (cluster.c) ----
    cmd("asking", crate::cluster::redirect::asking_command, 1, CMD_FAST, NOKEYS, "cluster"),
    cmd("readonly", crate::cluster::redirect::readonly_command, 1, CMD_FAST | CMD_LOADING | CMD_STALE, NOKEYS, "cluster"),
    cmd("readwrite", crate::cluster::redirect::readwrite_command, 1, CMD_FAST | CMD_LOADING | CMD_STALE, NOKEYS, "cluster"),
    // ---- end of cluster redirection ----

    // ---- persistence (rdb.c; DUMP/RESTORE of cluster.c) ----
    cmd("save", crate::rdb::save::save_command, 1, CMD_NO_ASYNC_LOADING | CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, NOKEYS, "server"),
    cmd("bgsave", crate::rdb::save::bgsave_command, -1, CMD_NO_ASYNC_LOADING | CMD_ADMIN | CMD_NOSCRIPT, NOKEYS, "server"),
    cmd("dump", crate::cluster::migrate::dump_command, 2, CMD_READONLY, RO_ACCESS, "generic").tips(NONDET),
    cmd("restore", crate::cluster::migrate::restore_command, -4, CMD_WRITE | CMD_DENYOOM, OW_UPDATE, "generic"),
    cmd("restore-asking", crate::cluster::migrate::restore_command, -4, CMD_WRITE | CMD_DENYOOM | CMD_ASKING, OW_UPDATE, "server"),
    // ---- end of persistence ----
];

/// The flags MULTI, DISCARD, WATCH and UNWATCH share.
const TX_FLAGS: u64 = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST;
/// The flags of the (un)subscribe commands.
const SUB_FLAGS: u64 = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE;
const PUBLISH_FLAGS: u64 = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE;
/// The PUBSUB introspection subcommands.
const PUBSUB_INTRO: u64 = CMD_PUBSUB | CMD_LOADING | CMD_STALE;
/// Shard channel names: routed like keys, but not keys.
const NOT_KEY_ALL: &[KeySpec] = &[ks(CMD_KEY_NOT_KEY, 1, -1, 1)];
use crate::{multi, pubsub};

/// CLUSTER subcommands (cluster.c): one handler, as `clusterCommand`.
#[rustfmt::skip]
static CLUSTER_SUBCOMMANDS: &[RedisCommand] = &[
    cmd("addslots", clu::cluster_command, -3, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("addslotsrange", clu::cluster_command, -4, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("bumpepoch", clu::cluster_command, 2, CLUSTER_ADMIN, NOKEYS, "cluster").tips(NONDET),
    cmd("count-failure-reports", clu::cluster_command, 3, CMD_ADMIN | CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("countkeysinslot", clu::cluster_command, 3, CMD_STALE, NOKEYS, "cluster"),
    cmd("delslots", clu::cluster_command, -3, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("delslotsrange", clu::cluster_command, -4, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("failover", clu::cluster_command, -2, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("flushslots", clu::cluster_command, 2, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("forget", clu::cluster_command, 3, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("getkeysinslot", clu::cluster_command, 4, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("help", clu::cluster_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "cluster"),
    cmd("info", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("keyslot", clu::cluster_command, 3, CMD_STALE, NOKEYS, "cluster"),
    cmd("links", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("meet", clu::cluster_command, -4, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("myid", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster"),
    cmd("nodes", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("replicas", clu::cluster_command, 3, CMD_ADMIN | CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("replicate", clu::cluster_command, 3, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("reset", clu::cluster_command, -2, CMD_ADMIN | CMD_STALE | CMD_NOSCRIPT, NOKEYS, "cluster"),
    cmd("saveconfig", clu::cluster_command, 2, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("set-config-epoch", clu::cluster_command, 3, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("setslot", clu::cluster_command, -4, CLUSTER_ADMIN, NOKEYS, "cluster"),
    cmd("shards", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("slaves", clu::cluster_command, 3, CMD_ADMIN | CMD_STALE, NOKEYS, "cluster").tips(NONDET),
    cmd("slots", clu::cluster_command, 2, CMD_STALE, NOKEYS, "cluster").tips(NONDET),
];
/// The flags of the CLUSTER subcommands that change the configuration.
const CLUSTER_ADMIN: u64 = CMD_NO_ASYNC_LOADING | CMD_ADMIN | CMD_STALE;
use crate::cluster::command as clu;
// Key specs of the sorted set commands.
const ZSET_RW_DELETE: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_DELETE, 1, 0, 1)];
const ZSET_RW_ACCESS_DELETE: &[KeySpec] =
    &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, 0, 1)];
const ZSET_BPOP: &[KeySpec] = &[ks(CMD_KEY_RW | CMD_KEY_ACCESS | CMD_KEY_DELETE, 1, -2, 1)];
const ZSET_RO_KEYNUM: &[KeySpec] = &[keynum(CMD_KEY_RO | CMD_KEY_ACCESS, 1)];
const ZSET_STORE_KEYNUM: &[KeySpec] = &[
    ks(CMD_KEY_OW | CMD_KEY_UPDATE, 1, 0, 1),
    keynum(CMD_KEY_RO | CMD_KEY_ACCESS, 2),
];

use crate::config::command as cfg;

/// CONFIG subcommands (config.c).
#[rustfmt::skip]
static CONFIG_SUBCOMMANDS: &[RedisCommand] = &[
    cmd("get", cfg::config_get_command, -3, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, NOKEYS, "server"),
    cmd("help", cfg::config_help_command, 2, CMD_LOADING | CMD_STALE, NOKEYS, "server"),
    cmd("resetstat", cfg::config_reset_stat_command, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, NOKEYS, "server"),
    cmd("rewrite", cfg::config_rewrite_command, 2, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, NOKEYS, "server"),
    cmd("set", cfg::config_set_command, -4, CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, NOKEYS, "server").tips(ALL_NODES_SUCCEEDED),
];

/// A command or subcommand as the server uses it.
pub struct CommandEntry {
    /// `name` or `container|sub`.
    pub fullname: String,
    pub proc_: CommandProc,
    pub arity: i32,
    /// The declared flags, plus `CMD_MOVABLE_KEYS` when the legacy range
    /// cannot describe the keys.
    pub flags: u64,
    /// Legacy key range derived from the key specs: first key, last key
    /// (negative counts from the end), step; all zero without keys.
    pub keys: (i32, i32, i32),
    pub key_specs: &'static [KeySpec],
    pub tips: &'static [&'static str],
    pub getkeys_proc: Option<GetKeysProc>,
    pub group: &'static str,
    pub parent: Option<usize>,
    /// Subcommand name (lowercase) to index.
    pub subcommands: NameMap,
    pub stats: CommandStats,
}

/// Lowercase command (or subcommand) name to index.
pub type NameMap = HashMap<Vec<u8>, usize, BuildHasherDefault<NameHasher>>;

/// The hash of the name maps: FNV-1a. The keyspace needs a keyed hash
/// because clients choose what goes in it; these maps are filled once at
/// startup and clients only look names up, so there is nothing to flood,
/// and every command pays for this lookup: a three-letter name hashes here
/// in a handful of instructions instead of SipHash's hundred.
pub struct NameHasher(u64);

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for NameHasher {
    fn default() -> Self {
        NameHasher(FNV_OFFSET_BASIS)
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(FNV_PRIME);
        }
    }

    /// The length prefix of a slice, mixed in as one step.
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(FNV_PRIME);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The flattened table: `server.commands`.
pub struct Commands {
    pub list: Vec<CommandEntry>,
    by_name: NameMap,
}

/// Why `lookup_command` found nothing.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    UnknownCommand,
    UnknownSubcommand,
}

/// `populateCommandLegacyRangeSpec`: the (first, last, step) range that
/// covers the keys of the specs, and whether the keys are "movable" (some
/// spec is not a plain index range the legacy triple can express).
fn populate_command_legacy_range_spec(specs: &[KeySpec]) -> ((i32, i32, i32), bool) {
    if let [KeySpec {
        flags,
        begin_search: BeginSearch::Index(first),
        find_keys: FindKeys::Range {
            lastkey, keystep, ..
        },
    }] = specs
    {
        // A lone range is the legacy range itself, step included.
        let last = if *lastkey >= 0 {
            first + lastkey
        } else {
            *lastkey
        };
        return ((*first, last, *keystep), flags & CMD_KEY_INCOMPLETE != 0);
    }
    let mut movable = false;
    let mut first = i32::MAX;
    // Compared as unsigned, as in C, so a negative (from the end) last key
    // beats any absolute one.
    let mut last: u32 = 0;
    for spec in specs {
        let (
            BeginSearch::Index(pos),
            FindKeys::Range {
                lastkey, keystep, ..
            },
        ) = (spec.begin_search, spec.find_keys)
        else {
            movable = true;
            continue;
        };
        // Only step-1 ranges that follow the previous one can be merged.
        if keystep != 1 || (last != 0 && last as i32 != pos - 1) {
            movable = true;
            continue;
        }
        if spec.flags & CMD_KEY_INCOMPLETE != 0 {
            movable = true;
        }
        first = first.min(pos);
        let abs_last = if lastkey >= 0 { lastkey + pos } else { lastkey };
        last = last.max(abs_last as u32);
    }
    if first == i32::MAX {
        return ((0, 0, 0), movable || !specs.is_empty());
    }
    ((first, last as i32, 1), movable)
}

/// `populateCommandTable`.
pub fn populate_command_table() -> Commands {
    let mut commands = Commands {
        list: Vec::new(),
        by_name: HashMap::default(),
    };
    for def in COMMAND_TABLE {
        let idx = commands.add(def, def.name.to_string(), None);
        commands.by_name.insert(def.name.as_bytes().to_vec(), idx);
        for sub in def.subcommands {
            let sidx = commands.add(sub, format!("{}|{}", def.name, sub.name), Some(idx));
            commands.list[idx]
                .subcommands
                .insert(sub.name.as_bytes().to_vec(), sidx);
        }
    }
    commands
}

impl Commands {
    fn add(&mut self, def: &RedisCommand, fullname: String, parent: Option<usize>) -> usize {
        let (keys, movable) = populate_command_legacy_range_spec(def.key_specs);
        self.list.push(CommandEntry {
            fullname,
            proc_: def.proc_,
            arity: def.arity,
            flags: def.flags | if movable { CMD_MOVABLE_KEYS } else { 0 },
            keys,
            key_specs: def.key_specs,
            tips: def.tips,
            getkeys_proc: def.getkeys_proc,
            group: def.group,
            parent,
            subcommands: HashMap::default(),
            stats: CommandStats::default(),
        });
        self.list.len() - 1
    }

    /// The `rename-command` lines of the config, in order: each command is
    /// taken out of the name lookup and, unless the new name is empty, put
    /// back under the new name (it keeps its own name in replies, COMMAND
    /// INFO and statistics, as in C). The error is the fatal config error.
    pub fn apply_rename_commands(
        &mut self,
        renames: &[crate::config::RenameCommand],
    ) -> Result<(), String> {
        for r in renames {
            let fail = |err: &str| crate::config::fatal_config_error(Some(r.linenum), &r.line, err);
            let Some(idx) = self.lookup_base(r.from.as_bytes()) else {
                return Err(fail("No such command in rename-command"));
            };
            self.by_name
                .remove(&r.from.to_ascii_lowercase().into_bytes());
            if !r.to.is_empty() {
                let to = r.to.to_ascii_lowercase().into_bytes();
                if self.by_name.contains_key(&to) {
                    return Err(fail("Target command name already exists"));
                }
                self.by_name.insert(to, idx);
            }
        }
        Ok(())
    }

    /// Whether a top level command can still be called by some name (a
    /// `rename-command` to "" removes it from COMMAND's listings too).
    pub fn is_reachable(&self, idx: usize) -> bool {
        self.by_name.values().any(|&i| i == idx)
    }

    /// Finds a top level command by name, case-insensitively.
    pub fn lookup_base(&self, name: &[u8]) -> Option<usize> {
        let mut buf = [0u8; 64];
        if name.len() > buf.len() {
            return None;
        }
        let lower = &mut buf[..name.len()];
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&lower[..]).copied()
    }

    /// `lookupCommand`: the command, or the subcommand when the command is
    /// a container and a second argument is given.
    pub fn lookup_command(&self, argv: &[Vec<u8>]) -> Result<usize, LookupError> {
        let Some(name) = argv.first() else {
            return Err(LookupError::UnknownCommand);
        };
        let base = self.lookup_base(name).ok_or(LookupError::UnknownCommand)?;
        let entry = &self.list[base];
        if argv.len() == 1 || entry.subcommands.is_empty() {
            return Ok(base);
        }
        let sub = argv[1].to_ascii_lowercase();
        entry
            .subcommands
            .get(&sub)
            .copied()
            .ok_or(LookupError::UnknownSubcommand)
    }

    /// `lookupCommandBySds`: "config|get" style names, as COMMAND INFO uses.
    pub fn lookup_by_fullname(&self, name: &[u8]) -> Option<usize> {
        let mut parts = name.splitn(2, |&b| b == b'|');
        let base = self.lookup_base(parts.next()?)?;
        match parts.next() {
            None => Some(base),
            Some(sub) => self.list[base]
                .subcommands
                .get(&sub.to_ascii_lowercase())
                .copied(),
        }
    }
}

/// The error of `commandCheckExistence` for an unknown command.
pub fn unknown_command_error(argv: &[Vec<u8>]) -> String {
    let mut args = String::new();
    for a in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let room = 128 - args.len();
        let s = String::from_utf8_lossy(&a[..a.len().min(room)]).into_owned();
        args.push_str(&format!("'{s}' "));
    }
    let name = argv.first().map_or(&b""[..], |v| v);
    let name = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
    format!("unknown command '{name}', with args beginning with: {args}").replace(['\r', '\n'], " ")
}

/// The error of `commandCheckExistence` for an unknown subcommand.
pub fn unknown_subcommand_error(argv: &[Vec<u8>]) -> String {
    let cmd = String::from_utf8_lossy(argv.first().map_or(&b""[..], |v| v)).to_ascii_uppercase();
    let sub = argv.get(1).map_or(&b""[..], |v| v);
    let sub = String::from_utf8_lossy(&sub[..sub.len().min(128)]).into_owned();
    format!("unknown subcommand '{sub}'. Try {cmd} HELP.").replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_ranges_come_from_the_key_specs() {
        let range = |specs: &[KeySpec]| populate_command_legacy_range_spec(specs);
        assert_eq!(range(NOKEYS), ((0, 0, 0), false));
        assert_eq!(range(&[ks(CMD_KEY_OW, 1, -1, 2)]), ((1, -1, 2), false));
        assert_eq!(range(RO_2), ((2, 2, 1), false));
        // BITOP: destination then sources, merged.
        let bitop = [ks(CMD_KEY_OW, 2, 0, 1), ks(CMD_KEY_RO, 3, -1, 1)];
        assert_eq!(range(&bitop), ((2, -1, 1), false));
        // Ranges that do not follow each other cannot be merged.
        let gap = [ks(CMD_KEY_OW, 1, 0, 1), ks(CMD_KEY_RO, 3, 0, 1)];
        assert_eq!(range(&gap), ((1, 1, 1), true));
        let keynum = KeySpec {
            flags: CMD_KEY_RO,
            begin_search: BeginSearch::Index(2),
            find_keys: FindKeys::Keynum {
                keynumidx: 0,
                firstkey: 1,
                keystep: 1,
            },
        };
        assert_eq!(range(&[ks(CMD_KEY_OW, 1, 0, 1), keynum]), ((1, 1, 1), true));
        assert_eq!(range(&[keynum, keynum]), ((0, 0, 0), true));
        let mut incomplete = ks(CMD_KEY_RO, 1, 0, 1);
        incomplete.flags |= CMD_KEY_INCOMPLETE;
        assert_eq!(range(&[incomplete]), ((1, 1, 1), true));
    }

    #[test]
    fn table_ranges_match_redis() {
        let cmds = populate_command_table();
        let get = |name: &str| {
            let e = &cmds.list[cmds.lookup_by_fullname(name.as_bytes()).expect(name)];
            (e.keys, e.flags & CMD_MOVABLE_KEYS != 0)
        };
        assert_eq!(get("get"), ((1, 1, 1), false));
        assert_eq!(get("mset"), ((1, -1, 2), false));
        assert_eq!(get("rename"), ((1, 2, 1), false));
        assert_eq!(get("lcs"), ((1, 2, 1), false));
        assert_eq!(get("bitop"), ((2, -1, 1), false));
        assert_eq!(get("object|encoding"), ((2, 2, 1), false));
        assert_eq!(get("ping"), ((0, 0, 0), false));
    }
}
