//! Sorted sets: a port of `t_zset.c`.
//!
//! A sorted set is a [`ZSetValue`], whose variant is the encoding OBJECT
//! ENCODING reports: `listpack` (members and scores side by side in one
//! buffer, for small sets) or `skiplist` (a skiplist ordered by score and
//! member plus a dict from member to score). A set starts as a listpack
//! and becomes a skiplist for good once it has more than
//! `zset-max-listpack-entries` members or a member longer than
//! `zset-max-listpack-value` bytes; only the store commands (ZUNIONSTORE
//! and friends) build their result small again when it fits.
//!
//! The C file is split as its banner sections are:
//!
//! | C section | module |
//! |---|---|
//! | skiplist implementation (`zsl*`) | [`skiplist`] |
//! | listpack implementation (`zzl*`) | [`listpack`] |
//! | common sorted set API (`zset*`), range parsing | this file |
//! | sorted set commands | [`commands`] |
//! | ZRANGE family and its result handlers | [`range`] |
//! | ZUNION / ZINTER / ZDIFF | [`setops`] |
//! | ZPOP, BZPOP, ZMPOP, ZRANDMEMBER | [`pop`] |

pub mod commands;
pub mod listpack;
pub mod pop;
pub mod range;
pub mod setops;
pub mod skiplist;

use crate::networking::Client;
use crate::object::{RObj, Value};
use crate::server::Server;
use listpack::ZListpack;
use skiplist::{ZSet, NIL};

// Input flags of `zset_add`.
pub const ZADD_IN_NONE: u32 = 0;
pub const ZADD_IN_INCR: u32 = 1 << 0;
pub const ZADD_IN_NX: u32 = 1 << 1;
pub const ZADD_IN_XX: u32 = 1 << 2;
pub const ZADD_IN_GT: u32 = 1 << 3;
pub const ZADD_IN_LT: u32 = 1 << 4;

// Output flags of `zset_add`.
pub const ZADD_OUT_NOP: u32 = 1 << 0;
pub const ZADD_OUT_NAN: u32 = 1 << 1;
pub const ZADD_OUT_ADDED: u32 = 1 << 2;
pub const ZADD_OUT_UPDATED: u32 = 1 << 3;

/// `zrangespec`: a score interval, each end open or closed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ZRangeSpec {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ZRangeSpec {
    /// Whether no score can be in the interval.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lexicographic interval: `-`, `+`, `[x` or `(x`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl LexBound {
    fn exclusive(&self) -> bool {
        !matches!(self, LexBound::Incl(_))
    }

    /// `sdscmplex`: `-` below every string, `+` above.
    fn cmp(&self, other: &LexBound) -> std::cmp::Ordering {
        use std::cmp::Ordering::*;
        match (self, other) {
            (LexBound::NegInf, LexBound::NegInf) | (LexBound::PosInf, LexBound::PosInf) => Equal,
            (LexBound::NegInf, _) | (_, LexBound::PosInf) => Less,
            (LexBound::PosInf, _) | (_, LexBound::NegInf) => Greater,
            (LexBound::Incl(a) | LexBound::Excl(a), LexBound::Incl(b) | LexBound::Excl(b)) => {
                a.cmp(b)
            }
        }
    }
}

/// `zlexrangespec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZLexRangeSpec {
    pub min: LexBound,
    pub max: LexBound,
}

impl ZLexRangeSpec {
    /// Whether no string can be in the interval.
    pub fn is_empty(&self) -> bool {
        let cmp = self.min.cmp(&self.max);
        cmp.is_gt() || (cmp.is_eq() && (self.min.exclusive() || self.max.exclusive()))
    }
}

/// `strtod` as `zslParseRange` uses it: the C string must be consumed to
/// its end, white space may lead, overflow gives ±inf, NaN is refused.
fn parse_range_double(s: &[u8]) -> Option<f64> {
    // A C string ends at its first NUL.
    let s = s.split(|&b| b == 0).next().unwrap_or(b"");
    if s.is_empty() {
        // strtod converts nothing and leaves the end pointer on the NUL.
        return Some(0.0);
    }
    let t = &s[s
        .iter()
        .take_while(|&&b| crate::util::is_c_space(b))
        .count()..];
    if t.is_empty() {
        return None;
    }
    let v = crate::util::string2d(t).or_else(|| {
        // string2d refuses what overflows or underflows; strtod saturates.
        std::str::from_utf8(t).ok()?.parse::<f64>().ok()
    })?;
    (!v.is_nan()).then_some(v)
}

