//! Publish/subscribe: a port of `pubsub.c`.
//!
//! Three kinds of subscription exist: channels (SUBSCRIBE), glob patterns
//! over channel names (PSUBSCRIBE), and shard channels (SSUBSCRIBE), which
//! in a cluster belong to the slot of their name and so live in a table of
//! their own. Each is kept twice, as in C: the client holds what it is
//! subscribed to ([`ClientPubsub`]), and the server maps every channel or
//! pattern to the slots of its subscribers in the client table
//! ([`PubsubState`]), which is what PUBLISH walks.
//!
//! A RESP2 client with at least one subscription is in "subscribed mode"
//! (`CLIENT_PUBSUB`): `process_command` only lets it run the (un)subscribe
//! commands, PING, QUIT and RESET. Messages are arrays in RESP2 and push
//! types (`>`) in RESP3, and go out even under CLIENT REPLY OFF.
//!
//! A subscriber may be the very client whose command publishes (a keyspace
//! event caused by a RESP3 subscriber's own write, say): that client is out
//! of the client table while it runs, so its messages are parked and added
//! by `call` once the command returns ([`flush_parked_messages`]).
//! PUBLISH itself passes its client along and needs no parking.

use std::collections::{HashMap, HashSet};

use crate::networking::{
    Client, CLIENT_DENY_BLOCKING, CLIENT_MULTI, CLIENT_PUBSUB, CLIENT_PUSHING,
};
use crate::server::Server;
use crate::util::string_match_len;

/// What a client is subscribed to.
#[derive(Default)]
pub struct ClientPubsub {
    pub channels: HashSet<Vec<u8>>,
    /// In subscription order, as C's list.
    pub patterns: Vec<Vec<u8>>,
    pub shard_channels: HashSet<Vec<u8>>,
}

impl ClientPubsub {
    /// `clientSubscriptionsCount`: channels and patterns.
    fn subscriptions_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// `clientTotalPubSubSubscriptionCount`.
    fn total_count(&self) -> usize {
        self.subscriptions_count() + self.shard_channels.len()
    }
}

/// A delivery to a client that was running a command (see the module docs).
enum Parked {
    Message {
        slot: usize,
        pattern: Option<Vec<u8>>,
        channel: Vec<u8>,
        message: Vec<u8>,
        shard: bool,
    },
    ShardUnsubscribed {
        slot: usize,
        channel: Vec<u8>,
    },
}

/// The pub/sub tables of `struct redisServer`.
#[derive(Default)]
pub struct PubsubState {
    /// `pubsub_channels`: channel to subscriber slots, in subscription order.
    channels: HashMap<Vec<u8>, Vec<usize>>,
    /// `pubsub_patterns`.
    patterns: HashMap<Vec<u8>, Vec<usize>>,
    /// `pubsubshard_channels`.
    shard_channels: HashMap<Vec<u8>, Vec<usize>>,
    parked: Vec<Parked>,
}

impl PubsubState {
    /// INFO `pubsub_channels`.
    pub fn channels_count(&self) -> usize {
        self.channels.len()
    }

    /// INFO `pubsub_patterns`.
    pub fn patterns_count(&self) -> usize {
        self.patterns.len()
    }

    /// INFO `pubsubshard_channels`.
    pub fn shard_channels_count(&self) -> usize {
        self.shard_channels.len()
    }
}

/// Global channels or shard channels (`pubsubtype`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Global,
    Shard,
}

impl Kind {
    fn subscribe_bulk(self) -> &'static [u8] {
        match self {
            Kind::Global => b"$9\r\nsubscribe\r\n",
            Kind::Shard => b"$10\r\nssubscribe\r\n",
        }
    }

    fn unsubscribe_bulk(self) -> &'static [u8] {
        match self {
            Kind::Global => b"$11\r\nunsubscribe\r\n",
            Kind::Shard => b"$12\r\nsunsubscribe\r\n",
        }
    }

    fn message_bulk(self) -> &'static [u8] {
        match self {
            Kind::Global => b"$7\r\nmessage\r\n",
            Kind::Shard => b"$8\r\nsmessage\r\n",
        }
    }

    fn client_channels(self, c: &mut Client) -> &mut HashSet<Vec<u8>> {
        match self {
            Kind::Global => &mut c.pubsub.channels,
            Kind::Shard => &mut c.pubsub.shard_channels,
        }
    }

    fn server_channels(self, s: &mut PubsubState) -> &mut HashMap<Vec<u8>, Vec<usize>> {
        match self {
            Kind::Global => &mut s.channels,
            Kind::Shard => &mut s.shard_channels,
        }
    }

    /// The count a (un)subscribe reply carries.
    fn subscription_count(self, c: &Client) -> usize {
        match self {
            Kind::Global => c.pubsub.subscriptions_count(),
            Kind::Shard => c.pubsub.shard_channels.len(),
        }
    }
}

