//! The latency monitor: a port of `latency.c` (with the ASCII graph of
//! `sparkline.c` and the histogram of the bundled `hdr_histogram`).
//!
//! Two independent tools live here:
//!
//! - **Latency events.** Code paths that may block the loop (a slow
//!   command, an expire cycle, ...) measure themselves and call
//!   [`latency_add_sample_if_needed`] with the milliseconds spent. When
//!   `latency-monitor-threshold` is set and the sample reaches it, the
//!   sample goes into the event's [`LatencyTimeSeries`]: a ring of the last
//!   160 seconds that saw a spike (one slot per second, keeping the worst)
//!   plus the all-time maximum. LATENCY LATEST / HISTORY / GRAPH / DOCTOR /
//!   RESET read them.
//! - **Per-command histograms.** `call()` records every command's duration
//!   (in nanoseconds) into the command's [`LatencyHistogram`], an HDR
//!   histogram with two significant digits between 1 ns and 1 s. LATENCY
//!   HISTOGRAM prints its cumulative buckets, INFO latencystats its
//!   percentiles; both use the same type so that they always agree.

use std::collections::BTreeMap;

use crate::networking::Client;
use crate::server::Server;

/// `LATENCY_TS_LEN`: seconds of history kept for every event.
pub const LATENCY_TS_LEN: usize = 160;
/// `LATENCY_GRAPH_COLS`: width of LATENCY GRAPH.
const LATENCY_GRAPH_COLS: usize = 80;

// ----------------------------------------------------------------------
// Per-command latency histogram (hdr_histogram, specialised).
// ----------------------------------------------------------------------

/// `LATENCY_HISTOGRAM_MIN_VALUE`: 1 ns.
pub const LATENCY_HISTOGRAM_MIN_VALUE: i64 = 1;
/// `LATENCY_HISTOGRAM_MAX_VALUE`: 1 s in ns.
pub const LATENCY_HISTOGRAM_MAX_VALUE: i64 = 1_000_000_000;

// The bucket layout hdr_histogram derives from (1, 1e9, 2 significant
// figures): 256 sub-buckets (the smallest power of two above 2*10^2),
// unit magnitude 0, and 23 buckets of doubling width to reach 1e9. Fixing
// them as constants keeps the index arithmetic identical to the C library,
// so bucket boundaries and percentiles print the same numbers.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
const SUB_BUCKET_HALF_COUNT: i64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
const SUB_BUCKET_COUNT: i64 = SUB_BUCKET_HALF_COUNT * 2;
const SUB_BUCKET_MASK: i64 = SUB_BUCKET_COUNT - 1;
const BUCKET_COUNT: usize = 23;
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

/// A latency histogram in nanoseconds with two significant digits of
/// precision over 1 ns .. 1 s (`struct hdr_histogram` as Redis sets it up).
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total_count: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: vec![0; COUNTS_LEN],
            total_count: 0,
        }
    }
}

fn get_bucket_index(value: i64) -> i32 {
    let pow2ceiling = 64 - (value | SUB_BUCKET_MASK).leading_zeros() as i32;
    pow2ceiling - (SUB_BUCKET_HALF_COUNT_MAGNITUDE as i32 + 1)
}

fn get_sub_bucket_index(value: i64, bucket_index: i32) -> i64 {
    value >> bucket_index
}

