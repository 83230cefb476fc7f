//! The RDB format: a port of `rdb.c`.
//!
//! An RDB file is the whole dataset as Redis 7.0.15 writes it, version 10:
//! the magic `REDIS0010`, AUX fields describing the server that wrote it,
//! then for each non-empty database a SELECTDB and a RESIZEDB opcode
//! followed by its keys (each optionally preceded by EXPIRETIME_MS, IDLE or
//! FREQ), an EOF opcode and the CRC-64 of everything before it (zero when
//! `rdbchecksum` is off). A DUMP payload is one value in the same encoding,
//! followed by the RDB version and a CRC-64.
//!
//! This file holds the encoding itself, shared by every producer and
//! consumer: lengths, strings (integers, LZF, raw), doubles, times, and
//! the per-type dispatch. The submodules hold the processes around it:
//!
//! | rdb.c part | module |
//! |---|---|
//! | low level encodings, `rdbSaveObject`, `rdbLoadObject` | this file |
//! | the list, set, hash, zset and stream parts of those two | `types` |
//! | `rdbSaveRio`, `rdbSave`, `rdbSaveBackground`, SAVE, BGSAVE, the child | `save` |
//! | `rdbLoadRio`, `rdbLoad`, loading state, error reports | `load` |
//!
//! # Adding a type
//!
//! A value type plugs in with three match arms (the collections' are in
//! `types`), each using small accessors of its own module:
//! - [`rdb_save_object_type`]: the RDB type byte of the value's encoding
//!   (e.g. `RDB_TYPE_LIST_QUICKLIST_2`);
//! - [`rdb_save_object`]: writes the value, with the primitives below
//!   ([`rdb_save_len`], [`rdb_save_raw_string`], [`rdb_save_binary_double_value`]...);
//! - [`rdb_load_object`]: builds the value from every RDB type byte that
//!   means this type, old encodings included, returning
//!   [`RdbLoadError::EmptyKey`] for an empty collection and a
//!   [`rdb_report_corrupt`] error for inconsistent data.
//!
//! Errors never panic: a failed write is a [`WriteError`], bad or short
//! input an [`RdbLoadError`] that the caller reports the way C does
//! (loading a file stops the server, RESTORE answers with an error).

pub mod load;
pub mod save;
mod types;

use crate::lzf::{lzf_compress, lzf_decompress};
use crate::object::{RObj, Value};
use crate::rio::Rio;
use crate::server::Server;

/// `RDB_VERSION`: what we write; we load every version from 1 to this.
pub const RDB_VERSION: u16 = 10;

// Length encodings: the two top bits of the first byte.
pub const RDB_6BITLEN: u8 = 0;
pub const RDB_14BITLEN: u8 = 1;
pub const RDB_32BITLEN: u8 = 0x80;
pub const RDB_64BITLEN: u8 = 0x81;
pub const RDB_ENCVAL: u8 = 3;

// Special string encodings (RDB_ENCVAL followed by one of these).
pub const RDB_ENC_INT8: u64 = 0;
pub const RDB_ENC_INT16: u64 = 1;
pub const RDB_ENC_INT32: u64 = 2;
pub const RDB_ENC_LZF: u64 = 3;

// Value types.
pub const RDB_TYPE_STRING: u8 = 0;
pub const RDB_TYPE_LIST: u8 = 1;
pub const RDB_TYPE_SET: u8 = 2;
pub const RDB_TYPE_ZSET: u8 = 3;
pub const RDB_TYPE_HASH: u8 = 4;
pub const RDB_TYPE_ZSET_2: u8 = 5;
pub const RDB_TYPE_MODULE: u8 = 6;
pub const RDB_TYPE_MODULE_2: u8 = 7;
pub const RDB_TYPE_HASH_ZIPMAP: u8 = 9;
pub const RDB_TYPE_LIST_ZIPLIST: u8 = 10;
pub const RDB_TYPE_SET_INTSET: u8 = 11;
pub const RDB_TYPE_ZSET_ZIPLIST: u8 = 12;
pub const RDB_TYPE_HASH_ZIPLIST: u8 = 13;
pub const RDB_TYPE_LIST_QUICKLIST: u8 = 14;
pub const RDB_TYPE_STREAM_LISTPACKS: u8 = 15;
pub const RDB_TYPE_HASH_LISTPACK: u8 = 16;
pub const RDB_TYPE_ZSET_LISTPACK: u8 = 17;
pub const RDB_TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const RDB_TYPE_STREAM_LISTPACKS_2: u8 = 19;

