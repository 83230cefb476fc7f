//! The CLUSTER command (`CLUSTER command` of `cluster.c`): one handler for
//! every subcommand, as `clusterCommand`, with the replies and errors of
//! 7.0.15. KEYSLOT, COUNTKEYSINSLOT and GETKEYSINSLOT belong with the key
//! routing in `redirect`.

use super::gossip::{cluster_start_handshake, HandshakeError};
use super::msg::{CLUSTERMSG_TYPE_COUNT, CLUSTER_SLOTS};
use super::nodes_string::{
    cluster_gen_node_description, cluster_gen_nodes_description, cluster_gen_nodes_slots_info,
};
use super::*;
use crate::config::ClusterPreferredEndpointType;
use crate::networking::Client;
use crate::server::{server_log_raw, Server, LL_WARNING};
use crate::util::string2ll;

const CLUSTER_HELP: &[&str] = &[
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
];

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `getSlotOrReply`.
fn get_slot_or_reply(c: &mut Client, arg: &[u8]) -> Option<usize> {
    match string2ll(arg) {
        Some(s) if (0..CLUSTER_SLOTS as i64).contains(&s) => Some(s as usize),
        _ => {
            c.add_reply_error("Invalid or out of range slot");
            None
        }
    }
}

/// `checkSlotAssignmentsOrReply`.
fn check_slot_assignments_or_reply(
    cl: &ClusterState,
    c: &mut Client,
    slots: &mut [u8],
    del: bool,
    start: usize,
    end: usize,
) -> bool {
    for (slot, count) in slots.iter_mut().enumerate().take(end + 1).skip(start) {
        if del && cl.slots[slot].is_none() {
            c.add_reply_error(&format!("Slot {slot} is already unassigned"));
            return false;
        } else if !del && cl.slots[slot].is_some() {
            c.add_reply_error(&format!("Slot {slot} is already busy"));
            return false;
        }
        *count += 1;
        if *count == 2 {
            c.add_reply_error(&format!("Slot {slot} specified multiple times"));
            return false;
        }
    }
    true
}

/// `clusterUpdateSlots`.
fn cluster_update_slots(cl: &mut ClusterState, slots: &[u8], del: bool) {
    let me = cl.myself;
    for (j, &s) in slots.iter().enumerate() {
        if s == 0 {
            continue;
        }
        // Taking a slot by hand ends its import.
        cl.importing_slots_from[j] = None;
        if del {
            cl.del_slot(j);
        } else {
            cl.add_slot(me, j);
        }
    }
}

/// The endpoint a client should use for `n` (`getPreferredEndpoint`).
pub fn get_preferred_endpoint(server: &Server, n: &ClusterNode) -> String {
    match server.config.cluster_preferred_endpoint_type {
        ClusterPreferredEndpointType::Ip => n.ip.clone(),
        ClusterPreferredEndpointType::Hostname => {
            if n.hostname.is_empty() {
                "?".to_string()
            } else {
                n.hostname.clone()
            }
        }
        ClusterPreferredEndpointType::UnknownEndpoint => String::new(),
    }
}

/// `addNodeToNodeReply`.
fn add_node_to_node_reply(server: &Server, c: &mut Client, n: &ClusterNode) {
    let ept = server.config.cluster_preferred_endpoint_type;
    c.add_reply_array_len(4);
    match ept {
        ClusterPreferredEndpointType::Ip => c.add_reply_bulk(n.ip.as_bytes()),
        ClusterPreferredEndpointType::Hostname => c.add_reply_bulk(if n.hostname.is_empty() {
            b"?"
        } else {
            n.hostname.as_bytes()
        }),
        ClusterPreferredEndpointType::UnknownEndpoint => c.add_reply_null(),
    }
    c.add_reply_long_long(n.port as i64);
    c.add_reply_bulk(&n.name);
    let with_ip = ept != ClusterPreferredEndpointType::Ip;
    let with_host = ept != ClusterPreferredEndpointType::Hostname && !n.hostname.is_empty();
    c.add_reply_map_len(with_ip as i64 + with_host as i64);
    if with_ip {
        c.add_reply_bulk(b"ip");
        c.add_reply_bulk(n.ip.as_bytes());
    }
    if with_host {
        c.add_reply_bulk(b"hostname");
        c.add_reply_bulk(n.hostname.as_bytes());
    }
}

