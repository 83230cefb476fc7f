//! Shared helpers for the integration tests: start the built
//! `redis-server` on a free port, talk RESP to it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process, killed when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Server {
    /// Starts the server with extra `--option value` arguments.
    pub fn start(args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_redis-server"))
            .arg("--port")
            .arg(port.to_string())
            .arg("--bind")
            .arg("127.0.0.1")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let server = Server { port, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub fn connect(&self) -> Conn {
        Conn::new(self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP2/RESP3 reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Status(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Null,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Verbatim(String, Vec<u8>),
    Bool(bool),
    Double(String),
}

impl Reply {
    /// The text of a status, bulk or verbatim reply.
    pub fn text(&self) -> String {
        match self {
            Reply::Status(s) | Reply::Error(s) | Reply::Double(s) => s.clone(),
            Reply::Bulk(b) | Reply::Verbatim(_, b) => String::from_utf8_lossy(b).into_owned(),
            Reply::Int(i) => i.to_string(),
            other => panic!("not a text reply: {other:?}"),
        }
    }
}

/// A blocking client connection.
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    pub fn new(port: u16) -> Conn {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Conn {
            reader: BufReader::new(s.try_clone().expect("clone")),
            writer: s,
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, b: &[u8]) {
        self.writer.write_all(b).expect("write");
    }

    /// Sends a command as a RESP array without reading the reply.
    pub fn send(&mut self, args: &[&[u8]]) {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            out.extend_from_slice(a);
            out.extend_from_slice(b"\r\n");
        }
        self.send_raw(&out);
    }

    /// Sends a command given as space separated words, reads its reply.
    pub fn cmd(&mut self, line: &str) -> Reply {
        let args: Vec<&[u8]> = line.split_whitespace().map(|s| s.as_bytes()).collect();
        self.send(&args);
        self.read()
    }

    /// Like `cmd` with binary-safe arguments.
    pub fn cmd_args(&mut self, args: &[&[u8]]) -> Reply {
        self.send(args);
        self.read()
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        let n = self.reader.read_line(&mut l).expect("read line");
        assert!(n > 0, "connection closed");
        l.trim_end_matches("\r\n").to_string()
    }

    /// Whether the server closed the connection (EOF on the next read).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0) | Err(_))
    }

    /// Reads one reply.
    pub fn read(&mut self) -> Reply {
        let l = self.line();
        let (t, rest) = l.split_at(1);
        let n = || rest.parse::<i64>().expect("length");
        match t {
            "+" => Reply::Status(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(n()),
            "_" => Reply::Null,
            "#" => Reply::Bool(rest == "t"),
            "," => Reply::Double(rest.to_string()),
            "$" | "=" => {
                let len = n();
                if len < 0 {
                    return Reply::Null;
                }
                let mut buf = vec![0u8; len as usize + 2];
                self.reader.read_exact(&mut buf).expect("bulk");
                buf.truncate(len as usize);
                if t == "=" {
                    let body = buf.split_off(4);
                    Reply::Verbatim(String::from_utf8_lossy(&buf[..3]).into_owned(), body)
                } else {
                    Reply::Bulk(buf)
                }
            }
            "*" | "~" => {
                let len = n();
                if len < 0 {
                    return Reply::Null;
                }
                let items = (0..len).map(|_| self.read()).collect();
                if t == "*" {
                    Reply::Array(items)
                } else {
                    Reply::Set(items)
                }
            }
            "%" => Reply::Map((0..n()).map(|_| (self.read(), self.read())).collect()),
            _ => panic!("unexpected reply line {l:?}"),
        }
    }
}
