//! Messages between nodes (`CLUSTER messages exchange - PING/PONG and
//! gossip` of `cluster.c`, with the FAIL, UPDATE and PUBLISH senders).
//!
//! `cluster_process_packet` is where a peer's view enters ours: the header
//! of every packet carries the sender's epochs, role, slots and flags, and
//! PING/PONG/MEET also carry a few gossip entries about other nodes and
//! the sender's hostname. Everything read from a packet is bounds-checked
//! by the decoder first; nothing here may panic on what a peer sends.

use super::msg::*;
use super::node::{clear_node_failure_if_needed, mark_node_as_failing_if_needed, name_str};
use super::*;
use crate::server::{server_log_raw, Server, LL_DEBUG, LL_NOTICE, LL_VERBOSE, LL_WARNING};
use crate::util::mstime;

/// Targets of `cluster_broadcast_pong`.
pub const CLUSTER_BROADCAST_ALL: i32 = 0;
pub const CLUSTER_BROADCAST_LOCAL_SLAVES: i32 = 1;

/// A NUL-terminated field as text.
pub fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn ip_field(ip: &str) -> [u8; NET_IP_STR_LEN] {
    let mut out = [0u8; NET_IP_STR_LEN];
    let n = ip.len().min(NET_IP_STR_LEN - 1);
    out[..n].copy_from_slice(&ip.as_bytes()[..n]);
    out
}

/// An address as C's inet_ntop prints it (IPv4-mapped IPv6 as IPv4).
pub fn ip_to_string(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        ip => ip.to_string(),
    }
}

/// `deriveAnnouncedPorts`: (port, pport, cport) as announced on the bus.
pub fn derive_announced_ports(cfg: &crate::config::Config) -> (u16, u16, u16) {
    let tls = cfg.tls_cluster;
    let port = if tls { cfg.tls_port } else { cfg.port };
    let mut aport = port;
    let mut apport = if tls { cfg.port } else { 0 };
    let mut acport = if cfg.cluster_port != 0 {
        cfg.cluster_port
    } else {
        port + CLUSTER_PORT_INCR as i64
    };
    if tls && cfg.cluster_announce_tls_port != 0 {
        aport = cfg.cluster_announce_tls_port;
        apport = cfg.cluster_announce_port;
    } else if cfg.cluster_announce_port != 0 {
        aport = cfg.cluster_announce_port;
    }
    if cfg.cluster_announce_bus_port != 0 {
        acport = cfg.cluster_announce_bus_port;
    }
    (aport as u16, apport as u16, acport as u16)
}

/// `clusterBuildMessageHdr`.
pub fn cluster_build_message_hdr(server: &Server, type_: u16) -> ClusterMsgHeader {
    let mut h = ClusterMsgHeader::new(type_);
    let Some(cl) = server.cluster.as_deref() else {
        return h;
    };
    let me = cl.me();
    // A replica advertises its master's slots and epoch.
    let master = match me.slaveof {
        Some(m) if me.is_slave() => cl.nodes.get(m).unwrap_or(me),
        _ => me,
    };
    h.sender = me.name;
    if let Some(ip) = &server.config.cluster_announce_ip {
        h.myip = ip_field(ip);
    }
    let (port, pport, cport) = derive_announced_ports(&server.config);
    h.myslots.copy_from_slice(&master.slots[..]);
    if let Some(m) = me.slaveof.and_then(|m| cl.nodes.get(m)) {
        h.slaveof = m.name;
    }
    h.port = port;
    h.pport = pport;
    h.cport = cport;
    h.flags = me.flags;
    h.state = cl.state;
    h.current_epoch = cl.current_epoch;
    h.config_epoch = master.config_epoch;
    // Replicas report their processed offset once replication exists;
    // until then only a master has an offset.
    h.offset = if me.is_slave() {
        0
    } else {
        server.repl.master_repl_offset as u64
    };
    if me.is_master() && cl.mf_end != 0 {
        h.mflags[0] |= CLUSTERMSG_FLAG0_PAUSED;
    }
    h
}

fn gossip_entry(n: &ClusterNode) -> ClusterMsgDataGossip {
    ClusterMsgDataGossip {
        nodename: n.name,
        ping_sent: (n.ping_sent / 1000) as u32,
        pong_received: (n.pong_received / 1000) as u32,
        ip: ip_field(&n.ip),
        port: n.port,
        cport: n.cport,
        flags: n.flags,
        pport: n.pport,
    }
}