// Opcodes: bytes in the place of a type that are not values.
pub const RDB_OPCODE_FUNCTION2: u8 = 245;
pub const RDB_OPCODE_FUNCTION: u8 = 246;
pub const RDB_OPCODE_MODULE_AUX: u8 = 247;
pub const RDB_OPCODE_IDLE: u8 = 248;
pub const RDB_OPCODE_FREQ: u8 = 249;
pub const RDB_OPCODE_AUX: u8 = 250;
pub const RDB_OPCODE_RESIZEDB: u8 = 251;
pub const RDB_OPCODE_EXPIRETIME_MS: u8 = 252;
pub const RDB_OPCODE_EXPIRETIME: u8 = 253;
pub const RDB_OPCODE_SELECTDB: u8 = 254;
pub const RDB_OPCODE_EOF: u8 = 255;

/// `RDB_MODULE_OPCODE_UINT`: the only "when" opcode of MODULE_AUX.
pub const RDB_MODULE_OPCODE_UINT: u64 = 2;

/// `rdbIsObjectType`.
pub fn rdb_is_object_type(t: u8) -> bool {
    t <= 7 || (9..=19).contains(&t)
}

/// A write to the stream failed (the stream keeps the error).
#[derive(Debug)]
pub struct WriteError;

/// Bytes written, as the C functions return them.
pub type SaveResult = Result<usize, WriteError>;

/// Why reading a value or a file stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum RdbLoadError {
    /// The data ended early or could not be read: C's `goto eoferr` and
    /// NULL returns, reported by the caller as a short read.
    Eof,
    /// `rdbReportCorruptRDB` (`corrupt`) or `rdbReportReadError` with the
    /// line of rdb.c that reports it, so the log line is upstream's.
    Reported {
        corrupt: bool,
        line: u32,
        msg: String,
    },
    /// An empty collection, which loading skips (C's `emptykey`).
    EmptyKey,
}

/// `rdbReportCorruptRDB` at `line` of rdb.c.
pub fn rdb_report_corrupt(line: u32, msg: String) -> RdbLoadError {
    RdbLoadError::Reported {
        corrupt: true,
        line,
        msg,
    }
}

/// `rdbReportReadError` at `line` of rdb.c.
pub fn rdb_report_read_error(line: u32, msg: String) -> RdbLoadError {
    RdbLoadError::Reported {
        corrupt: false,
        line,
        msg,
    }
}

pub type LoadResult<T> = Result<T, RdbLoadError>;

// ----------------------------------------------------------------------
// Saving: the low level encodings.
// ----------------------------------------------------------------------

/// `rdbWriteRaw`.
pub fn rdb_write_raw(rdb: &mut Rio, p: &[u8]) -> SaveResult {
    if rdb.rio_write(p) {
        Ok(p.len())
    } else {
        Err(WriteError)
    }
}

/// `rdbSaveType`: one byte, a value type or an opcode.
pub fn rdb_save_type(rdb: &mut Rio, t: u8) -> SaveResult {
    rdb_write_raw(rdb, &[t])
}

/// `rdbSaveMillisecondTime`: 8 bytes little endian.
pub fn rdb_save_millisecond_time(rdb: &mut Rio, t: i64) -> SaveResult {
    rdb_write_raw(rdb, &t.to_le_bytes())
}

/// `rdbSaveLen`: 1, 2, 5 or 9 bytes (6 and 14 bit lengths big endian in
/// the low bits, then 32 and 64 bit ones in network order).
pub fn rdb_save_len(rdb: &mut Rio, len: u64) -> SaveResult {
    if len < 1 << 6 {
        rdb_write_raw(rdb, &[(len as u8) | (RDB_6BITLEN << 6)])
    } else if len < 1 << 14 {
        rdb_write_raw(rdb, &[((len >> 8) as u8) | (RDB_14BITLEN << 6), len as u8])
    } else if len <= u32::MAX as u64 {
        let mut b = [RDB_32BITLEN, 0, 0, 0, 0];
        b[1..].copy_from_slice(&(len as u32).to_be_bytes());
        rdb_write_raw(rdb, &b)
    } else {
        let mut b = [RDB_64BITLEN, 0, 0, 0, 0, 0, 0, 0, 0];
        b[1..].copy_from_slice(&len.to_be_bytes());
        rdb_write_raw(rdb, &b)
    }
}

