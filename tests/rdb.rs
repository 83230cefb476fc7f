//! RDB persistence: files and DUMP payloads crossing between this server
//! and Debian's redis-server 7.0.15 (those tests are skipped when it is
//! not installed), BGSAVE, loading, and corrupt files.

mod common;

use common::{free_port, server_binary, Conn, Reply, Server};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REAL_REDIS: &str = "/usr/bin/redis-server";
const REAL_CHECK_RDB: &str = "/usr/bin/redis-check-rdb";

/// A directory of its own for a test, removed at the end.
struct TestDir(PathBuf);

impl TestDir {
    fn new(name: &str) -> TestDir {
        let d = std::env::temp_dir().join(format!("redis-mio-rdb-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        TestDir(d)
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 path")
    }
    fn dump(&self) -> PathBuf {
        self.0.join("dump.rdb")
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn real_redis() -> Option<&'static Path> {
    let p = Path::new(REAL_REDIS);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        None
    }
}

fn start_in(bin: &Path, dir: &TestDir, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.path(), "--enable-debug-command", "yes"];
    args.extend_from_slice(extra);
    Server::start_binary(bin, &args)
}

fn ok(r: Reply) {
    assert_eq!(r, Reply::Status("OK".into()));
}

fn digest(c: &mut Conn) -> String {
    c.cmd("DEBUG DIGEST").text()
}

fn info_field(c: &mut Conn, field: &str) -> String {
    let info = c.cmd("INFO persistence").text();
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .to_string()
}

/// Strings in several databases: integers of each width, short and long
/// texts, compressible and not, some with a TTL.
fn fill_strings(c: &mut Conn) {
    let mut x = 1u32;
    for db in 0..4 {
        ok(c.cmd(&format!("SELECT {db}")));
        for i in 0..300 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let v: Vec<u8> = match i % 6 {
                0 => i.to_string().into_bytes(),
                1 => (-(i as i64) * 1_000_003).to_string().into_bytes(),
                2 => (i as i64 * 10_000_000_019).to_string().into_bytes(),
                3 => "abc".repeat(10 + i % 50).into_bytes(),
                4 => (0..(i % 90)).map(|k| (x >> (k % 24)) as u8).collect(),
                _ => format!("value-{i}-{x}").into_bytes(),
            };
            let key = format!("k:{i}");
            ok(c.cmd_args(&[b"SET", key.as_bytes(), &v]));
            if i % 4 == 0 {
                c.cmd(&format!("EXPIRE {key} {}", 1000 + i));
            }
        }
    }
    ok(c.cmd("SELECT 0"));
}

/// One value of every type and encoding (small and big), a stream with
/// a group, pending entries and a deleted entry among them.
fn fill_collections(c: &mut Conn) {
    let mut cmds: Vec<String> = vec![
        "RPUSH list:small a b 1 2 -300000".into(),
        "SADD set:intset 1 2 3 -5 100000 4294967296".into(),
        "SADD set:ht a b c 1".into(),
        "HSET hash:lp f1 v1 f2 2 f3 -7".into(),
        format!("HSET hash:longvalue f {}", "x".repeat(100)),
        "ZADD zset:lp 1 a 2.5 b -3 c 4 1000".into(),
        "XADD st 1-1 f v g w".into(),
        "XADD st 1-2 f v2 g w2".into(),
        "XADD st 2-0 other 1".into(),
    ];
    for i in 0..1000 {
        cmds.push(format!(
            "RPUSH list:big item-{i} {i} {}",
            "y".repeat(i % 70)
        ));
    }
    for i in 0..600 {
        cmds.push(format!("SADD set:bigints {}", i * 7));
        cmds.push(format!("HSET hash:ht field-{i} {}", i * 3));
        cmds.push(format!("XADD st {}-0 f {i} g x{i}", 3 + i));
    }
    for i in 0..200 {
        cmds.push(format!(
            "ZADD zset:skiplist {}.25 member-{i}",
            i as i64 - 100
        ));
    }
    cmds.push("ZADD zset:skiplist inf top -inf bottom".into());
    cmds.push("XDEL st 1-2 50-0".into());
    cmds.push("XGROUP CREATE st g 0".into());
    cmds.push("XGROUP CREATE st g2 $".into());
    cmds.push("XREADGROUP GROUP g alice COUNT 5 STREAMS st >".into());
    cmds.push("XREADGROUP GROUP g bob COUNT 3 STREAMS st >".into());
    cmds.push("XACK st g 1-1".into());
    cmds.push("XGROUP CREATECONSUMER st g carol".into());
    for cmd in cmds {
        let r = c.cmd(&cmd);
        assert!(!matches!(r, Reply::Error(_)), "{cmd}: {r:?}");
    }
}

