//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD:
//! `zunionInterDiffGenericCommand`.
//!
//! The inputs are read in place; the result is built as a skiplist and,
//! when it is stored, turned into a listpack if it is small enough, as C
//! does. Plain sets are valid inputs in C (every member scoring 1); they
//! join here once the set type exists.

use std::collections::HashMap;

use super::skiplist::ZSet;
use super::{ListpackLimits, ZSetValue};
use crate::config::{NOTIFY_GENERIC, NOTIFY_ZSET};
use crate::networking::Client;
use crate::notify::notify_keyspace_event;
use crate::object::{
    get_double_from_object_or_reply, get_long_from_object_or_reply,
    get_positive_long_from_object_or_reply, RObj, Value,
};
use crate::server::Server;

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// `zunionInterAggregate`.
fn zunion_inter_aggregate(target: &mut f64, val: f64, aggregate: Aggregate) {
    match aggregate {
        Aggregate::Sum => {
            *target += val;
            // inf + -inf: the sum of the weighted scores is taken as 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// `zunionInterDiffGenericCommand`. `dstkey` is set for the STORE forms;
/// `numkeys_index` is where the key count is; `name` is the command's
/// name for the error about a zero key count.
fn zunion_inter_diff_generic_command(
    server: &mut Server,
    c: &mut Client,
    dstkey: Option<Vec<u8>>,
    numkeys_index: usize,
    op: SetOp,
    cardinality_only: bool,
    name: &str,
) {
    // 1) The number of keys.
    let Some(setnum) = get_long_from_object_or_reply(c, &c.argv[numkeys_index].clone(), None)
    else {
        return;
    };
    if setnum < 1 {
        c.add_reply_error(&format!(
            "at least 1 input key is needed for '{name}' command"
        ));
        return;
    }
    if setnum > (c.argv.len() - (numkeys_index + 1)) as i64 {
        c.add_reply_syntax_error();
        return;
    }
    let setnum = setnum as usize;
    let db = c.db;

    // 2) The inputs: looked up (expiring them if due) and type checked.
    let keys: Vec<Vec<u8>> = c.argv[numkeys_index + 1..numkeys_index + 1 + setnum].to_vec();
    for k in &keys {
        if let Some(o) = server.lookup_key_read(db, k) {
            if !matches!(o.value, Value::ZSet(_)) {
                c.add_reply_wrongtype();
                return;
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];

    // 3) Options.
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = numkeys_index + 1 + setnum;
    while j < c.argv.len() {
        let remaining = c.argv.len() - j;
        let a = &c.argv[j];
        if op != SetOp::Diff
            && !cardinality_only
            && remaining > setnum
            && a.eq_ignore_ascii_case(b"weights")
        {
            j += 1;
            for w in weights.iter_mut() {
                let Some(v) = get_double_from_object_or_reply(
                    c,
                    &c.argv[j].clone(),
                    Some("weight value is not a float"),
                ) else {
                    return;
                };
                *w = v;
                j += 1;
            }
        } else if op != SetOp::Diff
            && !cardinality_only
            && remaining >= 2
            && a.eq_ignore_ascii_case(b"aggregate")
        {
            let v = &c.argv[j + 1];
            aggregate = if v.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if v.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if v.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                c.add_reply_syntax_error();
                return;
            };
            j += 2;
        } else if dstkey.is_none() && !cardinality_only && a.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && a.eq_ignore_ascii_case(b"limit") {
            let Some(l) = get_positive_long_from_object_or_reply(
                c,
                &c.argv[j + 1].clone(),
                Some("LIMIT can't be negative"),
            ) else {
                return;
            };
            limit = l;
            j += 2;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }

    // 4) The operation, on the inputs read in place.
    let dbref = &server.dbs[db];
    let mut src: Vec<(Option<&ZSetValue>, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let z = match dbref.dict.get(&k[..]) {
                Some(RObj {
                    value: Value::ZSet(z),
                    ..
                }) => Some(z),
                _ => None,
            };
            (z, w)
        })
        .collect();
    let zlen = |z: &Option<&ZSetValue>| z.map_or(0, |z| z.len());
    if op != SetOp::Diff {
        // Smallest first: the intersection then probes the fewest members.
        src.sort_by_key(|(z, _)| zlen(z));
    }
    let mut dst = ZSet::default();
    let mut maxelelen = 0;
    let mut cardinality = 0i64;
    match op {
        SetOp::Inter => {
            if let (Some(first), w0) = src[0] {
                first.for_each(|ele, s| {
                    if limit > 0 && cardinality >= limit {
                        return;
                    }
                    let mut score = w0 * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for &(other, w) in &src[1..] {
                        let Some(other) = other else { return };
                        let value = if std::ptr::eq(other, first) {
                            s
                        } else {
                            match other.score(ele) {
                                Some(v) => v,
                                None => return,
                            }
                        };
                        zunion_inter_aggregate(&mut score, value * w, aggregate);
                    }
                    if cardinality_only {
                        cardinality += 1;
                    } else {
                        maxelelen = maxelelen.max(ele.len());
                        dst.insert_new(score, ele);
                    }
                });
            }
        }
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for &(z, w) in &src {
                let Some(z) = z else { continue };
                z.for_each(|ele, s| {
                    let mut score = w * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(ele) {
                        Some(t) => zunion_inter_aggregate(t, score, aggregate),
                        None => {
                            maxelelen = maxelelen.max(ele.len());
                            acc.insert(ele.to_vec(), score);
                        }
                    }
                });
            }
            for (ele, score) in acc {
                dst.insert_new(score, &ele);
            }
        }
        SetOp::Diff => {
            if let (Some(first), _) = src[0] {
                first.for_each(|ele, s| {
                    let found = src[1..]
                        .iter()
                        .any(|(z, _)| z.is_some_and(|z| z.score(ele).is_some()));
                    if !found {
                        maxelelen = maxelelen.max(ele.len());
                        dst.insert_new(s, ele);
                    }
                });
            }
        }
    }

    // 5) Store or reply.
    if let Some(dstkey) = dstkey {
        if !dst.is_empty() {
            let mut z = ZSetValue::Skiplist(Box::new(dst));
            z.convert_to_listpack_if_needed(ListpackLimits::of(server), maxelelen);
            let n = z.len();
            server.set_key(db, &dstkey, RObj::new(Value::ZSet(z)), false);
            server.signal_modified_key(db, &dstkey);
            c.add_reply_long_long(n as i64);
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            notify_keyspace_event(server, NOTIFY_ZSET, event, &dstkey, db);
            server.dirty += 1;
        } else {
            c.add_reply_long_long(0);
            if server.db_delete(db, &dstkey) {
                server.signal_modified_key(db, &dstkey);
                notify_keyspace_event(server, NOTIFY_GENERIC, "del", &dstkey, db);
                server.dirty += 1;
            }
        }
    } else if cardinality_only {
        c.add_reply_long_long(cardinality);
    } else {
        let length = dst.len() as i64;
        c.add_reply_array_len(if withscores && c.resp == 2 {
            length * 2
        } else {
            length
        });
        let zsl = &dst.zsl;
        let mut x = zsl.first();
        while x != super::skiplist::NIL {
            let (ele, score) = zsl.node(x);
            if withscores && c.resp > 2 {
                c.add_reply_array_len(2);
            }
            c.add_reply_bulk(ele);
            if withscores {
                c.add_reply_double(score);
            }
            x = zsl.next(x);
        }
    }
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub fn zunionstore_command(server: &mut Server, c: &mut Client) {
    let dst = c.argv[1].clone();
    zunion_inter_diff_generic_command(server, c, Some(dst), 2, SetOp::Union, false, "zunionstore");
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX]
pub fn zinterstore_command(server: &mut Server, c: &mut Client) {
    let dst = c.argv[1].clone();
    zunion_inter_diff_generic_command(server, c, Some(dst), 2, SetOp::Inter, false, "zinterstore");
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub fn zdiffstore_command(server: &mut Server, c: &mut Client) {
    let dst = c.argv[1].clone();
    zunion_inter_diff_generic_command(server, c, Some(dst), 2, SetOp::Diff, false, "zdiffstore");
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zunion_command(server: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(server, c, None, 1, SetOp::Union, false, "zunion");
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub fn zinter_command(server: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(server, c, None, 1, SetOp::Inter, false, "zinter");
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub fn zintercard_command(server: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(server, c, None, 1, SetOp::Inter, true, "zintercard");
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub fn zdiff_command(server: &mut Server, c: &mut Client) {
    zunion_inter_diff_generic_command(server, c, None, 1, SetOp::Diff, false, "zdiff");
}