/// `rdbEncodeInteger`: the 2, 3 or 5 byte form of `value`, or 0 when it
/// needs more than 32 bits.
fn rdb_encode_integer(value: i64, enc: &mut [u8; 5]) -> usize {
    let tag = |e: u64| (RDB_ENCVAL << 6) | e as u8;
    if (-(1 << 7)..(1 << 7)).contains(&value) {
        enc[0] = tag(RDB_ENC_INT8);
        enc[1] = value as u8;
        2
    } else if (-(1 << 15)..(1 << 15)).contains(&value) {
        enc[0] = tag(RDB_ENC_INT16);
        enc[1..3].copy_from_slice(&(value as i16).to_le_bytes());
        3
    } else if (-(1i64 << 31)..(1i64 << 31)).contains(&value) {
        enc[0] = tag(RDB_ENC_INT32);
        enc[1..5].copy_from_slice(&(value as i32).to_le_bytes());
        5
    } else {
        0
    }
}

/// `rdbTryIntegerEncoding`: a string that is the canonical text of a
/// small integer is stored as the integer.
fn rdb_try_integer_encoding(s: &[u8], enc: &mut [u8; 5]) -> usize {
    match crate::util::string2ll(s) {
        Some(v) => rdb_encode_integer(v, enc),
        None => 0,
    }
}

/// `rdbSaveLzfBlob`: data already compressed (a compressed quicklist node).
pub fn rdb_save_lzf_blob(rdb: &mut Rio, data: &[u8], original_len: usize) -> SaveResult {
    let mut n = rdb_write_raw(rdb, &[(RDB_ENCVAL << 6) | RDB_ENC_LZF as u8])?;
    n += rdb_save_len(rdb, data.len() as u64)?;
    n += rdb_save_len(rdb, original_len as u64)?;
    n += rdb_write_raw(rdb, data)?;
    Ok(n)
}

/// `rdbSaveLzfStringObject`: Ok(0) when compressing would not save at
/// least four bytes.
fn rdb_save_lzf_string_object(rdb: &mut Rio, s: &[u8]) -> SaveResult {
    if s.len() <= 4 {
        return Ok(0);
    }
    let mut out = vec![0u8; s.len() - 4];
    let comprlen = lzf_compress(s, &mut out);
    if comprlen == 0 {
        return Ok(0);
    }
    rdb_save_lzf_blob(rdb, &out[..comprlen], s.len())
}

/// `rdbSaveRawString`: an integer if the string is one, else LZF when
/// `rdbcompression` is on and it pays off, else length + bytes.
pub fn rdb_save_raw_string(rdb: &mut Rio, s: &[u8]) -> SaveResult {
    if s.len() <= 11 {
        let mut buf = [0u8; 5];
        let enclen = rdb_try_integer_encoding(s, &mut buf);
        if enclen > 0 {
            return rdb_write_raw(rdb, &buf[..enclen]);
        }
    }
    // Below 21 bytes LZF cannot win even on a run of one byte.
    if rdb.rdb_compression && s.len() > 20 {
        let n = rdb_save_lzf_string_object(rdb, s)?;
        if n > 0 {
            return Ok(n);
        }
    }
    let mut n = rdb_save_len(rdb, s.len() as u64)?;
    if !s.is_empty() {
        n += rdb_write_raw(rdb, s)?;
    }
    Ok(n)
}

/// `rdbSaveLongLongAsStringObject`.
pub fn rdb_save_long_long_as_string_object(rdb: &mut Rio, value: i64) -> SaveResult {
    let mut buf = [0u8; 5];
    let enclen = rdb_encode_integer(value, &mut buf);
    if enclen > 0 {
        return rdb_write_raw(rdb, &buf[..enclen]);
    }
    let mut text = [0u8; 24];
    let len = crate::util::ll2string(&mut text, value);
    let mut n = rdb_save_len(rdb, len as u64)?;
    n += rdb_write_raw(rdb, &text[..len])?;
    Ok(n)
}