// ----------------------------------------------------------------------
// Replies.
// ----------------------------------------------------------------------

/// Runs `f` with `CLIENT_PUSHING` set, as every pub/sub reply does.
fn pushing(c: &mut Client, f: impl FnOnce(&mut Client)) {
    let old = c.flags;
    c.flags |= CLIENT_PUSHING;
    f(c);
    if old & CLIENT_PUSHING == 0 {
        c.flags &= !CLIENT_PUSHING;
    }
}

/// `addReplyPubsubMessage`.
fn add_reply_pubsub_message(c: &mut Client, channel: &[u8], msg: &[u8], kind: Kind) {
    pushing(c, |c| {
        c.add_reply_push_len(3);
        c.add_reply(kind.message_bulk());
        c.add_reply_bulk(channel);
        c.add_reply_bulk(msg);
    });
}

/// `addReplyPubsubPatMessage`.
fn add_reply_pubsub_pat_message(c: &mut Client, pat: &[u8], channel: &[u8], msg: &[u8]) {
    pushing(c, |c| {
        c.add_reply_push_len(4);
        c.add_reply(b"$8\r\npmessage\r\n");
        c.add_reply_bulk(pat);
        c.add_reply_bulk(channel);
        c.add_reply_bulk(msg);
    });
}

/// `addReplyPubsubSubscribed`.
fn add_reply_pubsub_subscribed(c: &mut Client, channel: &[u8], kind: Kind) {
    pushing(c, |c| {
        c.add_reply_push_len(3);
        c.add_reply(kind.subscribe_bulk());
        c.add_reply_bulk(channel);
        c.add_reply_long_long(kind.subscription_count(c) as i64);
    });
}

/// `addReplyPubsubUnsubscribed`: `channel` is None for an UNSUBSCRIBE
/// without arguments from a client subscribed to nothing.
fn add_reply_pubsub_unsubscribed(c: &mut Client, channel: Option<&[u8]>, kind: Kind) {
    pushing(c, |c| {
        c.add_reply_push_len(3);
        c.add_reply(kind.unsubscribe_bulk());
        match channel {
            Some(ch) => c.add_reply_bulk(ch),
            None => c.add_reply_null(),
        }
        c.add_reply_long_long(kind.subscription_count(c) as i64);
    });
}

/// `addReplyPubsubPatSubscribed`.
fn add_reply_pubsub_pat_subscribed(c: &mut Client, pattern: &[u8]) {
    pushing(c, |c| {
        c.add_reply_push_len(3);
        c.add_reply(b"$10\r\npsubscribe\r\n");
        c.add_reply_bulk(pattern);
        c.add_reply_long_long(c.pubsub.subscriptions_count() as i64);
    });
}

/// `addReplyPubsubPatUnsubscribed`.
fn add_reply_pubsub_pat_unsubscribed(c: &mut Client, pattern: Option<&[u8]>) {
    pushing(c, |c| {
        c.add_reply_push_len(3);
        c.add_reply(b"$12\r\npunsubscribe\r\n");
        match pattern {
            Some(p) => c.add_reply_bulk(p),
            None => c.add_reply_null(),
        }
        c.add_reply_long_long(c.pubsub.subscriptions_count() as i64);
    });
}

// ----------------------------------------------------------------------
// Subscribing and unsubscribing.
// ----------------------------------------------------------------------

