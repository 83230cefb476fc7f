//! The periodic work (`CLUSTER cron job` of `cluster.c`).
//!
//! `cluster_cron` runs every 100 ms: it (re)connects links, drops links
//! whose send buffer is over the limit, pings a random idle node every
//! second plus every node not heard of for half the node timeout, and
//! flags unresponsive nodes PFAIL. `cluster_before_sleep` runs once per
//! loop turn and does what packet handlers asked for (state update,
//! nodes.conf save), then writes the queued packets.

use super::*;
use crate::server::{server_log_raw, Server, LL_DEBUG, LL_WARNING};
use crate::util::mstime;

/// `clusterNodeCronHandleReconnect`: true when the node was removed.
fn cluster_node_cron_handle_reconnect(
    server: &mut Server,
    id: NodeId,
    handshake_timeout: i64,
    now: i64,
) -> bool {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return true;
    };
    let Some(n) = cl.nodes.get(id) else {
        return true;
    };
    if n.flags & (CLUSTER_NODE_MYSELF | CLUSTER_NODE_NOADDR) != 0 {
        return true;
    }
    if n.flags & CLUSTER_NODE_PFAIL != 0 {
        cl.stats_pfail_nodes += 1;
    }
    // A handshake that does not complete in time is abandoned.
    if n.in_handshake() && now - n.ctime > handshake_timeout {
        cl.del_node(&mut server.el, id);
        return true;
    }
    if n.link.is_none() && !super::link::cluster_connect_node(server, id) {
        // Count the failed connect as a ping in flight, so the node can
        // time out even though no ping could be sent.
        if let Some(n) = server
            .cluster
            .as_deref_mut()
            .and_then(|cl| cl.nodes.get_mut(id))
        {
            if n.ping_sent == 0 {
                n.ping_sent = mstime();
            }
        }
    }
    false
}

/// `freeClusterLinkOnBufferLimitReached` for both links of a node.
fn cluster_node_cron_free_link_on_buffer_limit_reached(server: &mut Server, id: NodeId) {
    let limit = server.config.cluster_link_sendbuf_limit;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    if limit == 0 {
        return;
    }
    let Some(n) = cl.nodes.get(id) else {
        return;
    };
    let name = n.name_str().to_string();
    for l in [n.link, n.inbound_link].into_iter().flatten() {
        let mem = cl.link_sndbuf_alloc(l) as u64;
        if mem > limit {
            let inbound = cl.links.get(l).is_some_and(|l| l.inbound);
            server_log_raw(
                LL_WARNING,
                &format!(
                    "Freeing cluster link({} node {}, used memory: {}) due to exceeding send buffer memory limit.",
                    if inbound { "from" } else { "to" },
                    name,
                    mem
                ),
            );
            cl.free_cluster_link(&mut server.el, l);
            cl.stat_cluster_links_buffer_limit_exceeded += 1;
        }
    }
}

/// Gives back send-buffer memory a burst left unused
/// (`resizeClusterLinkBuffer`).
fn cluster_node_cron_resize_buffers(cl: &mut ClusterState, id: NodeId) {
    let Some(n) = cl.nodes.get(id) else {
        return;
    };
    for l in [n.link, n.inbound_link].into_iter().flatten() {
        if let Some(link) = cl.links.get_mut(l) {
            let used = link.sndbuf.len();
            if (link.sndbuf.capacity() - used) / 4 > used {
                link.sndbuf.shrink_to_fit();
            }
        }
    }
}

