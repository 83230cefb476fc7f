//! Redis Cluster (`cluster.c`, `cluster.h`).
//!
//! A cluster node keeps a table of every node it knows, talks to each of
//! them over the cluster bus (a second listening port, `port + 10000` by
//! default) with the binary messages of `msg`, and agrees with them on who
//! serves each of the 16384 hash slots. `cluster_cron` runs every 100 ms
//! from `server_cron`; `cluster_before_sleep` does the work that message
//! handlers asked for (saving nodes.conf, updating the state) once per loop
//! turn.
//!
//! This file holds the structures of `cluster.h`. The C file's sections are
//! submodules, in the C order:
//!
//! | cluster.c section | module |
//! |---|---|
//! | the message structs of cluster.h, their encoding and the packet checks of the read handler and `clusterProcessPacket` | `msg` |
//! | Initialization, nodes.conf load/save/lock, reset | `init` |
//! | CLUSTER communication link | `link` |
//! | CLUSTER node API, config epoch handling, nodes blacklist | `node` |
//! | CLUSTER messages exchange - PING/PONG and gossip, FAIL/UPDATE/PUBLISH | `gossip` |
//! | SLAVE node specific functions, manual failover | `failover` |
//! | CLUSTER cron job | `cron` |
//! | Slots management, Cluster state evaluation | `slots` |
//! | Nodes to string representation | `nodes_string` |
//! | CLUSTER command | `command` |
//! | DUMP, RESTORE and MIGRATE commands | `migrate` |
//! | key space handling; serving / redirecting clients | `redirect` |
//!
//! Nodes and links point at each other by index (`NodeId`, `LinkId`: keys
//! of the slabs in `ClusterState`) where C keeps pointers; a node's name is
//! the key of `ClusterState::nodes_by_name`, like C's `nodes` dict.

pub mod command;
pub mod cron;
pub mod failover;
pub mod gossip;
pub mod init;
pub mod link;
pub mod migrate;
pub mod msg;
pub mod node;
pub mod nodes_string;
pub mod redirect;
pub mod slots;

use std::collections::HashMap;

use slab::Slab;

use msg::{NodeName, SlotBitmap, CLUSTERMSG_TYPE_COUNT, CLUSTER_NAMELEN, CLUSTER_SLOTS};

pub const CLUSTER_OK: u8 = 0;
pub const CLUSTER_FAIL: u8 = 1;
pub const CLUSTER_PORT_INCR: u16 = 10000;

/// Multiples of the node timeout (names ending in `_MULT`) and delays.
pub const CLUSTER_FAIL_REPORT_VALIDITY_MULT: i64 = 2;
pub const CLUSTER_FAIL_UNDO_TIME_MULT: i64 = 2;
pub const CLUSTER_MF_TIMEOUT: i64 = 5000;
pub const CLUSTER_MF_PAUSE_MULT: i64 = 2;
pub const CLUSTER_SLAVE_MIGRATION_DELAY: i64 = 5000;

/// What `get_node_by_query` decided (`CLUSTER_REDIR_*`).
pub const CLUSTER_REDIR_NONE: i32 = 0;
pub const CLUSTER_REDIR_CROSS_SLOT: i32 = 1;
pub const CLUSTER_REDIR_UNSTABLE: i32 = 2;
pub const CLUSTER_REDIR_ASK: i32 = 3;
pub const CLUSTER_REDIR_MOVED: i32 = 4;
pub const CLUSTER_REDIR_DOWN_STATE: i32 = 5;
pub const CLUSTER_REDIR_DOWN_UNBOUND: i32 = 6;
pub const CLUSTER_REDIR_DOWN_RO_STATE: i32 = 7;

/// Node flags (`CLUSTER_NODE_*`); the low 16 bits travel in message headers.
pub const CLUSTER_NODE_MASTER: u16 = 1;
pub const CLUSTER_NODE_SLAVE: u16 = 2;
pub const CLUSTER_NODE_PFAIL: u16 = 4;
pub const CLUSTER_NODE_FAIL: u16 = 8;
pub const CLUSTER_NODE_MYSELF: u16 = 16;
pub const CLUSTER_NODE_HANDSHAKE: u16 = 32;
pub const CLUSTER_NODE_NOADDR: u16 = 64;
pub const CLUSTER_NODE_MEET: u16 = 128;
pub const CLUSTER_NODE_MIGRATE_TO: u16 = 256;
pub const CLUSTER_NODE_NOFAILOVER: u16 = 512;

