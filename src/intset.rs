//! A sorted array of distinct integers in one flat buffer: a port of
//! `intset.c`, the compact encoding of sets whose members are all numbers.
//!
//! The buffer is exactly what Redis keeps in memory and writes into an RDB
//! file: a 4-byte element width (2, 4 or 8), a 4-byte element count, then
//! the elements in ascending order, every field little-endian. Keeping that
//! layout means an RDB loader can take a saved blob as it is (after
//! [`intset_validate_integrity`]) and a saver can write [`Intset::as_bytes`]
//! without conversion.
//!
//! All elements share the width of the widest one. Adding a number that
//! does not fit the current width rewrites the whole array at the next
//! width ("upgrade"); the array never narrows again, as in C. Lookups are
//! binary searches; inserts and removals shift the tail, which is cheap for
//! the few hundred elements `set-max-intset-entries` allows by default.

use rand::Rng;

/// Element widths, in bytes (`INTSET_ENC_INT16/32/64`).
pub const INTSET_ENC_INT16: u32 = 2;
pub const INTSET_ENC_INT32: u32 = 4;
pub const INTSET_ENC_INT64: u32 = 8;

/// Header bytes: width then count, both `u32`.
const HEADER: usize = 8;

/// `_intsetValueEncoding`: the narrowest width holding `v`.
fn value_encoding(v: i64) -> u32 {
    if v < i32::MIN as i64 || v > i32::MAX as i64 {
        INTSET_ENC_INT64
    } else if v < i16::MIN as i64 || v > i16::MAX as i64 {
        INTSET_ENC_INT32
    } else {
        INTSET_ENC_INT16
    }
}

fn read_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

/// Reads element `pos` of `contents` stored `enc` bytes wide.
fn get_encoded(contents: &[u8], pos: usize, enc: u32) -> i64 {
    let w = enc as usize;
    let Some(s) = contents.get(pos * w..pos * w + w) else {
        return 0;
    };
    match enc {
        INTSET_ENC_INT64 => i64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]),
        INTSET_ENC_INT32 => i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as i64,
        _ => i16::from_le_bytes([s[0], s[1]]) as i64,
    }
}

/// An intset (`intset *`), owning its buffer.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    buf: Vec<u8>,
}