/// `clusterSendPing`: a PING, PONG or MEET with gossip about a few random
/// nodes (a tenth of the table, at least 3) plus every node in PFAIL, so
/// failure reports spread fast.
pub fn cluster_send_ping(server: &mut Server, link: LinkId, type_: u16) {
    let mut hdr = cluster_build_message_hdr(server, type_);
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let Some(l) = cl.links.get(link) else {
        return;
    };
    let (inbound, lnode) = (l.inbound, l.node);
    cl.pings_sent += 1;
    let pings_sent = cl.pings_sent;
    let total = cl.nodes.len();
    let mut freshnodes = total as i64 - 2;
    let wanted = ((total / 10).max(3) as i64).min(freshnodes).max(0);
    if !inbound && type_ == CLUSTERMSG_TYPE_PING {
        if let Some(n) = lnode.and_then(|n| cl.nodes.get_mut(n)) {
            n.ping_sent = mstime();
        }
    }
    let ids: Vec<NodeId> = cl.nodes.iter().map(|(k, _)| k).collect();
    let mut gossip = Vec::new();
    let mut maxiterations = wanted * 3;
    while freshnodes > 0 && (gossip.len() as i64) < wanted && maxiterations > 0 {
        maxiterations -= 1;
        let pick = ids[rand::random::<usize>() % ids.len()];
        if pick == cl.myself {
            continue;
        }
        let Some(n) = cl.nodes.get_mut(pick) else {
            continue;
        };
        if n.flags & CLUSTER_NODE_PFAIL != 0 {
            continue;
        }
        if n.flags & (CLUSTER_NODE_HANDSHAKE | CLUSTER_NODE_NOADDR) != 0
            || (n.link.is_none() && n.numslots == 0)
        {
            freshnodes -= 1;
            continue;
        }
        if n.last_in_ping_gossip == pings_sent {
            continue;
        }
        gossip.push(gossip_entry(n));
        n.last_in_ping_gossip = pings_sent;
        freshnodes -= 1;
    }
    let mut pfail_wanted = cl.stats_pfail_nodes;
    for (_, n) in cl.nodes.iter() {
        if pfail_wanted == 0 {
            break;
        }
        if n.flags & (CLUSTER_NODE_HANDSHAKE | CLUSTER_NODE_NOADDR) != 0
            || n.flags & CLUSTER_NODE_PFAIL == 0
        {
            continue;
        }
        gossip.push(gossip_entry(n));
        pfail_wanted -= 1;
    }
    let mut extensions = Vec::new();
    let hostname = &cl.me().hostname;
    if !hostname.is_empty() {
        extensions.push(ClusterMsgPingExt::Hostname(hostname.as_bytes().to_vec()));
    }
    hdr.count = gossip.len() as u16;
    let msg = ClusterMsg {
        hdr,
        data: ClusterMsgData::Ping { gossip, extensions },
    };
    let mut buf = Vec::with_capacity(CLUSTERMSG_MIN_LEN + 1024);
    msg.encode(&mut buf);
    cl.send_message(Some(link), &buf);
}

/// `clusterBroadcastPong`.
pub fn cluster_broadcast_pong(server: &mut Server, target: i32) {
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let me = cl.me();
    let links: Vec<LinkId> = cl
        .nodes
        .iter()
        .filter(|&(id, n)| {
            if id == cl.myself || n.in_handshake() {
                return false;
            }
            if target == CLUSTER_BROADCAST_LOCAL_SLAVES {
                let local_slave = n.is_slave()
                    && n.slaveof.is_some()
                    && (n.slaveof == Some(cl.myself) || n.slaveof == me.slaveof);
                if !local_slave {
                    return false;
                }
            }
            true
        })
        .filter_map(|(_, n)| n.link)
        .collect();
    for l in links {
        cluster_send_ping(server, l, CLUSTERMSG_TYPE_PONG);
    }
}

fn encode_with_data(server: &Server, type_: u16, data: ClusterMsgData) -> Vec<u8> {
    let msg = ClusterMsg {
        hdr: cluster_build_message_hdr(server, type_),
        data,
    };
    let mut buf = Vec::new();
    msg.encode(&mut buf);
    buf
}

/// `clusterSendFail`: tells every node that `name` is failing.
pub fn cluster_send_fail(server: &mut Server, name: &NodeName) {
    let buf = encode_with_data(
        server,
        CLUSTERMSG_TYPE_FAIL,
        ClusterMsgData::Fail { nodename: *name },
    );
    if let Some(cl) = server.cluster.as_deref_mut() {
        cl.broadcast_message(&buf);
    }
}

/// `clusterSendUpdate`: tells the node at `link` who owns `node`'s slots
/// (minus the ones `node` stopped claiming).
pub fn cluster_send_update(server: &mut Server, link: Option<LinkId>, node: NodeId) {
    let Some(link) = link else {
        return;
    };
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let Some(n) = cl.nodes.get(node) else {
        return;
    };
    let mut slots = n.slots.clone();
    for (s, o) in slots.iter_mut().zip(cl.owner_not_claiming_slot.iter()) {
        *s &= !o;
    }
    let data = ClusterMsgData::Update {
        config_epoch: n.config_epoch,
        nodename: n.name,
        slots,
    };
    let buf = encode_with_data(server, CLUSTERMSG_TYPE_UPDATE, data);
    if let Some(cl) = server.cluster.as_deref_mut() {
        cl.send_message(Some(link), &buf);
    }
}

