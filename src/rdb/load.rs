//! Reading a dataset: `rdbLoadRio`, `rdbLoad`, the loading state and the
//! error reports of `rdb.c`, with `loadDataFromDisk` of server.c.
//!
//! Loading reads opcodes until EOF, putting each key in its database with
//! the expiry, LRU idle time or LFU frequency that preceded it; keys
//! already expired are dropped (a master owns expiry). While a file loads,
//! the server keeps answering: every `loading-process-events-interval-bytes`
//! the loop runs once without timers, so clients get `-LOADING` and INFO
//! shows the progress.
//!
//! A file that cannot be trusted stops the server, as upstream does: a
//! short read logs "Short read or OOM loading DB. Unrecoverable error,
//! aborting now.", a bad checksum "Wrong RDB checksum ...", and any
//! corruption the line "Internal error in RDB reading offset ..." naming
//! the rdb.c line that reported it, then "Terminating server after rdb file
//! reading failure." and exit code 1. Only a wrong signature or an unknown
//! version returns an error (EINVAL) for the caller to report.

use super::save::RdbSaveInfo;
use super::{
    rdb_load_len, rdb_load_millisecond_time, rdb_load_object, rdb_load_string, rdb_load_time,
    rdb_load_type, rdb_report_read_error, LoadResult, RdbLoadError, RDB_MODULE_OPCODE_UINT,
    RDB_OPCODE_AUX, RDB_OPCODE_EOF, RDB_OPCODE_EXPIRETIME, RDB_OPCODE_EXPIRETIME_MS,
    RDB_OPCODE_FREQ, RDB_OPCODE_FUNCTION, RDB_OPCODE_FUNCTION2, RDB_OPCODE_IDLE,
    RDB_OPCODE_MODULE_AUX, RDB_OPCODE_RESIZEDB, RDB_OPCODE_SELECTDB, RDB_VERSION,
};
use crate::dict::Entry;
use crate::rio::Rio;
use crate::sds::Sds;
use crate::server::{server_log_raw, Server, LL_DEBUG, LL_NOTICE, LL_VERBOSE, LL_WARNING};

/// `RDBFLAGS_AOF_PREAMBLE`: the RDB is the head of an AOF.
pub use super::save::RDBFLAGS_AOF_PREAMBLE;
/// `RDBFLAGS_ALLOW_DUP`: a key already present is replaced (DEBUG RELOAD
/// MERGE) instead of being fatal.
pub const RDBFLAGS_ALLOW_DUP: u32 = 1 << 2;

/// The loading fields of `struct redisServer` (INFO persistence).
#[derive(Default)]
pub struct LoadingState {
    pub loading_start_time: i64,
    pub loading_total_bytes: u64,
    pub loading_rdb_used_mem: u64,
    pub loading_loaded_bytes: u64,
    pub rdb_last_load_keys_expired: i64,
    pub rdb_last_load_keys_loaded: i64,
}

/// `rdbReportError` while loading a file: logs the report and stops the
/// server (C also runs the RDB checker on the file first).
fn rdb_report_error_and_exit(server: &Server, line: u32, msg: &str) -> ! {
    server.server_log(
        LL_WARNING,
        &format!(
            "Internal error in RDB reading offset {}, function at rdb.c:{line} -> {msg}",
            server.rdb.loading.loading_loaded_bytes
        ),
    );
    server.server_log(
        LL_WARNING,
        "Terminating server after rdb file reading failure.",
    );
    std::process::exit(1);
}

/// `rdbReportError` inside RESTORE: only a verbose log line, the command
/// answers with an error.
pub fn rdb_report_restore_error(server: &Server, err: &RdbLoadError) {
    if let RdbLoadError::Reported { line, msg, .. } = err {
        server.server_log(
            LL_VERBOSE,
            &format!(
                "Internal error in RDB reading offset {}, function at rdb.c:{line} -> {msg}",
                server.rdb.loading.loading_loaded_bytes
            ),
        );
    }
}

/// `startLoading`.
fn start_loading(server: &mut Server, size: u64) {
    server.loading = true;
    let l = &mut server.rdb.loading;
    l.loading_start_time = crate::util::mstime() / 1000;
    l.loading_loaded_bytes = 0;
    l.loading_total_bytes = size;
    l.loading_rdb_used_mem = 0;
    l.rdb_last_load_keys_expired = 0;
    l.rdb_last_load_keys_loaded = 0;
}

