//! A High Dynamic Range histogram, the subset of `deps/hdr_histogram` that
//! Redis uses for per-command latency (INFO latencystats, LATENCY
//! HISTOGRAM).
//!
//! Values are counted in buckets whose width doubles with each power of two
//! while keeping a fixed number of significant digits, so a histogram from
//! 1 ns to 1 s at two significant digits needs about three thousand
//! counters and reports any percentile with at most 1% error. The bucket
//! arithmetic follows the reference implementation exactly, so percentiles
//! come out as the same numbers Redis prints.

/// Redis' latency histograms: 1 ns to 1 s, two significant digits
/// (`LATENCY_HISTOGRAM_MIN_VALUE` ...).
pub const LATENCY_HISTOGRAM_MIN_VALUE: i64 = 1;
pub const LATENCY_HISTOGRAM_MAX_VALUE: i64 = 1_000_000_000;
pub const LATENCY_HISTOGRAM_PRECISION: u32 = 2;

/// `struct hdr_histogram`.
#[derive(Clone, Debug)]
pub struct HdrHistogram {
    unit_magnitude: u32,
    sub_bucket_half_count_magnitude: u32,
    sub_bucket_half_count: i64,
    sub_bucket_mask: i64,
    sub_bucket_count: i64,
    pub total_count: i64,
    counts: Vec<i64>,
}

impl HdrHistogram {
    /// `hdr_init`. `lowest` must be at least 1 and `highest` at least twice
    /// `lowest`; `sigfigs` is 1 to 5.
    pub fn new(lowest: i64, highest: i64, sigfigs: u32) -> HdrHistogram {
        let largest_single_unit = 2 * 10i64.pow(sigfigs.clamp(1, 5));
        let unit_magnitude = (lowest.max(1) as f64).log2().floor() as u32;
        let sub_bucket_count_magnitude = (largest_single_unit as f64).log2().ceil() as u32;
        let sub_bucket_half_count_magnitude = sub_bucket_count_magnitude.max(1) - 1;
        let sub_bucket_count = 1i64 << (sub_bucket_half_count_magnitude + 1);
        let sub_bucket_half_count = sub_bucket_count / 2;
        let sub_bucket_mask = (sub_bucket_count - 1) << unit_magnitude;
        // How many doublings until the whole range is covered.
        let mut smallest_untrackable = sub_bucket_count << unit_magnitude;
        let mut bucket_count = 1i64;
        while smallest_untrackable <= highest {
            if smallest_untrackable > i64::MAX / 2 {
                bucket_count += 1;
                break;
            }
            smallest_untrackable <<= 1;
            bucket_count += 1;
        }
        let counts_len = ((bucket_count + 1) * sub_bucket_half_count) as usize;
        HdrHistogram {
            unit_magnitude,
            sub_bucket_half_count_magnitude,
            sub_bucket_half_count,
            sub_bucket_mask,
            sub_bucket_count,
            total_count: 0,
            counts: vec![0; counts_len],
        }
    }

    /// A histogram with Redis' latency parameters.
    pub fn new_latency() -> HdrHistogram {
        HdrHistogram::new(
            LATENCY_HISTOGRAM_MIN_VALUE,
            LATENCY_HISTOGRAM_MAX_VALUE,
            LATENCY_HISTOGRAM_PRECISION,
        )
    }

    fn bucket_index(&self, value: i64) -> i32 {
        let pow2ceiling = 64 - (value | self.sub_bucket_mask).leading_zeros() as i32;
        pow2ceiling - self.unit_magnitude as i32 - (self.sub_bucket_half_count_magnitude as i32 + 1)
    }

    fn sub_bucket_index(&self, value: i64, bucket_index: i32) -> i64 {
        value >> (bucket_index as u32 + self.unit_magnitude)
    }

    fn counts_index(&self, bucket_index: i32, sub_bucket_index: i64) -> i64 {
        let bucket_base = ((bucket_index + 1) as i64) << self.sub_bucket_half_count_magnitude;
        bucket_base + (sub_bucket_index - self.sub_bucket_half_count)
    }

    fn value_from_index(&self, bucket_index: i32, sub_bucket_index: i64) -> i64 {
        sub_bucket_index << (bucket_index as u32 + self.unit_magnitude)
    }

