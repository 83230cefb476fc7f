//! The listpack encoding of a sorted set: the `zzl*` functions of
//! `t_zset.c`. Members and scores alternate, ordered by (score, member).
//!
//! STAND-IN: until `src/listpack.rs` lands this keeps the pairs in a
//! vector; the interface is the one the real listpack will sit behind.

use std::borrow::Cow;

use super::skiplist::{
    zsl_lex_value_gte_min, zsl_lex_value_lte_max, zsl_value_gte_min, zsl_value_lte_max,
};
use super::{ZLexRangeSpec, ZRangeSpec};

#[derive(Clone, Debug, Default)]
pub struct ZListpack {
    items: Vec<(Vec<u8>, f64)>,
}

impl ZListpack {
    pub fn new() -> ZListpack {
        ZListpack::default()
    }

    /// `zzlLength`.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `zzlFind`: the member's position and score.
    pub fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.items
            .iter()
            .position(|(e, _)| &e[..] == member)
            .map(|i| (i, self.items[i].1))
    }

    pub fn visit(&self, start: usize, reverse: bool, mut f: impl FnMut(&[u8], f64) -> bool) {
        let n = self.items.len();
        for k in start..n {
            let i = if reverse { n - 1 - k } else { k };
            let (e, s) = &self.items[i];
            let e: Cow<[u8]> = Cow::Borrowed(e);
            if !f(&e, *s) {
                break;
            }
        }
    }

    pub fn first_in_range(&self, range: &ZRangeSpec, reverse: bool) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        let n = self.items.len();
        for k in 0..n {
            let i = if reverse { n - 1 - k } else { k };
            let s = self.items[i].1;
            if reverse {
                if zsl_value_lte_max(s, range) {
                    return zsl_value_gte_min(s, range).then_some(k);
                }
            } else if zsl_value_gte_min(s, range) {
                return zsl_value_lte_max(s, range).then_some(k);
            }
        }
        None
    }

    pub fn first_in_lex_range(&self, range: &ZLexRangeSpec, reverse: bool) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        let n = self.items.len();
        for k in 0..n {
            let i = if reverse { n - 1 - k } else { k };
            let e = &self.items[i].0;
            if reverse {
                if zsl_lex_value_lte_max(e, range) {
                    return zsl_lex_value_gte_min(e, range).then_some(k);
                }
            } else if zsl_lex_value_gte_min(e, range) {
                return zsl_lex_value_lte_max(e, range).then_some(k);
            }
        }
        None
    }

    pub fn delete_range(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.items.len().saturating_sub(1));
        if start > end {
            return 0;
        }
        self.items.drain(start..=end);
        end - start + 1
    }

    /// `zzlInsert`: a new member at its place in the order.
    pub fn insert(&mut self, ele: &[u8], score: f64) {
        let pos = self
            .items
            .iter()
            .position(|(e, s)| *s > score || (*s == score && &e[..] > ele))
            .unwrap_or(self.items.len());
        self.items.insert(pos, (ele.to_vec(), score));
    }

    /// Appends a member known to sort after all others.
    pub fn push(&mut self, ele: &[u8], score: f64) {
        self.items.push((ele.to_vec(), score));
    }

    /// A member's new score: deleted and inserted again.
    pub fn update(&mut self, ele: &[u8], score: f64) {
        if let Some((i, _)) = self.find(ele) {
            self.items.remove(i);
        }
        self.insert(ele, score);
    }

    pub fn mem_usage(&self) -> usize {
        self.items.iter().map(|(e, _)| e.len() + 10).sum::<usize>() + 7
    }
}