/// `stopLoading`.
fn stop_loading(server: &mut Server) {
    server.loading = false;
}

/// The event part of `rdbLoadProgressCallback`: each time another
/// `loading-process-events-interval-bytes` have been read, record the
/// progress and serve the clients once.
fn rdb_load_progress(server: &mut Server, rdb: &Rio, last: &mut u64) {
    let interval = server.config.loading_process_events_interval_bytes.max(1) as u64;
    if rdb.processed_bytes / interval == *last / interval {
        return;
    }
    *last = rdb.processed_bytes;
    server.rdb.loading.loading_loaded_bytes = rdb.processed_bytes;
    crate::ae::ae_process_events_while_blocked(server);
}

/// C's `atoi` on the four version digits.
fn atoi(s: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        v = v * 10 + (c - b'0') as i64;
    }
    v
}

/// C's `strtoll(s, NULL, 10)`: the leading number, 0 if none.
fn strtoll(s: &[u8]) -> i64 {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        v = v.saturating_mul(10).saturating_add((c - b'0') as i64);
    }
    if neg {
        -v
    } else {
        v
    }
}

/// The AUX field `key` = `val`: logged or remembered as upstream does;
/// unknown fields are skipped, as the format requires.
fn rdb_load_aux_field(
    server: &mut Server,
    key: &[u8],
    val: &[u8],
    rsi: &mut Option<&mut RdbSaveInfo>,
) {
    let k = String::from_utf8_lossy(key);
    let v = String::from_utf8_lossy(val);
    if key.first() == Some(&b'%') {
        server.server_log(LL_NOTICE, &format!("RDB '{k}': {v}"));
    } else if key.eq_ignore_ascii_case(b"repl-stream-db") {
        if let Some(rsi) = rsi {
            rsi.repl_stream_db = strtoll(val);
        }
    } else if key.eq_ignore_ascii_case(b"repl-id") {
        if let Some(rsi) = rsi {
            if val.len() == crate::replication::CONFIG_RUN_ID_SIZE {
                rsi.repl_id = Some(v.into_owned());
            }
        }
    } else if key.eq_ignore_ascii_case(b"repl-offset") {
        if let Some(rsi) = rsi {
            rsi.repl_offset = strtoll(val);
        }
    } else if key.eq_ignore_ascii_case(b"lua") {
        // Scripts are not loaded from RDB files any more.
    } else if key.eq_ignore_ascii_case(b"redis-ver") {
        server.server_log(LL_NOTICE, &format!("Loading RDB produced by version {v}"));
    } else if key.eq_ignore_ascii_case(b"ctime") {
        let age = (crate::util::mstime() / 1000 - strtoll(val)).max(0);
        server.server_log(LL_NOTICE, &format!("RDB age {age} seconds"));
    } else if key.eq_ignore_ascii_case(b"used-mem") {
        let usedmem = strtoll(val);
        server.server_log(
            LL_NOTICE,
            &format!(
                "RDB memory usage when created {:.2} Mb",
                usedmem as f64 / (1024.0 * 1024.0)
            ),
        );
        server.rdb.loading.loading_rdb_used_mem = usedmem.max(0) as u64;
    } else if key.eq_ignore_ascii_case(b"aof-preamble") {
        if strtoll(val) != 0 {
            server.server_log(LL_NOTICE, "RDB has an AOF tail");
        }
    } else if key.eq_ignore_ascii_case(b"aof-base") {
        if strtoll(val) != 0 {
            server.server_log(LL_NOTICE, "RDB is base AOF");
        }
    } else if key.eq_ignore_ascii_case(b"redis-bits") {
        // Nothing to do with it.
    } else {
        server.server_log(LL_DEBUG, &format!("Unrecognized RDB AUX field: '{k}'"));
    }
}

