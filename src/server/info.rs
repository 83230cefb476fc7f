//! INFO: the `genRedisInfoString` part of `server.c`, and the samples the
//! cron takes for it (instantaneous rates, memory, client buffer peaks).
//!
//! Every section and field of Redis 7.0.15 is printed, in the same order
//! and format, so that tools parsing INFO see what they expect. Fields of
//! subsystems that do not exist yet (RDB/AOF, Lua, replicas, defrag...)
//! report the value Redis shows when that subsystem is idle.

use std::collections::HashSet;

use crate::networking::Client;
use crate::server::{Server, REDIS_MIO_VERSION, REDIS_VERSION};
use crate::zmalloc::{zmalloc_get_memory_size, zmalloc_get_rss, zmalloc_used_memory, ZMALLOC_LIB};

/// `STATS_METRIC_*`: the rates sampled every 100 ms.
pub const STATS_METRIC_COMMAND: usize = 0;
pub const STATS_METRIC_NET_INPUT: usize = 1;
pub const STATS_METRIC_NET_OUTPUT: usize = 2;
const STATS_METRIC_COUNT: usize = 3;
/// `STATS_METRIC_SAMPLES`: the rate is the mean of this many samples.
const STATS_METRIC_SAMPLES: usize = 16;
/// `CLIENTS_PEAK_MEM_USAGE_SLOTS`: seconds of client buffer peaks kept.
pub const CLIENTS_PEAK_MEM_USAGE_SLOTS: usize = 8;

#[derive(Default, Clone, Copy)]
struct InstMetric {
    last_sample_time: i64,
    last_sample_count: u64,
    samples: [u64; STATS_METRIC_SAMPLES],
    idx: usize,
}

/// What INFO reports that no other part of the server keeps: the cron's
/// samples and a few counters of `struct redisServer`.
#[derive(Default)]
pub struct InfoState {
    /// Absolute path of the config file, empty without one (`configfile`).
    pub config_file: String,
    /// Unix time of the last successful save; the start time until
    /// persistence exists (`lastsave`).
    pub lastsave: i64,
    pub stat_total_reads_processed: u64,
    pub stat_total_writes_processed: u64,
    pub stat_peak_memory: usize,
    /// `used_memory` right after start-up (`initial_memory_usage`).
    pub initial_memory_usage: usize,
    /// `cron_malloc_stats`: RSS and used memory sampled together.
    process_rss: usize,
    zmalloc_used: usize,
    inst_metric: [InstMetric; STATS_METRIC_COUNT],
    /// Biggest client query and output buffers seen in each of the last
    /// seconds (`ClientsPeakMemInput/Output`).
    pub clients_peak_mem_input: [usize; CLIENTS_PEAK_MEM_USAGE_SLOTS],
    pub clients_peak_mem_output: [usize; CLIENTS_PEAK_MEM_USAGE_SLOTS],
}

impl InfoState {
    /// The state of a server started at `start` (unix seconds).
    pub fn new(start: i64) -> InfoState {
        InfoState {
            lastsave: start,
            ..Default::default()
        }
    }

    /// The part of `resetServerStats` kept here.
    pub fn reset_stats(&mut self) {
        self.stat_total_reads_processed = 0;
        self.stat_total_writes_processed = 0;
        let now = crate::util::mstime();
        for m in self.inst_metric.iter_mut() {
            *m = InstMetric {
                last_sample_time: now,
                ..Default::default()
            };
        }
    }
}

/// `trackInstantaneousMetric`: one ops/sec sample from a counter.
pub fn track_instantaneous_metric(server: &mut Server, metric: usize, current_reading: u64) {
    let now = crate::util::mstime();
    let m = &mut server.info.inst_metric[metric];
    let t = now - m.last_sample_time;
    let ops = current_reading.saturating_sub(m.last_sample_count);
    let ops_sec = if t > 0 { ops * 1000 / t as u64 } else { 0 };
    m.samples[m.idx] = ops_sec;
    m.idx = (m.idx + 1) % STATS_METRIC_SAMPLES;
    m.last_sample_time = now;
    m.last_sample_count = current_reading;
}

