//! Bitmaps and bit fields on string values: a port of `bitops.c`.
//!
//! A bitmap is an ordinary string read as a row of bits, bit 0 being the
//! most significant bit of the first byte; a bit beyond the end of the
//! string reads as 0. SETBIT and BITFIELD grow the string with zero bytes
//! up to the highest bit they write (never beyond `proto-max-bulk-len`)
//! and modify it in place, so the value becomes `raw` as after APPEND.
//! BITCOUNT and BITPOS take ranges in bytes or, with `BIT`, in bits; BITOP
//! combines whole strings into a new key; BITFIELD reads and writes signed
//! and unsigned integers of 1 to 64 bits (63 for unsigned, so that every
//! value fits a RESP integer) at any bit offset, with a choice of what an
//! overflowing INCRBY or SET does (wrap, saturate or fail).

use crate::config::{NOTIFY_GENERIC, NOTIFY_STRING};
use crate::notify::notify_keyspace_event;
use std::borrow::Cow;

use crate::networking::Client;
use crate::object::{ObjType, RObj, Value};
use crate::server::{must_obey_client, Server};
use crate::t_string::ERR_NOT_INTEGER;
use crate::util::string2ll;

/// `redisPopcount`: how many bits are set in `s`.
pub fn redis_popcount(s: &[u8]) -> u64 {
    let mut chunks = s.chunks_exact(8);
    let mut bits: u64 = 0;
    for ch in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(ch);
        bits += u64::from_ne_bytes(w).count_ones() as u64;
    }
    bits + chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>()
}

/// `redisBitpos`: the position of the first bit equal to `bit` in `s`.
/// When looking for a 0 in a string of ones the answer is the first bit
/// past the end (strings are zero padded on the right); when looking for
/// a 1 in a string of zeros it is -1.
pub fn redis_bitpos(s: &[u8], bit: bool) -> i64 {
    let skip = if bit { 0u8 } else { 0xff };
    match s.iter().position(|&b| b != skip) {
        Some(i) => {
            let byte = if bit { s[i] } else { !s[i] };
            (i as i64) * 8 + byte.leading_zeros() as i64
        }
        None if bit => -1,
        None => s.len() as i64 * 8,
    }
}

/// `setUnsignedBitfield`: writes the low `bits` bits of `value` at bit
/// `offset`, most significant first. `p` must reach the last bit.
pub fn set_unsigned_bitfield(p: &mut [u8], offset: u64, bits: u64, value: u64) {
    for j in 0..bits {
        let pos = offset + j;
        let bitval = ((value >> (bits - 1 - j)) & 1) as u8;
        let byte = (pos >> 3) as usize;
        let shift = 7 - (pos & 7);
        p[byte] = (p[byte] & !(1 << shift)) | (bitval << shift);
    }
}

/// `setSignedBitfield`: two's complement, so the same bits as unsigned.
pub fn set_signed_bitfield(p: &mut [u8], offset: u64, bits: u64, value: i64) {
    set_unsigned_bitfield(p, offset, bits, value as u64);
}

/// `getUnsignedBitfield`: reads `bits` bits at bit `offset`. `p` must
/// reach the last bit.
pub fn get_unsigned_bitfield(p: &[u8], offset: u64, bits: u64) -> u64 {
    let mut value = 0u64;
    for j in 0..bits {
        let pos = offset + j;
        let bitval = (p[(pos >> 3) as usize] >> (7 - (pos & 7))) & 1;
        value = (value << 1) | bitval as u64;
    }
    value
}

/// `getSignedBitfield`: sign-extends the field from its top bit.
pub fn get_signed_bitfield(p: &[u8], offset: u64, bits: u64) -> i64 {
    let mut value = get_unsigned_bitfield(p, offset, bits) as i64;
    if bits < 64 && value & (1i64 << (bits - 1)) != 0 {
        value |= -1i64 << bits;
    }
    value
}

