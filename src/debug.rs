//! The DEBUG command, the dataset digest and crash reports: a port of
//! `debug.c`.
//!
//! DEBUG is a grab bag for tests: it sleeps the whole server, switches the
//! active expire cycle off, fills the keyspace (POPULATE), shows a value's
//! internals (OBJECT) and fingerprints data (DIGEST, DIGEST-VALUE). The
//! digest follows C byte for byte (SHA-1 of each key and value, xor-ed
//! together so the order of an unordered collection does not matter, mixed
//! by re-hashing where order does), so a dataset has the same digest here
//! and in real Redis and tests can compare the two.
//!
//! The crash half writes Redis's bug report to the log when the process
//! dies of a fatal signal (the handlers `crash-log-enabled` installs) or a
//! Rust panic (the hook `main` installs), then lets it die: the opening and
//! closing banners and the "crashed by signal" / "Guru Meditation" lines
//! are those of Redis, which tools and tests look for.
//!
//! DEBUG is `CMD_PROTECTED`: `process_command` refuses it unless
//! `enable-debug-command` allows it.

use crate::networking::Client;
use crate::object::{get_positive_long_from_object_or_reply, ObjType, RObj, Value};
use crate::server::{server_log_raw, server_log_raw_text, Server, LL_WARNING, REDIS_VERSION};
use crate::sha1::{sha1, Sha1};
use std::sync::atomic::{AtomicBool, Ordering};

/// Settings that only DEBUG changes.
#[derive(Default)]
pub struct DebugState {
    /// DEBUG PAUSE-CRON: `server_cron` returns at once, doing nothing (so a
    /// signal's shutdown, for one, waits).
    pub pause_cron: bool,
}

// ----------------------------------------------------------------------
// Digests.
// ----------------------------------------------------------------------

/// `xorDigest`: digest ^= SHA1(data). Order-free: a ^ b == b ^ a.
pub fn xor_digest(digest: &mut [u8; 20], data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `mixDigest`: digest = SHA1(digest ^ SHA1(data)). Order matters, and
/// "foo" then "bar" differs from "fo" then "obar".
pub fn mix_digest(digest: &mut [u8; 20], data: &[u8]) {
    xor_digest(digest, data);
    let mut h = Sha1::new();
    h.update(&digest[..]);
    *digest = h.finalize();
}

/// `mixStringObjectDigest`: of the decoded string, so an `int` and a `raw`
/// holding the same text give the same digest.
fn mix_string_object_digest(digest: &mut [u8; 20], o: &RObj) {
    let mut buf = [0u8; 24];
    if let Some(s) = o.string_bytes(&mut buf) {
        mix_digest(digest, s);
    }
}

/// `xorObjectDigest`: mixes the type, the value and whether the key has a
/// TTL into `digest` (not reset first).
pub fn xor_object_digest(server: &Server, db: usize, key: &[u8], digest: &mut [u8; 20], o: &RObj) {
    let type_id: u32 = match o.obj_type() {
        ObjType::String => 0,
        ObjType::List => 1,
        ObjType::Set => 2,
        ObjType::Hash => 4,
        ObjType::ZSet => 3,
        ObjType::Stream => 6,
    };
    mix_digest(digest, &type_id.to_be_bytes());
    match &o.value {
        Value::List(_) => crate::t_list::mix_list_digest(digest, o),
        Value::Set(s) => s.digest(digest),
        Value::Hash(h) => h.digest(digest),
        Value::ZSet(z) => z.digest(digest),
        Value::Stream(s) => crate::t_stream::mix_stream_digest(digest, s),
        _ => mix_string_object_digest(digest, o),
    }
    if server.dbs[db].get_expire(key) != -1 {
        xor_digest(digest, b"!!expire!!");
    }
}

/// `computeDatasetDigest`: key/value digests xor-ed per database, the db
/// number mixed in so that the same data in another db differs.
pub fn compute_dataset_digest(server: &Server) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (j, db) in server.dbs.iter().enumerate() {
        if db.dict.is_empty() {
            continue;
        }
        mix_digest(&mut out, &(j as u32).to_be_bytes());
        for (key, o) in db.dict.iter() {
            let mut digest = [0u8; 20];
            mix_digest(&mut digest, key);
            xor_object_digest(server, j, key, &mut digest, o);
            xor_digest(&mut out, &digest);
        }
    }
    out
}