/// `getInstantaneousMetric`: the mean of the samples.
fn get_instantaneous_metric(server: &Server, metric: usize) -> u64 {
    let m = &server.info.inst_metric[metric];
    m.samples.iter().sum::<u64>() / STATS_METRIC_SAMPLES as u64
}

/// `cronUpdateMemoryStats`: the peak, and RSS sampled with used memory so
/// their ratio is meaningful.
pub fn cron_update_memory_stats(server: &mut Server, sample_rss: bool) {
    let used = zmalloc_used_memory();
    if used > server.info.stat_peak_memory {
        server.info.stat_peak_memory = used;
    }
    if sample_rss {
        server.info.process_rss = zmalloc_get_rss();
        server.info.zmalloc_used = used;
    }
}

/// `bytesToHuman`: 100B, 2.00K, 1.50M ...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (1 << 10, "K"),
        (1 << 20, "M"),
        (1 << 30, "G"),
        (1 << 40, "T"),
        (1 << 50, "P"),
    ];
    if n < 1024 {
        return format!("{n}B");
    }
    for (unit, suffix) in UNITS {
        if n < unit * 1024 {
            return format!("{:.2}{}", n as f64 / unit as f64, suffix);
        }
    }
    format!("{n}B")
}

/// `getSafeInfoString`: names that would break the `field:value` format
/// have `#`, `:`, CR and LF replaced by `_`.
fn get_safe_info_string(s: &str) -> String {
    s.replace(['#', ':', '\n', '\r'], "_")
}

/// `genInfoSectionDict`: the requested sections (lowercase) and whether
/// `all` / `everything` was asked.
pub fn gen_info_section_dict(args: &[Vec<u8>]) -> (HashSet<String>, bool, bool) {
    const DEFAULT_SECTIONS: [&str; 11] = [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
        "module_list",
        "errorstats",
        "cluster",
        "keyspace",
    ];
    let mut set = HashSet::new();
    let (mut all, mut everything) = (false, false);
    if args.is_empty() {
        set.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
        return (set, all, everything);
    }
    for a in args {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => set.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" => all = true,
            "everything" => {
                everything = true;
                all = true;
            }
            _ => {
                set.insert(a);
            }
        }
    }
    (set, all, everything)
}

/// Appends one section header, separated from the previous one.
fn section(info: &mut String, sections: &mut usize, title: &str) {
    if *sections > 0 {
        info.push_str("\r\n");
    }
    *sections += 1;
    info.push_str("# ");
    info.push_str(title);
    info.push_str("\r\n");
}

/// Appends `field:value\r\n` lines.
macro_rules! fields {
    ($info:expr, $($name:literal => $val:expr),* $(,)?) => {{
        use std::fmt::Write as _;
        $( let _ = write!($info, concat!($name, ":{}\r\n"), $val); )*
    }};
}

/// `uname` (cached by C; cheap enough to ask each time here).
fn uname() -> String {
    // SAFETY: uname fills the struct we pass; its fields are
    // NUL-terminated C strings afterwards.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let f = |a: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(a.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

/// `getrusage` times as `sec.usec`.
fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage only writes into the struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    (
        format!("{}.{:06}", ru.ru_stime.tv_sec, ru.ru_stime.tv_usec),
        format!("{}.{:06}", ru.ru_utime.tv_sec, ru.ru_utime.tv_usec),
    )
}

/// The memory that is not the dataset (`getMemoryOverheadData`, reduced
/// to what exists): start-up memory, client buffers and the hash tables.
fn memory_overhead(server: &Server, current: Option<&Client>) -> (usize, usize) {
    let clients_normal: usize = server
        .clients
        .iter()
        .filter_map(|(_, c)| c.as_deref())
        .chain(current)
        .map(client_memory_usage)
        .sum();
    let mut total = server.info.initial_memory_usage + clients_normal;
    for db in &server.dbs {
        if db.dict.is_empty() {
            continue;
        }
        // Entry, bucket pointer and value object per key, as C counts.
        total += db.dict.len() * (24 + 16) + db.dict.buckets() * 8;
        total += db.expires.len() * 24 + db.expires.buckets() * 8;
    }
    (total, clients_normal)
}

