//! Keyspace notifications (`notify.c`): every command that changes a key
//! reports it here with its class (`NOTIFY_*`) and event name, and the
//! classes enabled by `notify-keyspace-events` decide whether a
//! `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` message is
//! published.

use crate::server::Server;

/// `notifyKeyspaceEvent`. Publishing needs pub/sub (`pubsub.rs`), which is
/// being written; until it lands the event is filtered and dropped here, so
/// that the commands already carry their calls.
pub fn notify_keyspace_event(
    server: &mut Server,
    type_: i32,
    event: &str,
    key: &[u8],
    dbid: usize,
) {
    if server.config.notify_keyspace_events & type_ == 0 {
        return;
    }
    let _ = (event, key, dbid);
}