/// Why a replica cannot fail over right now (`CLUSTER_CANT_FAILOVER_*`).
pub const CLUSTER_CANT_FAILOVER_NONE: i32 = 0;
pub const CLUSTER_CANT_FAILOVER_DATA_AGE: i32 = 1;
pub const CLUSTER_CANT_FAILOVER_WAITING_DELAY: i32 = 2;
pub const CLUSTER_CANT_FAILOVER_EXPIRED: i32 = 3;
pub const CLUSTER_CANT_FAILOVER_WAITING_VOTES: i32 = 4;
pub const CLUSTER_CANT_FAILOVER_RELOG_PERIOD: i64 = 60 * 5;

/// Work for `cluster_before_sleep` (`CLUSTER_TODO_*`).
pub const CLUSTER_TODO_HANDLE_FAILOVER: u32 = 1 << 0;
pub const CLUSTER_TODO_UPDATE_STATE: u32 = 1 << 1;
pub const CLUSTER_TODO_SAVE_CONFIG: u32 = 1 << 2;
pub const CLUSTER_TODO_FSYNC_CONFIG: u32 = 1 << 3;
pub const CLUSTER_TODO_HANDLE_MANUALFAILOVER: u32 = 1 << 4;

/// A node, by its key in `ClusterState::nodes`.
pub type NodeId = usize;
/// A link, by its key in `ClusterState::links`.
pub type LinkId = usize;

/// `clusterLink`: one TCP connection of the bus, outbound (we connected to
/// `node`) or inbound (accepted; `node` is known once the peer is
/// recognised).
pub struct ClusterLink {
    /// Creation time, ms.
    pub ctime: i64,
    pub conn: mio::net::TcpStream,
    pub token: mio::Token,
    /// Bytes queued for the peer; `sndbuf_pos` of them are already sent.
    pub sndbuf: Vec<u8>,
    pub sndbuf_pos: usize,
    /// Bytes of the packet being received.
    pub rcvbuf: Vec<u8>,
    pub node: Option<NodeId>,
    pub inbound: bool,
    /// An outbound connect still in progress (the socket is not writable yet).
    pub connecting: bool,
    /// Listed in `ClusterState::links_pending_write`.
    pub pending_write: bool,
}

/// `clusterNodeFailReport`: `node` said, at `time`, that the reported node
/// is failing.
#[derive(Clone, Copy, Debug)]
pub struct ClusterNodeFailReport {
    pub node: NodeId,
    pub time: i64,
}

/// `clusterNode`.
pub struct ClusterNode {
    pub ctime: i64,
    pub name: NodeName,
    pub flags: u16,
    pub config_epoch: u64,
    pub slots: Box<SlotBitmap>,
    pub numslots: usize,
    /// Replicas of this node when it is a master.
    pub slaves: Vec<NodeId>,
    /// The master of a replica, when we know it.
    pub slaveof: Option<NodeId>,
    pub last_in_ping_gossip: u64,
    pub ping_sent: i64,
    pub pong_received: i64,
    pub data_received: i64,
    pub fail_time: i64,
    pub voted_time: i64,
    pub repl_offset_time: i64,
    pub orphaned_time: i64,
    pub repl_offset: i64,
    /// Latest known IP, empty when unknown.
    pub ip: String,
    /// Announced hostname, empty when none.
    pub hostname: String,
    pub port: u16,
    pub pport: u16,
    pub cport: u16,
    pub link: Option<LinkId>,
    pub inbound_link: Option<LinkId>,
    pub fail_reports: Vec<ClusterNodeFailReport>,
}

/// `clusterState`: `server.cluster`.
pub struct ClusterState {
    pub myself: NodeId,
    pub current_epoch: u64,
    pub state: u8,
    /// Masters serving at least one slot.
    pub size: usize,
    pub nodes: Slab<ClusterNode>,
    pub nodes_by_name: HashMap<NodeName, NodeId>,
    /// FORGET's blacklist: name -> expiry time in seconds.
    pub nodes_black_list: HashMap<NodeName, i64>,
    pub links: Slab<ClusterLink>,
    pub migrating_slots_to: Box<[Option<NodeId>; CLUSTER_SLOTS]>,
    pub importing_slots_from: Box<[Option<NodeId>; CLUSTER_SLOTS]>,
    pub slots: Box<[Option<NodeId>; CLUSTER_SLOTS]>,
    // Election state of a replica.
    pub failover_auth_time: i64,
    pub failover_auth_count: usize,
    pub failover_auth_sent: bool,
    pub failover_auth_rank: usize,
    pub failover_auth_epoch: u64,
    pub cant_failover_reason: i32,
    // Manual failover.
    pub mf_end: i64,
    pub mf_slave: Option<NodeId>,
    pub mf_master_offset: i64,
    pub mf_can_start: bool,
    pub last_vote_epoch: u64,
    pub todo_before_sleep: u32,
    pub stats_bus_messages_sent: [u64; CLUSTERMSG_TYPE_COUNT as usize],
    pub stats_bus_messages_received: [u64; CLUSTERMSG_TYPE_COUNT as usize],
    pub stats_pfail_nodes: u64,
    pub stat_cluster_links_buffer_limit_exceeded: u64,
    pub owner_not_claiming_slot: Box<SlotBitmap>,
    /// Slots whose shard channels must be unsubscribed (`removeChannelsInSlot`):
    /// `del_slot` notes them, `cluster_before_sleep` reaches pub/sub.
    pub slots_to_remove_channels: Vec<usize>,

