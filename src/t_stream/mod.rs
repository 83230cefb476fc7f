//! Streams (t_stream.c, stream.h): an append-only log of entries, each a
//! 128-bit ID (milliseconds, sequence) with field/value pairs, plus
//! consumer groups that hand entries out to named consumers and track what
//! they have not yet acknowledged.
//!
//! The entries live in listpack nodes laid out byte for byte as 7.0.15
//! writes them, so RDB can save and load them as they are. Redis indexes the
//! nodes by a radix tree keyed on the node's first ("master") ID in big
//! endian; an ordered `BTreeMap<StreamId, Listpack>` gives the same order and
//! the same "node whose master ID is <= x" seeks. Each node starts with a
//! master entry (live count, deleted count, the field names of the node's
//! first entry, a 0 terminator); every entry after it is `flags, ms-delta,
//! seq-delta, [num-fields, field...], value..., lp-count`, where the fields
//! are omitted when they equal the master's (`STREAM_ITEM_FLAG_SAMEFIELDS`)
//! and `lp-count` lets a reverse walk jump back to the entry's start.
//! Deleted entries stay in place flagged `STREAM_ITEM_FLAG_DELETED`
//! (tombstones) until their whole node goes.
//!
//! | C section | Rust |
//! |---|---|
//! | stream.h structs, low level encoding, iterator, trimming | this file |
//! | stream commands (XADD, XRANGE, XREAD, XDEL, XTRIM, XSETID), blocking | [`commands`] |
//! | consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO) | [`cgroups`] |

pub mod cgroups;
pub mod commands;

use std::collections::btree_map::Range;
use std::collections::{BTreeMap, BTreeSet};

use crate::listpack::{Listpack, LpEntry};
use crate::networking::Client;

/// No flags on an entry.
pub const STREAM_ITEM_FLAG_NONE: i64 = 0;
/// The entry is a tombstone.
pub const STREAM_ITEM_FLAG_DELETED: i64 = 1 << 0;
/// The entry has the master entry's fields, which are not repeated.
pub const STREAM_ITEM_FLAG_SAMEFIELDS: i64 = 1 << 1;
/// Largest listpack a node may grow to, and largest entry.
const STREAM_LISTPACK_MAX_SIZE: u64 = 1 << 30;
/// `SCG_INVALID_ENTRIES_READ`: a group's read counter that is not known.
pub const SCG_INVALID_ENTRIES_READ: i64 = -1;

/// `streamID`; the derived order (ms, then seq) is the 128-bit big-endian
/// order of the C radix tree keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// `streamIncrID`: the next ID; the largest wraps to 0-0 and fails.
    pub fn incr(&mut self) -> bool {
        if self.seq == u64::MAX {
            if self.ms == u64::MAX {
                *self = StreamId::ZERO;
                return false;
            }
            self.ms += 1;
            self.seq = 0;
        } else {
            self.seq += 1;
        }
        true
    }

    /// `streamDecrID`: the previous ID; 0-0 wraps to the largest and fails.
    pub fn decr(&mut self) -> bool {
        if self.seq == 0 {
            if self.ms == 0 {
                *self = StreamId::MAX;
                return false;
            }
            self.ms -= 1;
            self.seq = u64::MAX;
        } else {
            self.seq -= 1;
        }
        true
    }

    pub fn is_zero(&self) -> bool {
        self.ms == 0 && self.seq == 0
    }

    /// `createStreamIDString`: `<ms>-<seq>`.
    pub fn to_bytes(self) -> Vec<u8> {
        let mut buf = [0u8; 44];
        let n = crate::util::ull2string(&mut buf, self.ms);
        buf[n] = b'-';
        let m = crate::util::ull2string(&mut buf[n + 1..], self.seq);
        buf[..n + 1 + m].to_vec()
    }
}

/// `addReplyStreamID`.
pub fn add_reply_stream_id(c: &mut Client, id: StreamId) {
    c.add_reply_bulk(&id.to_bytes());
}

/// `streamNACK`: a delivered, not yet acknowledged entry. The consumer is
/// named, not pointed to: the group's consumer table resolves it.
#[derive(Clone, Debug)]
pub struct StreamNack {
    pub delivery_time: i64,
    pub delivery_count: u64,
    pub consumer: Vec<u8>,
}

/// `streamConsumer`: its PEL holds the IDs whose NACK (in the group's PEL)
/// names it.
#[derive(Clone, Debug)]
pub struct StreamConsumer {
    pub seen_time: i64,
    pub name: Vec<u8>,
    pub pel: BTreeSet<StreamId>,
}