fn hex_digest(d: &[u8; 20]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

// ----------------------------------------------------------------------
// Parsing helpers with C's lenient semantics.
// ----------------------------------------------------------------------

/// `atoi`: leading blanks, a sign and digits; anything else ends it.
fn atoi(s: &[u8]) -> i64 {
    let s = &s[s
        .iter()
        .take_while(|&&b| crate::util::is_c_space(b))
        .count()..];
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut v: i64 = 0;
    for &d in s.iter().take_while(|b| b.is_ascii_digit()) {
        v = v.wrapping_mul(10).wrapping_add((d - b'0') as i64);
    }
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// `strtod` without an end pointer: the longest numeric prefix, 0 if none.
fn strtod_prefix(s: &[u8]) -> f64 {
    let s = &s[s
        .iter()
        .take_while(|&&b| crate::util::is_c_space(b))
        .count()..];
    let mut end = 0;
    let mut best = 0.0;
    // Numbers are short: trying each prefix is simple and cheap enough.
    while end < s.len() && end < 64 {
        end += 1;
        if let Some(v) = std::str::from_utf8(&s[..end])
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
        {
            best = v;
        }
    }
    best
}

/// `stringmatchlen_fuzz_test`: random patterns against random strings,
/// only to show that no input makes the matcher misbehave.
fn stringmatchlen_fuzz_test() -> u64 {
    let mut total = 0;
    let mut str_buf = [0u8; 32];
    let mut pat_buf = [0u8; 32];
    for _ in 0..10_000_000 {
        let slen = rand::random::<usize>() % str_buf.len();
        let plen = rand::random::<usize>() % pat_buf.len();
        for b in str_buf.iter_mut().take(slen) {
            *b = rand::random::<u8>() % 128;
        }
        for b in pat_buf.iter_mut().take(plen) {
            *b = rand::random::<u8>() % 128;
        }
        total += crate::util::string_match_len(&pat_buf[..plen], &str_buf[..slen], false) as u64;
    }
    total
}

// ----------------------------------------------------------------------
// The command.
// ----------------------------------------------------------------------

const DEBUG_HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];

/// DEBUG CLUSTERLINK KILL <to|from|all> <node-id>
fn debug_clusterlink_kill(server: &mut Server, c: &mut Client) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        c.add_reply_error("Debug option only available for cluster mode enabled setup!");
        return;
    };
    let Some(n) = cl.lookup_node(&c.argv[4]) else {
        c.add_reply_error(&format!(
            "Unknown node {}",
            String::from_utf8_lossy(&c.argv[4])
        ));
        return;
    };
    let (to, from) = (cl.nodes[n].link, cl.nodes[n].inbound_link);
    let links = match &c.argv[3].to_ascii_lowercase()[..] {
        b"from" => [from, None],
        b"to" => [to, None],
        b"all" => [to, from],
        _ => {
            c.add_reply_error(&format!(
                "Unknown direction {}",
                String::from_utf8_lossy(&c.argv[3])
            ));
            return;
        }
    };
    for l in links.into_iter().flatten() {
        cl.free_cluster_link(&mut server.el, l);
    }
    c.add_reply_ok();
}

