//! Integration tests of the server and connection commands: HELLO, AUTH,
//! CLIENT, INFO, MONITOR, CLIENT PAUSE, COMMAND, and the connection limits.

mod common;

use std::time::{Duration, Instant};

use common::{Conn, Reply, Server};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(|v| v.to_string()))
}

#[test]
fn hello_3_replies_with_the_server_map() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let id = c.cmd("CLIENT ID");
    let Reply::Map(m) = c.cmd("HELLO 3") else {
        panic!("HELLO 3 must reply a RESP3 map")
    };
    let expected = vec![
        (bulk("server"), bulk("redis")),
        (bulk("version"), bulk("7.0.15")),
        (bulk("proto"), Reply::Int(3)),
        (bulk("id"), id),
        (bulk("mode"), bulk("standalone")),
        (bulk("role"), bulk("master")),
        (bulk("modules"), Reply::Array(vec![])),
    ];
    assert_eq!(m, expected);
    // Now in RESP3: a null is `_`.
    assert_eq!(c.cmd("CLIENT GETNAME"), Reply::Null);
    // HELLO 2 goes back to a flat array.
    let Reply::Array(a) = c.cmd("HELLO 2") else {
        panic!("HELLO 2 replies an array")
    };
    assert_eq!(a.len(), 14);
    assert_eq!(
        c.cmd("HELLO 4"),
        Reply::Error("NOPROTO unsupported protocol version".into())
    );
    assert_eq!(
        c.cmd("HELLO x"),
        Reply::Error("ERR Protocol version is not an integer or out of range".into())
    );
    assert_eq!(
        c.cmd("HELLO 3 FOO"),
        Reply::Error("ERR Syntax error in HELLO option 'FOO'".into())
    );
    let Reply::Map(_) = c.cmd("HELLO 3 SETNAME myname") else {
        panic!()
    };
    assert_eq!(c.cmd("CLIENT GETNAME"), bulk("myname"));
}

#[test]
fn client_list_has_the_7_0_fields_in_order() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    assert_eq!(c.cmd("CLIENT SETNAME worker-1"), Reply::Status("OK".into()));
    let list = c.cmd("CLIENT LIST").text();
    let line = list.lines().next().unwrap();
    let names: Vec<&str> = line
        .split(' ')
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "id",
            "addr",
            "laddr",
            "fd",
            "name",
            "age",
            "idle",
            "flags",
            "db",
            "sub",
            "psub",
            "ssub",
            "multi",
            "qbuf",
            "qbuf-free",
            "argv-mem",
            "multi-mem",
            "rbs",
            "rbp",
            "obl",
            "oll",
            "omem",
            "tot-mem",
            "events",
            "cmd",
            "user",
            "redir",
            "resp"
        ]
    );
    assert!(line.contains(" name=worker-1 "), "{line}");
    assert!(line.contains(" flags=N "), "{line}");
    assert!(line.contains(" cmd=client|list "), "{line}");
    assert!(line.ends_with(" user=default redir=-1 resp=2"), "{line}");
    // CLIENT INFO is the same line for the caller alone.
    assert!(c.cmd("CLIENT INFO").text().contains(" cmd=client|info "));
    assert_eq!(
        c.cmd("CLIENT SETNAME a\u{1}b"),
        Reply::Error(
            "ERR Client names cannot contain spaces, newlines or special characters.".into()
        )
    );
    assert_eq!(
        c.cmd("CLIENT LIST TYPE foo"),
        Reply::Error("ERR Unknown client type 'foo'".into())
    );
}

