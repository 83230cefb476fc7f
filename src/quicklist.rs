//! Quicklist (quicklist.c): the list value, a sequence of nodes each holding
//! a listpack of several elements, or one big element on its own ("plain"
//! node, for elements at or over the packed threshold).
//!
//! How full a node may get is `list-max-listpack-size` (`fill`): a negative
//! value caps the listpack's bytes (-1 4 KB ... -5 64 KB), a positive one its
//! element count (and then still 8 KB, beyond which only the byte limits
//! apply). The decisions of when to start a new node, split one on insert
//! and merge neighbours follow C step by step, so that a list built by the
//! same commands has the same nodes here as in Redis, which is what an RDB
//! file or DUMP payload records.
//!
//! C links the nodes in a doubly linked list; here they sit in a `VecDeque`
//! and are addressed by index, which costs a shift when a node is added or
//! dropped in the middle (nodes are few: each holds up to kilobytes).
//! `list-compress-depth` (LZF compression of the inner nodes) is stored but
//! not applied yet: nodes are always kept uncompressed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::listpack::{Listpack, LpEntry, Where};

/// Byte caps of the negative fill values -1..-5.
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// With a count limit a node still never grows past this many bytes.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Estimated bytes an element adds to a listpack beyond its own length.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;

/// Elements at least this big get a plain node of their own. C keeps it in
/// a file static changed only by DEBUG QUICKLIST-PACKED-THRESHOLD.
static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(1 << 30);

fn is_large_element(sz: usize) -> bool {
    sz >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// `quicklistisSetPackedThreshold`: 0 restores the 1 GB default; false for
/// values too big for a listpack.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let v = if sz == 0 { 1 << 30 } else { sz as usize };
    PACKED_THRESHOLD.store(v, Ordering::Relaxed);
    true
}

/// `LIST_HEAD` / `LIST_TAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

/// A node: `QUICKLIST_NODE_CONTAINER_PACKED` or `_PLAIN`.
#[derive(Clone, Debug)]
pub enum Node {
    Packed(Listpack),
    Plain(Vec<u8>),
}

impl Node {
    fn packed_with(value: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.append(value);
        Node::Packed(lp)
    }

    /// Elements in the node.
    pub fn count(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.count(),
            Node::Plain(_) => 1,
        }
    }

    /// `node->sz`: the listpack's bytes, or the plain element's length.
    pub fn sz(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.bytes(),
            Node::Plain(v) => v.len(),
        }
    }

    /// Bytes allocated for the node's data, for MEMORY USAGE.
    pub fn alloc_size(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.alloc_size(),
            Node::Plain(v) => v.capacity(),
        }
    }

    fn is_plain(&self) -> bool {
        matches!(self, Node::Plain(_))
    }

    fn get(&self, pos: usize) -> LpEntry<'_> {
        match self {
            Node::Packed(lp) => lp.get(pos),
            Node::Plain(v) => LpEntry::Str(v),
        }
    }
}

/// `_quicklistNodeSizeMeetsOptimizationRequirement`.
fn size_meets_optimization(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let offset = (-(fill as i64) - 1) as usize;
    OPTIMIZATION_LEVEL.get(offset).is_some_and(|&lim| sz <= lim)
}

/// `_quicklistNodeAllowInsert`.
fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else { return false };
    if node.is_plain() || is_large_element(sz) {
        return false;
    }
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_optimization(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count() as i64) < fill as i64
    }
}

/// `_quicklistNodeAllowMerge`.
fn allow_merge(a: Option<&Node>, b: Option<&Node>, fill: i32) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.is_plain() || b.is_plain() {
        return false;
    }
    // Two listpacks merged lose one header and terminator (C says 11).
    let merge_sz = (a.sz() + b.sz()).saturating_sub(11);
    if size_meets_optimization(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (a.count() + b.count()) as i64 <= fill as i64
    }
}

/// `_quicklistSplitNode`: cuts `node` at element `offset`; with `after` the
/// node keeps `[..=offset]` and the returned node gets the rest, otherwise
/// the node keeps `[offset..]` and the returned node gets what was before.
fn split_node(node: &mut Listpack, offset: usize, after: bool) -> Listpack {
    let mut new = node.clone();
    if after {
        node.delete_range(offset as i64 + 1, usize::MAX);
        new.delete_range(0, offset + 1);
    } else {
        node.delete_range(0, offset);
        new.delete_range(offset as i64, usize::MAX);
    }
    new
}

/// A position in the list: node index and entry offset in its listpack (0
/// for a plain node), plus the element's index inside the node.
#[derive(Debug, Clone, Copy)]
pub struct Pos {
    pub node: usize,
    pub entry: usize,
    pub offset: usize,
}

