//! The cluster bus wire format: the packet structs of `cluster.h` and the
//! parts of `cluster.c` that build, size and check packets.
//!
//! Nodes of a Redis Cluster talk over a second TCP port with fixed-layout
//! binary packets: a 2256-byte header (`clusterMsg` without its data union)
//! followed by a body whose shape depends on the message type. This module
//! turns those bytes into [`ClusterMsg`] values and back, and nothing else:
//! it knows no nodes, links or state, so the rest of the cluster code can be
//! tested apart from the network and this part can be tested byte by byte
//! against a real 7.0.15 node.
//!
//! Layout rules that matter for compatibility:
//! - integers are big-endian, except the module id of a MODULE message,
//!   which the C code copies in host order (it is an opaque id that only a
//!   node of the same architecture compares), so it is written in native
//!   order here too;
//! - a PING, PONG or MEET carries `count` gossip entries of 104 bytes, then
//!   `extensions` ping extensions when the EXT_DATA message flag is set;
//!   each extension is an 8-byte header (length including itself, type)
//!   followed by data padded to a multiple of 8 bytes;
//! - PUBLISH and MODULE bodies end in a placeholder array of the C struct
//!   (8 and 3 bytes) that the payload overwrites, so their total length is
//!   the header, plus the fixed part, minus the placeholder, plus the
//!   payload.
//!
//! [`decode`] applies the checks of the bus read handler (signature, minimum
//! length) and of the start of `clusterProcessPacket` (version, the expected
//! length of each type, the extension walk). A decoded packet encodes back to
//! the same bytes as long as it is laid out the way a C node lays it out:
//! reserved fields zero, and the hostname extension no longer than C makes
//! it, its padding zeros.

/// Number of hash slots.
pub const CLUSTER_SLOTS: usize = 16384;
/// Length of a node name (40 hex characters, no terminator).
pub const CLUSTER_NAMELEN: usize = 40;
/// Size of the IP address fields, room for an IPv6 string and its NUL.
pub const NET_IP_STR_LEN: usize = 46;
/// Bus protocol version; packets of another version are ignored.
pub const CLUSTER_PROTO_VER: u16 = 1;

pub const CLUSTERMSG_TYPE_PING: u16 = 0;
pub const CLUSTERMSG_TYPE_PONG: u16 = 1;
pub const CLUSTERMSG_TYPE_MEET: u16 = 2;
pub const CLUSTERMSG_TYPE_FAIL: u16 = 3;
pub const CLUSTERMSG_TYPE_PUBLISH: u16 = 4;
pub const CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST: u16 = 5;
pub const CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK: u16 = 6;
pub const CLUSTERMSG_TYPE_UPDATE: u16 = 7;
pub const CLUSTERMSG_TYPE_MFSTART: u16 = 8;
pub const CLUSTERMSG_TYPE_MODULE: u16 = 9;
pub const CLUSTERMSG_TYPE_PUBLISHSHARD: u16 = 10;
/// Number of message types (sizes the per-type bus statistics).
pub const CLUSTERMSG_TYPE_COUNT: u16 = 11;

/// `mflags[0]`: the sending master is paused for a manual failover.
pub const CLUSTERMSG_FLAG0_PAUSED: u8 = 1;
/// `mflags[0]`: vote for this failover even if the master looks healthy.
pub const CLUSTERMSG_FLAG0_FORCEACK: u8 = 2;
/// `mflags[0]`: ping extensions follow the gossip section.
pub const CLUSTERMSG_FLAG0_EXT_DATA: u8 = 4;

/// Ping extension type carrying the announced hostname.
pub const CLUSTERMSG_EXT_TYPE_HOSTNAME: u16 = 0;

/// The header without the data union: the smallest valid packet.
pub const CLUSTERMSG_MIN_LEN: usize = 2256;
/// `sizeof(clusterMsg)`: header plus the largest body (UPDATE). The C read
/// handler reads at most this much per call.
pub const CLUSTERMSG_SIZE: usize = CLUSTERMSG_MIN_LEN + UPDATE_LEN;
/// Bytes needed before the total length of a packet is known.
pub const RCVBUF_MIN_READ_LEN: usize = 8;
/// `sizeof(clusterMsgDataGossip)`.
pub const GOSSIP_LEN: usize = 104;
/// `sizeof(clusterMsgPingExt)`: the header in front of each extension.
pub const PING_EXT_HDR_LEN: usize = 8;

/// A node name as it travels: 40 bytes, not NUL terminated.
pub type NodeName = [u8; CLUSTER_NAMELEN];
/// One bit per slot, slot 0 in the lowest bit of byte 0.
pub type SlotBitmap = [u8; CLUSTER_SLOTS / 8];

/// The log line (and link closing) of the read handler when the first
/// eight bytes cannot start a packet.
pub const BAD_MESSAGE_PREFIX: &str = "Bad message length or signature received from Cluster bus.";

const SIG: &[u8; 4] = b"RCmb";

// Header field offsets, as asserted in cluster.h.
const OFF_TOTLEN: usize = 4;
const OFF_VER: usize = 8;
const OFF_PORT: usize = 10;
const OFF_TYPE: usize = 12;
const OFF_COUNT: usize = 14;
const OFF_CURRENT_EPOCH: usize = 16;
const OFF_CONFIG_EPOCH: usize = 24;
const OFF_OFFSET: usize = 32;
const OFF_SENDER: usize = 40;
const OFF_MYSLOTS: usize = 80;
const OFF_SLAVEOF: usize = 2128;
const OFF_MYIP: usize = 2168;
const OFF_EXTENSIONS: usize = 2214;
const OFF_PPORT: usize = 2246;
const OFF_CPORT: usize = 2248;
const OFF_FLAGS: usize = 2250;
const OFF_STATE: usize = 2252;
const OFF_MFLAGS: usize = 2253;

