//! Values stored in the keyspace: a port of `object.c`.
//!
//! In C every value is an `robj` (type, encoding, LRU clock, refcount,
//! pointer). Here a value is an [`RObj`]: the LRU/LFU clock plus a [`Value`]
//! enum whose variant is the *encoding*, so a match on it is the switch on
//! `o->encoding` of the C code. Sharing (`refcount`) is not needed in Rust:
//! values are owned by the keyspace and moved, never aliased.
//!
//! Strings come in the three encodings Redis reports to OBJECT ENCODING:
//! `int` (a number that fits a long), `embstr` (created at most 44 bytes
//! long and never modified in place) and `raw` (everything else).
//!
//! The OBJECT command and the `get*FromObjectOrReply` helpers, which read a
//! number out of an argument and reply with Redis's error when it is not
//! one, live here as in C.

use crate::db::{LOOKUP_NONOTIFY, LOOKUP_NOTOUCH};
use crate::networking::Client;
use crate::sds::Sds;
use crate::server::Server;
use crate::util::{ll2string, string2l};

/// `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`: longer strings are created raw.
pub const OBJ_ENCODING_EMBSTR_SIZE_LIMIT: usize = 44;
/// `OBJ_SHARED_INTEGERS`: Redis shares the objects of 0..10000; OBJECT
/// REFCOUNT reports them as shared.
pub const OBJ_SHARED_INTEGERS: i64 = 10000;
/// `OBJ_SHARED_REFCOUNT`, what OBJECT REFCOUNT prints for shared objects.
pub const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// The type of a value, as TYPE names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjType {
    String,
    List,
    Set,
    Hash,
    Stream,
    ZSet,
}

impl ObjType {
    pub fn name(self) -> &'static str {
        match self {
            ObjType::String => "string",
            ObjType::List => "list",
            ObjType::Set => "set",
            ObjType::Hash => "hash",
            ObjType::Stream => "stream",
            ObjType::ZSet => "zset",
        }
    }
}

/// A value's representation; the variant is the encoding.
#[derive(Clone, Debug)]
pub enum Value {
    /// `OBJ_ENCODING_INT`
    Int(i64),
    /// `OBJ_ENCODING_EMBSTR`: short, immutable.
    EmbStr(Sds),
    /// `OBJ_ENCODING_RAW`: long, or modified in place (APPEND, SETRANGE...).
    Raw(Vec<u8>),
    /// `OBJ_LIST`, always `OBJ_ENCODING_QUICKLIST` in 7.0.
    List(crate::quicklist::Quicklist),
    /// A set: `intset` or `hashtable` (t_set.rs).
    Set(crate::t_set::SetValue),
    /// A hash: `listpack` or `hashtable` (t_hash.rs).
    Hash(crate::t_hash::HashValue),
    /// `OBJ_STREAM`, always `OBJ_ENCODING_STREAM`; boxed, being large.
    Stream(Box<crate::t_stream::Stream>),
    /// A sorted set, `listpack` or `skiplist` encoded (t_zset.rs).
    ZSet(crate::t_zset::ZSetValue),
}

/// A keyspace value with its access clock (LRU seconds or LFU counter).
#[derive(Clone, Debug)]
pub struct RObj {
    pub value: Value,
    pub lru: u32,
}

impl RObj {
    pub fn new(value: Value) -> RObj {
        RObj { value, lru: 0 }
    }

    /// `createStringObject`: embstr up to 44 bytes, raw above.
    pub fn create_string_object(s: &[u8]) -> RObj {
        if s.len() <= OBJ_ENCODING_EMBSTR_SIZE_LIMIT {
            RObj::new(Value::EmbStr(Sds::new(s)))
        } else {
            RObj::new(Value::Raw(s.to_vec()))
        }
    }

    /// `createStringObjectFromLongLong`.
    pub fn create_string_object_from_long_long(v: i64) -> RObj {
        RObj::new(Value::Int(v))
    }

    /// `tryObjectEncoding` for an argument about to be stored: numbers that
    /// fit a long become `int`, short strings `embstr`; takes ownership of
    /// the argument so a large value is stored without a copy.
    pub fn try_object_encoding(s: Vec<u8>) -> RObj {
        if s.len() <= 20 {
            if let Some(v) = string2l(&s) {
                return RObj::new(Value::Int(v));
            }
        }
        if s.len() <= OBJ_ENCODING_EMBSTR_SIZE_LIMIT {
            RObj::new(Value::EmbStr(Sds::new(&s)))
        } else {
            RObj::new(Value::Raw(s))
        }
    }