/// `clusterPropagatePublish`: PUBLISH goes to every node, SPUBLISH to the
/// nodes of my shard.
pub fn cluster_propagate_publish(
    server: &mut Server,
    channel: &[u8],
    message: &[u8],
    sharded: bool,
) {
    let type_ = if sharded {
        CLUSTERMSG_TYPE_PUBLISHSHARD
    } else {
        CLUSTERMSG_TYPE_PUBLISH
    };
    let buf = encode_with_data(
        server,
        type_,
        ClusterMsgData::Publish {
            channel: channel.to_vec(),
            message: message.to_vec(),
        },
    );
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    if !sharded {
        cl.broadcast_message(&buf);
        return;
    }
    for id in cl.get_nodes_serving_my_slots(cl.myself) {
        let Some(n) = cl.nodes.get(id) else {
            continue;
        };
        if n.flags & (CLUSTER_NODE_MYSELF | CLUSTER_NODE_HANDSHAKE) != 0 {
            continue;
        }
        let l = n.link;
        cl.send_message(l, &buf);
    }
}

/// Why `cluster_start_handshake` refused (C's errno).
#[derive(Debug, PartialEq, Eq)]
pub enum HandshakeError {
    /// EINVAL: bad address or port.
    Invalid,
    /// EAGAIN: a handshake with that address is already in progress.
    InProgress,
}

/// `clusterStartHandshake`: adds a node in handshake for the address; the
/// cron connects to it and sends a MEET.
pub fn cluster_start_handshake(
    cl: &mut ClusterState,
    ip: &str,
    port: i64,
    cport: i64,
) -> Result<(), HandshakeError> {
    let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
        return Err(HandshakeError::Invalid);
    };
    if !(1..=65535).contains(&port) || !(1..=65535).contains(&cport) {
        return Err(HandshakeError::Invalid);
    }
    let norm_ip = addr.to_string();
    let in_progress = cl.nodes.iter().any(|(_, n)| {
        n.in_handshake()
            && n.ip.eq_ignore_ascii_case(&norm_ip)
            && n.port as i64 == port
            && n.cport as i64 == cport
    });
    if in_progress {
        return Err(HandshakeError::InProgress);
    }
    let mut n = ClusterNode::new(None, CLUSTER_NODE_HANDSHAKE | CLUSTER_NODE_MEET);
    n.ip = norm_ip;
    n.port = port as u16;
    n.cport = cport as u16;
    cl.add_node(n);
    Ok(())
}

/// `clusterProcessGossipSection`.
fn cluster_process_gossip_section(
    server: &mut Server,
    link: LinkId,
    hdr: &ClusterMsgHeader,
    gossip: &[ClusterMsgDataGossip],
) {
    let node_timeout = server.config.cluster_node_timeout;
    let verbose = server.config.loglevel as i32 == LL_DEBUG;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let sender = cl
        .links
        .get(link)
        .and_then(|l| l.node)
        .or_else(|| cl.lookup_node(&hdr.sender));
    for g in gossip {
        let flags = g.flags;
        let gip = cstr(&g.ip);
        if verbose {
            server_log_raw(
                LL_DEBUG,
                &format!(
                    "GOSSIP {} {}:{}@{} {}",
                    name_str(&g.nodename),
                    gip,
                    g.port,
                    g.cport,
                    super::nodes_string::represent_cluster_node_flags(flags)
                ),
            );
        }
        let Some(cl) = server.cluster.as_deref_mut() else {
            return;
        };
        match cl.lookup_node(&g.nodename) {
            Some(node) => {
                // Failure reports count only from masters.
                let sender_is_master = sender
                    .and_then(|s| cl.nodes.get(s))
                    .is_some_and(|s| s.is_master());
                if let (Some(s), true) = (sender, sender_is_master) {
                    if node != cl.myself {
                        if flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_PFAIL) != 0 {
                            if cl.node_add_failure_report(node, s) {
                                server_log_raw(
                                    LL_VERBOSE,
                                    &format!(
                                        "Node {} reported node {} as not reachable.",
                                        cl.nodes[s].name_str(),
                                        cl.nodes[node].name_str()
                                    ),
                                );
                            }
                            mark_node_as_failing_if_needed(server, node);
                        } else if cl.node_del_failure_report(node, s) {
                            server_log_raw(
                                LL_VERBOSE,
                                &format!(
                                    "Node {} reported node {} is back online.",
                                    cl.nodes[s].name_str(),
                                    cl.nodes[node].name_str()
                                ),
                            );
                            cl.node_cleanup_failure_reports(node, node_timeout);
                        }
                    }
                }
                let Some(cl) = server.cluster.as_deref_mut() else {
                    return;
                };
                // A healthy node we are not pinging right now: trust the
                // sender's newer pong time, so we do not ping it for nothing.
                let reports = cl.node_failure_reports_count(node, node_timeout);
                let now = mstime();
                let Some(n) = cl.nodes.get_mut(node) else {
                    continue;
                };
                if flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_PFAIL) == 0
                    && n.ping_sent == 0
                    && reports == 0
                {
                    let pongtime = g.pong_received as i64 * 1000;
                    if pongtime <= now + 500 && pongtime > n.pong_received {
                        n.pong_received = pongtime;
                    }
                }
                // A node we think is down but the sender reaches at
                // another address: switch to that address.
                if n.flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_PFAIL) != 0
                    && flags & CLUSTER_NODE_NOADDR == 0
                    && flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_PFAIL) == 0
                    && (!n.ip.eq_ignore_ascii_case(&gip) || n.port != g.port || n.cport != g.cport)
                {
                    let old_link = n.link;
                    n.ip = gip;
                    n.port = g.port;
                    n.pport = g.pport;
                    n.cport = g.cport;
                    n.flags &= !CLUSTER_NODE_NOADDR;
                    if let Some(l) = old_link {
                        cl.free_cluster_link(&mut server.el, l);
                    }
                }
            }
            None => {
                // Learn nodes only from a known sender, and never a node
                // that was just forgotten.
                if sender.is_some()
                    && flags & CLUSTER_NODE_NOADDR == 0
                    && !cl.blacklist_exists(&g.nodename)
                {
                    let mut n = ClusterNode::new(Some(&g.nodename), flags);
                    n.ip = gip;
                    n.port = g.port;
                    n.pport = g.pport;
                    n.cport = g.cport;
                    cl.add_node(n);
                }
            }
        }
    }
}