/// DEBUG <subcommand> [<arg> ...]
///
/// The subcommands that need parts not ported yet (LOADAOF,
/// RESTART, OOM, ASSERT, HTSTATS, ...) answer like an unknown subcommand
/// for now.
pub fn debug_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    let argc = c.argv.len();
    match (&sub[..], argc) {
        (b"help", 2) => c.add_reply_help("debug", DEBUG_HELP),
        (b"log", 3) => {
            let msg = format!("DEBUG LOG: {}", String::from_utf8_lossy(&c.argv[2]));
            server.server_log(LL_WARNING, &msg);
            c.add_reply_ok();
        }
        // C leaks the string on purpose (for leak checkers); there is
        // nothing to gain from that here.
        (b"leak", 3) => c.add_reply_ok(),
        (b"segfault", _) => debug_segfault(),
        // safe: DEBUG PANIC exists to crash on purpose (a protected command).
        (b"panic", _) => panic!(
            "DEBUG PANIC called at Unix time {}",
            crate::util::mstime() / 1000
        ),
        (b"object", 3) => debug_object(server, c),
        (b"reload", _) => debug_reload(server, c),
        (b"populate", 3..=5) => debug_populate(server, c),
        (b"digest", 2) => {
            let d = compute_dataset_digest(server);
            c.add_reply_status(&hex_digest(&d));
        }
        (b"digest-value", _) => {
            c.add_reply_array_len(argc as i64 - 2);
            for j in 2..argc {
                // No lookup: a logically expired key still has a digest.
                let mut digest = [0u8; 20];
                if let Some(o) = server.dbs[c.db].dict.get(&c.argv[j][..]) {
                    xor_object_digest(server, c.db, &c.argv[j], &mut digest, o);
                }
                c.add_reply_status(&hex_digest(&digest));
            }
        }
        (b"protocol", 3) => debug_protocol(c),
        (b"sleep", 3) => {
            let secs = strtod_prefix(&c.argv[2]);
            let us = (secs * 1_000_000.0) as i64;
            if us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(us as u64));
            }
            c.add_reply_ok();
        }
        (b"drop-cluster-packet-filter", 3) => {
            let Some(t) = crate::util::string2ll(&c.argv[2]) else {
                c.add_reply_error("value is not an integer or out of range");
                return;
            };
            if let Some(cl) = server.cluster.as_deref_mut() {
                cl.drop_packet_filter = t;
            }
            c.add_reply_ok();
        }
        (b"clusterlink", 5) if c.argv[2].eq_ignore_ascii_case(b"kill") => {
            debug_clusterlink_kill(server, c)
        }
        (b"set-active-expire", 3) => {
            server.active_expire_enabled = atoi(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"set-skip-checksum-validation", 3) => {
            server.rdb.skip_checksum_validation = atoi(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"quicklist-packed-threshold", 3) => {
            // Up to a little under 4 GiB; 0 restores the default.
            match crate::util::memtoull(&c.argv[2]) {
                Some(sz) if crate::quicklist::set_packed_threshold(sz) => c.add_reply_ok(),
                _ => c.add_reply_error(
                    "argument must be a memory value bigger than 1 and smaller than 4gb",
                ),
            }
        }
        (b"error", 3) => {
            // Sent as raw protocol, as C does: the code is whatever the
            // message starts with, and no error statistics are counted.
            let mut err = b"-".to_vec();
            err.extend(
                c.argv[2]
                    .iter()
                    .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
            );
            err.extend_from_slice(b"\r\n");
            c.add_reply(&err);
        }
        (b"change-repl-id", 2) => {
            // Replication IDs do not exist yet; the command still succeeds
            // so that tests using it run.
            server.server_log(
                LL_WARNING,
                "Changing replication IDs after receiving DEBUG change-repl-id",
            );
            c.add_reply_ok();
        }
        (b"config-rewrite-force-all", 2) => {
            // C passes a missing config file on to fopen, which fails with
            // "Bad address"; the reply says so the same way.
            let res = match server.config.config_file.clone() {
                Some(path) => server
                    .config
                    .config_rewrite_with(std::path::Path::new(&path), true),
                None => Err("Bad address".to_string()),
            };
            match res {
                Ok(()) => c.add_reply_ok(),
                Err(e) => c.add_reply_error(&format!("CONFIG-REWRITE-FORCE-ALL failed: {e}")),
            }
        }
        (b"pause-cron", 3) => {
            server.debug.pause_cron = atoi(&c.argv[2]) != 0;
            c.add_reply_ok();
        }
        (b"stringmatch-test", 2) => {
            stringmatchlen_fuzz_test();
            c.add_reply_status("Apparently Redis did not crash: test passed");
        }
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

/// DEBUG OBJECT key: the internals of a value, read without a lookup so
/// that it works on logically expired keys and does not touch the clock.
fn debug_object(server: &mut Server, c: &mut Client) {
    let Some(o) = server.dbs[c.db].dict.get(&c.argv[2][..]) else {
        c.add_reply_error("no such key");
        return;
    };
    let line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        o as *const RObj,
        o.refcount(),
        o.encoding_name(),
        crate::rdb::rdb_saved_object_len(server, o, &c.argv[2], c.db),
        o.lru,
        server.estimate_object_idle_time(o.lru) / 1000
    );
    c.add_reply_status(&line);
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the dataset (unless
/// NOSAVE), empties memory (unless NOFLUSH) and loads the file back, so
/// tests can check that what was written reads back the same.
fn debug_reload(server: &mut Server, c: &mut Client) {
    let mut flush = true;
    let mut save = true;
    let mut flags = 0;
    for opt in &c.argv[2..] {
        if opt.eq_ignore_ascii_case(b"merge") {
            flags |= crate::rdb::load::RDBFLAGS_ALLOW_DUP;
        } else if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            c.add_reply_error("DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    let filename = server.config.dbfilename.clone();
    if save {
        let rsi = crate::rdb::save::rdb_populate_save_info(server);
        if !crate::rdb::save::rdb_save(server, &filename, rsi.as_ref()) {
            c.add_reply_error("-ERR");
            return;
        }
    }
    if flush {
        server.empty_data(-1);
    }
    // This client is out of the client table while it runs, so the
    // events served during the load cannot touch it (C protects it).
    if crate::rdb::load::rdb_load(server, &filename, None, flags).is_err() {
        c.add_reply_error("Error trying to load the RDB dump");
        return;
    }
    server.server_log(LL_WARNING, "DB reloaded by DEBUG RELOAD");
    c.add_reply_ok();
}

/// `debugDelay`: sleeps `usec` microseconds; a negative value sleeps one
/// microsecond with a probability of 1/-usec, for delays too short to sleep.
pub fn debug_delay(usec: i64) {
    let usec = if usec < 0 {
        rand::random::<u64>().is_multiple_of(usec.unsigned_abs()) as u64
    } else {
        usec as u64
    };
    if usec > 0 {
        std::thread::sleep(std::time::Duration::from_micros(usec));
    }
}

/// DEBUG POPULATE count [prefix] [size]: string keys `prefix:N` holding
/// `value:N`, cut or zero-padded to `size`. Existing keys are left alone.
fn debug_populate(server: &mut Server, c: &mut Client) {
    let Some(keys) = get_positive_long_from_object_or_reply(c, &c.argv[2].clone(), None) else {
        return;
    };
    let mut valsize = 0;
    if c.argv.len() == 5 {
        let Some(v) = get_positive_long_from_object_or_reply(c, &c.argv[4].clone(), None) else {
            return;
        };
        valsize = v as usize;
    }
    let prefix = if c.argv.len() == 3 {
        b"key".to_vec()
    } else {
        c.argv[3].clone()
    };
    let db = c.db;
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..keys as u64 {
        key.clear();
        key.extend_from_slice(&prefix);
        key.push(b':');
        crate::util::append_ull(&mut key, j);
        // C formats into a 128-byte buffer: longer names are cut.
        key.truncate(127);
        if server.lookup_key_write(db, &key).is_some() {
            continue;
        }
        let mut val = b"value:".to_vec();
        crate::util::append_ull(&mut val, j);
        if valsize != 0 {
            val.resize(valsize, 0);
        }
        server.db_add(db, &key, RObj::create_string_object(&val));
        server.signal_modified_key(db, &key);
    }
    c.add_reply_ok();
}

/// DEBUG PROTOCOL type: one sample reply of each RESP type.
fn debug_protocol(c: &mut Client) {
    let name = c.argv[2].to_ascii_lowercase();
    match &name[..] {
        b"string" => c.add_reply_bulk(b"Hello World"),
        b"integer" => c.add_reply_long_long(12345),
        // Not pi: the test value Redis sends, which clients check for.
        #[allow(clippy::approx_constant)]
        b"double" => c.add_reply_double(3.141),
        b"bignum" => c.add_reply_big_num(b"1234567999999999999999999999999999999"),
        b"null" => c.add_reply_null(),
        b"array" => {
            c.add_reply_array_len(3);
            for j in 0..3 {
                c.add_reply_long_long(j);
            }
        }
        b"set" => {
            c.add_reply_set_len(3);
            for j in 0..3 {
                c.add_reply_long_long(j);
            }
        }
        b"map" => {
            c.add_reply_map_len(3);
            for j in 0..3 {
                c.add_reply_long_long(j);
                c.add_reply_bool(j == 1);
            }
        }
        b"attrib" => {
            if c.resp >= 3 {
                c.add_reply_attribute_len(1);
                c.add_reply_bulk(b"key-popularity");
                c.add_reply_array_len(2);
                c.add_reply_bulk(b"key:123");
                c.add_reply_long_long(90);
            }
            // An attribute decorates a reply: one must follow it.
            c.add_reply_bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if c.resp < 3 {
                c.add_reply_error("RESP2 is not supported by this command");
                return;
            }
            c.add_reply_push_len(2);
            c.add_reply_bulk(b"server-cpu-usage");
            c.add_reply_long_long(42);
            // A push is out of band: a client waiting for the reply to the
            // command needs a normal reply too.
            c.add_reply_bulk(b"Some real reply following the push reply");
        }
        b"true" => c.add_reply_bool(true),
        b"false" => c.add_reply_bool(false),
        b"verbatim" => c.add_reply_verbatim(b"This is a verbatim\nstring", "txt"),
        _ => c.add_reply_error(
            "Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}

// ----------------------------------------------------------------------
// Crash reports.
// ----------------------------------------------------------------------

/// Whether `crash-log-enabled` asked for the fatal-signal handlers; read by
/// the panic hook, which has no server at hand, to decide on a stack trace.
static CRASH_LOG_ENABLED: AtomicBool = AtomicBool::new(false);

/// Set by the first bug report opening, so that a crash while reporting a
/// crash (a panic hook aborting, a fault inside the handler) does not open
/// a second one.
static BUG_REPORT_STARTED: AtomicBool = AtomicBool::new(false);

/// The signals that mean the process is broken rather than asked to stop.
const CRASH_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];

/// Size of the stack the handler runs on: a stack overflow leaves no room
/// on the normal one, and formatting a log line and a backtrace needs more
/// than the few KiB of the alternate stack Rust's runtime sets up.
const CRASH_STACK_SIZE: usize = 256 * 1024;

/// Part of `setupSignalHandlers`: a report on SIGSEGV, SIGBUS, SIGFPE,
/// SIGILL and SIGABRT. Each handler fires once (`SA_RESETHAND`) so that a
/// fault inside the report itself ends the process instead of looping.
pub fn setup_sigsegv_handlers() {
    install_crash_stack();
    // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value,
    // filled in before use; sigaction only reads it.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_NODEFER | libc::SA_RESETHAND | libc::SA_SIGINFO | libc::SA_ONSTACK;
        act.sa_sigaction = sigsegv_handler as *const () as libc::sighandler_t;
        for sig in CRASH_SIGNALS {
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
    CRASH_LOG_ENABLED.store(true, Ordering::SeqCst);
}

/// `removeSignalHandlers` (for the crash signals): back to the default
/// action, which kills the process (with a core dump where enabled).
pub fn remove_sigsegv_handlers() {
    // SAFETY: as in `setup_sigsegv_handlers`; SIG_DFL needs no handler.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut act.sa_mask);
        act.sa_flags = libc::SA_NODEFER | libc::SA_RESETHAND;
        act.sa_sigaction = libc::SIG_DFL;
        for sig in CRASH_SIGNALS {
            libc::sigaction(sig, &act, std::ptr::null_mut());
        }
    }
    CRASH_LOG_ENABLED.store(false, Ordering::SeqCst);
}

/// Gives the main thread an alternate signal stack large enough for the
/// report, once; later calls (CONFIG SET crash-log-enabled) keep it.
fn install_crash_stack() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    // Leaked on purpose: the kernel may switch to it until the process ends.
    let stack: &'static mut [u8] = Box::leak(vec![0u8; CRASH_STACK_SIZE].into_boxed_slice());
    let ss = libc::stack_t {
        ss_sp: stack.as_mut_ptr() as *mut libc::c_void,
        ss_flags: 0,
        ss_size: stack.len(),
    };
    // SAFETY: `ss` describes memory that stays valid for the life of the
    // process; sigaltstack only records it.
    unsafe {
        libc::sigaltstack(&ss, std::ptr::null_mut());
    }
}

/// `bugReportStart`: the opening banner, written once per process.
fn bug_report_start() {
    if !BUG_REPORT_STARTED.swap(true, Ordering::SeqCst) {
        server_log_raw_text("\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n");
    }
}

/// `bugReportEnd`: the closing banner, then death. A signal is re-raised
/// with its default action, so the parent sees the signal that killed us
/// and a core is dumped where enabled; anything else aborts.
fn bug_report_end(kill_via_signal: Option<libc::c_int>) -> ! {
    server_log_raw_text(
        "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n       \
         Please report the crash by opening an issue on github:\n\n           \
         http://github.com/redis/redis/issues\n\n  \
         This is redis-mio, a Rust port: a crash is its bug, not Redis's.\n\n",
    );
    if let Some(sig) = kill_via_signal {
        // SAFETY: resetting a disposition and signalling ourselves are
        // async-signal-safe; with SA_NODEFER the signal is delivered, with
        // its default fatal action, before kill returns.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut act.sa_mask);
            act.sa_flags = libc::SA_NODEFER | libc::SA_ONSTACK | libc::SA_RESETHAND;
            act.sa_sigaction = libc::SIG_DFL;
            libc::sigaction(sig, &act, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
        }
    }
    std::process::abort()
}

/// `logStackTrace`, from Rust's own unwinder (the binary keeps its
/// symbols, `debug = 1` in the release profile).
fn log_stack_trace() {
    server_log_raw_text("\n------ STACK TRACE ------\n");
    let bt = std::backtrace::Backtrace::force_capture();
    server_log_raw_text(&format!("\nBacktrace:\n{bt}\n"));
}

/// `sigsegvHandler`: reports a fatal signal and dies by it.
///
/// Like C's handler this formats, allocates and writes files, none of
/// which is async-signal-safe: a fault inside malloc could deadlock here.
/// The process is dying either way, and the report is worth that risk, as
/// Redis judges too; `SA_RESETHAND` makes a second fault simply kill us.
extern "C" fn sigsegv_handler(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _secret: *mut libc::c_void,
) {
    bug_report_start();
    // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO; the
    // union fields read are those it fills for these signals (si_addr
    // for faults, si_pid/si_uid for SI_USER).
    let (code, addr, sender) = unsafe {
        let info = &*info;
        let sender = (info.si_code == libc::SI_USER).then(|| (info.si_pid(), info.si_uid()));
        (info.si_code, info.si_addr(), sender)
    };
    server_log_raw(
        LL_WARNING,
        &format!("Redis {REDIS_VERSION} crashed by signal: {sig}, si_code: {code}"),
    );
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        server_log_raw(LL_WARNING, &format!("Accessing address: {addr:p}"));
    }
    if let Some((pid, uid)) = sender.filter(|&(pid, _)| pid != -1) {
        server_log_raw(LL_WARNING, &format!("Killed by PID: {pid}, UID: {uid}"));
    }
    log_stack_trace();
    bug_report_end(Some(sig))
}

/// Installed by `main`: a panic is reported like C's `serverPanic` and
/// the process aborts. Unwinding would leave the server running with a
/// command half applied (a key half written, a client half freed), which
/// is worse than stopping.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        // Any fault from here on is part of this report, not a new one.
        let with_trace = CRASH_LOG_ENABLED.load(Ordering::SeqCst);
        remove_sigsegv_handlers();
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_string()
        };
        let (file, line) = info.location().map_or(("?", 0), |l| (l.file(), l.line()));
        bug_report_start();
        server_log_raw(
            LL_WARNING,
            "------------------------------------------------",
        );
        server_log_raw(
            LL_WARNING,
            "!!! Software Failure. Press left mouse button to continue",
        );
        server_log_raw(
            LL_WARNING,
            &format!("Guru Meditation: {msg} #{file}:{line}"),
        );
        if with_trace {
            log_stack_trace();
        }
        bug_report_end(None)
    }));
}

