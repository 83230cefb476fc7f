//! The hash table under every keyspace map, ported from `dict.c`.
//!
//! Each database keeps two of these: the keyspace (`key -> value object`) and
//! the expires table (`key -> unix ms`); the big encodings of hashes, sets and
//! sorted sets will use it too. The algorithm is the one of `dict.c`: chained
//! buckets in power-of-two tables, and a second table while the dict grows or
//! shrinks. Entries move from the old table to the new one a bucket at a time,
//! on writes ([`Dict::insert`], [`Dict::remove`], [`Dict::get_mut`],
//! [`Dict::rehash_step`]) and from `server_cron` through
//! [`Dict::rehash_milliseconds`], so no single command pays for moving ten
//! million keys. [`Dict::scan`] keeps `dictScan`'s reverse-binary cursor: an
//! element that stays in the dict from the first call to the last is reported
//! at least once, however the tables grow, shrink or rehash in between.
//!
//! # Where the entries live
//!
//! The C code mallocs one `dictEntry` per key. Here entries sit in an arena of
//! fixed-size pages of [`PAGE_SLOTS`] slots and are named by a `u32` link
//! (slot index + 1, so that 0 means "no entry"). A slot holds the key, the
//! value, the chain link and the low 32 bits of the key's hash; with 8-byte
//! aligned keys and values the two `u32`s fill what would otherwise be
//! padding, so a slot costs `K + V + 8` bytes, and a bucket costs 4 bytes.
//! Why an arena:
//!
//! - no allocator header or per-node pointer per key;
//! - growing adds one page and never moves the entries already stored, so
//!   there is no stall when a ten-million-key table needs more room (the
//!   bucket arrays are the only thing that is rebuilt, incrementally);
//! - the stored hash lets rehashing and chain walks skip re-hashing keys and
//!   most key comparisons;
//! - freed slots go to a per-page free list and new entries take the lowest
//!   page with room, so after mass deletes the last pages empty out and
//!   [`Dict::try_shrink`] can move the few survivors down and give whole pages
//!   back ("compaction"), the arena's answer to `free()`.
//!
//! Bucket arrays are allocated zeroed (empty is 0), which the allocator can
//! serve from fresh zero pages without touching them first.
//!
//! Methods taking `&self` (lookups, [`Dict::scan`], the random samplers) never
//! move entries, so shared borrows and iterators cannot observe a half-moved
//! table; this replaces `dict.c`'s "pause rehashing" counter and safe
//! iterators. Callers that want reads to drive migration as in C can call
//! [`Dict::rehash_step`] before reading.
//!
//! Limits: at most `2^32 - 1024` entries per dict (the links are `u32`);
//! going beyond that aborts the process, as running out of memory would long
//! before. Keys are hashed with SipHash-1-2 under the process-wide random
//! key (see `siphash.rs`).

use std::borrow::Borrow;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::time::{Duration, Instant};

use rand::Rng;

use crate::siphash::DictHashSeed;

/// First table size: 4 buckets, as in `dict.h`.
const DICT_HT_INITIAL_EXP: u32 = 2;
const DICT_HT_INITIAL_SIZE: usize = 1 << DICT_HT_INITIAL_EXP;
/// Bucket indexes come from the 32-bit hash kept in each slot.
const DICT_HT_MAX_EXP: u32 = 32;
/// With resizing avoided (a fork child exists), grow only past this fill ratio.
const DICT_FORCE_RESIZE_RATIO: usize = 5;
/// `try_shrink` resizes when fewer than this percentage of buckets are used.
const HASHTABLE_MIN_FILL: usize = 10;
/// Sample size of `fair_random_entry`.
const GETFAIR_NUM_ENTRIES: usize = 15;
/// Chain lengths histogrammed by `stats`.
const DICT_STATS_VECTLEN: usize = 50;

/// Slots per arena page (48 KiB pages for 48-byte slots).
pub const PAGE_SLOTS: usize = 1 << PAGE_SHIFT;
const PAGE_SHIFT: u32 = 10;
const PAGE_MASK: usize = PAGE_SLOTS - 1;
/// The highest link must stay below `u32::MAX`.
const MAX_PAGES: usize = (u32::MAX as usize) >> PAGE_SHIFT;
/// "No entry" in a bucket or a chain.
const NIL: u32 = 0;
/// Pages handed back per `try_shrink` call: bounds the work to a few thousand
/// slot moves.
const COMPACT_PAGES_PER_CALL: usize = 4;
/// Free slots that must remain below the last page once it is emptied, so a
/// dict hovering at a page boundary does not create and compact a page on
/// every cron tick.
const COMPACT_SLACK: usize = PAGE_SLOTS / 4;

/// One arena slot. A live slot (`kv` is `Some`) is a chain member and `next`
/// is the next link of its bucket. A free slot (`kv` is `None`) is on its
/// page's free list and `next` is the page-local index + 1 of the next free
/// slot.
struct Slot<K, V> {
    kv: Option<(K, V)>,
    next: u32,
    /// Low 32 bits of the key's hash: table sizes never exceed 2^32 buckets.
    hash: u32,
}

struct Page<K, V> {
    /// Never longer than `PAGE_SLOTS`, never reallocated once a second page
    /// exists (only a lone first page grows its capacity, so that small dicts
    /// stay small).
    slots: Vec<Slot<K, V>>,
    /// Head of the free list, local index + 1, `NIL` when empty.
    free: u32,
    /// Live slots in this page.
    live: u32,
}

impl<K, V> Page<K, V> {
    fn has_room(&self) -> bool {
        self.free != NIL || self.slots.len() < PAGE_SLOTS
    }
}

/// The entry storage: pages, plus a bitmap of the pages with a free slot so
/// that allocation can always take the lowest one.
struct Arena<K, V> {
    pages: Vec<Page<K, V>>,
    /// Bit `p` is set when page `p` has room.
    room: Vec<u64>,
    /// Every page below `cur` is full.
    cur: usize,
}

#[inline]
fn link_of(page: usize, off: usize) -> u32 {
    // Pages are capped at MAX_PAGES, so this fits and stays below u32::MAX.
    ((page << PAGE_SHIFT) | off) as u32 + 1
}

#[inline]
fn split_link(link: u32) -> Option<(usize, usize)> {
    let i = link.checked_sub(1)? as usize;
    Some((i >> PAGE_SHIFT, i & PAGE_MASK))
}

impl<K, V> Arena<K, V> {
    const fn new() -> Self {
        Arena {
            pages: Vec::new(),
            room: Vec::new(),
            cur: 0,
        }
    }

    /// The slot behind `link`; `None` for `NIL`.
    #[inline]
    fn slot(&self, link: u32) -> Option<&Slot<K, V>> {
        let (p, off) = split_link(link)?;
        self.pages.get(p)?.slots.get(off)
    }

    #[inline]
    fn slot_mut(&mut self, link: u32) -> Option<&mut Slot<K, V>> {
        let (p, off) = split_link(link)?;
        self.pages.get_mut(p)?.slots.get_mut(off)
    }

    fn set_room(&mut self, page: usize, on: bool) {
        let word = page / 64;
        if word >= self.room.len() {
            self.room.resize(word + 1, 0);
        }
        let bit = 1u64 << (page % 64);
        if on {
            self.room[word] |= bit;
        } else {
            self.room[word] &= !bit;
        }
    }

