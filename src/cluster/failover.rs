//! Replica failover (`SLAVE node specific functions` and `MANUAL FAILOVER`
//! of `cluster.c`), the part that exists so far.
//!
//! A master votes for a replica that asks (`cluster_send_failover_auth_if_needed`)
//! and pauses writes when one of its replicas starts a manual failover.
//! The replica's side (elections, rank, taking over the slots) needs the
//! replication link and comes with that work; the state it needs is in
//! `ClusterState` already.

use super::msg::*;
use super::node::name_str;
use super::*;
use crate::server::{server_log_raw, Server, LL_WARNING};
use crate::util::mstime;

/// `PAUSE_DURING_FAILOVER`: the client-pause purpose of a manual failover.
const PAUSE_DURING_FAILOVER: usize = 2;

/// `resetManualFailover`.
pub fn reset_manual_failover(server: &mut Server) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let had_slave = cl.mf_slave.is_some();
    cl.mf_end = 0;
    cl.mf_can_start = false;
    cl.mf_slave = None;
    cl.mf_master_offset = -1;
    if had_slave {
        // We were the master of a manual failover: writes resume.
        crate::networking::client_cmd::unpause_clients(server, PAUSE_DURING_FAILOVER);
    }
}

/// `manualFailoverCheckTimeout`.
pub fn manual_failover_check_timeout(server: &mut Server) {
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    if cl.mf_end != 0 && cl.mf_end < mstime() {
        server_log_raw(LL_WARNING, "Manual failover timed out.");
        reset_manual_failover(server);
    }
}

/// The MFSTART handler of `clusterProcessPacket`: a replica of mine asks
/// for a manual failover, so writes pause until it took over or timed out.
pub fn cluster_handle_mfstart(server: &mut Server, sender: NodeId, link: LinkId) {
    reset_manual_failover(server);
    let now = mstime();
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    cl.mf_end = now + CLUSTER_MF_TIMEOUT;
    cl.mf_slave = Some(sender);
    let name = cl.nodes.get(sender).map(|n| n.name).unwrap_or([0; 40]);
    crate::networking::client_cmd::pause_clients(
        server,
        PAUSE_DURING_FAILOVER,
        now + CLUSTER_MF_TIMEOUT * CLUSTER_MF_PAUSE_MULT,
        crate::networking::client_cmd::CLIENT_PAUSE_WRITE,
    );
    server_log_raw(
        LL_WARNING,
        &format!("Manual failover requested by replica {}.", name_str(&name)),
    );
    // The PING carries our offset with the PAUSED flag.
    super::gossip::cluster_send_ping(server, link, CLUSTERMSG_TYPE_PING);
}

fn send_header_only(server: &mut Server, link: Option<LinkId>, type_: u16) {
    let Some(link) = link else {
        return;
    };
    let msg = ClusterMsg {
        hdr: super::gossip::cluster_build_message_hdr(server, type_),
        data: ClusterMsgData::None,
    };
    let mut buf = Vec::new();
    msg.encode(&mut buf);
    if let Some(cl) = server.cluster.as_deref_mut() {
        cl.send_message(Some(link), &buf);
    }
}

/// `clusterSendMFStart`.
pub fn cluster_send_mfstart(server: &mut Server, node: NodeId) {
    let link = server
        .cluster
        .as_deref()
        .and_then(|cl| cl.nodes.get(node))
        .and_then(|n| n.link);
    send_header_only(server, link, CLUSTERMSG_TYPE_MFSTART);
}

/// `clusterSendFailoverAuthIfNeeded`: a master with slots votes for a
/// replica of a failed master, once per epoch and at most once per two
/// node timeouts for the same master.
pub fn cluster_send_failover_auth_if_needed(
    server: &mut Server,
    node: NodeId,
    request: &ClusterMsgHeader,
) {
    let node_timeout = server.config.cluster_node_timeout;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let Some(n) = cl.nodes.get(node) else {
        return;
    };
    let nname = n.name_str().to_string();
    let master = n.slaveof;
    let link = n.link;
    let node_is_master = n.is_master();
    let force_ack = request.mflags[0] & CLUSTERMSG_FLAG0_FORCEACK != 0;
    if cl.me().is_slave() || cl.me().numslots == 0 {
        return;
    }
    if request.current_epoch < cl.current_epoch {
        server_log_raw(
            LL_WARNING,
            &format!(
                "Failover auth denied to {}: reqEpoch ({}) < curEpoch({})",
                nname, request.current_epoch, cl.current_epoch
            ),
        );
        return;
    }
    if cl.last_vote_epoch == cl.current_epoch {
        server_log_raw(
            LL_WARNING,
            &format!(
                "Failover auth denied to {}: already voted for epoch {}",
                nname, cl.current_epoch
            ),
        );
        return;
    }
    let master_failed = master
        .and_then(|m| cl.nodes.get(m))
        .is_some_and(|m| m.failed());
    if node_is_master || master.is_none() || (!master_failed && !force_ack) {
        let why = if node_is_master {
            "it is a master node"
        } else if master.is_none() {
            "I don't know its master"
        } else {
            "its master is up"
        };
        server_log_raw(
            LL_WARNING,
            &format!("Failover auth denied to {nname}: {why}"),
        );
        return;
    }
    let Some(m) = master else {
        return;
    };
    let now = mstime();
    let voted = cl.nodes.get(m).map_or(0, |m| m.voted_time);
    if now - voted < node_timeout * 2 {
        server_log_raw(
            LL_WARNING,
            &format!(
                "Failover auth denied to {}: can't vote about this master before {} milliseconds",
                nname,
                node_timeout * 2 - (now - voted)
            ),
        );
        return;
    }
    for j in 0..CLUSTER_SLOTS {
        if !slot_bitmap_test(&request.myslots, j) || cl.is_slot_unclaimed(j) {
            continue;
        }
        let epoch = cl.slots[j]
            .and_then(|o| cl.nodes.get(o))
            .map_or(0, |o| o.config_epoch);
        if epoch <= request.config_epoch {
            continue;
        }
        server_log_raw(
            LL_WARNING,
            &format!(
                "Failover auth denied to {}: slot {} epoch ({}) > reqEpoch ({})",
                nname, j, epoch, request.config_epoch
            ),
        );
        return;
    }
    cl.last_vote_epoch = cl.current_epoch;
    if let Some(mn) = cl.nodes.get_mut(m) {
        mn.voted_time = now;
    }
    cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_FSYNC_CONFIG);
    let epoch = cl.current_epoch;
    send_header_only(server, link, CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK);
    server_log_raw(
        LL_WARNING,
        &format!("Failover auth granted to {nname} for epoch {epoch}"),
    );
}