/// The list value.
#[derive(Clone, Debug)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i32,
    compress: i32,
}

impl Quicklist {
    /// `quicklistNew`.
    pub fn new(fill: i32, compress: i32) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, (1 << 15) - 1),
            compress,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The nodes, head first (RDB, MEMORY USAGE, DEBUG).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn compress_depth(&self) -> i32 {
        self.compress
    }

    /// `quicklistAppendListpack` / `quicklistAppendPlainNode`: adds a node
    /// as read from RDB.
    pub fn append_node(&mut self, node: Node) {
        let n = node.count();
        if n > 0 {
            self.count += n;
            self.nodes.push_back(node);
        }
    }

    fn insert_node(&mut self, at: usize, node: Node) {
        self.nodes.insert(at, node);
    }

    /// `quicklistPushHead` / `quicklistPushTail`.
    pub fn push(&mut self, value: &[u8], end: End) {
        let sz = value.len();
        match end {
            End::Head => {
                if is_large_element(sz) {
                    self.nodes.push_front(Node::Plain(value.to_vec()));
                } else if allow_insert(self.nodes.front(), self.fill, sz) {
                    if let Some(Node::Packed(lp)) = self.nodes.front_mut() {
                        lp.prepend(value);
                    }
                } else {
                    self.nodes.push_front(Node::packed_with(value));
                }
            }
            End::Tail => {
                if is_large_element(sz) {
                    self.nodes.push_back(Node::Plain(value.to_vec()));
                } else if allow_insert(self.nodes.back(), self.fill, sz) {
                    if let Some(Node::Packed(lp)) = self.nodes.back_mut() {
                        lp.append(value);
                    }
                } else {
                    self.nodes.push_back(Node::packed_with(value));
                }
            }
        }
        self.count += 1;
    }

    /// `quicklistDelIndex`: removes the element at `entry` of node `ni`.
    /// Returns whether the node went away, and otherwise the offset of the
    /// element that followed.
    fn del_index(&mut self, ni: usize, entry: usize) -> (bool, Option<usize>) {
        self.count -= 1;
        let gone = match &mut self.nodes[ni] {
            Node::Plain(_) => true,
            Node::Packed(lp) => {
                let next = lp.delete(entry);
                if !lp.is_empty() {
                    return (false, next);
                }
                true
            }
        };
        if gone {
            self.nodes.remove(ni);
        }
        (true, None)
    }

    /// `quicklistPopCustom`: takes the element at one end.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let ni = match end {
            End::Head => 0,
            End::Tail => self.nodes.len().checked_sub(1)?,
        };
        let node = self.nodes.get(ni)?;
        let entry = match node {
            Node::Plain(_) => 0,
            Node::Packed(lp) => match end {
                End::Head => lp.first()?,
                End::Tail => lp.last()?,
            },
        };
        let value = node.get(entry).to_vec();
        self.del_index(ni, entry);
        Some(value)
    }

    /// `quicklistGetIteratorAtIdx`: where element `idx` (negative from the
    /// tail) is, walking from the nearer end.
    pub fn index(&self, idx: i64) -> Option<Pos> {
        let forward = idx >= 0;
        let index = if forward {
            idx as u64
        } else {
            (-(idx + 1)) as u64
        } as usize;
        if index >= self.count {
            return None;
        }
        let (seek_forward, seek_index) = if index > (self.count - 1) / 2 {
            (!forward, self.count - 1 - index)
        } else {
            (forward, index)
        };
        let mut accum = 0;
        let n = self.nodes.len();
        let mut found = None;
        for k in 0..n {
            let ni = if seek_forward { k } else { n - 1 - k };
            let c = self.nodes[ni].count();
            if accum + c > seek_index {
                found = Some((ni, c));
                break;
            }
            accum += c;
        }
        let (ni, c) = found?;
        if seek_forward != forward {
            accum = self.count - c - accum;
        }
        // Offset from the node's head either way.
        let offset = if forward {
            index - accum
        } else {
            c - 1 - (index - accum)
        };
        let entry = match &self.nodes[ni] {
            Node::Plain(_) => 0,
            Node::Packed(lp) => lp.seek(offset as i64)?,
        };
        Some(Pos {
            node: ni,
            entry,
            offset,
        })
    }

    /// The element at `pos`.
    pub fn get(&self, pos: Pos) -> LpEntry<'_> {
        self.nodes[pos.node].get(pos.entry)
    }

    /// `quicklistReplaceAtIndex`: false if `idx` is out of range.
    pub fn replace_at_index(&mut self, idx: i64, value: &[u8]) -> bool {
        let Some(pos) = self.index(idx) else {
            return false;
        };
        let large = is_large_element(value.len());
        match &mut self.nodes[pos.node] {
            Node::Packed(lp) if !large => {
                lp.replace(pos.entry, value);
            }
            Node::Plain(v) if large => *v = value.to_vec(),
            Node::Plain(_) => {
                // A small value leaves the plain node for a packed one.
                self.insert_at(pos, value, true);
                self.count -= 1;
                self.nodes.remove(pos.node);
            }
            Node::Packed(_) => {
                // A large value in a packed node: insert it after as a
                // plain node, then drop the old element.
                self.insert_at(pos, value, true);
                // The node may have been split: the old element is now its
                // last one.
                if self.nodes[pos.node].count() == 1 {
                    self.count -= 1;
                    self.nodes.remove(pos.node);
                } else if let Node::Packed(lp) = &self.nodes[pos.node] {
                    if let Some(last) = lp.last() {
                        self.del_index(pos.node, last);
                    }
                }
            }
        }
        true
    }

    /// Merges nodes `i` and `i + 1` into node `i` (`_quicklistListpackMerge`).
    fn merge_pair(&mut self, i: usize) {
        let Some(Node::Packed(b)) = self.nodes.remove(i + 1) else {
            return;
        };
        if let Some(Node::Packed(a)) = self.nodes.get_mut(i) {
            let first = std::mem::take(a);
            *a = Listpack::merge(first, b);
        }
    }

    /// `_quicklistMergeNodes`: tries to merge the two nodes on each side of
    /// `center`, then `center` with its neighbours.
    fn merge_nodes(&mut self, mut center: usize) {
        let fill = self.fill;
        if center >= 2 && allow_merge(self.nodes.get(center - 1), self.nodes.get(center - 2), fill)
        {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if allow_merge(self.nodes.get(center + 1), self.nodes.get(center + 2), fill) {
            self.merge_pair(center + 1);
        }
        let target = if center >= 1
            && allow_merge(self.nodes.get(center), self.nodes.get(center - 1), fill)
        {
            self.merge_pair(center - 1);
            center - 1
        } else {
            center
        };
        if allow_merge(self.nodes.get(target), self.nodes.get(target + 1), fill) {
            self.merge_pair(target);
        }
    }

    /// `_quicklistInsert`: inserts `value` before or after the element at
    /// `pos`.
    pub fn insert_at(&mut self, pos: Pos, value: &[u8], after: bool) {
        let fill = self.fill;
        let sz = value.len();
        let ni = pos.node;
        let Some(node) = self.nodes.get(ni) else {
            // An empty list: the element becomes the only node.
            let n = if is_large_element(sz) {
                Node::Plain(value.to_vec())
            } else {
                Node::packed_with(value)
            };
            self.nodes.push_back(n);
            self.count += 1;
            return;
        };
        let node_count = node.count();
        let full = !allow_insert(Some(node), fill, sz);
        let mut at_tail = false;
        let mut at_head = false;
        let mut avail_next = false;
        let mut avail_prev = false;
        if after && pos.offset + 1 == node_count {
            at_tail = true;
            avail_next = allow_insert(self.nodes.get(ni + 1), fill, sz);
        }
        if !after && pos.offset == 0 {
            at_head = true;
            avail_prev = ni > 0 && allow_insert(self.nodes.get(ni - 1), fill, sz);
        }
        let new_at = if after { ni + 1 } else { ni };
        self.count += 1;

        if is_large_element(sz) {
            let plain = Node::Plain(value.to_vec());
            if node.is_plain() || (at_tail && after) || (at_head && !after) {
                self.insert_node(new_at, plain);
            } else if let Node::Packed(lp) = &mut self.nodes[ni] {
                let rest = split_node(lp, pos.offset, after);
                if after {
                    self.insert_node(ni + 1, plain);
                    self.insert_node(ni + 2, Node::Packed(rest));
                } else {
                    self.insert_node(ni, plain);
                    self.insert_node(ni, Node::Packed(rest));
                }
            }
            return;
        }

        if !full {
            if let Node::Packed(lp) = &mut self.nodes[ni] {
                let wh = if after { Where::After } else { Where::Before };
                lp.insert(value, pos.entry, wh);
            }
        } else if at_tail && avail_next && after {
            if let Some(Node::Packed(lp)) = self.nodes.get_mut(ni + 1) {
                lp.prepend(value);
            }
        } else if at_head && avail_prev && !after {
            if let Some(Node::Packed(lp)) = self.nodes.get_mut(ni - 1) {
                lp.append(value);
            }
        } else if (at_tail && !avail_next && after) || (at_head && !avail_prev && !after) {
            self.insert_node(new_at, Node::packed_with(value));
        } else if let Node::Packed(lp) = &mut self.nodes[ni] {
            // Full and in the middle: split, put the element at the cut.
            let mut rest = split_node(lp, pos.offset, after);
            if after {
                rest.prepend(value);
            } else {
                rest.append(value);
            }
            self.insert_node(new_at, Node::Packed(rest));
            // The original node shifted right when the new one went before.
            self.merge_nodes(if after { ni } else { ni + 1 });
        }
    }

    /// `quicklistDelRange`: removes `count` elements from `start`
    /// (negative from the tail).
    pub fn del_range(&mut self, start: i64, count: i64) -> bool {
        if count <= 0 {
            return false;
        }
        let mut extent = count as u64;
        if start >= 0 && extent > (self.count as u64).saturating_sub(start as u64) {
            extent = (self.count as u64).saturating_sub(start as u64);
        } else if start < 0 && extent > start.unsigned_abs() {
            extent = start.unsigned_abs();
        }
        let Some(pos) = self.index(start) else {
            return false;
        };
        let mut ni = pos.node;
        let mut offset = pos.offset as u64;
        while extent > 0 && ni < self.nodes.len() {
            let ncount = self.nodes[ni].count() as u64;
            let del = if offset == 0 && extent >= ncount {
                ncount
            } else if extent + offset >= ncount {
                ncount - offset
            } else {
                extent
            };
            if del == ncount || self.nodes[ni].is_plain() {
                self.count -= ncount as usize;
                self.nodes.remove(ni);
            } else {
                if let Node::Packed(lp) = &mut self.nodes[ni] {
                    lp.delete_range(offset as i64, del as usize);
                }
                self.count -= del as usize;
                ni += 1;
            }
            extent = extent.saturating_sub(del);
            offset = 0;
        }
        true
    }

    /// Head-to-tail (or tail-to-head) elements starting at `pos`.
    pub fn iter_from(&self, start: Option<Pos>, forward: bool) -> Iter<'_> {
        Iter {
            ql: self,
            cur: start.map(|p| (p.node, p.entry)),
            forward,
        }
    }

    /// All elements, head to tail.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(self.index(0), true)
    }

    /// The entry after (or before) `(ni, entry)`.
    fn step(&self, ni: usize, entry: usize, forward: bool) -> Option<(usize, usize)> {
        let inner = match &self.nodes[ni] {
            Node::Plain(_) => None,
            Node::Packed(lp) => {
                if forward {
                    lp.next(entry)
                } else {
                    lp.prev(entry)
                }
            }
        };
        if let Some(e) = inner {
            return Some((ni, e));
        }
        let nj = if forward { ni + 1 } else { ni.checked_sub(1)? };
        let node = self.nodes.get(nj)?;
        let e = match node {
            Node::Plain(_) => 0,
            Node::Packed(lp) => {
                if forward {
                    lp.first()?
                } else {
                    lp.last()?
                }
            }
        };
        Some((nj, e))
    }

    /// First element equal to `s` from the head, for LINSERT.
    pub fn find(&self, s: &[u8]) -> Option<Pos> {
        let mut cur = self.index(0).map(|p| (p.node, p.entry, 0usize));
        while let Some((ni, e, off)) = cur {
            if self.nodes[ni].get(e).eq_bytes(s) {
                return Some(Pos {
                    node: ni,
                    entry: e,
                    offset: off,
                });
            }
            cur = self
                .step(ni, e, true)
                .map(|(nj, f)| (nj, f, if nj == ni { off + 1 } else { 0 }));
        }
        None
    }

    /// LREM's walk: removes elements equal to `s`, at most `limit` (0 for
    /// all), from the head or from the tail. Returns how many went.
    pub fn remove_matching(&mut self, s: &[u8], limit: u64, forward: bool) -> u64 {
        let start = if forward {
            self.index(0)
        } else {
            self.index(-1)
        };
        let mut cur = start.map(|p| (p.node, p.entry));
        let mut removed = 0;
        while let Some((ni, e)) = cur {
            if !self.nodes[ni].get(e).eq_bytes(s) {
                cur = self.step(ni, e, forward);
                continue;
            }
            // Work out where to go on before the deletion moves things.
            let prev = if forward {
                None
            } else {
                self.step(ni, e, false)
            };
            let (gone, next) = self.del_index(ni, e);
            removed += 1;
            if limit != 0 && removed == limit {
                break;
            }
            cur = if forward {
                match (gone, next) {
                    (false, Some(n)) => Some((ni, n)),
                    (false, None) => self.first_entry_of(ni + 1),
                    (true, _) => self.first_entry_of(ni),
                }
            } else {
                prev
            };
        }
        removed
    }

    fn first_entry_of(&self, ni: usize) -> Option<(usize, usize)> {
        match self.nodes.get(ni)? {
            Node::Plain(_) => Some((ni, 0)),
            Node::Packed(lp) => lp.first().map(|e| (ni, e)),
        }
    }
}