/// `pubsubSubscribeChannel`. Returns whether the client was not yet
/// subscribed.
fn pubsub_subscribe_channel(
    server: &mut Server,
    c: &mut Client,
    channel: &[u8],
    kind: Kind,
) -> bool {
    let added = kind.client_channels(c).insert(channel.to_vec());
    if added {
        kind.server_channels(&mut server.pubsub)
            .entry(channel.to_vec())
            .or_default()
            .push(c.slot);
    }
    add_reply_pubsub_subscribed(c, channel, kind);
    added
}

/// Takes `slot` off the subscribers of `name` in `table`, dropping the
/// entry once nobody is left (or anyone could grow the table forever).
fn remove_subscriber(table: &mut HashMap<Vec<u8>, Vec<usize>>, name: &[u8], slot: usize) {
    if let Some(subs) = table.get_mut(name) {
        subs.retain(|&s| s != slot);
        if subs.is_empty() {
            table.remove(name);
        }
    }
}

/// `pubsubUnsubscribeChannel`.
fn pubsub_unsubscribe_channel(
    server: &mut Server,
    c: &mut Client,
    channel: &[u8],
    notify: bool,
    kind: Kind,
) -> bool {
    let removed = kind.client_channels(c).remove(channel);
    if removed {
        remove_subscriber(kind.server_channels(&mut server.pubsub), channel, c.slot);
    }
    if notify {
        add_reply_pubsub_unsubscribed(c, Some(channel), kind);
    }
    removed
}

/// `pubsubSubscribePattern`.
fn pubsub_subscribe_pattern(server: &mut Server, c: &mut Client, pattern: &[u8]) -> bool {
    let added = !c.pubsub.patterns.iter().any(|p| p == pattern);
    if added {
        c.pubsub.patterns.push(pattern.to_vec());
        server
            .pubsub
            .patterns
            .entry(pattern.to_vec())
            .or_default()
            .push(c.slot);
    }
    add_reply_pubsub_pat_subscribed(c, pattern);
    added
}

/// `pubsubUnsubscribePattern`.
fn pubsub_unsubscribe_pattern(
    server: &mut Server,
    c: &mut Client,
    pattern: &[u8],
    notify: bool,
) -> bool {
    let pos = c.pubsub.patterns.iter().position(|p| p == pattern);
    if let Some(i) = pos {
        c.pubsub.patterns.remove(i);
        remove_subscriber(&mut server.pubsub.patterns, pattern, c.slot);
    }
    if notify {
        add_reply_pubsub_pat_unsubscribed(c, Some(pattern));
    }
    pos.is_some()
}

/// `pubsubUnsubscribeAllChannelsInternal`.
fn pubsub_unsubscribe_all_channels_internal(
    server: &mut Server,
    c: &mut Client,
    notify: bool,
    kind: Kind,
) -> usize {
    let channels: Vec<Vec<u8>> = kind.client_channels(c).iter().cloned().collect();
    let mut count = 0;
    for ch in channels {
        if pubsub_unsubscribe_channel(server, c, &ch, notify, kind) {
            count += 1;
        }
    }
    // Subscribed to nothing: the client still gets its one reply.
    if notify && count == 0 {
        add_reply_pubsub_unsubscribed(c, None, kind);
    }
    count
}

/// `pubsubUnsubscribeAllPatterns`.
fn pubsub_unsubscribe_all_patterns(server: &mut Server, c: &mut Client, notify: bool) -> usize {
    let patterns = c.pubsub.patterns.clone();
    let mut count = 0;
    for p in patterns {
        if pubsub_unsubscribe_pattern(server, c, &p, notify) {
            count += 1;
        }
    }
    if notify && count == 0 {
        add_reply_pubsub_pat_unsubscribed(c, None);
    }
    count
}

/// Every subscription of a client dropped silently: what `freeClient` and
/// RESET (`clearClientConnectionState`) do.
pub fn pubsub_unsubscribe_all(server: &mut Server, c: &mut Client) {
    if c.pubsub.total_count() == 0 {
        return;
    }
    pubsub_unsubscribe_all_channels_internal(server, c, false, Kind::Global);
    pubsub_unsubscribe_all_channels_internal(server, c, false, Kind::Shard);
    pubsub_unsubscribe_all_patterns(server, c, false);
}

/// Leaves subscribed mode once nothing is left (the tail of the
/// unsubscribe commands).
fn leave_pubsub_mode_if_idle(c: &mut Client) {
    if c.pubsub.total_count() == 0 {
        c.flags &= !CLIENT_PUBSUB;
    }
}