/// The keys `fill_collections` creates.
const COLLECTION_KEYS: [&str; 11] = [
    "list:small",
    "list:big",
    "set:intset",
    "set:ht",
    "set:bigints",
    "hash:lp",
    "hash:ht",
    "hash:longvalue",
    "zset:lp",
    "zset:skiplist",
    "st",
];

/// Fills a real Redis with `fill`, has it SAVE, and checks that we load
/// the file to the same DEBUG DIGEST. Returns our connection.
fn load_what_redis_saved(real: &Path, dir: &TestDir, fill: fn(&mut Conn)) -> (Server, Conn) {
    let expected = {
        let theirs = start_in(real, dir, &[]);
        let mut c = theirs.connect();
        fill(&mut c);
        ok(c.cmd("SAVE"));
        digest(&mut c)
    };
    let ours = start_in(&server_binary(), dir, &[]);
    let mut c = ours.connect();
    assert_eq!(digest(&mut c), expected);
    (ours, c)
}

/// Fills our server with `fill`, SAVEs, checks the file with
/// redis-check-rdb, and that a real Redis loads it to the same digest.
fn redis_loads_what_we_saved(real: &Path, dir: &TestDir, fill: fn(&mut Conn)) {
    let expected = {
        let ours = start_in(&server_binary(), dir, &[]);
        let mut c = ours.connect();
        fill(&mut c);
        ok(c.cmd("SAVE"));
        digest(&mut c)
    };
    if Path::new(REAL_CHECK_RDB).exists() {
        let out = Command::new(REAL_CHECK_RDB)
            .arg(dir.dump())
            .output()
            .expect("run redis-check-rdb");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("RDB looks OK"), "{text}");
    }
    let theirs = start_in(real, dir, &[]);
    let mut c = theirs.connect();
    assert_eq!(digest(&mut c), expected);
}

#[test]
fn rdb_written_by_redis_loads_here_with_the_same_digest() {
    let Some(real) = real_redis() else { return };
    let dir = TestDir::new("from-real");
    let (_ours, mut c) = load_what_redis_saved(real, &dir, fill_strings);
    assert_eq!(info_field(&mut c, "rdb_last_load_keys_loaded"), "1200");
    let ttl = c.cmd("TTL k:4");
    assert!(matches!(ttl, Reply::Int(t) if t > 900), "{ttl:?}");
}

#[test]
fn rdb_written_here_loads_in_redis_with_the_same_digest() {
    let Some(real) = real_redis() else { return };
    redis_loads_what_we_saved(real, &TestDir::new("to-real"), fill_strings);
}