/// `nodeIp2String`: the announced IP, else the peer address of the link.
fn node_ip_to_string(cl: &ClusterState, link: LinkId, announced: &[u8]) -> Option<String> {
    if announced.first().is_some_and(|&b| b != 0) {
        return Some(cstr(announced));
    }
    match cl.links.get(link).map(|l| l.conn.peer_addr()) {
        Some(Ok(a)) => Some(ip_to_string(a.ip())),
        Some(Err(e)) => {
            server_log_raw(
                LL_NOTICE,
                &format!("Error converting peer IP to string: {e}"),
            );
            None
        }
        None => {
            server_log_raw(LL_NOTICE, "Error converting peer IP to string: no link");
            None
        }
    }
}

/// `nodeUpdateAddressIfNeeded`: true when the address changed.
fn node_update_address_if_needed(
    server: &mut Server,
    node: NodeId,
    link: LinkId,
    hdr: &ClusterMsgHeader,
) -> bool {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return false;
    };
    let Some(n) = cl.nodes.get(node) else {
        return false;
    };
    if n.link == Some(link) {
        return false;
    }
    let Some(ip) = node_ip_to_string(cl, link, &hdr.myip) else {
        return false;
    };
    let Some(n) = cl.nodes.get_mut(node) else {
        return false;
    };
    if n.port == hdr.port && n.cport == hdr.cport && n.pport == hdr.pport && n.ip == ip {
        return false;
    }
    n.ip = ip;
    n.port = hdr.port;
    n.pport = hdr.pport;
    n.cport = hdr.cport;
    n.flags &= !CLUSTER_NODE_NOADDR;
    let old = n.link;
    server_log_raw(
        LL_WARNING,
        &format!(
            "Address updated for node {}, now {}:{}",
            n.name_str(),
            n.ip,
            n.port
        ),
    );
    if let Some(l) = old {
        cl.free_cluster_link(&mut server.el, l);
    }
    true
}

/// `clusterSetNodeAsMaster`.
pub fn cluster_set_node_as_master(cl: &mut ClusterState, id: NodeId) {
    let Some(n) = cl.nodes.get(id) else {
        return;
    };
    if n.is_master() {
        return;
    }
    if let Some(m) = n.slaveof {
        cl.node_remove_slave(m, id);
        if id != cl.myself {
            cl.nodes[id].flags |= CLUSTER_NODE_MIGRATE_TO;
        }
    }
    let n = &mut cl.nodes[id];
    n.flags &= !CLUSTER_NODE_SLAVE;
    n.flags |= CLUSTER_NODE_MASTER;
    n.slaveof = None;
    cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
}