/// Unsubscribes every client from the shard channels of a cluster slot
/// this node no longer serves (`pubsubUnsubscribeShardChannels` over the
/// slot's channels). Each subscriber gets an `sunsubscribe` message.
pub fn pubsub_unsubscribe_shard_channels_by_slot(server: &mut Server, slot: usize) {
    let channels: Vec<Vec<u8>> = server
        .pubsub
        .shard_channels
        .keys()
        .filter(|ch| crate::cluster::key_hash_slot(ch) == slot)
        .cloned()
        .collect();
    for ch in channels {
        pubsub_shard_unsubscribe_all_clients(server, &ch);
    }
}

/// `pubsubShardUnsubscribeAllClients`.
fn pubsub_shard_unsubscribe_all_clients(server: &mut Server, channel: &[u8]) {
    let Some(subs) = server.pubsub.shard_channels.remove(channel) else {
        return;
    };
    for slot in subs {
        match server.take_client(slot) {
            Some(mut c) => {
                shard_unsubscribed(&mut c, channel);
                server.put_client_back(c, true);
            }
            None if server.clients.contains(slot) => {
                server.pubsub.parked.push(Parked::ShardUnsubscribed {
                    slot,
                    channel: channel.to_vec(),
                })
            }
            None => {}
        }
    }
}

/// The client side of a shard channel going away.
fn shard_unsubscribed(c: &mut Client, channel: &[u8]) {
    c.pubsub.shard_channels.remove(channel);
    add_reply_pubsub_unsubscribed(c, Some(channel), Kind::Shard);
    leave_pubsub_mode_if_idle(c);
}

// ----------------------------------------------------------------------
// Publishing.
// ----------------------------------------------------------------------

/// Hands one delivery to the client in `slot`: `current` when it is that
/// client, else the client in the table, else (running) parked.
fn deliver(server: &mut Server, current: &mut Option<&mut Client>, parked: Parked) {
    let slot = match &parked {
        Parked::Message { slot, .. } | Parked::ShardUnsubscribed { slot, .. } => *slot,
    };
    if let Some(c) = current.as_deref_mut() {
        if c.slot == slot {
            apply(c, parked);
            return;
        }
    }
    match server.take_client(slot) {
        Some(mut c) => {
            apply(&mut c, parked);
            server.put_client_back(c, true);
        }
        None if server.clients.contains(slot) => server.pubsub.parked.push(parked),
        None => {}
    }
}

fn apply(c: &mut Client, parked: Parked) {
    match parked {
        Parked::Message {
            pattern: Some(p),
            channel,
            message,
            ..
        } => add_reply_pubsub_pat_message(c, &p, &channel, &message),
        Parked::Message {
            pattern: None,
            channel,
            message,
            shard,
            ..
        } => {
            let kind = if shard { Kind::Shard } else { Kind::Global };
            add_reply_pubsub_message(c, &channel, &message, kind);
        }
        Parked::ShardUnsubscribed { channel, .. } => shard_unsubscribed(c, &channel),
    }
}

/// Adds the deliveries parked for the client that was running (see the
/// module docs). Called by `call` after every command.
pub fn flush_parked_messages(server: &mut Server, c: &mut Client) {
    if server.pubsub.parked.is_empty() {
        return;
    }
    let parked = std::mem::take(&mut server.pubsub.parked);
    let mut current = Some(c);
    for p in parked {
        deliver(server, &mut current, p);
    }
}