/// `sizeof(clusterMsgDataFail)`.
const FAIL_LEN: usize = CLUSTER_NAMELEN;
/// `sizeof(clusterMsgDataUpdate)`: config epoch, node name, slots.
const UPDATE_LEN: usize = 8 + CLUSTER_NAMELEN + CLUSTER_SLOTS / 8;
/// `sizeof(clusterMsgDataPublish) - 8`: the two lengths before the payload.
const PUBLISH_FIXED_LEN: usize = 8;
/// `sizeof(clusterMsgModule) - 3`: id, length and type before the payload.
const MODULE_FIXED_LEN: usize = 13;

/// The fixed header of every bus packet (`clusterMsg` minus `data`).
///
/// `totlen`, and for PING/PONG/MEET also `count` and `extensions`, are
/// filled in by [`decode`] and recomputed by [`ClusterMsg::encode`].
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterMsgHeader {
    pub totlen: u32,
    pub ver: u16,
    /// Client port (TLS port when TLS is on).
    pub port: u16,
    pub type_: u16,
    pub count: u16,
    pub current_epoch: u64,
    pub config_epoch: u64,
    /// Replication offset of the sender.
    pub offset: u64,
    pub sender: NodeName,
    pub myslots: Box<SlotBitmap>,
    /// The sender's master; all zero bytes when it has none.
    pub slaveof: NodeName,
    /// NUL-padded announced IP; all zero lets the receiver use the peer
    /// address of the connection.
    pub myip: [u8; NET_IP_STR_LEN],
    pub extensions: u16,
    /// Plaintext port when `port` is the TLS one.
    pub pport: u16,
    pub cport: u16,
    /// The sender's node flags.
    pub flags: u16,
    /// The cluster state as the sender sees it.
    pub state: u8,
    pub mflags: [u8; 3],
}

/// One gossip entry of a PING/PONG/MEET.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterMsgDataGossip {
    pub nodename: NodeName,
    /// Seconds (not milliseconds) of the last ping sent to that node.
    pub ping_sent: u32,
    /// Seconds of the last pong received from it.
    pub pong_received: u32,
    pub ip: [u8; NET_IP_STR_LEN],
    pub port: u16,
    pub cport: u16,
    pub flags: u16,
    pub pport: u16,
}

/// A ping extension.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterMsgPingExt {
    /// The announced hostname, without its NUL terminator and padding.
    Hostname(Vec<u8>),
    /// A type 7.0.15 does not know: a receiver skips it. `data` is what
    /// follows the extension header (a multiple of 8 bytes when decoded).
    Unknown { type_: u16, data: Vec<u8> },
}

/// The body of a packet, by message type.
#[derive(Clone, Debug, PartialEq)]
pub enum ClusterMsgData {
    /// PING, PONG and MEET.
    Ping {
        gossip: Vec<ClusterMsgDataGossip>,
        extensions: Vec<ClusterMsgPingExt>,
    },
    Fail {
        nodename: NodeName,
    },
    /// PUBLISH and PUBLISHSHARD.
    Publish {
        channel: Vec<u8>,
        message: Vec<u8>,
    },
    Update {
        config_epoch: u64,
        nodename: NodeName,
        slots: Box<SlotBitmap>,
    },
    Module {
        module_id: u64,
        type_: u8,
        bulk_data: Vec<u8>,
    },
    /// FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK and MFSTART: header only.
    None,
}

/// A whole bus packet.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterMsg {
    pub hdr: ClusterMsgHeader,
    pub data: ClusterMsgData,
}

/// The name of a message type in log lines.
pub fn cluster_get_message_type_string(type_: u16) -> &'static str {
    match type_ {
        CLUSTERMSG_TYPE_PING => "ping",
        CLUSTERMSG_TYPE_PONG => "pong",
        CLUSTERMSG_TYPE_MEET => "meet",
        CLUSTERMSG_TYPE_FAIL => "fail",
        CLUSTERMSG_TYPE_PUBLISH => "publish",
        CLUSTERMSG_TYPE_PUBLISHSHARD => "publishshard",
        CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST => "auth-req",
        CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK => "auth-ack",
        CLUSTERMSG_TYPE_UPDATE => "update",
        CLUSTERMSG_TYPE_MFSTART => "mfstart",
        CLUSTERMSG_TYPE_MODULE => "module",
        _ => "unknown",
    }
}

/// `EIGHT_BYTE_ALIGN`: rounds up to a multiple of 8.
pub fn eight_byte_align(size: usize) -> usize {
    size.div_ceil(8) * 8
}

/// `getHostnamePingExtSize`: the bytes the hostname extension takes, 0 when
/// there is no hostname to announce (then no extension is sent).
pub fn get_hostname_ping_ext_size(hostname: &[u8]) -> usize {
    if hostname.is_empty() {
        return 0;
    }
    PING_EXT_HDR_LEN + eight_byte_align(hostname.len() + 1)
}