fn counts_index_for(value: i64) -> usize {
    let bucket = get_bucket_index(value);
    let sub = get_sub_bucket_index(value, bucket);
    (((bucket as i64 + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub - SUB_BUCKET_HALF_COUNT)
        as usize
}

/// `hdr_value_at_index`: the lowest value counted at `index`.
fn value_at_index(index: usize) -> i64 {
    let index = index as i64;
    let mut bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1;
    let mut sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub -= SUB_BUCKET_HALF_COUNT;
        bucket = 0;
    }
    sub << bucket
}

fn lowest_equivalent_value(value: i64) -> i64 {
    let bucket = get_bucket_index(value);
    get_sub_bucket_index(value, bucket) << bucket
}

fn size_of_equivalent_value_range(value: i64) -> i64 {
    let bucket = get_bucket_index(value);
    let sub = get_sub_bucket_index(value, bucket);
    let adjusted = if sub >= SUB_BUCKET_COUNT {
        bucket + 1
    } else {
        bucket
    };
    1i64 << adjusted
}

fn highest_equivalent_value(value: i64) -> i64 {
    lowest_equivalent_value(value) + size_of_equivalent_value_range(value) - 1
}

impl LatencyHistogram {
    /// `updateCommandLatencyHistogram`: records one duration in ns, clamped
    /// to the tracked range.
    pub fn record(&mut self, nanos: i64) {
        let v = nanos.clamp(LATENCY_HISTOGRAM_MIN_VALUE, LATENCY_HISTOGRAM_MAX_VALUE);
        if let Some(slot) = self.counts.get_mut(counts_index_for(v)) {
            *slot += 1;
            self.total_count += 1;
        }
    }

    /// How many durations were recorded.
    pub fn total_count(&self) -> u64 {
        self.total_count
    }

    /// `hdr_value_at_percentile`, in ns: the highest value equivalent to
    /// the one at `percentile` (0..100).
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let requested = percentile.min(100.0);
        let count_at = (((requested / 100.0) * self.total_count as f64) + 0.5) as u64;
        let count_at = count_at.max(1);
        let mut seen = 0u64;
        let mut value = 0i64;
        for (idx, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= count_at {
                value = value_at_index(idx);
                break;
            }
        }
        if percentile == 0.0 {
            lowest_equivalent_value(value)
        } else {
            highest_equivalent_value(value)
        }
    }

    /// The cumulative distribution LATENCY HISTOGRAM prints: buckets
    /// doubling from 1024 ns, each as (upper bound in µs, calls so far),
    /// skipping buckets that add no calls. This walks the counts the way
    /// `hdr_iter_log_init(iter, h, 1024, 2)` does, so the bounds printed
    /// are the same as Redis's.
    pub fn buckets(&self) -> Vec<(i64, u64)> {
        let mut out = Vec::new();
        let mut it = LogIter::new(self);
        let mut previous = 0u64;
        while it.next() {
            if it.cumulative_count > previous {
                out.push((it.highest_equivalent_value / 1000, it.cumulative_count));
            }
            previous = it.cumulative_count;
        }
        out
    }
}

/// The logarithmic iterator of hdr_histogram, reduced to what `buckets`
/// reads.
struct LogIter<'a> {
    h: &'a LatencyHistogram,
    counts_index: i64,
    cumulative_count: u64,
    value: i64,
    highest_equivalent_value: i64,
    next_level: i64,
    next_level_lowest: i64,
}

impl<'a> LogIter<'a> {
    fn new(h: &'a LatencyHistogram) -> Self {
        LogIter {
            h,
            counts_index: -1,
            cumulative_count: 0,
            value: 0,
            highest_equivalent_value: 0,
            next_level: 1024,
            next_level_lowest: lowest_equivalent_value(1024),
        }
    }

    fn move_next(&mut self) -> bool {
        self.counts_index += 1;
        let Some(&count) = self.h.counts.get(self.counts_index as usize) else {
            return false;
        };
        self.cumulative_count += count;
        self.value = value_at_index(self.counts_index as usize);
        self.highest_equivalent_value = highest_equivalent_value(self.value);
        true
    }

    fn next(&mut self) -> bool {
        let more_counts = self.cumulative_count < self.h.total_count;
        let more_buckets = (self.counts_index as usize) < COUNTS_LEN
            && value_at_index((self.counts_index + 1) as usize) > self.next_level_lowest;
        if !more_counts && !more_buckets {
            return false;
        }
        loop {
            if self.value >= self.next_level_lowest {
                self.next_level *= 2;
                self.next_level_lowest = lowest_equivalent_value(self.next_level);
                return true;
            }
            if !self.move_next() {
                return true;
            }
        }
    }
}

// ----------------------------------------------------------------------
// Latency events.
// ----------------------------------------------------------------------

/// `struct latencySample`: a second (unix time) and the worst latency in
/// ms seen in it. A zero time marks a slot never used.
#[derive(Clone, Copy, Default, Debug)]
struct LatencySample {
    time: i64,
    latency: u32,
}

/// `struct latencyTimeSeries`.
#[derive(Debug)]
pub struct LatencyTimeSeries {
    /// Slot of the next sample.
    idx: usize,
    /// Worst latency since the series was created or reset.
    max: u32,
    samples: [LatencySample; LATENCY_TS_LEN],
}

