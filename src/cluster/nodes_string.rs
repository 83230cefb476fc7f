//! The text form of the node table (`Nodes to string representation
//! functions` of `cluster.c`): one line per node, used by CLUSTER NODES,
//! CLUSTER REPLICAS and as the body of nodes.conf.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::msg::{slot_bitmap_test, CLUSTER_SLOTS};
use super::*;

/// The flag words in their order (`redisNodeFlagsTable`).
const NODE_FLAGS_TABLE: [(u16, &str); 8] = [
    (CLUSTER_NODE_MYSELF, "myself"),
    (CLUSTER_NODE_MASTER, "master"),
    (CLUSTER_NODE_SLAVE, "slave"),
    (CLUSTER_NODE_PFAIL, "fail?"),
    (CLUSTER_NODE_FAIL, "fail"),
    (CLUSTER_NODE_HANDSHAKE, "handshake"),
    (CLUSTER_NODE_NOADDR, "noaddr"),
    (CLUSTER_NODE_NOFAILOVER, "nofailover"),
];

/// `representClusterNodeFlags`: "myself,master", or "noflags".
pub fn represent_cluster_node_flags(flags: u16) -> String {
    let words: Vec<&str> = NODE_FLAGS_TABLE
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, w)| *w)
        .collect();
    if words.is_empty() {
        "noflags".to_string()
    } else {
        words.join(",")
    }
}

/// `clusterGenNodesSlotsInfo`: the (start, end) runs of the slot table for
/// each owner not matching `filter`.
pub fn cluster_gen_nodes_slots_info(
    cl: &ClusterState,
    filter: u16,
) -> HashMap<NodeId, Vec<(usize, usize)>> {
    let mut info: HashMap<NodeId, Vec<(usize, usize)>> = HashMap::new();
    let mut j = 0;
    while j < CLUSTER_SLOTS {
        let Some(n) = cl.slots[j] else {
            j += 1;
            continue;
        };
        let start = j;
        while j < CLUSTER_SLOTS && cl.slots[j] == Some(n) {
            j += 1;
        }
        if cl.nodes.get(n).is_some_and(|node| node.flags & filter == 0) {
            info.entry(n).or_default().push((start, j - 1));
        }
    }
    info
}

/// The runs of a node's own bitmap, for a node whose runs were not
/// precomputed.
fn bitmap_runs(node: &ClusterNode) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut j = 0;
    while j < CLUSTER_SLOTS {
        if !slot_bitmap_test(&node.slots, j) {
            j += 1;
            continue;
        }
        let start = j;
        while j < CLUSTER_SLOTS && slot_bitmap_test(&node.slots, j) {
            j += 1;
        }
        runs.push((start, j - 1));
    }
    runs
}

/// `clusterGenNodeDescription`: one CLUSTER NODES line, without newline.
pub fn cluster_gen_node_description(
    cl: &ClusterState,
    id: NodeId,
    slot_info: Option<&[(usize, usize)]>,
    use_pport: bool,
) -> String {
    let Some(node) = cl.nodes.get(id) else {
        return String::new();
    };
    let port = if use_pport && node.pport != 0 {
        node.pport
    } else {
        node.port
    };
    let mut ci = String::with_capacity(128);
    ci.push_str(node.name_str());
    let _ = write!(ci, " {}:{}@{}", node.ip, port, node.cport);
    if !node.hostname.is_empty() {
        let _ = write!(ci, ",{}", node.hostname);
    }
    ci.push(' ');
    ci.push_str(&represent_cluster_node_flags(node.flags));
    ci.push(' ');
    match node.slaveof.and_then(|m| cl.nodes.get(m)) {
        Some(m) => ci.push_str(m.name_str()),
        None => ci.push('-'),
    }
    // A replica shows the epoch of its master.
    let epoch = match node.slaveof.and_then(|m| cl.nodes.get(m)) {
        Some(m) if node.is_slave() => m.config_epoch,
        _ => node.config_epoch,
    };
    let connected = node.link.is_some() || node.flags & CLUSTER_NODE_MYSELF != 0;
    let _ = write!(
        ci,
        " {} {} {} {}",
        node.ping_sent,
        node.pong_received,
        epoch,
        if connected {
            "connected"
        } else {
            "disconnected"
        }
    );
    let runs;
    let slot_info = match slot_info {
        Some(s) => s,
        None => {
            runs = if node.numslots > 0 {
                bitmap_runs(node)
            } else {
                Vec::new()
            };
            &runs
        }
    };
    for &(start, end) in slot_info {
        if start == end {
            let _ = write!(ci, " {start}");
        } else {
            let _ = write!(ci, " {start}-{end}");
        }
    }
    // Open slots are shown on our own line only.
    if node.flags & CLUSTER_NODE_MYSELF != 0 {
        for j in 0..CLUSTER_SLOTS {
            if let Some(to) = cl.migrating_slots_to[j].and_then(|n| cl.nodes.get(n)) {
                let _ = write!(ci, " [{}->-{}]", j, to.name_str());
            } else if let Some(from) = cl.importing_slots_from[j].and_then(|n| cl.nodes.get(n)) {
                let _ = write!(ci, " [{}-<-{}]", j, from.name_str());
            }
        }
    }
    ci
}

/// `clusterGenNodesDescription`: every node not matching `filter`, one
/// line each, each ending in a newline.
pub fn cluster_gen_nodes_description(cl: &ClusterState, filter: u16, use_pport: bool) -> String {
    let info = cluster_gen_nodes_slots_info(cl, filter);
    let mut ci = String::new();
    for (id, node) in cl.nodes.iter() {
        if node.flags & filter != 0 {
            continue;
        }
        let si = info.get(&id).map(|v| v.as_slice());
        ci.push_str(&cluster_gen_node_description(cl, id, si, use_pport));
        ci.push('\n');
    }
    ci
}