    /// The lowest page in `from..below` with a free slot.
    fn first_room(&self, from: usize, below: usize) -> Option<usize> {
        if from >= below {
            return None;
        }
        let mut word = from / 64;
        let mut bits = *self.room.get(word)? & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                let page = word * 64 + bits.trailing_zeros() as usize;
                return (page < below).then_some(page);
            }
            word += 1;
            if word * 64 >= below {
                return None;
            }
            bits = *self.room.get(word)?;
        }
    }

    /// Stores an entry in the lowest page with room and returns its link.
    fn alloc(&mut self, kv: (K, V), hash: u32, next: u32) -> u32 {
        let page = match self.first_room(self.cur, self.pages.len()) {
            Some(page) => page,
            None => self.push_page(),
        };
        self.cur = page;
        self.alloc_in(page, kv, hash, next)
    }

    fn push_page(&mut self) -> usize {
        // Four billion entries need hundreds of GiB.
        assert!(self.pages.len() < MAX_PAGES, "dict: 2^32 entries"); // safe: memory runs out first

        // A lone first page starts empty and doubles, so a dict of three keys
        // does not pay for a whole page.
        let cap = if self.pages.is_empty() { 0 } else { PAGE_SLOTS };
        self.pages.push(Page {
            slots: Vec::with_capacity(cap),
            free: NIL,
            live: 0,
        });
        let page = self.pages.len() - 1;
        self.set_room(page, true);
        page
    }

    /// Stores an entry in `page`, which must have room.
    fn alloc_in(&mut self, page: usize, kv: (K, V), hash: u32, next: u32) -> u32 {
        let pg = &mut self.pages[page];
        let off = if let Some((_, off)) = split_link(pg.free) {
            let slot = &mut pg.slots[off];
            pg.free = slot.next;
            *slot = Slot {
                kv: Some(kv),
                next,
                hash,
            };
            off
        } else {
            if pg.slots.len() == pg.slots.capacity() {
                let want = (pg.slots.capacity() * 2).clamp(4, PAGE_SLOTS);
                pg.slots.reserve_exact(want - pg.slots.len());
            }
            pg.slots.push(Slot {
                kv: Some(kv),
                next,
                hash,
            });
            pg.slots.len() - 1
        };
        pg.live += 1;
        if !pg.has_room() {
            self.set_room(page, false);
        }
        link_of(page, off)
    }

    /// Takes the entry out of a live slot and puts the slot on its page's free
    /// list.
    fn release(&mut self, link: u32) -> Option<(K, V)> {
        let (page, off) = split_link(link)?;
        let pg = self.pages.get_mut(page)?;
        let slot = pg.slots.get_mut(off)?;
        let kv = slot.kv.take()?;
        slot.next = pg.free;
        pg.free = off as u32 + 1;
        pg.live -= 1;
        self.set_room(page, true);
        self.cur = self.cur.min(page);
        Some(kv)
    }

    /// Drops the last page, which must hold no live entry.
    fn pop_page(&mut self) {
        if let Some(page) = self.pages.len().checked_sub(1) {
            self.pages.pop();
            self.set_room(page, false);
            self.cur = self.cur.min(self.pages.len());
        }
    }

    fn iter(&self) -> impl Iterator<Item = &Slot<K, V>> {
        self.pages.iter().flat_map(|p| p.slots.iter())
    }
}

/// Where the link to an entry is stored: a bucket head or a chain slot.
enum Referrer {
    Bucket(usize, usize),
    Slot(u32),
}

/// The incrementally rehashed hash table of `dict.c`.
pub struct Dict<K, V> {
    /// Bucket heads of the main table and of the rehashing target. A table
    /// is empty (length 0) or a power of two long.
    ht: [Box<[u32]>; 2],
    /// Entries chained from each table.
    used: [usize; 2],
    /// Next bucket of `ht[0]` to migrate; `None` when not rehashing.
    rehashidx: Option<usize>,
    arena: Arena<K, V>,
    hasher: DictHashSeed,
    /// `dict_can_resize`: false while a fork child exists.
    resize_allowed: bool,
}

/// A key's place in a [`Dict`], from [`Dict::entry`].
pub enum Entry<'a, K, V> {
    Occupied(OccupiedEntry<'a, K, V>),
    Vacant(VacantEntry<'a, K, V>),
}

/// The live entry of a key.
pub struct OccupiedEntry<'a, K, V> {
    dict: &'a mut Dict<K, V>,
    link: u32,
}

impl<K, V> OccupiedEntry<'_, K, V> {
    /// The value. Always `Some`: the entry was found live and nothing can
    /// have removed it since (the dict is borrowed). An `Option` rather than
    /// a panic keeps that invariant out of the callers' failure modes.
    pub fn get_mut(&mut self) -> Option<&mut V> {
        let slot = self.dict.arena.slot_mut(self.link)?;
        slot.kv.as_mut().map(|(_, v)| v)
    }
}

/// Where a missing key goes; the hash is already computed.
pub struct VacantEntry<'a, K, V> {
    dict: &'a mut Dict<K, V>,
    hash: u32,
}

impl<K, V> VacantEntry<'_, K, V> {
    /// Adds the entry. `k` must be the key the entry was looked up with
    /// (an owned copy of it), or it lands in the wrong bucket.
    pub fn insert(self, k: K, v: V) {
        let d = self.dict;
        // While rehashing, new entries go straight to the new table so the
        // old one only ever shrinks.
        let t = usize::from(d.rehashidx.is_some());
        let table = &mut d.ht[t];
        let bucket = self.hash as usize & (table.len() - 1);
        table[bucket] = d.arena.alloc((k, v), self.hash, table[bucket]);
        d.used[t] += 1;
    }
}

/// Exponent of the table size for `size` elements (`_dictNextExp`).
fn dict_next_exp(size: usize) -> u32 {
    if size <= DICT_HT_INITIAL_SIZE {
        return DICT_HT_INITIAL_EXP;
    }
    (usize::BITS - (size - 1).leading_zeros()).min(DICT_HT_MAX_EXP)
}

/// Advances a scan cursor over the bits of `mask`, high bit first
/// (the `rev(v)++` step of `dictScan`).
#[inline]
fn next_cursor(v: u64, mask: u64) -> u64 {
    // Setting the bits outside the mask makes the carry of the reversed
    // increment run through the masked bits only.
    (v | !mask).reverse_bits().wrapping_add(1).reverse_bits()
}

impl<K: Hash + Eq, V> Dict<K, V> {
    /// An empty dict; the first insert allocates a 4-bucket table.
    pub fn new() -> Self {
        Dict {
            ht: [Box::default(), Box::default()],
            used: [0, 0],
            rehashidx: None,
            arena: Arena::new(),
            hasher: DictHashSeed::default(),
            resize_allowed: true,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.used[0] + self.used[1]
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total bucket count of both tables (`dictSlots`).
    pub fn buckets(&self) -> usize {
        self.ht[0].len() + self.ht[1].len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehashidx.is_some()
    }

    #[inline]
    fn hash_key<Q: ?Sized + Hash>(&self, k: &Q) -> u32 {
        self.hasher.hash_one(k) as u32
    }

    /// Link of the entry for `k`, or `NIL`. Never moves anything.
    fn dict_find<Q>(&self, hash: u32, k: &Q) -> u32
    where
        K: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        for table in &self.ht {
            // ht[0] is empty only before the first insert, ht[1] whenever the
            // dict is not rehashing.
            if table.is_empty() {
                break;
            }
            let mut link = table[hash as usize & (table.len() - 1)];
            while let Some(slot) = self.arena.slot(link) {
                if slot.hash == hash {
                    if let Some((sk, _)) = &slot.kv {
                        if sk.borrow() == k {
                            return link;
                        }
                    }
                }
                link = slot.next;
            }
        }
        NIL
    }

    pub fn get<Q>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get_key_value(k).map(|(_, v)| v)
    }