/// `isReplicaAvailable`: not failed and with some replicated data.
fn is_replica_available(n: &ClusterNode) -> bool {
    // Myself has no replication offset until replication exists.
    !n.failed() && n.repl_offset != 0
}

/// `clusterReplyMultiBulkSlots`.
fn cluster_reply_multi_bulk_slots(server: &Server, c: &mut Client) {
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let d = c.add_reply_deferred_len();
    let mut count = 0;
    let mut j = 0;
    while j < CLUSTER_SLOTS {
        let Some(id) = cl.slots[j] else {
            j += 1;
            continue;
        };
        let start = j;
        while j < CLUSTER_SLOTS && cl.slots[j] == Some(id) {
            j += 1;
        }
        let Some(n) = cl.nodes.get(id) else {
            continue;
        };
        let replicas: Vec<&ClusterNode> = n
            .slaves
            .iter()
            .filter_map(|&s| cl.nodes.get(s))
            .filter(|s| is_replica_available(s))
            .collect();
        c.add_reply_array_len(3 + replicas.len() as i64);
        c.add_reply_long_long(start as i64);
        c.add_reply_long_long(j as i64 - 1);
        add_node_to_node_reply(server, c, n);
        for r in replicas {
            add_node_to_node_reply(server, c, r);
        }
        count += 1;
    }
    c.set_deferred_array_len(d, count);
}

/// `addNodeDetailsToShardReply`.
fn add_node_details_to_shard_reply(server: &Server, c: &mut Client, n: &ClusterNode) {
    let tls = server.config.tls_cluster;
    let plaintext_port = if tls { n.pport } else { n.port };
    let tls_port = if tls { n.port } else { 0 };
    let mut count = 0;
    let d = c.add_reply_deferred_len();
    c.add_reply_bulk(b"id");
    c.add_reply_bulk(&n.name);
    count += 1;
    if plaintext_port != 0 {
        c.add_reply_bulk(b"port");
        c.add_reply_long_long(plaintext_port as i64);
        count += 1;
    }
    if tls_port != 0 {
        c.add_reply_bulk(b"tls-port");
        c.add_reply_long_long(tls_port as i64);
        count += 1;
    }
    c.add_reply_bulk(b"ip");
    c.add_reply_bulk(n.ip.as_bytes());
    c.add_reply_bulk(b"endpoint");
    c.add_reply_bulk(get_preferred_endpoint(server, n).as_bytes());
    count += 2;
    if !n.hostname.is_empty() {
        c.add_reply_bulk(b"hostname");
        c.add_reply_bulk(n.hostname.as_bytes());
        count += 1;
    }
    let offset = if n.flags & CLUSTER_NODE_MYSELF != 0 {
        if n.is_slave() {
            0
        } else {
            server.repl.master_repl_offset
        }
    } else {
        n.repl_offset
    };
    c.add_reply_bulk(b"role");
    c.add_reply_bulk(if n.is_slave() { b"replica" } else { b"master" });
    c.add_reply_bulk(b"replication-offset");
    c.add_reply_long_long(offset);
    c.add_reply_bulk(b"health");
    c.add_reply_bulk(if n.failed() {
        b"fail"
    } else if n.is_slave() && offset == 0 {
        b"loading"
    } else {
        b"online"
    });
    count += 3;
    c.set_deferred_map_len(d, count);
}

