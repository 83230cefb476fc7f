//! redis-mio: redis-server 7.0.15 ported to Rust.
//!
//! One thread runs one mio loop (`ae`), exactly like the C server's `ae.c`.
//! Every module is named after the C file it ports, and functions keep the C
//! names in snake_case, so this crate can be read beside the Redis source.
//!
//! Layout:
//! - `server`: the global state, `main`, the cron, `process_command`/`call`.
//! - `ae`, `anet`, `networking`: the event loop, sockets, clients and RESP.
//! - `commands`: the command table.
//! - `db`, `expire`, `object`, `dict`, `sds`: the keyspace and its values.
//! - `t_string`, `bitops`: string commands, bitmaps and bit fields.
//! - `slowlog`, `latency`: the slow log and the latency monitor (MEMORY is
//!   in `object`).
//! - `evict`: the LRU/LFU access clocks of values.
//! - `debug`, `sha1`: the DEBUG command and the dataset digest.
//! - `t_string`: string commands.
//! - `config`, `util`: configuration and shared helpers.
//! - `acl`: the default user, AUTH, command categories.
//! - `blocked`: clients waiting (for now: postponed by CLIENT PAUSE).
//! - `replication`: replication IDs and the MONITOR feed.
//! - `zmalloc`, `hdr_histogram`: memory accounting and latency histograms.

pub mod acl;
pub mod ae;
pub mod anet;
pub mod bitops;
pub mod blocked;
pub mod commands;
pub mod config;
pub mod db;
pub mod debug;
pub mod dict;
pub mod evict;
pub mod expire;
pub mod latency;
pub mod networking;
pub mod object;
pub mod replication;
pub mod sds;
pub mod server;
pub mod sha1;
pub mod siphash;
pub mod slowlog;
pub mod t_string;
pub mod util;
pub mod zmalloc;