impl Default for Intset {
    fn default() -> Self {
        Intset::new()
    }
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Intset {
    /// `intsetNew`: empty, 16 bits wide.
    pub fn new() -> Intset {
        let mut buf = Vec::with_capacity(HEADER);
        buf.extend_from_slice(&INTSET_ENC_INT16.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        Intset { buf }
    }

    /// Takes a blob read from disk. It must have passed
    /// [`intset_validate_integrity`] (deep) first: an unsorted blob would
    /// make lookups miss.
    pub fn from_blob(buf: Vec<u8>) -> Option<Intset> {
        intset_validate_integrity(&buf, true).then_some(Intset { buf })
    }

    /// The blob exactly as stored (and as an RDB file holds it).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Element width in bytes.
    pub fn encoding(&self) -> u32 {
        read_u32(&self.buf, 0)
    }

    /// `intsetLen`.
    pub fn len(&self) -> usize {
        read_u32(&self.buf, 4) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `intsetBlobLen`.
    pub fn blob_len(&self) -> usize {
        self.buf.len()
    }

    /// Heap bytes held (the allocation, spare room included).
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    fn set_len(&mut self, n: usize) {
        self.buf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    }

    fn contents(&self) -> &[u8] {
        &self.buf[HEADER..]
    }

    /// `_intsetGet`.
    fn get_unchecked(&self, pos: usize) -> i64 {
        get_encoded(self.contents(), pos, self.encoding())
    }

    /// `_intsetSet`: writes element `pos`, which must exist.
    fn set_at(&mut self, pos: usize, v: i64) {
        let w = self.encoding() as usize;
        let at = HEADER + pos * w;
        let dst = &mut self.buf[at..at + w];
        match w as u32 {
            INTSET_ENC_INT64 => dst.copy_from_slice(&v.to_le_bytes()),
            INTSET_ENC_INT32 => dst.copy_from_slice(&(v as i32).to_le_bytes()),
            _ => dst.copy_from_slice(&(v as i16).to_le_bytes()),
        }
    }

    /// `intsetGet`: element `pos` in ascending order.
    pub fn get(&self, pos: usize) -> Option<i64> {
        (pos < self.len()).then(|| self.get_unchecked(pos))
    }

    /// `intsetSearch`: `Ok(position)` when present, else `Err(insert at)`.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        if n == 0 {
            return Err(0);
        }
        // The two ends first: appending in order is the common case.
        if v > self.get_unchecked(n - 1) {
            return Err(n);
        }
        if v < self.get_unchecked(0) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let cur = self.get_unchecked(mid);
            match cur.cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// `intsetFind`.
    pub fn find(&self, v: i64) -> bool {
        value_encoding(v) <= self.encoding() && self.search(v).is_ok()
    }

    /// `intsetUpgradeAndAdd`: `v` does not fit the current width, so it
    /// is either below or above every element: rewrite the array wider
    /// and put `v` at the matching end.
    fn upgrade_and_add(&mut self, v: i64) {
        let old = self.encoding();
        let new = value_encoding(v);
        let n = self.len();
        let mut buf = Vec::with_capacity(HEADER + (n + 1) * new as usize);
        buf.extend_from_slice(&new.to_le_bytes());
        buf.extend_from_slice(&((n + 1) as u32).to_le_bytes());
        let push = |buf: &mut Vec<u8>, x: i64| match new {
            INTSET_ENC_INT64 => buf.extend_from_slice(&x.to_le_bytes()),
            _ => buf.extend_from_slice(&(x as i32).to_le_bytes()),
        };
        if v < 0 {
            push(&mut buf, v);
        }
        for i in 0..n {
            push(&mut buf, get_encoded(self.contents(), i, old));
        }
        if v >= 0 {
            push(&mut buf, v);
        }
        self.buf = buf;
    }

    /// `intsetAdd`: returns whether `v` was new.
    pub fn add(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            self.upgrade_and_add(v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(p) => p,
        };
        let w = self.encoding() as usize;
        let n = self.len();
        // Room for exactly one more element, as C's zrealloc gives.
        self.buf.reserve_exact(w);
        self.buf.resize(HEADER + (n + 1) * w, 0);
        let from = HEADER + pos * w;
        self.buf.copy_within(from..HEADER + n * w, from + w);
        self.set_len(n + 1);
        self.set_at(pos, v);
        true
    }

    /// `intsetRemove`: returns whether `v` was there.
    pub fn remove(&mut self, v: i64) -> bool {
        if value_encoding(v) > self.encoding() {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let w = self.encoding() as usize;
        let n = self.len();
        let from = HEADER + (pos + 1) * w;
        self.buf.copy_within(from..HEADER + n * w, from - w);
        self.buf.truncate(HEADER + (n - 1) * w);
        self.buf.shrink_to_fit();
        self.set_len(n - 1);
        true
    }

    /// `intsetRandom`: a uniformly chosen element; `None` when empty.
    pub fn random(&self) -> Option<i64> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        Some(self.get_unchecked(rand::thread_rng().gen_range(0..n)))
    }

    /// The elements in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let enc = self.encoding();
        let contents = self.contents();
        (0..self.len()).map(move |i| get_encoded(contents, i, enc))
    }
}

/// `intsetValidateIntegrity`: whether `p` is a well-formed, non-empty
/// intset blob. `deep` also checks that the elements ascend strictly
/// (no duplicates), which costs a pass over them.
pub fn intset_validate_integrity(p: &[u8], deep: bool) -> bool {
    if p.len() < HEADER {
        return false;
    }
    let enc = read_u32(p, 0);
    if !matches!(enc, INTSET_ENC_INT16 | INTSET_ENC_INT32 | INTSET_ENC_INT64) {
        return false;
    }
    let count = read_u32(p, 4) as u64;
    if HEADER as u64 + count * enc as u64 != p.len() as u64 {
        return false;
    }
    if count == 0 {
        return false;
    }
    if !deep {
        return true;
    }
    let contents = &p[HEADER..];
    let mut prev = get_encoded(contents, 0, enc);
    for i in 1..count as usize {
        let cur = get_encoded(contents, i, enc);
        if cur <= prev {
            return false;
        }
        prev = cur;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(is: &Intset) {
        let v: Vec<i64> = is.iter().collect();
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(is.blob_len(), HEADER + is.len() * is.encoding() as usize);
        if !is.is_empty() {
            assert!(intset_validate_integrity(is.as_bytes(), true));
        }
    }

    #[test]
    fn widths_follow_the_widest_member() {
        assert_eq!(value_encoding(32767), INTSET_ENC_INT16);
        assert_eq!(value_encoding(-32768), INTSET_ENC_INT16);
        assert_eq!(value_encoding(32768), INTSET_ENC_INT32);
        assert_eq!(value_encoding(-32769), INTSET_ENC_INT32);
        assert_eq!(value_encoding(i32::MAX as i64 + 1), INTSET_ENC_INT64);
        assert_eq!(value_encoding(i64::MIN), INTSET_ENC_INT64);
    }

    #[test]
    fn upgrades_keep_order_at_both_ends() {
        let mut is = Intset::new();
        for v in [5, 1, 3] {
            assert!(is.add(v));
        }
        assert!(!is.add(3));
        assert!(is.add(65535));
        assert_eq!(is.encoding(), INTSET_ENC_INT32);
        assert!(is.add(-4294967295));
        assert_eq!(is.encoding(), INTSET_ENC_INT64);
        assert_eq!(is.iter().collect::<Vec<_>>(), [-4294967295, 1, 3, 5, 65535]);
        check(&is);
        assert!(is.find(65535) && is.find(-4294967295) && !is.find(4));
        assert!(!is.find(i64::MAX));
    }

    #[test]
    fn removes_and_finds() {
        let mut is = Intset::new();
        for v in 0..100 {
            is.add(v * 3);
        }
        check(&is);
        assert!(is.remove(30));
        assert!(!is.remove(30));
        assert!(!is.remove(1 << 40));
        assert!(!is.find(30) && is.find(33));
        assert_eq!(is.len(), 99);
        check(&is);
        for v in 0..100 {
            is.remove(v * 3);
        }
        assert!(is.is_empty());
        assert_eq!(is.random(), None);
    }

    #[test]
    fn random_elements_are_members() {
        let mut is = Intset::new();
        for v in [-7, 0, 9, 1 << 20] {
            is.add(v);
        }
        for _ in 0..50 {
            assert!(is.find(is.random().unwrap()));
        }
    }

    #[test]
    fn the_blob_is_little_endian_as_on_disk() {
        let mut is = Intset::new();
        is.add(1);
        is.add(-2);
        assert_eq!(is.as_bytes(), [2, 0, 0, 0, 2, 0, 0, 0, 0xfe, 0xff, 1, 0]);
        let back = Intset::from_blob(is.as_bytes().to_vec()).unwrap();
        assert_eq!(back, is);
    }

    #[test]
    fn validation_rejects_bad_blobs() {
        assert!(!intset_validate_integrity(&[], true));
        // Bad width.
        assert!(!intset_validate_integrity(
            &[3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
            true
        ));
        // Count disagrees with the size.
        assert!(!intset_validate_integrity(
            &[2, 0, 0, 0, 2, 0, 0, 0, 1, 0],
            true
        ));
        // Empty.
        assert!(!intset_validate_integrity(&[2, 0, 0, 0, 0, 0, 0, 0], true));
        // Out of order: only a deep check sees it.
        let unsorted = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0];
        assert!(intset_validate_integrity(&unsorted, false));
        assert!(!intset_validate_integrity(&unsorted, true));
        // A huge count must not overflow the size check.
        assert!(!intset_validate_integrity(
            &[8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
            true
        ));
    }
}
