//! The node table (`CLUSTER node API`, `CLUSTER config epoch handling` and
//! `CLUSTER nodes blacklist` of `cluster.c`).
//!
//! Nodes live in the `ClusterState::nodes` slab and are found by name
//! through `nodes_by_name`. Removing a node also clears every index that
//! pointed at it (its master's replica list, its replicas' `slaveof`,
//! failure reports it sent, slots it served, its links), which C does by
//! walking pointers.

use super::msg::{slot_bitmap_test, NodeName, CLUSTER_NAMELEN, CLUSTER_SLOTS};
use super::*;
use crate::ae::EventLoop;
use crate::server::{server_log_raw, LL_DEBUG, LL_NOTICE, LL_VERBOSE, LL_WARNING};
use crate::util::mstime;

/// Seconds a forgotten node stays out of the table (`CLUSTER_BLACKLIST_TTL`).
pub const CLUSTER_BLACKLIST_TTL: i64 = 60;

/// A random node name of 40 hex characters.
pub fn random_node_name() -> NodeName {
    let mut name = [0u8; CLUSTER_NAMELEN];
    let hex = crate::util::get_random_hex_chars(CLUSTER_NAMELEN);
    name.copy_from_slice(&hex[..CLUSTER_NAMELEN]);
    name
}

/// The node name as text, for log lines (`%.40s`).
pub fn name_str(name: &NodeName) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl ClusterNode {
    /// `createClusterNode`: a node not yet in the table; a random name
    /// when `name` is `None` (a handshake, renamed on the first PONG).
    pub fn new(name: Option<&NodeName>, flags: u16) -> ClusterNode {
        ClusterNode {
            ctime: mstime(),
            name: name.copied().unwrap_or_else(random_node_name),
            flags,
            config_epoch: 0,
            slots: Box::new([0; CLUSTER_SLOTS / 8]),
            numslots: 0,
            slaves: Vec::new(),
            slaveof: None,
            last_in_ping_gossip: 0,
            ping_sent: 0,
            pong_received: 0,
            data_received: 0,
            fail_time: 0,
            voted_time: 0,
            repl_offset_time: 0,
            orphaned_time: 0,
            repl_offset: 0,
            ip: String::new(),
            hostname: String::new(),
            port: 0,
            pport: 0,
            cport: 0,
            link: None,
            inbound_link: None,
            fail_reports: Vec::new(),
        }
    }
}

impl ClusterState {
    /// `clusterInit`'s allocation part: an empty table without myself.
    pub fn new(config_file: String) -> ClusterState {
        ClusterState {
            myself: 0,
            current_epoch: 0,
            state: CLUSTER_FAIL,
            size: 1,
            nodes: Slab::new(),
            nodes_by_name: HashMap::new(),
            nodes_black_list: HashMap::new(),
            links: Slab::new(),
            migrating_slots_to: Box::new([None; CLUSTER_SLOTS]),
            importing_slots_from: Box::new([None; CLUSTER_SLOTS]),
            slots: Box::new([None; CLUSTER_SLOTS]),
            failover_auth_time: 0,
            failover_auth_count: 0,
            failover_auth_sent: false,
            failover_auth_rank: 0,
            failover_auth_epoch: 0,
            cant_failover_reason: CLUSTER_CANT_FAILOVER_NONE,
            mf_end: 0,
            mf_slave: None,
            mf_master_offset: -1,
            mf_can_start: false,
            last_vote_epoch: 0,
            todo_before_sleep: 0,
            stats_bus_messages_sent: [0; CLUSTERMSG_TYPE_COUNT as usize],
            stats_bus_messages_received: [0; CLUSTERMSG_TYPE_COUNT as usize],
            stats_pfail_nodes: 0,
            stat_cluster_links_buffer_limit_exceeded: 0,
            owner_not_claiming_slot: Box::new([0; CLUSTER_SLOTS / 8]),
            slots_to_remove_channels: Vec::new(),
            cfd: Vec::new(),
            lock_file: None,
            config_file,
            drop_packet_filter: -1,
            pings_sent: 0,
            cron_iteration: 0,
            among_minority_time: 0,
            first_call_time: 0,
            prev_announce_ip: None,
            links_pending_write: Vec::new(),
        }
    }

