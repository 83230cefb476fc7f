//! The connection commands of `networking.c`: CLIENT and its subcommands,
//! HELLO, RESET and QUIT, and the client pause machinery behind CLIENT
//! PAUSE.
//!
//! A command runs with its own client taken out of `Server::clients` (see
//! the parent module), so everything that walks "all clients" (LIST, KILL)
//! visits the table and the current client, and orders them by id, which is
//! their creation order, the order of Redis's client list.
//!
//! Pausing follows C: each purpose (the CLIENT PAUSE command, a shutdown
//! waiting for replicas, a failover) holds its own pause event; the
//! effective pause is the most restrictive live one. `process_command`
//! asks [`Server::client_pause_blocks`] and postpones the client
//! (`BLOCKED_POSTPONE`) with its command parsed; when the pause ends or gets
//! less restrictive the postponed clients are unblocked and reprocessed.
//!
//! Client side caching (CLIENT TRACKING ON) is not implemented: TRACKING
//! ON answers an error saying so, and the other tracking subcommands answer
//! what Redis answers for a client that never enabled tracking.

use crate::blocked::{self, BLOCKED_POSTPONE};
use crate::networking::{
    self, Client, CLIENT_ASKING, CLIENT_BLOCKED, CLIENT_CLOSE_AFTER_REPLY, CLIENT_MASTER,
    CLIENT_MONITOR, CLIENT_NO_EVICT, CLIENT_PUBSUB, CLIENT_READONLY, CLIENT_REPLY_OFF,
    CLIENT_REPLY_SKIP, CLIENT_REPLY_SKIP_NEXT, CLIENT_SLAVE, CLIENT_TYPE_MASTER,
    CLIENT_TYPE_NORMAL, CLIENT_TYPE_PUBSUB, CLIENT_TYPE_SLAVE,
};
use crate::server::{Server, REDIS_VERSION};
use crate::util::string2ll;

// ----------------------------------------------------------------------
// Client pause.
// ----------------------------------------------------------------------

/// `pause_type`, ordered from least to most restrictive.
pub const CLIENT_PAUSE_OFF: u8 = 0;
pub const CLIENT_PAUSE_WRITE: u8 = 1;
pub const CLIENT_PAUSE_ALL: u8 = 2;

/// `pause_purpose`: CLIENT PAUSE is the only one so far; a shutdown that
/// waits for replicas and a failover will add theirs (there are three in C).
pub const PAUSE_BY_CLIENT_COMMAND: usize = 0;
const NUM_PAUSE_PURPOSES: usize = 3;

#[derive(Clone, Copy)]
struct PauseEvent {
    pause_type: u8,
    end: i64,
}

/// The pause fields of `struct redisServer`.
#[derive(Default)]
pub struct ClientPauseState {
    per_purpose: [Option<PauseEvent>; NUM_PAUSE_PURPOSES],
    /// The effective pause (`client_pause_type`) ...
    pub pause_type: u8,
    /// ... and when it ends, in unix ms (`client_pause_end_time`).
    pub end_time: i64,
}

impl Server {
    /// Whether the current pause keeps a client from running a command
    /// with these flags now: everything under PAUSE ALL, commands that may
    /// replicate under PAUSE WRITE. Replicas are never paused.
    pub fn client_pause_blocks(&self, c: &Client, cmd_flags: u64) -> bool {
        if c.flags & CLIENT_SLAVE != 0 {
            return false;
        }
        let may_replicate =
            cmd_flags & (crate::commands::CMD_WRITE | crate::commands::CMD_MAY_REPLICATE) != 0;
        match self.client_pause.pause_type {
            CLIENT_PAUSE_ALL => true,
            CLIENT_PAUSE_WRITE => may_replicate,
            _ => false,
        }
    }
}

/// `updateClientPauseTypeAndEndTime`: drops expired events and recomputes
/// the effective pause; clients are reprocessed when it got milder.
fn update_client_pause_type_and_end_time(server: &mut Server) {
    let old_type = server.client_pause.pause_type;
    let now = server.mstime;
    let mut pause_type = CLIENT_PAUSE_OFF;
    for slot in server.client_pause.per_purpose.iter_mut() {
        match slot {
            Some(p) if p.end < now => *slot = None,
            Some(p) if p.pause_type > pause_type => pause_type = p.pause_type,
            _ => {}
        }
    }
    let end = server
        .client_pause
        .per_purpose
        .iter()
        .flatten()
        .filter(|p| p.pause_type == pause_type)
        .map(|p| p.end)
        .max()
        .unwrap_or(0);
    server.client_pause.pause_type = pause_type;
    server.client_pause.end_time = end;
    if pause_type < old_type {
        unblock_postponed_clients(server);
    }
}

