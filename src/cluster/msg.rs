//! The cluster bus wire format (the message structs of `cluster.h`).
//!
//! Interim encoder/decoder written against the API agreed with branch
//! `cluster-msg`, so the bus can be tested end to end before that branch
//! lands; its version replaces this file. Every multi-byte field is big
//! endian, the layout is the packed C layout of 7.0.15 (`clusterMsg` is a
//! 2256-byte header followed by the type's data).

pub const CLUSTER_SLOTS: usize = 16384;
pub const CLUSTER_NAMELEN: usize = 40;
pub const NET_IP_STR_LEN: usize = 46;
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
pub const CLUSTERMSG_TYPE_COUNT: u16 = 11;

pub const CLUSTERMSG_FLAG0_PAUSED: u8 = 1 << 0;
pub const CLUSTERMSG_FLAG0_FORCEACK: u8 = 1 << 1;
pub const CLUSTERMSG_FLAG0_EXT_DATA: u8 = 1 << 2;

pub const CLUSTERMSG_EXT_TYPE_HOSTNAME: u16 = 0;

/// The header alone (`sizeof(clusterMsg) - sizeof(union clusterMsgData)`).
pub const CLUSTERMSG_MIN_LEN: usize = 2256;
/// Bytes read before the length of a packet is known.
pub const RCVBUF_MIN_READ_LEN: usize = 8;

const GOSSIP_LEN: usize = 104;
const EXT_HDR_LEN: usize = 8;
const UPDATE_LEN: usize = 8 + CLUSTER_NAMELEN + CLUSTER_SLOTS / 8;

pub type NodeName = [u8; CLUSTER_NAMELEN];
pub type SlotBitmap = [u8; CLUSTER_SLOTS / 8];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMsgHeader {
    pub totlen: u32,
    pub ver: u16,
    pub port: u16,
    pub type_: u16,
    pub count: u16,
    pub current_epoch: u64,
    pub config_epoch: u64,
    pub offset: u64,
    pub sender: NodeName,
    pub myslots: Box<SlotBitmap>,
    pub slaveof: NodeName,
    pub myip: [u8; NET_IP_STR_LEN],
    pub extensions: u16,
    pub pport: u16,
    pub cport: u16,
    pub flags: u16,
    pub state: u8,
    pub mflags: [u8; 3],
}