#[test]
fn every_type_crosses_rdb_files_and_dump_payloads_both_ways() {
    let Some(real) = real_redis() else { return };
    let (_ours, mut a) = load_what_redis_saved(real, &TestDir::new("types-from"), fill_collections);
    for key in COLLECTION_KEYS {
        let enc = a.cmd(&format!("OBJECT ENCODING {key}"));
        assert!(matches!(enc, Reply::Bulk(_)), "{key}: {enc:?}");
    }
    redis_loads_what_we_saved(real, &TestDir::new("types-to"), fill_collections);
    // DUMP payloads of the real server restore here to the same value.
    let dir = TestDir::new("types-dump");
    let theirs = start_in(real, &dir, &[]);
    let mut b = theirs.connect();
    fill_collections(&mut b);
    for key in COLLECTION_KEYS {
        let Reply::Bulk(payload) = b.cmd(&format!("DUMP {key}")) else {
            panic!("DUMP {key}")
        };
        ok(a.cmd_args(&[b"RESTORE", b"copy", b"0", &payload, b"REPLACE"]));
        let want = b.cmd(&format!("DEBUG DIGEST-VALUE {key}"));
        assert_eq!(a.cmd("DEBUG DIGEST-VALUE copy"), want, "{key}");
        assert_eq!(a.cmd(&format!("DEBUG DIGEST-VALUE {key}")), want, "{key}");
        assert_eq!(
            a.cmd("OBJECT ENCODING copy"),
            b.cmd(&format!("OBJECT ENCODING {key}")),
            "{key}"
        );
        // And ours restore in the real server.
        let Reply::Bulk(ours) = a.cmd(&format!("DUMP {key}")) else {
            panic!("our DUMP {key}")
        };
        ok(b.cmd_args(&[b"RESTORE", b"copy", b"0", &ours, b"REPLACE"]));
        assert_eq!(b.cmd("DEBUG DIGEST-VALUE copy"), want, "{key}");
    }
}

#[test]
fn dump_payloads_are_redis_bytes_and_restore_both_ways() {
    let Some(real) = real_redis() else { return };
    let (d1, d2) = (TestDir::new("dump-ours"), TestDir::new("dump-real"));
    let ours = start_in(&server_binary(), &d1, &[]);
    let theirs = start_in(real, &d2, &[]);
    let (mut a, mut b) = (ours.connect(), theirs.connect());
    let long: Vec<u8> = b"hello world, hello dump. "
        .iter()
        .cycle()
        .take(5000)
        .copied()
        .collect();
    let values: Vec<Vec<u8>> = vec![
        b"7".to_vec(),
        b"-32768".to_vec(),
        b"4294967296".to_vec(),
        b"short".to_vec(),
        vec![b'a'; 100],
        long,
        (0..=255u8).collect(),
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("v{i}");
        for c in [&mut a, &mut b] {
            ok(c.cmd_args(&[b"SET", key.as_bytes(), v]));
        }
        let pa = a.cmd_args(&[b"DUMP", key.as_bytes()]);
        let pb = b.cmd_args(&[b"DUMP", key.as_bytes()]);
        assert_eq!(pa, pb, "payload of value {i}");
        let Reply::Bulk(payload) = pa else {
            panic!("DUMP reply {pa:?}")
        };
        for c in [&mut a, &mut b] {
            let r = c.cmd_args(&[b"RESTORE", b"copy", b"0", &payload, b"REPLACE"]);
            ok(r);
            assert_eq!(c.cmd("GET copy"), Reply::Bulk(v.clone()));
            assert_eq!(
                c.cmd("OBJECT ENCODING copy"),
                c.cmd(&format!("OBJECT ENCODING {key}"))
            );
        }
    }
}

#[test]
fn restore_errors_are_upstreams() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    ok(c.cmd("SET k v"));
    let Reply::Bulk(p) = c.cmd("DUMP k") else {
        panic!("no payload")
    };
    let busy = c.cmd_args(&[b"RESTORE", b"k", b"0", &p]);
    assert_eq!(
        busy,
        Reply::Error("BUSYKEY Target key name already exists.".into())
    );
    let mut bad = p.clone();
    bad[1] ^= 0xff;
    let e = c.cmd_args(&[b"RESTORE", b"n", b"0", &bad]);
    assert_eq!(
        e,
        Reply::Error("ERR DUMP payload version or checksum are wrong".into())
    );
    // A valid footer around garbage: the data itself is refused.
    let mut garbage = vec![0x00u8, 0xc4];
    garbage.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64_jones(&garbage);
    garbage.extend_from_slice(&crc.to_le_bytes());
    let e = c.cmd_args(&[b"RESTORE", b"n", b"0", &garbage]);
    assert_eq!(e, Reply::Error("ERR Bad data format".into()));
    let e = c.cmd_args(&[b"RESTORE", b"n", b"-1", &p]);
    assert_eq!(
        e,
        Reply::Error("ERR Invalid TTL value, must be >= 0".into())
    );
    let e = c.cmd_args(&[b"RESTORE", b"n", b"0", &p, b"FREQ", b"300"]);
    assert_eq!(
        e,
        Reply::Error("ERR Invalid FREQ value, must be >= 0 and <= 255".into())
    );
    ok(c.cmd_args(&[b"RESTORE", b"n", b"5000", &p, b"IDLETIME", b"100"]));
    assert!(matches!(c.cmd("PTTL n"), Reply::Int(t) if t > 4000));
    assert!(matches!(c.cmd("OBJECT IDLETIME n"), Reply::Int(t) if t >= 99));
    // ABSTTL in the past: nothing is created.
    ok(c.cmd_args(&[b"RESTORE", b"gone", b"1", &p, b"ABSTTL"]));
    assert_eq!(c.cmd("EXISTS gone"), Reply::Int(0));
}

