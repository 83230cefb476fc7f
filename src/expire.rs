//! Active expiry: a port of the adaptive cycle of `expire.c`.
//!
//! Lazy expiry (in `db.rs`) removes a key when someone touches it; this
//! module removes the keys nobody touches. `server_cron` runs a SLOW cycle
//! every tick, with a CPU budget of a percentage of the tick; `before_sleep`
//! runs a FAST cycle of about a millisecond when the previous cycle ran out
//! of time or found many expired keys. Each cycle walks the `expires`
//! dictionaries with a persistent scan cursor, samples keys, deletes the
//! expired ones and goes on with the same database while more than the
//! acceptable share of the sample was stale. `active-expire-effort` (1..10)
//! scales every knob as in C.

use crate::server::Server;
use crate::util::ustime;

pub const ACTIVE_EXPIRE_CYCLE_SLOW: u8 = 0;
pub const ACTIVE_EXPIRE_CYCLE_FAST: u8 = 1;

/// Keys sampled per database per loop, at effort 1.
const ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP: usize = 20;
/// Microseconds of a fast cycle, at effort 1.
const ACTIVE_EXPIRE_CYCLE_FAST_DURATION: i64 = 1000;
/// CPU percentage of a slow cycle, at effort 1.
const ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC: i64 = 25;
/// Percentage of expired keys in a sample above which we keep going.
const ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE: usize = 10;
/// Databases visited per cycle at most.
const CRON_DBS_PER_CALL: usize = 16;

/// State kept between cycles (the C function's statics).
#[derive(Default)]
pub struct ExpireCycleState {
    current_db: usize,
    timelimit_exit: bool,
    last_fast_cycle: i64,
    /// Running average of the share of stale keys found by the cycles.
    pub stat_expired_stale_perc: f64,
    pub stat_expired_time_cap_reached_count: u64,
    pub stat_expire_cycle_time_used: u64,
}

/// `activeExpireCycle`.
pub fn active_expire_cycle(server: &mut Server, cycle_type: u8) {
    if !server.active_expire_enabled || server.loading {
        return;
    }
    // A pause keeps the dataset constant, expiries included.
    if crate::networking::client_cmd::check_client_pause_timeout_and_return_if_paused(server) {
        return;
    }
    let effort = (server.config.active_expire_effort.clamp(1, 10) - 1) as usize;
    let keys_per_loop =
        ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP + ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP / 4 * effort;
    let fast_duration =
        ACTIVE_EXPIRE_CYCLE_FAST_DURATION + ACTIVE_EXPIRE_CYCLE_FAST_DURATION / 4 * effort as i64;
    let slow_time_perc = ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC + 2 * effort as i64;
    let acceptable_stale = ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE - effort;

    let start = ustime();
    let st = &mut server.expire_state;
    if cycle_type == ACTIVE_EXPIRE_CYCLE_FAST {
        // Only when the last cycle hit its time limit or the estimated
        // stale share is high, and not more often than twice its length.
        if !st.timelimit_exit && st.stat_expired_stale_perc < acceptable_stale as f64 {
            return;
        }
        if start < st.last_fast_cycle + fast_duration * 2 {
            return;
        }
        st.last_fast_cycle = start;
    }
    let dbs_per_call = CRON_DBS_PER_CALL.min(server.dbs.len());
    let hz = server.config.hz.max(1);
    let timelimit = if cycle_type == ACTIVE_EXPIRE_CYCLE_FAST {
        fast_duration
    } else {
        (1_000_000 * slow_time_perc / hz / 100).max(1)
    };
    server.expire_state.timelimit_exit = false;

    let mut total_sampled = 0usize;
    let mut total_expired = 0usize;
    let mut iteration = 0u64;
    let mut timelimit_exit = false;
    for _ in 0..dbs_per_call {
        if timelimit_exit {
            break;
        }
        let db = server.expire_state.current_db % server.dbs.len();
        server.expire_state.current_db += 1;
        loop {
            let num = server.dbs[db].expires.len();
            if num == 0 {
                server.dbs[db].avg_ttl = 0;
                break;
            }
            iteration += 1;
            let now = server.mstime;
            let want = num.min(keys_per_loop);
            let max_buckets = want * 20;
            let mut sampled = 0usize;
            let mut checked_buckets = 0usize;
            let mut ttl_sum = 0i64;
            let mut ttl_samples = 0i64;
            let mut expired_keys: Vec<Vec<u8>> = Vec::new();
            let mut cursor = server.dbs[db].expires_cursor;
            while sampled < want && checked_buckets < max_buckets {
                cursor = server.dbs[db].expires.scan(cursor, |k, &when| {
                    sampled += 1;
                    if when < now {
                        expired_keys.push(k.to_vec());
                    } else {
                        ttl_sum += when - now;
                        ttl_samples += 1;
                    }
                });
                checked_buckets += 1;
                if cursor == 0 {
                    break;
                }
            }
            server.dbs[db].expires_cursor = cursor;
            let expired = expired_keys.len();
            for k in expired_keys {
                server.delete_expired_key(db, &k);
            }
            total_expired += expired;
            total_sampled += sampled;
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                let d = &mut server.dbs[db];
                // A running average weighted towards the past.
                d.avg_ttl = if d.avg_ttl == 0 {
                    avg
                } else {
                    (d.avg_ttl / 50) * 49 + avg / 50
                };
            }
            if iteration.is_multiple_of(16) && ustime() - start > timelimit {
                timelimit_exit = true;
                server.expire_state.stat_expired_time_cap_reached_count += 1;
                break;
            }
            // Go on with this database while the sample was mostly stale.
            if sampled == 0 || expired * 100 / sampled <= acceptable_stale {
                break;
            }
        }
    }
    let elapsed = ustime() - start;
    crate::latency::latency_add_sample_if_needed(server, "expire-cycle", elapsed / 1000);
    let st = &mut server.expire_state;
    st.timelimit_exit = timelimit_exit;
    st.stat_expire_cycle_time_used += elapsed.max(0) as u64;
    let current_perc = if total_sampled > 0 {
        total_expired as f64 / total_sampled as f64
    } else {
        0.0
    };
    st.stat_expired_stale_perc = current_perc * 0.05 + st.stat_expired_stale_perc * 0.95;
}
