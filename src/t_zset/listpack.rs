//! The listpack encoding of a sorted set: the `zzl*` functions of
//! `t_zset.c`.
//!
//! Members and scores alternate in one [`Listpack`], ordered by (score,
//! member): member at even positions, its score right after it. A score is
//! stored as an integer when it is integral, else as the text `d2string`
//! prints: exactly the bytes Redis keeps (and saves in RDB).
//! Every operation walks the entries; sets in this encoding are small.

use super::skiplist::{
    zsl_lex_value_gte_min, zsl_lex_value_lte_max, zsl_value_gte_min, zsl_value_lte_max,
};
use super::{ZLexRangeSpec, ZRangeSpec};
use crate::listpack::{Listpack, LpEntry, Where};
use crate::util::ll2string;

/// A member and its score, copied out.
type Pair = (Vec<u8>, f64);

/// A sorted set as a listpack of member, score, member, score...
#[derive(Clone, Debug, Default)]
pub struct ZListpack {
    lp: Listpack,
}

/// `zzlGetScore`: the score stored at `sptr`.
fn zzl_get_score(lp: &Listpack, sptr: usize) -> f64 {
    match lp.get(sptr) {
        LpEntry::Int(v) => v as f64,
        // Written by d2string, so always a valid double; a damaged entry
        // reads as 0 rather than failing.
        LpEntry::Str(s) => crate::util::string2d(s).unwrap_or_else(|| {
            std::str::from_utf8(s)
                .ok()
                .and_then(|t| t.parse().ok())
                .unwrap_or(0.0)
        }),
    }
}

/// Calls `f` with the bytes of the member at `p` (integers printed).
fn with_member<R>(lp: &Listpack, p: usize, f: impl FnOnce(&[u8]) -> R) -> R {
    match lp.get(p) {
        LpEntry::Str(s) => f(s),
        LpEntry::Int(v) => {
            let mut buf = [0u8; 24];
            let n = ll2string(&mut buf, v);
            f(&buf[..n])
        }
    }
}

impl ZListpack {
    pub fn new() -> ZListpack {
        ZListpack::default()
    }

    /// Wraps a listpack read from RDB, already checked to hold member and
    /// score pairs without duplicate members.
    pub fn from_listpack(lp: Listpack) -> ZListpack {
        ZListpack { lp }
    }

    /// The listpack as RDB stores it.
    pub fn as_listpack(&self) -> &Listpack {
        &self.lp
    }

    /// `zzlLength`.
    pub fn len(&self) -> usize {
        self.lp.count() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.lp.is_empty()
    }

    /// `lpSafeToAdd`: whether `add` more bytes keep the listpack under its
    /// 1 GB cap.
    pub fn safe_to_add(&self, add: usize) -> bool {
        crate::listpack::safe_to_add(self.lp.bytes(), add)
    }