/// DEBUG SEGFAULT: a real invalid write (to a read-only page), so the
/// report shows a genuine fault address rather than a raised signal.
fn debug_segfault() {
    // SAFETY: not sound by design: the write faults and the SIGSEGV
    // handler (or the default action) ends the process. The page is
    // mapped so that the address is ours and the fault is an access
    // error, never a write into memory something else owns.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            4096,
            libc::PROT_READ,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        std::ptr::write_volatile(p as *mut u8, b'x');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_number_parsing() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b"  -12abc"), -12);
        assert_eq!(atoi(b"abc"), 0);
        assert_eq!(strtod_prefix(b"0.5"), 0.5);
        assert_eq!(strtod_prefix(b"1.5s"), 1.5);
        assert_eq!(strtod_prefix(b"x"), 0.0);
    }

    #[test]
    fn digest_mixing_is_ordered_and_xor_is_not() {
        let mut a = [0u8; 20];
        let mut b = [0u8; 20];
        xor_digest(&mut a, b"x");
        xor_digest(&mut a, b"y");
        xor_digest(&mut b, b"y");
        xor_digest(&mut b, b"x");
        assert_eq!(a, b);
        let mut a = [0u8; 20];
        let mut b = [0u8; 20];
        mix_digest(&mut a, b"x");
        mix_digest(&mut a, b"y");
        mix_digest(&mut b, b"y");
        mix_digest(&mut b, b"x");
        assert_ne!(a, b);
    }
}
