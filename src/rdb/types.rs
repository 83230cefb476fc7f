//! The collection types in RDB: the list, set, hash, sorted set and stream
//! parts of `rdbSaveObjectType`, `rdbSaveObject` and `rdbLoadObject`.
//!
//! Compact encodings (quicklist nodes, intsets, listpacks, stream nodes)
//! travel as the blob they are in memory; the others as a count followed by
//! their elements. Every blob read is validated deeply before it becomes a
//! value, so that a corrupt file or RESTORE payload is refused instead of
//! being walked off its end later; values then take the encoding Redis
//! would give them under the current limits.

use super::{
    rdb_generic_load_string, rdb_load_binary_double_value, rdb_load_double_value, rdb_load_len,
    rdb_load_millisecond_time, rdb_load_string, rdb_report_corrupt, rdb_save_binary_double_value,
    rdb_save_len, rdb_save_millisecond_time, rdb_save_raw_string, rdb_write_raw, LoadResult,
    RdbLoadError, SaveResult, RDB_TYPE_HASH, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH_ZIPLIST,
    RDB_TYPE_LIST, RDB_TYPE_LIST_QUICKLIST, RDB_TYPE_LIST_QUICKLIST_2, RDB_TYPE_LIST_ZIPLIST,
    RDB_TYPE_SET, RDB_TYPE_SET_INTSET, RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2,
    RDB_TYPE_ZSET, RDB_TYPE_ZSET_2, RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_ZSET_ZIPLIST,
};
use crate::dict::Dict;
use crate::intset::Intset;
use crate::listpack::{validate_integrity, Listpack};
use crate::object::{RObj, Value};
use crate::quicklist::{End, Node};
use crate::rio::Rio;
use crate::sds::Sds;
use crate::server::Server;
use crate::t_hash::HashValue;
use crate::t_set::SetValue;
use crate::t_stream::{Stream, StreamCG, StreamConsumer, StreamId, StreamNack};
use crate::t_zset::listpack::ZListpack;
use crate::t_zset::skiplist::{ZSet, NIL};
use crate::t_zset::{ListpackLimits, ZSetValue};
use crate::ziplist::{ziplist_entries, ziplist_to_listpack};

/// `QUICKLIST_NODE_CONTAINER_PLAIN` / `_PACKED` as RDB records them.
const QUICKLIST_NODE_CONTAINER_PLAIN: u64 = 1;
const QUICKLIST_NODE_CONTAINER_PACKED: u64 = 2;

/// The RDB type byte of a collection value (`None` for a string).
pub fn collection_rdb_type(v: &Value) -> Option<u8> {
    Some(match v {
        Value::Int(_) | Value::EmbStr(_) | Value::Raw(_) => return None,
        Value::List(_) => RDB_TYPE_LIST_QUICKLIST_2,
        Value::Set(SetValue::Intset(_)) => RDB_TYPE_SET_INTSET,
        Value::Set(SetValue::Ht(_)) => RDB_TYPE_SET,
        Value::Hash(HashValue::Listpack(_)) => RDB_TYPE_HASH_LISTPACK,
        Value::Hash(HashValue::Ht(_)) => RDB_TYPE_HASH,
        Value::ZSet(ZSetValue::Listpack(_)) => RDB_TYPE_ZSET_LISTPACK,
        Value::ZSet(ZSetValue::Skiplist(_)) => RDB_TYPE_ZSET_2,
        Value::Stream(_) => RDB_TYPE_STREAM_LISTPACKS_2,
    })
}

/// `streamEncodeID`: 128 bits big endian, the order of the radix tree.
fn encode_id(id: StreamId) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&id.ms.to_be_bytes());
    b[8..].copy_from_slice(&id.seq.to_be_bytes());
    b
}

fn decode_id(b: &[u8; 16]) -> StreamId {
    let mut ms = [0u8; 8];
    let mut seq = [0u8; 8];
    ms.copy_from_slice(&b[..8]);
    seq.copy_from_slice(&b[8..]);
    StreamId {
        ms: u64::from_be_bytes(ms),
        seq: u64::from_be_bytes(seq),
    }
}

fn save_id_as_lens(rdb: &mut Rio, id: StreamId) -> SaveResult {
    Ok(rdb_save_len(rdb, id.ms)? + rdb_save_len(rdb, id.seq)?)
}