    pub fn get_key_value<Q>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        let link = self.dict_find(self.hash_key(k), k);
        let (key, val) = self.arena.slot(link)?.kv.as_ref()?;
        Some((key, val))
    }

    pub fn contains_key<Q>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.get_key_value(k).is_some()
    }

    /// Mutable lookup; also performs one rehash step, as `dictFind` does.
    pub fn get_mut<Q>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let link = self.dict_find(self.hash_key(k), k);
        self.arena.slot_mut(link)?.kv.as_mut().map(|(_, v)| v)
    }

    /// Inserts or replaces (`dictReplace`): returns the old value when `k`
    /// was present, in which case the stored key is kept and `k` dropped.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.entry(&k) {
            Entry::Occupied(mut e) => e.get_mut().map(|old| std::mem::replace(old, v)),
            Entry::Vacant(e) => {
                e.insert(k, v);
                None
            }
        }
    }

    /// The place of `k`: its entry, or where it would be added. The key is
    /// hashed once for both the lookup and the insertion, which is what
    /// "find, and add if missing" costs in C (`dictFind` then
    /// `dictAddRaw`'s own lookup) minus one hash. Like an insert, this does
    /// a rehash step and grows the table first if it is due.
    pub fn entry<Q>(&mut self, k: &Q) -> Entry<'_, K, V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        self.rehash_step();
        let hash = self.hash_key(k);
        self.dict_expand_if_needed();
        match self.dict_find(hash, k) {
            NIL => Entry::Vacant(VacantEntry { dict: self, hash }),
            link => Entry::Occupied(OccupiedEntry { dict: self, link }),
        }
    }

    /// Removes `k` and returns the stored key and value (`dictUnlink`).
    pub fn remove<Q>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        if self.is_empty() {
            return None;
        }
        self.rehash_step();
        let hash = self.hash_key(k);
        for t in 0..2 {
            if self.ht[t].is_empty() {
                break;
            }
            let bucket = hash as usize & (self.ht[t].len() - 1);
            let mut prev = NIL;
            let mut link = self.ht[t][bucket];
            while let Some(slot) = self.arena.slot(link) {
                let next = slot.next;
                let hit =
                    slot.hash == hash && matches!(&slot.kv, Some((sk, _)) if sk.borrow() == k);
                if hit {
                    match self.arena.slot_mut(prev) {
                        Some(p) => p.next = next,
                        None => self.ht[t][bucket] = next,
                    }
                    self.used[t] -= 1;
                    return self.arena.release(link);
                }
                prev = link;
                link = next;
            }
        }
        None
    }

    /// Drops every entry and frees the tables and the arena (`dictEmpty`).
    /// The hash key and the resize policy are kept.
    pub fn clear(&mut self) {
        self.ht = [Box::default(), Box::default()];
        self.used = [0, 0];
        self.rehashidx = None;
        self.arena = Arena::new();
    }

    /// All entries, in storage order (not bucket order).
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.arena
            .iter()
            .filter_map(|s| s.kv.as_ref().map(|(k, v)| (k, v)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.arena
            .pages
            .iter_mut()
            .flat_map(|p| p.slots.iter_mut())
            .filter_map(|s| s.kv.as_mut().map(|(k, v)| (&*k, v)))
    }

    /// Empties the dict at once and hands its entries over; whatever the
    /// iterator does not consume is dropped with it. The iterator owns the
    /// entries, so it can be sent to a background thread to free them.
    pub fn drain(&mut self) -> impl Iterator<Item = (K, V)> {
        let arena = std::mem::replace(&mut self.arena, Arena::new());
        self.clear();
        arena
            .pages
            .into_iter()
            .flat_map(|p| p.slots.into_iter())
            .filter_map(|s| s.kv)
    }

    // ----------------------------------------------------------------------
    // Resizing and incremental rehashing
    // ----------------------------------------------------------------------

    /// Allocates a table for `size` elements (`_dictExpand`): the main table
    /// if there is none yet, otherwise the rehashing target. Returns false if
    /// nothing was done (already rehashing, too small, or the same size).
    fn dict_expand(&mut self, size: usize) -> bool {
        if self.is_rehashing() || self.used[0] > size {
            return false;
        }
        let newsize = 1usize << dict_next_exp(size);
        if newsize < size || newsize == self.ht[0].len() {
            return false;
        }
        // Zero is NIL, so this is a zeroed allocation: large ones come from
        // fresh pages the kernel zeroes on first touch, spreading the cost
        // over the rehash instead of paying it all here.
        let table = vec![NIL; newsize].into_boxed_slice();
        if self.ht[0].is_empty() {
            self.ht[0] = table;
            return true;
        }
        self.ht[1] = table;
        self.used[1] = 0;
        self.rehashidx = Some(0);
        true
    }

    /// `dictExpand`: sizes the table for `size` entries ahead of time (an
    /// RDB's RESIZEDB hint), so that loading does not rehash as it grows.
    /// Does nothing while rehashing or when the table is big enough.
    pub fn expand(&mut self, size: usize) {
        self.dict_expand(size);
    }

    /// Grows the table when it is full (`_dictExpandIfNeeded`).
    fn dict_expand_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.ht[0].len();
        if size == 0 {
            self.dict_expand(DICT_HT_INITIAL_SIZE);
            return;
        }
        let used = self.used[0];
        // Ratio 1 normally; with a fork child only once chains average more
        // than 5, since moving entries dirties copy-on-write pages.
        if (self.resize_allowed && used >= size) || used / size > DICT_FORCE_RESIZE_RATIO {
            self.dict_expand(used + 1);
        }
    }

    /// Migrates up to `n` non-empty buckets from the old table to the new
    /// one, visiting at most `n * 10` empty buckets so a sparse table cannot
    /// make one call slow. Returns true while entries remain to move
    /// (`dictRehash`).
    fn dict_rehash(&mut self, mut n: usize) -> bool {
        let Some(mut idx) = self.rehashidx else {
            return false;
        };
        let (s0, s1) = (self.ht[0].len(), self.ht[1].len());
        if !self.resize_allowed && s0.max(s1) / s0.min(s1).max(1) < DICT_FORCE_RESIZE_RATIO {
            // A fork child is running: leave the pages alone unless the
            // tables are so unbalanced that lookups would suffer.
            return false;
        }
        let mut empty_visits = n * 10;
        let [t0, t1] = &mut self.ht;
        let mask1 = t1.len() - 1;
        while n > 0 && self.used[0] != 0 {
            n -= 1;
            loop {
                match t0.get(idx) {
                    Some(&NIL) => {
                        idx += 1;
                        empty_visits -= 1;
                        if empty_visits == 0 {
                            self.rehashidx = Some(idx);
                            return true;
                        }
                    }
                    Some(_) => break,
                    None => {
                        // The counters say entries remain but the old table
                        // is exhausted: a bookkeeping bug. Trust the tables
                        // and finish, rather than loop or panic.
                        debug_assert!(false, "dict: used[0] out of sync"); // safe: debug builds only, release recovers
                        self.used[1] += self.used[0];
                        self.used[0] = 0;
                        break;
                    }
                }
            }
            let Some(head) = t0.get_mut(idx) else { break };
            let mut link = std::mem::replace(head, NIL);
            while let Some(slot) = self.arena.slot_mut(link) {
                let next = slot.next;
                let bucket = slot.hash as usize & mask1;
                slot.next = t1[bucket];
                t1[bucket] = link;
                self.used[0] -= 1;
                self.used[1] += 1;
                link = next;
            }
            idx += 1;
        }
        self.rehashidx = Some(idx);
        if self.used[0] == 0 {
            self.ht[0] = std::mem::take(&mut self.ht[1]);
            self.used = [self.used[1], 0];
            self.rehashidx = None;
            return false;
        }
        true
    }

    /// One bucket of migration if a rehash is in progress (`_dictRehashStep`).
    /// Writes do this on their own; a reader holding `&mut` may call it to
    /// let lookups drive the migration as `dictFind` does in C.
    pub fn rehash_step(&mut self) {
        if self.rehashidx.is_some() {
            self.dict_rehash(1);
        }
    }

    /// Rehashes in steps of 100 buckets for about `ms` milliseconds
    /// (`dictRehashMilliseconds`). Returns true if the dict is still
    /// rehashing afterwards: out of time, or paused because resizing is not
    /// allowed.
    pub fn rehash_milliseconds(&mut self, ms: u64) -> bool {
        let start = Instant::now();
        let budget = Duration::from_millis(ms);
        while self.dict_rehash(100) {
            if start.elapsed() > budget {
                break;
            }
        }
        self.is_rehashing()
    }

    /// `htNeedsResize` + `dictResize`: when fewer than 10% of the buckets are
    /// used, starts rehashing into the smallest table that holds every entry.
    /// Returns true if such a resize started.
    ///
    /// With resizing allowed it also compacts the arena: when the last pages
    /// are sparse it moves their entries into free slots of lower pages and
    /// frees the pages (a few pages per call). Compaction keeps buckets and
    /// chain order, so it never disturbs a scan.
    pub fn try_shrink(&mut self) -> bool {
        let size = self.buckets();
        let needs_resize =
            size > DICT_HT_INITIAL_SIZE && self.len() * 100 / size < HASHTABLE_MIN_FILL;
        let started = needs_resize && self.dict_resize();
        if self.resize_allowed {
            self.dict_compact(COMPACT_PAGES_PER_CALL);
        }
        started
    }

    /// Shrinks (or grows) to the minimal table keeping a fill ratio <= 1.
    fn dict_resize(&mut self) -> bool {
        if !self.resize_allowed || self.is_rehashing() {
            return false;
        }
        self.dict_expand(self.used[0].max(DICT_HT_INITIAL_SIZE))
    }

    /// `dict_can_resize`. Pass false while a fork child exists: the dict then
    /// grows only past 5 entries per bucket, pauses a started rehash unless the
    /// tables differ by 5x or more, and neither shrinks nor compacts.
    pub fn set_resize_allowed(&mut self, allowed: bool) {
        self.resize_allowed = allowed;
    }

    /// Empties the last arena pages into lower free slots and frees them, at
    /// most `max_pages` of them. Returns the number of pages freed.
    fn dict_compact(&mut self, max_pages: usize) -> usize {
        let mut freed = 0;
        while freed < max_pages {
            let Some(last) = self.arena.pages.len().checked_sub(1) else {
                break;
            };
            if last == 0 {
                break;
            }
            let live_last = self.arena.pages[last].live as usize;
            // Pages below the last are fully pushed: a page is added only
            // when every existing one is full.
            let free_below = (last * PAGE_SLOTS).saturating_sub(self.len() - live_last);
            if free_below < live_last + COMPACT_SLACK {
                break;
            }
            for off in 0..self.arena.pages[last].slots.len() {
                let old = link_of(last, off);
                let hash = match self.arena.slot(old) {
                    Some(Slot {
                        kv: Some(_), hash, ..
                    }) => *hash,
                    _ => continue,
                };
                // Find everything needed before touching the entry, so a
                // failure leaves the dict exactly as it was.
                let Some(referrer) = self.find_referrer(old, hash) else {
                    debug_assert!(false, "dict: live slot not reachable"); // safe: debug builds only, release recovers
                    return freed;
                };
                let Some(page) = self.arena.first_room(self.arena.cur, last) else {
                    return freed;
                };
                let pg = &mut self.arena.pages[last];
                let slot = &mut pg.slots[off];
                let (Some(kv), next) = (slot.kv.take(), slot.next) else {
                    continue;
                };
                pg.live -= 1;
                self.arena.cur = page;
                let new = self.arena.alloc_in(page, kv, hash, next);
                match referrer {
                    Referrer::Bucket(t, b) => self.ht[t][b] = new,
                    Referrer::Slot(link) => {
                        if let Some(s) = self.arena.slot_mut(link) {
                            s.next = new;
                        }
                    }
                }
            }
            if self.arena.pages[last].live != 0 {
                break;
            }
            self.arena.pop_page();
            freed += 1;
        }
        freed
    }

    /// The place holding the link to the live slot `link`.
    fn find_referrer(&self, link: u32, hash: u32) -> Option<Referrer> {
        for (t, table) in self.ht.iter().enumerate() {
            if table.is_empty() {
                break;
            }
            let bucket = hash as usize & (table.len() - 1);
            let mut cur = table[bucket];
            if cur == link {
                return Some(Referrer::Bucket(t, bucket));
            }
            while let Some(slot) = self.arena.slot(cur) {
                if slot.next == link {
                    return Some(Referrer::Slot(cur));
                }
                cur = slot.next;
            }
        }
        None
    }

    // ----------------------------------------------------------------------
    // Scan and random sampling
    // ----------------------------------------------------------------------

    fn scan_bucket<F: FnMut(&K, &V)>(&self, mut link: u32, f: &mut F) {
        while let Some(slot) = self.arena.slot(link) {
            if let Some((k, v)) = &slot.kv {
                f(k, v);
            }
            link = slot.next;
        }
    }

    /// One step of a SCAN (`dictScan`): calls `f` on every entry of the
    /// bucket(s) under `cursor` and returns the next cursor, 0 when the walk
    /// is over. Start with 0.
    ///
    /// The cursor counts with its bits reversed, so it visits the high bits
    /// of a bucket index first. When the table doubles, bucket `b` splits
    /// into `b` and `b + size`, which the reversed counter visits as
    /// neighbours, and buckets already covered stay covered; when it halves,
    /// the buckets that merge are ones visited together. During a rehash the
    /// smaller table's bucket is emitted, then every bucket of the larger
    /// table that it expands to. An entry present for the whole walk is thus
    /// returned at least once (maybe more).
    pub fn scan<F: FnMut(&K, &V)>(&self, cursor: u64, mut f: F) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        if !self.is_rehashing() {
            let m0 = (self.ht[0].len() - 1) as u64;
            self.scan_bucket(self.ht[0][(v & m0) as usize], &mut f);
            return next_cursor(v, m0);
        }
        let (small, big) = if self.ht[0].len() <= self.ht[1].len() {
            (&self.ht[0], &self.ht[1])
        } else {
            (&self.ht[1], &self.ht[0])
        };
        let m0 = (small.len() - 1) as u64;
        let m1 = (big.len() - 1) as u64;
        self.scan_bucket(small[(v & m0) as usize], &mut f);
        // Every bucket of the big table that `v & m0` expands to: the bits
        // of m1 above m0 take all their values.
        loop {
            self.scan_bucket(big[(v & m1) as usize], &mut f);
            v = next_cursor(v, m1);
            if v & (m0 ^ m1) == 0 {
                break;
            }
        }
        v
    }

    /// Picks a live entry whose link is returned: a random non-empty bucket,
    /// then a random chain member.
    fn random_link(&self) -> u32 {
        if self.is_empty() {
            return NIL;
        }
        let mut rng = rand::thread_rng();
        let head = match self.rehashidx {
            Some(ri) => {
                // Buckets of ht[0] below rehashidx are empty: draw among the
                // rest of ht[0] followed by all of ht[1].
                let s0 = self.ht[0].len();
                let slots = s0 + self.ht[1].len();
                loop {
                    let h = rng.gen_range(ri.min(slots - 1)..slots);
                    let head = if h >= s0 {
                        self.ht[1][h - s0]
                    } else {
                        self.ht[0][h]
                    };
                    if head != NIL {
                        break head;
                    }
                }
            }
            None => {
                let mask = self.ht[0].len() - 1;
                loop {
                    let head = self.ht[0][rng.gen::<usize>() & mask];
                    if head != NIL {
                        break head;
                    }
                }
            }
        };
        let mut chain_len = 0usize;
        let mut link = head;
        while let Some(slot) = self.arena.slot(link) {
            chain_len += 1;
            link = slot.next;
        }
        let mut link = head;
        for _ in 0..rng.gen_range(0..chain_len.max(1)) {
            match self.arena.slot(link) {
                Some(slot) => link = slot.next,
                None => break,
            }
        }
        link
    }

    fn entry_at(&self, link: u32) -> Option<(&K, &V)> {
        let (k, v) = self.arena.slot(link)?.kv.as_ref()?;
        Some((k, v))
    }

    /// A random entry (`dictGetRandomKey`). Entries in short chains are a
    /// little likelier than entries in long ones; see `fair_random_entry`.
    pub fn random_entry(&self) -> Option<(&K, &V)> {
        self.entry_at(self.random_link())
    }

    /// A random entry picked from a sample of consecutive buckets, which
    /// smooths out chain-length bias (`dictGetFairRandomKey`).
    pub fn fair_random_entry(&self) -> Option<(&K, &V)> {
        let mut sample = [NIL; GETFAIR_NUM_ENTRIES];
        let n = self.dict_get_some_keys(&mut sample);
        if n == 0 {
            // An unlucky run can find nothing in a sparse table.
            return self.random_entry();
        }
        let idx = rand::thread_rng().gen_range(0..n);
        self.entry_at(sample[idx])
    }

    /// Up to `count` distinct entries from random places, for eviction and
    /// expiry sampling (`dictGetSomeKeys`). Much cheaper than `count` calls
    /// to `random_entry`, but not uniformly distributed; may return fewer
    /// than asked, even none, when the table is sparse.
    pub fn some_entries(&self, count: usize) -> Vec<(&K, &V)> {
        let mut links = vec![NIL; count.min(self.len())];
        let n = self.dict_get_some_keys(&mut links);
        links[..n]
            .iter()
            .filter_map(|&l| self.entry_at(l))
            .collect()
    }

    /// Fills `out` with links of distinct live entries and returns how many.
    /// Walks buckets from a random index in both tables, jumping elsewhere
    /// after a run of empty buckets, for at most `10 * out.len()` steps; once
    /// `out` is full it keeps going to the end of the current chain with
    /// reservoir sampling, so a chain's tail is as likely as its head.
    fn dict_get_some_keys(&self, out: &mut [u32]) -> usize {
        let count = out.len().min(self.len());
        if count == 0 {
            return 0;
        }
        let tables = if self.is_rehashing() { 2 } else { 1 };
        let ri = self.rehashidx.unwrap_or(0);
        let mut maxsizemask = self.ht[0].len() - 1;
        if tables == 2 {
            maxsizemask = maxsizemask.max(self.ht[1].len() - 1);
        }
        let mut rng = rand::thread_rng();
        let mut i = rng.gen::<usize>() & maxsizemask;
        let mut emptylen = 0usize;
        let mut stored = 0usize;
        let mut maxsteps = count * 10;
        'walk: while stored < count && maxsteps > 0 {
            maxsteps -= 1;
            for j in 0..tables {
                if tables == 2 && j == 0 && i < ri {
                    // ht[0] is empty below rehashidx. If i is also past the
                    // end of ht[1] (a shrink), nothing lives there at all.
                    if i >= self.ht[1].len() {
                        i = ri;
                    } else {
                        continue;
                    }
                }
                let Some(&head) = self.ht[j].get(i) else {
                    continue;
                };
                if head == NIL {
                    emptylen += 1;
                    if emptylen >= 5 && emptylen > count {
                        i = rng.gen::<usize>() & maxsizemask;
                        emptylen = 0;
                    }
                    continue;
                }
                emptylen = 0;
                let mut link = head;
                while let Some(slot) = self.arena.slot(link) {
                    if stored < count {
                        out[stored] = link;
                    } else {
                        let r = rng.gen_range(0..=stored);
                        if r < count {
                            out[r] = link;
                        }
                    }
                    stored += 1;
                    link = slot.next;
                }
                if stored >= count {
                    break 'walk;
                }
            }
            i = (i + 1) & maxsizemask;
        }
        // A random jump can land on a bucket already taken: drop repeats.
        let n = stored.min(count);
        let sample = &mut out[..n];
        sample.sort_unstable();
        let mut distinct = 0;
        for k in 0..n {
            if k == 0 || sample[k] != sample[distinct - 1] {
                sample[distinct] = sample[k];
                distinct += 1;
            }
        }
        distinct
    }

    // ----------------------------------------------------------------------
    // Memory and statistics
    // ----------------------------------------------------------------------

    /// Bytes of the table structure: both bucket arrays and every arena slot
    /// (live or free, including the inline key and value), plus the page
    /// bookkeeping. Heap memory owned by keys and values is not counted.
    pub fn mem_overhead(&self) -> usize {
        let slots: usize = self.arena.pages.iter().map(|p| p.slots.capacity()).sum();
        self.buckets() * std::mem::size_of::<u32>()
            + slots * std::mem::size_of::<Slot<K, V>>()
            + self.arena.pages.capacity() * std::mem::size_of::<Page<K, V>>()
            + self.arena.room.capacity() * std::mem::size_of::<u64>()
    }

    /// Chain statistics of one table, in `_dictGetStatsHt`'s format.
    fn dict_get_stats_ht(&self, out: &mut String, t: usize) {
        use std::fmt::Write;
        let name = if t == 0 {
            "main hash table"
        } else {
            "rehashing target"
        };
        if self.used[t] == 0 {
            let _ = write!(
                out,
                "Hash table {t} stats ({name}):\nNo stats available for empty dictionaries\n"
            );
            return;
        }
        let mut clvector = [0usize; DICT_STATS_VECTLEN];
        let (mut slots, mut maxchainlen, mut totchainlen) = (0usize, 0usize, 0usize);
        for &head in self.ht[t].iter() {
            if head == NIL {
                clvector[0] += 1;
                continue;
            }
            slots += 1;
            let mut chainlen = 0usize;
            let mut link = head;
            while let Some(slot) = self.arena.slot(link) {
                chainlen += 1;
                link = slot.next;
            }
            clvector[chainlen.min(DICT_STATS_VECTLEN - 1)] += 1;
            maxchainlen = maxchainlen.max(chainlen);
            totchainlen += chainlen;
        }
        let size = self.ht[t].len();
        // The C code computes these in single precision; so do we, to print
        // the same digits.
        let _ = write!(
            out,
            "Hash table {t} stats ({name}):\n table size: {size}\n number of elements: {}\n \
             different slots: {slots}\n max chain length: {maxchainlen}\n \
             avg chain length (counted): {:.2}\n avg chain length (computed): {:.2}\n \
             Chain length distribution:\n",
            self.used[t],
            totchainlen as f32 / slots as f32,
            self.used[t] as f32 / slots as f32,
        );
        // The last cell (chains of 49 or more) is counted but, as in C, not
        // printed.
        for (i, &n) in clvector.iter().enumerate().take(DICT_STATS_VECTLEN - 1) {
            if n != 0 {
                let pct = (n as f32 / size as f32) * 100.0;
                let _ = writeln!(out, "   {i}: {n} ({pct:.2}%)");
            }
        }
    }

    /// DEBUG HTSTATS text for the main table and, while rehashing, the
    /// target table (`dictGetStats`).
    pub fn stats(&self) -> String {
        let mut out = String::new();
        self.dict_get_stats_ht(&mut out, 0);
        if self.is_rehashing() {
            self.dict_get_stats_ht(&mut out, 1);
        }
        out
    }
}