/// `pubsubPublishMessageInternal`: sends the message to the subscribers of
/// the channel and, unless sharded, of every matching pattern. Returns the
/// number of deliveries.
fn publish_internal(
    server: &mut Server,
    mut current: Option<&mut Client>,
    channel: &[u8],
    message: &[u8],
    kind: Kind,
) -> usize {
    let mut receivers = 0;
    let subs = kind
        .server_channels(&mut server.pubsub)
        .get(channel)
        .cloned()
        .unwrap_or_default();
    for slot in subs {
        let p = Parked::Message {
            slot,
            pattern: None,
            channel: channel.to_vec(),
            message: message.to_vec(),
            shard: kind == Kind::Shard,
        };
        deliver(server, &mut current, p);
        receivers += 1;
    }
    if kind == Kind::Shard || server.pubsub.patterns.is_empty() {
        return receivers;
    }
    let matches: Vec<(Vec<u8>, Vec<usize>)> = server
        .pubsub
        .patterns
        .iter()
        .filter(|(pat, _)| string_match_len(pat, channel, false))
        .map(|(pat, subs)| (pat.clone(), subs.clone()))
        .collect();
    for (pat, subs) in matches {
        for slot in subs {
            let p = Parked::Message {
                slot,
                pattern: Some(pat.clone()),
                channel: channel.to_vec(),
                message: message.to_vec(),
                shard: false,
            };
            deliver(server, &mut current, p);
            receivers += 1;
        }
    }
    receivers
}

/// `pubsubPublishMessage`: local delivery of a message, for keyspace
/// events and for messages the cluster bus receives from other nodes.
/// Returns the number of receivers.
pub fn pubsub_publish_message(
    server: &mut Server,
    channel: &[u8],
    message: &[u8],
    sharded: bool,
) -> usize {
    let kind = if sharded { Kind::Shard } else { Kind::Global };
    publish_internal(server, None, channel, message, kind)
}

// ----------------------------------------------------------------------
// Commands.
// ----------------------------------------------------------------------

/// Whether a RESP2 client in subscribed mode may run this command.
pub fn allowed_in_subscribed_context(server: &Server, idx: usize) -> bool {
    let Some(e) = server.commands.list.get(idx) else {
        return false;
    };
    matches!(
        e.fullname.as_str(),
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// SUBSCRIBE channel [channel ...]
pub fn subscribe_command(server: &mut Server, c: &mut Client) {
    // Such a client expects one reply per command; MULTI is let through
    // for backward compatibility, as in C.
    if c.flags & CLIENT_DENY_BLOCKING != 0 && c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("SUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for j in 1..c.argv.len() {
        let ch = std::mem::take(&mut c.argv[j]);
        pubsub_subscribe_channel(server, c, &ch, Kind::Global);
        c.argv[j] = ch;
    }
    c.flags |= CLIENT_PUBSUB;
}

/// UNSUBSCRIBE [channel ...]
pub fn unsubscribe_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_channels_internal(server, c, true, Kind::Global);
    } else {
        for j in 1..c.argv.len() {
            let ch = std::mem::take(&mut c.argv[j]);
            pubsub_unsubscribe_channel(server, c, &ch, true, Kind::Global);
            c.argv[j] = ch;
        }
    }
    leave_pubsub_mode_if_idle(c);
}

/// PSUBSCRIBE pattern [pattern ...]
pub fn psubscribe_command(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_DENY_BLOCKING != 0 && c.flags & CLIENT_MULTI == 0 {
        c.add_reply_error("PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for j in 1..c.argv.len() {
        let p = std::mem::take(&mut c.argv[j]);
        pubsub_subscribe_pattern(server, c, &p);
        c.argv[j] = p;
    }
    c.flags |= CLIENT_PUBSUB;
}

/// PUNSUBSCRIBE [pattern ...]
pub fn punsubscribe_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_patterns(server, c, true);
    } else {
        for j in 1..c.argv.len() {
            let p = std::mem::take(&mut c.argv[j]);
            pubsub_unsubscribe_pattern(server, c, &p, true);
            c.argv[j] = p;
        }
    }
    leave_pubsub_mode_if_idle(c);
}

/// PUBLISH channel message. (In a cluster the message also goes to the
/// other nodes over the bus, which the cluster module will add.)
pub fn publish_command(server: &mut Server, c: &mut Client) {
    let ch = std::mem::take(&mut c.argv[1]);
    let msg = std::mem::take(&mut c.argv[2]);
    let receivers = publish_internal(server, Some(c), &ch, &msg, Kind::Global);
    // In cluster mode the other nodes deliver it too
    // (`pubsubPublishMessageAndPropagateToCluster`).
    if server.cluster.is_some() {
        crate::cluster::gossip::cluster_propagate_publish(server, &ch, &msg, false);
    }
    c.argv[1] = ch;
    c.argv[2] = msg;
    c.add_reply_long_long(receivers as i64);
}

