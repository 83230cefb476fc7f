//! The RESP front door: parsing, pipelining, and what happens with bad or
//! hostile input. Each test asserts the exact bytes Redis 7.0.15 answers.

mod common;

use common::{encode, Client, Server};
use std::io::Write;
use std::time::Duration;

#[test]
fn ping_and_echo_multibulk_and_inline() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    assert_eq!(c.cmd(&["ping", "hello"]), b"$5\r\nhello\r\n");
    assert_eq!(c.cmd(&["echo", "a b"]), b"$3\r\na b\r\n");
    c.send_raw(b"PING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    // Inline commands accept a bare \n and quoted arguments.
    c.send_raw(b"echo \"x y\\n\"\n");
    assert_eq!(c.read_reply(), b"$4\r\nx y\n\r\n");
}

#[test]
fn unknown_command_and_arity_errors() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(
        c.cmd_str(&["foo", "a", "b"]),
        "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"
    );
    assert_eq!(
        c.cmd_str(&["get"]),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
    assert_eq!(
        c.cmd_str(&["ping", "a", "b"]),
        "-ERR wrong number of arguments for 'ping' command\r\n"
    );
}

#[test]
fn pipelining_ten_thousand_commands() {
    let s = Server::start(&[]);
    let mut c = s.client();
    let mut batch = Vec::new();
    for i in 0..10_000 {
        batch.extend_from_slice(&encode(&[
            b"SET",
            format!("k{i}").as_bytes(),
            format!("{i}").as_bytes(),
        ]));
    }
    for i in 0..10_000 {
        batch.extend_from_slice(&encode(&[b"GET", format!("k{i}").as_bytes()]));
    }
    // Write from a thread: the replies must be read while we send.
    let mut w = c.stream.try_clone().unwrap();
    let t = std::thread::spawn(move || w.write_all(&batch).unwrap());
    for _ in 0..10_000 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    for i in 0..10_000 {
        let v = format!("{i}");
        assert_eq!(
            c.read_reply(),
            format!("${}\r\n{}\r\n", v.len(), v).as_bytes()
        );
    }
    t.join().unwrap();
    assert_eq!(c.cmd(&["DBSIZE"]), b":10000\r\n");
}

#[test]
fn protocol_errors_close_the_connection() {
    let s = Server::start(&[]);
    for (input, reply) in [
        (
            &b"*abc\r\n"[..],
            &b"-ERR Protocol error: invalid multibulk length\r\n"[..],
        ),
        (
            b"*1\r\nfoo\r\n",
            b"-ERR Protocol error: expected '$', got 'f'\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$600000000\r\n",
            b"-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"echo \"unbalanced\r\n",
            b"-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ] {
        let mut c = s.client();
        c.send_raw(input);
        assert_eq!(
            c.read_reply(),
            reply,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
        assert!(c.is_closed());
    }
    // The server is still fine.
    assert_eq!(s.client().cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn too_big_inline_and_count_strings() {
    let s = Server::start(&[]);
    let mut c = s.client();
    c.send_raw(&vec![b'a'; 70 * 1024]);
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: too big inline request\r\n"
    );
    let mut c = s.client();
    let mut big = b"*".to_vec();
    big.extend(vec![b'1'; 70 * 1024]);
    c.send_raw(&big);
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: too big mbulk count string\r\n"
    );
}

#[test]
fn half_commands_and_garbage_do_not_stall_others() {
    let s = Server::start(&[]);
    // A slow-loris client sends half a command and waits.
    let mut slow = s.client();
    slow.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel");
    // Garbage from another.
    let mut g = s.client();
    g.send_raw(&[0xff, 0x00, 0x13, b'\n', b'\n', 0x7f]);
    // Others are served.
    let mut c = s.client();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    // The slow client completes its command byte by byte.
    for b in b"lo\r\n" {
        slow.send_raw(&[*b]);
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(slow.read_reply(), b"+OK\r\n");
    assert_eq!(c.cmd(&["GET", "k"]), b"$5\r\nhello\r\n");
}

#[test]
fn big_value_round_trip_and_disconnect_mid_reply() {
    let mut s = Server::start(&[]);
    let mut c = s.client();
    let value = vec![b'x'; 8 * 1024 * 1024];
    c.send(&[b"SET", b"big", &value]);
    assert_eq!(c.read_reply(), b"+OK\r\n");
    let mut expect = format!("${}\r\n", value.len()).into_bytes();
    expect.extend_from_slice(&value);
    expect.extend_from_slice(b"\r\n");
    assert_eq!(c.cmd(&["GET", "big"]), expect);
    // Ask for it many times and hang up without reading.
    let mut d = Client::connect(s.port);
    for _ in 0..20 {
        d.send(&[b"GET", b"big"]);
    }
    drop(d);
    std::thread::sleep(Duration::from_millis(200));
    assert!(s.is_alive());
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

#[test]
fn bulk_length_above_proto_max_bulk_len_is_refused() {
    let s = Server::start(&["--proto-max-bulk-len", "1mb"]);
    let mut c = s.client();
    c.send_raw(b"*2\r\n$3\r\nGET\r\n$2000000\r\n");
    assert_eq!(
        c.read_reply(),
        b"-ERR Protocol error: invalid bulk length\r\n"
    );
}

#[test]
fn quit_replies_ok_then_closes() {
    let s = Server::start(&[]);
    let mut c = s.client();
    assert_eq!(c.cmd(&["QUIT"]), b"+OK\r\n");
    assert!(c.is_closed());
}
