//! Slot ownership and the cluster state (`SLOTS management` and `Cluster
//! state evaluation function` of `cluster.c`).
//!
//! A slot has one owner in `ClusterState::slots`, mirrored by the owner's
//! bitmap; `cluster_update_state` decides from them (and from which masters
//! are reachable) whether this node serves queries (`cluster_state:ok`).

use super::msg::{slot_bitmap_clear, slot_bitmap_set, slot_bitmap_test, CLUSTER_SLOTS};
use super::*;
use crate::server::{server_log_raw, Server, LL_WARNING};
use crate::util::mstime;

/// Bounds of the delay before a master that was in a minority partition
/// accepts writes again (`CLUSTER_MAX/MIN_REJOIN_DELAY`).
const CLUSTER_MAX_REJOIN_DELAY: i64 = 5000;
const CLUSTER_MIN_REJOIN_DELAY: i64 = 500;
/// A master stays in `fail` this long after start (`CLUSTER_WRITABLE_DELAY`).
const CLUSTER_WRITABLE_DELAY: i64 = 2000;

impl ClusterState {
    /// `clusterMastersHaveSlaves`.
    pub fn masters_have_slaves(&self) -> bool {
        self.nodes
            .iter()
            .any(|(_, n)| !n.is_slave() && !n.slaves.is_empty())
    }

    /// `clusterNodeSetSlotBit`: returns the old bit.
    pub fn node_set_slot_bit(&mut self, id: NodeId, slot: usize) -> bool {
        let have_slaves = self.masters_have_slaves();
        let Some(n) = self.nodes.get_mut(id) else {
            return false;
        };
        let old = slot_bitmap_test(&n.slots, slot);
        slot_bitmap_set(&mut n.slots, slot);
        if !old {
            n.numslots += 1;
            // A master receiving its first slot becomes a target for
            // replica migration when replicas exist in the cluster.
            if n.numslots == 1 && have_slaves {
                n.flags |= CLUSTER_NODE_MIGRATE_TO;
            }
        }
        old
    }

    /// `clusterNodeClearSlotBit`: returns the old bit.
    pub fn node_clear_slot_bit(&mut self, id: NodeId, slot: usize) -> bool {
        let Some(n) = self.nodes.get_mut(id) else {
            return false;
        };
        let old = slot_bitmap_test(&n.slots, slot);
        slot_bitmap_clear(&mut n.slots, slot);
        if old {
            n.numslots -= 1;
        }
        old
    }

    /// `clusterAddSlot`: false if the slot already has an owner.
    pub fn add_slot(&mut self, id: NodeId, slot: usize) -> bool {
        if slot >= CLUSTER_SLOTS || self.slots[slot].is_some() {
            return false;
        }
        self.node_set_slot_bit(id, slot);
        self.slots[slot] = Some(id);
        true
    }

    /// `clusterDelSlot`: false if the slot had no owner.
    pub fn del_slot(&mut self, slot: usize) -> bool {
        let Some(n) = self.slots.get(slot).copied().flatten() else {
            return false;
        };
        // Our shard (we are the owner or one of its replicas) stops
        // serving the slot: its shard channels go too.
        if self.get_nodes_serving_my_slots(n).contains(&self.myself) {
            self.slots_to_remove_channels.push(slot);
        }
        self.node_clear_slot_bit(n, slot);
        self.slots[slot] = None;
        true
    }

    /// `clusterDelNodeSlots`: returns how many slots were removed.
    pub fn del_node_slots(&mut self, id: NodeId) -> usize {
        let mut deleted = 0;
        for j in 0..CLUSTER_SLOTS {
            if self.node_slot_bit(id, j) {
                self.del_slot(j);
                deleted += 1;
            }
        }
        deleted
    }

    /// `isSlotUnclaimed`: no owner, or an owner that stopped claiming it.
    pub fn is_slot_unclaimed(&self, slot: usize) -> bool {
        self.slots.get(slot).is_none_or(|s| s.is_none())
            || slot_bitmap_test(&self.owner_not_claiming_slot, slot)
    }

    /// `clusterCloseAllSlots`.
    pub fn close_all_slots(&mut self) {
        self.migrating_slots_to.fill(None);
        self.importing_slots_from.fill(None);
    }
}

/// `clusterUpdateState`.
pub fn cluster_update_state(server: &mut Server) {
    let node_timeout = server.config.cluster_node_timeout;
    let full_coverage = server.config.cluster_require_full_coverage;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    cl.todo_before_sleep &= !CLUSTER_TODO_UPDATE_STATE;
    let now = mstime();
    // A master that just started waits a little before turning ok, so
    // the cluster can reconfigure it first if its view is stale.
    if cl.first_call_time == 0 {
        cl.first_call_time = now;
    }
    if cl.me().is_master()
        && cl.state == CLUSTER_FAIL
        && now - cl.first_call_time < CLUSTER_WRITABLE_DELAY
    {
        return;
    }
    let mut new_state = CLUSTER_OK;
    if full_coverage {
        let uncovered = cl
            .slots
            .iter()
            .any(|s| s.and_then(|id| cl.nodes.get(id)).is_none_or(|n| n.failed()));
        if uncovered {
            new_state = CLUSTER_FAIL;
        }
    }
    let mut reachable_masters = 0;
    cl.size = 0;
    for (_, n) in cl.nodes.iter() {
        if n.is_master() && n.numslots > 0 {
            cl.size += 1;
            if n.flags & (CLUSTER_NODE_FAIL | CLUSTER_NODE_PFAIL) == 0 {
                reachable_masters += 1;
            }
        }
    }
    let needed_quorum = cl.size / 2 + 1;
    if reachable_masters < needed_quorum {
        new_state = CLUSTER_FAIL;
        cl.among_minority_time = now;
    }
    if new_state != cl.state {
        let rejoin_delay = node_timeout.clamp(CLUSTER_MIN_REJOIN_DELAY, CLUSTER_MAX_REJOIN_DELAY);
        if new_state == CLUSTER_OK
            && cl.me().is_master()
            && now - cl.among_minority_time < rejoin_delay
        {
            return;
        }
        server_log_raw(
            LL_WARNING,
            &format!(
                "Cluster state changed: {}",
                if new_state == CLUSTER_OK {
                    "ok"
                } else {
                    "fail"
                }
            ),
        );
        cl.state = new_state;
    }
}

/// `countKeysInSlot`: from the slot index of `redirect`.
pub fn count_keys_in_slot(server: &Server, slot: usize) -> usize {
    server.count_keys_in_slot(slot)
}

/// `delKeysInSlot`: from the slot index of `redirect`.
pub fn del_keys_in_slot(server: &mut Server, slot: usize) -> usize {
    server.del_keys_in_slot(slot)
}

/// `clusterSetMaster`: makes myself a replica of `n` (bookkeeping only; the
/// replication link itself belongs to the replication work).
pub fn cluster_set_master(server: &mut Server, n: NodeId) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let me = cl.myself;
    if n == me || cl.me().numslots != 0 {
        return;
    }
    if cl.me().is_master() {
        let m = cl.me_mut();
        m.flags &= !(CLUSTER_NODE_MASTER | CLUSTER_NODE_MIGRATE_TO);
        m.flags |= CLUSTER_NODE_SLAVE;
        cl.close_all_slots();
    } else if let Some(old) = cl.me().slaveof {
        cl.node_remove_slave(old, me);
    }
    cl.me_mut().slaveof = Some(n);
    cl.node_add_slave(n, me);
    super::failover::reset_manual_failover(server);
}