/// SPUBLISH shardchannel message
pub fn spublish_command(server: &mut Server, c: &mut Client) {
    let ch = std::mem::take(&mut c.argv[1]);
    let msg = std::mem::take(&mut c.argv[2]);
    let receivers = publish_internal(server, Some(c), &ch, &msg, Kind::Shard);
    // In cluster mode the other nodes deliver it too
    // (`pubsubPublishMessageAndPropagateToCluster`).
    if server.cluster.is_some() {
        crate::cluster::gossip::cluster_propagate_publish(server, &ch, &msg, true);
    }
    c.argv[1] = ch;
    c.argv[2] = msg;
    c.add_reply_long_long(receivers as i64);
}

/// SSUBSCRIBE shardchannel [shardchannel ...]
pub fn ssubscribe_command(server: &mut Server, c: &mut Client) {
    // No MULTI exception here: shard channels came after the behaviour it
    // keeps compatible.
    if c.flags & CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_error("SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for j in 1..c.argv.len() {
        let ch = std::mem::take(&mut c.argv[j]);
        pubsub_subscribe_channel(server, c, &ch, Kind::Shard);
        c.argv[j] = ch;
    }
    c.flags |= CLIENT_PUBSUB;
}

/// SUNSUBSCRIBE [shardchannel ...]
pub fn sunsubscribe_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_channels_internal(server, c, true, Kind::Shard);
    } else {
        for j in 1..c.argv.len() {
            let ch = std::mem::take(&mut c.argv[j]);
            pubsub_unsubscribe_channel(server, c, &ch, true, Kind::Shard);
            c.argv[j] = ch;
        }
    }
    leave_pubsub_mode_if_idle(c);
}

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP
pub fn pubsub_command(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let sub = c.argv[1].to_ascii_lowercase();
    match &sub[..] {
        b"help" if argc == 2 => c.add_reply_help("pubsub", PUBSUB_HELP),
        b"channels" if argc == 2 || argc == 3 => {
            let pat = c.argv.get(2).cloned();
            channel_list(c, pat.as_deref(), &server.pubsub.channels);
        }
        b"shardchannels" if argc == 2 || argc == 3 => {
            let pat = c.argv.get(2).cloned();
            channel_list(c, pat.as_deref(), &server.pubsub.shard_channels);
        }
        b"numsub" | b"shardnumsub" => {
            let table = if &sub[..] == b"numsub" {
                &server.pubsub.channels
            } else {
                &server.pubsub.shard_channels
            };
            c.add_reply_array_len((argc as i64 - 2) * 2);
            for j in 2..argc {
                let n = table.get(&c.argv[j]).map_or(0, Vec::len);
                let ch = std::mem::take(&mut c.argv[j]);
                c.add_reply_bulk(&ch);
                c.argv[j] = ch;
                c.add_reply_long_long(n as i64);
            }
        }
        b"numpat" if argc == 2 => c.add_reply_long_long(server.pubsub.patterns.len() as i64),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

/// `channelList`: the active channels, matching `pat` if given.
fn channel_list(c: &mut Client, pat: Option<&[u8]>, table: &HashMap<Vec<u8>, Vec<usize>>) {
    let names: Vec<&Vec<u8>> = table
        .keys()
        .filter(|ch| pat.is_none_or(|p| string_match_len(p, ch, false)))
        .collect();
    c.add_reply_array_len(names.len() as i64);
    for ch in names {
        c.add_reply_bulk(ch);
    }
}

/// `pubsubMemOverhead`: what the subscriptions cost the client, as C
/// counts it (entries and buckets, not the names, which are shared).
pub fn pubsub_mem_overhead(c: &Client) -> usize {
    let p = &c.pubsub;
    p.patterns.len() * 24
        + (p.channels.len() + p.shard_channels.len()) * 24
        + (p.channels.capacity() + p.shard_channels.capacity()) * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_counts() {
        let mut p = ClientPubsub::default();
        p.channels.insert(b"a".to_vec());
        p.patterns.push(b"b*".to_vec());
        p.shard_channels.insert(b"c".to_vec());
        assert_eq!(p.subscriptions_count(), 2);
        assert_eq!(p.total_count(), 3);
    }
}
