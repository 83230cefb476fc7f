//! Shared test support: start the real `redis-server` binary of this crate
//! on a free port, and a minimal RESP client that reads one reply as raw
//! bytes so tests can assert exact protocol output.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: target/<profile>/redis-server next to the test executable.
pub fn server_binary() -> PathBuf {
    if let Ok(p) = std::env::var("REDIS_MIO_BIN") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_BIN_EXE_redis-server"))
}

/// A free TCP port on loopback (racy by nature, good enough for tests).
/// A port nothing listens on now, never handed out before in this test
/// process (the kernel may give a just-released ephemeral port again, and
/// two servers of parallel tests must not race for it).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let port = l.local_addr().expect("local addr").port();
        let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Debian's redis-server 7.0.15: the reference the differential tests
/// compare our replies with.
pub const REAL_REDIS: &str = "/usr/bin/redis-server";

/// Starts our server and the reference one with the same extra arguments;
/// None, after saying so, when the reference is not installed (the
/// differential test is then skipped).
pub fn start_ours_and_real(args: &[&str]) -> Option<(Server, Server)> {
    if !std::path::Path::new(REAL_REDIS).exists() {
        eprintln!("{REAL_REDIS} not installed: differential test skipped");
        return None;
    }
    let ours = Server::start(args);
    let real = Server::start_binary(std::path::Path::new(REAL_REDIS), args);
    Some((ours, real))
}

/// A running server, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Server {
    /// Starts our server with extra `--name value` arguments.
    pub fn start(args: &[&str]) -> Server {
        Self::start_binary(&server_binary(), args)
    }

    /// Starts any redis-server binary (ours, or Debian's for differential tests).
    pub fn start_binary(bin: &std::path::Path, args: &[&str]) -> Server {
        // A port taken between free_port and the server's bind makes the
        // server exit: try another one.
        for _ in 0..5 {
            if let Some(server) = Self::try_start(bin, args) {
                return server;
            }
        }
        panic!("server did not start");
    }

    fn try_start(bin: &std::path::Path, args: &[&str]) -> Option<Server> {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("redis-mio-test-{}-{}", std::process::id(), port));
        std::fs::create_dir_all(&dir).expect("create test dir");
        let mut cmd = Command::new(bin);
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--save")
            .arg("")
            .arg("--dir")
            .arg(&dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("spawn redis-server");
        let mut server = Server { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(server.child.try_wait(), Ok(None)) {
                return None;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                // Whoever answered, our server must still be the one alive.
                return matches!(server.child.try_wait(), Ok(None)).then_some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not start on port {port}");
    }

    /// A client that returns replies as raw protocol bytes.
    pub fn client(&self) -> Client {
        Client::connect(self.port)
    }

    /// A client that parses replies into [`Reply`] values.
    pub fn connect(&self) -> Conn {
        Conn::new(self.port)
    }

    /// True while the process is running.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A blocking RESP client that returns replies as raw protocol bytes.
pub struct Client {
    pub reader: BufReader<TcpStream>,
    pub stream: TcpStream,
}

impl Client {
    pub fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let reader = BufReader::new(stream.try_clone().expect("clone"));
        Client { reader, stream }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, data: &[u8]) {
        self.stream.write_all(data).expect("write");
    }

    /// Encodes and sends one command as a RESP array of bulk strings.
    pub fn send(&mut self, args: &[&[u8]]) {
        self.send_raw(&encode(args));
    }

    /// Reads one complete reply, returned as its raw bytes.
    pub fn read_reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.read_one(&mut out);
        out
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read line");
        assert!(
            line.ends_with(b"\r\n"),
            "bad line {:?}",
            String::from_utf8_lossy(&line)
        );
        out.extend_from_slice(&line);
        line.truncate(line.len() - 2);
        line
    }

    fn read_one(&mut self, out: &mut Vec<u8>) {
        let line = self.read_line(out);
        let n = || -> i64 {
            std::str::from_utf8(&line[1..])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(-1)
        };
        match line.first() {
            Some(b'$') | Some(b'=') | Some(b'!') => {
                let len = n();
                if len >= 0 {
                    let mut buf = vec![0u8; len as usize + 2];
                    self.reader.read_exact(&mut buf).expect("read bulk");
                    out.extend_from_slice(&buf);
                }
            }
            Some(b'*') | Some(b'~') | Some(b'>') => {
                for _ in 0..n().max(0) {
                    self.read_one(out);
                }
            }
            Some(b'%') | Some(b'|') => {
                for _ in 0..n().max(0) * 2 {
                    self.read_one(out);
                }
            }
            _ => {}
        }
    }

    /// Sends a command and returns its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send(&a);
        self.read_reply()
    }

    /// Like `cmd`, the reply as a lossy string (handy in assertions).
    pub fn cmd_str(&mut self, args: &[&str]) -> String {
        String::from_utf8_lossy(&self.cmd(args)).into_owned()
    }

    /// True if the server closed the connection (read returns EOF).
    pub fn is_closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

/// RESP encoding of a command.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
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
    /// The reply with the elements of its aggregate sorted (pairs of a
    /// map, or of a flat array when `pairs`), for commands whose order is
    /// unspecified (SMEMBERS, HGETALL...). Other replies are unchanged.
    pub fn sorted(self, pairs: bool) -> Reply {
        let key = |r: &Reply| format!("{r:?}");
        let sort = |v: Vec<Reply>| -> Vec<Reply> {
            let mut chunks: Vec<Vec<Reply>> = v
                .chunks(if pairs { 2 } else { 1 })
                .map(|c| c.to_vec())
                .collect();
            chunks.sort_by_key(|c| c.iter().map(key).collect::<Vec<_>>());
            chunks.into_iter().flatten().collect()
        };
        match self {
            Reply::Array(v) => Reply::Array(sort(v)),
            Reply::Set(v) => Reply::Set(sort(v)),
            Reply::Map(mut m) => {
                m.sort_by_key(|(k, v)| (key(k), key(v)));
                Reply::Map(m)
            }
            other => other,
        }
    }

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