/// `clusterUpdateSlotsConfigWith`: `sender` claims `slots` with
/// `sender_epoch`; take the claims that beat what we know. If that leaves
/// my shard without slots, follow the new owner as a replica.
pub fn cluster_update_slots_config_with(
    server: &mut Server,
    sender: NodeId,
    sender_epoch: u64,
    slots: &SlotBitmap,
) {
    let allow_migration = server.config.cluster_allow_replica_migration;
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    if sender == cl.myself {
        server_log_raw(LL_WARNING, "Discarding UPDATE message about myself.");
        return;
    }
    let Some(curmaster) = cl.my_master() else {
        return;
    };
    let myself = cl.myself;
    // Keys of slots we lose must go: find which of ours hold keys first
    // (the scan needs the whole server).
    let losing_mine: Vec<usize> = (0..CLUSTER_SLOTS)
        .filter(|&j| {
            slot_bitmap_test(slots, j)
                && cl.slots[j] == Some(myself)
                && cl.importing_slots_from[j].is_none()
                && (cl.is_slot_unclaimed(j)
                    || cl
                        .nodes
                        .get(myself)
                        .is_some_and(|m| m.config_epoch < sender_epoch))
        })
        .collect();
    let with_keys: Vec<usize> = losing_mine
        .into_iter()
        .filter(|&j| super::slots::count_keys_in_slot(server, j) > 0)
        .collect();
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let mut newmaster = None;
    let mut dirty_slots = Vec::new();
    let mut sender_slots = 0;
    let mut migrated_our_slots = 0;
    for j in 0..CLUSTER_SLOTS {
        if slot_bitmap_test(slots, j) {
            sender_slots += 1;
            if cl.slots[j] == Some(sender) {
                slot_bitmap_clear(&mut cl.owner_not_claiming_slot, j);
                continue;
            }
            // A slot we are importing is ours to settle by hand.
            if cl.importing_slots_from[j].is_some() {
                continue;
            }
            let owner_epoch = cl.slots[j]
                .and_then(|o| cl.nodes.get(o))
                .map_or(0, |o| o.config_epoch);
            if cl.is_slot_unclaimed(j) || owner_epoch < sender_epoch {
                if cl.slots[j] == Some(myself) && with_keys.contains(&j) {
                    dirty_slots.push(j);
                }
                if cl.slots[j] == Some(curmaster) {
                    newmaster = Some(sender);
                    migrated_our_slots += 1;
                }
                cl.del_slot(j);
                cl.add_slot(sender, j);
                slot_bitmap_clear(&mut cl.owner_not_claiming_slot, j);
                cl.do_before_sleep(
                    CLUSTER_TODO_SAVE_CONFIG
                        | CLUSTER_TODO_UPDATE_STATE
                        | CLUSTER_TODO_FSYNC_CONFIG,
                );
            }
        } else if cl.slots[j] == Some(sender) {
            slot_bitmap_set(&mut cl.owner_not_claiming_slot, j);
        }
    }
    let cur_numslots = cl.nodes.get(curmaster).map_or(0, |n| n.numslots);
    let my_master = cl.me().slaveof;
    let grandmaster = my_master
        .and_then(|m| cl.nodes.get(m))
        .and_then(|m| m.slaveof);
    if newmaster.is_some()
        && cur_numslots == 0
        && (allow_migration || sender_slots == migrated_our_slots)
    {
        server_log_raw(
            LL_WARNING,
            &format!(
                "Configuration change detected. Reconfiguring myself as a replica of {}",
                cl.nodes[sender].name_str()
            ),
        );
        super::slots::cluster_set_master(server, sender);
        if let Some(cl) = server.cluster.as_deref_mut() {
            cl.do_before_sleep(
                CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_FSYNC_CONFIG,
            );
        }
    } else if let Some(gm) = grandmaster.filter(|&gm| gm != myself) {
        server_log_raw(
            LL_WARNING,
            &format!(
                "I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {}",
                cl.nodes
                    .get(gm)
                    .map_or(String::new(), |n| n.name_str().to_string())
            ),
        );
        super::slots::cluster_set_master(server, gm);
        if let Some(cl) = server.cluster.as_deref_mut() {
            cl.do_before_sleep(
                CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_FSYNC_CONFIG,
            );
        }
    } else {
        for j in dirty_slots {
            super::slots::del_keys_in_slot(server, j);
        }
    }
}