/// What BITFIELD does when a write does not fit its field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BfOverflow {
    /// Keep the low bits (modular arithmetic): the default.
    Wrap,
    /// Clamp to the smallest or largest value of the type.
    Sat,
    /// Do not write, reply null.
    Fail,
}

/// `checkUnsignedBitfieldOverflow`: whether `value + incr` fits an
/// unsigned field of `bits` bits: 0 if it does, 1 on overflow, -1 on
/// underflow, with the value to store instead under WRAP or SAT.
pub fn check_unsigned_bitfield_overflow(
    value: u64,
    incr: i64,
    bits: u64,
    owtype: BfOverflow,
) -> (i32, Option<u64>) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let maxincr = max.wrapping_sub(value) as i64;
    let minincr = value.wrapping_neg() as i64;
    let wrapped = || {
        let mask = if bits == 64 { 0 } else { u64::MAX << bits };
        value.wrapping_add(incr as u64) & !mask
    };
    if value > max || (incr > 0 && incr > maxincr) {
        match owtype {
            BfOverflow::Wrap => (1, Some(wrapped())),
            BfOverflow::Sat => (1, Some(max)),
            BfOverflow::Fail => (1, None),
        }
    } else if incr < 0 && incr < minincr {
        match owtype {
            BfOverflow::Wrap => (-1, Some(wrapped())),
            BfOverflow::Sat => (-1, Some(0)),
            BfOverflow::Fail => (-1, None),
        }
    } else {
        (0, None)
    }
}

/// `checkSignedBitfieldOverflow`: as the unsigned check, for a signed
/// field of `bits` bits.
pub fn check_signed_bitfield_overflow(
    value: i64,
    incr: i64,
    bits: u64,
    owtype: BfOverflow,
) -> (i32, Option<i64>) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    // These may wrap; they are only used once `value` is known in range,
    // where they do not.
    let maxincr = (max as u64).wrapping_sub(value as u64) as i64;
    let minincr = min.wrapping_sub(value);
    let wrapped = || {
        let msb = 1u64 << (bits - 1);
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & msb != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
        match owtype {
            BfOverflow::Wrap => (1, Some(wrapped())),
            BfOverflow::Sat => (1, Some(max)),
            BfOverflow::Fail => (1, None),
        }
    } else if value < min
        || (bits != 64 && incr < minincr)
        || (value < 0 && incr < 0 && incr < minincr)
    {
        match owtype {
            BfOverflow::Wrap => (-1, Some(wrapped())),
            BfOverflow::Sat => (-1, Some(min)),
            BfOverflow::Fail => (-1, None),
        }
    } else {
        (0, None)
    }
}

const ERR_BIT_OFFSET: &str = "bit offset is not an integer or out of range";

/// `getBitOffsetFromArgument`: a bit offset below `proto-max-bulk-len`
/// bytes. With `hash` and `bits > 0`, `#N` means the N-th field of `bits`
/// bits (BITFIELD).
fn get_bit_offset_from_argument(
    server: &Server,
    c: &mut Client,
    idx: usize,
    hash: bool,
    bits: u64,
) -> Option<u64> {
    let arg = &c.argv[idx];
    let usehash = hash && bits > 0 && arg.first() == Some(&b'#');
    let parsed = string2ll(&arg[usehash as usize..]);
    let offset = match parsed {
        Some(v) if usehash => v.wrapping_mul(bits as i64),
        Some(v) => v,
        None => -1,
    };
    if offset < 0 || (!must_obey_client(c) && (offset >> 3) >= server.config.proto_max_bulk_len) {
        c.add_reply_error(ERR_BIT_OFFSET);
        return None;
    }
    Some(offset as u64)
}

