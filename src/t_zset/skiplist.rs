//! The skiplist encoding of a sorted set: the `zsl*` functions of
//! `t_zset.c`, with the dict that maps members to scores beside it.
//!
//! The skiplist keeps the elements ordered by (score, member) and gives
//! ranks in O(log n) through the span stored on every forward link. Nodes
//! live in one `Vec` (an arena) and point at each other by index, so there
//! is no shared ownership and no unsafe code; freed slots are reused.
//! Index 0 is the header, which holds no element.

use rand::Rng;

use super::{LexBound, ZLexRangeSpec, ZRangeSpec};
use crate::dict::Dict;
use crate::sds::Sds;

/// `ZSKIPLIST_MAXLEVEL`: enough for 2^64 elements at p = 1/4.
pub const ZSKIPLIST_MAXLEVEL: usize = 32;
/// `ZSKIPLIST_P`: the chance that a node gets one more level.
const ZSKIPLIST_P: f64 = 0.25;
/// No node (C's NULL pointer).
pub const NIL: u32 = u32::MAX;
const HEADER: u32 = 0;

#[derive(Clone, Copy, Debug)]
struct ZLevel {
    forward: u32,
    /// How many elements the link jumps over (1 for a neighbour).
    span: usize,
}

#[derive(Clone, Debug)]
struct ZNode {
    ele: Sds,
    score: f64,
    backward: u32,
    level: Box<[ZLevel]>,
}

/// `zskiplist`.
#[derive(Clone, Debug)]
pub struct ZSkipList {
    nodes: Vec<ZNode>,
    free: Vec<u32>,
    tail: u32,
    length: usize,
    level: usize,
}

/// `(score, ele) < (s2, e2)` in skiplist order.
fn node_before(score: f64, ele: &[u8], s2: f64, e2: &[u8]) -> bool {
    score < s2 || (score == s2 && ele < e2)
}

/// `zslValueGteMin`.
pub fn zsl_value_gte_min(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.minex {
        value > spec.min
    } else {
        value >= spec.min
    }
}

/// `zslValueLteMax`.
pub fn zsl_value_lte_max(value: f64, spec: &ZRangeSpec) -> bool {
    if spec.maxex {
        value < spec.max
    } else {
        value <= spec.max
    }
}

/// `zslLexValueGteMin`.
pub fn zsl_lex_value_gte_min(value: &[u8], spec: &ZLexRangeSpec) -> bool {
    match &spec.min {
        LexBound::NegInf => true,
        LexBound::PosInf => false,
        LexBound::Incl(m) => value >= &m[..],
        LexBound::Excl(m) => value > &m[..],
    }
}

/// `zslLexValueLteMax`.
pub fn zsl_lex_value_lte_max(value: &[u8], spec: &ZLexRangeSpec) -> bool {
    match &spec.max {
        LexBound::NegInf => false,
        LexBound::PosInf => true,
        LexBound::Incl(m) => value <= &m[..],
        LexBound::Excl(m) => value < &m[..],
    }
}

/// `zslRandomLevel`: level k with probability p^(k-1)(1-p).
fn zsl_random_level() -> usize {
    let mut rng = rand::thread_rng();
    let mut level = 1;
    while level < ZSKIPLIST_MAXLEVEL && rng.gen::<f64>() < ZSKIPLIST_P {
        level += 1;
    }
    level
}

impl Default for ZSkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl ZSkipList {
    /// `zslCreate`.
    pub fn new() -> ZSkipList {
        let header = ZNode {
            ele: Sds::default(),
            score: 0.0,
            backward: NIL,
            level: vec![
                ZLevel {
                    forward: NIL,
                    span: 0
                };
                ZSKIPLIST_MAXLEVEL
            ]
            .into_boxed_slice(),
        };
        ZSkipList {
            nodes: vec![header],
            free: Vec::new(),
            tail: NIL,
            length: 0,
            level: 1,
        }
    }