    /// `zzlFind`: the member's position (in pairs) and score.
    pub fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        let mut p = self.lp.first();
        let mut i = 0;
        while let Some(eptr) = p {
            let sptr = self.lp.next(eptr)?;
            if self.lp.compare(eptr, member) {
                return Some((i, zzl_get_score(&self.lp, sptr)));
            }
            p = self.lp.next(sptr);
            i += 1;
        }
        None
    }

    /// The member entry of the pair at `rank` (from the tail when
    /// `reverse`).
    fn seek_pair(&self, rank: usize, reverse: bool) -> Option<usize> {
        let idx = if reverse {
            self.len().checked_sub(rank + 1)?
        } else {
            rank
        };
        self.lp.seek(2 * idx as i64)
    }

    /// Calls `f(member, score)` from the pair at `start` on, in the given
    /// direction, while it returns true.
    pub fn visit(&self, start: usize, reverse: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        let mut p = self.seek_pair(start, reverse);
        while let Some(eptr) = p {
            let Some(sptr) = self.lp.next(eptr) else {
                return;
            };
            let score = zzl_get_score(&self.lp, sptr);
            if !with_member(&self.lp, eptr, |m| f(m, score)) {
                return;
            }
            p = if reverse {
                self.lp.prev(eptr).and_then(|s| self.lp.prev(s))
            } else {
                self.lp.next(sptr)
            };
        }
    }

    /// The scores or members of the first and last pairs.
    fn ends(&self) -> Option<(Pair, Pair)> {
        let mut first = None;
        self.visit(0, false, |e, s| {
            first = Some((e.to_vec(), s));
            false
        });
        let mut last = None;
        self.visit(0, true, |e, s| {
            last = Some((e.to_vec(), s));
            false
        });
        Some((first?, last?))
    }

    /// `zzlIsInRange`.
    fn is_in_range(&self, range: &ZRangeSpec) -> bool {
        if range.is_empty() {
            return false;
        }
        self.ends().is_some_and(|((_, first), (_, last))| {
            zsl_value_gte_min(last, range) && zsl_value_lte_max(first, range)
        })
    }

    /// `zzlIsInLexRange`.
    fn is_in_lex_range(&self, range: &ZLexRangeSpec) -> bool {
        if range.is_empty() {
            return false;
        }
        self.ends().is_some_and(|((first, _), (last, _))| {
            zsl_lex_value_gte_min(&last, range) && zsl_lex_value_lte_max(&first, range)
        })
    }

    /// `zzlFirstInRange` / `zzlLastInRange`, as a rank in that direction.
    pub fn first_in_range(&self, range: &ZRangeSpec, reverse: bool) -> Option<usize> {
        if !self.is_in_range(range) {
            return None;
        }
        let mut found = None;
        let mut k = 0;
        self.visit(0, reverse, |_, s| {
            let (reached, inside) = if reverse {
                (zsl_value_lte_max(s, range), zsl_value_gte_min(s, range))
            } else {
                (zsl_value_gte_min(s, range), zsl_value_lte_max(s, range))
            };
            if reached {
                found = inside.then_some(k);
                return false;
            }
            k += 1;
            true
        });
        found
    }

    /// `zzlFirstInLexRange` / `zzlLastInLexRange`, as a rank in that
    /// direction.
    pub fn first_in_lex_range(&self, range: &ZLexRangeSpec, reverse: bool) -> Option<usize> {
        if !self.is_in_lex_range(range) {
            return None;
        }
        let mut found = None;
        let mut k = 0;
        self.visit(0, reverse, |e, _| {
            let (reached, inside) = if reverse {
                (
                    zsl_lex_value_lte_max(e, range),
                    zsl_lex_value_gte_min(e, range),
                )
            } else {
                (
                    zsl_lex_value_gte_min(e, range),
                    zsl_lex_value_lte_max(e, range),
                )
            };
            if reached {
                found = inside.then_some(k);
                return false;
            }
            k += 1;
            true
        });
        found
    }

    /// `zzlDeleteRangeByRank` with 0-based ranks `start..=end`.
    pub fn delete_range(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start >= len || start > end {
            return 0;
        }
        let num = end.min(len - 1) - start + 1;
        self.lp.delete_range(2 * start as i64, 2 * num);
        num
    }

    /// `zzlInsertAt`: the pair before the member entry `eptr`, or at the
    /// end. An integral score (-0 included) is stored as an integer.
    fn insert_at(&mut self, eptr: Option<usize>, ele: &[u8], score: f64) {
        let lscore = crate::util::double2ll(score);
        let scorebuf = match lscore {
            Some(_) => Vec::new(),
            None => crate::util::d2string(score),
        };
        match eptr {
            None => {
                self.lp.append(ele);
                match lscore {
                    Some(l) => self.lp.append_integer(l),
                    None => self.lp.append(&scorebuf),
                }
            }
            Some(p) => {
                let q = self.lp.insert(ele, p, Where::Before);
                match lscore {
                    Some(l) => self.lp.insert_integer(l, q, Where::After),
                    None => self.lp.insert(&scorebuf, q, Where::After),
                };
            }
        }
    }

    /// `zzlInsert`: a new member at its place in the order.
    pub fn insert(&mut self, ele: &[u8], score: f64) {
        let mut p = self.lp.first();
        while let Some(eptr) = p {
            let Some(sptr) = self.lp.next(eptr) else {
                break;
            };
            let s = zzl_get_score(&self.lp, sptr);
            let after = s > score || (s == score && with_member(&self.lp, eptr, |m| m > ele));
            if after {
                self.insert_at(Some(eptr), ele, score);
                return;
            }
            p = self.lp.next(sptr);
        }
        self.insert_at(None, ele, score);
    }

    /// Appends a member known to sort after all others.
    pub fn push(&mut self, ele: &[u8], score: f64) {
        self.insert_at(None, ele, score);
    }

    /// A member's new score: deleted and inserted again, as C does.
    pub fn update(&mut self, ele: &[u8], score: f64) {
        if let Some((i, _)) = self.find(ele) {
            self.lp.delete_range(2 * i as i64, 2);
        }
        self.insert(ele, score);
    }

    pub fn mem_usage(&self) -> usize {
        self.lp.alloc_size()
    }

    /// Gives back the room growing left: C reallocates a listpack to its
    /// exact size on every change, so this is done once per command.
    pub fn shrink_to_fit(&mut self) {
        self.lp.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_pairs_and_ranges() {
        let mut z = ZListpack::new();
        for (m, s) in [
            (&b"c"[..], 3.0),
            (b"a", 1.0),
            (b"b", 1.0),
            (b"10", 2.5),
            (b"d", -1.0),
        ] {
            z.insert(m, s);
        }
        let mut seen = Vec::new();
        z.visit(0, false, |m, s| {
            seen.push((m.to_vec(), s));
            true
        });
        let names: Vec<&[u8]> = seen.iter().map(|(m, _)| &m[..]).collect();
        assert_eq!(names, [&b"d"[..], b"a", b"b", b"10", b"c"]);
        assert_eq!(z.find(b"10"), Some((3, 2.5)));
        let mut rev = Vec::new();
        z.visit(1, true, |m, _| {
            rev.push(m.to_vec());
            true
        });
        assert_eq!(rev[0], b"10");
        let r = ZRangeSpec {
            min: 1.0,
            max: 2.5,
            minex: true,
            maxex: false,
        };
        assert_eq!(z.first_in_range(&r, false), Some(3));
        assert_eq!(z.first_in_range(&r, true), Some(1));
        z.update(b"d", 10.0);
        assert_eq!(z.find(b"d"), Some((4, 10.0)));
        assert_eq!(z.delete_range(0, 1), 2);
        assert_eq!(z.len(), 3);
    }
}