/// Iterator over a quicklist's elements from a position.
pub struct Iter<'a> {
    ql: &'a Quicklist,
    cur: Option<(usize, usize)>,
    forward: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpEntry<'a>;

    fn next(&mut self) -> Option<LpEntry<'a>> {
        let (ni, e) = self.cur?;
        self.cur = self.ql.step(ni, e, self.forward);
        Some(self.ql.nodes[ni].get(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(ql: &Quicklist) -> Vec<Vec<u8>> {
        ql.iter().map(|e| e.to_vec()).collect()
    }

    fn model_check(ql: &Quicklist, model: &[Vec<u8>]) {
        assert_eq!(items(ql), model);
        assert_eq!(ql.len(), model.len());
        assert_eq!(ql.nodes().map(|n| n.count()).sum::<usize>(), model.len());
        let back: Vec<Vec<u8>> = ql
            .iter_from(ql.index(-1), false)
            .map(|e| e.to_vec())
            .collect();
        let mut rev = model.to_vec();
        rev.reverse();
        assert_eq!(back, rev);
    }

    #[test]
    fn count_fill_makes_nodes() {
        let mut ql = Quicklist::new(4, 0);
        for i in 0..10 {
            ql.push(i.to_string().as_bytes(), End::Tail);
        }
        assert_eq!(ql.node_count(), 3);
        let model: Vec<Vec<u8>> = (0..10).map(|i: i32| i.to_string().into_bytes()).collect();
        model_check(&ql, &model);
        for i in -10i64..10 {
            let p = ql.index(i).unwrap();
            let want = if i < 0 { 10 + i } else { i };
            assert_eq!(ql.get(p), LpEntry::Int(want));
        }
        assert!(ql.index(10).is_none() && ql.index(-11).is_none());
    }

    #[test]
    fn insert_split_merge_and_ranges() {
        let mut ql = Quicklist::new(4, 0);
        let mut model: Vec<Vec<u8>> = vec![];
        for i in 0..20 {
            let v = format!("v{i}").into_bytes();
            ql.push(&v, End::Tail);
            model.push(v);
        }
        for (k, after) in [
            (5usize, true),
            (6, false),
            (0, false),
            (21, true),
            (10, true),
        ] {
            let p = ql.index(k as i64).unwrap();
            ql.insert_at(p, b"new", after);
            model.insert(if after { k + 1 } else { k }, b"new".to_vec());
            model_check(&ql, &model);
        }
        assert!(ql.replace_at_index(3, b"rep"));
        model[3] = b"rep".to_vec();
        model_check(&ql, &model);
        ql.del_range(2, 7);
        model.drain(2..9);
        model_check(&ql, &model);
        ql.del_range(-3, 3);
        let n = model.len();
        model.truncate(n - 3);
        model_check(&ql, &model);
        let removed = ql.remove_matching(b"new", 0, false);
        let before = model.len();
        model.retain(|v| v != b"new");
        assert_eq!(removed as usize, before - model.len());
        model_check(&ql, &model);
        while let Some(v) = ql.pop(End::Head) {
            assert_eq!(v, model.remove(0));
        }
        assert!(model.is_empty() && ql.node_count() == 0);
    }

    #[test]
    fn plain_nodes() {
        set_packed_threshold(5);
        let mut ql = Quicklist::new(-2, 0);
        ql.push(b"a", End::Tail);
        ql.push(b"b", End::Tail);
        ql.push(b"c", End::Tail);
        ql.push(b"large", End::Head);
        assert_eq!(ql.node_count(), 2);
        // A large element in the middle of a packed node splits it.
        let p = ql.index(2).unwrap();
        ql.insert_at(p, b"bigger", false);
        assert_eq!(ql.node_count(), 4);
        // Small replaces large and large replaces small.
        assert!(ql.replace_at_index(0, b"s"));
        assert!(ql.replace_at_index(-1, b"LARGE"));
        let model: Vec<Vec<u8>> = ["s", "a", "bigger", "b", "LARGE"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        model_check(&ql, &model);
        ql.del_range(1, 3);
        model_check(&ql, &[b"s".to_vec(), b"LARGE".to_vec()]);
        set_packed_threshold(0);
    }
}