/// `zslParseRange`: `1.5`, `(1.5`, `-inf`, `+inf`...
pub fn zsl_parse_range(min: &[u8], max: &[u8]) -> Option<ZRangeSpec> {
    let end = |s: &[u8]| -> Option<(f64, bool)> {
        match s.split_first() {
            Some((b'(', rest)) => Some((parse_range_double(rest)?, true)),
            _ => Some((parse_range_double(s)?, false)),
        }
    };
    let (min, minex) = end(min)?;
    let (max, maxex) = end(max)?;
    Some(ZRangeSpec {
        min,
        max,
        minex,
        maxex,
    })
}

/// `zslParseLexRangeItem`.
fn zsl_parse_lex_range_item(item: &[u8]) -> Option<LexBound> {
    match item.split_first() {
        Some((b'+', rest)) if rest.is_empty() || rest[0] == 0 => Some(LexBound::PosInf),
        Some((b'-', rest)) if rest.is_empty() || rest[0] == 0 => Some(LexBound::NegInf),
        Some((b'(', rest)) => Some(LexBound::Excl(rest.to_vec())),
        Some((b'[', rest)) => Some(LexBound::Incl(rest.to_vec())),
        _ => None,
    }
}

/// `zslParseLexRange`.
pub fn zsl_parse_lex_range(min: &[u8], max: &[u8]) -> Option<ZLexRangeSpec> {
    Some(ZLexRangeSpec {
        min: zsl_parse_lex_range_item(min)?,
        max: zsl_parse_lex_range_item(max)?,
    })
}

/// `zset-max-listpack-entries` and `zset-max-listpack-value`, copied out
/// of the config so a sorted set of the keyspace can be changed while they
/// are consulted.
#[derive(Clone, Copy, Debug)]
pub struct ListpackLimits {
    pub entries: u64,
    pub value: u64,
}

impl ListpackLimits {
    pub fn of(server: &Server) -> ListpackLimits {
        ListpackLimits {
            entries: server.config.zset_max_listpack_entries,
            value: server.config.zset_max_listpack_value,
        }
    }
}

/// A sorted set value; the variant is the encoding.
#[derive(Clone, Debug)]
pub enum ZSetValue {
    /// `OBJ_ENCODING_LISTPACK`.
    Listpack(ZListpack),
    /// `OBJ_ENCODING_SKIPLIST`.
    Skiplist(Box<ZSet>),
}

impl ZSetValue {
    /// `createZsetObject`.
    pub fn new_skiplist() -> ZSetValue {
        ZSetValue::Skiplist(Box::default())
    }

    /// `createZsetListpackObject`.
    pub fn new_listpack() -> ZSetValue {
        ZSetValue::Listpack(ZListpack::new())
    }