    pub fn obj_type(&self) -> ObjType {
        match self.value {
            Value::Int(_) | Value::EmbStr(_) | Value::Raw(_) => ObjType::String,
            Value::List(_) => ObjType::List,
            Value::Set(_) => ObjType::Set,
            Value::Hash(_) => ObjType::Hash,
            Value::Stream(_) => ObjType::Stream,
            Value::ZSet(_) => ObjType::ZSet,
        }
    }

    /// `strEncoding`: the name OBJECT ENCODING prints.
    pub fn encoding_name(&self) -> &'static str {
        match &self.value {
            Value::Int(_) => "int",
            Value::EmbStr(_) => "embstr",
            Value::Raw(_) => "raw",
            Value::List(_) => "quicklist",
            Value::Set(s) => s.encoding_name(),
            Value::Hash(h) => h.encoding_name(),
            Value::Stream(_) => "stream",
            Value::ZSet(z) => z.encoding_name(),
        }
    }

    /// OBJECT REFCOUNT: shared small integers report `OBJ_SHARED_REFCOUNT`.
    pub fn refcount(&self) -> i64 {
        match self.value {
            Value::Int(v) if (0..OBJ_SHARED_INTEGERS).contains(&v) => OBJ_SHARED_REFCOUNT,
            _ => 1,
        }
    }

    /// The bytes of a string value, `None` for any other type; an `int`
    /// is written into `buf`. Callers need no separate type check.
    pub fn string_bytes<'a>(&'a self, buf: &'a mut [u8; 24]) -> Option<&'a [u8]> {
        match &self.value {
            Value::Int(v) => {
                let n = ll2string(buf, *v);
                Some(&buf[..n])
            }
            Value::EmbStr(s) => Some(s.as_bytes()),
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// `getObjectReadOnlyString`: like `string_bytes`, for callers that hold
    /// several values at once (an `int` is printed into a new buffer).
    pub fn string_value(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        use std::borrow::Cow;
        match &self.value {
            Value::Int(v) => Some(Cow::Owned(crate::util::ll_to_bytes(*v))),
            Value::EmbStr(s) => Some(Cow::Borrowed(s.as_bytes())),
            Value::Raw(v) => Some(Cow::Borrowed(v)),
            _ => None,
        }
    }

    /// `stringObjectLen`, `None` for any other type.
    pub fn string_len(&self) -> Option<usize> {
        let mut buf = [0u8; 24];
        self.string_bytes(&mut buf).map(|b| b.len())
    }

    /// The string as an owned, modifiable buffer, turning the value `raw`
    /// (`dbUnshareStringValue`): used by APPEND and SETRANGE.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        let bytes = match &self.value {
            Value::Raw(_) => None,
            Value::Int(v) => Some(v.to_string().into_bytes()),
            Value::EmbStr(s) => Some(s.to_vec()),
            _ => return None,
        };
        if let Some(b) = bytes {
            self.value = Value::Raw(b);
        }
        match &mut self.value {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// `getLongLongFromObject` on a string value.
    pub fn get_long_long(&self) -> Option<i64> {
        match &self.value {
            Value::Int(v) => Some(*v),
            Value::EmbStr(s) => crate::util::string2ll(s),
            Value::Raw(v) => crate::util::string2ll(v),
            _ => None,
        }
    }
}

// ----------------------------------------------------------------------
// The MEMORY command (memoryCommand of object.c).
//
// The C server asks its allocator for exact sizes. Here the sizes are
// estimates from our own layout (`size_of` of the structures plus the heap
// buffers they own); process totals come from glibc (`mallinfo2`) and
// /proc. What we cannot measure (allocator internals, replication and AOF
// buffers that do not exist yet) is reported as 0.
// ----------------------------------------------------------------------

/// Bytes a heap-allocated `Sds` owns besides itself (inline ones: none).
fn sds_heap_size(s: &Sds) -> usize {
    if s.is_inline() {
        0
    } else {
        s.len()
    }
}

/// `objectComputeSize`: the value object and the buffers it owns.
pub fn object_compute_size(o: &RObj) -> usize {
    let heap = match &o.value {
        Value::Int(_) => 0,
        Value::EmbStr(s) => sds_heap_size(s),
        Value::Raw(v) => v.capacity(),
        Value::List(ql) => crate::t_list::list_compute_size(ql),
        Value::Set(s) => s.memory(),
        Value::Hash(h) => h.memory(),
        Value::Stream(s) => crate::t_stream::stream_compute_size(s),
        Value::ZSet(z) => z.mem_usage(),
    };
    std::mem::size_of::<RObj>() + heap
}

/// What one table entry costs beyond its key and value: a bucket pointer.
const DICT_ENTRY_OVERHEAD: usize = std::mem::size_of::<usize>();

/// Estimated memory of a client: the struct and its buffers.
fn client_memory(c: &Client) -> usize {
    std::mem::size_of::<Client>() + c.querybuf.capacity() + c.buf.capacity() + c.reply_bytes
}

/// `struct redisMemOverhead`: the numbers MEMORY STATS and DOCTOR use.
struct MemOverhead {
    total_allocated: usize,
    startup_allocated: usize,
    peak_allocated: usize,
    clients_normal: usize,
    /// Per non-empty database: (id, main table, expires table, slot index).
    dbs: Vec<(usize, usize, usize, usize)>,
    overhead_total: usize,
    total_keys: usize,
    bytes_per_key: usize,
    dataset: usize,
    dataset_perc: f64,
    peak_perc: f64,
    rss: usize,
}

/// `getMemoryOverheadData`. `current` is the client running the command,
/// which is out of the client table while it runs.
fn get_memory_overhead_data(server: &Server, current: &Client) -> MemOverhead {
    let total = crate::zmalloc::zmalloc_used_memory();
    let startup = server.info.initial_memory_usage;
    let peak = server.info.stat_peak_memory.max(total);
    let clients_normal = server
        .clients
        .iter()
        .filter_map(|(_, c)| c.as_deref())
        .map(client_memory)
        .sum::<usize>()
        + client_memory(current);
    let mut overhead = startup + clients_normal;
    let mut dbs = Vec::new();
    let mut total_keys = 0;
    for db in &server.dbs {
        let keys = db.dict.len();
        if keys == 0 {
            continue;
        }
        total_keys += keys;
        // The tables' own structure: buckets and entry slots (which hold
        // the key and value structs inline).
        let main = db.dict.mem_overhead();
        let expires = db.expires.mem_overhead();
        let slot_to_keys = db.slots_to_keys.as_ref().map_or(0, |s| s.mem_overhead());
        overhead += main + expires + slot_to_keys;
        dbs.push((db.id, main, expires, slot_to_keys));
    }
    let net_usage = if total > startup { total - startup } else { 1 };
    let dataset = total.saturating_sub(overhead);
    MemOverhead {
        total_allocated: total,
        startup_allocated: startup,
        peak_allocated: peak,
        clients_normal,
        dbs,
        overhead_total: overhead,
        total_keys,
        bytes_per_key: net_usage.checked_div(total_keys).unwrap_or(0),
        dataset,
        dataset_perc: dataset as f64 * 100.0 / net_usage as f64,
        peak_perc: if peak > 0 {
            total as f64 * 100.0 / peak as f64
        } else {
            0.0
        },
        rss: crate::zmalloc::zmalloc_get_rss(),
    }
}

/// MEMORY USAGE key [SAMPLES count]: the key, its value and its table
/// entry. The key is looked up without expiring it, as in C.
fn memory_usage(server: &mut Server, c: &mut Client) {
    let mut j = 3;
    while j < c.argv.len() {
        if c.argv[j].eq_ignore_ascii_case(b"samples") && j + 1 < c.argv.len() {
            // Strings need no sampling (aggregates sample 5 elements by
            // default, 0 = all), but the argument is still checked.
            match crate::util::string2ll(&c.argv[j + 1]) {
                None => {
                    c.add_reply_error("value is not an integer or out of range");
                    return;
                }
                Some(n) if n < 0 => {
                    c.add_reply_syntax_error();
                    return;
                }
                Some(_) => {}
            }
            j += 2;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }
    match server.dbs[c.db].dict.get_key_value(&c.argv[2][..]) {
        None => c.add_reply_null(),
        Some((k, v)) => {
            let usage = object_compute_size(v)
                + std::mem::size_of::<Sds>()
                + sds_heap_size(k)
                + DICT_ENTRY_OVERHEAD;
            c.add_reply_long_long(usage as i64);
        }
    }
}

/// MEMORY STATS: the field names and order of Redis 7.0.
fn memory_stats(server: &Server, c: &mut Client) {
    let mh = get_memory_overhead_data(server, c);
    c.add_reply_map_len(27 + mh.dbs.len() as i64);
    fn num(c: &mut Client, name: &str, v: usize) {
        c.add_reply_bulk(name.as_bytes());
        c.add_reply_long_long(v as i64);
    }
    num(c, "peak.allocated", mh.peak_allocated);
    num(c, "total.allocated", mh.total_allocated);
    num(c, "startup.allocated", mh.startup_allocated);
    num(c, "replication.backlog", 0);
    num(c, "clients.slaves", 0);
    num(c, "clients.normal", mh.clients_normal);
    num(c, "cluster.links", 0);
    num(c, "aof.buffer", 0);
    num(c, "lua.caches", 0);
    num(c, "functions.caches", 0);
    for &(id, main, expires, slot_to_keys) in &mh.dbs {
        c.add_reply_bulk(format!("db.{id}").as_bytes());
        c.add_reply_map_len(3);
        num(c, "overhead.hashtable.main", main);
        num(c, "overhead.hashtable.expires", expires);
        num(c, "overhead.hashtable.slot-to-keys", slot_to_keys);
    }
    num(c, "overhead.total", mh.overhead_total);
    num(c, "keys.count", mh.total_keys);
    num(c, "keys.bytes-per-key", mh.bytes_per_key);
    num(c, "dataset.bytes", mh.dataset);
    c.add_reply_bulk(b"dataset.percentage");
    c.add_reply_double(mh.dataset_perc);
    c.add_reply_bulk(b"peak.percentage");
    c.add_reply_double(mh.peak_perc);
    // No allocator statistics: glibc malloc does not expose them.
    num(c, "allocator.allocated", 0);
    num(c, "allocator.active", 0);
    num(c, "allocator.resident", 0);
    for name in ["allocator-fragmentation", "allocator-rss", "rss-overhead"] {
        c.add_reply_bulk(format!("{name}.ratio").as_bytes());
        c.add_reply_double(0.0);
        num(c, &format!("{name}.bytes"), 0);
    }
    c.add_reply_bulk(b"fragmentation");
    let frag = if mh.total_allocated > 0 {
        mh.rss as f64 / mh.total_allocated as f64
    } else {
        0.0
    };
    c.add_reply_double(frag);
    c.add_reply_bulk(b"fragmentation.bytes");
    c.add_reply_long_long(mh.rss as i64 - mh.total_allocated as i64);
}

/// `getMemoryDoctorReport`: MEMORY DOCTOR's text, with the checks we can
/// make (our wording).
fn get_memory_doctor_report(server: &Server, current: &Client) -> String {
    let mh = get_memory_overhead_data(server, current);
    if mh.total_allocated < 5 * 1024 * 1024 {
        return "This instance is empty or uses very little memory: there is nothing for the memory doctor to examine yet. \
Come back once it holds some data.\n"
            .to_string();
    }
    let mut issues = Vec::new();
    if mh.peak_allocated as f64 / mh.total_allocated as f64 > 1.5 {
        issues.push(" * Peak memory: this instance once used more than 150% of the memory it uses now. The allocator rarely returns memory after a peak, so a high fragmentation ratio is expected and harmless: the memory will be reused as data grows. Try MEMORY PURGE to reclaim some, or restart the instance.\n\n".to_string());
    }
    let frag_bytes = mh.rss.saturating_sub(mh.total_allocated);
    if mh.rss as f64 / mh.total_allocated as f64 > 1.4 && frag_bytes > 10 << 20 {
        issues.push(" * High total RSS: the resident set of the process is more than 1.4 times the memory it allocated. This comes either from a large memory peak (see above) or from a workload that fragments the allocator's memory (the allocator here is \"libc\").\n\n".to_string());
    }
    let numclients = server.clients.len() + 1;
    if mh.clients_normal / numclients > 200 * 1024 {
        issues.push(" * Big client buffers: clients hold more than 200K of buffers each on average. Slow Pub/Sub consumers, large replies or long pipelines can cause it; CLIENT LIST shows which clients.\n\n".to_string());
    }
    if issues.is_empty() {
        return "I found no memory issue in this instance, within what I can measure here.\n"
            .to_string();
    }
    let mut s =
        String::from("A few issues were detected in the memory of this Redis instance:\n\n");
    for i in issues {
        s.push_str(&i);
    }
    s.push_str("These are hints, not certainties: check them against INFO memory.\n");
    s
}

/// MEMORY DOCTOR | MALLOC-STATS | PURGE | STATS | USAGE | HELP.
pub fn memory_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    match (sub.as_slice(), c.argv.len()) {
        (b"help", 2) => c.add_reply_help(
            "MEMORY",
            &[
                "DOCTOR",
                "    Return memory problems reports.",
                "MALLOC-STATS",
                "    Return internal statistics report from the memory allocator.",
                "PURGE",
                "    Attempt to purge dirty pages for reclamation by the allocator.",
                "STATS",
                "    Return information about the memory usage of the server.",
                "USAGE <key> [SAMPLES <count>]",
                "    Return memory in bytes used by <key> and its value. Nested values are",
                "    sampled up to <count> times (default: 5, 0 means sample all).",
            ],
        ),
        (b"usage", n) if n >= 3 => memory_usage(server, c),
        (b"stats", 2) => memory_stats(server, c),
        // Redis built without jemalloc answers this way.
        (b"malloc-stats", 2) => c.add_reply_bulk(b"Stats not supported for the current allocator"),
        (b"doctor", 2) => {
            let report = get_memory_doctor_report(server, c);
            c.add_reply_verbatim(report.as_bytes(), "txt");
        }
        (b"purge", 2) => c.add_reply_ok(),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

// ----------------------------------------------------------------------
// Reading numbers out of arguments, replying with the C error strings.
// ----------------------------------------------------------------------

/// `getLongLongFromObjectOrReply`: `msg` replaces the default error.
pub fn get_long_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    let v = crate::util::string2ll(arg);
    if v.is_none() {
        c.add_reply_error(msg.unwrap_or("value is not an integer or out of range"));
    }
    v
}

/// `getDoubleFromObjectOrReply`: `msg` replaces the default error.
pub fn get_double_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    msg: Option<&str>,
) -> Option<f64> {
    let v = crate::util::string2d(arg);
    if v.is_none() {
        c.add_reply_error(msg.unwrap_or("value is not a valid float"));
    }
    v
}

/// `getLongFromObjectOrReply`: a `long` is 64 bits here, as on the
/// platforms Redis 7 targets, so this is the long long version.
pub fn get_long_from_object_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    get_long_long_from_object_or_reply(c, arg, msg)
}