impl Default for LatencyTimeSeries {
    fn default() -> Self {
        LatencyTimeSeries {
            idx: 0,
            max: 0,
            samples: [LatencySample::default(); LATENCY_TS_LEN],
        }
    }
}

impl LatencyTimeSeries {
    /// The used samples, oldest first.
    fn samples_in_order(&self) -> impl Iterator<Item = &LatencySample> {
        (0..LATENCY_TS_LEN)
            .map(move |j| &self.samples[(self.idx + j) % LATENCY_TS_LEN])
            .filter(|s| s.time != 0)
    }

    fn last(&self) -> &LatencySample {
        &self.samples[(self.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN]
    }
}

/// `server.latency_events`: the time series by event name, created on
/// their first sample.
#[derive(Default)]
pub struct LatencyMonitor {
    events: BTreeMap<String, LatencyTimeSeries>,
}

impl LatencyMonitor {
    /// `latencyAddSample`: adds a sample taken now.
    pub fn add_sample(&mut self, event: &str, latency_ms: i64, now: i64) {
        let latency = latency_ms.clamp(0, u32::MAX as i64) as u32;
        if !self.events.contains_key(event) {
            self.events
                .insert(event.to_string(), LatencyTimeSeries::default());
        }
        let Some(ts) = self.events.get_mut(event) else {
            return;
        };
        ts.max = ts.max.max(latency);
        // One slot per second: a second spike in the same second only
        // raises that slot.
        let prev = (ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
        if ts.samples[prev].time == now {
            ts.samples[prev].latency = ts.samples[prev].latency.max(latency);
            return;
        }
        ts.samples[ts.idx] = LatencySample { time: now, latency };
        ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
    }

    /// `latencyResetEvent`: drops one event (matched case-insensitively)
    /// or, with `None`, all of them. Returns how many were dropped.
    pub fn reset_event(&mut self, event: Option<&[u8]>) -> usize {
        let before = self.events.len();
        match event {
            None => self.events.clear(),
            Some(e) => self
                .events
                .retain(|name, _| !name.as_bytes().eq_ignore_ascii_case(e)),
        }
        before - self.events.len()
    }

    fn get(&self, event: &[u8]) -> Option<(&String, &LatencyTimeSeries)> {
        let name = std::str::from_utf8(event).ok()?;
        self.events.get_key_value(name)
    }
}

/// `latencyAddSampleIfNeeded`: records `latency_ms` for `event` when the
/// monitor is on and the latency reaches its threshold.
pub fn latency_add_sample_if_needed(server: &mut Server, event: &str, latency_ms: i64) {
    let threshold = server.config.latency_monitor_threshold;
    if threshold != 0 && latency_ms >= threshold {
        let now = crate::util::ustime() / 1_000_000;
        server.latency.add_sample(event, latency_ms, now);
    }
}

/// `struct latencyStats`: what DOCTOR says about one event.
#[derive(Default, Debug, PartialEq)]
struct LatencyStats {
    all_time_high: u32,
    avg: u32,
    min: u32,
    max: u32,
    /// Mean absolute deviation from `avg`.
    mad: u32,
    samples: u32,
    /// Seconds from the oldest sample to now (at least 1).
    period: i64,
}

/// `analyzeLatencyForEvent`.
fn analyze_latency_for_event(ts: &LatencyTimeSeries, now: i64) -> LatencyStats {
    let mut ls = LatencyStats {
        all_time_high: ts.max,
        ..Default::default()
    };
    let mut sum = 0u64;
    let mut oldest = 0i64;
    for s in ts.samples.iter().filter(|s| s.time != 0) {
        ls.samples += 1;
        if ls.samples == 1 {
            ls.min = s.latency;
            ls.max = s.latency;
        } else {
            ls.min = ls.min.min(s.latency);
            ls.max = ls.max.max(s.latency);
        }
        sum += s.latency as u64;
        if oldest == 0 || s.time < oldest {
            oldest = s.time;
        }
    }
    if ls.samples == 0 {
        return ls;
    }
    ls.avg = (sum / ls.samples as u64) as u32;
    ls.period = (now - oldest).max(1);
    let deviation: u64 = ts
        .samples
        .iter()
        .filter(|s| s.time != 0)
        .map(|s| (ls.avg as i64 - s.latency as i64).unsigned_abs())
        .sum();
    ls.mad = (deviation / ls.samples as u64) as u32;
    ls
}

/// Bytes of transparent huge pages mapped by this process
/// (`THPGetAnonHugePagesSize`), 0 when /proc says nothing.
fn thp_get_anon_huge_pages_size() -> u64 {
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    smaps
        .lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .sum::<u64>()
        * 1024
}

/// The pieces of advice DOCTOR may give, collected while the events are
/// described and printed together at the end (in this order).
#[derive(Default)]
struct Advice {
    slowlog_enabled: bool,
    slowlog_tuning: bool,
    slowlog_inspect: bool,
    scheduler: bool,
    local_disk: bool,
    ssd: bool,
    data_writeback: bool,
    disk_contention: bool,
    no_appendfsync: bool,
    relax_fsync_policy: bool,
    write_load_info: bool,
    hz: bool,
    large_objects: bool,
    mass_eviction: bool,
    disable_thp: bool,
    count: usize,
}

/// `createLatencyReport`: LATENCY DOCTOR's text. It follows the C report:
/// one line per event with its statistics, then advice chosen by which
/// events were seen. The wording is ours.
fn create_latency_report(server: &Server) -> String {
    let threshold = server.config.latency_monitor_threshold;
    if server.latency.events.is_empty() && threshold == 0 {
        return "Latency monitoring is disabled in this Redis instance, and no latency event was ever recorded. \
Enable it with 'CONFIG SET latency-monitor-threshold <milliseconds>' to let the monitor collect events. \
See https://redis.io/topics/latency-monitor for how it works.\n"
            .to_string();
    }
    let now = crate::util::ustime() / 1_000_000;
    let mut report = String::new();
    let mut adv = Advice::default();
    let mut eventnum = 0;
    for (event, ts) in &server.latency.events {
        eventnum += 1;
        if eventnum == 1 {
            report.push_str("Latency spikes were observed in this Redis instance. Here is what was recorded:\n\n");
        }
        let ls = analyze_latency_for_event(ts, now);
        let period = if ls.samples > 0 {
            ls.period as f64 / ls.samples as f64
        } else {
            0.0
        };
        report.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            eventnum, event, ls.samples, ls.avg, ls.mad, period, ts.max
        ));
        match event.to_ascii_lowercase().as_str() {
            "command" => {
                let slower_than = server.config.slowlog_log_slower_than;
                if slower_than < 0 {
                    adv.slowlog_enabled = true;
                    adv.count += 1;
                } else if slower_than / 1000 > threshold {
                    adv.slowlog_tuning = true;
                    adv.count += 1;
                }
                adv.slowlog_inspect = true;
                adv.large_objects = true;
                adv.count += 2;
            }
            "fast-command" => {
                adv.scheduler = true;
                adv.count += 1;
            }
            "aof-write-pending-fsync" => {
                adv.local_disk = true;
                adv.disk_contention = true;
                adv.ssd = true;
                adv.data_writeback = true;
                adv.count += 4;
            }
            "aof-write-active-child" => {
                adv.no_appendfsync = true;
                adv.data_writeback = true;
                adv.ssd = true;
                adv.count += 3;
            }
            "aof-write-alone" => {
                adv.local_disk = true;
                adv.data_writeback = true;
                adv.ssd = true;
                adv.count += 3;
            }
            "aof-fsync-always" => {
                adv.relax_fsync_policy = true;
                adv.count += 1;
            }
            "aof-fstat" | "rdb-unlink-temp-file" => {
                adv.disk_contention = true;
                adv.local_disk = true;
                adv.count += 2;
            }
            "aof-rewrite-diff-write" | "aof-rename" => {
                adv.write_load_info = true;
                adv.data_writeback = true;
                adv.ssd = true;
                adv.local_disk = true;
                adv.count += 4;
            }
            "expire-cycle" => {
                adv.hz = true;
                adv.large_objects = true;
                adv.count += 2;
            }
            "eviction-del" => {
                adv.large_objects = true;
                adv.count += 1;
            }
            "eviction-cycle" => {
                adv.mass_eviction = true;
                adv.count += 1;
            }
            _ => {}
        }
        report.push('\n');
    }
    if thp_get_anon_huge_pages_size() > 0 {
        adv.disable_thp = true;
        adv.count += 1;
    }