/// `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`, as
/// (signed, bits).
fn get_bitfield_type_from_argument(c: &mut Client, idx: usize) -> Option<(bool, u64)> {
    let arg = &c.argv[idx];
    let sign = match arg.first() {
        Some(b'i') => Some(true),
        Some(b'u') => Some(false),
        _ => None,
    };
    let bits = string2ll(arg.get(1..).unwrap_or_default());
    match (sign, bits) {
        (Some(true), Some(b @ 1..=64)) => Some((true, b as u64)),
        (Some(false), Some(b @ 1..=63)) => Some((false, b as u64)),
        _ => {
            c.add_reply_error(
                "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
            );
            None
        }
    }
}

/// `lookupStringForBitCommand`: the string at argv[1], created or padded
/// with zero bytes so that bit `maxbit` exists, made `raw` to be modified
/// in place. Also says whether creating or padding changed the value.
/// None after a WRONGTYPE reply.
fn lookup_string_for_bit_command<'a>(
    server: &'a mut Server,
    c: &mut Client,
    maxbit: u64,
) -> Option<(&'a mut Vec<u8>, bool)> {
    let byte = (maxbit >> 3) as usize;
    let db = c.db;
    let key = &c.argv[1];
    let exists = match server.lookup_key_write(db, key) {
        None => false,
        Some(o) if o.obj_type() != ObjType::String => {
            c.add_reply_wrongtype();
            return None;
        }
        Some(_) => true,
    };
    if !exists {
        server.db_add(db, key, RObj::new(Value::Raw(Vec::new())));
    }
    let s = server.dbs[db]
        .dict
        .get_mut(&key[..])
        .and_then(RObj::make_raw)?;
    let mut dirty = !exists;
    if s.len() < byte + 1 {
        s.resize(byte + 1, 0);
        dirty = true;
    }
    Some((s, dirty))
}

/// SETBIT key offset value: replies with the bit's previous value.
pub fn setbit_command(server: &mut Server, c: &mut Client) {
    let Some(bitoffset) = get_bit_offset_from_argument(server, c, 2, false, 0) else {
        return;
    };
    let on = match string2ll(&c.argv[3]) {
        Some(v @ 0..=1) => v as u8,
        _ => {
            c.add_reply_error("bit is not an integer or out of range");
            return;
        }
    };
    let Some((s, dirty)) = lookup_string_for_bit_command(server, c, bitoffset) else {
        return;
    };
    let byte = (bitoffset >> 3) as usize;
    let shift = 7 - (bitoffset & 7);
    let old = (s[byte] >> shift) & 1;
    // A write that changes nothing is not a modification.
    let changed = dirty || old != on;
    if changed {
        s[byte] = (s[byte] & !(1 << shift)) | (on << shift);
        server.signal_modified_key(c.db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_STRING, "setbit", &c.argv[1], c.db);
        server.dirty += 1;
    }
    c.add_reply(if old == 1 { b":1\r\n" } else { b":0\r\n" });
}