    /// `hdr_record_value`: false when the value is out of range.
    pub fn record_value(&mut self, value: i64) -> bool {
        if value < 0 {
            return false;
        }
        let bi = self.bucket_index(value);
        let sbi = self.sub_bucket_index(value, bi);
        let idx = self.counts_index(bi, sbi);
        match usize::try_from(idx)
            .ok()
            .and_then(|i| self.counts.get_mut(i))
        {
            Some(slot) => {
                *slot += 1;
                self.total_count += 1;
                true
            }
            None => false,
        }
    }

    /// `hdr_value_at_index`: the lowest value counted by counter `index`.
    pub fn value_at_index(&self, index: usize) -> i64 {
        let index = index as i64;
        let mut bucket_index = (index >> self.sub_bucket_half_count_magnitude) as i32 - 1;
        let mut sub_bucket_index =
            (index & (self.sub_bucket_half_count - 1)) + self.sub_bucket_half_count;
        if bucket_index < 0 {
            sub_bucket_index -= self.sub_bucket_half_count;
            bucket_index = 0;
        }
        self.value_from_index(bucket_index, sub_bucket_index)
    }

    /// `hdr_size_of_equivalent_value_range`.
    pub fn size_of_equivalent_value_range(&self, value: i64) -> i64 {
        let bi = self.bucket_index(value);
        let sbi = self.sub_bucket_index(value, bi);
        let adjusted = if sbi >= self.sub_bucket_count {
            bi + 1
        } else {
            bi
        };
        1i64 << (self.unit_magnitude as i32 + adjusted)
    }

    /// `hdr_lowest_equivalent_value`.
    pub fn lowest_equivalent_value(&self, value: i64) -> i64 {
        let bi = self.bucket_index(value);
        let sbi = self.sub_bucket_index(value, bi);
        self.value_from_index(bi, sbi)
    }

    /// `hdr_next_non_equivalent_value`.
    pub fn next_non_equivalent_value(&self, value: i64) -> i64 {
        self.lowest_equivalent_value(value) + self.size_of_equivalent_value_range(value)
    }

    /// `highest_equivalent_value`.
    pub fn highest_equivalent_value(&self, value: i64) -> i64 {
        self.next_non_equivalent_value(value) - 1
    }

    /// `hdr_value_at_percentile`.
    pub fn value_at_percentile(&self, percentile: f64) -> i64 {
        let requested = percentile.min(100.0);
        let count_at_percentile = (((requested / 100.0) * self.total_count as f64) + 0.5) as i64;
        let count_at_percentile = count_at_percentile.max(1);
        let mut total = 0i64;
        let mut value = 0;
        for (idx, &n) in self.counts.iter().enumerate() {
            total += n;
            if total >= count_at_percentile {
                value = self.value_at_index(idx);
                break;
            }
        }
        if percentile == 0.0 {
            self.lowest_equivalent_value(value)
        } else {
            self.highest_equivalent_value(value)
        }
    }

    /// The raw counters, lowest values first (for iteration by LATENCY
    /// HISTOGRAM).
    pub fn counts(&self) -> &[i64] {
        &self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_the_reference() {
        let h = HdrHistogram::new_latency();
        // 2 significant digits: 256 sub-buckets, 23 buckets up to 1e9.
        assert_eq!(h.sub_bucket_count, 256);
        assert_eq!(h.counts.len(), 24 * 128);
    }

    #[test]
    fn percentiles() {
        let mut h = HdrHistogram::new_latency();
        assert_eq!(h.value_at_percentile(50.0), 0);
        for v in 1..=100 {
            assert!(h.record_value(v * 1000));
        }
        // Exact up to 2 significant digits (bucket of width 512 here).
        let p50 = h.value_at_percentile(50.0);
        assert!((50_000..50_000 + 512).contains(&p50), "{p50}");
        let p100 = h.value_at_percentile(100.0);
        assert!((100_000..100_000 + 1024).contains(&p100), "{p100}");
        assert_eq!(h.value_at_percentile(0.0), 1000);
        assert!(!h.record_value(-1));
        assert!(h.record_value(LATENCY_HISTOGRAM_MAX_VALUE));
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = HdrHistogram::new_latency();
        h.record_value(7);
        assert_eq!(h.value_at_percentile(99.0), 7);
        assert_eq!(h.value_at_index(7), 7);
    }
}