/// `unblockPostponedClients`: they run again and may be postponed again.
fn unblock_postponed_clients(server: &mut Server) {
    let slots = server.blocked.postponed_clients.clone();
    for slot in slots {
        blocked::unblock_client_by_slot(server, slot);
    }
}

/// `pauseClients`: pauses until `end` (unix ms). A second pause for the
/// same purpose keeps the longer end and the stricter type.
pub fn pause_clients(server: &mut Server, purpose: usize, end: i64, pause_type: u8) {
    let Some(slot) = server.client_pause.per_purpose.get_mut(purpose) else {
        return;
    };
    *slot = Some(match *slot {
        None => PauseEvent { pause_type, end },
        Some(p) => PauseEvent {
            pause_type: p.pause_type.max(pause_type),
            end: p.end.max(end),
        },
    });
    update_client_pause_type_and_end_time(server);
}

/// `unpauseClients`.
pub fn unpause_clients(server: &mut Server, purpose: usize) {
    if let Some(slot) = server.client_pause.per_purpose.get_mut(purpose) {
        if slot.take().is_some() {
            update_client_pause_type_and_end_time(server);
        }
    }
}

/// `areClientsPaused`.
pub fn are_clients_paused(server: &Server) -> bool {
    server.client_pause.pause_type != CLIENT_PAUSE_OFF
}

/// `checkClientPauseTimeoutAndReturnIfPaused`: ends an expired pause;
/// true while clients are still paused.
pub fn check_client_pause_timeout_and_return_if_paused(server: &mut Server) -> bool {
    if !are_clients_paused(server) {
        return false;
    }
    if server.client_pause.end_time < server.mstime {
        update_client_pause_type_and_end_time(server);
    }
    are_clients_paused(server)
}

// ----------------------------------------------------------------------
// Helpers.
// ----------------------------------------------------------------------

/// `getClientTypeByName`.
pub fn get_client_type_by_name(name: &[u8]) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    match &n[..] {
        b"normal" => Some(CLIENT_TYPE_NORMAL),
        b"slave" | b"replica" => Some(CLIENT_TYPE_SLAVE),
        b"pubsub" => Some(CLIENT_TYPE_PUBSUB),
        b"master" => Some(CLIENT_TYPE_MASTER),
        _ => None,
    }
}

/// `lookupClientByID`: the slot of a client other than the current one.
pub fn lookup_client_by_id(server: &Server, id: u64) -> Option<usize> {
    server
        .clients
        .iter()
        .find(|(_, c)| c.as_ref().is_some_and(|c| c.id == id))
        .map(|(slot, _)| slot)
}

/// Every client as `(id, slot)`, the current one included, in creation
/// order.
fn all_clients(server: &Server, current: &Client) -> Vec<(u64, usize)> {
    let mut v: Vec<(u64, usize)> = server
        .clients
        .iter()
        .filter_map(|(slot, c)| c.as_ref().map(|c| (c.id, slot)))
        .collect();
    v.push((current.id, current.slot));
    v.sort_unstable();
    v
}

/// `getAllClientsInfoString`: one CLIENT LIST line per client of `ctype`
/// (all when `None`).
fn get_all_clients_info_string(server: &Server, current: &Client, ctype: Option<usize>) -> Vec<u8> {
    let mut out = Vec::new();
    for (_, slot) in all_clients(server, current) {
        let c = if slot == current.slot {
            current
        } else {
            match server.clients.get(slot) {
                Some(Some(c)) => c,
                _ => continue,
            }
        };
        if ctype.is_some_and(|t| c.client_type() != t) {
            continue;
        }
        out.extend_from_slice(server.cat_client_info_string(c).as_bytes());
        out.push(b'\n');
    }
    out
}

/// `clientSetName`: an empty name removes it; otherwise only printable
/// ASCII without spaces is allowed, so CLIENT LIST stays splittable.
fn client_set_name(c: &mut Client, name: &[u8]) -> bool {
    if name.is_empty() {
        c.name = None;
        return true;
    }
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        return false;
    }
    c.name = Some(name.to_vec());
    true
}