/// `rdbFunctionLoad`: reads a function library. There is no scripting
/// engine yet, so a library can be read but not created: the error is
/// what creating it fails with.
fn rdb_function_load(rdb: &mut Rio, t: u8) -> Result<(), String> {
    let payload = if t == RDB_OPCODE_FUNCTION {
        // The format of 7.0 release candidates: name, engine, optional
        // description, then the code.
        let name = rdb_load_string(rdb).map_err(|_| "Failed loading library name")?;
        let engine = rdb_load_string(rdb).map_err(|_| "Failed loading engine name")?;
        let has_desc =
            rdb_load_len(rdb).map_err(|_| "Failed loading library description indicator")?;
        if has_desc != 0 {
            rdb_load_string(rdb).map_err(|_| "Failed loading library description")?;
        }
        let blob = rdb_load_string(rdb).map_err(|_| "Failed loading library blob")?;
        let mut p = b"#!".to_vec();
        p.extend_from_slice(&engine);
        p.extend_from_slice(b" name=");
        p.extend_from_slice(&name);
        p.push(b'\n');
        p.extend_from_slice(&blob);
        p
    } else {
        rdb_load_string(rdb).map_err(|_| "Failed loading library payload")?
    };
    let Some(shebang) = payload.strip_prefix(b"#!") else {
        return Err("Missing library metadata".to_string());
    };
    let engine: Vec<u8> = shebang
        .iter()
        .take_while(|&&c| c != b' ' && c != b'\n')
        .copied()
        .collect();
    Err(format!(
        "Engine '{}' not found",
        String::from_utf8_lossy(&engine)
    ))
}