/// `streamCG`.
#[derive(Clone, Debug, Default)]
pub struct StreamCG {
    pub last_id: StreamId,
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, StreamNack>,
    /// By name, in byte order as the C radix tree lists them.
    pub consumers: BTreeMap<Vec<u8>, StreamConsumer>,
}

/// The scalar bookkeeping of a stream, copied out where the nodes are
/// borrowed at the same time.
#[derive(Clone, Copy, Debug, Default)]
pub struct StreamMeta {
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
}

/// `stream`.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// The nodes by master ID.
    pub rax: BTreeMap<StreamId, Listpack>,
    /// Live entries.
    pub length: u64,
    /// The largest ID ever given out (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry, 0-0 when empty.
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    /// Every entry ever added.
    pub entries_added: u64,
    /// Groups by name.
    pub cgroups: BTreeMap<Vec<u8>, StreamCG>,
}

/// Why `stream_append_item` refused.
#[derive(Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not above the stream's last (`EDOM`).
    IdTooSmall,
    /// The entry is larger than a node may be (`ERANGE`).
    TooLarge,
}

/// What XADD/XTRIM trim by (`TRIM_STRATEGY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TrimStrategy {
    #[default]
    None,
    MaxLen(i64),
    MinId(StreamId),
}

/// `streamAddTrimArgs`: the trimming part.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrimArgs {
    pub strategy: TrimStrategy,
    /// Only remove whole nodes (`~`).
    pub approx: bool,
    /// Most entries to remove, 0 for no limit.
    pub limit: i64,
}

/// `streamValidateListpackIntegrity` (deep): whether an already
/// well-formed listpack read from RDB is laid out as a stream node (master
/// entry, then entries each ending with its element count), so that the
/// iterators can walk it without running off its end.
pub fn stream_validate_listpack_integrity(lp: &Listpack) -> bool {
    let e: Vec<LpEntry<'_>> = lp.iter().collect();
    let int = |i: usize| -> Option<i64> {
        match e.get(i)? {
            LpEntry::Int(v) => Some(*v),
            LpEntry::Str(s) => crate::util::string2ll(s),
        }
    };
    let walk = || -> Option<bool> {
        let count = int(0)?;
        let deleted = int(1)?;
        let master_fields = int(2)?;
        let master_fields_n = usize::try_from(master_fields).ok()?;
        let mut i = 3usize.checked_add(master_fields_n)?;
        if int(i)? != 0 {
            return Some(false);
        }
        i += 1;
        let mut left = count.checked_add(deleted)?;
        while left > 0 {
            left -= 1;
            let flags = int(i)?;
            int(i + 1)?;
            int(i + 2)?;
            i += 3;
            let mut fields = master_fields;
            let mut extra = 3i64;
            if flags & STREAM_ITEM_FLAG_SAMEFIELDS == 0 {
                fields = int(i)?;
                i += 1;
                i = i.checked_add(usize::try_from(fields).ok()?)?;
                extra = extra.checked_add(fields)?.checked_add(1)?;
            }
            i = i.checked_add(usize::try_from(fields).ok()?)?;
            if i >= e.len() || int(i)? != fields.checked_add(extra)? {
                return Some(false);
            }
            i += 1;
        }
        Some(i == e.len())
    };
    walk().unwrap_or(false)
}

/// `lpGetInteger`: an element that must be a number.
fn lp_get_integer(lp: &Listpack, p: usize) -> i64 {
    match lp.get(p) {
        LpEntry::Int(v) => v,
        LpEntry::Str(s) => crate::util::string2ll(s).unwrap_or(0),
    }
}

/// The element after `p`, for walks over a listpack we built: its layout
/// guarantees the element exists; should it not, the walk lands on the
/// first element rather than panicking.
fn lp_next(lp: &Listpack, p: usize) -> usize {
    lp.next(p).unwrap_or(crate::listpack::LP_HDR_SIZE)
}

/// Adds a master-relative delta the way C's unsigned arithmetic does.
fn add_delta(master: StreamId, ms: i64, seq: i64) -> StreamId {
    StreamId {
        ms: master.ms.wrapping_add(ms as u64),
        seq: master.seq.wrapping_add(seq as u64),
    }
}

/// `lpGetEdgeStreamID` for the last entry of a node (tombstones included).
fn lp_last_stream_id(lp: &Listpack, master: StreamId) -> Option<StreamId> {
    let mut p = lp.last()?;
    let lp_count = lp_get_integer(lp, p);
    if lp_count == 0 {
        return None;
    }
    for _ in 0..lp_count {
        p = lp.prev(p)?;
    }
    let p = lp.next(p)?;
    let ms = lp_get_integer(lp, p);
    let p = lp.next(p)?;
    let seq = lp_get_integer(lp, p);
    Some(add_delta(master, ms, seq))
}