/// `rdbSaveStringObject` for a string value (any other type writes
/// nothing: callers only pass strings).
pub fn rdb_save_string_object(rdb: &mut Rio, o: &RObj) -> SaveResult {
    match &o.value {
        Value::Int(v) => rdb_save_long_long_as_string_object(rdb, *v),
        Value::EmbStr(s) => rdb_save_raw_string(rdb, s.as_bytes()),
        Value::Raw(v) => rdb_save_raw_string(rdb, v),
        _ => Ok(0),
    }
}

/// `rdbSaveDoubleValue`: the text form of RDB versions before 8 (a length
/// byte, with 253, 254 and 255 meaning nan, inf and -inf).
pub fn rdb_save_double_value(rdb: &mut Rio, val: f64) -> SaveResult {
    if val.is_nan() {
        return rdb_write_raw(rdb, &[253]);
    }
    if val.is_infinite() {
        return rdb_write_raw(rdb, &[if val < 0.0 { 255 } else { 254 }]);
    }
    let mut buf = vec![0u8];
    match crate::util::double2ll(val) {
        Some(ll) => crate::util::append_ll(&mut buf, ll),
        None => crate::util::append_double(&mut buf, val),
    }
    buf[0] = (buf.len() - 1) as u8;
    rdb_write_raw(rdb, &buf)
}

/// `rdbSaveBinaryDoubleValue`: IEEE 754, little endian.
pub fn rdb_save_binary_double_value(rdb: &mut Rio, val: f64) -> SaveResult {
    rdb_write_raw(rdb, &val.to_le_bytes())
}

/// `rdbSaveBinaryFloatValue`.
pub fn rdb_save_binary_float_value(rdb: &mut Rio, val: f32) -> SaveResult {
    rdb_write_raw(rdb, &val.to_le_bytes())
}

/// `rdbSaveObjectType`: the type byte for the value's encoding.
pub fn rdb_save_object_type(rdb: &mut Rio, o: &RObj) -> SaveResult {
    let t = types::collection_rdb_type(&o.value).unwrap_or(RDB_TYPE_STRING);
    rdb_save_type(rdb, t)
}

/// `rdbSaveObject`: the value, without its type byte. `key` and `dbid`
/// are for the types that need them (modules in C).
pub fn rdb_save_object(rdb: &mut Rio, o: &RObj, _key: &[u8], _dbid: usize) -> SaveResult {
    match &o.value {
        Value::Int(_) | Value::EmbStr(_) | Value::Raw(_) => rdb_save_string_object(rdb, o),
        v => types::rdb_save_collection(rdb, v),
    }
}

/// `rdbSavedObjectLen`: DEBUG OBJECT's `serializedlength`, compressed as a
/// save with the current `rdbcompression` would be.
pub fn rdb_saved_object_len(server: &Server, o: &RObj, key: &[u8], dbid: usize) -> usize {
    let mut rdb = Rio::null();
    rdb.rdb_compression = server.config.rdbcompression;
    rdb_save_object(&mut rdb, o, key, dbid).unwrap_or(0)
}

/// `rdbSaveKeyValuePair`: expiry, access information as the
/// `maxmemory-policy` tracks it, then type, key and value.
pub fn rdb_save_key_value_pair(
    server: &Server,
    rdb: &mut Rio,
    key: &[u8],
    val: &RObj,
    expiretime: i64,
    dbid: usize,
) -> SaveResult {
    use crate::config::MaxmemoryPolicy as P;
    let policy = server.config.maxmemory_policy;
    let savelru = matches!(policy, P::VolatileLru | P::AllkeysLru);
    let savelfu = crate::evict::policy_is_lfu(policy);
    let mut n = 0;
    if expiretime != -1 {
        n += rdb_save_type(rdb, RDB_OPCODE_EXPIRETIME_MS)?;
        n += rdb_save_millisecond_time(rdb, expiretime)?;
    }
    if savelru {
        // Seconds are precise enough and take less space.
        let idletime = server.estimate_object_idle_time(val.lru) / 1000;
        n += rdb_save_type(rdb, RDB_OPCODE_IDLE)?;
        n += rdb_save_len(rdb, idletime)?;
    }
    if savelfu {
        // The 8-bit counter only: the decrement time restarts at load.
        let freq = server.lfu_decr_and_return(val.lru) as u8;
        n += rdb_save_type(rdb, RDB_OPCODE_FREQ)?;
        n += rdb_write_raw(rdb, &[freq])?;
    }
    n += rdb_save_object_type(rdb, val)?;
    n += rdb_save_raw_string(rdb, key)?;
    n += rdb_save_object(rdb, val, key, dbid)?;
    if server.config.rdb_key_save_delay != 0 {
        crate::debug::debug_delay(server.config.rdb_key_save_delay);
    }
    Ok(n)
}