#[test]
fn client_kill_and_filters() {
    let s = Server::start(&[]);
    let mut a = s.connect();
    let mut b = s.connect();
    let bid = b.cmd("CLIENT ID");
    let Reply::Int(bid) = bid else { panic!() };
    let list = a.cmd("CLIENT LIST").text();
    assert_eq!(list.lines().count(), 2);
    assert_eq!(a.cmd(&format!("CLIENT KILL ID {bid}")), Reply::Int(1));
    assert!(b.is_closed());
    assert_eq!(
        a.cmd("CLIENT KILL 1.2.3.4:5"),
        Reply::Error("ERR No such client".into())
    );
    assert_eq!(
        a.cmd("CLIENT KILL ID 0"),
        Reply::Error("ERR client-id should be greater than 0".into())
    );
    assert_eq!(
        a.cmd("CLIENT KILL USER nobody"),
        Reply::Error("ERR No such user 'nobody'".into())
    );
    // SKIPME defaults to yes: the caller survives its own filter...
    assert_eq!(a.cmd("CLIENT KILL TYPE normal"), Reply::Int(0));
    // ...unless told otherwise, and then the reply still arrives.
    assert_eq!(a.cmd("CLIENT KILL TYPE normal SKIPME no"), Reply::Int(1));
    assert!(a.is_closed());
}

#[test]
fn auth_errors_and_success() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    assert_eq!(
        c.cmd("AUTH foo"),
        Reply::Error(
            "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
                .into()
        )
    );
    assert_eq!(c.cmd("AUTH a b c"), Reply::Error("ERR syntax error".into()));
    drop(s);

    let s = Server::start(&["--requirepass", "foobar"]);
    let mut c = s.connect();
    assert_eq!(
        c.cmd("PING"),
        Reply::Error("NOAUTH Authentication required.".into())
    );
    assert_eq!(
        c.cmd("AUTH wrong"),
        Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".into())
    );
    assert_eq!(
        c.cmd("AUTH nobody foobar"),
        Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".into())
    );
    let Reply::Error(e) = c.cmd("HELLO 3") else {
        panic!()
    };
    assert!(
        e.starts_with("NOAUTH HELLO must be called with the client already authenticated"),
        "{e}"
    );
    assert_eq!(c.cmd("AUTH foobar"), Reply::Status("OK".into()));
    assert_eq!(c.cmd("PING"), Reply::Status("PONG".into()));

    let mut d = s.connect();
    let Reply::Map(m) = d.cmd("HELLO 3 AUTH default foobar") else {
        panic!()
    };
    assert_eq!(m[2], (bulk("proto"), Reply::Int(3)));
    assert_eq!(d.cmd("PING"), Reply::Status("PONG".into()));
    let info = c.cmd("INFO errorstats").text();
    assert!(info.contains("errorstat_NOAUTH:count=2"), "{info}");
    assert!(info.contains("errorstat_WRONGPASS:count=2"), "{info}");
}