impl StreamMeta {
    /// `streamRangeHasTombstones`: whether a deleted entry may lie between
    /// `start` and `end` (None: the ends of the stream).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let start = start.unwrap_or(StreamId::ZERO);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the read counter of an
    /// ID, when the stream's history allows to know it.
    pub fn estimate_distance_from_first_ever_entry(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return self.entries_added as i64,
            std::cmp::Ordering::Greater => return SCG_INVALID_ENTRIES_READ,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => {
                    return (self.entries_added - self.length) as i64;
                }
                std::cmp::Ordering::Equal => {
                    return (self.entries_added - self.length + 1) as i64;
                }
                std::cmp::Ordering::Greater => {}
            }
        }
        SCG_INVALID_ENTRIES_READ
    }
}

impl Stream {
    /// `streamNew`.
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn meta(&self) -> StreamMeta {
        StreamMeta {
            length: self.length,
            last_id: self.last_id,
            first_id: self.first_id,
            max_deleted_entry_id: self.max_deleted_entry_id,
            entries_added: self.entries_added,
        }
    }

    /// `streamIteratorStart` over the whole node index.
    pub fn iter(
        &self,
        start: Option<StreamId>,
        end: Option<StreamId>,
        rev: bool,
    ) -> StreamIterator<'_> {
        StreamIterator::new(&self.rax, start, end, rev)
    }

    /// `streamGetEdgeID`: the first or last entry's ID; when there is none,
    /// the largest ID for `first` and 0-0 otherwise.
    pub fn get_edge_id(&self, first: bool, skip_tombstones: bool) -> StreamId {
        let mut si = self.iter(None, None, !first);
        si.skip_tombstones = skip_tombstones;
        match si.get_id() {
            Some((id, _)) => id,
            None if first => StreamId::MAX,
            None => StreamId::ZERO,
        }
    }

    /// `streamLastValidID`: the last live entry (0-0 if empty).
    pub fn last_valid_id(&self) -> StreamId {
        self.iter(None, None, true)
            .get_id()
            .map(|(id, _)| id)
            .unwrap_or_default()
    }

    /// `streamEntryExists`: a live entry with exactly this ID.
    pub fn entry_exists(&self, id: StreamId) -> bool {
        self.iter(Some(id), Some(id), false).get_id().is_some()
    }

    /// `streamAppendItem`: adds an entry with the field/value pairs of
    /// `fields`. `use_id` is the ID to use (with `seq_given` false only its
    /// ms part counts), None to generate one from the clock.
    pub fn append_item(
        &mut self,
        fields: &[Vec<u8>],
        use_id: Option<StreamId>,
        seq_given: bool,
        node_max_bytes: u64,
        node_max_entries: i64,
    ) -> Result<StreamId, AppendError> {
        // 1) Pick the ID and check it is above the last one.
        let id = match use_id {
            Some(u) if seq_given => u,
            Some(u) => {
                if self.last_id.ms == u.ms {
                    if self.last_id.seq == u64::MAX {
                        return Err(AppendError::IdTooSmall);
                    }
                    StreamId {
                        ms: u.ms,
                        seq: self.last_id.seq + 1,
                    }
                } else {
                    u
                }
            }
            None => stream_next_id(self.last_id),
        };
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let numfields = fields.len() / 2;
        let totelelen: u64 = fields.iter().map(|f| f.len() as u64).sum();
        if totelelen > STREAM_LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }

        // 2) Append to the tail node unless it is full.
        let node_max_bytes = if node_max_bytes == 0 || node_max_bytes > STREAM_LISTPACK_MAX_SIZE {
            STREAM_LISTPACK_MAX_SIZE
        } else {
            node_max_bytes
        };
        let mut tail = self.rax.last_entry();
        if let Some(node) = tail.as_mut() {
            let lp = node.get_mut();
            let full = if lp.bytes() as u64 + totelelen >= node_max_bytes {
                true
            } else if node_max_entries != 0 {
                let p = lp.first().unwrap_or(0);
                let count = lp_get_integer(lp, p) + lp_get_integer(lp, lp_next(lp, p));
                count >= node_max_entries
            } else {
                false
            };
            if full {
                lp.shrink_to_fit();
                tail = None;
            }
        }

        // 3) Write the entry (and, in a new node, the master entry first).
        let mut flags = STREAM_ITEM_FLAG_NONE;
        let (master_id, lp) = match tail {
            None => {
                let mut lp = Listpack::new();
                lp.append_integer(1);
                lp.append_integer(0);
                lp.append_integer(numfields as i64);
                for pair in fields.chunks(2) {
                    lp.append(&pair[0]);
                }
                lp.append_integer(0);
                flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
                (id, self.rax.entry(id).or_insert(lp))
            }
            Some(node) => {
                let master_id = *node.key();
                let lp = node.into_mut();
                let mut p = lp.first().unwrap_or(0);
                let count = lp_get_integer(lp, p);
                p = lp.replace_integer(p, count + 1);
                p = lp_next(lp, p);
                p = lp_next(lp, p);
                let master_fields_count = lp_get_integer(lp, p);
                if master_fields_count == numfields as i64 {
                    let same = fields.chunks(2).all(|pair| {
                        p = lp_next(lp, p);
                        lp.get(p).eq_bytes(&pair[0])
                    });
                    if same {
                        flags |= STREAM_ITEM_FLAG_SAMEFIELDS;
                    }
                }
                (master_id, lp)
            }
        };
        let samefields = flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0;
        lp.append_integer(flags);
        lp.append_integer(id.ms.wrapping_sub(master_id.ms) as i64);
        lp.append_integer(id.seq.wrapping_sub(master_id.seq) as i64);
        if !samefields {
            lp.append_integer(numfields as i64);
        }
        for pair in fields.chunks(2) {
            if !samefields {
                lp.append(&pair[0]);
            }
            lp.append(&pair[1]);
        }
        let mut lp_count = numfields as i64 + 3;
        if !samefields {
            lp_count += numfields as i64 + 1;
        }
        lp.append_integer(lp_count);

        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// `streamTrim`: removes entries from the head by length or by ID and
    /// returns how many went. Nodes go whole; with `approx` only whole
    /// nodes, otherwise entries of the first remaining node are flagged
    /// deleted too.
    pub fn trim(&mut self, args: &TrimArgs) -> i64 {
        if args.strategy == TrimStrategy::None {
            return 0;
        }
        let mut deleted: i64 = 0;
        // Every step either removes the first node or ends the loop, so
        // the node looked at is always the first one.
        while let Some(mut node) = self.rax.first_entry() {
            if let TrimStrategy::MaxLen(maxlen) = args.strategy {
                if self.length <= maxlen as u64 {
                    break;
                }
            }
            let master_id = *node.key();
            let lp = node.get_mut();
            let first = lp.first().unwrap_or(0);
            let entries = lp_get_integer(lp, first);
            if args.limit != 0 && deleted + entries > args.limit {
                break;
            }
            let remove_node = match args.strategy {
                TrimStrategy::MaxLen(maxlen) => {
                    self.length.wrapping_sub(entries as u64) >= maxlen as u64
                }
                TrimStrategy::MinId(minid) => {
                    lp_last_stream_id(lp, master_id).is_some_and(|last| last < minid)
                }
                TrimStrategy::None => false,
            };
            if remove_node {
                node.remove();
                self.length = self.length.wrapping_sub(entries as u64);
                deleted += entries;
                continue;
            }
            if args.approx {
                break;
            }

            // Flag the leading entries of this node as deleted.
            let mut deleted_from_lp = 0;
            let mut p = lp_next(lp, first);
            p = lp_next(lp, p);
            let master_fields_count = lp_get_integer(lp, p);
            for _ in 0..=master_fields_count {
                p = lp_next(lp, p);
            }
            let mut cur = lp.next(p);
            while let Some(flags_pos) = cur {
                let mut flags = lp_get_integer(lp, flags_pos);
                let mut q = lp_next(lp, flags_pos);
                let ms_delta = lp_get_integer(lp, q);
                q = lp_next(lp, q);
                let seq_delta = lp_get_integer(lp, q);
                q = lp_next(lp, q);
                let stop = match args.strategy {
                    TrimStrategy::MaxLen(maxlen) => self.length <= maxlen as u64,
                    TrimStrategy::MinId(minid) => {
                        add_delta(master_id, ms_delta, seq_delta) >= minid
                    }
                    TrimStrategy::None => true,
                };
                if stop {
                    break;
                }
                let to_skip = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
                    master_fields_count
                } else {
                    let n = lp_get_integer(lp, q);
                    q = lp_next(lp, q);
                    n * 2
                };
                for _ in 0..to_skip {
                    q = lp_next(lp, q);
                }
                // q is on the lp-count; the next entry follows it.
                let mut next = lp.next(q);
                if flags & STREAM_ITEM_FLAG_DELETED == 0 {
                    flags |= STREAM_ITEM_FLAG_DELETED;
                    let before = lp.bytes();
                    lp.replace_integer(flags_pos, flags);
                    let after = lp.bytes();
                    next = next.map(|n| n + after - before);
                    deleted_from_lp += 1;
                    self.length -= 1;
                }
                cur = next;
            }
            deleted += deleted_from_lp;
            let p = lp.replace_integer(first, entries - deleted_from_lp);
            let p = lp_next(lp, p);
            let marked_deleted = lp_get_integer(lp, p);
            lp.replace_integer(p, marked_deleted + deleted_from_lp);
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::ZERO;
        } else if deleted != 0 {
            self.first_id = self.get_edge_id(true, true);
        }
        deleted
    }

    /// `streamDeleteItem`: flags the live entry `id` as deleted (dropping
    /// its node when it was the node's last live entry).
    pub fn delete_item(&mut self, id: StreamId) -> bool {
        let (node_key, flags_pos) = {
            let mut si = self.iter(Some(id), Some(id), false);
            if si.get_id().is_none() {
                return false;
            }
            (si.master_id, si.lp_flags)
        };
        let Some(lp) = self.rax.get_mut(&node_key) else {
            return false;
        };
        let flags = lp_get_integer(lp, flags_pos) | STREAM_ITEM_FLAG_DELETED;
        lp.replace_integer(flags_pos, flags);
        let p = lp.first().unwrap_or(0);
        let live = lp_get_integer(lp, p);
        if live == 1 {
            self.rax.remove(&node_key);
        } else {
            let p = lp.replace_integer(p, live - 1);
            let p = lp_next(lp, p);
            let dead = lp_get_integer(lp, p);
            lp.replace_integer(p, dead + 1);
        }
        self.length -= 1;
        true
    }

    /// `streamCreateCG`: None if the group exists.
    pub fn create_cg(
        &mut self,
        name: &[u8],
        id: StreamId,
        entries_read: i64,
    ) -> Option<&mut StreamCG> {
        if self.cgroups.contains_key(name) {
            return None;
        }
        let cg = StreamCG {
            last_id: id,
            entries_read,
            ..Default::default()
        };
        Some(self.cgroups.entry(name.to_vec()).or_insert(cg))
    }
}