    // Fields that are globals or statics in C.
    /// The bus listeners (`server.cfd`).
    pub cfd: Vec<(mio::net::TcpListener, mio::Token)>,
    /// nodes.conf, kept open so its flock lasts as long as the process.
    pub lock_file: Option<std::fs::File>,
    /// `server.cluster_configfile`.
    pub config_file: String,
    /// DEBUG DROP-CLUSTER-PACKET-FILTER: drop received packets of this
    /// type; -1 drops nothing.
    pub drop_packet_filter: i64,
    /// `cluster_pings_sent` of `clusterSendPing`.
    pub pings_sent: u64,
    /// `iteration` of `clusterCron`.
    pub cron_iteration: u64,
    /// The statics of `clusterUpdateState`.
    pub among_minority_time: i64,
    pub first_call_time: i64,
    /// The static `prev_ip` of `clusterUpdateMyselfIp`.
    pub prev_announce_ip: Option<String>,
    /// Links with bytes waiting in their send buffer, flushed before sleep.
    pub links_pending_write: Vec<LinkId>,
}

impl ClusterNode {
    pub fn is_master(&self) -> bool {
        self.flags & CLUSTER_NODE_MASTER != 0
    }
    pub fn is_slave(&self) -> bool {
        self.flags & CLUSTER_NODE_SLAVE != 0
    }
    pub fn in_handshake(&self) -> bool {
        self.flags & CLUSTER_NODE_HANDSHAKE != 0
    }
    pub fn has_addr(&self) -> bool {
        self.flags & CLUSTER_NODE_NOADDR == 0
    }
    pub fn timed_out(&self) -> bool {
        self.flags & CLUSTER_NODE_PFAIL != 0
    }
    pub fn failed(&self) -> bool {
        self.flags & CLUSTER_NODE_FAIL != 0
    }
    pub fn cant_failover(&self) -> bool {
        self.flags & CLUSTER_NODE_NOFAILOVER != 0
    }
    /// The name as text (node names are 40 hex characters).
    pub fn name_str(&self) -> &str {
        std::str::from_utf8(&self.name).unwrap_or("")
    }
}

/// `keyHashSlot`: CRC16 of the key, or of the first non-empty `{...}`
/// section of it, modulo 16384.
pub fn key_hash_slot(key: &[u8]) -> usize {
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(s) => match key[s + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[s + 1..s + 1 + len],
            _ => key,
        },
        None => key,
    };
    (crc16::State::<crc16::XMODEM>::calculate(hashed) & 0x3FFF) as usize
}

/// Is `name` a node name we may look up: 40 characters of `[a-z0-9]`
/// (`verifyClusterNodeId`; generated names are hex, but any lowercase
/// letter is accepted, as C does).
pub fn verify_cluster_node_id(name: &[u8]) -> bool {
    name.len() == CLUSTER_NAMELEN && name.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'z'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_slot_matches_redis() {
        // Values from CLUSTER KEYSLOT of redis-server 7.0.15.
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(key_hash_slot(b"barfoo"), 10078);
        assert_eq!(
            key_hash_slot(b"{user1000}.following"),
            key_hash_slot(b"user1000")
        );
        assert_eq!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"foo{}{bar}"));
        assert_ne!(key_hash_slot(b"foo{}{bar}"), key_hash_slot(b"bar"));
        assert_eq!(key_hash_slot(b"foo{{bar}}zap"), key_hash_slot(b"{bar"));
        assert_eq!(key_hash_slot(b"foo{bar}{zap}"), key_hash_slot(b"bar"));
        assert_eq!(key_hash_slot(b""), 0);
    }

    #[test]
    fn node_ids() {
        assert!(verify_cluster_node_id(&[b'a'; 40]));
        assert!(verify_cluster_node_id(&[b'z'; 40]));
        assert!(!verify_cluster_node_id(&[b'A'; 40]));
        assert!(!verify_cluster_node_id(&[b'a'; 39]));
    }
}