impl Default for ClusterMsgHeader {
    fn default() -> Self {
        ClusterMsgHeader {
            totlen: 0,
            ver: CLUSTER_PROTO_VER,
            port: 0,
            type_: 0,
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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMsgDataGossip {
    pub nodename: NodeName,
    pub ping_sent: u32,
    pub pong_received: u32,
    pub ip: [u8; NET_IP_STR_LEN],
    pub port: u16,
    pub cport: u16,
    pub flags: u16,
    pub pport: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterMsgPingExt {
    Hostname(Vec<u8>),
    Unknown { type_: u16, data: Vec<u8> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterMsgData {
    Ping {
        gossip: Vec<ClusterMsgDataGossip>,
        extensions: Vec<ClusterMsgPingExt>,
    },
    Fail {
        nodename: NodeName,
    },
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
    None,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterMsg {
    pub hdr: ClusterMsgHeader,
    pub data: ClusterMsgData,
}

/// The `clusterGetMessageTypeString` names, used in logs and CLUSTER INFO.
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

pub fn slot_bitmap_test(bm: &SlotBitmap, slot: usize) -> bool {
    bm.get(slot / 8).is_some_and(|b| b & (1 << (slot & 7)) != 0)
}
pub fn slot_bitmap_set(bm: &mut SlotBitmap, slot: usize) {
    if let Some(b) = bm.get_mut(slot / 8) {
        *b |= 1 << (slot & 7);
    }
}
pub fn slot_bitmap_clear(bm: &mut SlotBitmap, slot: usize) {
    if let Some(b) = bm.get_mut(slot / 8) {
        *b &= !(1 << (slot & 7));
    }
}

/// The `totlen` field of a buffer holding at least its first 8 bytes.
pub fn peek_totlen(buf: &[u8]) -> Option<u32> {
    buf.get(4..8).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn ext_len(e: &ClusterMsgPingExt) -> usize {
    match e {
        ClusterMsgPingExt::Hostname(h) => EXT_HDR_LEN + (h.len() + 1).div_ceil(8) * 8,
        ClusterMsgPingExt::Unknown { data, .. } => EXT_HDR_LEN + data.len().div_ceil(8) * 8,
    }
}

impl ClusterMsg {
    /// Appends the packet to `out`, computing the signature, `totlen`,
    /// `count`, `extensions` and the EXT_DATA flag from the data.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let h = &self.hdr;
        let start = out.len();
        let (count, extensions, ext_data) = match &self.data {
            ClusterMsgData::Ping { gossip, extensions } => {
                (gossip.len() as u16, extensions.len() as u16, !extensions.is_empty())
            }
            _ => (h.count, 0, false),
        };
        out.extend_from_slice(b"RCmb");
        put32(out, 0); // totlen, patched below
        put16(out, h.ver);
        put16(out, h.port);
        put16(out, h.type_);
        put16(out, count);
        put64(out, h.current_epoch);
        put64(out, h.config_epoch);
        put64(out, h.offset);
        out.extend_from_slice(&h.sender);
        out.extend_from_slice(&h.myslots[..]);
        out.extend_from_slice(&h.slaveof);
        out.extend_from_slice(&h.myip);
        put16(out, extensions);
        out.extend_from_slice(&[0u8; 30]);
        put16(out, h.pport);
        put16(out, h.cport);
        put16(out, h.flags);
        out.push(h.state);
        let mut mflags = h.mflags;
        if ext_data {
            mflags[0] |= CLUSTERMSG_FLAG0_EXT_DATA;
        } else {
            mflags[0] &= !CLUSTERMSG_FLAG0_EXT_DATA;
        }
        out.extend_from_slice(&mflags);
        match &self.data {
            ClusterMsgData::Ping { gossip, extensions } => {
                for g in gossip {
                    out.extend_from_slice(&g.nodename);
                    put32(out, g.ping_sent);
                    put32(out, g.pong_received);
                    out.extend_from_slice(&g.ip);
                    put16(out, g.port);
                    put16(out, g.cport);
                    put16(out, g.flags);
                    put16(out, g.pport);
                    put16(out, 0);
                }
                for e in extensions {
                    let len = ext_len(e);
                    let (t, body): (u16, &[u8]) = match e {
                        ClusterMsgPingExt::Hostname(hn) => (CLUSTERMSG_EXT_TYPE_HOSTNAME, hn),
                        ClusterMsgPingExt::Unknown { type_, data } => (*type_, data),
                    };
                    put32(out, len as u32);
                    put16(out, t);
                    put16(out, 0);
                    out.extend_from_slice(body);
                    out.resize(out.len() + len - EXT_HDR_LEN - body.len(), 0);
                }
            }
            ClusterMsgData::Fail { nodename } => out.extend_from_slice(nodename),
            ClusterMsgData::Publish { channel, message } => {
                put32(out, channel.len() as u32);
                put32(out, message.len() as u32);
                out.extend_from_slice(channel);
                out.extend_from_slice(message);
            }
            ClusterMsgData::Update { config_epoch, nodename, slots } => {
                put64(out, *config_epoch);
                out.extend_from_slice(nodename);
                out.extend_from_slice(&slots[..]);
            }
            ClusterMsgData::Module { module_id, type_, bulk_data } => {
                out.extend_from_slice(&module_id.to_ne_bytes());
                put32(out, bulk_data.len() as u32);
                out.push(*type_);
                out.extend_from_slice(bulk_data);
            }
            ClusterMsgData::None => {}
        }
        let totlen = (out.len() - start) as u32;
        out[start + 4..start + 8].copy_from_slice(&totlen.to_be_bytes());
    }

    /// Parses a whole packet (`buf.len()` is its `totlen`), validating it as
    /// `clusterIsValidPacket` does; the error is the line to log.
    pub fn decode(buf: &[u8]) -> Result<ClusterMsg, String> {
        let mut r = Reader {
            buf,
            pos: 0,
            short: false,
        };
        if buf.len() < CLUSTERMSG_MIN_LEN || buf.get(0..4) != Some(b"RCmb") {
            return Err("Bad message length or signature received from Cluster bus.".into());
        }
        r.pos = 4;
        let mut h = ClusterMsgHeader {
            totlen: r.u32(),
            ver: r.u16(),
            port: r.u16(),
            type_: r.u16(),
            count: r.u16(),
            current_epoch: r.u64(),
            config_epoch: r.u64(),
            offset: r.u64(),
            ..Default::default()
        };
        h.sender.copy_from_slice(r.take(CLUSTER_NAMELEN));
        h.myslots.copy_from_slice(r.take(CLUSTER_SLOTS / 8));
        h.slaveof.copy_from_slice(r.take(CLUSTER_NAMELEN));
        h.myip.copy_from_slice(r.take(NET_IP_STR_LEN));
        h.extensions = r.u16();
        r.take(30);
        h.pport = r.u16();
        h.cport = r.u16();
        h.flags = r.u16();
        h.state = r.u8();
        h.mflags.copy_from_slice(r.take(3));
        let totlen = buf.len() as u64;
        if h.totlen as u64 != totlen {
            return Err(format!(
                "Received a packet of {} bytes announcing {} bytes",
                totlen, h.totlen
            ));
        }
        let tname = cluster_get_message_type_string(h.type_);
        let min = CLUSTERMSG_MIN_LEN as u64;
        let (explen, data) = match h.type_ {
            CLUSTERMSG_TYPE_PING | CLUSTERMSG_TYPE_PONG | CLUSTERMSG_TYPE_MEET => {
                let mut explen = min + GOSSIP_LEN as u64 * h.count as u64;
                if totlen < explen {
                    return Err(format!("Received invalid {tname} packet with gossip count {} that exceeds total packet length ({totlen})", h.count));
                }
                let mut gossip = Vec::with_capacity(h.count as usize);
                for _ in 0..h.count {
                    let mut g = ClusterMsgDataGossip {
                        nodename: [0; CLUSTER_NAMELEN],
                        ping_sent: 0,
                        pong_received: 0,
                        ip: [0; NET_IP_STR_LEN],
                        port: 0,
                        cport: 0,
                        flags: 0,
                        pport: 0,
                    };
                    g.nodename.copy_from_slice(r.take(CLUSTER_NAMELEN));
                    g.ping_sent = r.u32();
                    g.pong_received = r.u32();
                    g.ip.copy_from_slice(r.take(NET_IP_STR_LEN));
                    g.port = r.u16();
                    g.cport = r.u16();
                    g.flags = r.u16();
                    g.pport = r.u16();
                    r.u16();
                    gossip.push(g);
                }
                let mut exts = Vec::new();
                if h.mflags[0] & CLUSTERMSG_FLAG0_EXT_DATA != 0 {
                    for _ in 0..h.extensions {
                        if totlen - explen < EXT_HDR_LEN as u64 {
                            return Err(format!("Received invalid {tname} packet with extension data that exceeds total packet length ({totlen})"));
                        }
                        let extlen = r.u32();
                        // C reads the length into a 16-bit variable.
                        let extlen16 = extlen as u16 as u64;
                        if extlen16 < EXT_HDR_LEN as u64 || extlen16 % 8 != 0 {
                            return Err(format!(
                                "Received a {tname} packet without proper padding ({} bytes)",
                                extlen16 as i32
                            ));
                        }
                        if totlen - explen < extlen16 {
                            return Err(format!("Received invalid {tname} packet with extension data that exceeds total packet length ({totlen})"));
                        }
                        let etype = r.u16();
                        r.u16();
                        let body = r.take(extlen16 as usize - EXT_HDR_LEN);
                        if etype == CLUSTERMSG_EXT_TYPE_HOSTNAME {
                            if body.last() != Some(&0) {
                                return Err(format!("Received {tname} packet with missing null terminator in extension type {etype}"));
                            }
                            let end = body.iter().position(|&b| b == 0).unwrap_or(body.len());
                            exts.push(ClusterMsgPingExt::Hostname(body[..end].to_vec()));
                        } else {
                            exts.push(ClusterMsgPingExt::Unknown {
                                type_: etype,
                                data: body.to_vec(),
                            });
                        }
                        explen += extlen16;
                    }
                }
                (
                    explen,
                    ClusterMsgData::Ping {
                        gossip,
                        extensions: exts,
                    },
                )
            }
            CLUSTERMSG_TYPE_FAIL => {
                let mut nodename = [0; CLUSTER_NAMELEN];
                nodename.copy_from_slice(r.take(CLUSTER_NAMELEN));
                (min + CLUSTER_NAMELEN as u64, ClusterMsgData::Fail { nodename })
            }
            CLUSTERMSG_TYPE_PUBLISH | CLUSTERMSG_TYPE_PUBLISHSHARD => {
                let cl = r.u32() as u64;
                let ml = r.u32() as u64;
                let explen = min + 8 + cl + ml;
                let data = if explen == totlen {
                    ClusterMsgData::Publish {
                        channel: r.take(cl as usize).to_vec(),
                        message: r.take(ml as usize).to_vec(),
                    }
                } else {
                    ClusterMsgData::None
                };
                (explen, data)
            }
            CLUSTERMSG_TYPE_FAILOVER_AUTH_REQUEST
            | CLUSTERMSG_TYPE_FAILOVER_AUTH_ACK
            | CLUSTERMSG_TYPE_MFSTART => (min, ClusterMsgData::None),
            CLUSTERMSG_TYPE_UPDATE => {
                let config_epoch = r.u64();
                let mut nodename = [0; CLUSTER_NAMELEN];
                nodename.copy_from_slice(r.take(CLUSTER_NAMELEN));
                let mut slots = Box::new([0u8; CLUSTER_SLOTS / 8]);
                slots.copy_from_slice(r.take(CLUSTER_SLOTS / 8));
                (
                    min + UPDATE_LEN as u64,
                    ClusterMsgData::Update {
                        config_epoch,
                        nodename,
                        slots,
                    },
                )
            }
            CLUSTERMSG_TYPE_MODULE => {
                let idb = r.take(8);
                let mut id = [0u8; 8];
                id.copy_from_slice(idb);
                let len = r.u32() as u64;
                let type_ = r.u8();
                let explen = min + 13 + len;
                let data = if explen == totlen {
                    ClusterMsgData::Module {
                        module_id: u64::from_ne_bytes(id),
                        type_,
                        bulk_data: r.take(len as usize).to_vec(),
                    }
                } else {
                    ClusterMsgData::None
                };
                (explen, data)
            }
            _ => (totlen, ClusterMsgData::None),
        };
        if explen != totlen || r.short {
            return Err(format!(
                "Received invalid {tname} packet of length {totlen} but expected length {explen}"
            ));
        }
        Ok(ClusterMsg { hdr: h, data })
    }
}

/// Reads fields in order; past the end it yields zeros and remembers it,
/// so a short packet is one check at the end instead of one per field.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    short: bool,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        const ZEROS: [u8; CLUSTER_SLOTS / 8] = [0; CLUSTER_SLOTS / 8];
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                s
            }
            None => {
                self.short = true;
                self.pos = self.buf.len();
                // Callers copy into fixed-size arrays: give them the size
                // they asked for (never more than a slot bitmap).
                &ZEROS[..n.min(ZEROS.len())]
            }
        }
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u16(&mut self) -> u16 {
        let b = self.take(2);
        u16::from_be_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)])
    }
    fn u32(&mut self) -> u32 {
        let mut a = [0u8; 4];
        let b = self.take(4);
        a[..b.len()].copy_from_slice(b);
        u32::from_be_bytes(a)
    }
    fn u64(&mut self) -> u64 {
        let mut a = [0u8; 8];
        let b = self.take(8);
        a[..b.len()].copy_from_slice(b);
        u64::from_be_bytes(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_round_trip() {
        let mut hdr = ClusterMsgHeader {
            type_: CLUSTERMSG_TYPE_PING,
            port: 7000,
            cport: 17000,
            flags: 17,
            current_epoch: 5,
            ..Default::default()
        };
        hdr.sender = [b'a'; 40];
        slot_bitmap_set(&mut hdr.myslots, 16383);
        let g = ClusterMsgDataGossip {
            nodename: [b'b'; 40],
            ping_sent: 1,
            pong_received: 2,
            ip: [0; NET_IP_STR_LEN],
            port: 7001,
            cport: 17001,
            flags: 1,
            pport: 0,
        };
        let msg = ClusterMsg {
            hdr,
            data: ClusterMsgData::Ping {
                gossip: vec![g],
                extensions: vec![ClusterMsgPingExt::Hostname(b"host-1.com".to_vec())],
            },
        };
        let mut out = Vec::new();
        msg.encode(&mut out);
        assert_eq!(out.len(), CLUSTERMSG_MIN_LEN + GOSSIP_LEN + 8 + 16);
        assert_eq!(peek_totlen(&out), Some(out.len() as u32));
        let back = ClusterMsg::decode(&out).unwrap();
        assert_eq!(back.hdr.count, 1);
        assert_eq!(back.hdr.extensions, 1);
        assert_eq!(back.data, msg.data);
        assert!(slot_bitmap_test(&back.hdr.myslots, 16383));
        // Truncations never panic.
        for n in 0..out.len() {
            let _ = ClusterMsg::decode(&out[..n]);
        }
    }

    #[test]
    fn publish_and_update() {
        let msg = ClusterMsg {
            hdr: ClusterMsgHeader {
                type_: CLUSTERMSG_TYPE_PUBLISH,
                ..Default::default()
            },
            data: ClusterMsgData::Publish {
                channel: b"ch".to_vec(),
                message: b"hello".to_vec(),
            },
        };
        let mut out = Vec::new();
        msg.encode(&mut out);
        assert_eq!(out.len(), CLUSTERMSG_MIN_LEN + 8 + 7);
        assert_eq!(ClusterMsg::decode(&out).unwrap().data, msg.data);
        let up = ClusterMsg {
            hdr: ClusterMsgHeader {
                type_: CLUSTERMSG_TYPE_UPDATE,
                ..Default::default()
            },
            data: ClusterMsgData::Update {
                config_epoch: 9,
                nodename: [b'c'; 40],
                slots: Box::new([0xff; CLUSTER_SLOTS / 8]),
            },
        };
        out.clear();
        up.encode(&mut out);
        assert_eq!(out.len(), CLUSTERMSG_MIN_LEN + UPDATE_LEN);
        assert_eq!(ClusterMsg::decode(&out).unwrap().data, up.data);
    }
}