/// `streamNextID`: the clock's ms with seq 0, or the last ID plus one when
/// the clock has not moved past it.
fn stream_next_id(last: StreamId) -> StreamId {
    let ms = crate::util::mstime() as u64;
    if ms > last.ms {
        StreamId { ms, seq: 0 }
    } else {
        let mut id = last;
        id.incr();
        id
    }
}

impl StreamCG {
    /// `streamLookupConsumer`: refreshes the seen time unless `no_refresh`.
    pub fn lookup_consumer(
        &mut self,
        name: &[u8],
        no_refresh: bool,
    ) -> Option<&mut StreamConsumer> {
        let consumer = self.consumers.get_mut(name)?;
        if !no_refresh {
            consumer.seen_time = crate::util::mstime();
        }
        Some(consumer)
    }

    /// `streamCreateConsumer` without its notification and dirty count,
    /// which the callers do: false if it existed.
    pub fn create_consumer(&mut self, name: &[u8]) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.to_vec(),
            StreamConsumer {
                seen_time: crate::util::mstime(),
                name: name.to_vec(),
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// `streamDelConsumer`: drops the consumer and its pending entries.
    pub fn del_consumer(&mut self, name: &[u8]) {
        if let Some(consumer) = self.consumers.remove(name) {
            for id in consumer.pel {
                self.pel.remove(&id);
            }
        }
    }

    /// Removes a NACK from the group PEL and from its consumer's PEL.
    pub fn remove_nack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(nack) => {
                if let Some(owner) = self.consumers.get_mut(&nack.consumer) {
                    owner.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }
}

/// `streamIterator`: walks the live entries (and tombstones, when asked)
/// between two IDs, forwards or backwards, over the nodes of a stream.
pub struct StreamIterator<'a> {
    nodes: Range<'a, StreamId, Listpack>,
    rev: bool,
    /// Tombstones are not emitted unless this is cleared.
    pub skip_tombstones: bool,
    start: StreamId,
    end: StreamId,
    lp: Option<&'a Listpack>,
    /// The current node's master ID.
    pub master_id: StreamId,
    master_fields_count: i64,
    master_fields_start: usize,
    /// The walk's cursor inside the current node; None when the node is
    /// exhausted.
    lp_ele: Option<usize>,
    /// Offset of the emitted entry's flags.
    pub lp_flags: usize,
    entry_flags: i64,
    master_fields_ptr: usize,
    /// Fields of the emitted entry not yet read with `get_field`.
    fields_left: i64,
    /// An entry past the range was met.
    done: bool,
}

impl<'a> StreamIterator<'a> {
    /// `streamIteratorStart`: `start`/`end` None are the stream's ends.
    pub fn new(
        rax: &'a BTreeMap<StreamId, Listpack>,
        start: Option<StreamId>,
        end: Option<StreamId>,
        rev: bool,
    ) -> StreamIterator<'a> {
        let start_key = start.unwrap_or(StreamId::ZERO);
        let end_key = end.unwrap_or(StreamId::MAX);
        let nodes = if !rev {
            // From the node that may hold `start`: the last one whose master
            // ID is not above it, or the first node.
            match rax.range(..=start_key).next_back() {
                Some((&k, _)) if !start_key.is_zero() => rax.range(k..),
                _ => rax.range(..),
            }
        } else {
            rax.range(..=end_key)
        };
        StreamIterator {
            nodes,
            rev,
            skip_tombstones: true,
            start: start_key,
            end: end_key,
            lp: None,
            master_id: StreamId::ZERO,
            master_fields_count: 0,
            master_fields_start: 0,
            lp_ele: None,
            lp_flags: 0,
            entry_flags: 0,
            master_fields_ptr: 0,
            fields_left: 0,
            done: false,
        }
    }