    pub fn encoding_name(&self) -> &'static str {
        match self {
            ZSetValue::Listpack(_) => "listpack",
            ZSetValue::Skiplist(_) => "skiplist",
        }
    }

    /// `zsetLength`.
    pub fn len(&self) -> usize {
        match self {
            ZSetValue::Listpack(lp) => lp.len(),
            ZSetValue::Skiplist(zs) => zs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `zsetScore`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSetValue::Listpack(lp) => lp.find(member).map(|(_, s)| s),
            ZSetValue::Skiplist(zs) => zs.dict.get(member).copied(),
        }
    }

    /// `zsetRank`: 0-based, from the end when `reverse`.
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let len = self.len();
        let r = match self {
            ZSetValue::Listpack(lp) => lp.find(member).map(|(i, _)| i)?,
            ZSetValue::Skiplist(zs) => {
                let score = *zs.dict.get(member)?;
                zs.zsl.get_rank(score, member).checked_sub(1)?
            }
        };
        Some(if reverse { len - 1 - r } else { r })
    }

    /// Calls `f(member, score)` for the elements from rank `start` on (0
    /// is the first element, or the last one when `reverse`), in that
    /// direction, while `f` returns true.
    pub fn visit(&self, start: usize, reverse: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        let len = self.len();
        if start >= len {
            return;
        }
        match self {
            ZSetValue::Listpack(lp) => lp.visit(start, reverse, f),
            ZSetValue::Skiplist(zs) => {
                let zsl = &zs.zsl;
                let mut x = if reverse {
                    zsl.get_element_by_rank(len - start)
                } else {
                    zsl.get_element_by_rank(start + 1)
                };
                while x != NIL {
                    let (e, s) = zsl.node(x);
                    if !f(e, s) {
                        break;
                    }
                    x = if reverse { zsl.prev(x) } else { zsl.next(x) };
                }
            }
        }
    }

    /// Every element, in order.
    pub fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        self.visit(0, false, |e, s| {
            f(e, s);
            true
        });
    }

    /// The rank (in the given direction) of the first element in a score
    /// interval: `zslFirstInRange` / `zslLastInRange`.
    pub fn first_in_range(&self, range: &ZRangeSpec, reverse: bool) -> Option<usize> {
        match self {
            ZSetValue::Listpack(lp) => lp.first_in_range(range, reverse),
            ZSetValue::Skiplist(zs) => {
                if reverse {
                    zs.zsl.last_in_range(range).map(|(_, r)| zs.len() - 1 - r)
                } else {
                    zs.zsl.first_in_range(range).map(|(_, r)| r)
                }
            }
        }
    }

    /// Like `first_in_range` for a lexicographic interval.
    pub fn first_in_lex_range(&self, range: &ZLexRangeSpec, reverse: bool) -> Option<usize> {
        match self {
            ZSetValue::Listpack(lp) => lp.first_in_lex_range(range, reverse),
            ZSetValue::Skiplist(zs) => {
                if reverse {
                    zs.zsl
                        .last_in_lex_range(range)
                        .map(|(_, r)| zs.len() - 1 - r)
                } else {
                    zs.zsl.first_in_lex_range(range).map(|(_, r)| r)
                }
            }
        }
    }

    /// ZCOUNT / ZLEXCOUNT as C computes them: a listpack counts from the
    /// first element in the interval while the maximum holds; a skiplist
    /// subtracts the ranks of the first and last elements in it. (They
    /// differ only for a lex interval over members of unequal scores.)
    fn count_generic(
        &self,
        first: Option<usize>,
        last: Option<usize>,
        lte_max: impl Fn(&[u8], f64) -> bool,
    ) -> i64 {
        let Some(first) = first else {
            return 0;
        };
        match self {
            ZSetValue::Listpack(_) => {
                let mut n = 0;
                self.visit(first, false, |e, s| {
                    if lte_max(e, s) {
                        n += 1;
                    }
                    lte_max(e, s)
                });
                n
            }
            ZSetValue::Skiplist(_) => {
                let len = self.len() as i64;
                let mut count = len - first as i64;
                if let Some(last) = last {
                    count -= len - (last as i64 + 1);
                }
                count
            }
        }
    }

    /// ZCOUNT.
    pub fn count_in_range(&self, range: &ZRangeSpec) -> i64 {
        let first = self.first_in_range(range, false);
        let last = self.first_in_range(range, true).map(|r| self.len() - 1 - r);
        self.count_generic(first, last, |_, s| skiplist::zsl_value_lte_max(s, range))
    }

    /// ZLEXCOUNT.
    pub fn count_in_lex_range(&self, range: &ZLexRangeSpec) -> i64 {
        let first = self.first_in_lex_range(range, false);
        let last = self
            .first_in_lex_range(range, true)
            .map(|r| self.len() - 1 - r);
        self.count_generic(first, last, |e, _| {
            skiplist::zsl_lex_value_lte_max(e, range)
        })
    }

    /// `zzlDeleteRangeBy*` / `zslDeleteRangeBy*`: from the first element
    /// that satisfies the minimum, the run of elements within the maximum.
    /// A listpack first checks that the interval touches the set at all;
    /// a skiplist goes straight down to the minimum.
    fn delete_range_generic(
        &mut self,
        listpack_first: Option<usize>,
        gte_min: impl Fn(&[u8], f64) -> bool,
        lte_max: impl Fn(&[u8], f64) -> bool,
    ) -> usize {
        let first = match self {
            ZSetValue::Listpack(_) => listpack_first,
            ZSetValue::Skiplist(zs) => Some(zs.zsl.count_while(|e, s| !gte_min(e, s))),
        };
        let Some(first) = first else {
            return 0;
        };
        let mut n = 0;
        self.visit(first, false, |e, s| {
            let inside = lte_max(e, s);
            n += inside as usize;
            inside
        });
        if n == 0 {
            return 0;
        }
        self.delete_range_by_rank(first, first + n - 1)
    }

    /// ZREMRANGEBYSCORE.
    pub fn delete_range_by_score(&mut self, range: &ZRangeSpec) -> usize {
        let first = match self {
            ZSetValue::Listpack(lp) => lp.first_in_range(range, false),
            ZSetValue::Skiplist(_) => None,
        };
        self.delete_range_generic(
            first,
            |_, s| skiplist::zsl_value_gte_min(s, range),
            |_, s| skiplist::zsl_value_lte_max(s, range),
        )
    }

    /// ZREMRANGEBYLEX.
    pub fn delete_range_by_lex(&mut self, range: &ZLexRangeSpec) -> usize {
        let first = match self {
            ZSetValue::Listpack(lp) => lp.first_in_lex_range(range, false),
            ZSetValue::Skiplist(_) => None,
        };
        self.delete_range_generic(
            first,
            |e, _| skiplist::zsl_lex_value_gte_min(e, range),
            |e, _| skiplist::zsl_lex_value_lte_max(e, range),
        )
    }

    /// Removes the elements of forward ranks `start..=end`; returns how
    /// many.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        match self {
            ZSetValue::Listpack(lp) => lp.delete_range(start, end),
            ZSetValue::Skiplist(zs) => zs.delete_range_by_rank(start, end),
        }
    }

    /// `zsetDel`.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSetValue::Listpack(lp) => match lp.find(member) {
                Some((i, _)) => {
                    lp.delete_range(i, i);
                    true
                }
                None => false,
            },
            ZSetValue::Skiplist(zs) => zs.remove(member),
        }
    }

    /// `zsetConvert` to the skiplist encoding.
    pub fn convert_to_skiplist(&mut self) {
        if let ZSetValue::Listpack(lp) = self {
            let mut zs = Box::<ZSet>::default();
            lp.visit(0, false, |e, s| {
                zs.insert_new(s, e);
                true
            });
            *self = ZSetValue::Skiplist(zs);
        }
    }

    /// `zsetConvertToListpackIfNeeded`: a store command's result goes back
    /// to a listpack when it is small enough.
    pub fn convert_to_listpack_if_needed(&mut self, limits: ListpackLimits, maxelelen: usize) {
        let ZSetValue::Skiplist(zs) = self else {
            return;
        };
        let fits = zs.len() as u64 <= limits.entries
            && maxelelen as u64 <= limits.value
            && crate::listpack::safe_to_add(0, zs.dict.iter().map(|(k, _)| k.len()).sum());
        if fits {
            let mut lp = ZListpack::new();
            let mut x = zs.zsl.first();
            while x != NIL {
                let (e, s) = zs.zsl.node(x);
                lp.push(e, s);
                x = zs.zsl.next(x);
            }
            lp.shrink_to_fit();
            *self = ZSetValue::Listpack(lp);
        }
    }

    /// `zsetAdd`: adds, updates or increments a member under the NX / XX /
    /// GT / LT / INCR rules. Returns the output flags and the member's
    /// score after the call; `ZADD_OUT_NAN` means nothing was done because
    /// the score would not be a number.
    pub fn add(
        &mut self,
        limits: ListpackLimits,
        mut score: f64,
        ele: &[u8],
        in_flags: u32,
    ) -> (u32, f64) {
        let incr = in_flags & ZADD_IN_INCR != 0;
        let nx = in_flags & ZADD_IN_NX != 0;
        let xx = in_flags & ZADD_IN_XX != 0;
        let gt = in_flags & ZADD_IN_GT != 0;
        let lt = in_flags & ZADD_IN_LT != 0;
        if score.is_nan() {
            return (ZADD_OUT_NAN, score);
        }
        match self.score(ele) {
            Some(curscore) => {
                if nx {
                    return (ZADD_OUT_NOP, curscore);
                }
                if incr {
                    score += curscore;
                    if score.is_nan() {
                        return (ZADD_OUT_NAN, score);
                    }
                }
                if (lt && score >= curscore) || (gt && score <= curscore) {
                    return (ZADD_OUT_NOP, curscore);
                }
                if score == curscore {
                    return (0, score);
                }
                match self {
                    ZSetValue::Listpack(lp) => lp.update(ele, score),
                    ZSetValue::Skiplist(zs) => zs.update(curscore, ele, score),
                }
                (ZADD_OUT_UPDATED, score)
            }
            None if xx => (ZADD_OUT_NOP, score),
            None => {
                if let ZSetValue::Listpack(lp) = self {
                    if lp.len() as u64 + 1 > limits.entries
                        || ele.len() as u64 > limits.value
                        || !lp.safe_to_add(ele.len())
                    {
                        self.convert_to_skiplist();
                    }
                }
                match self {
                    ZSetValue::Listpack(lp) => lp.insert(ele, score),
                    ZSetValue::Skiplist(zs) => zs.insert_new(score, ele),
                }
                (ZADD_OUT_ADDED, score)
            }
        }
    }

    /// The end of a write command: a listpack drops its spare capacity.
    pub fn shrink_to_fit(&mut self) {
        if let ZSetValue::Listpack(lp) = self {
            lp.shrink_to_fit();
        }
    }

    /// `objectComputeSize` for a sorted set: an estimate from our layout.
    pub fn mem_usage(&self) -> usize {
        match self {
            ZSetValue::Listpack(lp) => lp.mem_usage(),
            ZSetValue::Skiplist(zs) => {
                let mut n = std::mem::size_of::<ZSet>() + zs.dict.mem_overhead();
                // Node, level array (1.33 levels on average), the member
                // twice (skiplist and dict) and the score in the dict.
                zs.dict.iter().for_each(|(k, _)| {
                    n += 2 * k.len() + 48 + 16 + 2 * std::mem::size_of::<crate::sds::Sds>();
                });
                n
            }
        }
    }

    /// The mixing `xorObjectDigest` does for a sorted set: member and
    /// `%.17g` score per element, xor-ed so order does not matter.
    pub fn digest(&self, digest: &mut [u8; 20]) {
        let mut buf = Vec::with_capacity(32);
        self.for_each(|e, s| {
            let mut eledigest = [0u8; 20];
            crate::debug::mix_digest(&mut eledigest, e);
            buf.clear();
            crate::util::append_double(&mut buf, s);
            crate::debug::mix_digest(&mut eledigest, &buf);
            crate::debug::xor_digest(digest, &eledigest);
        });
    }
}