/// `clusterReplyShards`.
fn cluster_reply_shards(server: &Server, c: &mut Client) {
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let info = cluster_gen_nodes_slots_info(cl, 0);
    let masters: Vec<NodeId> = cl
        .nodes
        .iter()
        .filter(|(_, n)| n.is_master())
        .map(|(k, _)| k)
        .collect();
    c.add_reply_array_len(masters.len() as i64);
    for m in masters {
        c.add_reply_map_len(2);
        c.add_reply_bulk(b"slots");
        let pairs = info.get(&m).map(|v| v.as_slice()).unwrap_or(&[]);
        c.add_reply_array_len(pairs.len() as i64 * 2);
        for &(s, e) in pairs {
            c.add_reply_long_long(s as i64);
            c.add_reply_long_long(e as i64);
        }
        c.add_reply_bulk(b"nodes");
        let nodes = cl.get_nodes_serving_my_slots(m);
        c.add_reply_array_len(nodes.len() as i64);
        for id in nodes {
            if let Some(n) = cl.nodes.get(id) {
                add_node_details_to_shard_reply(server, c, n);
            }
        }
    }
}

/// `addReplyClusterLinksDescription`.
fn add_reply_cluster_links_description(server: &Server, c: &mut Client) {
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let mut links = Vec::new();
    for (_, n) in cl.nodes.iter() {
        for l in [n.link, n.inbound_link].into_iter().flatten() {
            if let Some(link) = cl.links.get(l) {
                links.push((n, link));
            }
        }
    }
    c.add_reply_array_len(links.len() as i64);
    for (n, link) in links {
        c.add_reply_map_len(6);
        c.add_reply_bulk(b"direction");
        c.add_reply_bulk(if link.inbound { b"from" } else { b"to" });
        c.add_reply_bulk(b"node");
        c.add_reply_bulk(&n.name);
        c.add_reply_bulk(b"create-time");
        c.add_reply_long_long(link.ctime);
        let mask = server.el.ae_get_file_events(link.token);
        let mut events = String::new();
        if mask & crate::ae::AE_READABLE != 0 {
            events.push('r');
        }
        if mask & crate::ae::AE_WRITABLE != 0 {
            events.push('w');
        }
        c.add_reply_bulk(b"events");
        c.add_reply_bulk(events.as_bytes());
        c.add_reply_bulk(b"send-buffer-allocated");
        c.add_reply_long_long(link.sndbuf.capacity() as i64);
        c.add_reply_bulk(b"send-buffer-used");
        c.add_reply_long_long((link.sndbuf.len() - link.sndbuf_pos) as i64);
    }
}

/// The CLUSTER INFO text.
pub fn cluster_info_string(cl: &ClusterState) -> String {
    let (mut assigned, mut ok, mut pfail, mut fail) = (0, 0, 0, 0);
    for s in cl.slots.iter() {
        let Some(n) = s.and_then(|id| cl.nodes.get(id)) else {
            continue;
        };
        assigned += 1;
        if n.failed() {
            fail += 1;
        } else if n.timed_out() {
            pfail += 1;
        } else {
            ok += 1;
        }
    }
    let me = cl.me();
    let myepoch = match me.slaveof.and_then(|m| cl.nodes.get(m)) {
        Some(m) if me.is_slave() => m.config_epoch,
        _ => me.config_epoch,
    };
    let mut info = format!(
        "cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{}\r\ncluster_slots_pfail:{}\r\ncluster_slots_fail:{}\r\ncluster_known_nodes:{}\r\ncluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n",
        if cl.state == CLUSTER_OK { "ok" } else { "fail" },
        assigned,
        ok,
        pfail,
        fail,
        cl.nodes.len(),
        cl.size,
        cl.current_epoch,
        myepoch
    );
    let mut tot = 0;
    for t in 0..CLUSTERMSG_TYPE_COUNT {
        let v = cl.stats_bus_messages_sent[t as usize];
        if v != 0 {
            tot += v;
            info.push_str(&format!(
                "cluster_stats_messages_{}_sent:{}\r\n",
                msg::cluster_get_message_type_string(t),
                v
            ));
        }
    }
    info.push_str(&format!("cluster_stats_messages_sent:{tot}\r\n"));
    let mut tot = 0;
    for t in 0..CLUSTERMSG_TYPE_COUNT {
        let v = cl.stats_bus_messages_received[t as usize];
        if v != 0 {
            tot += v;
            info.push_str(&format!(
                "cluster_stats_messages_{}_received:{}\r\n",
                msg::cluster_get_message_type_string(t),
                v
            ));
        }
    }
    info.push_str(&format!("cluster_stats_messages_received:{tot}\r\n"));
    info.push_str(&format!(
        "total_cluster_links_buffer_limit_exceeded:{}\r\n",
        cl.stat_cluster_links_buffer_limit_exceeded
    ));
    info
}