impl<K: Hash + Eq, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V> fmt::Debug for Dict<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dict")
            .field("len", &(self.used[0] + self.used[1]))
            .field("buckets", &[self.ht[0].len(), self.ht[1].len()])
            .field("rehashidx", &self.rehashidx)
            .field("pages", &self.arena.pages.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::{HashMap, HashSet};

    fn key(i: u64) -> Box<[u8]> {
        format!("key:{i}").into_bytes().into_boxed_slice()
    }

    fn filled(n: u64) -> Dict<Box<[u8]>, u64> {
        let mut d = Dict::new();
        for i in 0..n {
            assert!(d.insert(key(i), i).is_none());
        }
        d
    }

    /// Walks every chain and checks the counters, the hash bits, the
    /// emptiness of migrated buckets and the arena bookkeeping.
    fn check_invariants<K: Hash + Eq, V>(d: &Dict<K, V>) {
        let mut reached = HashSet::new();
        for (t, table) in d.ht.iter().enumerate() {
            assert!(table.is_empty() || table.len().is_power_of_two());
            let mut count = 0;
            for (b, &head) in table.iter().enumerate() {
                if t == 0 {
                    if let Some(ri) = d.rehashidx {
                        if b < ri {
                            assert_eq!(head, NIL, "bucket {b} below rehashidx {ri}");
                        }
                    }
                }
                let mut link = head;
                while let Some(slot) = d.arena.slot(link) {
                    let (k, _) = slot.kv.as_ref().expect("chained slot is live");
                    assert_eq!(slot.hash, d.hash_key(k));
                    assert_eq!(slot.hash as usize & (table.len() - 1), b);
                    assert!(reached.insert(link), "link reached twice");
                    count += 1;
                    link = slot.next;
                }
            }
            assert_eq!(count, d.used[t]);
        }
        assert_eq!(d.iter().count(), d.len());
        for (p, page) in d.arena.pages.iter().enumerate() {
            let live = page.slots.iter().filter(|s| s.kv.is_some()).count();
            assert_eq!(live, page.live as usize);
            let mut free = 0;
            let mut f = page.free;
            while let Some((_, off)) = split_link(f) {
                assert!(page.slots[off].kv.is_none());
                free += 1;
                f = page.slots[off].next;
            }
            assert_eq!(free + live, page.slots.len(), "page {p} free list");
            let bit = d.arena.room.get(p / 64).map_or(0, |w| (w >> (p % 64)) & 1);
            assert_eq!(bit == 1, page.has_room(), "room bit of page {p}");
            if p < d.arena.cur {
                assert!(!page.has_room(), "page {p} below cur has room");
            }
        }
    }

    #[test]
    fn dict_insert_get_remove_replace_100k() {
        let mut d: Dict<Box<[u8]>, u64> = Dict::new();
        let mut model: HashMap<Box<[u8]>, u64> = HashMap::new();
        for i in 0..100_000u64 {
            assert_eq!(d.insert(key(i), i), None);
            model.insert(key(i), i);
            if i % 3 == 2 {
                // Remove an older key while the table keeps growing.
                let victim = key(i / 2);
                assert_eq!(d.remove(&*victim), model.remove_entry(&victim));
            }
            if i % 7 == 0 {
                let k = key(i / 3);
                let old = model.get(&k).copied();
                assert_eq!(d.insert(k.clone(), i + 1_000_000), old);
                model.insert(k, i + 1_000_000);
            }
        }
        assert_eq!(d.len(), model.len());
        check_invariants(&d);
        for i in 0..100_000u64 {
            let k = key(i);
            assert_eq!(d.get(&*k), model.get(&k));
            assert_eq!(d.contains_key(&*k), model.contains_key(&k));
            if let Some((sk, sv)) = d.get_key_value(&*k) {
                assert_eq!(&**sk, &*k);
                assert_eq!(Some(sv), model.get(&k));
            }
        }
        assert_eq!(d.get(b"missing".as_slice()), None);
        assert_eq!(d.remove(b"missing".as_slice()), None);
        *d.get_mut(b"key:99999".as_slice()).unwrap() = 7;
        assert_eq!(d.get(b"key:99999".as_slice()), Some(&7));
        // Remove everything; the dict must end empty and consistent.
        for i in 0..100_000u64 {
            let k = key(i);
            assert_eq!(d.remove(&*k).is_some(), model.remove(&k).is_some());
        }
        assert!(d.is_empty());
        assert_eq!(d.iter().count(), 0);
        check_invariants(&d);
    }

    #[test]
    fn dict_random_ops_match_model() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut d: Dict<u64, u64> = Dict::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        for step in 0..200_000u64 {
            let k = rng.gen_range(0..20_000u64);
            match rng.gen_range(0..10) {
                0..=4 => assert_eq!(d.insert(k, step), model.insert(k, step)),
                5..=7 => assert_eq!(d.remove(&k).map(|kv| kv.1), model.remove(&k)),
                8 => assert_eq!(d.get_mut(&k).copied(), model.get(&k).copied()),
                _ => {
                    d.try_shrink();
                }
            }
            if step % 50_000 == 0 {
                check_invariants(&d);
            }
        }
        check_invariants(&d);
        let mut got: Vec<_> = d.iter().map(|(k, v)| (*k, *v)).collect();
        let mut want: Vec<_> = model.into_iter().collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn dict_iter_mut_drain_clear() {
        let mut d = filled(5000);
        for (_, v) in d.iter_mut() {
            *v *= 2;
        }
        assert_eq!(d.get(b"key:21".as_slice()), Some(&42));
        let mut sum = 0;
        let mut n = 0;
        for (_, v) in d.drain() {
            sum += v;
            n += 1;
        }
        assert_eq!(n, 5000);
        assert_eq!(sum, 2 * (0..5000).sum::<u64>());
        assert!(d.is_empty());
        assert_eq!(d.buckets(), 0);
        assert_eq!(d.get(b"key:1".as_slice()), None);
        // Still usable after drain, and clear frees everything.
        d.insert(key(1), 1);
        assert_eq!(d.len(), 1);
        d.clear();
        assert!(d.is_empty());
        assert_eq!(d.mem_overhead(), 0);
        check_invariants(&d);
    }

    #[test]
    fn dict_empty_dict_is_harmless() {
        let mut d: Dict<Box<[u8]>, u64> = Dict::default();
        assert_eq!(d.scan(0, |_, _| panic!("no entries")), 0);
        assert_eq!(d.scan(12345, |_, _| panic!("no entries")), 0);
        assert!(d.random_entry().is_none());
        assert!(d.fair_random_entry().is_none());
        assert!(d.some_entries(10).is_empty());
        assert!(d.remove(b"x".as_slice()).is_none());
        assert!(d.get_mut(b"x".as_slice()).is_none());
        assert!(!d.try_shrink());
        assert!(!d.rehash_milliseconds(1));
        assert_eq!(d.buckets(), 0);
        assert!(d
            .stats()
            .contains("No stats available for empty dictionaries"));
        assert!(format!("{d:?}").starts_with("Dict { len: 0"));
    }

    /// Runs a full scan, calling `between` after every step, and returns the
    /// keys seen.
    fn full_scan(
        d: &mut Dict<Box<[u8]>, u64>,
        mut between: impl FnMut(&mut Dict<Box<[u8]>, u64>),
    ) -> HashSet<Box<[u8]>> {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.clone());
            });
            steps += 1;
            assert!(steps < 10_000_000, "scan does not terminate");
            if cursor == 0 {
                break;
            }
            between(d);
        }
        seen
    }

    #[test]
    fn dict_scan_plain_returns_everything() {
        let mut d = filled(3000);
        while d.rehash_milliseconds(100) {}
        let seen = full_scan(&mut d, |_| {});
        assert_eq!(seen.len(), 3000);
    }

    #[test]
    fn dict_scan_survives_growth() {
        let mut d = filled(1000);
        while d.rehash_milliseconds(100) {}
        let start_buckets = d.buckets();
        let mut next = 1000u64;
        let mut saw_rehash = false;
        // Insert 20 keys per step until the table has grown 32x, then stop
        // so the scan can catch up with the table.
        let seen = full_scan(&mut d, |d| {
            if next < 33_000 {
                for _ in 0..20 {
                    d.insert(key(next), next);
                    next += 1;
                }
            }
            saw_rehash |= d.is_rehashing();
        });
        assert!(saw_rehash);
        assert!(
            d.buckets() >= 16 * start_buckets,
            "table grew several times"
        );
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
        check_invariants(&d);
    }

    #[test]
    fn dict_scan_survives_shrink() {
        let mut d = filled(20_000);
        while d.rehash_milliseconds(100) {}
        let start_buckets = d.buckets();
        // Keep every 100th key; the others go away while the scan runs.
        let mut doomed: Vec<u64> = (0..20_000).filter(|i| i % 100 != 0).collect();
        let mut saw_rehash = false;
        let mut shrinks = 0;
        let seen = full_scan(&mut d, |d| {
            for _ in 0..40 {
                if let Some(i) = doomed.pop() {
                    assert!(d.remove(&*key(i)).is_some());
                }
            }
            if d.try_shrink() {
                shrinks += 1;
            }
            saw_rehash |= d.is_rehashing();
            // What server_cron's rehash_milliseconds would do meanwhile.
            d.dict_rehash(2);
        });
        assert!(shrinks > 0 && saw_rehash);
        while d.rehash_milliseconds(100) {}
        assert!(d.buckets() < start_buckets);
        for i in (0..20_000).step_by(100) {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
        check_invariants(&d);
    }

    #[test]
    fn dict_scan_during_rehash_both_directions() {
        // Growing: 4096 entries fill a 4096-bucket table; one more starts a
        // rehash to 8192 buckets. Each insert moves one bucket only.
        let mut d = filled(4097);
        assert!(d.is_rehashing());
        assert!(d.ht[0].len() < d.ht[1].len());
        let seen = full_scan(&mut d, |_| {});
        assert_eq!(seen.len(), 4097);
        // And with inserts and removes (which step the rehash) in between.
        let mut next = 5000;
        let mut removed = HashSet::new();
        let seen = full_scan(&mut d, |d| {
            d.insert(key(next), next);
            next += 1;
            if next % 3 == 0 {
                let victim = next - 4000;
                if d.remove(&*key(victim)).is_some() {
                    removed.insert(victim);
                }
            }
        });
        for i in (0..4097).filter(|i| !removed.contains(i)) {
            assert!(seen.contains(&key(i)), "key {i} missed while growing");
        }

        // Shrinking: a big sparse table rehashing into a small one.
        let mut d = filled(20_000);
        while d.rehash_milliseconds(100) {}
        for i in 0..20_000 {
            if i % 50 != 0 {
                d.remove(&*key(i));
            }
        }
        assert!(d.try_shrink());
        assert!(d.is_rehashing());
        assert!(d.ht[0].len() > d.ht[1].len());
        d.dict_rehash(3);
        let seen = full_scan(&mut d, |_| {});
        assert_eq!(seen.len(), 400);
        let seen = full_scan(&mut d, |d| d.rehash_step());
        assert_eq!(seen.len(), 400);
        check_invariants(&d);
    }

    #[test]
    fn dict_random_entry_reaches_every_key() {
        let mut d = filled(20);
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            let (k, v) = d.random_entry().unwrap();
            assert_eq!(&**k, format!("key:{v}").as_bytes());
            seen.insert(*v);
            if seen.len() == 20 {
                break;
            }
        }
        assert_eq!(seen.len(), 20);

        let mut fair = HashSet::new();
        for _ in 0..100_000 {
            fair.insert(*d.fair_random_entry().unwrap().1);
            if fair.len() == 20 {
                break;
            }
        }
        assert_eq!(fair.len(), 20);

        // During a rehash too, live entries only.
        let mut n = 20;
        while !d.is_rehashing() {
            d.insert(key(n), n);
            n += 1;
        }
        let mut seen = HashSet::new();
        for _ in 0..100_000 {
            seen.insert(*d.random_entry().unwrap().1);
            if seen.len() == n as usize {
                break;
            }
        }
        assert_eq!(seen.len(), n as usize);
        assert!(d.is_rehashing());
    }

    #[test]
    fn dict_some_entries_distinct_and_live() {
        let mut d = filled(2000);
        for i in (0..2000).step_by(2) {
            d.remove(&*key(i));
        }
        for count in [1, 5, 20, 64, 1000, 5000] {
            let mut total = 0;
            for _ in 0..200 {
                let sample = d.some_entries(count);
                assert!(sample.len() <= count.min(d.len()));
                let mut keys = HashSet::new();
                for (k, v) in &sample {
                    assert!(keys.insert(*k), "duplicate entry");
                    assert_eq!(**v % 2, 1, "removed entry returned");
                    assert_eq!(d.get(&***k), Some(*v));
                }
                total += sample.len();
            }
            assert!(total > 0);
        }
        // While rehashing (both tables populated).
        let d = filled(4097);
        assert!(d.is_rehashing());
        for _ in 0..200 {
            let sample = d.some_entries(20);
            let keys: HashSet<_> = sample.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys.len(), sample.len());
            assert!(sample.iter().all(|(k, v)| d.get(&***k) == Some(*v)));
        }
        assert!(d.some_entries(0).is_empty());
    }

    #[test]
    fn dict_rehash_milliseconds_finishes() {
        let mut d = filled(65_537);
        assert!(d.is_rehashing());
        let pending = d.rehash_milliseconds(10_000);
        assert!(!pending);
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 131_072);
        assert_eq!(d.len(), 65_537);
        check_invariants(&d);
    }

    #[test]
    fn dict_resize_policy_follows_dict_c() {
        let mut d = filled(64);
        while d.rehash_milliseconds(100) {}
        assert_eq!(d.buckets(), 64);
        d.set_resize_allowed(false);
        // Ratio 1 reached, but no growth until more than 5 per bucket.
        for i in 64..384 {
            d.insert(key(i), i);
        }
        assert!(!d.is_rehashing());
        assert_eq!(d.buckets(), 64);
        d.insert(key(384), 384);
        d.insert(key(385), 385);
        assert!(d.is_rehashing(), "forced growth past ratio 5");
        // 64 -> 512 is more than 5x: the rehash may proceed.
        assert!(!d.rehash_milliseconds(1000));
        // A small growth started before the fork pauses while it runs.
        let mut d = filled(4097);
        assert!(d.is_rehashing());
        d.set_resize_allowed(false);
        assert!(d.rehash_milliseconds(10));
        assert!(d.is_rehashing());
        // No shrink and no compaction either.
        for i in 0..4000 {
            d.remove(&*key(i));
        }
        let pages = d.arena.pages.len();
        assert!(!d.try_shrink());
        assert_eq!(d.arena.pages.len(), pages);
        d.set_resize_allowed(true);
        assert!(!d.rehash_milliseconds(1000));
        check_invariants(&d);
    }

    #[test]
    fn dict_shrink_and_compaction_give_memory_back() {
        let mut d = filled(100_000);
        while d.rehash_milliseconds(100) {}
        let full = d.mem_overhead();
        let mut rng = StdRng::seed_from_u64(1);
        let mut kept = Vec::new();
        for i in 0..100_000u64 {
            if rng.gen_range(0..10) == 0 {
                kept.push(i);
            } else {
                d.remove(&*key(i));
            }
        }
        // Shrink the table, then keep calling the cron hook until nothing
        // more can be handed back.
        let mut started = false;
        for _ in 0..1000 {
            started |= d.try_shrink();
            d.rehash_milliseconds(100);
        }
        assert!(started);
        assert!(d.buckets() <= 16_384);
        let pages = d.arena.pages.len();
        let needed = kept.len().div_ceil(PAGE_SLOTS);
        assert!(pages <= needed + 1, "{pages} pages for {} keys", kept.len());
        assert!(
            d.mem_overhead() * 5 < full,
            "{} vs {full}",
            d.mem_overhead()
        );
        check_invariants(&d);
        for &i in &kept {
            assert_eq!(d.get(&*key(i)), Some(&i));
        }
        assert_eq!(d.len(), kept.len());
        // Compaction in the middle of a scan must not hide anyone.
        let mut d = filled(30_000);
        for i in 0..30_000 {
            if i % 10 != 0 {
                d.remove(&*key(i));
            }
        }
        let seen = full_scan(&mut d, |d| {
            d.try_shrink();
        });
        for i in (0..30_000).step_by(10) {
            assert!(seen.contains(&key(i)), "key {i} missed");
        }
        check_invariants(&d);
    }

    #[test]
    fn dict_stats_format() {
        let mut d: Dict<u64, ()> = Dict::new();
        for i in 0..3 {
            d.insert(i, ());
        }
        let s = d.stats();
        assert!(s.starts_with(
            "Hash table 0 stats (main hash table):\n table size: 4\n number of elements: 3\n"
        ));
        assert!(s.contains(" Chain length distribution:\n"));
        // Buckets by chain length add up to the table size.
        let total: usize = s
            .lines()
            .filter(|l| l.starts_with("   "))
            .map(|l| l.trim().split(':').nth(1).unwrap())
            .map(|rest| {
                rest.split_whitespace()
                    .next()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        assert_eq!(total, 4);
        assert!(!s.contains("Hash table 1"));
        for i in 3..5 {
            d.insert(i, ());
        }
        assert!(d.is_rehashing());
        let s = d.stats();
        assert!(s.contains("Hash table 1 stats (rehashing target):\n table size: 8\n"));
    }

    #[test]
    fn dict_stats_numbers_are_consistent() {
        // The averages are recomputed from the printed counts.
        let d = filled(1000);
        let s = d.stats();
        let field = |name: &str| -> String {
            s.lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap()
                .to_string()
        };
        let elements: f32 = field(" number of elements: ").parse().unwrap();
        let slots: f32 = field(" different slots: ").parse().unwrap();
        assert_eq!(
            field(" avg chain length (computed): "),
            format!("{:.2}", elements / slots)
        );
        assert_eq!(field(" table size: "), d.ht[0].len().to_string());
    }

    #[test]
    fn dict_slot_size_and_per_entry_cost() {
        type K = Box<[u8]>;
        type V = [u8; 24];
        let slot = std::mem::size_of::<Slot<K, V>>();
        let kv = std::mem::size_of::<K>() + std::mem::size_of::<V>();
        println!("slot size for (Box<[u8]>, [u8; 24]): {slot} bytes (K+V = {kv})");
        assert!(slot <= kv + 8, "slot {slot} bytes for K+V {kv}");
        assert!(slot <= 48);
        // Measured cost per entry once the arena is full-sized: slot plus
        // 4 to 8 bytes of buckets, plus a little page bookkeeping.
        let mut d: Dict<K, V> = Dict::new();
        let n = 1 << 16;
        for i in 0..n as u64 {
            d.insert(key(i), [0; 24]);
        }
        while d.rehash_milliseconds(100) {}
        let per_entry = d.mem_overhead() as f64 / n as f64;
        println!("mem_overhead per entry at {n} entries: {per_entry:.1} bytes");
        assert!(per_entry <= (slot + 8) as f64 + 1.0);
    }

    #[test]
    #[ignore = "micro-benchmark: cargo test --release --lib dict -- --ignored --nocapture"]
    fn dict_bench() {
        let n = 2_000_000u64;
        let keys: Vec<Box<[u8]>> = (0..n).map(key).collect();
        let t = Instant::now();
        let mut d: Dict<Box<[u8]>, u64> = Dict::new();
        for (i, k) in keys.iter().enumerate() {
            d.insert(k.clone(), i as u64);
        }
        let ins = t.elapsed();
        let t = Instant::now();
        let mut hits = 0;
        for k in &keys {
            hits += d.get(&**k).is_some() as usize;
        }
        let get = t.elapsed();
        let t = Instant::now();
        let mut worst = Duration::ZERO;
        for k in &keys {
            let t1 = Instant::now();
            d.remove(&**k);
            worst = worst.max(t1.elapsed());
        }
        let del = t.elapsed();
        assert_eq!(hits, n as usize);

        let t = Instant::now();
        let mut h: HashMap<Box<[u8]>, u64> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            h.insert(k.clone(), i as u64);
        }
        let hins = t.elapsed();
        let t = Instant::now();
        for k in &keys {
            hits += h.contains_key(&**k) as usize;
        }
        let hget = t.elapsed();
        assert_eq!(hits, 2 * n as usize);
        println!(
            "{n} keys: Dict insert {ins:?} get {get:?} remove {del:?} (worst remove {worst:?}); \
             std HashMap insert {hins:?} get {hget:?}"
        );
    }
}
