//! redis-mio: redis-server 7.0.15 ported to Rust.
//!
//! One thread runs one mio loop (`ae`), exactly like the C server's `ae.c`.
//! Every module is named after the C file it ports, and functions keep the C
//! names in snake_case, so this crate can be read beside the Redis source.
pub mod config;
