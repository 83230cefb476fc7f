//! Pub/sub (pubsub.rs) and keyspace notifications (notify.rs): the exact
//! messages of Redis 7.0.15 in RESP2 and RESP3, the subscribed-mode rules,
//! introspection, and the events the existing commands publish.

mod common;

use common::Server;

#[test]
fn subscribe_publish_unsubscribe() {
    let s = Server::start(&[]);
    let mut sub = s.client();
    let mut publ = s.client();
    sub.send(&[b"subscribe", b"a", b"b"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    );
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
    );
    sub.send(&[b"psubscribe", b"a*"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:3\r\n"
    );
    assert_eq!(publ.cmd(&["publish", "a", "hi"]), b":2\r\n");
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        sub.read_reply(),
        b"*4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n$2\r\nhi\r\n"
    );
    assert_eq!(publ.cmd(&["publish", "nobody", "hi"]), b":0\r\n");
    assert_eq!(
        publ.cmd(&["pubsub", "numsub", "a", "zz"]),
        b"*4\r\n$1\r\na\r\n:1\r\n$2\r\nzz\r\n:0\r\n"
    );
    assert_eq!(publ.cmd(&["pubsub", "numpat"]), b":1\r\n");
    let info = publ.cmd_str(&["info", "stats"]);
    assert!(info.contains("pubsub_channels:2\r\n"), "{info}");
    assert!(info.contains("pubsub_patterns:1\r\n"), "{info}");
    let list = publ.cmd_str(&["client", "list"]);
    assert!(
        list.contains(" flags=P db=0 sub=2 psub=1 ssub=0 "),
        "{list}"
    );

    sub.send(&[b"unsubscribe", b"a"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n"
    );
    sub.send(&[b"punsubscribe"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:1\r\n"
    );
    sub.send(&[b"unsubscribe"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n"
    );
    // Subscribed to nothing: one reply with a null channel.
    sub.send(&[b"unsubscribe"]);
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    // Out of subscribed mode again.
    assert_eq!(sub.cmd(&["get", "x"]), b"$-1\r\n");
}

#[test]
fn subscribed_mode_rules_in_resp2() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.send(&[b"subscribe", b"ch"]);
    c.read_reply();
    assert_eq!(
        c.cmd(&["get", "x"]),
        &b"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n"[..]
    );
    assert_eq!(c.cmd(&["ping"]), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(c.cmd(&["ping", "x"]), b"*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
    // RESET drops every subscription.
    assert_eq!(c.cmd(&["reset"]), b"+RESET\r\n");
    assert_eq!(c.cmd(&["ping"]), b"+PONG\r\n");
    let mut other = s.client();
    assert_eq!(other.cmd(&["publish", "ch", "m"]), b":0\r\n");
}

#[test]
fn resp3_pushes_and_commands_while_subscribed() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["hello", "3"]);
    c.send(&[b"subscribe", b"ch"]);
    assert_eq!(
        c.read_reply(),
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    );
    // RESP3 allows any command while subscribed.
    assert_eq!(c.cmd(&["set", "k", "v"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["ping"]), b"+PONG\r\n");
    // A client publishing to its own channel gets the push before the count.
    c.send(&[b"publish", b"ch", b"self"]);
    assert_eq!(
        c.read_reply(),
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n"
    );
    assert_eq!(c.read_reply(), b":1\r\n");
}

#[test]
fn closed_subscribers_are_forgotten() {
    let s = Server::start(&[]);
    {
        let mut sub = s.client();
        sub.send(&[b"subscribe", b"ch"]);
        sub.read_reply();
        sub.send(&[b"ssubscribe", b"sch"]);
        assert_eq!(
            sub.read_reply(),
            b"*3\r\n$10\r\nssubscribe\r\n$3\r\nsch\r\n:1\r\n"
        );
    }
    let mut c = s.client();
    for _ in 0..100 {
        if c.cmd(&["pubsub", "numsub", "ch"]) == b"*2\r\n$2\r\nch\r\n:0\r\n" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(c.cmd(&["publish", "ch", "m"]), b":0\r\n");
    assert_eq!(c.cmd(&["spublish", "sch", "m"]), b":0\r\n");
    assert_eq!(c.cmd(&["pubsub", "shardchannels"]), b"*0\r\n");
}

#[test]
fn shard_channels_are_apart() {
    let s = Server::start(&[]);
    let mut sub = s.client();
    let mut c = s.client();
    sub.send(&[b"ssubscribe", b"x"]);
    sub.read_reply();
    assert_eq!(c.cmd(&["publish", "x", "m"]), b":0\r\n");
    assert_eq!(c.cmd(&["spublish", "x", "m"]), b":1\r\n");
    assert_eq!(
        sub.read_reply(),
        b"*3\r\n$8\r\nsmessage\r\n$1\r\nx\r\n$1\r\nm\r\n"
    );
    assert_eq!(
        c.cmd(&["pubsub", "shardchannels", "x*"]),
        b"*1\r\n$1\r\nx\r\n"
    );
    assert_eq!(
        c.cmd(&["pubsub", "shardnumsub", "x"]),
        b"*2\r\n$1\r\nx\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["pubsub", "channels"]), b"*0\r\n");
    let info = c.cmd_str(&["info", "stats"]);
    assert!(info.contains("pubsubshard_channels:1\r\n"), "{info}");
    // Inside EXEC, SSUBSCRIBE is refused (SUBSCRIBE is let through).
    c.cmd(&["multi"]);
    c.cmd(&["ssubscribe", "y"]);
    assert_eq!(
        c.cmd(&["exec"]),
        b"*1\r\n-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
    );
}

/// Reads the `pmessage` pushes a `psubscribe *` client gets, as
/// (channel, payload) pairs.
fn read_events(c: &mut common::Client, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|_| {
            let r = String::from_utf8_lossy(&c.read_reply()).into_owned();
            let parts: Vec<&str> = r.split("\r\n").collect();
            (parts[6].to_string(), parts[8].to_string())
        })
        .collect()
}

#[test]
fn keyspace_events_of_the_existing_commands() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd(&["config", "set", "notify-keyspace-events", "KEA"]),
        b"+OK\r\n"
    );
    let mut sub = s.client();
    sub.send(&[b"psubscribe", b"*"]);
    sub.read_reply();
    c.cmd(&["set", "k", "1"]);
    // "A" leaves out the "new" and key-miss classes.
    assert_eq!(
        read_events(&mut sub, 2),
        [("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Only the key-event channels from now on.
    c.cmd(&["config", "set", "notify-keyspace-events", "Eg$x"]);
    for cmd in [
        vec!["incrby", "k", "2"],
        vec!["append", "k", "x"],
        vec!["setrange", "k", "0", "9"],
        vec!["expire", "k", "100"],
        vec!["persist", "k"],
        vec!["rename", "k", "k2"],
        vec!["copy", "k2", "k3"],
        vec!["move", "k3", "1"],
        vec!["del", "k2"],
        vec!["set", "e", "v", "px", "1"],
    ] {
        c.cmd(&cmd);
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.cmd(&["get", "e"]);
    let events: Vec<String> = read_events(&mut sub, 13)
        .into_iter()
        .map(|(ch, key)| format!("{} {key}", ch.trim_start_matches("__keyevent@")))
        .collect();
    assert_eq!(
        events,
        [
            "0__:incrby k",
            "0__:append k",
            "0__:setrange k",
            "0__:expire k",
            "0__:persist k",
            "0__:rename_from k",
            "0__:rename_to k2",
            "0__:copy_to k3",
            "0__:move_from k3",
            "1__:move_to k3",
            "0__:del k2",
            "0__:set e",
            "0__:expire e",
        ]
    );
    assert_eq!(
        read_events(&mut sub, 1),
        [("__keyevent@0__:expired".to_string(), "e".to_string())]
    );
    // Key misses and new keys are classes of their own.
    c.cmd(&["config", "set", "notify-keyspace-events", "Emn"]);
    c.cmd(&["get", "missing"]);
    c.cmd(&["set", "fresh", "v"]);
    c.cmd(&["set", "fresh", "w"]);
    assert_eq!(
        read_events(&mut sub, 2),
        [
            ("__keyevent@0__:keymiss", "missing"),
            ("__keyevent@0__:new", "fresh")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // The second SET was no "new": the next event is the next miss.
    c.cmd(&["get", "missing2"]);
    assert_eq!(read_events(&mut sub, 1)[0].1, "missing2");
}