/// `clientSetNameOrReply`: CLIENT SETNAME and HELLO SETNAME.
pub fn client_set_name_or_reply(c: &mut Client, name: &[u8]) -> bool {
    let ok = client_set_name(c, name);
    if !ok {
        c.add_reply_error("Client names cannot contain spaces, newlines or special characters.");
    }
    ok
}

/// `getLongLongFromObjectOrReply`.
fn get_long_long_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    let v = string2ll(arg);
    if v.is_none() {
        c.add_reply_error(msg.unwrap_or("value is not an integer or out of range"));
    }
    v
}

/// `getTimeoutFromObjectOrReply` in milliseconds: the absolute unix ms
/// time the timeout ends, or 0 for "no timeout".
fn get_timeout_ms_or_reply(server: &Server, c: &mut Client, arg: &[u8]) -> Option<i64> {
    let tval = get_long_long_or_reply(c, arg, Some("timeout is not an integer or out of range"))?;
    if tval < 0 {
        c.add_reply_error("timeout is negative");
        return None;
    }
    if tval == 0 {
        return Some(0);
    }
    let now = server.mstime;
    match tval.checked_add(now) {
        Some(end) => Some(end),
        None => {
            c.add_reply_error("timeout is out of range");
            None
        }
    }
}

fn arg_is(c: &Client, i: usize, name: &str) -> bool {
    c.argv
        .get(i)
        .is_some_and(|a| a.eq_ignore_ascii_case(name.as_bytes()))
}

// ----------------------------------------------------------------------
// CLIENT
// ----------------------------------------------------------------------