/// `clusterCron`.
pub fn cluster_cron(server: &mut Server) {
    let node_timeout = server.config.cluster_node_timeout;
    super::init::cluster_update_myself_hostname(server);
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    cl.cron_iteration += 1;
    let iteration = cl.cron_iteration;
    let handshake_timeout = node_timeout.max(1000);
    cl.stats_pfail_nodes = 0;
    let now = mstime();
    let ids: Vec<NodeId> = cl.nodes.iter().map(|(k, _)| k).collect();
    for &id in &ids {
        if let Some(cl) = server.cluster.as_deref_mut() {
            cluster_node_cron_resize_buffers(cl, id);
        }
        // The limit is checked before reconnecting, so a link freed for
        // its buffer is recreated in the same pass.
        cluster_node_cron_free_link_on_buffer_limit_reached(server, id);
        cluster_node_cron_handle_reconnect(server, id, handshake_timeout, now);
    }

    // Every second, ping the node with the oldest pong among a few random
    // ones that we are not pinging already.
    if iteration % 10 == 0 {
        let Some(cl) = server.cluster.as_deref() else {
            return;
        };
        let ids: Vec<NodeId> = cl.nodes.iter().map(|(k, _)| k).collect();
        let mut min: Option<(i64, LinkId)> = None;
        for _ in 0..5 {
            let Some(&pick) = ids.get(rand::random::<usize>() % ids.len().max(1)) else {
                break;
            };
            let n = &cl.nodes[pick];
            let Some(l) = n.link else {
                continue;
            };
            if n.ping_sent != 0 || n.flags & (CLUSTER_NODE_MYSELF | CLUSTER_NODE_HANDSHAKE) != 0 {
                continue;
            }
            if min.is_none_or(|(p, _)| p > n.pong_received) {
                min = Some((n.pong_received, l));
            }
        }
        if let Some((_, l)) = min {
            server_log_raw(LL_DEBUG, "Pinging node");
            super::gossip::cluster_send_ping(server, l, msg::CLUSTERMSG_TYPE_PING);
        }
    }

    let mut update_state = false;
    let Some(cl) = server.cluster.as_deref() else {
        return;
    };
    let ids: Vec<NodeId> = cl.nodes.iter().map(|(k, _)| k).collect();
    for id in ids {
        let now = mstime();
        let Some(cl) = server.cluster.as_deref_mut() else {
            return;
        };
        let Some(n) = cl.nodes.get(id) else {
            continue;
        };
        if n.flags & (CLUSTER_NODE_MYSELF | CLUSTER_NODE_NOADDR | CLUSTER_NODE_HANDSHAKE) != 0 {
            continue;
        }
        let ping_delay = now - n.ping_sent;
        let data_delay = now - n.data_received;
        // A link that gets neither pongs nor any data for half the
        // timeout is reconnected: the peer may be fine behind a dead
        // connection.
        if let Some(l) = n.link {
            let link_age = cl.links.get(l).map_or(0, |l| now - l.ctime);
            if link_age > node_timeout
                && n.ping_sent != 0
                && ping_delay > node_timeout / 2
                && data_delay > node_timeout / 2
            {
                cl.free_cluster_link(&mut server.el, l);
            }
        }
        let Some(n) = cl.nodes.get(id) else {
            continue;
        };
        if let Some(l) = n.link {
            if n.ping_sent == 0 && now - n.pong_received > node_timeout / 2 {
                super::gossip::cluster_send_ping(server, l, msg::CLUSTERMSG_TYPE_PING);
                continue;
            }
            if cl.mf_end != 0 && cl.me().is_master() && cl.mf_slave == Some(id) {
                super::gossip::cluster_send_ping(server, l, msg::CLUSTERMSG_TYPE_PING);
                continue;
            }
        }
        if n.ping_sent == 0 {
            continue;
        }
        // Unreachable for longer than the timeout: PFAIL.
        let node_delay = ping_delay.min(data_delay);
        if node_delay > node_timeout && n.flags & (CLUSTER_NODE_PFAIL | CLUSTER_NODE_FAIL) == 0 {
            server_log_raw(
                LL_DEBUG,
                &format!("*** NODE {} possibly failing", n.name_str()),
            );
            cl.nodes[id].flags |= CLUSTER_NODE_PFAIL;
            update_state = true;
        }
    }
    super::failover::manual_failover_check_timeout(server);
    let fail = server
        .cluster
        .as_deref()
        .is_some_and(|cl| cl.state == CLUSTER_FAIL);
    if update_state || fail {
        super::slots::cluster_update_state(server);
    }
}

/// `clusterBeforeSleep`.
pub fn cluster_before_sleep(server: &mut Server) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let flags = cl.todo_before_sleep;
    cl.todo_before_sleep = 0;
    let lost = std::mem::take(&mut cl.slots_to_remove_channels);
    for slot in lost {
        crate::pubsub::pubsub_unsubscribe_shard_channels_by_slot(server, slot);
    }
    if flags & CLUSTER_TODO_UPDATE_STATE != 0 {
        super::slots::cluster_update_state(server);
    }
    if flags & CLUSTER_TODO_SAVE_CONFIG != 0 {
        super::init::cluster_save_config_or_die(server, flags & CLUSTER_TODO_FSYNC_CONFIG != 0);
    }
    super::link::cluster_flush_pending_writes(server);
}