/// The collection part of `rdbSaveObject`.
pub fn rdb_save_collection(rdb: &mut Rio, v: &Value) -> SaveResult {
    let mut n = 0;
    match v {
        Value::Int(_) | Value::EmbStr(_) | Value::Raw(_) => {}
        Value::List(ql) => {
            n += rdb_save_len(rdb, ql.node_count() as u64)?;
            for node in ql.nodes() {
                match node {
                    Node::Plain(e) => {
                        n += rdb_save_len(rdb, QUICKLIST_NODE_CONTAINER_PLAIN)?;
                        n += rdb_save_raw_string(rdb, e)?;
                    }
                    Node::Packed(lp) => {
                        n += rdb_save_len(rdb, QUICKLIST_NODE_CONTAINER_PACKED)?;
                        n += rdb_save_raw_string(rdb, lp.as_bytes())?;
                    }
                }
            }
        }
        Value::Set(SetValue::Intset(is)) => n += rdb_save_raw_string(rdb, is.as_bytes())?,
        Value::Set(SetValue::Ht(d)) => {
            n += rdb_save_len(rdb, d.len() as u64)?;
            for (k, _) in d.iter() {
                n += rdb_save_raw_string(rdb, k.as_bytes())?;
            }
        }
        Value::Hash(HashValue::Listpack(lp)) => n += rdb_save_raw_string(rdb, lp.as_bytes())?,
        Value::Hash(HashValue::Ht(d)) => {
            n += rdb_save_len(rdb, d.len() as u64)?;
            for (k, v) in d.iter() {
                n += rdb_save_raw_string(rdb, k.as_bytes())?;
                n += rdb_save_raw_string(rdb, v.as_bytes())?;
            }
        }
        Value::ZSet(ZSetValue::Listpack(zl)) => {
            n += rdb_save_raw_string(rdb, zl.as_listpack().as_bytes())?
        }
        Value::ZSet(ZSetValue::Skiplist(zs)) => {
            // From the tail, so that loading inserts each member at the
            // head of the skiplist, the cheapest place.
            n += rdb_save_len(rdb, zs.zsl.len() as u64)?;
            let mut x = zs.zsl.last();
            while x != NIL {
                let (ele, score) = zs.zsl.node(x);
                n += rdb_save_raw_string(rdb, ele)?;
                n += rdb_save_binary_double_value(rdb, score)?;
                x = zs.zsl.prev(x);
            }
        }
        Value::Stream(s) => n += rdb_save_stream(rdb, s)?,
    }
    Ok(n)
}

/// The stream part of `rdbSaveObject`: nodes, metadata, then the groups
/// with their PELs and consumers.
fn rdb_save_stream(rdb: &mut Rio, s: &Stream) -> SaveResult {
    let mut n = rdb_save_len(rdb, s.rax.len() as u64)?;
    for (id, lp) in &s.rax {
        n += rdb_save_raw_string(rdb, &encode_id(*id))?;
        n += rdb_save_raw_string(rdb, lp.as_bytes())?;
    }
    n += rdb_save_len(rdb, s.length)?;
    n += save_id_as_lens(rdb, s.last_id)?;
    n += save_id_as_lens(rdb, s.first_id)?;
    n += save_id_as_lens(rdb, s.max_deleted_entry_id)?;
    n += rdb_save_len(rdb, s.entries_added)?;
    n += rdb_save_len(rdb, s.cgroups.len() as u64)?;
    for (name, cg) in &s.cgroups {
        n += rdb_save_raw_string(rdb, name)?;
        n += save_id_as_lens(rdb, cg.last_id)?;
        // An unknown counter (-1) is written as its unsigned bits.
        n += rdb_save_len(rdb, cg.entries_read as u64)?;
        n += rdb_save_len(rdb, cg.pel.len() as u64)?;
        for (id, nack) in &cg.pel {
            n += rdb_write_raw(rdb, &encode_id(*id))?;
            n += rdb_save_millisecond_time(rdb, nack.delivery_time)?;
            n += rdb_save_len(rdb, nack.delivery_count)?;
        }
        n += rdb_save_len(rdb, cg.consumers.len() as u64)?;
        for (cname, consumer) in &cg.consumers {
            n += rdb_save_raw_string(rdb, cname)?;
            n += rdb_save_millisecond_time(rdb, consumer.seen_time)?;
            n += rdb_save_len(rdb, consumer.pel.len() as u64)?;
            for id in &consumer.pel {
                n += rdb_write_raw(rdb, &encode_id(*id))?;
            }
        }
    }
    Ok(n)
}

