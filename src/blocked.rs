//! Blocked clients: the generic part of `blocked.c`.
//!
//! A blocked client keeps its connection and its parsed command but runs
//! nothing: `process_input_buffer` stops at `CLIENT_BLOCKED` and only
//! accumulates what arrives. When the reason goes away the client is
//! unblocked and queued; `before_sleep` then runs its pending command (if it
//! was postponed rather than answered) and whatever else is in its query
//! buffer, through [`process_unblocked_clients`].
//!
//! So far the only reason is `BLOCKED_POSTPONE`, used by CLIENT PAUSE (see
//! `networking::client_cmd`). Blocking list, zset and stream operations,
//! WAIT and SHUTDOWN add their own `btype` here.

use std::collections::VecDeque;

use crate::networking::{self, Client, CLIENT_BLOCKED, CLIENT_PENDING_COMMAND, CLIENT_UNBLOCKED};
use crate::server::Server;

pub const BLOCKED_NONE: u8 = 0;
/// Postponed by CLIENT PAUSE: the command runs when the pause ends.
pub const BLOCKED_POSTPONE: u8 = 6;

/// The blocking bookkeeping of `struct redisServer`.
#[derive(Default)]
pub struct BlockedState {
    /// `blocked_clients`: clients with `CLIENT_BLOCKED`, for INFO.
    pub blocked_clients: usize,
    /// Slots of the clients postponed by a pause (`postponed_clients`).
    pub postponed_clients: Vec<usize>,
    /// Slots of clients to reprocess in `before_sleep` (`unblocked_clients`).
    pub unblocked_clients: VecDeque<usize>,
}

/// `blockClient`.
pub fn block_client(server: &mut Server, c: &mut Client, btype: u8) {
    c.flags |= CLIENT_BLOCKED;
    c.btype = btype;
    server.blocked.blocked_clients += 1;
    if btype == BLOCKED_POSTPONE {
        server.blocked.postponed_clients.push(c.slot);
        // The parsed command stays in argv and runs once unblocked.
        c.flags |= CLIENT_PENDING_COMMAND;
    }
}

/// `unblockClient`: clears the blocked state and queues the client so its
/// pending input is processed in `before_sleep`.
pub fn unblock_client(server: &mut Server, c: &mut Client) {
    if c.btype == BLOCKED_POSTPONE {
        server.blocked.postponed_clients.retain(|&s| s != c.slot);
    }
    server.blocked.blocked_clients = server.blocked.blocked_clients.saturating_sub(1);
    c.flags &= !CLIENT_BLOCKED;
    c.btype = BLOCKED_NONE;
    queue_client_for_reprocessing(server, c);
}

/// `queueClientForReprocessing`.
fn queue_client_for_reprocessing(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_UNBLOCKED == 0 {
        c.flags |= CLIENT_UNBLOCKED;
        server.blocked.unblocked_clients.push_back(c.slot);
    }
}

/// Unblocks a client that sits in the client table (not the one running a
/// command).
pub fn unblock_client_by_slot(server: &mut Server, slot: usize) {
    if let Some(mut c) = server.take_client(slot) {
        unblock_client(server, &mut c);
        server.put_client_back(c, true);
    }
}

/// `processUnblockedClients`: runs the postponed command, then the rest of
/// the query buffer, of every client unblocked since the last call.
pub fn process_unblocked_clients(server: &mut Server) {
    while let Some(slot) = server.blocked.unblocked_clients.pop_front() {
        let Some(mut c) = server.take_client(slot) else {
            continue;
        };
        c.flags &= !CLIENT_UNBLOCKED;
        if c.flags & CLIENT_BLOCKED == 0 {
            process_pending_command_and_input_buffer(server, &mut c);
        }
        server.put_client_back(c, true);
    }
}

/// The blocked-client part of `freeClient`: a closed client leaves every
/// list that names it.
pub fn forget_client(server: &mut Server, c: &Client) {
    if c.flags & CLIENT_BLOCKED != 0 {
        server.blocked.blocked_clients = server.blocked.blocked_clients.saturating_sub(1);
        server.blocked.postponed_clients.retain(|&s| s != c.slot);
    }
    if c.flags & CLIENT_UNBLOCKED != 0 {
        server.blocked.unblocked_clients.retain(|&s| s != c.slot);
    }
}

/// `processPendingCommandAndInputBuffer`.
fn process_pending_command_and_input_buffer(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_PENDING_COMMAND != 0 {
        c.flags &= !CLIENT_PENDING_COMMAND;
        crate::server::process_command_and_reset_client(server, c);
    }
    if c.qb_end > c.qb_pos {
        networking::process_input_buffer(server, c);
    }
}