    if eventnum == 0 && adv.count == 0 {
        report.push_str(
            "No latency spike was observed during the lifetime of this Redis instance.\n",
        );
        return report;
    }
    if adv.count == 0 {
        report.push_str("\nLatency events were logged, but none of them points to a simple fix. The Redis community may help you: include this report when asking.\n");
        return report;
    }
    report.push_str("\nSome advice:\n\n");
    // Wraps like the C unsigned product: the threshold may be up to LLONG_MAX.
    let suggested = (threshold.max(0) as u64).wrapping_mul(1000);
    if adv.slowlog_enabled {
        report.push_str(&format!("- Some commands were slow, but the Slow Log is disabled, so it cannot tell which ones. Enable it with 'CONFIG SET slowlog-log-slower-than {suggested}'.\n"));
    }
    if adv.slowlog_tuning {
        report.push_str(&format!("- The Slow Log only keeps commands slower than the latency monitor threshold, so it misses some of the spikes. Lower it with 'CONFIG SET slowlog-log-slower-than {suggested}'.\n"));
    }
    if adv.slowlog_inspect {
        report.push_str("- Look at the Slow Log (SLOWLOG GET) to see which commands are too slow; https://redis.io/commands/slowlog explains it.\n");
    }
    if adv.scheduler {
        report.push_str("- Code paths without system calls ran slowly: the system does not give Redis the CPU for long stretches. You could:\n\
  1) Reduce the load of the machine.\n\
  2) Run Redis on a computer or VM of its own.\n\
  3) Look for a \"noisy neighbour\" on shared hardware.\n\
  4) Measure the intrinsic latency of the system with 'redis-cli --intrinsic-latency 100'.\n");
    }
    if adv.local_disk {
        report.push_str("- Keep persistence files, the AOF above all, on local disks: remote disks of hosted platforms are known to be slow.\n");
    }
    if adv.ssd {
        report.push_str("- SSD disks cut fsync latency and the time spent writing snapshots and rewriting the AOF. Consider them as a last resort: Redis should cope with ordinary disks under high load.\n");
    }
    if adv.data_writeback {
        report.push_str("- Mounting ext3/4 with data=writeback may speed up writes, at the price of weaker guarantees: after a hard crash the AOF may end with a half-written command that must be repaired before restarting.\n");
    }
    if adv.disk_contention {
        report.push_str("- Reduce disk contention, often caused by other disk-heavy processes on the same machine (other Redis instances included).\n");
    }
    if adv.no_appendfsync {
        report.push_str("- If your durability needs allow it, enable 'no-appendfsync-on-rewrite' so that no fsync is done while a child writes an RDB file or rewrites the AOF, when the disk is busiest.\n");
    }
    if adv.relax_fsync_policy {
        report.push_str("- 'appendfsync always' makes good performance very hard; relax the policy to 'everysec' if you can.\n");
    }
    if adv.write_load_info {
        report.push_str("- Latency while renaming the rewritten AOF or flushing its final difference usually comes from a very high write load that grows the AOF buffer. Send fewer commands for the same work if possible, for instance grouped in a Lua script.\n");
    }
    if adv.hz && server.config.hz < 100 {
        report.push_str(
            "- Make key expiry more incremental by raising 'hz' to 100 ('CONFIG SET hz 100').\n",
        );
    }
    if adv.large_objects {
        report.push_str("- Deleting, expiring or evicting a large object blocks the server while it is freed. If large objects are often deleted, split them into several smaller ones.\n");
    }
    if adv.mass_eviction {
        report.push_str("- A sudden drop of 'maxmemory', or big allocations (set intersections, SORT ... STORE, large RESTOREs), may force the server to evict many keys at once.\n");
    }
    if adv.disable_thp {
        report.push_str("- This process uses transparent huge pages, which cause serious latency, above all while persisting. Disable them with 'echo never > /sys/kernel/mm/transparent_hugepage/enabled' (and at boot), then restart Redis.\n");
    }
    report
}