/// `getClientMemoryUsage`, without the output part's list nodes.
pub fn client_memory_usage(c: &Client) -> usize {
    c.output_buffer_memory_usage()
        + c.querybuf.capacity()
        + std::mem::size_of::<Client>()
        + c.buf.capacity()
        + c.argv_len_sum
        + c.argv.len() * std::mem::size_of::<Vec<u8>>()
        + crate::multi::multi_state_mem_overhead(c)
        + crate::pubsub::pubsub_mem_overhead(c)
}

/// `fillPercentileDistributionLatencies`.
fn fill_percentile_distribution_latencies(
    info: &mut String,
    name: &str,
    h: &crate::latency::LatencyHistogram,
    percentiles: &[f64],
) {
    info.push_str("latency_percentiles_usec_");
    info.push_str(name);
    info.push(':');
    for (j, &p) in percentiles.iter().enumerate() {
        let mut fbuf = format!("{p:.6}").into_bytes();
        crate::util::trim_double_string(&mut fbuf);
        let v = h.value_at_percentile(p) as f64 / 1000.0;
        info.push_str(&format!("p{}={:.3}", String::from_utf8_lossy(&fbuf), v));
        if j + 1 != percentiles.len() {
            info.push(',');
        }
    }
    info.push_str("\r\n");
}