/// `rdbSaveAuxField`.
pub fn rdb_save_aux_field(rdb: &mut Rio, key: &[u8], val: &[u8]) -> SaveResult {
    let mut n = rdb_save_type(rdb, RDB_OPCODE_AUX)?;
    n += rdb_save_raw_string(rdb, key)?;
    n += rdb_save_raw_string(rdb, val)?;
    Ok(n)
}

/// `rdbSaveAuxFieldStrInt`.
pub fn rdb_save_aux_field_str_int(rdb: &mut Rio, key: &str, val: i64) -> SaveResult {
    rdb_save_aux_field(rdb, key.as_bytes(), &crate::util::ll_to_bytes(val))
}

// ----------------------------------------------------------------------
// Loading: the low level encodings.
// ----------------------------------------------------------------------

fn read_array<const N: usize>(rdb: &mut Rio) -> LoadResult<[u8; N]> {
    let mut b = [0u8; N];
    if rdb.rio_read(&mut b) {
        Ok(b)
    } else {
        Err(RdbLoadError::Eof)
    }
}

/// `rdbLoadType`.
pub fn rdb_load_type(rdb: &mut Rio) -> LoadResult<u8> {
    Ok(read_array::<1>(rdb)?[0])
}

/// `rdbLoadTime`: the seconds of the old EXPIRETIME opcode.
pub fn rdb_load_time(rdb: &mut Rio) -> LoadResult<i64> {
    Ok(i32::from_le_bytes(read_array(rdb)?) as i64)
}

/// `rdbLoadMillisecondTime`. Versions before 9 wrote the native byte
/// order; every platform we run on is little endian, as the file then is.
pub fn rdb_load_millisecond_time(rdb: &mut Rio, _rdbver: u32) -> LoadResult<i64> {
    Ok(i64::from_le_bytes(read_array(rdb)?))
}

/// `rdbLoadLenByRef`: the length and whether it is a special encoding
/// (`RDB_ENCVAL`: then the value is the `RDB_ENC_*` kind).
pub fn rdb_load_len_by_ref(rdb: &mut Rio) -> LoadResult<(u64, bool)> {
    let b0 = rdb_load_type(rdb)?;
    match (b0 & 0xC0) >> 6 {
        RDB_ENCVAL => Ok(((b0 & 0x3F) as u64, true)),
        RDB_6BITLEN => Ok(((b0 & 0x3F) as u64, false)),
        RDB_14BITLEN => {
            let b1 = rdb_load_type(rdb)?;
            Ok(((((b0 & 0x3F) as u64) << 8) | b1 as u64, false))
        }
        _ if b0 == RDB_32BITLEN => Ok((u32::from_be_bytes(read_array(rdb)?) as u64, false)),
        _ if b0 == RDB_64BITLEN => Ok((u64::from_be_bytes(read_array(rdb)?), false)),
        t => Err(rdb_report_corrupt(
            236,
            format!("Unknown length encoding {t} in rdbLoadLen()"),
        )),
    }
}

/// `rdbLoadLen` (a special encoding is just its number here).
pub fn rdb_load_len(rdb: &mut Rio) -> LoadResult<u64> {
    Ok(rdb_load_len_by_ref(rdb)?.0)
}