const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// CLIENT <subcommand> [...]: every subcommand of the table lands here and
/// is dispatched on its name, as in `clientCommand`.
pub fn client_command(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let sub = c
        .argv
        .get(1)
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    match (&sub[..], argc) {
        (b"help", 2) => c.add_reply_help("client", CLIENT_HELP),
        (b"id", 2) => c.add_reply_long_long(c.id as i64),
        (b"info", 2) => {
            let mut o = server.cat_client_info_string(c).into_bytes();
            o.push(b'\n');
            c.add_reply_verbatim(&o, "txt");
        }
        (b"list", _) => client_list(server, c),
        (b"reply", 3) => {
            if arg_is(c, 2, "on") {
                c.flags &= !(CLIENT_REPLY_SKIP | CLIENT_REPLY_OFF);
                c.add_reply_ok();
            } else if arg_is(c, 2, "off") {
                c.flags |= CLIENT_REPLY_OFF;
            } else if arg_is(c, 2, "skip") {
                if c.flags & CLIENT_REPLY_OFF == 0 {
                    c.flags |= CLIENT_REPLY_SKIP_NEXT;
                }
            } else {
                c.add_reply_syntax_error();
            }
        }
        (b"no-evict", 3) => {
            if arg_is(c, 2, "on") {
                c.flags |= CLIENT_NO_EVICT;
                c.add_reply_ok();
            } else if arg_is(c, 2, "off") {
                c.flags &= !CLIENT_NO_EVICT;
                c.add_reply_ok();
            } else {
                c.add_reply_syntax_error();
            }
        }
        (b"kill", _) => client_kill(server, c),
        (b"unblock", 3 | 4) => client_unblock(server, c),
        (b"setname", 3) => {
            let name = c.argv[2].clone();
            if client_set_name_or_reply(c, &name) {
                c.add_reply_ok();
            }
        }
        (b"getname", 2) => match c.name.clone() {
            Some(n) => c.add_reply_bulk(&n),
            None => c.add_reply_null(),
        },
        (b"unpause", 2) => {
            unpause_clients(server, PAUSE_BY_CLIENT_COMMAND);
            c.add_reply_ok();
        }
        (b"pause", 3 | 4) => {
            let mut pause_type = CLIENT_PAUSE_ALL;
            if argc == 4 {
                if arg_is(c, 3, "write") {
                    pause_type = CLIENT_PAUSE_WRITE;
                } else if !arg_is(c, 3, "all") {
                    c.add_reply_error("CLIENT PAUSE mode must be WRITE or ALL");
                    return;
                }
            }
            let arg = c.argv[2].clone();
            let Some(end) = get_timeout_ms_or_reply(server, c, &arg) else {
                return;
            };
            pause_clients(server, PAUSE_BY_CLIENT_COMMAND, end, pause_type);
            c.add_reply_ok();
        }
        (b"tracking", n) if n >= 3 => client_tracking(server, c),
        (b"caching", n) if n >= 3 => {
            // Tracking is never enabled, so CACHING is never applicable.
            c.add_reply_error(
                "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled",
            );
        }
        (b"getredir", 2) => c.add_reply_long_long(-1),
        (b"trackinginfo", 2) => {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"flags");
            c.add_reply_set_len(1);
            c.add_reply_bulk(b"off");
            c.add_reply_bulk(b"redirect");
            c.add_reply_long_long(-1);
            c.add_reply_bulk(b"prefixes");
            c.add_reply_array_len(0);
        }
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

/// CLIENT LIST [TYPE type] | [ID id ...]
fn client_list(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut ctype = None;
    let mut out = None;
    if argc == 4 && arg_is(c, 2, "type") {
        match get_client_type_by_name(&c.argv[3]) {
            Some(t) => ctype = Some(t),
            None => {
                let err = format!(
                    "Unknown client type '{}'",
                    String::from_utf8_lossy(&c.argv[3])
                );
                c.add_reply_error(&err);
                return;
            }
        }
    } else if argc > 3 && arg_is(c, 2, "id") {
        let mut o = Vec::new();
        for j in 3..argc {
            let arg = c.argv[j].clone();
            let Some(cid) = get_long_long_or_reply(c, &arg, Some("Invalid client ID")) else {
                return;
            };
            let line = if cid as u64 == c.id {
                Some(server.cat_client_info_string(c))
            } else {
                lookup_client_by_id(server, cid as u64)
                    .and_then(|slot| server.clients.get(slot))
                    .and_then(|e| e.as_ref())
                    .map(|other| server.cat_client_info_string(other))
            };
            if let Some(line) = line {
                o.extend_from_slice(line.as_bytes());
                o.push(b'\n');
            }
        }
        out = Some(o);
    } else if argc != 2 {
        c.add_reply_syntax_error();
        return;
    }
    let o = match out {
        Some(o) => o,
        None => get_all_clients_info_string(server, c, ctype),
    };
    c.add_reply_verbatim(&o, "txt");
}

/// CLIENT KILL <addr> | CLIENT KILL <filter> <value> ...
fn client_kill(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut addr: Option<Vec<u8>> = None;
    let mut laddr: Option<Vec<u8>> = None;
    let mut ctype: Option<usize> = None;
    let mut id: u64 = 0;
    let mut skipme = true;
    if argc == 3 {
        // The old form may kill the caller itself.
        addr = Some(c.argv[2].clone());
        skipme = false;
    } else if argc > 3 {
        let mut i = 2;
        while i < argc {
            let moreargs = argc > i + 1;
            let val = c.argv.get(i + 1).cloned().unwrap_or_default();
            if arg_is(c, i, "id") && moreargs {
                match string2ll(&val) {
                    Some(v) if v >= 1 => id = v as u64,
                    _ => {
                        c.add_reply_error("client-id should be greater than 0");
                        return;
                    }
                }
            } else if arg_is(c, i, "type") && moreargs {
                match get_client_type_by_name(&val) {
                    Some(t) => ctype = Some(t),
                    None => {
                        let err =
                            format!("Unknown client type '{}'", String::from_utf8_lossy(&val));
                        c.add_reply_error(&err);
                        return;
                    }
                }
            } else if arg_is(c, i, "addr") && moreargs {
                addr = Some(val);
            } else if arg_is(c, i, "laddr") && moreargs {
                laddr = Some(val);
            } else if arg_is(c, i, "user") && moreargs {
                // Every connection belongs to the one existing user.
                if !crate::acl::acl_user_exists(&val) {
                    let err = format!("No such user '{}'", String::from_utf8_lossy(&val));
                    c.add_reply_error(&err);
                    return;
                }
            } else if arg_is(c, i, "skipme") && moreargs {
                if val.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    c.add_reply_syntax_error();
                    return;
                }
            } else {
                c.add_reply_syntax_error();
                return;
            }
            i += 2;
        }
    } else {
        c.add_reply_syntax_error();
        return;
    }

    let matches = |cl: &Client| {
        addr.as_ref().is_none_or(|a| cl.addr.as_bytes() == &a[..])
            && laddr.as_ref().is_none_or(|a| cl.laddr.as_bytes() == &a[..])
            && ctype.is_none_or(|t| cl.client_type() == t)
            && (id == 0 || cl.id == id)
    };
    let mut killed = 0;
    let mut close_this_client = false;
    for (_, slot) in all_clients(server, c) {
        if slot == c.slot {
            if matches(c) && !skipme {
                close_this_client = true;
                killed += 1;
            }
            continue;
        }
        let hit = matches!(server.clients.get(slot), Some(Some(cl)) if matches(cl));
        if hit {
            networking::free_client(server, slot);
            killed += 1;
        }
    }
    if argc == 3 {
        if killed == 0 {
            c.add_reply_error("No such client");
        } else {
            c.add_reply_ok();
        }
    } else {
        c.add_reply_long_long(killed);
    }
    // Only now, so that the reply above is still queued.
    if close_this_client {
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

/// CLIENT UNBLOCK <id> [TIMEOUT|ERROR]
fn client_unblock(server: &mut Server, c: &mut Client) {
    let mut unblock_error = false;
    if c.argv.len() == 4 {
        if arg_is(c, 3, "error") {
            unblock_error = true;
        } else if !arg_is(c, 3, "timeout") {
            c.add_reply_error("CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            return;
        }
    }
    let arg = c.argv[2].clone();
    let Some(id) = get_long_long_or_reply(c, &arg, None) else {
        return;
    };
    let target = lookup_client_by_id(server, id as u64).and_then(|slot| server.take_client(slot));
    let Some(mut target) = target else {
        c.add_reply_long_long(0);
        return;
    };
    let unblocked = target.flags & CLIENT_BLOCKED != 0;
    if unblocked {
        let postponed = target.btype == BLOCKED_POSTPONE;
        if unblock_error {
            target.add_reply_error("-UNBLOCKED client unblocked via CLIENT UNBLOCK");
            // The target runs no command to count it: do it here.
            crate::server::update_error_stats(server, &mut target);
        } else {
            blocked::reply_to_blocked_client_timed_out(&mut target);
        }
        blocked::unblock_client(server, &mut target);
        if !postponed {
            // C counts the unblocked command as failed either way.
            blocked::update_stats_on_unblock(server, &mut target, 0, true);
        }
    }
    server.put_client_back(target, true);
    c.add_reply_long_long(unblocked as i64);
}

/// CLIENT TRACKING ON|OFF [options]: the options are checked as Redis does,
/// then ON is refused because client side caching is not implemented.
fn client_tracking(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut redir = 0i64;
    let mut j = 3;
    while j < argc {
        let moreargs = argc - 1 - j > 0;
        if arg_is(c, j, "redirect") && moreargs {
            j += 1;
            if redir != 0 {
                c.add_reply_error("A client can only redirect to a single other client");
                return;
            }
            let arg = c.argv[j].clone();
            let Some(r) = get_long_long_or_reply(c, &arg, None) else {
                return;
            };
            redir = r;
            if r as u64 != c.id && lookup_client_by_id(server, r as u64).is_none() {
                c.add_reply_error("The client ID you want redirect to does not exist");
                return;
            }
        } else if arg_is(c, j, "prefix") && moreargs {
            j += 1;
        } else if !(arg_is(c, j, "bcast")
            || arg_is(c, j, "optin")
            || arg_is(c, j, "optout")
            || arg_is(c, j, "noloop"))
        {
            c.add_reply_syntax_error();
            return;
        }
        j += 1;
    }
    if arg_is(c, 2, "on") {
        c.add_reply_error("client side caching (CLIENT TRACKING) is not supported by this server");
    } else if arg_is(c, 2, "off") {
        c.add_reply_ok();
    } else {
        c.add_reply_syntax_error();
    }
}

// ----------------------------------------------------------------------
// HELLO, RESET, QUIT
// ----------------------------------------------------------------------

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
pub fn hello_command(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut ver = 0i64;
    let mut next_arg = 1;
    if argc >= 2 {
        let arg = c.argv[1].clone();
        let Some(v) = get_long_long_or_reply(
            c,
            &arg,
            Some("Protocol version is not an integer or out of range"),
        ) else {
            return;
        };
        next_arg += 1;
        if !(2..=3).contains(&v) {
            c.add_reply_error("-NOPROTO unsupported protocol version");
            return;
        }
        ver = v;
    }
    let mut j = next_arg;
    while j < argc {
        let moreargs = argc - 1 - j;
        if arg_is(c, j, "auth") && moreargs >= 2 {
            c.redact_client_command_argument(j + 1);
            c.redact_client_command_argument(j + 2);
            let user = c.argv[j + 1].clone();
            let pass = c.argv[j + 2].clone();
            if !crate::acl::acl_authenticate_user(server, c, &user, &pass) {
                c.add_reply_error("-WRONGPASS invalid username-password pair or user is disabled.");
                return;
            }
            j += 2;
        } else if arg_is(c, j, "setname") && moreargs >= 1 {
            let name = c.argv[j + 1].clone();
            if !client_set_name_or_reply(c, &name) {
                return;
            }
            j += 1;
        } else {
            // C prints the option as a C string: up to its first NUL.
            let opt = &c.argv[j];
            let opt = &opt[..opt.iter().position(|&b| b == 0).unwrap_or(opt.len())];
            let err = format!(
                "Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            );
            c.add_reply_error(&err);
            return;
        }
        j += 1;
    }
    if !c.authenticated {
        c.add_reply_error("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    if ver != 0 {
        c.resp = ver as u8;
    }
    c.add_reply_map_len(7);
    c.add_reply_bulk(b"server");
    c.add_reply_bulk(b"redis");
    c.add_reply_bulk(b"version");
    c.add_reply_bulk(REDIS_VERSION.as_bytes());
    c.add_reply_bulk(b"proto");
    c.add_reply_long_long(c.resp as i64);
    c.add_reply_bulk(b"id");
    c.add_reply_long_long(c.id as i64);
    c.add_reply_bulk(b"mode");
    c.add_reply_bulk(if server.config.cluster_enabled {
        b"cluster"
    } else {
        b"standalone"
    });
    c.add_reply_bulk(b"role");
    c.add_reply_bulk(b"master");
    c.add_reply_bulk(b"modules");
    c.add_reply_array_len(0);
}

/// `clearClientConnectionState`: what RESET puts back as on a new
/// connection.
fn clear_client_connection_state(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_MONITOR != 0 {
        server.repl.monitors.retain(|&s| s != c.slot);
        c.flags &= !(CLIENT_MONITOR | CLIENT_SLAVE);
    }
    c.db = 0;
    c.resp = 2;
    c.authenticated = crate::acl::default_user_nopass(server);
    crate::multi::discard_transaction(server, c);
    crate::pubsub::pubsub_unsubscribe_all(server, c);
    c.name = None;
    c.flags &= !(CLIENT_ASKING
        | CLIENT_READONLY
        | CLIENT_PUBSUB
        | CLIENT_REPLY_OFF
        | CLIENT_REPLY_SKIP_NEXT);
}

/// RESET
pub fn reset_command(server: &mut Server, c: &mut Client) {
    let mut flags = c.flags;
    // A monitor carries the replica flag too, but may be reset.
    if flags & CLIENT_MONITOR != 0 {
        flags &= !(CLIENT_MONITOR | CLIENT_SLAVE);
    }
    if flags & (CLIENT_SLAVE | CLIENT_MASTER) != 0 {
        c.add_reply_error("can only reset normal client connections");
        return;
    }
    clear_client_connection_state(server, c);
    c.add_reply_status("RESET");
}

/// QUIT
pub fn quit_command(_server: &mut Server, c: &mut Client) {
    c.add_reply_ok();
    c.flags |= CLIENT_CLOSE_AFTER_REPLY;
}

/// The postponing step of `processCommand`: true when the client was
/// blocked until the pause ends.
pub fn postpone_if_paused(server: &mut Server, c: &mut Client, cmd_flags: u64) -> bool {
    if !server.client_pause_blocks(c, cmd_flags) {
        return false;
    }
    c.bpop.timeout = 0;
    blocked::block_client(server, c, BLOCKED_POSTPONE);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_type_names() {
        assert_eq!(get_client_type_by_name(b"REPLICA"), Some(CLIENT_TYPE_SLAVE));
        assert_eq!(get_client_type_by_name(b"slave"), Some(CLIENT_TYPE_SLAVE));
        assert_eq!(get_client_type_by_name(b"normal"), Some(CLIENT_TYPE_NORMAL));
        assert_eq!(get_client_type_by_name(b"x"), None);
    }

    #[test]
    fn client_names() {
        let mut c = Client::new(1, None, 0);
        assert!(client_set_name(&mut c, b"my-name"));
        assert_eq!(c.name.as_deref(), Some(&b"my-name"[..]));
        assert!(!client_set_name(&mut c, b"my name"));
        assert!(!client_set_name(&mut c, b"caf\xc3\xa9"));
        assert!(client_set_name(&mut c, b""));
        assert!(c.name.is_none());
    }
}