#[test]
fn maxclients_refuses_extra_connections() {
    let s = Server::start(&["--maxclients", "2"]);
    let mut a = s.connect();
    // Wait until the start-up probe connection is gone.
    while info_field(&a.cmd("INFO clients").text(), "connected_clients").as_deref() != Some("1") {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut b = s.connect();
    assert_eq!(a.cmd("PING"), Reply::Status("PONG".into()));
    assert_eq!(b.cmd("PING"), Reply::Status("PONG".into()));
    let mut c = s.connect();
    assert_eq!(
        c.read(),
        Reply::Error("ERR max number of clients reached".into())
    );
    assert!(c.is_closed());
    let info = a.cmd("INFO stats").text();
    assert_eq!(
        info_field(&info, "rejected_connections").as_deref(),
        Some("1")
    );
}

#[test]
fn a_thousand_idle_clients() {
    let s = Server::start(&[]);
    let mut idle: Vec<Conn> = (0..1000).map(|_| s.connect()).collect();
    let mut c = s.connect();
    // Every connection is registered once the server answered one of them.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let info = c.cmd("INFO clients").text();
        if info_field(&info, "connected_clients").as_deref() == Some("1001") {
            break;
        }
        assert!(Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(c.cmd("CLIENT LIST").text().lines().count(), 1001);
    for conn in idle.iter_mut().step_by(100) {
        assert_eq!(conn.cmd("PING"), Reply::Status("PONG".into()));
    }
}

#[test]
fn timeout_closes_idle_clients() {
    let s = Server::start(&["--timeout", "1"]);
    let mut c = s.connect();
    assert_eq!(c.cmd("PING"), Reply::Status("PONG".into()));
    let start = Instant::now();
    // `timeout 1` closes a client idle for more than a second; the cron
    // visits every client about once per second.
    assert!(c.is_closed());
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
}

#[test]
fn monitor_feed_format() {
    let s = Server::start(&[]);
    let mut m = s.connect();
    assert_eq!(m.cmd("MONITOR"), Reply::Status("OK".into()));
    let mut c = s.connect();
    c.cmd_args(&[b"SET", b"k", b"a b\"\n"]);
    c.cmd("AUTH secret");
    let Reply::Status(line) = m.read() else {
        panic!()
    };
    let (ts, rest) = line.split_once(' ').unwrap();
    let (sec, usec) = ts.split_once('.').unwrap();
    assert!(sec.parse::<u64>().is_ok() && usec.len() == 6, "{line}");
    assert!(rest.starts_with("[0 127.0.0.1:"), "{line}");
    assert!(rest.ends_with("] \"SET\" \"k\" \"a b\\\"\\n\""), "{line}");
    let Reply::Status(line) = m.read() else {
        panic!()
    };
    assert!(line.ends_with("\"AUTH\" \"(redacted)\""), "{line}");
    let list = c.cmd("CLIENT LIST").text();
    assert!(list.contains("flags=O "), "{list}");
}

#[test]
fn client_pause_write_postpones_writes_only() {
    let s = Server::start(&[]);
    let mut admin = s.connect();
    let mut w = s.connect();
    assert_eq!(
        admin.cmd("CLIENT PAUSE 100000 WRITE"),
        Reply::Status("OK".into())
    );
    // Reads still run.
    assert_eq!(w.cmd("GET k"), Reply::Null);
    w.send(&[b"SET", b"k", b"v"]);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = admin.cmd("INFO clients").text();
        if info_field(&info, "blocked_clients").as_deref() == Some("1") {
            break;
        }
        assert!(Instant::now() < deadline, "{info}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(admin.cmd("GET k"), Reply::Null);
    assert_eq!(admin.cmd("CLIENT UNPAUSE"), Reply::Status("OK".into()));
    assert_eq!(w.read(), Reply::Status("OK".into()));
    assert_eq!(admin.cmd("GET k"), bulk("v"));
    // A pause that times out releases the clients by itself.
    assert_eq!(admin.cmd("CLIENT PAUSE 300"), Reply::Status("OK".into()));
    let start = Instant::now();
    assert_eq!(w.cmd("PING"), Reply::Status("PONG".into()));
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(
        admin.cmd("CLIENT PAUSE 10 SOME"),
        Reply::Error("ERR CLIENT PAUSE mode must be WRITE or ALL".into())
    );
}

#[test]
fn info_sections_and_stats() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.cmd("SET a 1");
    c.cmd("GET a");
    c.cmd("GET nokey");
    c.cmd("NOSUCHCMD");
    let Reply::Bulk(raw) = c.cmd("INFO") else {
        panic!()
    };
    let info = String::from_utf8(raw).unwrap();
    assert!(info.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
    let headers: Vec<&str> = info.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headers,
        [
            "# Server",
            "# Clients",
            "# Memory",
            "# Persistence",
            "# Stats",
            "# Replication",
            "# CPU",
            "# Modules",
            "# Errorstats",
            "# Cluster",
            "# Keyspace"
        ]
    );
    assert!(info.ends_with("db0:keys=1,expires=0,avg_ttl=0\r\n"));
    assert_eq!(info_field(&info, "keyspace_hits").as_deref(), Some("1"));
    assert_eq!(info_field(&info, "keyspace_misses").as_deref(), Some("1"));
    assert_eq!(
        info_field(&info, "errorstat_ERR").as_deref(),
        Some("count=1")
    );
    assert_eq!(
        info_field(&info, "master_replid").map(|r| r.len()),
        Some(40)
    );
    assert!(
        info_field(&info, "used_memory")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert!(
        info_field(&info, "used_memory_rss")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );

    let all = c.cmd("INFO all").text();
    assert!(all.contains("# Commandstats\r\ncmdstat_"));
    assert!(all.contains("cmdstat_set:calls=1,usec="));
    assert!(all.contains("latency_percentiles_usec_get:p50="));
    assert_eq!(c.cmd("INFO nosuchsection"), bulk(""));
    let two = c.cmd("INFO CPU keyspace").text();
    assert!(two.starts_with("# CPU\r\n") && two.contains("\r\n\r\n# Keyspace\r\n"));
}

#[test]
fn command_introspection() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    let Reply::Array(info) = c.cmd("COMMAND INFO get nosuch") else {
        panic!()
    };
    assert_eq!(info[1], Reply::Null);
    let Reply::Array(get) = &info[0] else {
        panic!()
    };
    assert_eq!(get.len(), 10);
    assert_eq!(get[0], bulk("get"));
    assert_eq!(get[1], Reply::Int(2));
    assert_eq!(
        get[2],
        Reply::Array(vec![
            Reply::Status("readonly".into()),
            Reply::Status("fast".into())
        ])
    );
    assert_eq!(&get[3..6], &[Reply::Int(1), Reply::Int(1), Reply::Int(1)]);
    assert_eq!(
        get[6],
        Reply::Array(vec![
            Reply::Status("@read".into()),
            Reply::Status("@string".into()),
            Reply::Status("@fast".into())
        ])
    );
    assert_eq!(
        c.cmd("COMMAND GETKEYS MSET a 1 b 2"),
        Reply::Array(vec![bulk("a"), bulk("b")])
    );
    assert_eq!(
        c.cmd("COMMAND GETKEYS PING x"),
        Reply::Error("ERR The command has no key arguments".into())
    );
    let Reply::Int(n) = c.cmd("COMMAND COUNT") else {
        panic!()
    };
    let Reply::Array(all) = c.cmd("COMMAND") else {
        panic!()
    };
    assert_eq!(all.len() as i64, n);
    let Reply::Array(l) = c.cmd("COMMAND LIST FILTERBY PATTERN client|*") else {
        panic!()
    };
    assert!(l.contains(&bulk("client|list")) && !l.contains(&bulk("client")));
    let Reply::Array(l) = c.cmd("COMMAND LIST FILTERBY ACLCAT connection") else {
        panic!()
    };
    assert!(l.contains(&bulk("ping")) && !l.contains(&bulk("get")));
}

#[test]
fn reset_and_quit() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    c.cmd("SELECT 3");
    c.cmd("HELLO 3 SETNAME x");
    assert_eq!(c.cmd("RESET"), Reply::Status("RESET".into()));
    assert_eq!(c.cmd("CLIENT GETNAME"), Reply::Null);
    assert!(c.cmd("CLIENT INFO").text().contains(" db=0 "));
    assert_eq!(c.cmd("QUIT"), Reply::Status("OK".into()));
    assert!(c.is_closed());
}

#[test]
fn shutdown_exits() {
    let s = Server::start(&[]);
    let mut c = s.connect();
    assert_eq!(
        c.cmd("SHUTDOWN ABORT"),
        Reply::Error("ERR No shutdown in progress.".into())
    );
    assert_eq!(
        c.cmd("SHUTDOWN SAVE NOSAVE"),
        Reply::Error("ERR syntax error".into())
    );
    // A directory in the way of the RDB file makes the final save fail.
    std::fs::create_dir_all(s.dir.join("dump.rdb")).expect("mkdir");
    assert_eq!(
        c.cmd("SHUTDOWN SAVE"),
        Reply::Error("ERR Errors trying to SHUTDOWN. Check logs.".into())
    );
    c.send(&[b"SHUTDOWN", b"NOSAVE"]);
    assert!(c.is_closed());
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", s.port)).is_ok() {
        assert!(Instant::now() < deadline, "server still listening");
        std::thread::sleep(Duration::from_millis(20));
    }
}