/// The body of `rdbLoadRioWithLoadingCtx` after the header.
fn rdb_load_body(
    server: &mut Server,
    rdb: &mut Rio,
    rdbver: u32,
    rdbflags: u32,
    mut rsi: Option<&mut RdbSaveInfo>,
) -> LoadResult<()> {
    let mut dbid = 0usize;
    let mut empty_keys_skipped: i64 = 0;
    // Key attributes, set by the opcodes before a key.
    let (mut lru_idle, mut lfu_freq, mut expiretime) = (-1i64, -1i64, -1i64);
    let now = crate::util::mstime();
    let lru_clock = server.lru_clock() as i64;
    let mut last_progress = rdb.processed_bytes;

    loop {
        rdb_load_progress(server, rdb, &mut last_progress);
        let t = rdb_load_type(rdb)?;
        match t {
            RDB_OPCODE_EXPIRETIME => {
                expiretime = rdb_load_time(rdb)?.saturating_mul(1000);
                continue;
            }
            RDB_OPCODE_EXPIRETIME_MS => {
                expiretime = rdb_load_millisecond_time(rdb, rdbver)?;
                continue;
            }
            RDB_OPCODE_FREQ => {
                lfu_freq = rdb_load_type(rdb)? as i64;
                continue;
            }
            RDB_OPCODE_IDLE => {
                lru_idle = rdb_load_len(rdb)? as i64;
                continue;
            }
            RDB_OPCODE_EOF => break,
            RDB_OPCODE_SELECTDB => {
                let id = rdb_load_len(rdb)?;
                if id >= server.dbs.len() as u64 {
                    server.server_log(
                        LL_WARNING,
                        &format!(
                            "FATAL: Data file was created with a Redis server configured to handle more than {} databases. Exiting\n",
                            server.dbs.len()
                        ),
                    );
                    std::process::exit(1);
                }
                dbid = id as usize;
                continue;
            }
            RDB_OPCODE_RESIZEDB => {
                let db_size = rdb_load_len(rdb)?;
                let expires_size = rdb_load_len(rdb)?;
                // A hint only, believed as far as the file could hold that
                // many keys, so a corrupt one cannot make us allocate wildly.
                let plausible = server.rdb.loading.loading_total_bytes;
                let db = &mut server.dbs[dbid];
                db.dict.expand(db_size.min(plausible) as usize);
                db.expires.expand(expires_size.min(plausible) as usize);
                continue;
            }
            RDB_OPCODE_AUX => {
                let key = rdb_load_string(rdb)?;
                let val = rdb_load_string(rdb)?;
                rdb_load_aux_field(server, &key, &val, &mut rsi);
                continue;
            }
            RDB_OPCODE_MODULE_AUX => {
                let moduleid = rdb_load_len(rdb)?;
                let when_opcode = rdb_load_len(rdb)?;
                rdb_load_len(rdb)?;
                if when_opcode != RDB_MODULE_OPCODE_UINT {
                    return Err(rdb_report_read_error(3066, "bad when_opcode".to_string()));
                }
                // No module is ever loaded, so none can take its data.
                server.server_log(
                    LL_WARNING,
                    &format!(
                        "The RDB file contains AUX module data I can't load: no matching module '{}'",
                        super::module_type_name_by_id(moduleid)
                    ),
                );
                std::process::exit(1);
            }
            RDB_OPCODE_FUNCTION | RDB_OPCODE_FUNCTION2 => {
                if let Err(e) = rdb_function_load(rdb, t) {
                    server.server_log(LL_WARNING, &format!("Failed loading library, {e}"));
                    return Err(RdbLoadError::Eof);
                }
                continue;
            }
            _ => {}
        }

        let key = rdb_load_string(rdb)?;
        match rdb_load_object(server, t, rdb, &key, dbid) {
            Err(RdbLoadError::EmptyKey) => {
                // Older versions could write empty collections: skip them.
                if empty_keys_skipped < 10 {
                    server.server_log(
                        LL_WARNING,
                        &format!(
                            "rdbLoadObject skipping empty key: {}",
                            String::from_utf8_lossy(&key)
                        ),
                    );
                }
                empty_keys_skipped += 1;
            }
            Err(e) => return Err(e),
            Ok(_)
                if rdbflags & RDBFLAGS_AOF_PREAMBLE == 0
                    && expiretime != -1
                    && expiretime < now =>
            {
                // Replicas would get a DEL here; there are none at load.
                server.rdb.loading.rdb_last_load_keys_expired += 1;
            }
            Ok(mut val) => {
                val.lru = server.new_object_lru();
                super::object_set_lru_or_lfu(server, &mut val, lfu_freq, lru_idle, lru_clock, 1000);
                server.rdb.loading.rdb_last_load_keys_loaded += 1;
                let key = Sds::from(key);
                let expire_key = (expiretime != -1).then(|| key.clone());
                db_add_rdb_load(server, dbid, key, val, rdbflags);
                if let Some(k) = expire_key {
                    server.dbs[dbid].expires.insert(k, expiretime);
                }
            }
        }
        if server.config.key_load_delay != 0 {
            crate::debug::debug_delay(server.config.key_load_delay);
        }
        expiretime = -1;
        lfu_freq = -1;
        lru_idle = -1;
    }

    // Version 5 added the checksum trailer.
    if rdbver >= 5 {
        let expected = rdb.cksum;
        let mut b = [0u8; 8];
        if !rdb.rio_read(&mut b) {
            return Err(RdbLoadError::Eof);
        }
        let cksum = u64::from_le_bytes(b);
        if server.config.rdbchecksum && !server.rdb.skip_checksum_validation {
            if cksum == 0 {
                server.server_log(
                    LL_WARNING,
                    "RDB file was saved with checksum disabled: no check performed.",
                );
            } else if cksum != expected {
                server.server_log(
                    LL_WARNING,
                    &format!(
                        "Wrong RDB checksum expected: ({expected:x}) but got ({cksum:x}). Aborting now."
                    ),
                );
                return Err(super::rdb_report_corrupt(3225, "RDB CRC error".to_string()));
            }
        }
    }
    let l = &server.rdb.loading;
    if empty_keys_skipped > 0 {
        server.server_log(
            LL_WARNING,
            &format!(
                "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {empty_keys_skipped}.",
                l.rdb_last_load_keys_loaded, l.rdb_last_load_keys_expired
            ),
        );
    } else {
        server.server_log(
            LL_NOTICE,
            &format!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                l.rdb_last_load_keys_loaded, l.rdb_last_load_keys_expired
            ),
        );
    }
    Ok(())
}

/// `dbAddRDBLoad`, with the duplicate handling of the caller: a key met
/// twice replaces the first with `RDBFLAGS_ALLOW_DUP`, else the file is
/// bad and the server stops (C panics).
fn db_add_rdb_load(
    server: &mut Server,
    dbid: usize,
    key: Sds,
    val: crate::object::RObj,
    rdbflags: u32,
) {
    let allow_dup = rdbflags & RDBFLAGS_ALLOW_DUP != 0;
    let d = &mut server.dbs[dbid];
    match d.dict.entry(key.as_bytes()) {
        Entry::Vacant(e) => e.insert(key, val),
        Entry::Occupied(mut e) if allow_dup => {
            if let Some(slot) = e.get_mut() {
                *slot = val;
            }
            d.expires.remove(key.as_bytes());
        }
        Entry::Occupied(_) => {
            server_log_raw(
                LL_WARNING,
                &format!(
                    "RDB has duplicated key '{}' in DB {dbid}",
                    String::from_utf8_lossy(key.as_bytes())
                ),
            );
            server_log_raw(
                LL_WARNING,
                "Guru Meditation: Duplicated key found in RDB file #rdb.c:3184",
            );
            std::process::exit(1);
        }
    }
}

