//! MULTI/EXEC/DISCARD/WATCH (multi.rs): the exact replies of Redis 7.0.15
//! for queueing, queue-time errors, WATCH invalidation by another client,
//! and the commands refused inside a transaction.

mod common;

use common::Server;

#[test]
fn queued_commands_run_at_exec() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["multi"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["set", "k", "1"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["incr", "k"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["get", "k"]), b"+QUEUED\r\n");
    assert_eq!(c.cmd(&["exec"]), b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
    // An error while running is one element of the reply, not an abort.
    c.cmd(&["multi"]);
    c.cmd(&["set", "s", "x"]);
    c.cmd(&["incr", "s"]);
    assert_eq!(
        c.cmd(&["exec"]),
        b"*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["exec"]), b"-ERR EXEC without MULTI\r\n");
    assert_eq!(c.cmd(&["discard"]), b"-ERR DISCARD without MULTI\r\n");
}

#[test]
fn queue_time_errors_abort_exec() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["multi"]);
    c.cmd(&["set", "k", "v"]);
    assert_eq!(
        c.cmd(&["nosuchcommand"]),
        b"-ERR unknown command 'nosuchcommand', with args beginning with: \r\n"
    );
    assert_eq!(
        c.cmd(&["get"]),
        b"-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        c.cmd(&["exec"]),
        b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    // Nothing ran, and the client left the MULTI state.
    assert_eq!(c.cmd(&["get", "k"]), b"$-1\r\n");
    let errorstats = c.cmd_str(&["info", "errorstats"]);
    assert!(
        errorstats.contains("errorstat_EXECABORT:count=1"),
        "{errorstats}"
    );
}

#[test]
fn nesting_and_refused_commands() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["multi"]);
    assert_eq!(c.cmd(&["multi"]), b"-ERR MULTI calls can not be nested\r\n");
    assert_eq!(
        c.cmd(&["watch", "x"]),
        b"-ERR WATCH inside MULTI is not allowed\r\n"
    );
    assert_eq!(
        c.cmd(&["shutdown"]),
        b"-ERR Command not allowed inside a transaction\r\n"
    );
    assert_eq!(c.cmd(&["discard"]), b"+OK\r\n");
    assert_eq!(c.cmd(&["ping"]), b"+PONG\r\n");
}

#[test]
fn watched_key_touched_by_another_client() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let mut other = s.client();
    c.cmd(&["set", "k", "1"]);
    assert_eq!(c.cmd(&["watch", "k", "unrelated"]), b"+OK\r\n");
    assert_eq!(other.cmd(&["incr", "k"]), b":2\r\n");
    c.cmd(&["multi"]);
    c.cmd(&["set", "k", "100"]);
    // A touched key: a null array, and the queue never ran.
    assert_eq!(c.cmd(&["exec"]), b"*-1\r\n");
    assert_eq!(c.cmd(&["get", "k"]), b"$1\r\n2\r\n");

    // After EXEC nothing is watched any more.
    c.cmd(&["watch", "k"]);
    c.cmd(&["multi"]);
    c.cmd(&["exec"]);
    other.cmd(&["set", "k", "3"]);
    c.cmd(&["multi"]);
    c.cmd(&["get", "k"]);
    assert_eq!(c.cmd(&["exec"]), b"*1\r\n$1\r\n3\r\n");

    // Writes by the watching client itself count too; UNWATCH forgets.
    c.cmd(&["watch", "k"]);
    c.cmd(&["set", "k", "4"]);
    c.cmd(&["multi"]);
    assert_eq!(c.cmd(&["exec"]), b"*-1\r\n");
    c.cmd(&["watch", "k"]);
    other.cmd(&["del", "k"]);
    assert_eq!(c.cmd(&["unwatch"]), b"+OK\r\n");
    c.cmd(&["multi"]);
    assert_eq!(c.cmd(&["exec"]), b"*0\r\n");
}

#[test]
fn flush_swapdb_and_expire_touch_watched_keys() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let mut other = s.client();
    for (setup, touch) in [
        (vec!["set", "k", "v"], vec!["flushall"]),
        (vec!["set", "k", "v"], vec!["flushdb"]),
        (vec!["set", "k", "v"], vec!["expire", "k", "100"]),
        (vec!["set", "k", "v"], vec!["rename", "k", "k2"]),
        (vec!["set", "k", "v"], vec!["swapdb", "0", "1"]),
        (vec!["set", "k", "v"], vec!["append", "k", "x"]),
        (vec!["set", "k", "v"], vec!["setbit", "k", "0", "1"]),
    ] {
        other.cmd(&["flushall"]);
        other.cmd(&setup);
        c.cmd(&["watch", "k"]);
        other.cmd(&touch);
        c.cmd(&["multi"]);
        c.cmd(&["ping"]);
        assert_eq!(c.cmd(&["exec"]), b"*-1\r\n", "{touch:?}");
    }
    // FLUSHDB of a db without the key changes nothing for the watcher.
    other.cmd(&["set", "k", "v"]);
    c.cmd(&["watch", "k"]);
    other.cmd(&["select", "5"]);
    other.cmd(&["flushdb"]);
    c.cmd(&["multi"]);
    c.cmd(&["ping"]);
    assert_eq!(c.cmd(&["exec"]), b"*1\r\n+PONG\r\n");
}

#[test]
fn client_list_shows_the_transaction() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.cmd(&["multi"]);
    c.cmd(&["set", "a", "b"]);
    c.cmd(&["set", "a", "c"]);
    c.cmd(&["exec"]);
    c.cmd(&["multi"]);
    c.cmd(&["ping"]);
    c.cmd(&["ping"]);
    // CLIENT INFO is queued too: look from another connection.
    let mut other = s.client();
    let list = other.cmd_str(&["client", "list"]);
    assert!(list.contains(" flags=x "), "{list}");
    assert!(list.contains(" multi=2 "), "{list}");
    c.cmd(&["discard"]);
    let list = other.cmd_str(&["client", "list"]);
    assert!(list.contains(" multi=-1 "), "{list}");
}

#[test]
fn pipelined_transaction_sees_its_own_watch_failure() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.send_raw(b"WATCH k\r\nSET k 1\r\nMULTI\r\nGET k\r\nEXEC\r\nMULTI\r\nGET k\r\nEXEC\r\n");
    let replies: Vec<Vec<u8>> = (0..8).map(|_| c.read_reply()).collect();
    assert_eq!(replies[4], b"*-1\r\n");
    assert_eq!(replies[7], b"*1\r\n$1\r\n1\r\n");
}