/// Whether a listpack holds pairs whose first elements (fields, members)
/// are all different (`lpValidateIntegrityAndDups` with pairs).
fn lp_pairs_without_dups(lp: &Listpack) -> bool {
    let count = lp.count();
    if !count.is_multiple_of(2) {
        return false;
    }
    let mut seen: Dict<Sds, ()> = Dict::new();
    for (i, e) in lp.iter().enumerate() {
        if i % 2 == 0 {
            let k = e.to_vec();
            if seen.get(&k[..]).is_some() {
                return false;
            }
            seen.insert(Sds::new(&k), ());
        }
    }
    true
}

/// The collection part of `rdbLoadObject`; `None` when `rdbtype` is not
/// a collection type this server reads.
pub fn rdb_load_collection(
    server: &Server,
    rdbtype: u8,
    rdb: &mut Rio,
) -> Option<LoadResult<RObj>> {
    let value = match rdbtype {
        RDB_TYPE_LIST => rdb_load_list_plain(server, rdb),
        RDB_TYPE_LIST_QUICKLIST | RDB_TYPE_LIST_QUICKLIST_2 => {
            rdb_load_quicklist(server, rdb, rdbtype == RDB_TYPE_LIST_QUICKLIST_2)
        }
        RDB_TYPE_LIST_ZIPLIST => rdb_load_list_ziplist(server, rdb),
        RDB_TYPE_SET => rdb_load_set(server, rdb),
        RDB_TYPE_SET_INTSET => rdb_load_intset(server, rdb),
        RDB_TYPE_HASH => rdb_load_hash(server, rdb),
        RDB_TYPE_HASH_LISTPACK => rdb_load_hash_listpack(server, rdb, false),
        RDB_TYPE_HASH_ZIPLIST => rdb_load_hash_listpack(server, rdb, true),
        RDB_TYPE_ZSET | RDB_TYPE_ZSET_2 => rdb_load_zset(server, rdb, rdbtype == RDB_TYPE_ZSET_2),
        RDB_TYPE_ZSET_LISTPACK => rdb_load_zset_listpack(server, rdb, false),
        RDB_TYPE_ZSET_ZIPLIST => rdb_load_zset_listpack(server, rdb, true),
        RDB_TYPE_STREAM_LISTPACKS | RDB_TYPE_STREAM_LISTPACKS_2 => {
            rdb_load_stream(rdb, rdbtype).map(|s| Value::Stream(Box::new(s)))
        }
        _ => return None,
    };
    Some(value.map(RObj::new))
}

/// `RDB_TYPE_LIST`: the elements one by one.
fn rdb_load_list_plain(server: &Server, rdb: &mut Rio) -> LoadResult<Value> {
    let len = rdb_load_len(rdb)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let Value::List(mut ql) = crate::t_list::create_list_object(server).value else {
        return Err(RdbLoadError::Eof);
    };
    for _ in 0..len {
        ql.push(&rdb_load_string(rdb)?, End::Tail);
    }
    Ok(Value::List(ql))
}

/// `RDB_TYPE_LIST_QUICKLIST_2`: the nodes, each a plain element or a
/// listpack; `RDB_TYPE_LIST_QUICKLIST` (not `v2`): ziplist nodes only.
fn rdb_load_quicklist(server: &Server, rdb: &mut Rio, v2: bool) -> LoadResult<Value> {
    let len = rdb_load_len(rdb)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let Value::List(mut ql) = crate::t_list::create_list_object(server).value else {
        return Err(RdbLoadError::Eof);
    };
    for _ in 0..len {
        let container = if v2 {
            rdb_load_len(rdb)?
        } else {
            QUICKLIST_NODE_CONTAINER_PACKED
        };
        if container != QUICKLIST_NODE_CONTAINER_PLAIN
            && container != QUICKLIST_NODE_CONTAINER_PACKED
        {
            return Err(rdb_report_corrupt(
                2048,
                "Quicklist integrity check failed.".to_string(),
            ));
        }
        let blob = rdb_load_string(rdb)?;
        if blob.is_empty() {
            return Err(RdbLoadError::Eof);
        }
        if container == QUICKLIST_NODE_CONTAINER_PLAIN {
            ql.append_node(Node::Plain(blob));
            continue;
        }
        // A node without elements is skipped, as C does.
        let lp = if v2 {
            Listpack::from_bytes(blob).ok_or_else(|| {
                rdb_report_corrupt(2071, "Listpack integrity check failed.".to_string())
            })?
        } else {
            ziplist_to_listpack(&blob).ok_or_else(|| {
                rdb_report_corrupt(2081, "Ziplist integrity check failed.".to_string())
            })?
        };
        ql.append_node(Node::Packed(lp));
    }
    if ql.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    Ok(Value::List(ql))
}