/// `clusterProcessPacket`: applies one received packet. Returns false
/// when the link was freed while processing it.
pub fn cluster_process_packet(server: &mut Server, link: LinkId, pkt: &[u8]) -> bool {
    let node_timeout = server.config.cluster_node_timeout;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return false;
    };
    let type_ = pkt
        .get(12..14)
        .map_or(u16::MAX, |b| u16::from_be_bytes([b[0], b[1]]));
    let totlen = pkt.len();
    if type_ < CLUSTERMSG_TYPE_COUNT {
        cl.stats_bus_messages_received[type_ as usize] += 1;
    }
    server_log_raw(
        LL_DEBUG,
        &format!(
            "--- Processing packet of type {}, {} bytes",
            cluster_get_message_type_string(type_),
            totlen
        ),
    );
    // Other protocol versions are ignored, not refused.
    if pkt.get(8..10) != Some(&CLUSTER_PROTO_VER.to_be_bytes()[..]) {
        return true;
    }
    if type_ as i64 == cl.drop_packet_filter {
        server_log_raw(LL_WARNING, "Dropping packet that matches debug drop filter");
        return true;
    }
    let msg = match decode(pkt) {
        Ok(m) => m,
        Err(e) => {
            server_log_raw(LL_WARNING, &e);
            return true;
        }
    };
    let hdr = &msg.hdr;
    let flags = hdr.flags;
    let now = mstime();

    // Who sent it: the node of the link, or the named sender (binding an
    // accepted link to it).
    let link_node = cl.links.get(link).and_then(|l| l.node);
    let inbound = cl.links.get(link).is_some_and(|l| l.inbound);
    let sender = match link_node {
        Some(n) if cl.nodes.get(n).is_some_and(|n| !n.in_handshake()) => Some(n),
        _ => {
            let s = cl.lookup_node(&hdr.sender);
            if let (Some(s), None) = (s, link_node) {
                cl.set_node_to_inbound_link(&mut server.el, s, link);
            }
            s
        }
    };
    let mut sender_config_epoch = 0;
    if let Some(s) = sender {
        cl.nodes[s].data_received = now;
        if !cl.nodes[s].in_handshake() {
            sender_config_epoch = hdr.config_epoch;
            if hdr.current_epoch > cl.current_epoch {
                cl.current_epoch = hdr.current_epoch;
            }
            if sender_config_epoch > cl.nodes[s].config_epoch {
                cl.nodes[s].config_epoch = sender_config_epoch;
                cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_FSYNC_CONFIG);
            }
            cl.nodes[s].repl_offset = hdr.offset as i64;
            cl.nodes[s].repl_offset_time = now;
            if cl.mf_end != 0
                && cl.me().is_slave()
                && cl.me().slaveof == Some(s)
                && hdr.mflags[0] & CLUSTERMSG_FLAG0_PAUSED != 0
                && cl.mf_master_offset == -1
            {
                cl.mf_master_offset = cl.nodes[s].repl_offset;
                cl.do_before_sleep(CLUSTER_TODO_HANDLE_MANUALFAILOVER);
                server_log_raw(
                    LL_WARNING,
                    &format!(
                        "Received replication offset for paused master manual failover: {}",
                        cl.mf_master_offset
                    ),
                );
            }
        }
    }

    if type_ == CLUSTERMSG_TYPE_PING || type_ == CLUSTERMSG_TYPE_MEET {
        // Our own IP is what the peer connected to, unless announced.
        if (type_ == CLUSTERMSG_TYPE_MEET || cl.me().ip.is_empty())
            && server.config.cluster_announce_ip.is_none()
        {
            if let Some(Ok(a)) = cl.links.get(link).map(|l| l.conn.local_addr()) {
                let ip = ip_to_string(a.ip());
                if ip != cl.me().ip {
                    server_log_raw(
                        LL_WARNING,
                        &format!("IP address for this node updated to {ip}"),
                    );
                    cl.me_mut().ip = ip;
                    cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG);
                }
            }
        }
        // A MEET from an unknown node: add it in handshake; its real name
        // comes with our PING's PONG.
        if sender.is_none() && type_ == CLUSTERMSG_TYPE_MEET {
            if let Some(ip) = node_ip_to_string(cl, link, &hdr.myip) {
                let mut n = ClusterNode::new(None, CLUSTER_NODE_HANDSHAKE);
                n.ip = ip;
                n.port = hdr.port;
                n.pport = hdr.pport;
                n.cport = hdr.cport;
                cl.add_node(n);
                cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG);
            }
            if let ClusterMsgData::Ping { gossip, .. } = &msg.data {
                cluster_process_gossip_section(server, link, hdr, gossip);
            }
        }
        cluster_send_ping(server, link, CLUSTERMSG_TYPE_PONG);
    }

    let Some(cl) = server.cluster.as_deref_mut() else {
        return false;
    };
    if !cl.links.contains(link) {
        return false;
    }
    match type_ {
        CLUSTERMSG_TYPE_PING | CLUSTERMSG_TYPE_PONG | CLUSTERMSG_TYPE_MEET => {
            server_log_raw(
                LL_DEBUG,
                &format!(
                    "{} packet received: {}",
                    cluster_get_message_type_string(type_),
                    link_node
                        .and_then(|n| cl.nodes.get(n))
                        .map_or("NULL".to_string(), |n| n.name_str().to_string())
                ),
            );
            if !inbound {
                let Some(ln) = link_node else {
                    return true;
                };
                if cl.nodes.get(ln).is_some_and(|n| n.in_handshake()) {
                    if let Some(s) = sender {
                        // We know this node already: maybe at a new address.
                        server_log_raw(
                            LL_VERBOSE,
                            &format!(
                                "Handshake: we already know node {}, updating the address if needed.",
                                cl.nodes[s].name_str()
                            ),
                        );
                        if node_update_address_if_needed(server, s, link, hdr) {
                            if let Some(cl) = server.cluster.as_deref_mut() {
                                cl.do_before_sleep(
                                    CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE,
                                );
                            }
                        }
                        if let Some(cl) = server.cluster.as_deref_mut() {
                            cl.del_node(&mut server.el, ln);
                        }
                        return false;
                    }
                    // The handshake node gets the real name.
                    cl.rename_node(ln, &hdr.sender);
                    server_log_raw(
                        LL_DEBUG,
                        &format!("Handshake with node {} completed.", cl.nodes[ln].name_str()),
                    );
                    let n = &mut cl.nodes[ln];
                    n.flags &= !CLUSTER_NODE_HANDSHAKE;
                    n.flags |= flags & (CLUSTER_NODE_MASTER | CLUSTER_NODE_SLAVE);
                    cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG);
                } else if cl.nodes.get(ln).is_some_and(|n| n.name != hdr.sender) {
                    // Someone else answers at this address: forget it.
                    let n = &mut cl.nodes[ln];
                    server_log_raw(
                        LL_DEBUG,
                        &format!(
                            "PONG contains mismatching sender ID. About node {} added {} ms ago, having flags {}",
                            n.name_str(),
                            now - n.ctime,
                            n.flags
                        ),
                    );
                    n.flags |= CLUSTER_NODE_NOADDR;
                    n.ip.clear();
                    n.port = 0;
                    n.pport = 0;
                    n.cport = 0;
                    cl.free_cluster_link(&mut server.el, link);
                    cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG);
                    return false;
                }
            }
            if let Some(s) = sender {
                let n = &mut cl.nodes[s];
                n.flags &= !CLUSTER_NODE_NOFAILOVER;
                n.flags |= flags & CLUSTER_NODE_NOFAILOVER;
            }
            if let Some(s) = sender {
                if type_ == CLUSTERMSG_TYPE_PING
                    && !cl.nodes[s].in_handshake()
                    && node_update_address_if_needed(server, s, link, hdr)
                {
                    if let Some(cl) = server.cluster.as_deref_mut() {
                        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
                    }
                }
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return false;
            };
            // A PONG on our link: the node is alive.
            if !inbound && type_ == CLUSTERMSG_TYPE_PONG {
                if let Some(ln) = cl.links.get(link).and_then(|l| l.node) {
                    let n = &mut cl.nodes[ln];
                    n.pong_received = now;
                    n.ping_sent = 0;
                    if n.timed_out() {
                        n.flags &= !CLUSTER_NODE_PFAIL;
                        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
                    } else if n.failed() {
                        clear_node_failure_if_needed(cl, ln, node_timeout);
                    }
                }
            }
            // Role changes of the sender.
            if let Some(s) = sender {
                if hdr.slaveof == [0u8; CLUSTER_NAMELEN] {
                    cluster_set_node_as_master(cl, s);
                } else {
                    let master = cl.lookup_node(&hdr.slaveof);
                    if cl.nodes[s].is_master() {
                        cl.del_node_slots(s);
                        let n = &mut cl.nodes[s];
                        n.flags &= !(CLUSTER_NODE_MASTER | CLUSTER_NODE_MIGRATE_TO);
                        n.flags |= CLUSTER_NODE_SLAVE;
                        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
                    }
                    if let Some(m) = master {
                        if cl.nodes[s].slaveof != Some(m) {
                            if let Some(old) = cl.nodes[s].slaveof {
                                cl.node_remove_slave(old, s);
                            }
                            cl.node_add_slave(m, s);
                            cl.nodes[s].slaveof = Some(m);
                            cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG);
                        }
                    }
                }
            }
            // Slots: does the sender's claim differ from our view?
            let mut dirty_slots = false;
            let mut sender_is_master = false;
            if let Some(s) = sender {
                sender_is_master = cl.nodes[s].is_master();
                let sm = if sender_is_master {
                    Some(s)
                } else {
                    cl.nodes[s].slaveof
                };
                if let Some(sm) = sm.and_then(|sm| cl.nodes.get(sm)) {
                    dirty_slots = sm.slots[..] != hdr.myslots[..];
                }
            }
            if let (Some(s), true, true) = (sender, sender_is_master, dirty_slots) {
                cluster_update_slots_config_with(server, s, sender_config_epoch, &hdr.myslots);
            }
            // The reverse: the sender claims slots we know a newer owner
            // of; tell it with an UPDATE.
            if let (Some(s), true) = (sender, dirty_slots) {
                let Some(cl) = server.cluster.as_deref() else {
                    return false;
                };
                let mut update = None;
                for j in 0..CLUSTER_SLOTS {
                    if !slot_bitmap_test(&hdr.myslots, j) {
                        continue;
                    }
                    let Some(owner) = cl.slots[j] else {
                        continue;
                    };
                    if owner == s || cl.is_slot_unclaimed(j) {
                        continue;
                    }
                    if cl
                        .nodes
                        .get(owner)
                        .is_some_and(|o| o.config_epoch > sender_config_epoch)
                    {
                        server_log_raw(
                            LL_VERBOSE,
                            &format!(
                                "Node {} has old slots configuration, sending an UPDATE message about {}",
                                cl.nodes.get(s).map_or("", |n| n.name_str()),
                                cl.nodes[owner].name_str()
                            ),
                        );
                        update = Some((cl.nodes.get(s).and_then(|n| n.link), owner));
                        break;
                    }
                }
                if let Some((l, owner)) = update {
                    cluster_send_update(server, l, owner);
                }
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return false;
            };
            if let Some(s) = sender {
                if cl.nodes.get(s).is_some_and(|n| n.is_master())
                    && cl.me().is_master()
                    && sender_config_epoch == cl.me().config_epoch
                    && cl.handle_config_epoch_collision(s)
                {
                    super::init::cluster_save_config_or_die(server, true);
                }
            }
            if sender.is_some() {
                if let ClusterMsgData::Ping { gossip, extensions } = &msg.data {
                    cluster_process_gossip_section(server, link, hdr, gossip);
                    cluster_process_ping_ext(server, link, hdr, extensions);
                }
            }
        }
        CLUSTERMSG_TYPE_FAIL => {
            let ClusterMsgData::Fail { nodename } = &msg.data else {
                return true;
            };
            if sender.is_some() {
                if let Some(f) = cl.lookup_node(nodename) {
                    let n = &mut cl.nodes[f];
                    if n.flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_MYSELF) == 0 {
                        server_log_raw(
                            LL_NOTICE,
                            &format!(
                                "FAIL message received from {} about {}",
                                name_str(&hdr.sender),
                                name_str(nodename)
                            ),
                        );
                        n.flags |= CLUSTER_NODE_FAIL;
                        n.fail_time = now;
                        n.flags &= !CLUSTER_NODE_PFAIL;
                        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
                    }
                }
            } else {
                server_log_raw(
                    LL_NOTICE,
                    &format!(
                        "Ignoring FAIL message from unknown node {} about {}",
                        name_str(&hdr.sender),
                        name_str(nodename)
                    ),
                );
            }
        }
        CLUSTERMSG_TYPE_PUBLISH | CLUSTERMSG_TYPE_PUBLISHSHARD => {
            if sender.is_none() {
                return true;
            }
            if let ClusterMsgData::Publish { channel, message } = &msg.data {
                crate::pubsub::pubsub_publish_message(
                    server,
                    channel,
                    message,
                    type_ == CLUSTERMSG_TYPE_PUBLISHSHARD,
                );
            }
        }
        CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST => {
            if let Some(s) = sender {
                super::failover::cluster_send_failover_auth_if_needed(server, s, hdr);
            }
        }
        CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK => {
            let Some(s) = sender else {
                return true;
            };
            // A vote counts if it comes from a master with slots, for the
            // epoch of our election.
            if cl.nodes[s].is_master()
                && cl.nodes[s].numslots > 0
                && hdr.current_epoch >= cl.failover_auth_epoch
            {
                cl.failover_auth_count += 1;
                cl.do_before_sleep(CLUSTER_TODO_HANDLE_FAILOVER);
            }
        }
        CLUSTERMSG_TYPE_MFSTART => {
            let Some(s) = sender else {
                return true;
            };
            if cl.nodes[s].slaveof != Some(cl.myself) {
                return true;
            }
            super::failover::cluster_handle_mfstart(server, s, link);
        }
        CLUSTERMSG_TYPE_UPDATE => {
            let ClusterMsgData::Update {
                config_epoch,
                nodename,
                slots,
            } = &msg.data
            else {
                return true;
            };
            if sender.is_none() {
                return true;
            }
            let Some(n) = cl.lookup_node(nodename) else {
                return true;
            };
            if cl.nodes[n].config_epoch >= *config_epoch {
                return true;
            }
            if cl.nodes[n].is_slave() {
                cluster_set_node_as_master(cl, n);
            }
            cl.nodes[n].config_epoch = *config_epoch;
            cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_FSYNC_CONFIG);
            cluster_update_slots_config_with(server, n, *config_epoch, slots);
        }
        CLUSTERMSG_TYPE_MODULE => {
            // No module API: the message is counted and dropped, as a
            // node without receivers for it does.
        }
        _ => {
            server_log_raw(
                LL_WARNING,
                &format!("Received unknown packet type: {type_}"),
            );
        }
    }
    true
}

/// `clusterProcessPingExtensions`: the sender's hostname (none clears it).
fn cluster_process_ping_ext(
    server: &mut Server,
    link: LinkId,
    hdr: &ClusterMsgHeader,
    exts: &[ClusterMsgPingExt],
) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let Some(sender) = cl
        .links
        .get(link)
        .and_then(|l| l.node)
        .or_else(|| cl.lookup_node(&hdr.sender))
    else {
        return;
    };
    let mut hostname = None;
    for e in exts {
        match e {
            ClusterMsgPingExt::Hostname(h) => {
                hostname = Some(String::from_utf8_lossy(h).into_owned())
            }
            ClusterMsgPingExt::Unknown { type_, .. } => {
                server_log_raw(
                    LL_WARNING,
                    &format!("Received unknown extension type {type_}"),
                );
            }
        }
    }
    if let Some(n) = cl.nodes.get_mut(sender) {
        n.hostname = hostname.unwrap_or_default();
    }
}