/// Reads `len` bytes into a new buffer. The buffer grows as data arrives,
/// so a corrupt length cannot make us allocate what the input does not
/// hold.
pub fn rdb_read_bytes(rdb: &mut Rio, len: u64) -> LoadResult<Vec<u8>> {
    const STEP: u64 = 1 << 20;
    if let Some(rem) = rdb.remaining() {
        if len > rem as u64 {
            return Err(RdbLoadError::Eof);
        }
    }
    let mut v = Vec::new();
    let mut left = len;
    while left > 0 {
        let step = left.min(STEP) as usize;
        let start = v.len();
        if v.try_reserve_exact(step).is_err() {
            return Err(RdbLoadError::Eof);
        }
        v.resize(start + step, 0);
        if !rdb.rio_read(&mut v[start..]) {
            return Err(RdbLoadError::Eof);
        }
        left -= step as u64;
    }
    Ok(v)
}

/// A string as stored: an integer encoding or bytes.
pub enum LoadedString {
    Int(i64),
    Bytes(Vec<u8>),
}

impl LoadedString {
    /// The bytes, an integer printed in decimal.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            LoadedString::Int(v) => crate::util::ll_to_bytes(v),
            LoadedString::Bytes(b) => b,
        }
    }
}

/// `rdbLoadIntegerObject`.
fn rdb_load_integer(rdb: &mut Rio, enctype: u64) -> LoadResult<i64> {
    match enctype {
        RDB_ENC_INT8 => Ok(read_array::<1>(rdb)?[0] as i8 as i64),
        RDB_ENC_INT16 => Ok(i16::from_le_bytes(read_array(rdb)?) as i64),
        RDB_ENC_INT32 => Ok(i32::from_le_bytes(read_array(rdb)?) as i64),
        _ => Err(rdb_report_corrupt(
            308,
            format!("Unknown RDB integer encoding type {enctype}"),
        )),
    }
}

/// Logs an allocation failure of the loader, quieter inside RESTORE as C.
fn log_alloc_failure(rdb: &Rio, what: &str, len: u64) {
    let level = if rdb.restore_context {
        crate::server::LL_VERBOSE
    } else {
        crate::server::LL_WARNING
    };
    crate::server::server_log_raw(level, &format!("{what} failed allocating {len} bytes"));
}

/// `rdbLoadLzfStringObject`.
fn rdb_load_lzf_string(rdb: &mut Rio) -> LoadResult<Vec<u8>> {
    let clen = rdb_load_len(rdb)?;
    let len = rdb_load_len(rdb)?;
    let c = rdb_read_bytes(rdb, clen)?;
    let mut val = Vec::new();
    if usize::try_from(len)
        .ok()
        .and_then(|l| val.try_reserve_exact(l).ok())
        .is_none()
    {
        log_alloc_failure(rdb, "rdbLoadLzfStringObject", len);
        return Err(RdbLoadError::Eof);
    }
    val.resize(len as usize, 0);
    if lzf_decompress(&c, &mut val) as u64 != len {
        return Err(rdb_report_corrupt(
            413,
            "Invalid LZF compressed string".to_string(),
        ));
    }
    Ok(val)
}

/// `rdbGenericLoadStringObject`: a string in any of its encodings.
pub fn rdb_generic_load_string(rdb: &mut Rio) -> LoadResult<LoadedString> {
    let (len, isencoded) = rdb_load_len_by_ref(rdb)?;
    if isencoded {
        return match len {
            RDB_ENC_INT8 | RDB_ENC_INT16 | RDB_ENC_INT32 => {
                Ok(LoadedString::Int(rdb_load_integer(rdb, len)?))
            }
            RDB_ENC_LZF => Ok(LoadedString::Bytes(rdb_load_lzf_string(rdb)?)),
            _ => Err(rdb_report_corrupt(
                529,
                format!("Unknown RDB string encoding type {len}"),
            )),
        };
    }
    Ok(LoadedString::Bytes(rdb_read_bytes(rdb, len)?))
}

/// `rdbGenericLoadStringObject` with `RDB_LOAD_PLAIN`/`RDB_LOAD_SDS`:
/// the bytes, integers printed.
pub fn rdb_load_string(rdb: &mut Rio) -> LoadResult<Vec<u8>> {
    Ok(rdb_generic_load_string(rdb)?.into_bytes())
}

/// `rdbLoadEncodedStringObject` + `tryObjectEncoding`: a string value in
/// the encoding Redis would give it.
pub fn rdb_load_encoded_string_object(rdb: &mut Rio) -> LoadResult<RObj> {
    Ok(match rdb_generic_load_string(rdb)? {
        LoadedString::Int(v) => RObj::create_string_object_from_long_long(v),
        LoadedString::Bytes(b) => RObj::try_object_encoding(b),
    })
}

