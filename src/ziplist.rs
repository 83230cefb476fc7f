//! Ziplist (ziplist.c), read only: the compact encoding Redis used before
//! listpacks, still found in RDB files and DUMP payloads written by
//! versions before 7.0. Loading converts each ziplist to a listpack, so
//! all that is needed here is `ziplistValidateIntegrity` (deep) and a walk
//! over the entries.
//!
//! Layout: `zlbytes` (u32), `zltail` (u32, offset of the last entry),
//! `zllen` (u16, 65535 meaning "count them"), the entries, then 0xFF. An
//! entry is the previous entry's size (1 byte, or 0xFE and a u32), an
//! encoding (a string length in 6, 14 or 32 bits, or an integer width or
//! a 4-bit immediate), then the data. Numbers are little endian except the
//! 14 and 32 bit string lengths.

use crate::listpack::{Listpack, LpEntry};

const ZIPLIST_HEADER_SIZE: usize = 10;
const ZIP_END: u8 = 0xFF;
const ZIP_BIG_PREVLEN: u8 = 0xFE;

fn le(b: &[u8]) -> u64 {
    b.iter().rev().fold(0, |acc, &x| (acc << 8) | x as u64)
}

/// `zipEntrySafe`: the entry at `p` as (header size, data length, value),
/// or None when it does not fit inside the ziplist.
fn entry_at(zl: &[u8], p: usize) -> Option<(usize, usize, usize, LpEntry<'_>)> {
    let end = zl.len() - 1;
    let first = *zl.get(p)?;
    let (prevlen, prevlensize) = if first < ZIP_BIG_PREVLEN {
        (first as usize, 1)
    } else {
        (le(zl.get(p + 1..p + 5)?) as usize, 5)
    };
    let e = p + prevlensize;
    let enc = *zl.get(e)?;
    let (lensize, len, int): (usize, usize, Option<usize>) = match enc >> 6 {
        0 => (1, (enc & 0x3F) as usize, None),
        1 => (
            2,
            (((enc & 0x3F) as usize) << 8) | *zl.get(e + 1)? as usize,
            None,
        ),
        2 => {
            let b = zl.get(e + 1..e + 5)?;
            (
                5,
                u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
                None,
            )
        }
        _ => match enc {
            0xC0 => (1, 2, Some(2)),
            0xD0 => (1, 4, Some(4)),
            0xE0 => (1, 8, Some(8)),
            0xF0 => (1, 3, Some(3)),
            0xFE => (1, 1, Some(1)),
            0xF1..=0xFD => (1, 0, Some(0)),
            _ => return None,
        },
    };
    let header = prevlensize + lensize;
    let data = p.checked_add(header)?;
    let next = data.checked_add(len)?;
    if next > end {
        return None;
    }
    let bytes = &zl[data..next];
    let value = match int {
        None => LpEntry::Str(bytes),
        Some(0) => LpEntry::Int((enc & 0x0F) as i64 - 1),
        Some(n) => {
            // Sign-extend an n-byte little endian integer.
            let shift = 64 - 8 * n as u32;
            LpEntry::Int(((le(bytes) << shift) as i64) >> shift)
        }
    };
    Some((prevlen, header, len, value))
}

/// `ziplistValidateIntegrity` (deep): the entries of a well-formed
/// ziplist, or None.
pub fn ziplist_entries(zl: &[u8]) -> Option<Vec<LpEntry<'_>>> {
    if zl.len() < ZIPLIST_HEADER_SIZE + 1 || le(&zl[0..4]) as usize != zl.len() {
        return None;
    }
    if zl[zl.len() - 1] != ZIP_END {
        return None;
    }
    let tail = le(&zl[4..8]) as usize;
    if tail > zl.len() - 1 {
        return None;
    }
    let header_count = le(&zl[8..10]) as usize;
    let mut out = Vec::new();
    let mut p = ZIPLIST_HEADER_SIZE;
    let mut prev = None;
    let mut prev_raw_size = 0;
    while zl[p] != ZIP_END {
        let (prevlen, header, len, value) = entry_at(zl, p)?;
        if prevlen != prev_raw_size {
            return None;
        }
        out.push(value);
        prev_raw_size = header + len;
        prev = Some(p);
        p += header + len;
    }
    if p != zl.len() - 1 || prev.is_some_and(|prev| prev != tail) {
        return None;
    }
    if header_count != u16::MAX as usize && out.len() != header_count {
        return None;
    }
    Some(out)
}

/// The entries of a ziplist as a listpack (`lpNew` + `lpAppend` for each).
pub fn ziplist_to_listpack(zl: &[u8]) -> Option<Listpack> {
    let mut lp = Listpack::new();
    for e in ziplist_entries(zl)? {
        match e {
            LpEntry::Int(v) => lp.append_integer(v),
            LpEntry::Str(s) => lp.append(s),
        }
    }
    Some(lp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_encoding_and_refuses_damage() {
        // A ziplist of "ab", 12 (immediate), -2 (int8... stored as 0xFE),
        // 300 (int16) built by hand.
        let entries: [&[u8]; 4] = [
            &[0x00, 0x02, b'a', b'b'],
            &[0x04, 0xFD],
            &[0x02, 0xFE, 0xFE],
            &[0x03, 0xC0, 0x2C, 0x01],
        ];
        let mut zl = vec![0u8; 10];
        let mut tail = 0;
        for e in entries {
            tail = zl.len();
            zl.extend_from_slice(e);
        }
        zl.push(ZIP_END);
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&4u16.to_le_bytes());
        let got = ziplist_entries(&zl).expect("valid");
        assert_eq!(
            got,
            vec![
                LpEntry::Str(b"ab"),
                LpEntry::Int(12),
                LpEntry::Int(-2),
                LpEntry::Int(300)
            ]
        );
        for i in 0..zl.len() {
            let mut bad = zl.clone();
            bad[i] ^= 0x55;
            let _ = ziplist_entries(&bad);
        }
        zl[8] = 3;
        assert!(ziplist_entries(&zl).is_none());
    }
}