// ----------------------------------------------------------------------
// ASCII graphs (sparkline.c).
// ----------------------------------------------------------------------

/// Characters for the partial top of a column, bottom to top.
const SPARKLINE_CHARSET_FILL: &[u8] = b"_o#";
/// Blank rows between the graph and the labels.
const LABEL_MARGIN_TOP: usize = 1;

/// `struct sequence`: the samples of a graph with their labels.
#[derive(Default)]
struct Sequence {
    samples: Vec<(f64, Option<String>)>,
    min: f64,
    max: f64,
    labels: usize,
}

impl Sequence {
    /// `sparklineSequenceAddSample`.
    fn add_sample(&mut self, value: f64, label: Option<String>) {
        let label = label.filter(|l| !l.is_empty());
        if self.samples.is_empty() {
            self.min = value;
            self.max = value;
        } else if value < self.min {
            self.min = value;
        } else if value > self.max {
            self.max = value;
        }
        if label.is_some() {
            self.labels += 1;
        }
        self.samples.push((value, label));
    }

    /// `sparklineRenderRange` with filled columns: `rows` rows of graph,
    /// then the labels written vertically, one character per row.
    fn render_range(&self, out: &mut String, rows: usize, offset: usize, len: usize) {
        let charset_len = SPARKLINE_CHARSET_FILL.len() as i64;
        let steps = charset_len * rows as i64;
        let relmax = if self.max - self.min == 0.0 {
            1.0
        } else {
            self.max - self.min
        };
        let mut row = 0usize;
        loop {
            let mut line = vec![b' '; len];
            let mut more = false;
            for (j, ch) in line.iter_mut().enumerate() {
                let (value, label) = &self.samples[offset + j];
                let relval = value - self.min;
                // Truncations as in C: the product first, then the ratio.
                let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
                let step = step.clamp(0, steps - 1);
                if row < rows {
                    more = true;
                    let charidx = step - (rows - row - 1) as i64 * charset_len;
                    if (0..charset_len).contains(&charidx) {
                        *ch = SPARKLINE_CHARSET_FILL[charidx as usize];
                    } else if charidx >= charset_len {
                        *ch = b'|';
                    }
                } else {
                    if self.labels > 0 && row - rows < LABEL_MARGIN_TOP {
                        more = true;
                        break;
                    }
                    if let Some(l) = label {
                        let label_char = row - rows - LABEL_MARGIN_TOP;
                        if let Some(&b) = l.as_bytes().get(label_char) {
                            more = true;
                            *ch = b;
                        }
                    }
                }
            }
            if !more {
                break;
            }
            row += 1;
            out.push_str(&String::from_utf8_lossy(&line));
            out.push('\n');
        }
    }

