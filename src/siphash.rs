//! The hash function of every dict: SipHash-1-2, as `siphash.c` uses it.
//!
//! Keys come from clients, so the hash must be keyed with a secret or a
//! client could choose keys that all land in one bucket (hash flooding).
//! SipHash is such a keyed function; Redis runs it with one compression
//! round per 8-byte word and two finalization rounds (1-2), a trade of some
//! cryptographic margin for speed that still leaves the key unguessable
//! through the bucket layout. The standard library's `DefaultHasher` is
//! SipHash-1-3 behind a more general (and on short keys measurably slower)
//! implementation, so the server has its own.
//!
//! [`SipHasher`] is a streaming [`Hasher`]: `Hash` impls feed it in pieces
//! (a slice is its length, then its bytes), and it compresses whole 8-byte
//! words as they complete. [`DictHashSeed`] is the matching [`BuildHasher`],
//! holding the key that the process draws once at startup
//! (`dictSetHashFunctionSeed` with random bytes in C).

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// SipHash with `C` compression and `D` finalization rounds.
#[derive(Clone, Copy)]
pub struct SipHasher<const C: usize, const D: usize> {
    v: [u64; 4],
    /// Bytes not yet compressed (fewer than 8), little-endian.
    tail: u64,
    ntail: usize,
    /// Total bytes written; its low byte goes into the last block.
    length: usize,
}

/// The variant Redis uses.
pub type SipHasher12 = SipHasher<1, 2>;

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// Up to 8 bytes as a little-endian word.
#[inline(always)]
fn load_le(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

impl<const C: usize, const D: usize> SipHasher<C, D> {
    pub fn new_with_keys(k0: u64, k1: u64) -> Self {
        SipHasher {
            v: [
                k0 ^ 0x736f_6d65_7073_6575,
                k1 ^ 0x646f_7261_6e64_6f6d,
                k0 ^ 0x6c79_6765_6e65_7261,
                k1 ^ 0x7465_6462_7974_6573,
            ],
            tail: 0,
            ntail: 0,
            length: 0,
        }
    }

    #[inline(always)]
    fn compress(&mut self, m: u64) {
        self.v[3] ^= m;
        for _ in 0..C {
            sip_round(&mut self.v);
        }
        self.v[0] ^= m;
    }
}

impl<const C: usize, const D: usize> Hasher for SipHasher<C, D> {
    #[inline]
    fn write(&mut self, mut msg: &[u8]) {
        self.length += msg.len();
        if self.ntail != 0 {
            let fill = (8 - self.ntail).min(msg.len());
            self.tail |= load_le(&msg[..fill]) << (8 * self.ntail);
            self.ntail += fill;
            if self.ntail < 8 {
                return;
            }
            self.compress(self.tail);
            self.tail = 0;
            self.ntail = 0;
            msg = &msg[fill..];
        }
        let mut words = msg.chunks_exact(8);
        for w in &mut words {
            self.compress(load_le(w));
        }
        let rest = words.remainder();
        self.tail = load_le(rest);
        self.ntail = rest.len();
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write(&(n as u64).to_le_bytes());
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.write(&n.to_le_bytes());
    }

    #[inline]
    fn finish(&self) -> u64 {
        let mut s = *self;
        s.compress(((self.length as u64 & 0xff) << 56) | self.tail);
        s.v[2] ^= 0xff;
        for _ in 0..D {
            sip_round(&mut s.v);
        }
        s.v[0] ^ s.v[1] ^ s.v[2] ^ s.v[3]
    }
}

/// The process-wide hash key, drawn at first use.
fn hash_seed() -> (u64, u64) {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    *SEED.get_or_init(rand::random)
}

/// The `BuildHasher` of dicts: SipHash-1-2 under the process key. Each dict
/// keeps a copy of the key so hashing never touches the `OnceLock`.
#[derive(Clone, Copy)]
pub struct DictHashSeed {
    k0: u64,
    k1: u64,
}

impl Default for DictHashSeed {
    fn default() -> Self {
        let (k0, k1) = hash_seed();
        DictHashSeed { k0, k1 }
    }
}

impl BuildHasher for DictHashSeed {
    type Hasher = SipHasher12;

    #[inline]
    fn build_hasher(&self) -> SipHasher12 {
        SipHasher12::new_with_keys(self.k0, self.k1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference key 00 01 .. 0f of the SipHash paper.
    fn reference_hasher<const C: usize, const D: usize>() -> SipHasher<C, D> {
        let key: Vec<u8> = (0u8..16).collect();
        SipHasher::new_with_keys(load_le(&key[..8]), load_le(&key[8..]))
    }

    #[test]
    fn siphash24_matches_reference_vectors() {
        // Outputs of SipHash-2-4 for messages 00, 00 01, ... from the
        // reference implementation's test vectors (as little-endian words).
        let expected: [(usize, u64); 4] = [
            (0, 0x726f_db47_dd0e_0e31),
            (1, 0x74f8_39c5_93dc_67fd),
            (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5),
        ];
        for (len, want) in expected {
            let msg: Vec<u8> = (0..len as u8).collect();
            let mut h = reference_hasher::<2, 4>();
            h.write(&msg);
            assert_eq!(h.finish(), want, "length {len}");
        }
    }

    #[test]
    fn siphash12_streaming_equals_one_shot() {
        let msg: Vec<u8> = (0u8..=40).collect();
        for len in 0..msg.len() {
            let mut whole = reference_hasher::<1, 2>();
            whole.write(&msg[..len]);
            for cut in 0..=len {
                let mut parts = reference_hasher::<1, 2>();
                parts.write(&msg[..cut]);
                parts.write(&msg[cut..len]);
                assert_eq!(parts.finish(), whole.finish(), "len {len} cut {cut}");
            }
        }
    }

    #[test]
    fn dict_hash_seed_is_shared_and_keyed() {
        let (a, b) = (DictHashSeed::default(), DictHashSeed::default());
        assert_eq!(a.hash_one(b"key:1"), b.hash_one(b"key:1"));
        assert_ne!(a.hash_one(b"key:1"), a.hash_one(b"key:2"));
        let other = SipHasher12::new_with_keys(a.k0 ^ 1, a.k1);
        assert_ne!(a.hash_one(b"key:1"), {
            let mut h = other;
            std::hash::Hash::hash(b"key:1", &mut h);
            h.finish()
        });
    }
}
