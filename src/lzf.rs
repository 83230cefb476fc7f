//! LZF compression: a port of liblzf's `lzf_c.c` and `lzf_d.c` as Redis
//! builds them (16-bit hash table, "very fast" mode, input checks on).
//!
//! RDB files and DUMP payloads store strings longer than 20 bytes LZF
//! compressed when that saves at least 4 bytes. Another Redis only needs to
//! decompress what we write, but our output is meant to be the very bytes
//! Redis writes for the same input, so that DUMP payloads and RDB files can
//! be compared byte for byte. That fixes the details below: the same hash
//! of the next three bytes (which sees a fourth, older byte in its top
//! bits), the same match search, the same re-hashing after a match and the
//! same checks for running out of output space.
//!
//! The C code keeps its hash table on the stack without clearing it; a
//! stale slot can only propose a match that is then verified, so starting
//! from an empty table gives the output of a fresh process. Here the table
//! lives in a thread-local and a generation number in each slot tells
//! whether it was written by the current call, so no call pays for
//! clearing 64K slots.
//!
//! The compressed format is a sequence of
//! - `000LLLLL` followed by L+1 literal bytes (1..32),
//! - `LLLooooo oooooooo`: copy L+2 bytes (L = 1..6) from `o+1` bytes back,
//! - `111ooooo LLLLLLLL oooooooo`: the same with a length of L+9.

use std::cell::RefCell;

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

thread_local! {
    /// Slot = generation << 32 | input offset. See the module docs.
    static HTAB: RefCell<(Vec<u64>, u32)> = const { RefCell::new((Vec::new(), 0)) };
}

fn frst(d: &[u8], ip: usize) -> u32 {
    ((d[ip] as u32) << 8) | d[ip + 1] as u32
}

fn next(v: u32, d: &[u8], ip: usize) -> u32 {
    (v << 8) | d[ip + 2] as u32
}

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) & (HSIZE as u32 - 1)) as usize
}

/// Stores `v` at `out[i]`; the C checks keep `i` in range, this keeps a
/// mistake from becoming a panic.
fn put(out: &mut [u8], i: usize, v: u8) {
    if let Some(x) = out.get_mut(i) {
        *x = v;
    }
}

/// `lzf_compress`: compresses `input` into `out`, returning the compressed
/// length, or 0 when the result would not fit in `out.len()` bytes (the
/// caller then stores the string as is).
pub fn lzf_compress(input: &[u8], out: &mut [u8]) -> usize {
    // Offsets are kept in 32 bits; such strings are stored uncompressed.
    if input.len() >= u32::MAX as usize {
        return 0;
    }
    HTAB.with(|t| {
        let mut t = t.borrow_mut();
        let (table, generation) = &mut *t;
        if table.is_empty() {
            table.resize(HSIZE, 0);
        }
        *generation = generation.wrapping_add(1);
        if *generation == 0 {
            table.iter_mut().for_each(|s| *s = 0);
            *generation = 1;
        }
        compress_with(input, out, table, *generation)
    })
}

fn compress_with(d: &[u8], out: &mut [u8], htab: &mut [u64], generation: u32) -> usize {
    let in_end = d.len();
    let out_end = out.len();
    if in_end == 0 || out_end == 0 {
        return 0;
    }
    let tag = (generation as u64) << 32;
    let lookup = |htab: &[u64], slot: usize| -> Option<usize> {
        let v = htab[slot];
        (v >> 32 == generation as u64).then_some((v & 0xffff_ffff) as usize)
    };

    let mut ip = 0usize;
    let mut op = 1usize; // the header of the first literal run
    let mut lit = 0usize;
    let mut hval = if in_end >= 2 { frst(d, ip) } else { 0 };

    while ip + 2 < in_end {
        hval = next(hval, d, ip);
        let slot = idx(hval);
        let reference = lookup(htab, slot);
        htab[slot] = tag | ip as u64;

        let matched = reference.filter(|&r| {
            r < ip
                && ip - r - 1 < MAX_OFF
                && r > 0
                && d[r + 2] == d[ip + 2]
                && d[r] == d[ip]
                && d[r + 1] == d[ip + 1]
        });
        if let Some(r) = matched {
            let off = ip - r - 1;
            let mut len = 2usize;
            let maxlen = (in_end - ip - len).min(MAX_REF);

            if op + 3 + 1 >= out_end && op - (lit == 0) as usize + 3 + 1 >= out_end {
                return 0;
            }
            put(out, op - lit - 1, (lit as u8).wrapping_sub(1)); // close the literal run
            op -= (lit == 0) as usize; // an empty run takes no header

            // liblzf compares 16 bytes unrolled once before the plain
            // loop; a match may then end past `maxlen` by a byte or two,
            // exactly as in C.
            let mut done = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if d[r + len] != d[ip + len] {
                        done = true;
                        break;
                    }
                }
            }
            if !done {
                loop {
                    len += 1;
                    if !(len < maxlen && d[r + len] == d[ip + len]) {
                        break;
                    }
                }
            }

            len -= 2; // the format stores the length minus two
            ip += 1;
            if len < 7 {
                put(out, op, ((off >> 8) + (len << 5)) as u8);
                op += 1;
            } else {
                put(out, op, ((off >> 8) + (7 << 5)) as u8);
                put(out, op + 1, (len - 7) as u8);
                op += 2;
            }
            put(out, op, off as u8);
            op += 1;
            lit = 0;
            op += 1; // header of the next literal run

            ip += len + 1;
            if ip + 2 >= in_end {
                break;
            }
            // Hash the two positions just before where we resume, so that
            // the next match can start inside this one.
            ip -= 2;
            hval = frst(d, ip);
            hval = next(hval, d, ip);
            htab[idx(hval)] = tag | ip as u64;
            ip += 1;
            hval = next(hval, d, ip);
            htab[idx(hval)] = tag | ip as u64;
            ip += 1;
        } else {
            if op >= out_end {
                return 0;
            }
            lit += 1;
            put(out, op, d[ip]);
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                put(out, op - lit - 1, (lit - 1) as u8);
                lit = 0;
                op += 1;
            }
        }
    }

    if op + 3 > out_end {
        return 0;
    }
    while ip < in_end {
        lit += 1;
        put(out, op, d[ip]);
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            put(out, op - lit - 1, (lit - 1) as u8);
            lit = 0;
            op += 1;
        }
    }
    put(out, op - lit - 1, (lit as u8).wrapping_sub(1));
    op -= (lit == 0) as usize;
    op
}