/// `rdbLoadDoubleValue`: the text form.
pub fn rdb_load_double_value(rdb: &mut Rio) -> LoadResult<f64> {
    let len = rdb_load_type(rdb)?;
    match len {
        255 => Ok(f64::NEG_INFINITY),
        254 => Ok(f64::INFINITY),
        253 => Ok(f64::NAN),
        _ => {
            let buf = rdb_read_bytes(rdb, len as u64)?;
            crate::util::string2d(&buf).ok_or(RdbLoadError::Eof)
        }
    }
}

/// `rdbLoadBinaryDoubleValue`.
pub fn rdb_load_binary_double_value(rdb: &mut Rio) -> LoadResult<f64> {
    Ok(f64::from_le_bytes(read_array(rdb)?))
}

/// `rdbLoadBinaryFloatValue`.
pub fn rdb_load_binary_float_value(rdb: &mut Rio) -> LoadResult<f32> {
    Ok(f32::from_le_bytes(read_array(rdb)?))
}

/// `rdbLoadObjectType`: a type byte that must be a value type.
pub fn rdb_load_object_type(rdb: &mut Rio) -> LoadResult<u8> {
    let t = rdb_load_type(rdb)?;
    if rdb_is_object_type(t) {
        Ok(t)
    } else {
        Err(RdbLoadError::Eof)
    }
}

/// `moduleTypeNameByID`: the 9-character name packed in a module type id.
pub fn module_type_name_by_id(moduleid: u64) -> String {
    const CSET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id = moduleid >> 10;
    let mut name = [0u8; 9];
    for j in (0..9).rev() {
        name[j] = CSET[(id & 63) as usize];
        id >>= 6;
    }
    String::from_utf8_lossy(&name).into_owned()
}

/// `rdbLoadObject`: the value of type `rdbtype`. `key` and `dbid` are for
/// the types that need them.
pub fn rdb_load_object(
    server: &Server,
    rdbtype: u8,
    rdb: &mut Rio,
    _key: &[u8],
    _dbid: usize,
) -> LoadResult<RObj> {
    if let Some(r) = types::rdb_load_collection(server, rdbtype, rdb) {
        return r;
    }
    match rdbtype {
        RDB_TYPE_STRING => rdb_load_encoded_string_object(rdb),
        RDB_TYPE_MODULE | RDB_TYPE_MODULE_2 => {
            // No module is ever loaded here, so no module type matches.
            let moduleid = rdb_load_len(rdb)?;
            Err(rdb_report_corrupt(
                2636,
                format!(
                    "The RDB file contains module data I can't load: no matching module type '{}'",
                    module_type_name_by_id(moduleid)
                ),
            ))
        }
        _ => Err(rdb_report_read_error(
            2681,
            format!("Unknown RDB encoding type {rdbtype}"),
        )),
    }
}

/// `objectSetLRUOrLFU`: the access clock of a loaded or restored value,
/// from its FREQ (LFU policies) or IDLE seconds (others); -1 when absent.
/// Returns whether the clock was set.
pub fn object_set_lru_or_lfu(
    server: &Server,
    val: &mut RObj,
    lfu_freq: i64,
    lru_idle: i64,
    lru_clock: i64,
    lru_multiplier: i64,
) -> bool {
    use crate::evict::{LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION};
    if server.lfu_enabled() {
        if (0..=255).contains(&lfu_freq) {
            val.lru = (server.lfu_get_time_in_minutes() << 8) | lfu_freq as u32;
            return true;
        }
    } else if lru_idle >= 0 {
        let idle = lru_idle.saturating_mul(lru_multiplier) / LRU_CLOCK_RESOLUTION as i64;
        let mut lru_abs = lru_clock.saturating_sub(idle);
        // Too old for the wrapping clock: half a period in the future reads
        // as very idle, where a wrapped value would read as recent.
        if lru_abs < 0 {
            lru_abs = (lru_clock + (LRU_CLOCK_MAX as i64 / 2)) % LRU_CLOCK_MAX as i64;
        }
        val.lru = lru_abs as u32;
        return true;
    }
    false
}

#[cfg(test)]
mod tests;