/// `RDB_TYPE_LIST_ZIPLIST`: one ziplist, pushed into a new quicklist.
fn rdb_load_list_ziplist(server: &Server, rdb: &mut Rio) -> LoadResult<Value> {
    let blob = rdb_load_string(rdb)?;
    let entries = ziplist_entries(&blob).ok_or_else(|| {
        rdb_report_corrupt(2189, "List ziplist integrity check failed.".to_string())
    })?;
    if entries.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let Value::List(mut ql) = crate::t_list::create_list_object(server).value else {
        return Err(RdbLoadError::Eof);
    };
    for e in entries {
        ql.push(&e.to_vec(), End::Tail);
    }
    Ok(Value::List(ql))
}

/// A listpack blob, or with `ziplist` a ziplist blob converted to one,
/// holding pairs without duplicate first elements; `line` and `msg` report
/// anything else.
fn load_pairs_blob(rdb: &mut Rio, ziplist: bool, line: u32, msg: &str) -> LoadResult<Listpack> {
    let blob = rdb_load_string(rdb)?;
    let lp = if ziplist {
        ziplist_to_listpack(&blob)
    } else {
        Listpack::from_bytes(blob)
    };
    match lp {
        Some(lp) if lp_pairs_without_dups(&lp) => Ok(lp),
        _ => Err(rdb_report_corrupt(line, msg.to_string())),
    }
}

/// `RDB_TYPE_SET`: an intset while the members are integers and few
/// enough, else a hashtable.
fn rdb_load_set(server: &Server, rdb: &mut Rio) -> LoadResult<Value> {
    let len = rdb_load_len(rdb)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let max = server.config.set_max_intset_entries;
    let mut set = if len <= max {
        SetValue::Intset(Intset::new())
    } else {
        SetValue::Ht(Box::default())
    };
    for _ in 0..len {
        let ele = rdb_load_string(rdb)?;
        if !set.add(&ele, max) {
            return Err(rdb_report_corrupt(
                1809,
                "Duplicate set members detected".to_string(),
            ));
        }
    }
    Ok(Value::Set(set))
}

/// `RDB_TYPE_SET_INTSET`: the blob, a hashtable when over the limit.
fn rdb_load_intset(server: &Server, rdb: &mut Rio) -> LoadResult<Value> {
    let blob = rdb_load_string(rdb)?;
    let is = Intset::from_blob(blob)
        .ok_or_else(|| rdb_report_corrupt(2214, "Intset integrity check failed.".to_string()))?;
    if is.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let too_big = is.len() as u64 > server.config.set_max_intset_entries;
    let mut set = SetValue::Intset(is);
    if too_big {
        let mut ht = SetValue::Ht(Box::default());
        for e in set.iter() {
            ht.add(&e.to_vec(), 0);
        }
        set = ht;
    }
    Ok(Value::Set(set))
}

/// `RDB_TYPE_HASH`: field and value pairs, a listpack while they fit.
fn rdb_load_hash(server: &Server, rdb: &mut Rio) -> LoadResult<Value> {
    let len = rdb_load_len(rdb)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let max_entries = server.config.hash_max_listpack_entries;
    let max_value = server.config.hash_max_listpack_value;
    let mut h = if len > max_entries {
        HashValue::Ht(Box::default())
    } else {
        HashValue::new()
    };
    for _ in 0..len {
        let pair = [rdb_load_string(rdb)?, rdb_load_string(rdb)?];
        h.try_conversion(&pair, max_value);
        let was_listpack = matches!(h, HashValue::Listpack(_));
        if h.set(&pair[0], &pair[1], max_entries, max_value) {
            return Err(if was_listpack {
                rdb_report_corrupt(1951, "Hash with dup elements".to_string())
            } else {
                rdb_report_corrupt(2019, "Duplicate hash fields detected".to_string())
            });
        }
    }
    Ok(Value::Hash(h))
}