/// `getRangeLongFromObjectOrReply`.
pub fn get_range_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    min: i64,
    max: i64,
    msg: Option<&str>,
) -> Option<i64> {
    let v = get_long_from_object_or_reply(c, arg, msg)?;
    if v < min || v > max {
        match msg {
            Some(m) => c.add_reply_error(m),
            None => c.add_reply_error(&format!(
                "value is out of range, value must between {min} and {max}"
            )),
        }
        return None;
    }
    Some(v)
}

/// `getPositiveLongFromObjectOrReply`: 0 included.
pub fn get_positive_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    let msg = msg.unwrap_or("value is out of range, must be positive");
    get_range_long_from_object_or_reply(c, arg, 0, i64::MAX, Some(msg))
}

/// `getIntFromObjectOrReply`.
pub fn get_int_from_object_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    get_range_long_from_object_or_reply(c, arg, i32::MIN as i64, i32::MAX as i64, msg)
}

// ----------------------------------------------------------------------
// The OBJECT command.
// ----------------------------------------------------------------------

const LFU_IDLETIME_ERR: &str = "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const NO_LFU_FREQ_ERR: &str = "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// `objectCommandLookup`: looking at a key with OBJECT must not count as
/// an access, or OBJECT IDLETIME would always say 0.
pub fn object_command_lookup<'a>(
    server: &'a mut Server,
    c: &Client,
    key: &[u8],
) -> Option<&'a mut RObj> {
    server.lookup_key_read_with_flags(c.db, key, LOOKUP_NOTOUCH | LOOKUP_NONOTIFY)
}

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP
pub fn object_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    if c.argv.len() == 2 && sub == b"help" {
        c.add_reply_help(
            "object",
            &[
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            ],
        );
        return;
    }
    if c.argv.len() != 3 || !matches!(&sub[..], b"refcount" | b"encoding" | b"idletime" | b"freq") {
        c.add_reply_subcommand_syntax_error();
        return;
    }
    let key = std::mem::take(&mut c.argv[2]);
    let lfu = server.lfu_enabled();
    let Some(o) = object_command_lookup(server, c, &key) else {
        c.add_reply_null();
        return;
    };
    let (refcount, encoding, lru) = (o.refcount(), o.encoding_name(), o.lru);
    match &sub[..] {
        b"refcount" => c.add_reply_long_long(refcount),
        b"encoding" => c.add_reply_bulk(encoding.as_bytes()),
        b"idletime" => {
            if lfu {
                c.add_reply_error(LFU_IDLETIME_ERR);
                return;
            }
            let idle = server.estimate_object_idle_time(lru) / 1000;
            c.add_reply_long_long(idle as i64);
        }
        _ => {
            if !lfu {
                c.add_reply_error(NO_LFU_FREQ_ERR);
                return;
            }
            // Decay first: the stored counter is only brought up to date
            // when the key is accessed.
            let freq = server.lfu_decr_and_return(lru);
            c.add_reply_long_long(freq as i64);
        }
    }
}