    /// `streamIteratorGetID`: the next entry in range and its field count.
    pub fn get_id(&mut self) -> Option<(StreamId, i64)> {
        loop {
            if self.done {
                return None;
            }
            let lp = match (self.lp, self.lp_ele) {
                (Some(lp), Some(_)) => {
                    if self.rev {
                        // Back from the emitted entry's flags to the
                        // previous entry's lp-count.
                        self.lp_ele = lp.prev(self.lp_flags);
                    } else {
                        // Past the fields the caller did not read, onto the
                        // emitted entry's lp-count.
                        let per_field = if self.entry_flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
                            1
                        } else {
                            2
                        };
                        let mut p = self.lp_ele;
                        for _ in 0..self.fields_left * per_field {
                            p = p.and_then(|q| lp.next(q));
                        }
                        self.fields_left = 0;
                        self.lp_ele = p;
                    }
                    lp
                }
                _ => {
                    let (&master, lp) = if self.rev {
                        self.nodes.next_back()?
                    } else {
                        self.nodes.next()?
                    };
                    self.master_id = master;
                    self.lp = Some(lp);
                    let mut p = lp.first().unwrap_or(0);
                    p = lp_next(lp, p);
                    p = lp_next(lp, p);
                    self.master_fields_count = lp_get_integer(lp, p);
                    p = lp_next(lp, p);
                    self.master_fields_start = p;
                    if !self.rev {
                        for _ in 0..self.master_fields_count {
                            p = lp_next(lp, p);
                        }
                        self.lp_ele = Some(p);
                    } else {
                        self.lp_ele = lp.last();
                    }
                    lp
                }
            };
            if let Some(found) = self.scan_node(lp) {
                return Some(found);
            }
            self.lp = None;
            self.lp_ele = None;
        }
    }

    /// The inner loop of `streamIteratorGetID` over the current node, from
    /// the cursor (on the previous entry's lp-count or the master's zero
    /// terminator).
    fn scan_node(&mut self, lp: &'a Listpack) -> Option<(StreamId, i64)> {
        loop {
            let mut p = self.lp_ele?;
            if !self.rev {
                p = lp.next(p)?;
            } else {
                let lp_count = lp_get_integer(lp, p);
                if lp_count == 0 {
                    return None;
                }
                for _ in 0..lp_count {
                    p = lp.prev(p)?;
                }
            }
            let flags_pos = p;
            let flags = lp_get_integer(lp, p);
            p = lp.next(p)?;
            let ms = lp_get_integer(lp, p);
            p = lp.next(p)?;
            let seq = lp_get_integer(lp, p);
            p = lp.next(p)?;
            let id = add_delta(self.master_id, ms, seq);
            let numfields = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
                self.master_fields_count
            } else {
                let n = lp_get_integer(lp, p);
                p = lp.next(p)?;
                n
            };
            let live = !self.skip_tombstones || flags & STREAM_ITEM_FLAG_DELETED == 0;
            let emit = if !self.rev {
                id >= self.start && live
            } else {
                id <= self.end && live
            };
            if emit {
                if (!self.rev && id > self.end) || (self.rev && id < self.start) {
                    // Out of range: the walk is over for good.
                    self.done = true;
                    self.lp_ele = None;
                    return None;
                }
                self.lp_flags = flags_pos;
                self.entry_flags = flags;
                self.master_fields_ptr = self.master_fields_start;
                self.fields_left = numfields;
                self.lp_ele = Some(p);
                return Some((id, numfields));
            }
            if !self.rev {
                let to_discard = if flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
                    numfields
                } else {
                    numfields * 2
                };
                // p is on the first field/value; stop on the lp-count.
                let mut q = lp.prev(p)?;
                for _ in 0..=to_discard {
                    q = lp.next(q)?;
                }
                self.lp_ele = Some(q);
            } else {
                self.lp_ele = lp.prev(flags_pos);
            }
        }
    }

    /// `streamIteratorGetField`: the next field and value of the entry
    /// just returned by `get_id`.
    pub fn get_field(&mut self) -> (LpEntry<'a>, LpEntry<'a>) {
        let Some(lp) = self.lp else {
            return (LpEntry::Str(b""), LpEntry::Str(b""));
        };
        let mut p = self.lp_ele.unwrap_or(0);
        let field = if self.entry_flags & STREAM_ITEM_FLAG_SAMEFIELDS != 0 {
            let f = lp.get(self.master_fields_ptr);
            self.master_fields_ptr = lp_next(lp, self.master_fields_ptr);
            f
        } else {
            let f = lp.get(p);
            p = lp_next(lp, p);
            f
        };
        let value = lp.get(p);
        self.lp_ele = lp.next(p).or(Some(p));
        self.fields_left -= 1;
        (field, value)
    }
}

