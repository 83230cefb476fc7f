//! DUMP and RESTORE: the "DUMP, RESTORE and MIGRATE commands" section of
//! `cluster.c` (MIGRATE comes with the cluster bus).
//!
//! A DUMP payload is one value in the RDB encoding: its type byte and
//! body, then a two-byte footer with the RDB version (little endian) and
//! the CRC-64 of everything before the checksum (8 bytes, little endian).
//! RESTORE accepts payloads of any RDB version up to ours, so values move
//! between this server and Redis 7.0.15 in both directions.

use crate::networking::Client;
use crate::object::{get_long_long_from_object_or_reply, RObj};
use crate::rdb::{
    rdb_load_object, rdb_load_object_type, rdb_save_object, rdb_save_object_type, RDB_VERSION,
};
use crate::rio::Rio;
use crate::server::Server;

/// `createDumpPayload`.
pub fn create_dump_payload(server: &Server, o: &RObj, key: &[u8], dbid: usize) -> Vec<u8> {
    let mut payload = Rio::with_buffer();
    payload.rdb_compression = server.config.rdbcompression;
    // Writing to memory cannot fail.
    let _ = rdb_save_object_type(&mut payload, o);
    let _ = rdb_save_object(&mut payload, o, key, dbid);
    let mut buf = payload.into_buffer();
    buf.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crate::crc64::crc64(0, &buf);
    buf.extend_from_slice(&crc.to_le_bytes());
    buf
}

/// `verifyDumpPayload`: the footer's version is one we read and the
/// checksum matches (unless `skip_checksum` is set).
pub fn verify_dump_payload(p: &[u8], skip_checksum: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let rdbver = u16::from_le_bytes([footer[0], footer[1]]);
    if rdbver > RDB_VERSION {
        return false;
    }
    if skip_checksum {
        return true;
    }
    let crc = crate::crc64::crc64(0, &p[..p.len() - 8]);
    crc.to_le_bytes() == footer[2..]
}

/// DUMP key
pub fn dump_command(server: &mut Server, c: &mut Client) {
    let Some(o) = server.lookup_key_read(c.db, &c.argv[1]) else {
        c.add_reply_null();
        return;
    };
    let o = o.clone();
    let payload = create_dump_payload(server, &o, &c.argv[1], c.db);
    c.add_reply_bulk(&payload);
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency],
/// and RESTORE-ASKING, its twin for slot migration.
pub fn restore_command(server: &mut Server, c: &mut Client) {
    let (mut lfu_freq, mut lru_idle, mut lru_clock) = (-1i64, -1i64, -1i64);
    let (mut replace, mut absttl) = (false, false);
    let mut j = 4;
    while j < c.argv.len() {
        let additional = c.argv.len() - j - 1;
        let opt = c.argv[j].clone();
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if opt.eq_ignore_ascii_case(b"idletime") && additional >= 1 && lfu_freq == -1 {
            let arg = c.argv[j + 1].clone();
            let Some(v) = get_long_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            if v < 0 {
                c.add_reply_error("Invalid IDLETIME value, must be >= 0");
                return;
            }
            lru_idle = v;
            lru_clock = server.lru_clock() as i64;
            j += 1;
        } else if opt.eq_ignore_ascii_case(b"freq") && additional >= 1 && lru_idle == -1 {
            let arg = c.argv[j + 1].clone();
            let Some(v) = get_long_long_from_object_or_reply(c, &arg, None) else {
                return;
            };
            if !(0..=255).contains(&v) {
                c.add_reply_error("Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            lfu_freq = v;
            j += 1;
        } else {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }

    let key = c.argv[1].clone();
    if !replace && server.lookup_key_write(c.db, &key).is_some() {
        c.add_reply_error("-BUSYKEY Target key name already exists.");
        return;
    }
    let ttl_arg = c.argv[2].clone();
    let Some(mut ttl) = get_long_long_from_object_or_reply(c, &ttl_arg, None) else {
        return;
    };
    if ttl < 0 {
        c.add_reply_error("Invalid TTL value, must be >= 0");
        return;
    }
    if !verify_dump_payload(&c.argv[3], server.rdb.skip_checksum_validation) {
        c.add_reply_error("DUMP payload version or checksum are wrong");
        return;
    }
    let loaded = {
        let mut payload = Rio::with_slice(&c.argv[3]);
        payload.restore_context = true;
        rdb_load_object_type(&mut payload)
            .and_then(|t| rdb_load_object(server, t, &mut payload, &key, c.db))
    };
    let mut obj = match loaded {
        Ok(o) => o,
        Err(e) => {
            crate::rdb::load::rdb_report_restore_error(server, &e);
            c.add_reply_error("Bad data format");
            return;
        }
    };

    let deleted = replace && server.db_delete(c.db, &key);
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(crate::util::mstime());
    }
    if ttl != 0 && ttl <= crate::util::mstime() && !server.loading {
        // Already expired: the key ends up deleted, as a DEL would.
        if deleted {
            server.signal_modified_key(c.db, &key);
            crate::notify::notify_keyspace_event(
                server,
                crate::config::NOTIFY_GENERIC,
                "del",
                &key,
                c.db,
            );
            server.dirty += 1;
        }
        c.add_reply_ok();
        return;
    }
    obj.lru = server.new_object_lru();
    crate::rdb::object_set_lru_or_lfu(server, &mut obj, lfu_freq, lru_idle, lru_clock, 1000);
    server.dbs[c.db]
        .dict
        .insert(crate::sds::Sds::new(&key), obj);
    if ttl != 0 {
        server.set_expire(c.db, &key, ttl);
    }
    server.signal_modified_key(c.db, &key);
    crate::notify::notify_keyspace_event(
        server,
        crate::config::NOTIFY_GENERIC,
        "restore",
        &key,
        c.db,
    );
    c.add_reply_ok();
    server.dirty += 1;
}