/// CLUSTER <subcommand> ...
pub fn cluster_command(server: &mut Server, c: &mut Client) {
    if server.cluster.is_none() {
        c.add_reply_error("This instance has cluster support disabled");
        return;
    }
    let argc = c.argv.len();
    let sub = c.argv[1].to_ascii_lowercase();
    let node_timeout = server.config.cluster_node_timeout;
    match (&sub[..], argc) {
        (b"help", 2) => c.add_reply_help("cluster", CLUSTER_HELP),
        (b"meet", 4 | 5) => {
            let Some(port) = string2ll(&c.argv[3]) else {
                c.add_reply_error(&format!(
                    "Invalid TCP base port specified: {}",
                    lossy(&c.argv[3])
                ));
                return;
            };
            let cport = if argc == 5 {
                match string2ll(&c.argv[4]) {
                    Some(p) => p,
                    None => {
                        c.add_reply_error(&format!(
                            "Invalid TCP bus port specified: {}",
                            lossy(&c.argv[4])
                        ));
                        return;
                    }
                }
            } else {
                port + CLUSTER_PORT_INCR as i64
            };
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let ip = lossy(&c.argv[2]);
            if cluster_start_handshake(cl, &ip, port, cport) == Err(HandshakeError::Invalid) {
                c.add_reply_error(&format!(
                    "Invalid node address specified: {}:{}",
                    ip,
                    lossy(&c.argv[3])
                ));
            } else {
                c.add_reply_ok();
            }
        }
        (b"nodes", 2) => {
            let Some(cl) = server.cluster.as_deref() else {
                return;
            };
            let nodes = cluster_gen_nodes_description(cl, 0, false);
            c.add_reply_verbatim(nodes.as_bytes(), "txt");
        }
        (b"myid", 2) => {
            let Some(cl) = server.cluster.as_deref() else {
                return;
            };
            c.add_reply_bulk(&cl.me().name);
        }
        (b"slots", 2) => cluster_reply_multi_bulk_slots(server, c),
        (b"shards", 2) => cluster_reply_shards(server, c),
        (b"flushslots", 2) => {
            if server.dbs.first().is_some_and(|db| !db.dict.is_empty()) {
                c.add_reply_error("DB must be empty to perform CLUSTER FLUSHSLOTS.");
                return;
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let me = cl.myself;
            cl.del_node_slots(me);
            cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
            c.add_reply_ok();
        }
        (b"addslots" | b"delslots", 3..) => {
            let del = &sub[..] == b"delslots";
            let mut parsed = Vec::with_capacity(argc - 2);
            for j in 2..argc {
                let arg = c.argv[j].clone();
                let Some(s) = get_slot_or_reply(c, &arg) else {
                    return;
                };
                parsed.push(s);
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let mut slots = vec![0u8; CLUSTER_SLOTS];
            for s in parsed {
                if !check_slot_assignments_or_reply(cl, c, &mut slots, del, s, s) {
                    return;
                }
            }
            cluster_update_slots(cl, &slots, del);
            cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
            c.add_reply_ok();
        }
        (b"addslotsrange" | b"delslotsrange", 4..) => {
            if argc % 2 == 1 {
                let fullname = format!("cluster|{}", lossy(&sub));
                c.add_reply_error_arity(&fullname);
                return;
            }
            let del = &sub[..] == b"delslotsrange";
            let mut slots = vec![0u8; CLUSTER_SLOTS];
            let mut j = 2;
            while j + 1 < argc {
                let (a, b) = (c.argv[j].clone(), c.argv[j + 1].clone());
                let Some(start) = get_slot_or_reply(c, &a) else {
                    return;
                };
                let Some(end) = get_slot_or_reply(c, &b) else {
                    return;
                };
                if start > end {
                    c.add_reply_error(&format!(
                        "start slot number {start} is greater than end slot number {end}"
                    ));
                    return;
                }
                let Some(cl) = server.cluster.as_deref() else {
                    return;
                };
                if !check_slot_assignments_or_reply(cl, c, &mut slots, del, start, end) {
                    return;
                }
                j += 2;
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            cluster_update_slots(cl, &slots, del);
            cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
            c.add_reply_ok();
        }
        (b"setslot", 4..) => cluster_setslot(server, c),
        (b"bumpepoch", 2) => {
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let bumped = cl.bump_config_epoch_without_consensus();
            let e = cl.me().config_epoch;
            c.add_reply_status(&format!(
                "{} {}",
                if bumped { "BUMPED" } else { "STILL" },
                e
            ));
        }
        (b"info", 2) => {
            let Some(cl) = server.cluster.as_deref() else {
                return;
            };
            let info = cluster_info_string(cl);
            c.add_reply_verbatim(info.as_bytes(), "txt");
        }
        (b"saveconfig", 2) => match super::init::cluster_save_config(server, true) {
            Ok(()) => c.add_reply_ok(),
            Err(e) => c.add_reply_error(&format!(
                "error saving the cluster node config: {}",
                crate::config::helpers::strerror(&e)
            )),
        },
        (b"keyslot", 3) => super::redirect::cluster_keyslot_command(server, c),
        (b"countkeysinslot", 3) => super::redirect::cluster_countkeysinslot_command(server, c),
        (b"getkeysinslot", 4) => super::redirect::cluster_getkeysinslot_command(server, c),
        (b"forget", 3) => {
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let Some(n) = cl.lookup_node(&c.argv[2]) else {
                c.add_reply_error(&format!("Unknown node {}", lossy(&c.argv[2])));
                return;
            };
            if n == cl.myself {
                c.add_reply_error("I tried hard but I can't forget myself...");
                return;
            }
            if cl.me().is_slave() && cl.me().slaveof == Some(n) {
                c.add_reply_error("Can't forget my master!");
                return;
            }
            cl.blacklist_add_node(n);
            cl.del_node(&mut server.el, n);
            cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
            c.add_reply_ok();
        }
        (b"replicate", 3) => {
            let db0_keys = server.dbs.first().map_or(0, |db| db.dict.len());
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let Some(n) = cl.lookup_node(&c.argv[2]) else {
                c.add_reply_error(&format!("Unknown node {}", lossy(&c.argv[2])));
                return;
            };
            if n == cl.myself {
                c.add_reply_error("Can't replicate myself");
                return;
            }
            if cl.nodes[n].is_slave() {
                c.add_reply_error("I can only replicate a master, not a replica.");
                return;
            }
            if cl.me().is_master() && (cl.me().numslots != 0 || db0_keys != 0) {
                c.add_reply_error(
                    "To set a master the node must be empty and without assigned slots.",
                );
                return;
            }
            super::slots::cluster_set_master(server, n);
            if let Some(cl) = server.cluster.as_deref_mut() {
                cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
            }
            c.add_reply_ok();
        }
        (b"slaves" | b"replicas", 3) => {
            let Some(cl) = server.cluster.as_deref() else {
                return;
            };
            let Some(n) = cl.lookup_node(&c.argv[2]) else {
                c.add_reply_error(&format!("Unknown node {}", lossy(&c.argv[2])));
                return;
            };
            if cl.nodes[n].is_slave() {
                c.add_reply_error("The specified node is not a master");
                return;
            }
            let slaves = cl.nodes[n].slaves.clone();
            c.add_reply_array_len(slaves.len() as i64);
            for s in slaves {
                let ni = cluster_gen_node_description(cl, s, None, false);
                c.add_reply_bulk(ni.as_bytes());
            }
        }
        (b"count-failure-reports", 3) => {
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let Some(n) = cl.lookup_node(&c.argv[2]) else {
                c.add_reply_error(&format!("Unknown node {}", lossy(&c.argv[2])));
                return;
            };
            let count = cl.node_failure_reports_count(n, node_timeout);
            c.add_reply_long_long(count as i64);
        }
        (b"failover", 2 | 3) => cluster_failover_command(server, c),
        (b"set-config-epoch", 3) => {
            let Some(epoch) = string2ll(&c.argv[2]) else {
                c.add_reply_error("value is not an integer or out of range");
                return;
            };
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            if epoch < 0 {
                c.add_reply_error(&format!("Invalid config epoch specified: {epoch}"));
            } else if cl.nodes.len() > 1 {
                c.add_reply_error("The user can assign a config epoch only when the node does not know any other node.");
            } else if cl.me().config_epoch != 0 {
                c.add_reply_error("Node config epoch is already non-zero");
            } else {
                cl.me_mut().config_epoch = epoch as u64;
                server_log_raw(
                    LL_WARNING,
                    &format!("configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH"),
                );
                if cl.current_epoch < epoch as u64 {
                    cl.current_epoch = epoch as u64;
                }
                cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
                c.add_reply_ok();
            }
        }
        (b"reset", 2 | 3) => {
            let hard = if argc == 3 {
                match &c.argv[2].to_ascii_lowercase()[..] {
                    b"hard" => true,
                    b"soft" => false,
                    _ => {
                        c.add_reply_syntax_error();
                        return;
                    }
                }
            } else {
                false
            };
            let is_master = server
                .cluster
                .as_deref()
                .is_some_and(|cl| cl.me().is_master());
            let keys = server.dbs.get(c.db).map_or(0, |db| db.dict.len());
            if is_master && keys != 0 {
                c.add_reply_error(
                    "CLUSTER RESET can't be called with master nodes containing keys",
                );
                return;
            }
            super::init::cluster_reset(server, hard);
            c.add_reply_ok();
        }
        (b"links", 2) => add_reply_cluster_links_description(server, c),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

/// CLUSTER SETSLOT <slot> IMPORTING|MIGRATING|STABLE|NODE [<node-id>]
fn cluster_setslot(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let allow_migration = server.config.cluster_allow_replica_migration;
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    if cl.me().is_slave() {
        c.add_reply_error("Please use SETSLOT only with masters.");
        return;
    }
    let arg = c.argv[2].clone();
    let Some(slot) = get_slot_or_reply(c, &arg) else {
        return;
    };
    let action = c.argv[3].to_ascii_lowercase();
    let me = cl.myself;
    let lookup_target = |cl: &ClusterState, c: &mut Client, unknown_fmt: &str| -> Option<NodeId> {
        let Some(n) = cl.lookup_node(&c.argv[4]) else {
            c.add_reply_error(&format!("{} {}", unknown_fmt, lossy(&c.argv[4])));
            return None;
        };
        if cl.nodes[n].is_slave() {
            c.add_reply_error("Target node is not a master");
            return None;
        }
        Some(n)
    };
    match (&action[..], argc) {
        (b"migrating", 5) => {
            if cl.slots[slot] != Some(me) {
                c.add_reply_error(&format!("I'm not the owner of hash slot {slot}"));
                return;
            }
            let Some(n) = lookup_target(cl, c, "I don't know about node") else {
                return;
            };
            if let Some(cl) = server.cluster.as_deref_mut() {
                cl.migrating_slots_to[slot] = Some(n);
            }
        }
        (b"importing", 5) => {
            if cl.slots[slot] == Some(me) {
                c.add_reply_error(&format!("I'm already the owner of hash slot {slot}"));
                return;
            }
            let Some(n) = lookup_target(cl, c, "I don't know about node") else {
                return;
            };
            if let Some(cl) = server.cluster.as_deref_mut() {
                cl.importing_slots_from[slot] = Some(n);
            }
        }
        (b"stable", 4) => {
            if let Some(cl) = server.cluster.as_deref_mut() {
                cl.importing_slots_from[slot] = None;
                cl.migrating_slots_to[slot] = None;
            }
        }
        (b"node", 5) => {
            let Some(n) = lookup_target(cl, c, "Unknown node") else {
                return;
            };
            let owned_by_me = cl.slots[slot] == Some(me);
            let keys = super::slots::count_keys_in_slot(server, slot);
            if owned_by_me && n != me && keys != 0 {
                c.add_reply_error(&format!("Can't assign hashslot {slot} to a different node while I still hold keys for this hash slot."));
                return;
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            // A migration whose keys are all gone is over.
            if keys == 0 && cl.migrating_slots_to[slot].is_some() {
                cl.migrating_slots_to[slot] = None;
            }
            cl.del_slot(slot);
            cl.add_slot(n, slot);
            if owned_by_me && n != me && cl.me().numslots == 0 && allow_migration {
                server_log_raw(
                    LL_WARNING,
                    &format!(
                        "Configuration change detected. Reconfiguring myself as a replica of {}",
                        cl.nodes[n].name_str()
                    ),
                );
                super::slots::cluster_set_master(server, n);
                if let Some(cl) = server.cluster.as_deref_mut() {
                    cl.do_before_sleep(
                        CLUSTER_TODO_SAVE_CONFIG
                            | CLUSTER_TODO_UPDATE_STATE
                            | CLUSTER_TODO_FSYNC_CONFIG,
                    );
                }
            }
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            // The end of an import: take a new epoch without consensus so
            // our claim on the slot wins, and tell everyone at once.
            if n == me && cl.importing_slots_from[slot].is_some() {
                if cl.bump_config_epoch_without_consensus() {
                    server_log_raw(
                        LL_WARNING,
                        &format!("configEpoch updated after importing slot {slot}"),
                    );
                }
                cl.importing_slots_from[slot] = None;
                super::gossip::cluster_broadcast_pong(server, super::gossip::CLUSTER_BROADCAST_ALL);
            }
        }
        _ => {
            c.add_reply_error(
                "Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
            );
            return;
        }
    }
    if let Some(cl) = server.cluster.as_deref_mut() {
        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
    }
    c.add_reply_ok();
}

/// CLUSTER FAILOVER [FORCE|TAKEOVER]: the checks and the manual failover
/// state of 7.0.15; the election that follows needs replication.
fn cluster_failover_command(server: &mut Server, c: &mut Client) {
    let (mut force, mut takeover) = (false, false);
    if c.argv.len() == 3 {
        match &c.argv[2].to_ascii_lowercase()[..] {
            b"force" => force = true,
            b"takeover" => {
                takeover = true;
                force = true;
            }
            _ => {
                c.add_reply_syntax_error();
                return;
            }
        }
    }
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let me = cl.me();
    if me.is_master() {
        c.add_reply_error("You should send CLUSTER FAILOVER to a replica");
        return;
    }
    let Some(m) = me.slaveof.and_then(|m| cl.nodes.get(m).map(|n| (m, n))) else {
        c.add_reply_error("I'm a replica but my master is unknown to me");
        return;
    };
    if !force && (m.1.failed() || m.1.link.is_none()) {
        c.add_reply_error("Master is down or failed, please use CLUSTER FAILOVER FORCE");
        return;
    }
    let master = m.0;
    super::failover::reset_manual_failover(server);
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    cl.mf_end = crate::util::mstime() + CLUSTER_MF_TIMEOUT;
    if takeover {
        server_log_raw(LL_WARNING, "Taking over the master (user request).");
        cl.bump_config_epoch_without_consensus();
    } else if force {
        server_log_raw(LL_WARNING, "Forced failover user request accepted.");
        cl.mf_can_start = true;
    } else {
        server_log_raw(LL_WARNING, "Manual failover user request accepted.");
        super::failover::cluster_send_mfstart(server, master);
    }
    c.add_reply_ok();
}
