//! The access clocks of values: the LRU/LFU part of `evict.c`.
//!
//! Every value carries 24 bits of access information in `RObj::lru`. Under
//! an LRU (or non-LFU) `maxmemory-policy` it is the LRU clock, seconds
//! modulo 2^24, of the last access; under an LFU policy it is split into a
//! 16-bit "last decrement time" in minutes and an 8-bit logarithmic access
//! counter. OBJECT IDLETIME, OBJECT FREQ and DEBUG OBJECT read these
//! fields; key lookups update them. The eviction pool itself belongs here
//! too once `maxmemory` is enforced.

use crate::config::MaxmemoryPolicy;
use crate::server::Server;

/// `LRU_CLOCK_MAX`: the LRU clock wraps at 24 bits.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;
/// `LRU_CLOCK_RESOLUTION`: one LRU tick is a second.
pub const LRU_CLOCK_RESOLUTION: u64 = 1000;
/// `LFU_INIT_VAL`: the counter of a new value, so that it is not evicted
/// before it had a chance to be accessed again.
pub const LFU_INIT_VAL: u32 = 5;

/// `MAXMEMORY_FLAG_LFU`: whether the policy tracks frequency, not recency.
pub fn policy_is_lfu(policy: MaxmemoryPolicy) -> bool {
    matches!(
        policy,
        MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
    )
}

impl Server {
    /// Whether values carry an LFU counter rather than an LRU time.
    pub fn lfu_enabled(&self) -> bool {
        policy_is_lfu(self.config.maxmemory_policy)
    }

    /// The clock a value gets when created (`createObject`).
    pub fn new_object_lru(&self) -> u32 {
        if self.lfu_enabled() {
            (self.lfu_get_time_in_minutes() << 8) | LFU_INIT_VAL
        } else {
            self.lru_clock()
        }
    }

    /// The clock a value gets when accessed, given the one it had (the
    /// touch part of `lookupKey`).
    pub fn lru_after_access(&self, old: u32) -> u32 {
        if self.lfu_enabled() {
            self.update_lfu(old)
        } else {
            self.lru_clock()
        }
    }

    /// `estimateObjectIdleTime`: milliseconds since the last access, taking
    /// one wrap of the 24-bit clock into account.
    pub fn estimate_object_idle_time(&self, lru: u32) -> u64 {
        let clock = self.lru_clock() as u64;
        let lru = lru as u64;
        if clock >= lru {
            (clock - lru) * LRU_CLOCK_RESOLUTION
        } else {
            (clock + (LRU_CLOCK_MAX as u64 - lru)) * LRU_CLOCK_RESOLUTION
        }
    }

    /// `LFUGetTimeInMinutes`: the 16-bit minutes clock of LFU.
    pub fn lfu_get_time_in_minutes(&self) -> u32 {
        ((self.unixtime / 60) & 65535) as u32
    }

    /// `LFUTimeElapsed`: minutes since `ldt`, assuming at most one wrap.
    fn lfu_time_elapsed(&self, ldt: u32) -> u32 {
        let now = self.lfu_get_time_in_minutes();
        if now >= ldt {
            now - ldt
        } else {
            65535 - ldt + now
        }
    }

    /// `LFULogIncr`: bumps the counter with a probability that falls as the
    /// counter grows, so 8 bits cover millions of accesses.
    fn lfu_log_incr(&self, counter: u32) -> u32 {
        if counter >= 255 {
            return 255;
        }
        let r: f64 = rand::random();
        let baseval = (counter as f64 - LFU_INIT_VAL as f64).max(0.0);
        let p = 1.0 / (baseval * self.config.lfu_log_factor as f64 + 1.0);
        if r < p {
            counter + 1
        } else {
            counter
        }
    }

    /// `LFUDecrAndReturn`: the counter after the decay owed since the last
    /// decrement time, without storing it.
    pub fn lfu_decr_and_return(&self, lru: u32) -> u32 {
        let ldt = lru >> 8;
        let counter = lru & 255;
        let decay = self.config.lfu_decay_time;
        let periods = if decay > 0 {
            (self.lfu_time_elapsed(ldt) as i64 / decay) as u32
        } else {
            0
        };
        counter.saturating_sub(periods)
    }

    /// `updateLFU`: decay, then a logarithmic increment, stamped now.
    fn update_lfu(&self, lru: u32) -> u32 {
        let counter = self.lfu_log_incr(self.lfu_decr_and_return(lru));
        (self.lfu_get_time_in_minutes() << 8) | counter
    }
}
