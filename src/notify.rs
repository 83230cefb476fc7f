//! Keyspace notifications (`notify.c`): every command that changes a key
//! reports it here with its class (`NOTIFY_*`) and event name, and the
//! classes enabled by `notify-keyspace-events` decide whether the event is
//! published, as a `__keyspace@<db>__:<key>` message carrying the event
//! and/or a `__keyevent@<db>__:<event>` message carrying the key, through
//! the ordinary pub/sub delivery of `pubsub.rs`.

use crate::config::{NOTIFY_KEYEVENT, NOTIFY_KEYSPACE};
use crate::server::Server;

/// `notifyKeyspaceEvent`.
pub fn notify_keyspace_event(
    server: &mut Server,
    type_: i32,
    event: &str,
    key: &[u8],
    dbid: usize,
) {
    let flags = server.config.notify_keyspace_events;
    if flags & type_ == 0 {
        return;
    }
    let mut buf = [0u8; 24];
    let n = crate::util::ll2string(&mut buf, dbid as i64);
    let db = &buf[..n];
    if flags & NOTIFY_KEYSPACE != 0 {
        let chan = channel_name(b"__keyspace@", db, key);
        crate::pubsub::pubsub_publish_message(server, &chan, event.as_bytes(), false);
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        let chan = channel_name(b"__keyevent@", db, event.as_bytes());
        crate::pubsub::pubsub_publish_message(server, &chan, key, false);
    }
}

/// `<prefix><db>__:<suffix>`.
fn channel_name(prefix: &[u8], db: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut chan = Vec::with_capacity(prefix.len() + db.len() + 3 + suffix.len());
    chan.extend_from_slice(prefix);
    chan.extend_from_slice(db);
    chan.extend_from_slice(b"__:");
    chan.extend_from_slice(suffix);
    chan
}

#[cfg(test)]
mod tests {
    #[test]
    fn channel_names() {
        assert_eq!(
            super::channel_name(b"__keyspace@", b"9", b"foo"),
            b"__keyspace@9__:foo"
        );
    }
}