    pub fn len(&self) -> usize {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    fn n(&self, x: u32) -> &ZNode {
        &self.nodes[x as usize]
    }

    fn n_mut(&mut self, x: u32) -> &mut ZNode {
        &mut self.nodes[x as usize]
    }

    fn fwd(&self, x: u32, i: usize) -> u32 {
        self.n(x).level[i].forward
    }

    /// The element and score of a node.
    pub fn node(&self, x: u32) -> (&[u8], f64) {
        let n = self.n(x);
        (&n.ele, n.score)
    }

    /// The first node, or `NIL`.
    pub fn first(&self) -> u32 {
        self.fwd(HEADER, 0)
    }

    /// The last node, or `NIL`.
    pub fn last(&self) -> u32 {
        self.tail
    }

    /// The node after `x` in order, or `NIL`.
    pub fn next(&self, x: u32) -> u32 {
        self.fwd(x, 0)
    }

    /// The node before `x`, or `NIL`.
    pub fn prev(&self, x: u32) -> u32 {
        self.n(x).backward
    }

    fn alloc(&mut self, level: usize, score: f64, ele: Sds) -> u32 {
        let node = ZNode {
            ele,
            score,
            backward: NIL,
            level: vec![
                ZLevel {
                    forward: NIL,
                    span: 0
                };
                level
            ]
            .into_boxed_slice(),
        };
        if let Some(x) = self.free.pop() {
            self.nodes[x as usize] = node;
            x
        } else {
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        }
    }

    /// Frees a node's slot, returning its element.
    fn release(&mut self, x: u32) -> Sds {
        let n = self.n_mut(x);
        n.level = Box::new([]);
        let ele = std::mem::take(&mut n.ele);
        self.free.push(x);
        ele
    }

    /// The nodes that precede (score, ele) on each level, with their ranks.
    fn find_update(
        &self,
        score: f64,
        ele: &[u8],
    ) -> ([u32; ZSKIPLIST_MAXLEVEL], [usize; ZSKIPLIST_MAXLEVEL]) {
        let mut update = [HEADER; ZSKIPLIST_MAXLEVEL];
        let mut rank = [0usize; ZSKIPLIST_MAXLEVEL];
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let fnode = self.n(f);
                if !node_before(fnode.score, &fnode.ele, score, ele) {
                    break;
                }
                rank[i] += self.n(x).level[i].span;
                x = f;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// `zslInsert`: the element must not be in the list already (the
    /// dict tells).
    pub fn insert(&mut self, score: f64, ele: Sds) -> u32 {
        let (mut update, mut rank) = self.find_update(score, &ele);
        let level = zsl_random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEADER;
                self.n_mut(HEADER).level[i].span = self.length;
            }
            self.level = level;
        }
        let x = self.alloc(level, score, ele);
        for i in 0..level {
            let u = update[i];
            let ul = self.n(u).level[i];
            self.n_mut(x).level[i] = ZLevel {
                forward: ul.forward,
                span: ul.span - (rank[0] - rank[i]),
            };
            self.n_mut(u).level[i] = ZLevel {
                forward: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        // Links above the new node's height now jump over one more.
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.n_mut(u).level[i].span += 1;
        }
        let back = if update[0] == HEADER { NIL } else { update[0] };
        self.n_mut(x).backward = back;
        let f = self.fwd(x, 0);
        if f != NIL {
            self.n_mut(f).backward = x;
        } else {
            self.tail = x;
        }
        self.length += 1;
        x
    }

    /// `zslDeleteNode`: unlinks `x` given its predecessors.
    fn delete_node(&mut self, x: u32, update: &[u32; ZSKIPLIST_MAXLEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            if self.fwd(u, i) == x {
                let xl = self.n(x).level[i];
                let ul = &mut self.n_mut(u).level[i];
                ul.span += xl.span;
                ul.span -= 1;
                ul.forward = xl.forward;
            } else {
                self.n_mut(u).level[i].span -= 1;
            }
        }
        let f = self.fwd(x, 0);
        let back = self.n(x).backward;
        if f != NIL {
            self.n_mut(f).backward = back;
        } else {
            self.tail = back;
        }
        while self.level > 1 && self.fwd(HEADER, self.level - 1) == NIL {
            self.level -= 1;
        }
        self.length -= 1;
    }

    /// `zslDelete`: removes the element, returning it when found.
    pub fn delete(&mut self, score: f64, ele: &[u8]) -> Option<Sds> {
        let (update, _) = self.find_update(score, ele);
        let x = self.fwd(update[0], 0);
        if x != NIL && self.n(x).score == score && &self.n(x).ele[..] == ele {
            self.delete_node(x, &update);
            return Some(self.release(x));
        }
        None
    }

    /// `zslUpdateScore`: moves an element to its new score; in place when
    /// the order does not change.
    pub fn update_score(&mut self, curscore: f64, ele: &[u8], newscore: f64) -> u32 {
        let (update, _) = self.find_update(curscore, ele);
        let x = self.fwd(update[0], 0);
        // The dict said the element is here with this score.
        if x == NIL || &self.n(x).ele[..] != ele {
            return NIL;
        }
        let back = self.n(x).backward;
        let f = self.fwd(x, 0);
        if (back == NIL || self.n(back).score < newscore)
            && (f == NIL || self.n(f).score > newscore)
        {
            self.n_mut(x).score = newscore;
            return x;
        }
        self.delete_node(x, &update);
        let e = self.release(x);
        self.insert(newscore, e)
    }

    /// `zslIsInRange`.
    pub fn is_in_range(&self, range: &ZRangeSpec) -> bool {
        if range.is_empty() || self.tail == NIL {
            return false;
        }
        zsl_value_gte_min(self.n(self.tail).score, range)
            && zsl_value_lte_max(self.n(self.first()).score, range)
    }

    /// `zslFirstInRange`, with the node's 0-based rank.
    pub fn first_in_range(&self, range: &ZRangeSpec) -> Option<(u32, usize)> {
        if !self.is_in_range(range) {
            return None;
        }
        let (x, rank) = self.descend(|n| !zsl_value_gte_min(n.score, range));
        let x = self.fwd(x, 0);
        (x != NIL && zsl_value_lte_max(self.n(x).score, range)).then_some((x, rank))
    }

    /// `zslLastInRange`, with the node's 0-based rank.
    pub fn last_in_range(&self, range: &ZRangeSpec) -> Option<(u32, usize)> {
        if !self.is_in_range(range) {
            return None;
        }
        let (x, rank) = self.descend(|n| zsl_value_lte_max(n.score, range));
        (x != HEADER && zsl_value_gte_min(self.n(x).score, range)).then_some((x, rank - 1))
    }

    /// `zslIsInLexRange`.
    pub fn is_in_lex_range(&self, range: &ZLexRangeSpec) -> bool {
        if range.is_empty() || self.tail == NIL {
            return false;
        }
        zsl_lex_value_gte_min(&self.n(self.tail).ele, range)
            && zsl_lex_value_lte_max(&self.n(self.first()).ele, range)
    }

    /// `zslFirstInLexRange`, with the node's 0-based rank.
    pub fn first_in_lex_range(&self, range: &ZLexRangeSpec) -> Option<(u32, usize)> {
        if !self.is_in_lex_range(range) {
            return None;
        }
        let (x, rank) = self.descend(|n| !zsl_lex_value_gte_min(&n.ele, range));
        let x = self.fwd(x, 0);
        (x != NIL && zsl_lex_value_lte_max(&self.n(x).ele, range)).then_some((x, rank))
    }

    /// `zslLastInLexRange`, with the node's 0-based rank.
    pub fn last_in_lex_range(&self, range: &ZLexRangeSpec) -> Option<(u32, usize)> {
        if !self.is_in_lex_range(range) {
            return None;
        }
        let (x, rank) = self.descend(|n| zsl_lex_value_lte_max(&n.ele, range));
        (x != HEADER && zsl_lex_value_gte_min(&self.n(x).ele, range)).then_some((x, rank - 1))
    }

    /// Walks down from the header as far as `go_on` allows on each level:
    /// the last node that satisfies it (or the header) and its 1-based rank.
    fn descend(&self, go_on: impl Fn(&ZNode) -> bool) -> (u32, usize) {
        let mut x = HEADER;
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || !go_on(self.n(f)) {
                    break;
                }
                rank += self.n(x).level[i].span;
                x = f;
            }
        }
        (x, rank)
    }

    /// How many elements from the head satisfy `pred` (which must hold
    /// for a prefix of the list): the descent `zslDeleteRangeBy*` makes.
    pub fn count_while(&self, pred: impl Fn(&[u8], f64) -> bool) -> usize {
        self.descend(|n| pred(&n.ele, n.score)).1
    }

    /// `zslGetRank`: the 1-based rank of an element, 0 when absent.
    pub fn get_rank(&self, score: f64, ele: &[u8]) -> usize {
        let mut x = HEADER;
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL {
                    break;
                }
                let n = self.n(f);
                if !(n.score < score || (n.score == score && &n.ele[..] <= ele)) {
                    break;
                }
                rank += self.n(x).level[i].span;
                x = f;
            }
            if x != HEADER && &self.n(x).ele[..] == ele {
                return rank;
            }
        }
        0
    }

    /// `zslGetElementByRank`: 1-based rank, `NIL` when out of range.
    pub fn get_element_by_rank(&self, rank: usize) -> u32 {
        let mut x = HEADER;
        let mut traversed = 0;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.n(x).level[i].span > rank {
                    break;
                }
                traversed += self.n(x).level[i].span;
                x = f;
            }
            if traversed == rank {
                return if x == HEADER { NIL } else { x };
            }
        }
        NIL
    }

    /// `zslDeleteRangeByRank`: removes ranks `start..=end` (1-based),
    /// handing each removed element to `removed` (the dict drops it).
    pub fn delete_range_by_rank(
        &mut self,
        start: usize,
        end: usize,
        mut removed: impl FnMut(&[u8]),
    ) -> usize {
        let mut update = [HEADER; ZSKIPLIST_MAXLEVEL];
        let mut traversed = 0;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let f = self.fwd(x, i);
                if f == NIL || traversed + self.n(x).level[i].span >= start {
                    break;
                }
                traversed += self.n(x).level[i].span;
                x = f;
            }
            update[i] = x;
        }
        traversed += 1;
        x = self.fwd(x, 0);
        let mut count = 0;
        while x != NIL && traversed <= end {
            let next = self.fwd(x, 0);
            self.delete_node(x, &update);
            let ele = self.release(x);
            removed(&ele);
            count += 1;
            traversed += 1;
            x = next;
        }
        count
    }
}

