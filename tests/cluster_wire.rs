//! The cluster bus codec against Debian's `/usr/bin/redis-server` 7.0.15
//! (skipped when it is not installed).
//!
//! The real node is asked to CLUSTER MEET two fake nodes whose bus ports are
//! listeners of this test. Its MEET and PING packets are decoded with
//! `cluster::msg::decode`, checked field by field and must re-encode to the
//! same bytes; the fake nodes answer with PONGs built by our encoder, and the
//! real node's CLUSTER NODES must then list them under their names, with the
//! hostname sent in our ping extension.

mod common;

use common::{Conn, Reply};
use rand::Rng;
use redis_mio::cluster::msg::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const REAL_REDIS: &str = "/usr/bin/redis-server";
/// The ports this test may use.
const PORTS: std::ops::Range<u16> = 22300..22600;

/// The real server, killed (and its directory removed) on drop, printing the
/// tail of its log when the test failed.
struct RealNode {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for RealNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            if let Ok(log) = std::fs::read_to_string(self.dir.join("redis.log")) {
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("--- real node log (last lines) ---");
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Listeners on `n` free ports of our range, starting at a point that
/// depends on the process id so parallel runs rarely collide.
fn listeners(n: usize) -> Vec<(u16, TcpListener)> {
    let span = PORTS.end - PORTS.start;
    let first = (std::process::id() % u32::from(span)) as u16;
    let mut out = Vec::new();
    for i in 0..span {
        let port = PORTS.start + (first + i) % span;
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            out.push((port, l));
            if out.len() == n {
                return out;
            }
        }
    }
    panic!("not enough free ports in {PORTS:?}");
}

fn start_real_node(port: u16, cport: u16) -> RealNode {
    let dir = std::env::temp_dir().join(format!("redis-mio-cluster-wire-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("test dir");
    let child = Command::new(REAL_REDIS)
        .args(["--port", &port.to_string()])
        .args(["--cluster-enabled", "yes"])
        .args(["--cluster-port", &cport.to_string()])
        .arg("--cluster-config-file")
        .arg(dir.join("nodes.conf"))
        .arg("--dir")
        .arg(&dir)
        .args(["--save", "", "--appendonly", "no"])
        .args(["--cluster-announce-hostname", "somehost"])
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the real redis-server");
    let node = RealNode { child, dir, port };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "real node did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    node
}

/// Waits for the real node to connect to one of our bus listeners.
fn accept(listener: &TcpListener) -> TcpStream {
    listener.set_nonblocking(true).expect("nonblocking");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).expect("blocking");
                return s;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the real node never connected");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Reads whole packets as the C read handler frames them (8 bytes, then up
/// to totlen) and hands them to the test thread tagged with `link`.
fn spawn_reader(mut s: TcpStream, link: usize, tx: mpsc::Sender<(usize, Vec<u8>)>) {
    std::thread::spawn(move || loop {
        let mut buf = vec![0u8; RCVBUF_MIN_READ_LEN];
        if s.read_exact(&mut buf).is_err() {
            return;
        }
        let totlen = check_prefix(&buf).expect("packet prefix") as usize;
        buf.resize(totlen, 0);
        if s.read_exact(&mut buf[RCVBUF_MIN_READ_LEN..]).is_err() {
            return;
        }
        if tx.send((link, buf)).is_err() {
            return;
        }
    });
}

fn random_name() -> NodeName {
    let mut rng = rand::thread_rng();
    let mut n = [0u8; CLUSTER_NAMELEN];
    for c in n.iter_mut() {
        *c = b"0123456789abcdef"[rng.gen_range(0..16)];
    }
    n
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A fake node: its name, announced ports and the hostname it announces.
struct Fake {
    name: NodeName,
    port: u16,
    cport: u16,
    hostname: &'static [u8],
}

impl Fake {
    fn pong(&self) -> Vec<u8> {
        let mut hdr = ClusterMsgHeader::new(CLUSTERMSG_TYPE_PONG);
        hdr.port = self.port;
        hdr.cport = self.cport;
        hdr.sender = self.name;
        hdr.flags = 1; // CLUSTER_NODE_MASTER
        ClusterMsg {
            hdr,
            data: ClusterMsgData::Ping {
                gossip: vec![],
                extensions: vec![ClusterMsgPingExt::Hostname(self.hostname.to_vec())],
            },
        }
        .to_bytes()
    }
}

fn hostname_ext(data: &ClusterMsgData) -> Option<Vec<u8>> {
    match data {
        ClusterMsgData::Ping { extensions, .. } => extensions.iter().find_map(|e| match e {
            ClusterMsgPingExt::Hostname(h) => Some(h.clone()),
            _ => None,
        }),
        _ => None,
    }
}

#[test]
fn packets_of_a_real_7_0_15_node() {
    if !std::path::Path::new(REAL_REDIS).exists() {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        return;
    }
    // P and P's bus port for the real node; the fake nodes' client ports
    // are announced only, their bus ports are our listeners.
    let mut ports = listeners(6);
    let (fake2_cport, fake2_listener) = ports.pop().expect("port");
    let (fake1_cport, fake1_listener) = ports.pop().expect("port");
    let fake2_port = ports.pop().expect("port").0;
    let fake1_port = ports.pop().expect("port").0;
    let real_cport = ports.pop().expect("port").0;
    let real_port = ports.pop().expect("port").0;

    let real = start_real_node(real_port, real_cport);
    let mut c = Conn::new(real.port);
    let myid = c.cmd("CLUSTER MYID").text();
    assert_eq!(myid.len(), CLUSTER_NAMELEN);

    let fakes = [
        Fake {
            name: random_name(),
            port: fake1_port,
            cport: fake1_cport,
            hostname: b"fake-one",
        },
        Fake {
            name: random_name(),
            port: fake2_port,
            cport: fake2_cport,
            hostname: b"fake-number-two.example",
        },
    ];
    let (tx, rx) = mpsc::channel();
    let mut links = Vec::new();
    for (i, (fake, listener)) in fakes
        .iter()
        .zip([fake1_listener, fake2_listener])
        .enumerate()
    {
        let meet = format!("CLUSTER MEET 127.0.0.1 {} {}", fake.port, fake.cport);
        assert_eq!(c.cmd(&meet), Reply::Status("OK".into()));
        let stream = accept(&listener);
        spawn_reader(stream.try_clone().expect("clone"), i, tx.clone());
        links.push(stream);
        let (link, bytes) = rx.recv_timeout(Duration::from_secs(10)).expect("a MEET");
        assert_eq!(link, i);

        // 1. The MEET, field by field.
        let msg = decode(&bytes).expect("the real MEET decodes");
        let h = &msg.hdr;
        assert_eq!(h.type_, CLUSTERMSG_TYPE_MEET);
        assert_eq!(h.ver, CLUSTER_PROTO_VER);
        assert_eq!(h.totlen as usize, bytes.len());
        assert_eq!(&h.sender[..], myid.as_bytes());
        assert_eq!(h.port, real_port);
        assert_eq!(h.cport, real_cport);
        assert_eq!(h.pport, 0);
        assert_eq!(h.flags, 16 | 1, "MYSELF|MASTER");
        assert_eq!(h.slaveof, [0; CLUSTER_NAMELEN]);
        assert_eq!(h.myip, [0; NET_IP_STR_LEN]);
        assert!(h.myslots.iter().all(|&b| b == 0), "no slots yet");
        assert_eq!(h.offset, 0);
        assert_eq!(h.state, 1, "CLUSTER_FAIL: no slots are served");
        assert_eq!(h.mflags, [CLUSTERMSG_FLAG0_EXT_DATA, 0, 0]);
        assert_eq!(h.extensions, 1);
        assert_eq!(hostname_ext(&msg.data), Some(b"somehost".to_vec()));
        if i == 0 {
            // A fresh node: epochs 0 (the first fake node may make it bump
            // them, as two masters of config epoch 0 collide), and nothing
            // to gossip about yet: header, then one 24-byte extension.
            assert_eq!(h.current_epoch, 0);
            assert_eq!(h.config_epoch, 0);
            assert_eq!(h.count, 0);
            assert_eq!(bytes.len(), CLUSTERMSG_MIN_LEN + 24);
        }
        assert_eq!(msg.to_bytes(), bytes, "MEET re-encodes byte for byte");

        // 2. Our PONG completes the handshake (the real node renames its
        // handshake node after our name); a second one is processed as
        // coming from a known node, which is when extensions are read.
        let pong = fake.pong();
        links[i].write_all(&pong).expect("send PONG");
        links[i].write_all(&pong).expect("send PONG");
    }

    // 3. The real node lists both fake nodes under our names, with the
    // addresses and hostnames of our packets, connected.
    let deadline = Instant::now() + Duration::from_secs(10);
    let nodes = loop {
        let nodes = c.cmd("CLUSTER NODES").text();
        let done = fakes.iter().all(|f| {
            let name = std::str::from_utf8(&f.name).expect("hex");
            let addr = format!(
                "127.0.0.1:{}@{},{}",
                f.port,
                f.cport,
                String::from_utf8_lossy(f.hostname)
            );
            nodes.lines().any(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                w.len() >= 8
                    && w[0] == name
                    && w[1] == addr
                    && w[2] == "master"
                    && w[7] == "connected"
            })
        });
        if done {
            break nodes;
        }
        assert!(
            Instant::now() < deadline,
            "fake nodes not accepted:\n{nodes}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("CLUSTER NODES of the real node:\n{nodes}");
    assert_eq!(nodes.lines().count(), 3, "{nodes}");
    let info = c.cmd("CLUSTER INFO").text();
    assert!(info.contains("cluster_known_nodes:3"), "{info}");
    assert!(
        info.contains("cluster_stats_messages_pong_received:4"),
        "{info}"
    );

    // 4. With slots assigned, the next PING carries them, and one gossip
    // entry.
    let slots = [0usize, 1, 2, 3, 100, 16383];
    let args: Vec<String> = slots.iter().map(|s| s.to_string()).collect();
    let addslots = format!("CLUSTER ADDSLOTS {}", args.join(" "));
    assert_eq!(c.cmd(&addslots), Reply::Status("OK".into()));
    let deadline = Instant::now() + Duration::from_secs(15);
    let (bytes, msg) = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let (_, bytes) = rx.recv_timeout(left).expect("a PING with slots");
        let msg = decode(&bytes).expect("the real PING decodes");
        assert_eq!(msg.to_bytes(), bytes, "re-encodes byte for byte");
        if msg.hdr.type_ == CLUSTERMSG_TYPE_PING && slot_bitmap_test(&msg.hdr.myslots, 1) {
            break (bytes, msg);
        }
    };
    let h = &msg.hdr;
    assert_eq!(&h.sender[..], myid.as_bytes());
    for s in 0..CLUSTER_SLOTS {
        assert_eq!(
            slot_bitmap_test(&h.myslots, s),
            slots.contains(&s),
            "slot {s}"
        );
    }
    assert_eq!(h.count, 1, "one other node to gossip about");
    assert_eq!(h.extensions, 1);
    assert_eq!(bytes.len(), CLUSTERMSG_MIN_LEN + GOSSIP_LEN + 24);
    assert_eq!(hostname_ext(&msg.data), Some(b"somehost".to_vec()));
    let ClusterMsgData::Ping { gossip, .. } = &msg.data else {
        panic!("not a ping body");
    };
    // C picks gossip entries at random among the nodes other than itself,
    // the receiver included.
    let g = &gossip[0];
    let other = fakes
        .iter()
        .find(|f| f.name == g.nodename)
        .expect("gossip about one of the fake nodes");
    assert_eq!(&g.ip[..10], b"127.0.0.1\0");
    assert_eq!(g.port, other.port);
    assert_eq!(g.cport, other.cport);
    assert_eq!(g.pport, 0);
    assert_eq!(g.flags, 1, "MASTER");
    assert!((i64::from(g.pong_received) - now_secs()).abs() < 60);

    drop(links);
    drop(real);
}
