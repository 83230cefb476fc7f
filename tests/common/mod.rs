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
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local addr").port()
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
        let server = Server { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not start on port {port}");
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port)
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
