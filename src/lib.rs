//! redis-mio: redis-server 7.0.15 ported to Rust.
//!
//! One thread runs one mio loop (`ae`), exactly like the C server's `ae.c`.
//! Every module is named after the C file it ports, and functions keep the C
//! names in snake_case, so this crate can be read beside the Redis source.
//!
//! Layout (C file in brackets):
//! - `server` (server.c): the global state, `main`, `server_cron`,
//!   `before_sleep`, `process_command` and `call`; `server::info` is INFO,
//!   `server::command` the COMMAND command.
//! - `ae` (ae.c), `anet` (anet.c), `networking` (networking.c): the event
//!   loop, sockets, clients, RESP parsing and replies; `networking::client_cmd`
//!   is CLIENT, HELLO, RESET and QUIT.
//! - `commands` (commands.c): the command table.
//! - `db` (db.c), `expire` (expire.c), `object` (object.c, with MEMORY),
//!   `evict` (evict.c: LRU/LFU clocks), `dict` (dict.c), `sds` (sds.c),
//!   `siphash` (siphash.c): the keyspace and its values; `listpack`
//!   (listpack.c): the compact serialised encoding of small collections.
//! - `t_string` (t_string.c), `bitops` (bitops.c): strings and bitmaps.
//! - `cluster` (cluster.c, cluster.h): Redis Cluster; `cluster::msg` is the
//!   bus wire format.
//! - `t_list` (t_list.c), `quicklist` (quicklist.c): lists.
//! - `t_set` (t_set.c) with `intset` (intset.c), `t_hash` (t_hash.c): sets
//!   and hashes in their compact and hashtable encodings.
//! - `t_stream` (t_stream.c, stream.h): streams and consumer groups.
//! - `t_zset` (t_zset.c, a folder by the C file's sections): sorted sets,
//!   listpack or skiplist encoded.
//! - `config` (config.c): redis.conf, CONFIG GET/SET/REWRITE.
//! - `slowlog` (slowlog.c), `latency` (latency.c, with the latency
//!   histograms), `debug` (debug.c: DEBUG, crash reports), `sha1` (sha1.c).
//! - `acl` (acl.c: the default user and AUTH), `blocked` (blocked.c: clients
//!   postponed by CLIENT PAUSE or blocked on keys), `replication` (replication.c: for
//! - `multi` (multi.c: MULTI/EXEC/WATCH), `pubsub` (pubsub.c: channels,
//!   patterns, shard channels), `notify` (notify.c: keyspace events).
//! - `eval` (eval.c: EVAL, SCRIPT), `functions` (functions.c: FUNCTION,
//!   FCALL), `script` (script.c: the rules of a script run, busy scripts),
//!   `script_lua` (script_lua.c: the Lua engine, sandbox and conversions),
//!   `function_lua` (function_lua.c: `redis.register_function`).
//! - `acl` (acl.c: the default user and AUTH), `blocked` (blocked.c: for now
//!   clients postponed by CLIENT PAUSE), `replication` (replication.c: for
//!   now replication IDs and the MONITOR feed), `zmalloc` (zmalloc.c: memory
//!   accounting), `util` (util.c).
//! - `rdb` (rdb.c: the RDB format, SAVE/BGSAVE, loading), `rio` (rio.c:
//!   the streams it reads and writes), `lzf` (liblzf), `crc64` (crc64.c),
//!   `childinfo` (childinfo.c: what a forked child reports);
//!   DUMP and RESTORE are in `cluster::migrate` as in cluster.c.

pub mod acl;
pub mod ae;
pub mod anet;
pub mod bitops;
pub mod blocked;
pub mod childinfo;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod crc64;
pub mod db;
pub mod debug;
pub mod dict;
pub mod eval;
pub mod evict;
pub mod expire;
pub mod function_lua;
pub mod functions;
pub mod intset;
pub mod latency;
pub mod listpack;
pub mod lzf;
pub mod multi;
pub mod networking;
pub mod notify;
pub mod object;
pub mod pubsub;
pub mod quicklist;
pub mod rdb;
pub mod replication;
pub mod rio;
pub mod script;
pub mod script_lua;
pub mod sds;
pub mod server;
pub mod sha1;
pub mod siphash;
pub mod slowlog;
pub mod t_hash;
pub mod t_list;
pub mod t_set;
pub mod t_stream;
pub mod t_string;
pub mod t_zset;
pub mod util;
pub mod ziplist;
pub mod zmalloc;