/// Why `rdb_load_rio` / `rdb_load` failed without stopping the server.
#[derive(Debug)]
pub enum RdbLoadFailure {
    /// The file could not be opened (`errno` of fopen).
    Io(std::io::Error),
    /// Not an RDB file, or a version we cannot read (`EINVAL`).
    Invalid,
}

/// `rdbLoadRio` for a file: Ok, or the header was wrong; any other
/// problem stops the server after its report.
pub fn rdb_load_rio(
    server: &mut Server,
    rdb: &mut Rio,
    rdbflags: u32,
    rsi: Option<&mut RdbSaveInfo>,
) -> Result<(), RdbLoadFailure> {
    rdb.update_cksum = server.config.rdbchecksum;
    let mut buf = [0u8; 9];
    let res = if !rdb.rio_read(&mut buf) {
        Err(RdbLoadError::Eof)
    } else if &buf[..5] != b"REDIS" {
        server.server_log(LL_WARNING, "Wrong signature trying to load DB from file");
        return Err(RdbLoadFailure::Invalid);
    } else {
        let rdbver = atoi(&buf[5..]);
        if rdbver < 1 || rdbver > RDB_VERSION as i64 {
            server.server_log(
                LL_WARNING,
                &format!("Can't handle RDB format version {rdbver}"),
            );
            return Err(RdbLoadFailure::Invalid);
        }
        rdb_load_body(server, rdb, rdbver as u32, rdbflags, rsi)
    };
    match res {
        Ok(()) => Ok(()),
        Err(RdbLoadError::Reported { line, msg, .. }) => {
            rdb_report_error_and_exit(server, line, &msg)
        }
        Err(RdbLoadError::Eof) | Err(RdbLoadError::EmptyKey) => {
            server.server_log(
                LL_WARNING,
                "Short read or OOM loading DB. Unrecoverable error, aborting now.",
            );
            rdb_report_error_and_exit(server, 3249, "Unexpected EOF reading RDB file")
        }
    }
}

/// `rdbLoad`: loads `filename`, with the loading state around it.
pub fn rdb_load(
    server: &mut Server,
    filename: &str,
    rsi: Option<&mut RdbSaveInfo>,
    rdbflags: u32,
) -> Result<(), RdbLoadFailure> {
    let f = std::fs::File::open(filename).map_err(RdbLoadFailure::Io)?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    start_loading(server, size);
    let mut rdb = Rio::with_file_reader(f);
    let res = rdb_load_rio(server, &mut rdb, rdbflags, rsi);
    stop_loading(server);
    res
}

/// `loadDataFromDisk` for RDB persistence: the dataset at start-up. A
/// missing file means an empty dataset; any other failure ends the process.
pub fn load_data_from_disk(server: &mut Server) {
    let start = crate::util::ustime();
    let mut rsi = RdbSaveInfo::default();
    let filename = server.config.dbfilename.clone();
    match rdb_load(server, &filename, Some(&mut rsi), 0) {
        Ok(()) => {
            server.server_log(
                LL_NOTICE,
                &format!(
                    "DB loaded from disk: {:.3} seconds",
                    (crate::util::ustime() - start) as f32 / 1_000_000.0
                ),
            );
            // A master takes the replication history back from its file.
            if let Some(id) = rsi.repl_id {
                if rsi.repl_offset != -1 && rsi.repl_stream_db != -1 {
                    server.repl.replid = id;
                    server.repl.master_repl_offset = rsi.repl_offset;
                }
            }
        }
        Err(RdbLoadFailure::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            let err = match e {
                RdbLoadFailure::Io(e) => crate::config::helpers::strerror(&e),
                RdbLoadFailure::Invalid => "Invalid argument".to_string(),
            };
            server.server_log(
                LL_WARNING,
                &format!("Fatal error loading the DB: {err}. Exiting."),
            );
            std::process::exit(1);
        }
    }
}