    /// `clusterDoBeforeSleep`.
    pub fn do_before_sleep(&mut self, flags: u32) {
        self.todo_before_sleep |= flags;
    }

    pub fn me(&self) -> &ClusterNode {
        &self.nodes[self.myself]
    }
    pub fn me_mut(&mut self) -> &mut ClusterNode {
        let id = self.myself;
        &mut self.nodes[id]
    }
    /// Myself when a master, else my master (the node whose slots and
    /// epoch a replica advertises).
    pub fn my_master(&self) -> Option<NodeId> {
        let me = self.me();
        if me.is_master() {
            Some(self.myself)
        } else {
            me.slaveof
        }
    }

    /// `clusterAddNode`.
    pub fn add_node(&mut self, node: ClusterNode) -> NodeId {
        let name = node.name;
        let id = self.nodes.insert(node);
        self.nodes_by_name.insert(name, id);
        id
    }

    /// `clusterLookupNode`: by a name as received (any length).
    pub fn lookup_node(&self, name: &[u8]) -> Option<NodeId> {
        if !verify_cluster_node_id(name) {
            return None;
        }
        let mut n = [0u8; CLUSTER_NAMELEN];
        n.copy_from_slice(name);
        self.nodes_by_name.get(&n).copied()
    }

    /// `clusterRenameNode`.
    pub fn rename_node(&mut self, id: NodeId, newname: &NodeName) {
        let Some(node) = self.nodes.get_mut(id) else {
            return;
        };
        server_log_raw(
            LL_DEBUG,
            &format!(
                "Renaming node {} into {}",
                node.name_str(),
                name_str(newname)
            ),
        );
        let old = node.name;
        node.name = *newname;
        self.nodes_by_name.remove(&old);
        self.nodes_by_name.insert(*newname, id);
    }

    /// `clusterDelNode` + `freeClusterNode`.
    pub fn del_node(&mut self, el: &mut EventLoop, del: NodeId) {
        // 1) Its slots become unassigned, open slots to/from it are closed.
        for j in 0..CLUSTER_SLOTS {
            if self.importing_slots_from[j] == Some(del) {
                self.importing_slots_from[j] = None;
            }
            if self.migrating_slots_to[j] == Some(del) {
                self.migrating_slots_to[j] = None;
            }
            if self.slots[j] == Some(del) {
                self.del_slot(j);
            }
        }
        // 2) The failure reports it sent are withdrawn.
        let ids: Vec<NodeId> = self.nodes.iter().map(|(k, _)| k).collect();
        for id in ids {
            if id != del {
                self.node_del_failure_report(id, del);
            }
        }
        // 3) Unlink it from its master and its replicas, free its links.
        let Some(node) = self.nodes.try_remove(del) else {
            return;
        };
        for s in &node.slaves {
            if let Some(sn) = self.nodes.get_mut(*s) {
                sn.slaveof = None;
            }
        }
        if node.is_slave() {
            if let Some(m) = node.slaveof {
                self.node_remove_slave(m, del);
            }
        }
        if self.nodes_by_name.get(&node.name) == Some(&del) {
            self.nodes_by_name.remove(&node.name);
        }
        if self.mf_slave == Some(del) {
            self.mf_slave = None;
        }
        if let Some(l) = node.link {
            self.free_cluster_link(el, l);
        }
        if let Some(l) = node.inbound_link {
            self.free_cluster_link(el, l);
        }
    }

    /// `clusterNodeAddFailureReport`: true when the report is new.
    pub fn node_add_failure_report(&mut self, failing: NodeId, sender: NodeId) -> bool {
        let now = mstime();
        let Some(n) = self.nodes.get_mut(failing) else {
            return false;
        };
        if let Some(fr) = n.fail_reports.iter_mut().find(|fr| fr.node == sender) {
            fr.time = now;
            return false;
        }
        n.fail_reports.push(ClusterNodeFailReport {
            node: sender,
            time: now,
        });
        true
    }