    /// `sparklineRender`: the graph in chunks of `columns` samples.
    fn render(&self, out: &mut String, columns: usize, rows: usize) {
        let mut j = 0;
        while j < self.samples.len() {
            let sublen = (self.samples.len() - j).min(columns);
            if j != 0 {
                out.push('\n');
            }
            self.render_range(out, rows, j, sublen);
            j += columns;
        }
    }
}

/// `latencyCommandGenSparkeline`: LATENCY GRAPH's text for one event.
fn latency_command_gen_sparkline(event: &str, ts: &LatencyTimeSeries, now: i64) -> String {
    let mut seq = Sequence::default();
    let (mut min, mut max) = (0u32, 0u32);
    for s in ts.samples_in_order() {
        if seq.samples.is_empty() {
            min = s.latency;
            max = s.latency;
        } else {
            min = min.min(s.latency);
            max = max.max(s.latency);
        }
        // Label each column with how long ago it happened.
        let elapsed = now - s.time;
        let label = if elapsed < 60 {
            format!("{elapsed}s")
        } else if elapsed < 3600 {
            format!("{}m", elapsed / 60)
        } else if elapsed < 3600 * 24 {
            format!("{}h", elapsed / 3600)
        } else {
            format!("{}d", elapsed / (3600 * 24))
        };
        seq.add_sample(s.latency as f64, Some(label));
    }
    let mut graph = format!(
        "{event} - high {max} ms, low {min} ms (all time high {} ms)\n",
        ts.max
    );
    graph.push_str(&"-".repeat(LATENCY_GRAPH_COLS));
    graph.push('\n');
    seq.render(&mut graph, LATENCY_GRAPH_COLS, 4);
    graph
}

// ----------------------------------------------------------------------
// The LATENCY command.
// ----------------------------------------------------------------------