/// GETBIT key offset
pub fn getbit_command(server: &mut Server, c: &mut Client) {
    let Some(bitoffset) = get_bit_offset_from_argument(server, c, 2, false, 0) else {
        return;
    };
    let db = c.db;
    let Some(o) = server.lookup_key_read(db, &c.argv[1]) else {
        c.add_reply(b":0\r\n");
        return;
    };
    let mut buf = [0u8; 24];
    let Some(s) = o.string_bytes(&mut buf) else {
        c.add_reply_wrongtype();
        return;
    };
    let byte = (bitoffset >> 3) as usize;
    let bitval = s.get(byte).map_or(0, |b| (b >> (7 - (bitoffset & 7))) & 1);
    c.add_reply(if bitval == 1 { b":1\r\n" } else { b":0\r\n" });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: replies with the length of
/// the result, which is as long as the longest source (missing keys and
/// the part past a shorter source count as zero bytes). An empty result
/// deletes the destination.
pub fn bitop_command(server: &mut Server, c: &mut Client) {
    let opname = &c.argv[1];
    let op = if opname.eq_ignore_ascii_case(b"and") {
        BitOp::And
    } else if opname.eq_ignore_ascii_case(b"or") {
        BitOp::Or
    } else if opname.eq_ignore_ascii_case(b"xor") {
        BitOp::Xor
    } else if opname.eq_ignore_ascii_case(b"not") {
        BitOp::Not
    } else {
        c.add_reply_syntax_error();
        return;
    };
    if op == BitOp::Not && c.argv.len() != 4 {
        c.add_reply_error("BITOP NOT must be called with a single source key.");
        return;
    }
    let db = c.db;
    // First the lookups, which may expire keys, then the reads.
    for j in 3..c.argv.len() {
        if let Some(o) = server.lookup_key_read(db, &c.argv[j]) {
            if o.obj_type() != ObjType::String {
                c.add_reply_wrongtype();
                return;
            }
        }
    }
    let res = {
        let dict = &server.dbs[db].dict;
        let src: Vec<Cow<[u8]>> = c.argv[3..]
            .iter()
            .map(|k| {
                dict.get(&k[..])
                    .and_then(RObj::string_value)
                    .unwrap_or(Cow::Borrowed(&[]))
            })
            .collect();
        bitop(op, &src)
    };
    let maxlen = res.len();
    let target = &c.argv[2];
    if maxlen > 0 {
        server.set_key(db, target, RObj::new(Value::Raw(res)), false);
        notify_keyspace_event(server, NOTIFY_STRING, "set", target, db);
        server.dirty += 1;
    } else if server.db_delete(db, target) {
        server.signal_modified_key(db, target);
        notify_keyspace_event(server, NOTIFY_GENERIC, "del", target, db);
        server.dirty += 1;
    }
    c.add_reply_long_long(maxlen as i64);
}

/// The byte-wise operation of BITOP over sources zero padded to the
/// longest one.
fn bitop(op: BitOp, src: &[Cow<[u8]>]) -> Vec<u8> {
    let maxlen = src.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut res = vec![0u8; maxlen];
    let Some(first) = src.first() else {
        return res;
    };
    res[..first.len()].copy_from_slice(first);
    match op {
        BitOp::Not => res.iter_mut().for_each(|b| *b = !*b),
        BitOp::And => {
            for s in &src[1..] {
                res.iter_mut().zip(s.iter()).for_each(|(r, b)| *r &= b);
                res[s.len()..].fill(0);
            }
        }
        BitOp::Or => {
            for s in &src[1..] {
                res.iter_mut().zip(s.iter()).for_each(|(r, b)| *r |= b);
            }
        }
        BitOp::Xor => {
            for s in &src[1..] {
                res.iter_mut().zip(s.iter()).for_each(|(r, b)| *r ^= b);
            }
        }
    }
    res
}

/// Parses BYTE|BIT at argv[idx]: true for BIT. None after a syntax error.
fn parse_bit_unit(c: &mut Client, idx: usize) -> Option<bool> {
    let arg = &c.argv[idx];
    if arg.eq_ignore_ascii_case(b"bit") {
        Some(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Some(false)
    } else {
        c.add_reply_syntax_error();
        None
    }
}

/// The masks of the bits of the first and last byte that lie outside a
/// bit range `start..=end` (both in bits).
fn edge_masks(start: i64, end: i64) -> (u8, u8) {
    let first = !((1u32 << (8 - (start & 7))) - 1) as u8;
    let last = ((1u32 << (7 - (end & 7))) - 1) as u8;
    (first, last)
}

/// The range arithmetic BITCOUNT and BITPOS share: negative indexes count
/// from the end, the range is clamped to the string, and a BIT range becomes
/// a byte range plus masks for the bits of the edge bytes that are out of it.
/// Returns (start byte, end byte, first-byte mask, last-byte mask).
fn normalize_range(
    mut start: i64,
    mut end: i64,
    mut totlen: i64,
    isbit: bool,
) -> (i64, i64, u8, u8) {
    if isbit {
        totlen <<= 3;
    }
    if start < 0 {
        start += totlen;
    }
    if end < 0 {
        end += totlen;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= totlen {
        end = totlen - 1;
    }
    if isbit && start <= end {
        let (first_mask, last_mask) = edge_masks(start, end);
        return (start >> 3, end >> 3, first_mask, last_mask);
    }
    (start, end, 0, 0)
}

/// BITCOUNT key [start end [BYTE|BIT]]
pub fn bitcount_command(server: &mut Server, c: &mut Client) {
    let db = c.db;
    let argc = c.argv.len();
    let Some(o) = server.lookup_key_read(db, &c.argv[1]) else {
        c.add_reply(b":0\r\n");
        return;
    };
    let Some(p) = o.string_value() else {
        c.add_reply_wrongtype();
        return;
    };
    let strlen = p.len() as i64;
    let (mut start, mut end);
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if argc == 4 || argc == 5 {
        let totlen = strlen;
        let Some(s) = string2ll(&c.argv[2]) else {
            c.add_reply_error(ERR_NOT_INTEGER);
            return;
        };
        let Some(e) = string2ll(&c.argv[3]) else {
            c.add_reply_error(ERR_NOT_INTEGER);
            return;
        };
        (start, end) = (s, e);
        if start < 0 && end < 0 && start > end {
            c.add_reply(b":0\r\n");
            return;
        }
        let isbit = if argc == 5 {
            let Some(b) = parse_bit_unit(c, 4) else {
                return;
            };
            b
        } else {
            false
        };
        (start, end, first_mask, last_mask) = normalize_range(start, end, totlen, isbit);
    } else if argc == 2 {
        start = 0;
        end = strlen - 1;
    } else {
        c.add_reply_syntax_error();
        return;
    }
    if start > end {
        c.add_reply(b":0\r\n");
        return;
    }
    let (s, e) = (start as usize, end as usize);
    let mut count = redis_popcount(&p[s..=e]);
    // Take away the bits of the edge bytes that are outside a bit range.
    count -= (p[s] & first_mask).count_ones() as u64;
    count -= (p[e] & last_mask).count_ones() as u64;
    c.add_reply_long_long(count as i64);
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
pub fn bitpos_command(server: &mut Server, c: &mut Client) {
    let bit = match string2ll(&c.argv[2]) {
        Some(b) => b,
        None => {
            c.add_reply_error(ERR_NOT_INTEGER);
            return;
        }
    };
    if bit != 0 && bit != 1 {
        c.add_reply_error("The bit argument must be 1 or 0.");
        return;
    }
    let bit = bit == 1;
    let db = c.db;
    let argc = c.argv.len();
    // A missing key is an endless row of zeros.
    let Some(o) = server.lookup_key_read(db, &c.argv[1]) else {
        c.add_reply_long_long(if bit { -1 } else { 0 });
        return;
    };
    let Some(p) = o.string_value() else {
        c.add_reply_wrongtype();
        return;
    };
    let strlen = p.len() as i64;
    let (mut start, mut end);
    let mut end_given = false;
    let (mut first_mask, mut last_mask) = (0u8, 0u8);
    if (4..=6).contains(&argc) {
        let totlen = strlen;
        let Some(s) = string2ll(&c.argv[3]) else {
            c.add_reply_error(ERR_NOT_INTEGER);
            return;
        };
        start = s;
        let isbit = if argc == 6 {
            let Some(b) = parse_bit_unit(c, 5) else {
                return;
            };
            b
        } else {
            false
        };
        if argc >= 5 {
            let Some(e) = string2ll(&c.argv[4]) else {
                c.add_reply_error(ERR_NOT_INTEGER);
                return;
            };
            end = e;
            end_given = true;
        } else {
            end = totlen - 1;
        }
        (start, end, first_mask, last_mask) = normalize_range(start, end, totlen, isbit);
    } else if argc == 3 {
        start = 0;
        end = strlen - 1;
    } else {
        c.add_reply_syntax_error();
        return;
    }
    // An empty range holds neither a 0 nor a 1.
    if start > end {
        c.add_reply_long_long(-1);
        return;
    }
    let (mut s, e) = (start as usize, end as usize);
    let mut bytes = e - s + 1;
    // Bits outside the range are forced to the value not looked for.
    let mask_byte = |b: u8, mask: u8| if bit { b & !mask } else { b | mask };
    let pos = 'found: {
        if first_mask != 0 {
            let mut tmp = mask_byte(p[s], first_mask);
            if last_mask != 0 && bytes == 1 {
                tmp = mask_byte(tmp, last_mask);
            }
            let pos = redis_bitpos(&[tmp], bit);
            if bytes == 1 || (pos != -1 && pos != 8) {
                break 'found pos;
            }
            s += 1;
            bytes -= 1;
        }
        let curbytes = bytes - (last_mask != 0) as usize;
        if curbytes > 0 {
            let pos = redis_bitpos(&p[s..s + curbytes], bit);
            if bytes == curbytes || (pos != -1 && pos != (curbytes as i64) << 3) {
                break 'found pos;
            }
            s += curbytes;
            bytes -= curbytes;
        }
        redis_bitpos(&[mask_byte(p[e], last_mask)], bit)
    };
    // With an explicit end, "past the range" is not a clear bit.
    if end_given && !bit && pos == (bytes as i64) << 3 {
        c.add_reply_long_long(-1);
        return;
    }
    let pos = if pos != -1 {
        pos + ((s as i64) << 3)
    } else {
        pos
    };
    c.add_reply_long_long(pos);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitfieldOpcode {
    Get,
    Set,
    Incrby,
}

/// One operation of a BITFIELD call (`struct bitfieldOp`).
struct BitfieldOp {
    offset: u64,
    /// The SET value or the INCRBY increment.
    value: i64,
    opcode: BitfieldOpcode,
    owtype: BfOverflow,
    bits: u64,
    sign: bool,
}

/// `bitfieldGeneric`: BITFIELD, and BITFIELD_RO when `readonly_cmd`
/// (which accepts GET only). Every operation is parsed before any runs.
fn bitfield_generic(server: &mut Server, c: &mut Client, readonly_cmd: bool) {
    let mut ops: Vec<BitfieldOp> = Vec::new();
    let mut owtype = BfOverflow::Wrap;
    let mut readonly = true;
    let mut highest_write_offset: u64 = 0;
    let argc = c.argv.len();
    let mut j = 2;
    while j < argc {
        let remargs = argc - j - 1;
        let sub = &c.argv[j];
        let opcode = if sub.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            BitfieldOpcode::Get
        } else if sub.eq_ignore_ascii_case(b"set") && remargs >= 3 {
            BitfieldOpcode::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && remargs >= 3 {
            BitfieldOpcode::Incrby
        } else if sub.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            let name = &c.argv[j + 1];
            owtype = if name.eq_ignore_ascii_case(b"wrap") {
                BfOverflow::Wrap
            } else if name.eq_ignore_ascii_case(b"sat") {
                BfOverflow::Sat
            } else if name.eq_ignore_ascii_case(b"fail") {
                BfOverflow::Fail
            } else {
                c.add_reply_error("Invalid OVERFLOW type specified");
                return;
            };
            j += 2;
            continue;
        } else {
            c.add_reply_syntax_error();
            return;
        };
        let Some((sign, bits)) = get_bitfield_type_from_argument(c, j + 1) else {
            return;
        };
        let Some(offset) = get_bit_offset_from_argument(server, c, j + 2, true, bits) else {
            return;
        };
        let mut value = 0;
        if opcode != BitfieldOpcode::Get {
            readonly = false;
            highest_write_offset = highest_write_offset.max(offset + bits - 1);
            let Some(v) = string2ll(&c.argv[j + 3]) else {
                c.add_reply_error(ERR_NOT_INTEGER);
                return;
            };
            value = v;
        }
        ops.push(BitfieldOp {
            offset,
            value,
            opcode,
            owtype,
            bits,
            sign,
        });
        j += if opcode == BitfieldOpcode::Get { 3 } else { 4 };
    }

    let db = c.db;
    if readonly {
        // Reads only: a missing key reads as zeros.
        let value = match server.lookup_key_read(db, &c.argv[1]) {
            None => None,
            Some(o) => match o.string_value() {
                Some(s) => Some(s),
                None => {
                    c.add_reply_wrongtype();
                    return;
                }
            },
        };
        c.add_reply_array_len(ops.len() as i64);
        for op in &ops {
            bitfield_get(c, value.as_deref().unwrap_or_default(), op);
        }
        return;
    }
    if readonly_cmd {
        c.add_reply_error("BITFIELD_RO only supports the GET subcommand");
        return;
    }
    let Some((s, dirty)) = lookup_string_for_bit_command(server, c, highest_write_offset) else {
        return;
    };
    let mut changes = 0u64;
    c.add_reply_array_len(ops.len() as i64);
    for op in &ops {
        if op.opcode == BitfieldOpcode::Get {
            bitfield_get(c, s, op);
            continue;
        }
        // SET replies with the old value, INCRBY with the new one.
        let written = if op.sign {
            let oldval = get_signed_bitfield(s, op.offset, op.bits);
            let (overflow, newval, retval) = if op.opcode == BitfieldOpcode::Incrby {
                let (ov, lim) =
                    check_signed_bitfield_overflow(oldval, op.value, op.bits, op.owtype);
                let newval = lim.unwrap_or(oldval.wrapping_add(op.value));
                (ov, newval, newval)
            } else {
                let (ov, lim) = check_signed_bitfield_overflow(op.value, 0, op.bits, op.owtype);
                (ov, lim.unwrap_or(op.value), oldval)
            };
            if overflow != 0 && op.owtype == BfOverflow::Fail {
                None
            } else {
                set_signed_bitfield(s, op.offset, op.bits, newval);
                Some((retval, oldval != newval))
            }
        } else {
            let oldval = get_unsigned_bitfield(s, op.offset, op.bits);
            let (overflow, newval, retval) = if op.opcode == BitfieldOpcode::Incrby {
                let (ov, lim) =
                    check_unsigned_bitfield_overflow(oldval, op.value, op.bits, op.owtype);
                let newval = lim.unwrap_or(oldval.wrapping_add(op.value as u64));
                (ov, newval, newval)
            } else {
                let (ov, lim) =
                    check_unsigned_bitfield_overflow(op.value as u64, 0, op.bits, op.owtype);
                (ov, lim.unwrap_or(op.value as u64), oldval)
            };
            if overflow != 0 && op.owtype == BfOverflow::Fail {
                None
            } else {
                set_unsigned_bitfield(s, op.offset, op.bits, newval);
                Some((retval as i64, oldval != newval))
            }
        };
        match written {
            Some((retval, changed)) => {
                c.add_reply_long_long(retval);
                if dirty || changed {
                    changes += 1;
                }
            }
            None => c.add_reply_null(),
        }
    }
    if changes > 0 {
        server.signal_modified_key(db, &c.argv[1]);
        notify_keyspace_event(server, NOTIFY_STRING, "setbit", &c.argv[1], db);
        server.dirty += changes;
    }
}

/// A BITFIELD GET on a string that may be shorter than the field: the
/// field is read from a copy of up to 9 bytes padded with zeros.
fn bitfield_get(c: &mut Client, src: &[u8], op: &BitfieldOp) {
    let byte = (op.offset >> 3) as usize;
    let mut buf = [0u8; 9];
    if byte < src.len() {
        let n = (src.len() - byte).min(9);
        buf[..n].copy_from_slice(&src[byte..byte + n]);
    }
    let off = op.offset & 7;
    if op.sign {
        c.add_reply_long_long(get_signed_bitfield(&buf, off, op.bits));
    } else {
        c.add_reply_long_long(get_unsigned_bitfield(&buf, off, op.bits) as i64);
    }
}

/// BITFIELD key [GET type offset] [SET type offset value]
/// [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
pub fn bitfield_command(server: &mut Server, c: &mut Client) {
    bitfield_generic(server, c, false);
}

/// BITFIELD_RO key [GET type offset ...]
pub fn bitfield_ro_command(server: &mut Server, c: &mut Client) {
    bitfield_generic(server, c, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_counts_every_byte() {
        let s: Vec<u8> = (0..=255u8).collect();
        assert_eq!(redis_popcount(&s), 1024);
        assert_eq!(redis_popcount(b""), 0);
        assert_eq!(redis_popcount(&[0xff; 13]), 104);
    }

    #[test]
    fn bitpos_edges() {
        assert_eq!(redis_bitpos(&[0, 0, 0x10], true), 19);
        assert_eq!(redis_bitpos(&[0, 0], true), -1);
        assert_eq!(redis_bitpos(&[0xff, 0xff], false), 16);
        assert_eq!(redis_bitpos(&[0xff, 0xfe], false), 15);
        assert_eq!(redis_bitpos(&[], false), 0);
    }

    #[test]
    fn bitfields_round_trip() {
        let mut p = [0u8; 2];
        // 23 as u5 at offset 7: 0000000 1 | 0111 0000
        set_unsigned_bitfield(&mut p, 7, 5, 23);
        assert_eq!(p, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned_bitfield(&p, 7, 5), 23);
        set_signed_bitfield(&mut p, 0, 4, -3);
        assert_eq!(get_signed_bitfield(&p, 0, 4), -3);
        let mut q = [0u8; 8];
        set_signed_bitfield(&mut q, 0, 64, i64::MIN);
        assert_eq!(get_signed_bitfield(&q, 0, 64), i64::MIN);
    }

    #[test]
    fn overflow_checks() {
        use BfOverflow::*;
        assert_eq!(
            check_unsigned_bitfield_overflow(255, 1, 8, Wrap),
            (1, Some(0))
        );
        assert_eq!(
            check_unsigned_bitfield_overflow(255, 1, 8, Sat),
            (1, Some(255))
        );
        assert_eq!(
            check_unsigned_bitfield_overflow(0, -1, 8, Sat),
            (-1, Some(0))
        );
        assert_eq!(
            check_unsigned_bitfield_overflow(0, -1, 8, Wrap),
            (-1, Some(255))
        );
        assert_eq!(check_unsigned_bitfield_overflow(3, 4, 8, Fail), (0, None));
        assert_eq!(
            check_signed_bitfield_overflow(127, 1, 8, Wrap),
            (1, Some(-128))
        );
        assert_eq!(
            check_signed_bitfield_overflow(-128, -1, 8, Sat),
            (-1, Some(-128))
        );
        assert_eq!(
            check_signed_bitfield_overflow(i64::MAX, 1, 64, Wrap),
            (1, Some(i64::MIN))
        );
        assert_eq!(
            check_signed_bitfield_overflow(i64::MIN, -1, 64, Sat),
            (-1, Some(i64::MIN))
        );
        assert_eq!(check_signed_bitfield_overflow(5, -3, 64, Fail), (0, None));
    }

    #[test]
    fn bitop_pads_with_zeros() {
        let a: Cow<[u8]> = Cow::Borrowed(&[0xff, 0x0f]);
        let b: Cow<[u8]> = Cow::Borrowed(&[0xf0]);
        assert_eq!(bitop(BitOp::And, &[a.clone(), b.clone()]), vec![0xf0, 0x00]);
        assert_eq!(bitop(BitOp::Or, &[a.clone(), b.clone()]), vec![0xff, 0x0f]);
        assert_eq!(bitop(BitOp::Xor, &[a.clone(), b.clone()]), vec![0x0f, 0x0f]);
        assert_eq!(bitop(BitOp::Not, &[b]), vec![0x0f]);
    }
}