    /// `clusterNodeCleanupFailureReports`: drops reports older than twice
    /// the node timeout.
    pub fn node_cleanup_failure_reports(&mut self, id: NodeId, node_timeout: i64) {
        let maxtime = node_timeout * CLUSTER_FAIL_REPORT_VALIDITY_MULT;
        let now = mstime();
        if let Some(n) = self.nodes.get_mut(id) {
            n.fail_reports.retain(|fr| now - fr.time <= maxtime);
        }
    }

    /// `clusterNodeDelFailureReport`: true when `sender` had a report.
    pub fn node_del_failure_report(&mut self, id: NodeId, sender: NodeId) -> bool {
        let Some(n) = self.nodes.get_mut(id) else {
            return false;
        };
        let before = n.fail_reports.len();
        n.fail_reports.retain(|fr| fr.node != sender);
        before != n.fail_reports.len()
    }

    /// `clusterNodeFailureReportsCount`.
    pub fn node_failure_reports_count(&mut self, id: NodeId, node_timeout: i64) -> usize {
        self.node_cleanup_failure_reports(id, node_timeout);
        self.nodes.get(id).map_or(0, |n| n.fail_reports.len())
    }

    /// `clusterNodeRemoveSlave`.
    pub fn node_remove_slave(&mut self, master: NodeId, slave: NodeId) -> bool {
        let Some(m) = self.nodes.get_mut(master) else {
            return false;
        };
        let Some(pos) = m.slaves.iter().position(|&s| s == slave) else {
            return false;
        };
        m.slaves.remove(pos);
        if m.slaves.is_empty() {
            m.flags &= !CLUSTER_NODE_MIGRATE_TO;
        }
        true
    }

    /// `clusterNodeAddSlave`.
    pub fn node_add_slave(&mut self, master: NodeId, slave: NodeId) -> bool {
        let Some(m) = self.nodes.get_mut(master) else {
            return false;
        };
        if m.slaves.contains(&slave) {
            return false;
        }
        m.slaves.push(slave);
        m.flags |= CLUSTER_NODE_MIGRATE_TO;
        true
    }

    /// `clusterCountNonFailingSlaves`.
    pub fn count_non_failing_slaves(&self, id: NodeId) -> usize {
        self.nodes.get(id).map_or(0, |n| {
            n.slaves
                .iter()
                .filter(|&&s| self.nodes.get(s).is_some_and(|s| !s.failed()))
                .count()
        })
    }

    /// `clusterGetMaxEpoch`.
    pub fn get_max_epoch(&self) -> u64 {
        self.nodes
            .iter()
            .map(|(_, n)| n.config_epoch)
            .max()
            .unwrap_or(0)
            .max(self.current_epoch)
    }

