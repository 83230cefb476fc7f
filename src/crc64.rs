//! CRC-64 with the Jones polynomial: a port of `crc64.c`.
//!
//! RDB files end with this checksum of everything before it, and DUMP
//! payloads carry it in their footer, so the variant must be Redis's
//! exactly: polynomial 0xad93d23594c935a9 in its bit-reflected form, no
//! initial value and no final xor (`crc64(0, "123456789")` is
//! `0xe9c6d914c4b8d9ca`). Redis computes it with crcspeed's slicing tables;
//! here eight 256-entry tables are built at compile time and the input is
//! consumed eight bytes per step, which matters when a large RDB is loaded.

/// The Jones polynomial, bit-reflected (0xad93d23594c935a9 reversed).
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const fn make_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut n = 0;
    while n < 256 {
        let mut crc = n as u64;
        let mut k = 0;
        while k < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            k += 1;
        }
        t[0][n] = crc;
        n += 1;
    }
    // Table k advances a byte through k further zero bytes, so eight input
    // bytes can be folded with eight lookups.
    let mut n = 0;
    while n < 256 {
        let mut k = 1;
        while k < 8 {
            let prev = t[k - 1][n];
            t[k][n] = t[0][(prev & 0xff) as usize] ^ (prev >> 8);
            k += 1;
        }
        n += 1;
    }
    t
}

static TABLES: [[u64; 256]; 8] = make_tables();

/// `crc64`: continues the checksum `crc` over `data`.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    let t = &TABLES;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let v = crc ^ u64::from_le_bytes(word);
        crc = t[7][(v & 0xff) as usize]
            ^ t[6][((v >> 8) & 0xff) as usize]
            ^ t[5][((v >> 16) & 0xff) as usize]
            ^ t[4][((v >> 24) & 0xff) as usize]
            ^ t[3][((v >> 32) & 0xff) as usize]
            ^ t[2][((v >> 40) & 0xff) as usize]
            ^ t[1][((v >> 48) & 0xff) as usize]
            ^ t[0][(v >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc64;

    /// One bit at a time, the definition the tables must agree with.
    fn crc64_bitwise(mut crc: u64, data: &[u8]) -> u64 {
        for &b in data {
            crc ^= b as u64;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ super::POLY_REFLECTED
                } else {
                    crc >> 1
                };
            }
        }
        crc
    }

    #[test]
    fn redis_test_vectors() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn tables_match_bitwise_and_chunking() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 31 + 7) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            assert_eq!(crc64(0, &data[..len]), crc64_bitwise(0, &data[..len]));
        }
        let whole = crc64(0, &data);
        let split = crc64(crc64(0, &data[..333]), &data[333..]);
        assert_eq!(whole, split);
    }
}
