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
//!
//! The expiry commands (EXPIRE and friends, TTL and friends, PERSIST,
//! TOUCH) are here too, as in C.

use crate::config::NOTIFY_GENERIC;
use crate::db::LOOKUP_NOTOUCH;
use crate::networking::Client;
use crate::notify::notify_keyspace_event;
use crate::object::get_long_long_from_object_or_reply;
use crate::server::Server;
use crate::util::{mstime, ustime};

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
/// `DICT_HT_INITIAL_SIZE`: below this many buckets a table is never
/// considered too sparse to sample.
const DICT_HT_INITIAL_SIZE: usize = 4;

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
    // After a cycle that ran out of time there is work somewhere: visit
    // every database this time.
    let mut dbs_per_call = CRON_DBS_PER_CALL;
    if dbs_per_call > server.dbs.len() || st.timelimit_exit {
        dbs_per_call = server.dbs.len();
    }
    let hz = server.config.hz.max(1);
    let timelimit = if cycle_type == ACTIVE_EXPIRE_CYCLE_FAST {
        fast_duration
    } else {
        (slow_time_perc * 1_000_000 / hz / 100).max(1)
    };
    st.timelimit_exit = false;

    let mut total_sampled = 0usize;
    let mut total_expired = 0usize;
    let mut iteration = 0u64;
    let mut timelimit_exit = false;
    for _ in 0..dbs_per_call {
        if timelimit_exit {
            break;
        }
        // Advance first, so a cycle that runs out of time here resumes at
        // the next database.
        let db = server.expire_state.current_db % server.dbs.len();
        server.expire_state.current_db = server.expire_state.current_db.wrapping_add(1);
        loop {
            iteration += 1;
            let num = server.dbs[db].expires.len();
            if num == 0 {
                server.dbs[db].avg_ttl = 0;
                break;
            }
            // Sampling a table that is less than 1% full wastes time; it
            // will be shrunk by the cron soon.
            let slots = server.dbs[db].expires.buckets();
            if slots > DICT_HT_INITIAL_SIZE && num * 100 / slots < 1 {
                break;
            }
            let now = crate::util::mstime();
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
                    if now > when {
                        expired_keys.push(k.to_vec());
                    } else if when > now {
                        // Only keys still to expire count for the average.
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
                // A running average giving the new sample a 2% weight.
                if d.avg_ttl == 0 {
                    d.avg_ttl = avg;
                }
                d.avg_ttl = (d.avg_ttl / 50) * 49 + avg / 50;
            }
            if iteration.is_multiple_of(16) && ustime() - start > timelimit {
                timelimit_exit = true;
                server.expire_state.stat_expired_time_cap_reached_count += 1;
                break;
            }
            // Go on with this database while the sample was mostly stale.
            if sampled != 0 && expired * 100 / sampled <= acceptable_stale {
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

// ----------------------------------------------------------------------
// Expire commands.
// ----------------------------------------------------------------------

pub const UNIT_SECONDS: u8 = 0;
pub const UNIT_MILLISECONDS: u8 = 1;

const EXPIRE_NX: u32 = 1 << 0;
const EXPIRE_XX: u32 = 1 << 1;
const EXPIRE_GT: u32 = 1 << 2;
const EXPIRE_LT: u32 = 1 << 3;

/// `checkAlreadyExpired`: a TTL in the past deletes the key at once,
/// except while loading (AOF replay must rebuild the same state, and the
/// expiry will happen afterwards).
fn check_already_expired(server: &Server, when: i64) -> bool {
    when <= mstime() && !server.loading
}

/// `parseExtendedExpireArgumentsOrReply`: the NX|XX|GT|LT flags.
fn parse_extended_expire_arguments_or_reply(c: &mut Client) -> Option<u32> {
    let mut flags = 0;
    for j in 3..c.argv.len() {
        let opt = &c.argv[j];
        if opt.eq_ignore_ascii_case(b"nx") {
            flags |= EXPIRE_NX;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            flags |= EXPIRE_XX;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            flags |= EXPIRE_GT;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            flags |= EXPIRE_LT;
        } else {
            let msg = format!("Unsupported option {}", String::from_utf8_lossy(opt));
            c.add_reply_error(&msg);
            return None;
        }
    }
    if flags & EXPIRE_NX != 0 && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT) != 0 {
        c.add_reply_error("NX and XX, GT or LT options at the same time are not compatible");
        return None;
    }
    if flags & EXPIRE_GT != 0 && flags & EXPIRE_LT != 0 {
        c.add_reply_error("GT and LT options at the same time are not compatible");
        return None;
    }
    Some(flags)
}

/// `addReplyErrorExpireTime`.
fn add_reply_error_expire_time(server: &Server, c: &mut Client) {
    let name = c
        .cmd
        .map_or("", |i| server.commands.list[i].fullname.as_str());
    let msg = format!("invalid expire time in '{name}' command");
    c.add_reply_error(&msg);
}

/// `expireGenericCommand`: EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT.
/// `basetime` is now for the relative forms and 0 for the absolute ones;
/// `unit` is the unit of the argument.
fn expire_generic_command(server: &mut Server, c: &mut Client, basetime: i64, unit: u8) {
    let Some(flags) = parse_extended_expire_arguments_or_reply(c) else {
        return;
    };
    let Some(mut when) = get_long_long_from_object_or_reply(c, &c.argv[2].clone(), None) else {
        return;
    };
    // Negative times are allowed (they delete the key), so only overflow
    // of the unit conversion and of the addition is an error.
    if unit == UNIT_SECONDS {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            add_reply_error_expire_time(server, c);
            return;
        }
        when *= 1000;
    }
    if when > i64::MAX - basetime {
        add_reply_error_expire_time(server, c);
        return;
    }
    when += basetime;

    let db = c.db;
    if server.lookup_key_write(db, &c.argv[1]).is_none() {
        c.add_reply_long_long(0);
        return;
    }
    if flags != 0 {
        let current = server.dbs[db].get_expire(&c.argv[1]);
        // A key without TTL counts as an infinite TTL for GT and LT.
        let refused = (flags & EXPIRE_NX != 0 && current != -1)
            || (flags & EXPIRE_XX != 0 && current == -1)
            || (flags & EXPIRE_GT != 0 && (when <= current || current == -1))
            || (flags & EXPIRE_LT != 0 && current != -1 && when >= current);
        if refused {
            c.add_reply_long_long(0);
            return;
        }
    }
    if check_already_expired(server, when) {
        server.db_delete(db, &c.argv[1]);
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", &c.argv[1], db);
        server.dirty += 1;
        c.add_reply_long_long(1);
    } else {
        server.set_expire(db, &c.argv[1], when);
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "expire", &c.argv[1], db);
        server.dirty += 1;
        c.add_reply_long_long(1);
    }
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub fn expire_command(server: &mut Server, c: &mut Client) {
    expire_generic_command(server, c, mstime(), UNIT_SECONDS);
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub fn expireat_command(server: &mut Server, c: &mut Client) {
    expire_generic_command(server, c, 0, UNIT_SECONDS);
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub fn pexpire_command(server: &mut Server, c: &mut Client) {
    expire_generic_command(server, c, mstime(), UNIT_MILLISECONDS);
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub fn pexpireat_command(server: &mut Server, c: &mut Client) {
    expire_generic_command(server, c, 0, UNIT_MILLISECONDS);
}

/// `ttlGenericCommand`: TTL, PTTL, EXPIRETIME and PEXPIRETIME. -2 for a
/// missing key, -1 for a key without TTL.
fn ttl_generic_command(server: &mut Server, c: &mut Client, output_ms: bool, output_abs: bool) {
    if server
        .lookup_key_read_with_flags(c.db, &c.argv[1], LOOKUP_NOTOUCH)
        .is_none()
    {
        c.add_reply_long_long(-2);
        return;
    }
    let expire = server.dbs[c.db].get_expire(&c.argv[1]);
    if expire == -1 {
        c.add_reply_long_long(-1);
        return;
    }
    let ttl = if output_abs {
        expire
    } else {
        expire - mstime()
    }
    .max(0);
    c.add_reply_long_long(if output_ms { ttl } else { (ttl + 500) / 1000 });
}

/// TTL key
pub fn ttl_command(server: &mut Server, c: &mut Client) {
    ttl_generic_command(server, c, false, false);
}

/// PTTL key
pub fn pttl_command(server: &mut Server, c: &mut Client) {
    ttl_generic_command(server, c, true, false);
}

/// EXPIRETIME key
pub fn expiretime_command(server: &mut Server, c: &mut Client) {
    ttl_generic_command(server, c, false, true);
}

/// PEXPIRETIME key
pub fn pexpiretime_command(server: &mut Server, c: &mut Client) {
    ttl_generic_command(server, c, true, true);
}

/// PERSIST key
pub fn persist_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    if server.lookup_key_write(db, &c.argv[1]).is_some() && server.remove_expire(db, &c.argv[1]) {
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_GENERIC, "persist", &c.argv[1], db);
        server.dirty += 1;
        c.add_reply_long_long(1);
    } else {
        c.add_reply_long_long(0);
    }
}

/// TOUCH key [key ...]: a read that only updates the access clocks.
pub fn touch_command(server: &mut Server, c: &mut Client) {
    let mut touched = 0;
    for j in 1..c.argv.len() {
        if server.lookup_key_read(c.db, &c.argv[j]).is_some() {
            touched += 1;
        }
    }
    c.add_reply_long_long(touched);
}