impl ClusterMsgPingExt {
    /// The bytes this extension takes on the wire, header included.
    pub fn wire_len(&self) -> usize {
        match self {
            // Unlike get_hostname_ping_ext_size, an empty hostname still
            // takes its header and NUL here: the value exists, so it is sent.
            ClusterMsgPingExt::Hostname(h) => PING_EXT_HDR_LEN + eight_byte_align(h.len() + 1),
            ClusterMsgPingExt::Unknown { data, .. } => {
                PING_EXT_HDR_LEN + eight_byte_align(data.len())
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let (type_, payload) = match self {
            ClusterMsgPingExt::Hostname(h) => (CLUSTERMSG_EXT_TYPE_HOSTNAME, h),
            ClusterMsgPingExt::Unknown { type_, data } => (*type_, data),
        };
        let len = self.wire_len();
        let start = out.len();
        put_u32(out, len as u32);
        put_u16(out, type_);
        put_u16(out, 0);
        out.extend_from_slice(payload);
        // The zeros are the hostname's terminator plus the alignment padding.
        out.resize(start + len, 0);
    }
}

impl ClusterMsgHeader {
    /// A header as `clusterBuildMessageHdr` starts it: version 1, the given
    /// type, everything else zero.
    pub fn new(type_: u16) -> ClusterMsgHeader {
        ClusterMsgHeader {
            totlen: 0,
            ver: CLUSTER_PROTO_VER,
            port: 0,
            type_,
            count: 0,
            current_epoch: 0,
            config_epoch: 0,
            offset: 0,
            sender: [0; CLUSTER_NAMELEN],
            myslots: Box::new([0; CLUSTER_SLOTS / 8]),
            slaveof: [0; CLUSTER_NAMELEN],
            myip: [0; NET_IP_STR_LEN],
            extensions: 0,
            pport: 0,
            cport: 0,
            flags: 0,
            state: 0,
            mflags: [0; 3],
        }
    }
}

impl ClusterMsgData {
    /// Bytes of the body on the wire.
    fn wire_len(&self) -> usize {
        match self {
            ClusterMsgData::Ping { gossip, extensions } => {
                gossip.len() * GOSSIP_LEN
                    + extensions
                        .iter()
                        .map(ClusterMsgPingExt::wire_len)
                        .sum::<usize>()
            }
            ClusterMsgData::Fail { .. } => FAIL_LEN,
            ClusterMsgData::Publish { channel, message } => {
                PUBLISH_FIXED_LEN + channel.len() + message.len()
            }
            ClusterMsgData::Update { .. } => UPDATE_LEN,
            ClusterMsgData::Module { bulk_data, .. } => MODULE_FIXED_LEN + bulk_data.len(),
            ClusterMsgData::None => 0,
        }
    }
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

impl ClusterMsg {
    /// Total length of the packet on the wire.
    pub fn wire_len(&self) -> usize {
        CLUSTERMSG_MIN_LEN + self.data.wire_len()
    }

    /// Appends the packet to `out` as a C node would send it. The signature,
    /// `totlen`, and for PING/PONG/MEET `count`, `extensions` and the
    /// EXT_DATA flag come from the body; the other header fields are written
    /// as they are (the message type is `hdr.type_`, whatever the body).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let h = &self.hdr;
        let totlen = self.wire_len();
        out.reserve(totlen);
        let start = out.len();
        let (count, extensions, mflags) = match &self.data {
            ClusterMsgData::Ping { gossip, extensions } => {
                let mut mflags = h.mflags;
                // C sets the flag only when it appends extensions; a flag
                // already in the header (a decoded packet) is kept so the
                // bytes come back unchanged.
                if !extensions.is_empty() {
                    mflags[0] |= CLUSTERMSG_FLAG0_EXT_DATA;
                }
                (gossip.len() as u16, extensions.len() as u16, mflags)
            }
            _ => (h.count, h.extensions, h.mflags),
        };
        out.extend_from_slice(SIG);
        // Lengths are bounded by what the cluster code puts in a message
        // (proto-max-bulk-len for PUBLISH), far below 4 GB.
        put_u32(out, totlen as u32);
        put_u16(out, h.ver);
        put_u16(out, h.port);
        put_u16(out, h.type_);
        put_u16(out, count);
        put_u64(out, h.current_epoch);
        put_u64(out, h.config_epoch);
        put_u64(out, h.offset);
        out.extend_from_slice(&h.sender);
        out.extend_from_slice(&h.myslots[..]);
        out.extend_from_slice(&h.slaveof);
        out.extend_from_slice(&h.myip);
        put_u16(out, extensions);
        out.extend_from_slice(&[0; 30]);
        put_u16(out, h.pport);
        put_u16(out, h.cport);
        put_u16(out, h.flags);
        out.push(h.state);
        out.extend_from_slice(&mflags);
        debug_assert_eq!(out.len() - start, CLUSTERMSG_MIN_LEN);

        match &self.data {
            ClusterMsgData::Ping { gossip, extensions } => {
                for g in gossip {
                    out.extend_from_slice(&g.nodename);
                    put_u32(out, g.ping_sent);
                    put_u32(out, g.pong_received);
                    out.extend_from_slice(&g.ip);
                    put_u16(out, g.port);
                    put_u16(out, g.cport);
                    put_u16(out, g.flags);
                    put_u16(out, g.pport);
                    put_u16(out, 0);
                }
                for ext in extensions {
                    ext.encode(out);
                }
            }
            ClusterMsgData::Fail { nodename } => out.extend_from_slice(nodename),
            ClusterMsgData::Publish { channel, message } => {
                put_u32(out, channel.len() as u32);
                put_u32(out, message.len() as u32);
                out.extend_from_slice(channel);
                out.extend_from_slice(message);
            }
            ClusterMsgData::Update {
                config_epoch,
                nodename,
                slots,
            } => {
                put_u64(out, *config_epoch);
                out.extend_from_slice(nodename);
                out.extend_from_slice(&slots[..]);
            }
            ClusterMsgData::Module {
                module_id,
                type_,
                bulk_data,
            } => {
                out.extend_from_slice(&module_id.to_ne_bytes());
                put_u32(out, bulk_data.len() as u32);
                out.push(*type_);
                out.extend_from_slice(bulk_data);
            }
            ClusterMsgData::None => {}
        }
        debug_assert_eq!(out.len() - start, totlen);
    }

    /// The encoded packet in a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// The total length announced by the first 8 bytes of a packet, once that
/// many bytes have been read.
pub fn peek_totlen(buf: &[u8]) -> Option<u32> {
    let b = buf.get(OFF_TOTLEN..OFF_TOTLEN + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The read handler's check of the first 8 bytes: the signature and a total
/// length of at least a header. On `Err` C logs [`BAD_MESSAGE_PREFIX`] and
/// frees the link; on `Ok` the packet is `totlen` bytes long.
pub fn check_prefix(buf: &[u8]) -> Result<u32, String> {
    match peek_totlen(buf) {
        Some(totlen) if buf.starts_with(SIG) && totlen as usize >= CLUSTERMSG_MIN_LEN => Ok(totlen),
        _ => Err(BAD_MESSAGE_PREFIX.to_string()),
    }
}

fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes(array_at(b, off))
}

fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(array_at(b, off))
}

fn be64(b: &[u8], off: usize) -> u64 {
    u64::from_be_bytes(array_at(b, off))
}

/// `N` bytes at `off`; bytes past the end of `b` read as zero. Every caller
/// has checked the length first, the zeros only keep a slip from panicking.
fn array_at<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(src) = b.get(off..) {
        let n = src.len().min(N);
        a[..n].copy_from_slice(&src[..n]);
    }
    a
}

fn decode_header(b: &[u8]) -> ClusterMsgHeader {
    let mut myslots: Box<SlotBitmap> = Box::new([0; CLUSTER_SLOTS / 8]);
    *myslots = array_at(b, OFF_MYSLOTS);
    ClusterMsgHeader {
        totlen: be32(b, OFF_TOTLEN),
        ver: be16(b, OFF_VER),
        port: be16(b, OFF_PORT),
        type_: be16(b, OFF_TYPE),
        count: be16(b, OFF_COUNT),
        current_epoch: be64(b, OFF_CURRENT_EPOCH),
        config_epoch: be64(b, OFF_CONFIG_EPOCH),
        offset: be64(b, OFF_OFFSET),
        sender: array_at(b, OFF_SENDER),
        myslots,
        slaveof: array_at(b, OFF_SLAVEOF),
        myip: array_at(b, OFF_MYIP),
        extensions: be16(b, OFF_EXTENSIONS),
        pport: be16(b, OFF_PPORT),
        cport: be16(b, OFF_CPORT),
        flags: be16(b, OFF_FLAGS),
        state: array_at::<1>(b, OFF_STATE)[0],
        mflags: array_at(b, OFF_MFLAGS),
    }
}

fn decode_gossip(e: &[u8]) -> ClusterMsgDataGossip {
    ClusterMsgDataGossip {
        nodename: array_at(e, 0),
        ping_sent: be32(e, 40),
        pong_received: be32(e, 44),
        ip: array_at(e, 48),
        port: be16(e, 94),
        cport: be16(e, 96),
        flags: be16(e, 98),
        pport: be16(e, 100),
    }
}

/// Walks the ping extensions that start at offset `explen` (the end of the
/// gossip section) the way `clusterProcessPacket` validates them, returning
/// them and the offset where they end.
fn decode_ping_exts(
    buf: &[u8],
    hdr: &ClusterMsgHeader,
    mut explen: usize,
) -> Result<(Vec<ClusterMsgPingExt>, usize), String> {
    let totlen = buf.len();
    let name = cluster_get_message_type_string(hdr.type_);
    let exceeds = || {
        format!(
            "Received invalid {name} packet with extension data that exceeds \
             total packet length ({totlen})"
        )
    };
    let mut exts = Vec::new();
    for _ in 0..hdr.extensions {
        if totlen - explen < PING_EXT_HDR_LEN {
            return Err(exceeds());
        }
        let length = be32(buf, explen);
        // C keeps the length in 16 bits while checking it, then steps by
        // the full 32 bits: lengths that differ there are refused here,
        // since C would walk outside what it checked.
        let extlen = usize::from(length as u16);
        if extlen < PING_EXT_HDR_LEN || extlen % 8 != 0 {
            return Err(format!(
                "Received a {name} packet without proper padding ({extlen} bytes)"
            ));
        }
        if totlen - explen < extlen {
            return Err(exceeds());
        }
        if length as usize != extlen {
            return Err(format!(
                "Received a {name} packet with an extension length of {length} bytes"
            ));
        }
        let exttype = be16(buf, explen + 4);
        let data = buf
            .get(explen + PING_EXT_HDR_LEN..explen + extlen)
            .unwrap_or(&[]);
        if exttype == CLUSTERMSG_EXT_TYPE_HOSTNAME {
            if data.last() != Some(&0) {
                return Err(format!(
                    "Received {name} packet with missing null terminator in extension type {exttype}"
                ));
            }
            // The receiver reads the hostname as a C string.
            let end = data.iter().position(|&c| c == 0).unwrap_or(data.len());
            exts.push(ClusterMsgPingExt::Hostname(data[..end].to_vec()));
        } else {
            exts.push(ClusterMsgPingExt::Unknown {
                type_: exttype,
                data: data.to_vec(),
            });
        }
        explen += extlen;
    }
    Ok((exts, explen))
}

/// Checks one whole packet (`buf` is exactly `totlen` bytes) like the bus
/// read handler and the start of `clusterProcessPacket`, then parses it.
///
/// `Err` carries the text C logs for that case. The prefix failure
/// ([`BAD_MESSAGE_PREFIX`]) makes C free the link; for every other failure
/// 7.0.15 only drops the packet and keeps the link. Reasons C has no log
/// line for: a buffer whose length is not `totlen` (a caller bug), a
/// protocol version other than 1 (C drops it silently), extensions without
/// the EXT_DATA flag and extension lengths over 16 bits (C reads outside
/// the packet there), and PUBLISH/MODULE lengths whose sum overflows 32 bits
/// (C would read gigabytes past the packet). An unknown type passes C's
/// checks and is then dropped with "Received unknown packet type: N", which
/// is the reason given here.
pub fn decode(buf: &[u8]) -> Result<ClusterMsg, String> {
    let totlen = check_prefix(buf)? as usize;
    if totlen != buf.len() {
        return Err(format!(
            "Cluster bus packet announces {totlen} bytes but {} were given",
            buf.len()
        ));
    }
    let hdr = decode_header(buf);
    if hdr.ver != CLUSTER_PROTO_VER {
        return Err(format!(
            "Cluster bus packet of protocol version {} ignored",
            hdr.ver
        ));
    }
    let name = cluster_get_message_type_string(hdr.type_);
    let body = buf.get(CLUSTERMSG_MIN_LEN..).unwrap_or(&[]);
    // Computed in 64 bits: PUBLISH and MODULE lengths can add up past 4 GB.
    let mut explen = CLUSTERMSG_MIN_LEN as u64;
    let data = match hdr.type_ {
        CLUSTERMSG_TYPE_PING | CLUSTERMSG_TYPE_PONG | CLUSTERMSG_TYPE_MEET => {
            explen += (GOSSIP_LEN * usize::from(hdr.count)) as u64;
            if (totlen as u64) < explen {
                return Err(format!(
                    "Received invalid {name} packet with gossip count {} that exceeds \
                     total packet length ({totlen})",
                    hdr.count
                ));
            }
            let gossip = body
                .chunks_exact(GOSSIP_LEN)
                .take(usize::from(hdr.count))
                .map(decode_gossip)
                .collect();
            let extensions = if hdr.mflags[0] & CLUSTERMSG_FLAG0_EXT_DATA != 0 {
                let (exts, len) = decode_ping_exts(buf, &hdr, explen as usize)?;
                explen = len as u64;
                exts
            } else if hdr.extensions != 0 {
                return Err(format!(
                    "Received {name} packet with {} extensions but no extension data flag",
                    hdr.extensions
                ));
            } else {
                Vec::new()
            };
            ClusterMsgData::Ping { gossip, extensions }
        }
        CLUSTERMSG_TYPE_FAIL => {
            explen += FAIL_LEN as u64;
            ClusterMsgData::Fail {
                nodename: array_at(body, 0),
            }
        }
        CLUSTERMSG_TYPE_PUBLISH | CLUSTERMSG_TYPE_PUBLISHSHARD => {
            let channel_len = be32(body, 0);
            let message_len = be32(body, 4);
            explen += PUBLISH_FIXED_LEN as u64 + u64::from(channel_len) + u64::from(message_len);
            let payload = body.get(PUBLISH_FIXED_LEN..).unwrap_or(&[]);
            let (channel, message) = payload.split_at((channel_len as usize).min(payload.len()));
            ClusterMsgData::Publish {
                channel: channel.to_vec(),
                message: message.to_vec(),
            }
        }
        CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST
        | CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK
        | CLUSTERMSG_TYPE_MFSTART => ClusterMsgData::None,
        CLUSTERMSG_TYPE_UPDATE => {
            explen += UPDATE_LEN as u64;
            let mut slots: Box<SlotBitmap> = Box::new([0; CLUSTER_SLOTS / 8]);
            *slots = array_at(body, 8 + CLUSTER_NAMELEN);
            ClusterMsgData::Update {
                config_epoch: be64(body, 0),
                nodename: array_at(body, 8),
                slots,
            }
        }
        CLUSTERMSG_TYPE_MODULE => {
            explen += MODULE_FIXED_LEN as u64 + u64::from(be32(body, 8));
            ClusterMsgData::Module {
                module_id: u64::from_ne_bytes(array_at(body, 0)),
                type_: array_at::<1>(body, 12)[0],
                bulk_data: body.get(MODULE_FIXED_LEN..).unwrap_or(&[]).to_vec(),
            }
        }
        other => return Err(format!("Received unknown packet type: {other}")),
    };
    if totlen as u64 != explen {
        return Err(format!(
            "Received invalid {name} packet of length {totlen} but expected length {explen}"
        ));
    }
    Ok(ClusterMsg { hdr, data })
}

/// Whether `slot` is set in the bitmap (false for slots out of range).
pub fn slot_bitmap_test(bm: &SlotBitmap, slot: usize) -> bool {
    bm.get(slot / 8).is_some_and(|b| b & (1 << (slot & 7)) != 0)
}

/// Sets `slot` in the bitmap (slots out of range are ignored).
pub fn slot_bitmap_set(bm: &mut SlotBitmap, slot: usize) {
    if let Some(b) = bm.get_mut(slot / 8) {
        *b |= 1 << (slot & 7);
    }
}

/// Clears `slot` in the bitmap (slots out of range are ignored).
pub fn slot_bitmap_clear(bm: &mut SlotBitmap, slot: usize) {
    if let Some(b) = bm.get_mut(slot / 8) {
        *b &= !(1 << (slot & 7));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn name(c: u8) -> NodeName {
        [c; CLUSTER_NAMELEN]
    }

    fn ip(s: &str) -> [u8; NET_IP_STR_LEN] {
        let mut a = [0; NET_IP_STR_LEN];
        a[..s.len()].copy_from_slice(s.as_bytes());
        a
    }

    fn header(type_: u16) -> ClusterMsgHeader {
        let mut h = ClusterMsgHeader::new(type_);
        h.port = 7000;
        h.current_epoch = 5;
        h.config_epoch = 3;
        h.offset = 12345;
        h.sender = name(b'a');
        slot_bitmap_set(&mut h.myslots, 0);
        slot_bitmap_set(&mut h.myslots, 16383);
        h.myip = ip("10.0.0.1");
        h.pport = 0;
        h.cport = 17000;
        h.flags = 1;
        h
    }

    fn gossip(c: u8) -> ClusterMsgDataGossip {
        ClusterMsgDataGossip {
            nodename: name(c),
            ping_sent: 1_700_000_000,
            pong_received: 1_700_000_001,
            ip: ip("127.0.0.1"),
            port: 7001,
            cport: 17001,
            flags: 2,
            pport: 0,
        }
    }

    /// One message of every type, with its expected wire length.
    fn samples() -> Vec<(ClusterMsg, usize)> {
        let mut slots: Box<SlotBitmap> = Box::new([0; CLUSTER_SLOTS / 8]);
        slot_bitmap_set(&mut slots, 42);
        let ping = |type_, gossip: Vec<ClusterMsgDataGossip>, extensions| ClusterMsg {
            hdr: header(type_),
            data: ClusterMsgData::Ping { gossip, extensions },
        };
        let simple = |type_, data| ClusterMsg {
            hdr: header(type_),
            data,
        };
        vec![
            (ping(CLUSTERMSG_TYPE_PING, vec![], vec![]), 2256),
            (
                ping(
                    CLUSTERMSG_TYPE_PONG,
                    vec![gossip(b'b'), gossip(b'c')],
                    vec![ClusterMsgPingExt::Hostname(b"somehost".to_vec())],
                ),
                2256 + 2 * 104 + 8 + 16,
            ),
            (
                ping(
                    CLUSTERMSG_TYPE_MEET,
                    vec![gossip(b'd')],
                    vec![
                        ClusterMsgPingExt::Hostname(b"h".to_vec()),
                        ClusterMsgPingExt::Unknown {
                            type_: 7,
                            data: vec![1, 2, 3, 4, 5, 6, 7, 8],
                        },
                    ],
                ),
                2256 + 104 + 16 + 16,
            ),
            (
                simple(
                    CLUSTERMSG_TYPE_FAIL,
                    ClusterMsgData::Fail {
                        nodename: name(b'e'),
                    },
                ),
                2296,
            ),
            (
                simple(
                    CLUSTERMSG_TYPE_PUBLISH,
                    ClusterMsgData::Publish {
                        channel: b"chan".to_vec(),
                        message: b"hello".to_vec(),
                    },
                ),
                2264 + 9,
            ),
            (
                simple(
                    CLUSTERMSG_TYPE_PUBLISHSHARD,
                    ClusterMsgData::Publish {
                        channel: vec![],
                        message: vec![],
                    },
                ),
                2264,
            ),
            (
                simple(CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST, ClusterMsgData::None),
                2256,
            ),
            (
                simple(CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK, ClusterMsgData::None),
                2256,
            ),
            (simple(CLUSTERMSG_TYPE_MFSTART, ClusterMsgData::None), 2256),
            (
                simple(
                    CLUSTERMSG_TYPE_UPDATE,
                    ClusterMsgData::Update {
                        config_epoch: 9,
                        nodename: name(b'f'),
                        slots,
                    },
                ),
                4352,
            ),
            (
                simple(
                    CLUSTERMSG_TYPE_MODULE,
                    ClusterMsgData::Module {
                        module_id: 0x0102_0304_0506_0708,
                        type_: 200,
                        bulk_data: b"payload".to_vec(),
                    },
                ),
                2269 + 7,
            ),
        ]
    }

    /// The header a decoder reports for `msg`: the derived fields filled in.
    fn expected_header(msg: &ClusterMsg, len: usize) -> ClusterMsgHeader {
        let mut h = msg.hdr.clone();
        h.totlen = len as u32;
        if let ClusterMsgData::Ping { gossip, extensions } = &msg.data {
            h.count = gossip.len() as u16;
            h.extensions = extensions.len() as u16;
            if !extensions.is_empty() {
                h.mflags[0] |= CLUSTERMSG_FLAG0_EXT_DATA;
            }
        }
        h
    }

    #[test]
    fn sizes_match_the_c_structs() {
        assert_eq!(CLUSTERMSG_SIZE, 4352);
        assert_eq!(OFF_MFLAGS + 3, CLUSTERMSG_MIN_LEN);
        assert_eq!(UPDATE_LEN, 2096);
    }

    #[test]
    fn every_type_round_trips() {
        for (msg, len) in samples() {
            let bytes = msg.to_bytes();
            assert_eq!(bytes.len(), len, "type {}", msg.hdr.type_);
            assert_eq!(&bytes[..4], b"RCmb");
            assert_eq!(peek_totlen(&bytes), Some(len as u32));
            let back = decode(&bytes).expect("decodes");
            assert_eq!(back.hdr, expected_header(&msg, len));
            assert_eq!(back.data, msg.data);
            assert_eq!(back.to_bytes(), bytes);
        }
    }

    #[test]
    fn header_fields_sit_at_the_cluster_h_offsets() {
        let mut h = ClusterMsgHeader::new(CLUSTERMSG_TYPE_MFSTART);
        h.ver = 0x0102;
        h.port = 0x0304;
        h.type_ = 0x0506;
        h.count = 0x0708;
        h.current_epoch = 0x1112_1314_1516_1718;
        h.config_epoch = 0x2122_2324_2526_2728;
        h.offset = 0x3132_3334_3536_3738;
        h.sender = name(b'S');
        h.myslots = Box::new([0x5a; CLUSTER_SLOTS / 8]);
        h.slaveof = name(b'M');
        h.myip = [b'I'; NET_IP_STR_LEN];
        h.extensions = 0x4142;
        h.pport = 0x4344;
        h.cport = 0x4546;
        h.flags = 0x4748;
        h.state = 0x49;
        h.mflags = [0x4a, 0x4b, 0x4c];
        let msg = ClusterMsg {
            hdr: h,
            data: ClusterMsgData::None,
        };
        let b = msg.to_bytes();
        assert_eq!(b.len(), CLUSTERMSG_MIN_LEN);
        assert_eq!(&b[0..4], b"RCmb");
        assert_eq!(&b[4..8], &[0, 0, 0x08, 0xd0]); // 2256
        assert_eq!(&b[8..10], &[1, 2]);
        assert_eq!(&b[10..12], &[3, 4]);
        assert_eq!(&b[12..14], &[5, 6]);
        assert_eq!(&b[14..16], &[7, 8]);
        assert_eq!(
            &b[16..24],
            &[0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18]
        );
        assert_eq!(
            &b[24..32],
            &[0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28]
        );
        assert_eq!(
            &b[32..40],
            &[0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38]
        );
        assert_eq!(&b[40..80], &[b'S'; 40]);
        assert!(b[80..2128].iter().all(|&x| x == 0x5a));
        assert_eq!(&b[2128..2168], &[b'M'; 40]);
        assert_eq!(&b[2168..2214], &[b'I'; 46]);
        assert_eq!(&b[2214..2216], &[0x41, 0x42]);
        assert_eq!(&b[2216..2246], &[0; 30]);
        assert_eq!(&b[2246..2248], &[0x43, 0x44]);
        assert_eq!(&b[2248..2250], &[0x45, 0x46]);
        assert_eq!(&b[2250..2252], &[0x47, 0x48]);
        assert_eq!(b[2252], 0x49);
        assert_eq!(&b[2253..2256], &[0x4a, 0x4b, 0x4c]);
        // A wrong version is refused; fixed, every field reads back.
        assert!(decode(&b).is_err());
        let mut msg = msg;
        msg.hdr.ver = CLUSTER_PROTO_VER;
        msg.hdr.type_ = CLUSTERMSG_TYPE_MFSTART;
        let b = msg.to_bytes();
        assert_eq!(
            decode(&b).expect("decodes").hdr,
            expected_header(&msg, 2256)
        );
    }

    #[test]
    fn body_layouts() {
        // Gossip entry: 104 bytes, fields at their C offsets.
        let msg = ClusterMsg {
            hdr: header(CLUSTERMSG_TYPE_PING),
            data: ClusterMsgData::Ping {
                gossip: vec![gossip(b'g')],
                extensions: vec![ClusterMsgPingExt::Hostname(b"somehost".to_vec())],
            },
        };
        let b = msg.to_bytes();
        assert_eq!(&b[14..16], &[0, 1]); // count
        assert_eq!(&b[2214..2216], &[0, 1]); // extensions
        assert_eq!(b[2253], CLUSTERMSG_FLAG0_EXT_DATA);
        let g = &b[2256..2360];
        assert_eq!(&g[0..40], &[b'g'; 40]);
        assert_eq!(&g[40..44], &1_700_000_000u32.to_be_bytes());
        assert_eq!(&g[44..48], &1_700_000_001u32.to_be_bytes());
        assert_eq!(&g[48..58], b"127.0.0.1\0");
        assert_eq!(&g[94..104], &[0x1b, 0x59, 0x42, 0x69, 0, 2, 0, 0, 0, 0]);
        // Hostname extension: length 16+8, type 0, "somehost", NUL, padding.
        let e = &b[2360..];
        assert_eq!(e, b"\0\0\0\x18\0\0\0\0somehost\0\0\0\0\0\0\0\0");
        assert_eq!(get_hostname_ping_ext_size(b"somehost"), 24);
        assert_eq!(get_hostname_ping_ext_size(b"somehos"), 16);
        assert_eq!(get_hostname_ping_ext_size(b""), 0);

        let (publish, _) = &samples()[4];
        let b = publish.to_bytes();
        assert_eq!(&b[2256..], b"\0\0\0\x04\0\0\0\x05chanhello");

        let (module, _) = &samples()[10];
        let b = module.to_bytes();
        assert_eq!(&b[2256..2264], &0x0102_0304_0506_0708u64.to_ne_bytes());
        assert_eq!(&b[2264..], b"\0\0\0\x07\xc8payload");

        let (update, _) = &samples()[9];
        let b = update.to_bytes();
        assert_eq!(&b[2256..2264], &9u64.to_be_bytes());
        assert_eq!(&b[2264..2304], &[b'f'; 40]);
        assert_eq!(b[2304 + 42 / 8], 1 << (42 % 8));
    }

    fn pong_with_hostname() -> Vec<u8> {
        samples()[1].0.to_bytes()
    }

    fn set_u16(b: &mut [u8], off: usize, v: u16) {
        b[off..off + 2].copy_from_slice(&v.to_be_bytes());
    }

    fn set_u32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_be_bytes());
    }

    #[test]
    fn malformed_packets_are_refused() {
        let good = pong_with_hostname();
        let ext = 2256 + 2 * 104;
        assert!(decode(&good).is_ok());
        let err = |b: &[u8]| decode(b).expect_err("must be refused");

        // Short, or a signature / totlen the read handler refuses.
        assert_eq!(err(&good[..7]), BAD_MESSAGE_PREFIX);
        assert_eq!(err(&[]), BAD_MESSAGE_PREFIX);
        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(err(&b), BAD_MESSAGE_PREFIX);
        let mut b = good.clone();
        set_u32(&mut b, 4, 2255);
        assert_eq!(err(&b), BAD_MESSAGE_PREFIX);
        assert_eq!(check_prefix(&good), Ok(good.len() as u32));

        // totlen not the buffer's length.
        assert!(err(&good[..good.len() - 1]).contains("announces"));

        // Wrong version.
        let mut b = good.clone();
        set_u16(&mut b, 8, 2);
        assert!(err(&b).contains("version 2"));

        // Gossip count beyond the packet.
        let mut b = good.clone();
        set_u16(&mut b, 14, 40);
        assert_eq!(
            err(&b),
            format!(
                "Received invalid pong packet with gossip count 40 that exceeds \
                 total packet length ({})",
                good.len()
            )
        );
        // A count that fits but leaves bytes over.
        let mut b = good.clone();
        set_u16(&mut b, 14, 1);
        b[2253] = 0;
        set_u16(&mut b, 2214, 0);
        assert_eq!(
            err(&b),
            format!(
                "Received invalid pong packet of length {} but expected length 2360",
                good.len()
            )
        );

        // More extensions announced than present.
        let mut b = good.clone();
        set_u16(&mut b, 2214, 2);
        assert_eq!(
            err(&b),
            format!(
                "Received invalid pong packet with extension data that exceeds \
                 total packet length ({})",
                good.len()
            )
        );
        // Extension truncated: its length points past the packet.
        let mut b = good.clone();
        set_u32(&mut b, ext, 32);
        assert!(err(&b).contains("extension data that exceeds"));
        // Extension lengths that are not a multiple of 8, or too short.
        let mut b = good.clone();
        set_u32(&mut b, ext, 20);
        assert_eq!(
            err(&b),
            "Received a pong packet without proper padding (20 bytes)"
        );
        let mut b = good.clone();
        set_u32(&mut b, ext, 0);
        assert_eq!(
            err(&b),
            "Received a pong packet without proper padding (0 bytes)"
        );
        // Extension length over 16 bits.
        let mut b = good.clone();
        set_u32(&mut b, ext, 0x10018);
        assert!(err(&b).contains("extension length of 65560"));
        // Hostname without its terminator.
        let mut b = good.clone();
        let last = b.len() - 1;
        b[last] = b'x';
        assert_eq!(
            err(&b),
            "Received pong packet with missing null terminator in extension type 0"
        );
        // Extensions counted but not flagged.
        let mut b = good.clone();
        b[2253] = 0;
        assert!(err(&b).contains("no extension data flag"));
        // Flagged, but none counted: C checks the length only.
        let mut b = good.clone();
        set_u16(&mut b, 2214, 0);
        assert!(err(&b).contains("but expected length 2464"));

        // Fixed-size bodies with the wrong length.
        let (fail, _) = &samples()[3];
        let mut b = fail.to_bytes();
        b.push(0);
        set_u32(&mut b, 4, 2297);
        assert_eq!(
            err(&b),
            "Received invalid fail packet of length 2297 but expected length 2296"
        );
        // PUBLISH lengths that do not add up, or that add up only modulo
        // 2^32 (C accepts that one and then reads far past the packet).
        let (publish, _) = &samples()[4];
        let mut b = publish.to_bytes();
        set_u32(&mut b, 2256, 5);
        assert!(err(&b).contains("of length 2273 but expected length 2274"));
        set_u32(&mut b, 2256, u32::MAX);
        set_u32(&mut b, 2260, 2273 - 2264 + 1);
        assert!(err(&b).contains("expected length 4294969569"));
        // A PUBLISH too short to hold its two lengths.
        let mut b = publish.to_bytes();
        b.truncate(2260);
        set_u32(&mut b, 4, 2260);
        assert!(err(&b).contains("of length 2260 but expected length"));
        // MODULE with a payload length that disagrees.
        let (module, _) = &samples()[10];
        let mut b = module.to_bytes();
        set_u32(&mut b, 2264, 8);
        assert!(err(&b).contains("Received invalid module packet of length 2276"));
        // Unknown type.
        let mut b = fail.to_bytes();
        set_u16(&mut b, 12, 11);
        assert_eq!(err(&b), "Received unknown packet type: 11");
    }

    #[test]
    fn unknown_extensions_are_kept_and_skipped() {
        let (meet, _) = &samples()[2];
        let back = decode(&meet.to_bytes()).expect("decodes");
        let ClusterMsgData::Ping { extensions, .. } = back.data else {
            panic!("not a ping body");
        };
        assert_eq!(extensions[0], ClusterMsgPingExt::Hostname(b"h".to_vec()));
        assert!(matches!(
            extensions[1],
            ClusterMsgPingExt::Unknown { type_: 7, .. }
        ));
    }

    #[test]
    fn slot_bitmap_helpers() {
        let mut bm: SlotBitmap = [0; CLUSTER_SLOTS / 8];
        slot_bitmap_set(&mut bm, 9);
        assert_eq!(bm[1], 2);
        assert!(slot_bitmap_test(&bm, 9));
        assert!(!slot_bitmap_test(&bm, 8));
        slot_bitmap_clear(&mut bm, 9);
        assert!(!slot_bitmap_test(&bm, 9));
        slot_bitmap_set(&mut bm, CLUSTER_SLOTS);
        assert!(!slot_bitmap_test(&bm, CLUSTER_SLOTS));
        assert!(bm.iter().all(|&b| b == 0));
    }

    /// Random bytes, truncations and single-byte corruptions of valid
    /// packets: decoding never panics, and whatever decodes re-encodes to
    /// a packet that decodes to the same message.
    #[test]
    fn decoding_arbitrary_bytes_never_panics() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
        let valid: Vec<Vec<u8>> = samples().iter().map(|(m, _)| m.to_bytes()).collect();
        let mut decoded = 0;
        let mut check = |b: &[u8]| {
            if let Ok(m) = decode(b) {
                let again = m.to_bytes();
                assert_eq!(decode(&again).as_ref(), Ok(&m));
                decoded += 1;
            }
        };
        for _ in 0..2000 {
            let len = rng.gen_range(0..5000);
            let mut b: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            check(&b);
            if b.len() >= 16 {
                b[..4].copy_from_slice(b"RCmb");
                set_u32(&mut b, 4, len as u32);
                set_u16(&mut b, 8, 1);
                set_u16(&mut b, 12, rng.gen_range(0..12));
                set_u16(&mut b, 14, rng.gen_range(0..4));
                check(&b);
            }
        }
        for p in &valid {
            for cut in 0..p.len().min(2600) {
                check(&p[..cut]);
                let mut t = p[..cut].to_vec();
                if t.len() >= 8 {
                    set_u32(&mut t, 4, cut as u32);
                }
                check(&t);
            }
            for _ in 0..3000 {
                let mut b = p.clone();
                let at = rng.gen_range(0..b.len());
                b[at] = rng.gen();
                if rng.gen_bool(0.5) {
                    let at = rng.gen_range(0..b.len().min(2300));
                    b[at] = rng.gen();
                }
                check(&b);
            }
        }
        // Most single-byte corruptions hit fields decode takes as they are.
        assert!(decoded > 10_000, "only {decoded} corrupted packets decoded");
    }
}