/// The checksum, bit by bit (the library's own is tested in its module).
fn crc64_jones(data: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in data {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn bgsave_runs_while_the_server_keeps_writing() {
    let dir = TestDir::new("bgsave");
    let s = start_in(&server_binary(), &dir, &["--rdb-key-save-delay", "100"]);
    let mut c = s.connect();
    ok(c.cmd("DEBUG POPULATE 5000"));
    let snapshot = digest(&mut c);
    assert_eq!(
        c.cmd("BGSAVE"),
        Reply::Status("Background saving started".into())
    );
    assert_eq!(info_field(&mut c, "rdb_bgsave_in_progress"), "1");
    // The parent answers while the child works, and these writes are not
    // part of the snapshot.
    for i in 0..200 {
        ok(c.cmd(&format!("SET during:{i} x")));
    }
    assert_eq!(
        c.cmd("BGSAVE"),
        Reply::Error("ERR Background save already in progress".into())
    );
    wait_for(
        || info_field(&mut c, "rdb_bgsave_in_progress") == "0",
        "the BGSAVE child",
    );
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "200");
    ok(c.cmd("DEBUG RELOAD NOSAVE"));
    assert_eq!(digest(&mut c), snapshot);
}

#[test]
fn failed_bgsave_stops_writes_with_misconf() {
    let dir = TestDir::new("misconf");
    let s = start_in(&server_binary(), &dir, &["--save", "3600 1"]);
    let mut c = s.connect();
    // A directory where the file should go makes the rename fail.
    std::fs::create_dir_all(dir.dump()).expect("mkdir");
    ok(c.cmd("SET a 1"));
    assert_eq!(
        c.cmd("BGSAVE"),
        Reply::Status("Background saving started".into())
    );
    wait_for(
        || info_field(&mut c, "rdb_last_bgsave_status") == "err",
        "the failed BGSAVE",
    );
    let e = c.cmd("SET b 2");
    assert!(
        matches!(&e, Reply::Error(m) if m.starts_with("MISCONF ")),
        "{e:?}"
    );
    assert!(matches!(c.cmd("PING"), Reply::Error(_)));
    assert_eq!(c.cmd("GET a"), Reply::Bulk(b"1".to_vec()));
    std::fs::remove_dir(dir.dump()).expect("rmdir");
    c.cmd("BGSAVE");
    wait_for(
        || info_field(&mut c, "rdb_last_bgsave_status") == "ok",
        "the good BGSAVE",
    );
    ok(c.cmd("SET b 2"));
}

#[test]
fn sigterm_and_shutdown_save_when_save_points_exist() {
    let dir = TestDir::new("shutdown");
    let mut s = start_in(&server_binary(), &dir, &["--save", "3600 1"]);
    let mut c = s.connect();
    ok(c.cmd("SET kept yes"));
    // SAFETY: sending SIGTERM to the child process we spawned.
    unsafe { libc::kill(s.child.id() as i32, libc::SIGTERM) };
    wait_for(|| !s.is_alive(), "the server to exit");
    assert!(dir.dump().exists());
    let s = start_in(&server_binary(), &dir, &[]);
    let mut c = s.connect();
    assert_eq!(c.cmd("GET kept"), Reply::Bulk(b"yes".to_vec()));
    // SHUTDOWN NOSAVE leaves the file as it was.
    ok(c.cmd("SET later 1"));
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    drop(c);
    drop(s);
    let s = start_in(&server_binary(), &dir, &[]);
    let mut c = s.connect();
    assert_eq!(c.cmd("EXISTS later"), Reply::Int(0));
    ok(c.cmd("SET later 1"));
    c.send(&[b"SHUTDOWN", b"SAVE"]);
    assert!(c.is_closed());
    drop(s);
    let s = start_in(&server_binary(), &dir, &[]);
    let mut c = s.connect();
    assert_eq!(c.cmd("EXISTS later"), Reply::Int(1));
}

#[test]
fn clients_get_loading_errors_while_a_file_loads() {
    let dir = TestDir::new("loading");
    {
        let s = start_in(&server_binary(), &dir, &[]);
        let mut c = s.connect();
        ok(c.cmd("DEBUG POPULATE 3000 key 100"));
        ok(c.cmd("SAVE"));
    }
    let s = start_in(
        &server_binary(),
        &dir,
        &[
            "--key-load-delay",
            "1000",
            "--loading-process-events-interval-bytes",
            "1024",
        ],
    );
    let mut c = s.connect();
    assert_eq!(info_field(&mut c, "loading"), "1");
    let info = c.cmd("INFO persistence").text();
    assert!(info.contains("loading_loaded_perc:"), "{info}");
    assert_eq!(
        c.cmd("GET key:1"),
        Reply::Error("LOADING Redis is loading the dataset in memory".into())
    );
    wait_for(|| info_field(&mut c, "loading") == "0", "the load");
    assert_eq!(c.cmd("DBSIZE"), Reply::Int(3000));
}

/// Starts our server on `dir` and tells whether it came up or exited, and
/// how: a refused file must end with status 1, never a panic or a signal.
/// The port opens before the file is read, so "up" means it answered PING.
fn start_outcome(dir: &TestDir, extra: &[&str]) -> Result<(), i32> {
    use std::io::{Read, Write};
    let port = free_port();
    let mut child = Command::new(server_binary())
        .args(["--port", &port.to_string(), "--dir", dir.path()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status.code().unwrap_or(-1));
        }
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 64];
            if s.write_all(b"PING\r\n").is_ok() {
                if let Ok(n) = s.read(&mut buf) {
                    if buf[..n].starts_with(b"+PONG") {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Ok(());
                    }
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "server neither started nor exited"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn corrupt_files_are_refused_without_panic() {
    let dir = TestDir::new("corrupt");
    {
        let s = start_in(&server_binary(), &dir, &[]);
        let mut c = s.connect();
        fill_strings(&mut c);
        ok(c.cmd("SAVE"));
    }
    let good = std::fs::read(dir.dump()).expect("read dump");
    // The checksum catches a changed byte.
    let mut flipped = good.clone();
    let at = good.len() / 2;
    flipped[at] ^= 0x5a;
    std::fs::write(dir.dump(), &flipped).expect("write");
    assert_eq!(start_outcome(&dir, &[]), Err(1));

    let mut x = 2024u64;
    let mut rnd = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) as usize) % n.max(1)
    };
    for round in 0..40 {
        let mut data = good.clone();
        if round % 2 == 0 {
            data.truncate(rnd(good.len()));
        } else {
            for _ in 0..1 + rnd(4) {
                let i = rnd(data.len());
                data[i] = rnd(256) as u8;
            }
        }
        std::fs::write(dir.dump(), &data).expect("write");
        // Without the checksum the parser itself meets the damage.
        let outcome = start_outcome(&dir, &["--rdbchecksum", "no"]);
        assert!(
            matches!(outcome, Ok(()) | Err(1)),
            "round {round}: exit {outcome:?}"
        );
    }
}