/// `fillCommandCDF`: one command's histogram as a map of calls and
/// cumulative buckets.
fn fill_command_cdf(c: &mut Client, h: &LatencyHistogram) {
    c.add_reply_map_len(2);
    c.add_reply_bulk(b"calls");
    c.add_reply_long_long(h.total_count() as i64);
    c.add_reply_bulk(b"histogram_usec");
    let buckets = h.buckets();
    c.add_reply_map_len(buckets.len() as i64);
    for (micros, cumulative) in buckets {
        c.add_reply_long_long(micros);
        c.add_reply_long_long(cumulative as i64);
    }
}

/// Adds the histogram of command `idx` if it has one; returns whether it did.
fn reply_command_histogram(server: &Server, c: &mut Client, idx: usize) -> bool {
    let entry = &server.commands.list[idx];
    match &entry.stats.latency_histogram {
        Some(h) => {
            c.add_reply_bulk(entry.fullname.as_bytes());
            fill_command_cdf(c, h);
            true
        }
        None => false,
    }
}

/// LATENCY HISTOGRAM [command ...]: all commands (and subcommands) that
/// ran, or the named ones; a container name covers its subcommands and
/// unknown names are skipped.
fn latency_histogram(server: &Server, c: &mut Client) {
    let d = c.add_reply_deferred_len();
    let mut with_data = 0;
    if c.argv.len() == 2 {
        for idx in 0..server.commands.list.len() {
            if reply_command_histogram(server, c, idx) {
                with_data += 1;
            }
        }
    } else {
        for j in 2..c.argv.len() {
            let Some(idx) = server.commands.lookup_by_fullname(&c.argv[j]) else {
                continue;
            };
            if reply_command_histogram(server, c, idx) {
                with_data += 1;
            }
            let mut subs: Vec<usize> = server.commands.list[idx]
                .subcommands
                .values()
                .copied()
                .collect();
            subs.sort_unstable();
            for sub in subs {
                if reply_command_histogram(server, c, sub) {
                    with_data += 1;
                }
            }
        }
    }
    c.set_deferred_map_len(d, with_data);
}