/// What a lookup of a sorted set key found.
pub enum Found<'a> {
    Missing,
    WrongType,
    ZSet(&'a mut ZSetValue),
}

impl Found<'_> {
    pub fn is_missing(&self) -> bool {
        matches!(self, Found::Missing)
    }
}

/// Reads a key expected to hold a sorted set.
pub fn lookup_zset<'a>(server: &'a mut Server, db: usize, key: &[u8], write: bool) -> Found<'a> {
    let o = if write {
        server.lookup_key_write(db, key)
    } else {
        server.lookup_key_read(db, key)
    };
    match o {
        None => Found::Missing,
        Some(RObj {
            value: Value::ZSet(z),
            ..
        }) => Found::ZSet(z),
        Some(_) => Found::WrongType,
    }
}

/// `lookupKey*OrReply` + `checkType`: the sorted set, or None after
/// replying `missing_reply` (raw protocol) or the WRONGTYPE error.
pub fn lookup_zset_or_reply<'a>(
    server: &'a mut Server,
    c: &mut Client,
    key: &[u8],
    write: bool,
    missing_reply: &[u8],
) -> Option<&'a mut ZSetValue> {
    match lookup_zset(server, c.db, key, write) {
        Found::ZSet(z) => Some(z),
        Found::Missing => {
            c.add_reply(missing_reply);
            None
        }
        Found::WrongType => {
            c.add_reply_wrongtype();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_ranges_parse_as_strtod() {
        let r = zsl_parse_range(b"(1.5", b"+inf").unwrap();
        assert_eq!(
            (r.min, r.minex, r.max, r.maxex),
            (1.5, true, f64::INFINITY, false)
        );
        assert_eq!(zsl_parse_range(b"", b"(").unwrap().max, 0.0);
        assert!(zsl_parse_range(b"nan", b"1").is_none());
        assert!(zsl_parse_range(b"1x", b"1").is_none());
        assert!(zsl_parse_range(b" ", b"1").is_none());
        assert_eq!(zsl_parse_range(b" 2", b"1e400").unwrap().max, f64::INFINITY);
    }

    #[test]
    fn lex_ranges() {
        assert!(zsl_parse_lex_range(b"a", b"+").is_none());
        assert!(zsl_parse_lex_range(b"-x", b"+").is_none());
        assert!(zsl_parse_lex_range(b"-", b"-").unwrap().is_empty());
        assert!(zsl_parse_lex_range(b"+", b"-").unwrap().is_empty());
        assert!(!zsl_parse_lex_range(b"-", b"+").unwrap().is_empty());
        assert!(zsl_parse_lex_range(b"(a", b"[a").unwrap().is_empty());
        assert!(!zsl_parse_lex_range(b"[a", b"[a").unwrap().is_empty());
    }
}