/// An RDB of an older version, as 7.0.15 still loads it: version 6 with
/// the seconds-precision EXPIRETIME opcode and a checksum, and version 3,
/// whose files end at the EOF opcode without one.
#[test]
fn older_rdb_versions_load() {
    let future = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 1000) as u32;
    for version in [6u32, 3] {
        let dir = TestDir::new(&format!("old-{version}"));
        let mut f = format!("REDIS{version:04}").into_bytes();
        f.extend_from_slice(&[0xfe, 0x01]); // SELECTDB 1
        f.push(0xfd); // EXPIRETIME, seconds
        f.extend_from_slice(&future.to_le_bytes());
        f.extend_from_slice(b"\x00\x03old\x05value");
        f.extend_from_slice(b"\x00\x03num\xc1\x39\x30"); // 12345 as int16
        f.push(0xff);
        if version >= 5 {
            let crc = crc64_jones(&f);
            f.extend_from_slice(&crc.to_le_bytes());
        }
        std::fs::write(dir.dump(), &f).expect("write");
        let s = start_in(&server_binary(), &dir, &[]);
        let mut c = s.connect();
        ok(c.cmd("SELECT 1"));
        assert_eq!(c.cmd("GET old"), Reply::Bulk(b"value".to_vec()));
        assert_eq!(c.cmd("GET num"), Reply::Bulk(b"12345".to_vec()));
        assert_eq!(c.cmd("OBJECT ENCODING num"), Reply::Bulk(b"int".to_vec()));
        assert!(matches!(c.cmd("TTL old"), Reply::Int(t) if t > 900));
        assert_eq!(c.cmd("TTL num"), Reply::Int(-1));
    }
}