    /// `clusterBumpConfigEpochWithoutConsensus`: true when a new epoch was
    /// taken.
    pub fn bump_config_epoch_without_consensus(&mut self) -> bool {
        let max_epoch = self.get_max_epoch();
        let my_epoch = self.me().config_epoch;
        if my_epoch == 0 || my_epoch != max_epoch {
            self.current_epoch += 1;
            let e = self.current_epoch;
            self.me_mut().config_epoch = e;
            self.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_FSYNC_CONFIG);
            server_log_raw(LL_WARNING, &format!("New configEpoch set to {e}"));
            true
        } else {
            false
        }
    }

    /// `clusterHandleConfigEpochCollision`: of two masters with the same
    /// config epoch, the one with the smaller name moves to a new epoch.
    /// Returns true when the config must be saved now.
    pub fn handle_config_epoch_collision(&mut self, sender: NodeId) -> bool {
        let (Some(s), me) = (self.nodes.get(sender), self.me()) else {
            return false;
        };
        if s.config_epoch != me.config_epoch || !s.is_master() || !me.is_master() {
            return false;
        }
        if s.name <= me.name {
            return false;
        }
        let sname = s.name;
        self.current_epoch += 1;
        let e = self.current_epoch;
        self.me_mut().config_epoch = e;
        server_log_raw(
            LL_VERBOSE,
            &format!(
                "WARNING: configEpoch collision with node {}. configEpoch set to {}",
                name_str(&sname),
                e
            ),
        );
        true
    }

    /// `clusterBlacklistCleanup`.
    fn blacklist_cleanup(&mut self) {
        let now = crate::util::ustime() / 1_000_000;
        self.nodes_black_list.retain(|_, &mut expire| expire >= now);
    }

    /// `clusterBlacklistAddNode`.
    pub fn blacklist_add_node(&mut self, id: NodeId) {
        self.blacklist_cleanup();
        let now = crate::util::ustime() / 1_000_000;
        if let Some(n) = self.nodes.get(id) {
            self.nodes_black_list
                .insert(n.name, now + CLUSTER_BLACKLIST_TTL);
        }
    }

    /// `clusterBlacklistExists`.
    pub fn blacklist_exists(&mut self, name: &NodeName) -> bool {
        self.blacklist_cleanup();
        self.nodes_black_list.contains_key(name)
    }

    /// `clusterGetNodesServingMySlots`: a master (or the master of the
    /// replica) followed by its replicas.
    pub fn get_nodes_serving_my_slots(&self, id: NodeId) -> Vec<NodeId> {
        let Some(n) = self.nodes.get(id) else {
            return Vec::new();
        };
        let master = if n.is_master() { Some(id) } else { n.slaveof };
        let Some(m) = master.and_then(|m| self.nodes.get(m).map(|mn| (m, mn))) else {
            return Vec::new();
        };
        let mut v = vec![m.0];
        v.extend_from_slice(&m.1.slaves);
        v
    }

    /// Is some slot of the bitmap ours or our master's? Used by the
    /// `clusterUpdateSlotsConfigWith` migration check.
    pub fn node_slot_bit(&self, id: NodeId, slot: usize) -> bool {
        self.nodes
            .get(id)
            .is_some_and(|n| slot_bitmap_test(&n.slots, slot))
    }
}

/// `markNodeAsFailingIfNeeded`: PFAIL becomes FAIL when enough masters
/// agree; the FAIL is then broadcast.
pub fn mark_node_as_failing_if_needed(server: &mut crate::server::Server, id: NodeId) {
    let node_timeout = server.config.cluster_node_timeout;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let needed_quorum = cl.size / 2 + 1;
    let Some(n) = cl.nodes.get(id) else {
        return;
    };
    if !n.timed_out() || n.failed() {
        return;
    }
    let mut failures = cl.node_failure_reports_count(id, node_timeout);
    if cl.me().is_master() {
        failures += 1;
    }
    if failures < needed_quorum {
        return;
    }
    let Some(n) = cl.nodes.get_mut(id) else {
        return;
    };
    server_log_raw(
        LL_NOTICE,
        &format!("Marking node {} as failing (quorum reached).", n.name_str()),
    );
    n.flags &= !CLUSTER_NODE_PFAIL;
    n.flags |= CLUSTER_NODE_FAIL;
    n.fail_time = mstime();
    let name = n.name;
    cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    super::gossip::cluster_send_fail(server, &name);
}

/// `clearNodeFailureIfNeeded`.
pub fn clear_node_failure_if_needed(cl: &mut ClusterState, id: NodeId, node_timeout: i64) {
    let now = mstime();
    let Some(n) = cl.nodes.get_mut(id) else {
        return;
    };
    if n.is_slave() || n.numslots == 0 {
        server_log_raw(
            LL_NOTICE,
            &format!(
                "Clear FAIL state for node {}: {} is reachable again.",
                n.name_str(),
                if n.is_slave() {
                    "replica"
                } else {
                    "master without slots"
                }
            ),
        );
        n.flags &= !CLUSTER_NODE_FAIL;
        cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
        return;
    }
    if n.is_master()
        && n.numslots > 0
        && now - n.fail_time > node_timeout * CLUSTER_FAIL_UNDO_TIME_MULT
    {
        server_log_raw(
            LL_NOTICE,
            &format!(
                "Clear FAIL state for node {}: is reachable again and nobody is serving its slots after some time.",
                n.name_str()
            ),
        );
        n.flags &= !CLUSTER_NODE_FAIL;
        cl.do_before_sleep(CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_SAVE_CONFIG);
    }
}
