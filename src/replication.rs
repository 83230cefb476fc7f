//! Replication: the part of `replication.c` that exists so far.
//!
//! This server is always a master without replicas: it owns a replication
//! ID (random at start, as `changeReplicationId` makes it) and an offset of
//! zero, which INFO replication reports. MONITOR clients are fed from here
//! too, because Redis treats them as a kind of replica: `call` hands every
//! executed command to [`replication_feed_monitors`], which formats it the
//! way `redis-cli monitor` prints it and appends it to each monitor's
//! output.

use crate::networking::{Client, CLIENT_UNIX_SOCKET};
use crate::server::Server;

/// `CONFIG_RUN_ID_SIZE`.
pub const CONFIG_RUN_ID_SIZE: usize = 40;

/// The replication fields of `struct redisServer`.
pub struct ReplicationState {
    /// `replid`: 40 hex characters.
    pub replid: String,
    /// `replid2`: the previous ID, all zeros when there was none.
    pub replid2: String,
    pub master_repl_offset: i64,
    pub second_replid_offset: i64,
    /// Slots of the clients in MONITOR mode (`monitors`).
    pub monitors: Vec<usize>,
}

impl Default for ReplicationState {
    fn default() -> Self {
        ReplicationState {
            replid: String::from_utf8_lossy(&crate::util::get_random_hex_chars(CONFIG_RUN_ID_SIZE))
                .into_owned(),
            replid2: "0".repeat(CONFIG_RUN_ID_SIZE),
            master_repl_offset: 0,
            second_replid_offset: -1,
            monitors: Vec::new(),
        }
    }
}

/// Formats one MONITOR line: `+<sec>.<usec> [<db> <addr>] "arg" ...\r\n`.
fn monitor_line(server: &Server, c: &Client, dictid: usize, argv: &[Vec<u8>]) -> Vec<u8> {
    let now = crate::util::ustime();
    let mut line = format!("+{}.{:06} ", now / 1_000_000, now % 1_000_000).into_bytes();
    if c.flags & CLIENT_UNIX_SOCKET != 0 {
        line.extend_from_slice(
            format!(
                "[{} unix:{}] ",
                dictid,
                server.config.unixsocket.as_deref().unwrap_or_default()
            )
            .as_bytes(),
        );
    } else {
        line.extend_from_slice(format!("[{} {}] ", dictid, c.addr).as_bytes());
    }
    for (j, a) in argv.iter().enumerate() {
        crate::sds::sds_cat_repr(&mut line, a);
        if j + 1 != argv.len() {
            line.push(b' ');
        }
    }
    line.extend_from_slice(b"\r\n");
    line
}

/// `replicationFeedMonitors`: `c` is the client that ran the command; it
/// may itself be a monitor, and then it is not in the client table.
pub fn replication_feed_monitors(
    server: &mut Server,
    c: &mut Client,
    dictid: usize,
    argv: &[Vec<u8>],
) {
    if server.repl.monitors.is_empty() || server.loading {
        return;
    }
    let line = monitor_line(server, c, dictid, argv);
    let monitors = server.repl.monitors.clone();
    for slot in monitors {
        if slot == c.slot {
            c.add_reply(&line);
        } else if let Some(mut m) = server.take_client(slot) {
            m.add_reply(&line);
            server.put_client_back(m, true);
        }
    }
}