/// `RDB_TYPE_HASH_LISTPACK` (or `_ZIPLIST`): the blob, a hashtable when
/// over the limit.
fn rdb_load_hash_listpack(server: &Server, rdb: &mut Rio, ziplist: bool) -> LoadResult<Value> {
    let lp = if ziplist {
        load_pairs_blob(rdb, true, 2275, "Hash ziplist integrity check failed.")?
    } else {
        load_pairs_blob(rdb, false, 2301, "Hash listpack integrity check failed.")?
    };
    if lp.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut h = HashValue::Listpack(lp);
    if h.len() as u64 > server.config.hash_max_listpack_entries {
        // Filling a hashtable: no limit lets it go back to a listpack.
        let mut ht = HashValue::Ht(Box::default());
        for (f, v) in h.iter() {
            ht.set(&f.to_vec(), &v.to_vec(), 0, 0);
        }
        h = ht;
    }
    Ok(Value::Hash(h))
}

/// `RDB_TYPE_ZSET` / `RDB_TYPE_ZSET_2`: member and score pairs into a
/// skiplist, then a listpack if they fit.
fn rdb_load_zset(server: &Server, rdb: &mut Rio, binary: bool) -> LoadResult<Value> {
    let len = rdb_load_len(rdb)?;
    if len == 0 {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut zs = Box::<ZSet>::default();
    let mut maxelelen = 0;
    for _ in 0..len {
        let ele = rdb_load_string(rdb)?;
        let score = if binary {
            rdb_load_binary_double_value(rdb)?
        } else {
            rdb_load_double_value(rdb)?
        };
        if score.is_nan() {
            return Err(rdb_report_corrupt(
                1882,
                "Zset with NAN score detected".to_string(),
            ));
        }
        if zs.dict.get(&ele[..]).is_some() {
            return Err(rdb_report_corrupt(
                1894,
                "Duplicate zset fields detected".to_string(),
            ));
        }
        maxelelen = maxelelen.max(ele.len());
        zs.insert_new(score, &ele);
    }
    let mut z = ZSetValue::Skiplist(zs);
    z.convert_to_listpack_if_needed(ListpackLimits::of(server), maxelelen);
    Ok(Value::ZSet(z))
}

/// `RDB_TYPE_ZSET_LISTPACK` (or `_ZIPLIST`): the blob, a skiplist when
/// over the limit.
fn rdb_load_zset_listpack(server: &Server, rdb: &mut Rio, ziplist: bool) -> LoadResult<Value> {
    let lp = if ziplist {
        load_pairs_blob(rdb, true, 2229, "Zset ziplist integrity check failed.")?
    } else {
        load_pairs_blob(rdb, false, 2255, "Zset listpack integrity check failed.")?
    };
    if lp.is_empty() {
        return Err(RdbLoadError::EmptyKey);
    }
    let mut z = ZSetValue::Listpack(ZListpack::from_listpack(lp));
    if z.len() as u64 > server.config.zset_max_listpack_entries {
        z.convert_to_skiplist();
    }
    Ok(Value::ZSet(z))
}

fn load_raw_id(rdb: &mut Rio) -> LoadResult<StreamId> {
    let mut b = [0u8; 16];
    if !rdb.rio_read(&mut b) {
        return Err(RdbLoadError::Eof);
    }
    Ok(decode_id(&b))
}

fn load_id_as_lens(rdb: &mut Rio) -> LoadResult<StreamId> {
    Ok(StreamId {
        ms: rdb_load_len(rdb)?,
        seq: rdb_load_len(rdb)?,
    })
}

/// `RDB_TYPE_STREAM_LISTPACKS` / `_2`: the stream part of `rdbLoadObject`.
fn rdb_load_stream(rdb: &mut Rio, rdbtype: u8) -> LoadResult<Stream> {
    let mut s = Stream::new();
    let nodes = rdb_load_len(rdb)?;
    for _ in 0..nodes {
        let key = rdb_generic_load_string(rdb)?.into_bytes();
        let Ok(key) = <[u8; 16]>::try_from(&key[..]) else {
            return Err(rdb_report_corrupt(
                2343,
                "Stream node key entry is not the size of a stream ID".to_string(),
            ));
        };
        let lp = rdb_read_blob_listpack(rdb)?;
        if lp.is_empty() {
            return Err(rdb_report_corrupt(
                2374,
                "Empty listpack inside stream".to_string(),
            ));
        }
        if s.rax.insert(decode_id(&key), lp).is_some() {
            return Err(rdb_report_corrupt(
                2386,
                "Listpack re-added with existing key".to_string(),
            ));
        }
    }
    s.length = rdb_load_len(rdb)?;
    s.last_id = load_id_as_lens(rdb)?;
    if rdbtype == RDB_TYPE_STREAM_LISTPACKS_2 {
        s.first_id = load_id_as_lens(rdb)?;
        s.max_deleted_entry_id = load_id_as_lens(rdb)?;
        s.entries_added = rdb_load_len(rdb)?;
    } else {
        // The older format knows neither: count the live entries as all
        // ever added, and find the first one.
        s.entries_added = s.length;
        s.first_id = s.get_edge_id(true, true);
    }
    if s.length != 0 && s.rax.is_empty() {
        return Err(rdb_report_corrupt(
            2430,
            "Stream length inconsistent with rax entries".to_string(),
        ));
    }
    let groups = rdb_load_len(rdb)?;
    for _ in 0..groups {
        let name = rdb_load_string(rdb)?;
        let last_id = load_id_as_lens(rdb)?;
        let entries_read = if rdbtype == RDB_TYPE_STREAM_LISTPACKS_2 {
            rdb_load_len(rdb)? as i64
        } else {
            s.meta().estimate_distance_from_first_ever_entry(last_id)
        };
        let mut cg = StreamCG {
            last_id,
            entries_read,
            ..StreamCG::default()
        };
        let pel = rdb_load_len(rdb)?;
        for _ in 0..pel {
            let id = load_raw_id(rdb)?;
            let nack = StreamNack {
                delivery_time: rdb_load_millisecond_time(rdb, 0)?,
                delivery_count: rdb_load_len(rdb)?,
                consumer: Vec::new(),
            };
            if cg.pel.insert(id, nack).is_some() {
                return Err(rdb_report_corrupt(
                    2516,
                    "Duplicated global PEL entry loading stream consumer group".to_string(),
                ));
            }
        }
        let consumers = rdb_load_len(rdb)?;
        for _ in 0..consumers {
            let cname = rdb_load_string(rdb)?;
            if cg.consumers.contains_key(&cname) {
                return Err(rdb_report_corrupt(
                    2543,
                    "Duplicate stream consumer detected.".to_string(),
                ));
            }
            let mut consumer = StreamConsumer {
                seen_time: rdb_load_millisecond_time(rdb, 0)?,
                name: cname.clone(),
                pel: Default::default(),
            };
            let owned = rdb_load_len(rdb)?;
            for _ in 0..owned {
                let id = load_raw_id(rdb)?;
                let Some(nack) = cg.pel.get_mut(&id) else {
                    return Err(rdb_report_corrupt(
                        2573,
                        "Consumer entry not found in group global PEL".to_string(),
                    ));
                };
                if !nack.consumer.is_empty() {
                    return Err(rdb_report_corrupt(
                        2583,
                        "Stream consumer PEL entry already has a consumer assigned".to_string(),
                    ));
                }
                nack.consumer = cname.clone();
                if !consumer.pel.insert(id) {
                    return Err(rdb_report_corrupt(
                        2592,
                        "Duplicated consumer PEL entry  loading a stream consumer group"
                            .to_string(),
                    ));
                }
            }
            cg.consumers.insert(cname, consumer);
        }
        if cg.pel.values().any(|n| n.consumer.is_empty()) {
            return Err(rdb_report_corrupt(
                2611,
                "Stream CG PEL entry without consumer".to_string(),
            ));
        }
        if s.cgroups.contains_key(&name) {
            return Err(rdb_report_corrupt(
                2480,
                format!(
                    "Duplicated consumer group name {}",
                    String::from_utf8_lossy(&name)
                ),
            ));
        }
        s.cgroups.insert(name, cg);
    }
    Ok(s)
}

/// A stream node's listpack, validated as a stream node.
fn rdb_read_blob_listpack(rdb: &mut Rio) -> LoadResult<Listpack> {
    const MSG: &str = "Stream listpack integrity check failed.";
    let blob = rdb_load_string(rdb)?;
    if !validate_integrity(&blob, false, None) {
        return Err(rdb_report_corrupt(2362, MSG.to_string()));
    }
    let lp = Listpack::from_bytes(blob).ok_or_else(|| rdb_report_corrupt(2362, MSG.to_string()))?;
    if !lp.is_empty() && !crate::t_stream::stream_validate_listpack_integrity(&lp) {
        return Err(rdb_report_corrupt(2362, MSG.to_string()));
    }
    Ok(lp)
}