/// IDLE and FREQ are written under LRU and LFU policies and read back.
#[test]
fn access_clocks_survive_a_reload() {
    let dir = TestDir::new("clocks");
    let s = start_in(
        &server_binary(),
        &dir,
        &["--maxmemory-policy", "allkeys-lru"],
    );
    let mut c = s.connect();
    ok(c.cmd("SET k v"));
    let Reply::Bulk(payload) = c.cmd("DUMP k") else {
        panic!("no payload")
    };
    ok(c.cmd_args(&[b"RESTORE", b"old", b"0", &payload, b"IDLETIME", b"5000"]));
    ok(c.cmd("DEBUG RELOAD"));
    assert!(matches!(c.cmd("OBJECT IDLETIME old"), Reply::Int(t) if t >= 5000));
    assert!(matches!(c.cmd("OBJECT IDLETIME k"), Reply::Int(t) if t < 100));

    ok(c.cmd("CONFIG SET maxmemory-policy allkeys-lfu"));
    ok(c.cmd_args(&[b"RESTORE", b"hot", b"0", &payload, b"FREQ", b"200"]));
    ok(c.cmd("DEBUG RELOAD"));
    assert_eq!(c.cmd("OBJECT FREQ hot"), Reply::Int(200));
}

#[test]
fn corrupt_payloads_of_every_type_are_refused_without_panic() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    fill_collections(&mut c);
    let readers = [
        "LRANGE copy 0 -1",
        "SMEMBERS copy",
        "HGETALL copy",
        "ZRANGE copy 0 -1 WITHSCORES",
        "XRANGE copy - +",
        "XINFO STREAM copy FULL",
        "DEBUG DIGEST-VALUE copy",
    ];
    for key in COLLECTION_KEYS {
        let Reply::Bulk(payload) = c.cmd(&format!("DUMP {key}")) else {
            panic!("DUMP {key}")
        };
        let data_len = payload.len() - 10;
        let step = (data_len / 300).max(1);
        for pos in (0..data_len).step_by(step) {
            for flip in [0xffu8, 0x01, 0x80] {
                let mut p = payload[..data_len + 2].to_vec();
                p[pos] ^= flip;
                let crc = crc64_jones(&p);
                p.extend_from_slice(&crc.to_le_bytes());
                let r = c.cmd_args(&[b"RESTORE", b"copy", b"0", &p, b"REPLACE"]);
                if r == Reply::Status("OK".into()) {
                    for cmd in readers {
                        c.cmd(cmd);
                    }
                }
            }
        }
        assert_eq!(c.cmd("PING"), Reply::Status("PONG".into()), "{key}");
    }
}