/// The skiplist encoding (`zset`): the dict answers "score of member" in
/// O(1), the skiplist everything ordered.
#[derive(Debug, Default)]
pub struct ZSet {
    pub dict: Dict<Sds, f64>,
    pub zsl: ZSkipList,
}

impl Clone for ZSet {
    fn clone(&self) -> Self {
        let mut dict = Dict::new();
        for (k, v) in self.dict.iter() {
            dict.insert(k.clone(), *v);
        }
        ZSet {
            dict,
            zsl: self.zsl.clone(),
        }
    }
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.zsl.len()
    }

    pub fn is_empty(&self) -> bool {
        self.zsl.is_empty()
    }

    /// Adds a member known to be new.
    pub fn insert_new(&mut self, score: f64, ele: &[u8]) {
        let s = Sds::new(ele);
        self.zsl.insert(score, s.clone());
        self.dict.insert(s, score);
    }

    /// Moves an existing member to a new score.
    pub fn update(&mut self, curscore: f64, ele: &[u8], newscore: f64) {
        self.zsl.update_score(curscore, ele, newscore);
        if let Some(v) = self.dict.get_mut(ele) {
            *v = newscore;
        }
    }

    /// `zsetRemoveFromSkiplist`.
    pub fn remove(&mut self, ele: &[u8]) -> bool {
        match self.dict.remove(ele) {
            Some((_, score)) => {
                self.zsl.delete(score, ele);
                true
            }
            None => false,
        }
    }

    /// Removes ranks `start..=end` (0-based) from both structures.
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let dict = &mut self.dict;
        self.zsl.delete_range_by_rank(start + 1, end + 1, |e| {
            dict.remove(e);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(zsl: &ZSkipList) {
        // Every level's spans add up to the ranks seen on level 0.
        let mut ranks = std::collections::HashMap::new();
        let mut x = zsl.first();
        let mut r = 1;
        let mut prev = NIL;
        while x != NIL {
            ranks.insert(x, r);
            assert_eq!(zsl.prev(x), prev);
            prev = x;
            x = zsl.next(x);
            r += 1;
        }
        assert_eq!(zsl.last(), prev);
        assert_eq!(r - 1, zsl.len());
        for i in 0..zsl.level {
            let mut x = HEADER;
            let mut rank = 0;
            loop {
                let l = zsl.n(x).level[i];
                if l.forward == NIL {
                    break;
                }
                rank += l.span;
                assert_eq!(ranks[&l.forward], rank);
                x = l.forward;
            }
        }
    }

    #[test]
    fn insert_delete_and_ranks() {
        let mut zsl = ZSkipList::new();
        for i in 0..500u32 {
            let score = ((i * 7919) % 101) as f64;
            zsl.insert(score, Sds::new(format!("m{i}").as_bytes()));
        }
        check(&zsl);
        let mut x = zsl.first();
        let mut r = 1;
        while x != NIL {
            let (e, s) = zsl.node(x);
            assert_eq!(zsl.get_rank(s, e), r);
            assert_eq!(zsl.get_element_by_rank(r), x);
            x = zsl.next(x);
            r += 1;
        }
        for i in (0..500u32).step_by(3) {
            let score = ((i * 7919) % 101) as f64;
            assert!(zsl.delete(score, format!("m{i}").as_bytes()).is_some());
        }
        check(&zsl);
        let n = zsl.delete_range_by_rank(10, 50, |_| {});
        assert_eq!(n, 41);
        check(&zsl);
        let x = zsl.get_element_by_rank(5);
        let (e, s) = zsl.node(x);
        let e = e.to_vec();
        zsl.update_score(s, &e, 1000.0);
        check(&zsl);
        assert_eq!(zsl.node(zsl.last()).1, 1000.0);
        let range = ZRangeSpec {
            min: 10.0,
            max: 20.0,
            minex: true,
            maxex: false,
        };
        let (f, fr) = zsl.first_in_range(&range).unwrap();
        assert!(zsl.node(f).1 > 10.0);
        assert_eq!(zsl.get_rank(zsl.node(f).1, zsl.node(f).0), fr + 1);
        let (l, lr) = zsl.last_in_range(&range).unwrap();
        assert!(zsl.node(l).1 <= 20.0);
        assert_eq!(zsl.get_rank(zsl.node(l).1, zsl.node(l).0), lr + 1);
    }
}