/// `genRedisInfoString`. `current` is the client running INFO, which is
/// out of the client table meanwhile.
pub fn gen_redis_info_string(
    server: &mut Server,
    current: Option<&Client>,
    sections_dict: &HashSet<String>,
    all_sections: bool,
    everything: bool,
) -> String {
    let all = all_sections || everything;
    let want = |s: &str| all || sections_dict.contains(s);
    let mut info = String::with_capacity(4096);
    let mut sections = 0usize;
    let uptime = server.unixtime - server.start_time_ms / 1000;

    if want("server") {
        section(&mut info, &mut sections, "Server");
        let mode = if server.config.cluster_enabled {
            "cluster"
        } else {
            "standalone"
        };
        fields!(info,
            "redis_version" => REDIS_VERSION,
            "redis_mio_version" => REDIS_MIO_VERSION,
            "redis_git_sha1" => "00000000",
            "redis_git_dirty" => 0,
            "redis_build_id" => "0",
            "redis_mode" => mode,
            "os" => uname(),
            "arch_bits" => 64,
            "monotonic_clock" => "POSIX clock_gettime",
            "multiplexing_api" => "epoll",
            "atomicvar_api" => "c11-builtin",
            "gcc_version" => "0.0.0",
            "process_id" => server.pid,
            "process_supervised" => "no",
            "run_id" => &server.runid,
            "tcp_port" => server.config.port,
            "server_time_usec" => server.ustime,
            "uptime_in_seconds" => uptime,
            "uptime_in_days" => uptime / (3600 * 24),
            "hz" => server.hz,
            "configured_hz" => server.config.hz,
            "lru_clock" => server.lru_clock(),
            "executable" => &server.executable,
            "config_file" => &server.info.config_file,
            "io_threads_active" => 0,
        );
    }

    if want("clients") {
        section(&mut info, &mut sections, "Clients");
        let maxin = server
            .info
            .clients_peak_mem_input
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        let maxout = server
            .info
            .clients_peak_mem_output
            .iter()
            .max()
            .copied()
            .unwrap_or(0);
        fields!(info,
            "connected_clients" => server.clients.len(),
            "cluster_connections" => server.cluster.as_deref().map_or(0, |cl| (cl.nodes.len() - 1) * 2),
            "maxclients" => server.config.maxclients,
            "client_recent_max_input_buffer" => maxin,
            "client_recent_max_output_buffer" => maxout,
            "blocked_clients" => server.blocked.blocked_clients,
            "tracking_clients" => 0,
            "clients_in_timeout_table" => server.blocked.clients_in_timeout_table(),
        );
    }

    if want("memory") {
        section(&mut info, &mut sections, "Memory");
        let used = zmalloc_used_memory();
        if used > server.info.stat_peak_memory {
            server.info.stat_peak_memory = used;
        }
        let peak = server.info.stat_peak_memory.max(1);
        let total_system = zmalloc_get_memory_size();
        let startup = server.info.initial_memory_usage;
        let (overhead, clients_normal) = memory_overhead(server, current);
        let dataset = used.saturating_sub(overhead);
        let net_usage = if used > startup { used - startup } else { 1 };
        // Without allocator statistics, C derives these from RSS and used
        // memory sampled by the cron.
        let rss = server.info.process_rss;
        let cron_used = server.info.zmalloc_used.max(1);
        let allocator_allocated = cron_used;
        let allocator_resident = rss;
        let allocator_active = rss;
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        fields!(info,
            "used_memory" => used,
            "used_memory_human" => bytes_to_human(used as u64),
            "used_memory_rss" => rss,
            "used_memory_rss_human" => bytes_to_human(rss as u64),
            "used_memory_peak" => server.info.stat_peak_memory,
            "used_memory_peak_human" => bytes_to_human(server.info.stat_peak_memory as u64),
            "used_memory_peak_perc" => format!("{:.2}%", used as f64 * 100.0 / peak as f64),
            "used_memory_overhead" => overhead,
            "used_memory_startup" => startup,
            "used_memory_dataset" => dataset,
            "used_memory_dataset_perc" => format!("{:.2}%", dataset as f64 * 100.0 / net_usage as f64),
            "allocator_allocated" => allocator_allocated,
            "allocator_active" => allocator_active,
            "allocator_resident" => allocator_resident,
            "total_system_memory" => total_system,
            "total_system_memory_human" => bytes_to_human(total_system as u64),
            "used_memory_lua" => 0,
            "used_memory_vm_eval" => 0,
            "used_memory_lua_human" => "0B",
            "used_memory_scripts_eval" => 0,
            "number_of_cached_scripts" => 0,
            "number_of_functions" => 0,
            "number_of_libraries" => 0,
            "used_memory_vm_functions" => 0,
            "used_memory_vm_total" => 0,
            "used_memory_vm_total_human" => "0B",
            "used_memory_functions" => 0,
            "used_memory_scripts" => 0,
            "used_memory_scripts_human" => "0B",
            "maxmemory" => server.config.maxmemory,
            "maxmemory_human" => bytes_to_human(server.config.maxmemory),
            "maxmemory_policy" => server.config.maxmemory_policy.name(),
            "allocator_frag_ratio" => format!("{:.2}", ratio(allocator_active, allocator_allocated)),
            "allocator_frag_bytes" => allocator_active.wrapping_sub(allocator_allocated) as isize,
            "allocator_rss_ratio" => format!("{:.2}", ratio(allocator_resident, allocator_active)),
            "allocator_rss_bytes" => allocator_resident as isize - allocator_active as isize,
            "rss_overhead_ratio" => format!("{:.2}", ratio(rss, allocator_resident)),
            "rss_overhead_bytes" => rss as isize - allocator_resident as isize,
            "mem_fragmentation_ratio" => format!("{:.2}", ratio(rss, cron_used)),
            "mem_fragmentation_bytes" => rss as isize - cron_used as isize,
            "mem_not_counted_for_evict" => 0,
            "mem_replication_backlog" => 0,
            "mem_total_replication_buffers" => 0,
            "mem_clients_slaves" => 0,
            "mem_clients_normal" => clients_normal,
            "mem_cluster_links" => 0,
            "mem_aof_buffer" => 0,
            "mem_allocator" => ZMALLOC_LIB,
            "active_defrag_running" => 0,
            "lazyfree_pending_objects" => 0,
            "lazyfreed_objects" => 0,
        );
    }

    if want("persistence") {
        section(&mut info, &mut sections, "Persistence");
        let r = &server.rdb;
        let now = crate::util::mstime() / 1000;
        let bgsave_in_progress = r.child_pid != -1;
        let ci = &r.child_info;
        let fork_perc = if ci.current_save_keys_total > 0 {
            ci.current_save_keys_processed as f64 / ci.current_save_keys_total as f64 * 100.0
        } else {
            0.0
        };
        fields!(info,
            "loading" => server.loading as i32,
            "async_loading" => 0,
            "current_cow_peak" => ci.current_cow_peak,
            "current_cow_size" => ci.current_cow_bytes,
            "current_cow_size_age" => if ci.current_cow_updated != 0 { (crate::util::mstime() - ci.current_cow_updated).max(0) / 1000 } else { 0 },
            "current_fork_perc" => format!("{fork_perc:.2}"),
            "current_save_keys_processed" => ci.current_save_keys_processed,
            "current_save_keys_total" => ci.current_save_keys_total,
            "rdb_changes_since_last_save" => server.dirty,
            "rdb_bgsave_in_progress" => bgsave_in_progress as i32,
            "rdb_last_save_time" => server.info.lastsave,
            "rdb_last_bgsave_status" => if r.lastbgsave_ok { "ok" } else { "err" },
            "rdb_last_bgsave_time_sec" => r.rdb_save_time_last,
            "rdb_current_bgsave_time_sec" => if bgsave_in_progress { now - r.rdb_save_time_start } else { -1 },
            "rdb_saves" => r.stat_rdb_saves,
            "rdb_last_cow_size" => r.stat_rdb_cow_bytes,
            "rdb_last_load_keys_expired" => r.loading.rdb_last_load_keys_expired,
            "rdb_last_load_keys_loaded" => r.loading.rdb_last_load_keys_loaded,
            "aof_enabled" => 0,
            "aof_rewrite_in_progress" => 0,
            "aof_rewrite_scheduled" => 0,
            "aof_last_rewrite_time_sec" => -1,
            "aof_current_rewrite_time_sec" => -1,
            "aof_last_bgrewrite_status" => "ok",
            "aof_rewrites" => 0,
            "aof_rewrites_consecutive_failures" => 0,
            "aof_last_write_status" => "ok",
            "aof_last_cow_size" => 0,
            "module_fork_in_progress" => 0,
            "module_fork_last_cow_size" => 0,
        );
        if server.loading {
            let l = &r.loading;
            let mut perc = 0.0;
            let mut remaining: i64 = 1;
            if l.loading_total_bytes > 0 {
                perc = l.loading_loaded_bytes as f64 / l.loading_total_bytes as f64 * 100.0;
                remaining = l.loading_total_bytes as i64 - l.loading_loaded_bytes as i64;
            } else if l.loading_rdb_used_mem > 0 {
                // The memory figure only estimates the file size.
                perc = (l.loading_loaded_bytes as f64 / l.loading_rdb_used_mem as f64 * 100.0)
                    .min(99.99);
                remaining = (l.loading_rdb_used_mem as i64 - l.loading_loaded_bytes as i64).max(1);
            }
            let elapsed = now - l.loading_start_time;
            let eta = if elapsed == 0 {
                1
            } else {
                elapsed * remaining / (l.loading_loaded_bytes as i64 + 1)
            };
            fields!(info,
                "loading_start_time" => l.loading_start_time,
                "loading_total_bytes" => l.loading_total_bytes,
                "loading_rdb_used_mem" => l.loading_rdb_used_mem,
                "loading_loaded_bytes" => l.loading_loaded_bytes,
                "loading_loaded_perc" => format!("{perc:.2}"),
                "loading_eta_seconds" => eta,
            );
        }
    }

    if want("stats") {
        section(&mut info, &mut sections, "Stats");
        let es = &server.expire_state;
        fields!(info,
            "total_connections_received" => server.stat_numconnections,
            "total_commands_processed" => server.stat_numcommands,
            "instantaneous_ops_per_sec" => get_instantaneous_metric(server, STATS_METRIC_COMMAND),
            "total_net_input_bytes" => server.stat_net_input_bytes,
            "total_net_output_bytes" => server.stat_net_output_bytes,
            "total_net_repl_input_bytes" => 0,
            "total_net_repl_output_bytes" => 0,
            "instantaneous_input_kbps" => format!("{:.2}", get_instantaneous_metric(server, STATS_METRIC_NET_INPUT) as f32 / 1024.0),
            "instantaneous_output_kbps" => format!("{:.2}", get_instantaneous_metric(server, STATS_METRIC_NET_OUTPUT) as f32 / 1024.0),
            "instantaneous_input_repl_kbps" => "0.00",
            "instantaneous_output_repl_kbps" => "0.00",
            "rejected_connections" => server.stat_rejected_conn,
            "sync_full" => 0,
            "sync_partial_ok" => 0,
            "sync_partial_err" => 0,
            "expired_keys" => server.stat_expiredkeys,
            "expired_stale_perc" => format!("{:.2}", es.stat_expired_stale_perc * 100.0),
            "expired_time_cap_reached_count" => es.stat_expired_time_cap_reached_count,
            "expire_cycle_cpu_milliseconds" => es.stat_expire_cycle_time_used / 1000,
            "evicted_keys" => 0,
            "evicted_clients" => 0,
            "total_eviction_exceeded_time" => 0,
            "current_eviction_exceeded_time" => 0,
            "keyspace_hits" => server.stat_keyspace_hits,
            "keyspace_misses" => server.stat_keyspace_misses,
            "pubsub_channels" => server.pubsub.channels_count(),
            "pubsub_patterns" => server.pubsub.patterns_count(),
            "pubsubshard_channels" => server.pubsub.shard_channels_count(),
            "latest_fork_usec" => server.rdb.stat_fork_time,
            "total_forks" => server.rdb.stat_total_forks,
            "migrate_cached_sockets" => 0,
            "slave_expires_tracked_keys" => 0,
            "active_defrag_hits" => 0,
            "active_defrag_misses" => 0,
            "active_defrag_key_hits" => 0,
            "active_defrag_key_misses" => 0,
            "total_active_defrag_time" => 0,
            "current_active_defrag_time" => 0,
            "tracking_total_keys" => 0,
            "tracking_total_items" => 0,
            "tracking_total_prefixes" => 0,
            "unexpected_error_replies" => 0,
            "total_error_replies" => server.stat_total_error_replies,
            "dump_payload_sanitizations" => 0,
            "total_reads_processed" => server.info.stat_total_reads_processed,
            "total_writes_processed" => server.info.stat_total_writes_processed,
            "io_threaded_reads_processed" => 0,
            "io_threaded_writes_processed" => 0,
            "reply_buffer_shrinks" => 0,
            "reply_buffer_expands" => 0,
        );
    }

    if want("replication") {
        section(&mut info, &mut sections, "Replication");
        let r = &server.repl;
        // A cluster replica (CLUSTER REPLICATE) is one in INFO too; the
        // link to its master comes with replication, so it stays down.
        let cluster_master = server.cluster.as_deref().and_then(|cl| {
            let me = cl.me();
            me.slaveof
                .filter(|_| me.is_slave())
                .and_then(|m| cl.nodes.get(m))
                .map(|m| (m.ip.clone(), m.port))
        });
        if let Some((host, port)) = &cluster_master {
            fields!(info,
                "role" => "slave",
                "master_host" => host,
                "master_port" => port,
                "master_link_status" => "down",
            );
        }
        if cluster_master.is_none() {
            fields!(info, "role" => "master");
        }
        fields!(info,
            "connected_slaves" => 0,
            "master_failover_state" => "no-failover",
            "master_replid" => &r.replid,
            "master_replid2" => &r.replid2,
            "master_repl_offset" => r.master_repl_offset,
            "second_repl_offset" => r.second_replid_offset,
            "repl_backlog_active" => 0,
            "repl_backlog_size" => server.config.repl_backlog_size,
            "repl_backlog_first_byte_offset" => 0,
            "repl_backlog_histlen" => 0,
        );
    }

    if want("cpu") {
        section(&mut info, &mut sections, "CPU");
        let (sys, user) = rusage(libc::RUSAGE_SELF);
        let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
        let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
        fields!(info,
            "used_cpu_sys" => sys,
            "used_cpu_user" => user,
            "used_cpu_sys_children" => csys,
            "used_cpu_user_children" => cuser,
            "used_cpu_sys_main_thread" => tsys,
            "used_cpu_user_main_thread" => tuser,
        );
    }

    if want("module_list") || sections_dict.contains("modules") {
        section(&mut info, &mut sections, "Modules");
    }

    if want("commandstats") {
        section(&mut info, &mut sections, "Commandstats");
        for cmd in &server.commands.list {
            let s = &cmd.stats;
            if s.calls == 0 && s.failed_calls == 0 && s.rejected_calls == 0 {
                continue;
            }
            let per_call = if s.calls == 0 {
                0.0
            } else {
                s.microseconds as f32 / s.calls as f32
            };
            info.push_str(&format!(
                "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
                get_safe_info_string(&cmd.fullname),
                s.calls,
                s.microseconds,
                per_call,
                s.rejected_calls,
                s.failed_calls
            ));
        }
    }

    if want("errorstats") {
        section(&mut info, &mut sections, "Errorstats");
        for (code, count) in &server.errors {
            info.push_str(&format!(
                "errorstat_{}:count={}\r\n",
                get_safe_info_string(&String::from_utf8_lossy(code)),
                count
            ));
        }
    }

    if want("latencystats") {
        section(&mut info, &mut sections, "Latencystats");
        if server.config.latency_tracking {
            let percentiles = server.config.latency_tracking_info_percentiles.clone();
            for cmd in &server.commands.list {
                if let Some(h) = &cmd.stats.latency_histogram {
                    fill_percentile_distribution_latencies(
                        &mut info,
                        &get_safe_info_string(&cmd.fullname),
                        h,
                        &percentiles,
                    );
                }
            }
        }
    }

    if want("cluster") {
        section(&mut info, &mut sections, "Cluster");
        fields!(info, "cluster_enabled" => server.config.cluster_enabled as i32);
    }

    if want("keyspace") {
        section(&mut info, &mut sections, "Keyspace");
        for (j, db) in server.dbs.iter().enumerate() {
            let keys = db.dict.len();
            let vkeys = db.expires.len();
            if keys > 0 || vkeys > 0 {
                info.push_str(&format!(
                    "db{j}:keys={keys},expires={vkeys},avg_ttl={}\r\n",
                    db.avg_ttl
                ));
            }
        }
    }
    info
}

/// INFO [section ...]
pub fn info_command(server: &mut Server, c: &mut Client) {
    let (sections, all, everything) = gen_info_section_dict(&c.argv[1..]);
    let info = gen_redis_info_string(server, Some(c), &sections, all, everything);
    c.add_reply_verbatim(info.as_bytes(), "txt");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(0), "0B");
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(916360), "894.88K");
        assert_eq!(bytes_to_human(6631424), "6.32M");
        assert_eq!(bytes_to_human(25276514304), "23.54G");
    }

    #[test]
    fn section_dict() {
        let (s, all, every) = gen_info_section_dict(&[]);
        assert!(s.contains("server") && s.contains("keyspace") && !s.contains("commandstats"));
        assert!(!all && !every);
        let (s, all, every) = gen_info_section_dict(&[b"CPU".to_vec(), b"everything".to_vec()]);
        assert!(s.contains("cpu") && all && every);
    }

    #[test]
    fn safe_names() {
        assert_eq!(get_safe_info_string("a:b#c\r\n"), "a_b_c__");
    }
}