/// Replies with an element of a node, as a bulk string.
pub fn add_reply_lp_entry(c: &mut Client, e: LpEntry<'_>) {
    match e {
        LpEntry::Int(v) => c.add_reply_bulk_long_long(v),
        LpEntry::Str(s) => c.add_reply_bulk(s),
    }
}

// ----------------------------------------------------------------------
// Hooks for object.c and debug.c.
// ----------------------------------------------------------------------

/// The nodes a C radix tree holds for these IDs as 16-byte big-endian
/// keys: a compressed trie (one node per shared run of bytes, one per
/// branching point, one per key end). It gives XINFO's `radix-tree-nodes`
/// and the rax part of MEMORY USAGE.
pub fn rax_numnodes(ids: impl Iterator<Item = StreamId>) -> usize {
    let keys: Vec<[u8; 16]> = ids
        .map(|id| {
            let mut k = [0u8; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        })
        .collect();
    fn count(keys: &[[u8; 16]], depth: usize) -> usize {
        let Some(first) = keys.first() else {
            return 0;
        };
        let mut d = depth;
        while d < 16 && keys.iter().all(|k| k[d] == first[d]) {
            d += 1;
        }
        let run = usize::from(d > depth);
        if d == 16 {
            return run + 1;
        }
        let mut nodes = run + 1;
        let mut i = 0;
        while i < keys.len() {
            let b = keys[i][d];
            let e = i + keys[i..].iter().take_while(|k| k[d] == b).count();
            nodes += count(&keys[i..e], d + 1);
            i = e;
        }
        nodes
    }
    if keys.is_empty() {
        1
    } else {
        count(&keys, 0)
    }
}

/// jemalloc's size class for an allocation of `n` bytes (what C's
/// `zmalloc_size` reports): 8, multiples of 16 up to 128, then four
/// classes per power of two.
fn malloc_size_class(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let lg = usize::BITS - 1 - (n - 1).leading_zeros();
    let delta = 1usize << (lg - 2);
    n.div_ceil(delta) * delta
}

/// `streamRadixTreeMemoryUsage`: C's estimate of a rax of IDs.
fn rax_memory_usage(numele: usize, numnodes: usize) -> usize {
    const RAX_NODE_SIZE: usize = 4;
    numele * 16 + numnodes * (RAX_NODE_SIZE + 8 * 30)
}

/// The stream part of `objectComputeSize`, with C's formulas: the node
/// index, the first nodes sampled (and the tail node, which XADD keeps
/// preallocated), then the groups' PELs and consumers.
pub fn stream_compute_size(s: &Stream) -> usize {
    const SAMPLES: usize = 5;
    const STREAM_SIZE: usize = 80;
    const CG_SIZE: usize = 40;
    const NACK_SIZE: usize = 24;
    const CONSUMER_SIZE: usize = 24;
    const PREALLOC: usize = 4096;
    let mut size = STREAM_SIZE + rax_memory_usage(s.rax.len(), rax_numnodes(s.rax.keys().copied()));
    let tail = s.rax.keys().next_back().copied();
    let alloc = |(k, lp): (&StreamId, &Listpack)| {
        let class = malloc_size_class(lp.bytes());
        if Some(*k) == tail && lp.alloc_size() > lp.bytes() {
            class.max(PREALLOC)
        } else {
            class
        }
    };
    let sampled: Vec<usize> = s.rax.iter().take(SAMPLES).map(alloc).collect();
    let lpsize: usize = sampled.iter().sum();
    if s.rax.len() <= sampled.len() {
        size += lpsize;
    } else if let Some(avg) = lpsize.checked_div(sampled.len()) {
        size += avg * (s.rax.len() - 1);
        size += s.rax.iter().next_back().map_or(0, alloc);
    }
    for cg in s.cgroups.values() {
        size += CG_SIZE;
        size += rax_memory_usage(cg.pel.len(), rax_numnodes(cg.pel.keys().copied()));
        size += NACK_SIZE * cg.pel.len();
        for c in cg.consumers.values() {
            size += CONSUMER_SIZE + c.name.len();
            size += rax_memory_usage(c.pel.len(), rax_numnodes(c.pel.iter().copied()));
        }
    }
    size
}

/// The stream part of `xorObjectDigest`: every live entry's `ms.seq` and
/// fields and values, in order.
pub fn mix_stream_digest(digest: &mut [u8; 20], s: &Stream) {
    let mut si = s.iter(None, None, false);
    while let Some((id, numfields)) = si.get_id() {
        let itemid = format!("{}.{}", id.ms, id.seq);
        crate::debug::mix_digest(digest, itemid.as_bytes());
        for _ in 0..numfields {
            let (f, v) = si.get_field();
            crate::debug::mix_digest(digest, &f.to_vec());
            crate::debug::mix_digest(digest, &v.to_vec());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    fn collect(s: &Stream, rev: bool) -> Vec<(StreamId, Vec<Vec<u8>>)> {
        let mut out = Vec::new();
        let mut si = s.iter(None, None, rev);
        while let Some((id, n)) = si.get_id() {
            let mut f = Vec::new();
            for _ in 0..n {
                let (a, b) = si.get_field();
                f.push(a.to_vec());
                f.push(b.to_vec());
            }
            out.push((id, f));
        }
        out
    }

    #[test]
    fn node_layout_is_the_c_one() {
        let mut s = Stream::new();
        s.append_item(&pairs(&["a", "1"]), Some(id(5, 1)), true, 4096, 100)
            .unwrap();
        s.append_item(&pairs(&["b", "x"]), Some(id(6, 0)), true, 4096, 100)
            .unwrap();
        let lp = s.rax.get(&id(5, 1)).unwrap();
        let elems: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        let expect = pairs(&[
            "2", "0", "1", "a", "0", // master entry
            "2", "0", "0", "1", "4", // SAMEFIELDS entry 5-1
            "0", "1", "-1", "1", "b", "x", "6", // entry 6-0
        ]);
        assert_eq!(elems, expect);
    }

    #[test]
    fn iterate_both_ways_across_nodes_and_tombstones() {
        let mut s = Stream::new();
        for i in 1..=10u64 {
            let f = if i % 3 == 0 { "g" } else { "f" };
            s.append_item(&pairs(&[f, "v"]), Some(id(i, 0)), true, 4096, 4)
                .unwrap();
        }
        assert_eq!(s.rax.len(), 3);
        assert!(s.delete_item(id(4, 0)));
        assert!(!s.delete_item(id(4, 0)));
        let fwd: Vec<u64> = collect(&s, false).iter().map(|e| e.0.ms).collect();
        assert_eq!(fwd, vec![1, 2, 3, 5, 6, 7, 8, 9, 10]);
        let rev: Vec<u64> = collect(&s, true).iter().map(|e| e.0.ms).collect();
        assert_eq!(rev, vec![10, 9, 8, 7, 6, 5, 3, 2, 1]);
        assert_eq!(collect(&s, false)[2].1, pairs(&["g", "v"]));
        let mut si = s.iter(Some(id(3, 1)), Some(id(8, 0)), false);
        assert_eq!(si.get_id().map(|x| x.0), Some(id(5, 0)));
        assert_eq!(s.length, 9);
    }

    #[test]
    fn trim_exact_and_approx() {
        let mut s = Stream::new();
        for i in 1..=10u64 {
            s.append_item(&pairs(&["f", "v"]), Some(id(i, 0)), true, 4096, 4)
                .unwrap();
        }
        let approx = TrimArgs {
            strategy: TrimStrategy::MaxLen(5),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(&approx), 4);
        assert_eq!(s.first_id, id(5, 0));
        let exact = TrimArgs {
            strategy: TrimStrategy::MinId(id(7, 0)),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(&exact), 2);
        assert_eq!(s.length, 4);
        assert_eq!(s.first_id, id(7, 0));
    }

    #[test]
    fn ids_wrap_and_print() {
        let mut m = StreamId::MAX;
        assert!(!m.incr());
        assert_eq!(m, StreamId::ZERO);
        assert!(!m.decr());
        assert_eq!(
            m.to_bytes(),
            b"18446744073709551615-18446744073709551615".to_vec()
        );
    }
}