/// LATENCY HISTORY | LATEST | DOCTOR | GRAPH | RESET | HISTOGRAM | HELP.
pub fn latency_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    let argc = c.argv.len();
    let now = crate::util::ustime() / 1_000_000;
    match (sub.as_slice(), argc) {
        (b"history", 3) => match server.latency.get(&c.argv[2]) {
            None => c.add_reply_array_len(0),
            Some((_, ts)) => {
                let samples: Vec<LatencySample> = ts.samples_in_order().copied().collect();
                c.add_reply_array_len(samples.len() as i64);
                for s in samples {
                    c.add_reply_array_len(2);
                    c.add_reply_long_long(s.time);
                    c.add_reply_long_long(s.latency as i64);
                }
            }
        },
        (b"graph", 3) => match server.latency.get(&c.argv[2]) {
            None => {
                let err = format!(
                    "No samples available for event '{}'",
                    String::from_utf8_lossy(&c.argv[2])
                );
                c.add_reply_error(&err);
            }
            Some((event, ts)) => {
                let graph = latency_command_gen_sparkline(event, ts, now);
                c.add_reply_verbatim(graph.as_bytes(), "txt");
            }
        },
        (b"latest", 2) => {
            c.add_reply_array_len(server.latency.events.len() as i64);
            for (event, ts) in &server.latency.events {
                let last = ts.last();
                c.add_reply_array_len(4);
                c.add_reply_bulk(event.as_bytes());
                c.add_reply_long_long(last.time);
                c.add_reply_long_long(last.latency as i64);
                c.add_reply_long_long(ts.max as i64);
            }
        }
        (b"doctor", 2) => {
            let report = create_latency_report(server);
            c.add_reply_verbatim(report.as_bytes(), "txt");
        }
        (b"reset", _) => {
            let resets = if argc == 2 {
                server.latency.reset_event(None)
            } else {
                c.argv[2..]
                    .iter()
                    .map(|e| server.latency.reset_event(Some(e)))
                    .sum()
            };
            c.add_reply_long_long(resets as i64);
        }
        (b"histogram", _) => latency_histogram(server, c),
        (b"help", 2) => c.add_reply_help(
            "LATENCY",
            &[
                "DOCTOR",
                "    Return a human readable latency analysis report.",
                "GRAPH <event>",
                "    Return an ASCII latency graph for the <event> class.",
                "HISTORY <event>",
                "    Return time-latency samples for the <event> class.",
                "LATEST",
                "    Return the latest latency samples for all events.",
                "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)",
                "HISTOGRAM [COMMAND ...]",
                "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                "    If no commands are specified then all histograms are replied.",
            ],
        ),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_layout_matches_hdr() {
        // Values below 256 ns have unit resolution.
        assert_eq!(counts_index_for(1), 1);
        assert_eq!(counts_index_for(255), 255);
        // Then each bucket doubles the width.
        assert_eq!(lowest_equivalent_value(257), 256);
        assert_eq!(highest_equivalent_value(257), 257);
        assert_eq!(lowest_equivalent_value(1025), 1024);
        assert_eq!(highest_equivalent_value(1025), 1031);
        assert!(counts_index_for(LATENCY_HISTOGRAM_MAX_VALUE) < COUNTS_LEN);
        assert_eq!(
            value_at_index(counts_index_for(5000)),
            lowest_equivalent_value(5000)
        );
    }

    #[test]
    fn histogram_percentiles() {
        let mut h = LatencyHistogram::default();
        for _ in 0..99 {
            h.record(1000);
        }
        h.record(50_000);
        assert_eq!(h.total_count(), 100);
        assert_eq!(h.value_at_percentile(50.0), 1003);
        assert_eq!(h.value_at_percentile(99.0), 1003);
        assert_eq!(
            h.value_at_percentile(100.0),
            highest_equivalent_value(50_000)
        );
        // Out of range values are clamped, not lost.
        h.record(0);
        h.record(5_000_000_000);
        assert_eq!(h.total_count(), 102);
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut h = LatencyHistogram::default();
        h.record(500);
        h.record(1500);
        h.record(1500);
        h.record(3_000_000);
        let b = h.buckets();
        assert_eq!(b.first(), Some(&(1, 1)));
        assert_eq!(b[1], (2, 3));
        assert_eq!(b.last().map(|x| x.1), Some(4));
        assert!(b.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1));
    }

    #[test]
    fn time_series_keeps_worst_per_second() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 300, 1000);
        m.add_sample("command", 200, 1000);
        m.add_sample("command", 400, 1001);
        let ts = &m.events["command"];
        let v: Vec<(i64, u32)> = ts.samples_in_order().map(|s| (s.time, s.latency)).collect();
        assert_eq!(v, vec![(1000, 300), (1001, 400)]);
        assert_eq!(ts.max, 400);
        for t in 0..200 {
            m.add_sample("command", t, 2000 + t);
        }
        assert_eq!(
            m.events["command"].samples_in_order().count(),
            LATENCY_TS_LEN
        );
        assert_eq!(m.reset_event(Some(b"COMMAND")), 1);
        assert_eq!(m.reset_event(None), 0);
    }

    #[test]
    fn analyze_reports_average_and_deviation() {
        let mut m = LatencyMonitor::default();
        m.add_sample("e", 100, 10);
        m.add_sample("e", 300, 12);
        let ls = analyze_latency_for_event(&m.events["e"], 20);
        assert_eq!(
            (ls.samples, ls.avg, ls.mad, ls.min, ls.max, ls.period),
            (2, 200, 100, 100, 300, 10)
        );
    }

    #[test]
    fn sparkline_shape() {
        let mut m = LatencyMonitor::default();
        m.add_sample("command", 100, 100);
        m.add_sample("command", 400, 110);
        let g = latency_command_gen_sparkline("command", &m.events["command"], 120);
        let lines: Vec<&str> = g.lines().collect();
        assert_eq!(
            lines[0],
            "command - high 400 ms, low 100 ms (all time high 400 ms)"
        );
        assert_eq!(lines[1].len(), LATENCY_GRAPH_COLS);
        // Four rows of graph: the high sample fills its column to the top.
        assert_eq!(&lines[2..6], &[" #", " |", " |", "_|"]);
        // A blank margin, then the labels "20s" and "10s" written downwards.
        assert_eq!(&lines[6..], &["  ", "21", "00", "ss"]);
    }
}