/// `lzf_decompress`: expands `input` into `out`, returning the length
/// written, or 0 when the data is corrupt or does not fit in `out`.
pub fn lzf_decompress(input: &[u8], out: &mut [u8]) -> usize {
    let in_end = input.len();
    let out_end = out.len();
    let mut ip = 0usize;
    let mut op = 0usize;
    while ip < in_end {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < (1 << 5) {
            let n = ctrl + 1;
            if op + n > out_end || ip + n > in_end {
                return 0;
            }
            out[op..op + n].copy_from_slice(&input[ip..ip + n]);
            op += n;
            ip += n;
        } else {
            let mut len = ctrl >> 5;
            if ip >= in_end {
                return 0;
            }
            if len == 7 {
                len += input[ip] as usize;
                ip += 1;
                if ip >= in_end {
                    return 0;
                }
            }
            let back = ((ctrl & 0x1f) << 8) + 1 + input[ip] as usize;
            ip += 1;
            len += 2;
            if op + len > out_end || back > op {
                return 0;
            }
            let r = op - back;
            if r + len <= op {
                out.copy_within(r..r + len, op);
            } else {
                // Overlapping: each byte may be one this copy just wrote.
                for k in 0..len {
                    out[op + k] = out[r + k];
                }
            }
            op += len;
        }
    }
    op
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(data: &[u8]) -> Option<Vec<u8>> {
        let mut out = vec![0u8; data.len().saturating_sub(4)];
        let n = lzf_compress(data, &mut out);
        if n == 0 {
            return None;
        }
        out.truncate(n);
        let mut back = vec![0u8; data.len()];
        assert_eq!(lzf_decompress(&out, &mut back), data.len());
        assert_eq!(back, data);
        Some(out)
    }

    #[test]
    fn compresses_repetitive_data_and_round_trips() {
        let a = vec![b'a'; 100];
        let c = roundtrip(&a).expect("compressible");
        assert!(c.len() < 10, "{c:?}");
        let text: Vec<u8> = b"hello world, hello redis, hello lzf! "
            .iter()
            .cycle()
            .take(5000)
            .copied()
            .collect();
        roundtrip(&text).expect("compressible");
        // Pseudo-random bytes do not compress within len-4.
        let mut x = 12345u32;
        let noise: Vec<u8> = (0..300)
            .map(|_| {
                x = x.wrapping_mul(1103515245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        assert!(roundtrip(&noise).is_none());
    }

    #[test]
    fn many_sizes_round_trip() {
        for len in 0..600 {
            let data: Vec<u8> = (0..len).map(|i| (i % 7 + (i / 50) % 3) as u8).collect();
            roundtrip(&data);
        }
    }

    #[test]
    fn corrupt_input_never_panics() {
        let mut out = [0u8; 64];
        for seed in 0..2000u32 {
            let mut x = seed;
            let data: Vec<u8> = (0..(seed % 40))
                .map(|_| {
                    x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                    (x >> 24) as u8
                })
                .collect();
            let _ = lzf_decompress(&data, &mut out);
        }
        // A back reference before the start is refused.
        assert_eq!(lzf_decompress(&[0x20, 0x05], &mut out), 0);
    }
}
