//! Small helpers used all over the server: glob matching, strict number
//! parsing and printing, random ids, clocks and a few file-system chores.
//!
//! This mirrors `util.c` (plus `rewriteConfigFormatMemory` of `config.c`,
//! the inverse of [`memtoull`]). The number conversions are where replies
//! become visible to clients, so they reproduce the C library's output byte
//! for byte: [`append_double`] prints like `printf("%.17g")`, [`string2ll`]
//! is as strict as Redis's, and so on.
//!
//! Two things cannot be done faithfully in Rust alone and come from the
//! small C file `src/ld.c` (built by `build.rs`):
//! - `long double` arithmetic and printing, which INCRBYFLOAT and
//!   HINCRBYFLOAT use (80-bit on x86-64: `1 + -1.1` must print `-0.1`). It
//!   is wrapped as the opaque [`LongDouble`] value.
//! - `strtod`, because a score or float argument is accepted exactly when the
//!   C library accepts it (hex floats like `0x1p-3`, `infinity`, ...).

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io;
use std::ops::Add;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rand::RngCore;

/// Bytes needed for an `i64` in decimal plus C's terminator; inputs this
/// long or longer are never valid for [`string2ll`].
pub const LONG_STR_SIZE: usize = 21;

/// Size of the buffer the C server gives `ld2string`; longer float strings
/// are rejected by [`string2ld`].
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// The largest `%.17g` output is 24 bytes (`-1.7976931348623157e+308`).
pub const MAX_D2STRING_CHARS: usize = 128;

/// ASCII lowercase of the "C" locale, i.e. `tolower()` as Redis runs it.
#[inline]
fn c_tolower(c: u8) -> u8 {
    c.to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// Glob-style pattern matching
// ---------------------------------------------------------------------------

/// `stringmatchlen` gives up on patterns nesting more `*` than this.
const MAX_STAR_NESTING: u32 = 1000;

/// Glob matching of KEYS, SCAN MATCH, PSUBSCRIBE, ACL patterns, CONFIG GET
/// (`stringmatchlen`).
///
/// `*` any run of bytes, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` (a reversed
/// range such as `[z-a]` works too) and `\x` for a literal `x`. Edge cases
/// follow C on purpose: an unclosed `[` is taken as closed at the end of
/// the pattern, a range's end may be `]` (`[a-]` keeps the class open), byte
/// ranges compare bytes as *signed* chars, and an empty subject string never
/// matches (not even `*`; KEYS special-cases a lone `*` before calling this).
///
/// The C function recurses at each `*` and stops the whole search as soon
/// as one `*` has tried every position of the rest of the string: once the
/// tail after a `*` cannot match anywhere, no longer match of an earlier
/// `*` can help. That means only the innermost `*` ever has to be retried,
/// so this version keeps a single backtrack point and needs neither
/// recursion nor more than linear memory, with exactly the C results.
/// Like C, a match that needs more than 1000 nested `*` is refused.
pub fn string_match_len(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let plen = pattern.len();
    let slen = string.len();
    // The C code reads the pattern's NUL terminator at times; 0 stands in.
    let pat = |i: usize| -> u8 { pattern.get(i).copied().unwrap_or(0) };
    let mut p = 0;
    let mut s = 0;
    // (position of the innermost '*', string position its tail is tried at,
    // how many '*' groups lead to it)
    let mut star: Option<(usize, usize, u32)> = None;

    loop {
        // Try to match pattern[p..] against string[s..] without moving any
        // '*' already passed; `ok` is the verdict of that attempt.
        let ok = 'attempt: {
            while p < plen && s < slen {
                match pattern[p] {
                    b'*' => {
                        while pat(p + 1) == b'*' {
                            p += 1;
                        }
                        if plen - p == 1 {
                            return true; // a trailing '*' eats the rest
                        }
                        // C recurses once per '*' and gives up past 1000
                        // levels; a match needs every level, so so do we.
                        let depth = star.map_or(0, |(_, _, d)| d) + 1;
                        if depth > MAX_STAR_NESTING {
                            return false;
                        }
                        star = Some((p, s, depth));
                        p += 1;
                        continue;
                    }
                    b'?' => s += 1,
                    b'[' => {
                        p += 1;
                        let negate = pat(p) == b'^';
                        if negate {
                            p += 1;
                        }
                        let c = string[s];
                        let mut matched = false;
                        loop {
                            let rest = plen - p;
                            if pat(p) == b'\\' && rest >= 2 {
                                p += 1;
                                if pattern[p] == c {
                                    matched = true;
                                }
                            } else if pat(p) == b']' {
                                break;
                            } else if rest == 0 {
                                // Unclosed class: step back so the common
                                // advance below lands on the pattern's end.
                                p -= 1;
                                break;
                            } else if rest >= 3 && pattern[p + 1] == b'-' {
                                // C compares plain (signed) chars here.
                                let mut start = pattern[p] as i8 as i32;
                                let mut end = pattern[p + 2] as i8 as i32;
                                let mut ch = c as i8 as i32;
                                if start > end {
                                    std::mem::swap(&mut start, &mut end);
                                }
                                if nocase {
                                    start = c_tolower_i32(start);
                                    end = c_tolower_i32(end);
                                    ch = c_tolower_i32(ch);
                                }
                                p += 2;
                                if ch >= start && ch <= end {
                                    matched = true;
                                }
                            } else if bytes_eq(pattern[p], c, nocase) {
                                matched = true;
                            }
                            p += 1;
                        }
                        if matched == negate {
                            break 'attempt false;
                        }
                        s += 1;
                    }
                    first => {
                        let lit = if first == b'\\' && plen - p >= 2 {
                            p += 1;
                            pattern[p]
                        } else {
                            first
                        };
                        if !bytes_eq(lit, string[s], nocase) {
                            break 'attempt false;
                        }
                        s += 1;
                    }
                }
                p += 1;
                if s == slen {
                    while pat(p) == b'*' {
                        p += 1;
                    }
                    break;
                }
            }
            p == plen && s == slen
        };
        if ok {
            return true;
        }
        // Let the innermost '*' swallow one more byte, if any is left.
        match star {
            Some((sp, ss, depth)) if ss + 1 < slen => {
                star = Some((sp, ss + 1, depth));
                p = sp + 1;
                s = ss + 1;
            }
            _ => return false,
        }
    }
}

#[inline]
fn bytes_eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        c_tolower(a) == c_tolower(b)
    } else {
        a == b
    }
}

/// `tolower()` on a value that came from a signed char.
#[inline]
fn c_tolower_i32(c: i32) -> i32 {
    if (b'A' as i32..=b'Z' as i32).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// Same as [`string_match_len`]; C's `stringmatch` only differs by taking
/// NUL-terminated strings.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    string_match_len(pattern, string, nocase)
}

// ---------------------------------------------------------------------------
// Memory sizes in configuration values
// ---------------------------------------------------------------------------

/// Parses a memory amount such as `100`, `1k` (1000), `1kb` (1024), `5mb`,
/// `2G` into bytes. Units are `b k kb m mb g gb`, case-insensitive.
///
/// Quirks kept from C: an empty number counts as 0 (`""` and `"mb"` give
/// `Some(0)`), a leading `-` is an error, a number too big for 64 bits is
/// clamped to `u64::MAX` and the multiplication by the unit wraps, and the
/// input ends at a zero byte as a C string would.
pub fn memtoull(s: &[u8]) -> Option<u64> {
    let s = until_nul(s);
    if s.first() == Some(&b'-') {
        return None;
    }
    let ndigits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = &s[ndigits..];
    let mul: u64 = if unit.is_empty() || unit.eq_ignore_ascii_case(b"b") {
        1
    } else if unit.eq_ignore_ascii_case(b"k") {
        1000
    } else if unit.eq_ignore_ascii_case(b"kb") {
        1024
    } else if unit.eq_ignore_ascii_case(b"m") {
        1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"mb") {
        1024 * 1024
    } else if unit.eq_ignore_ascii_case(b"g") {
        1000 * 1000 * 1000
    } else if unit.eq_ignore_ascii_case(b"gb") {
        1024 * 1024 * 1024
    } else {
        return None;
    };
    // The C code copies the digits into a 128-byte buffer first.
    if ndigits >= 128 {
        return None;
    }
    let mut val: u64 = 0;
    for &d in &s[..ndigits] {
        // On overflow strtoull returns its maximum, which C does not check.
        val = val
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .unwrap_or(u64::MAX);
        if val == u64::MAX {
            break;
        }
    }
    Some(val.wrapping_mul(mul))
}

/// Formats a byte count the way CONFIG REWRITE writes memory options
/// (`rewriteConfigFormatMemory` of config.c): the largest of `gb`, `mb`,
/// `kb` that divides it exactly, else plain bytes; 0 stays `0`.
pub fn rewrite_config_format_memory(bytes: i64) -> Vec<u8> {
    const GB: i64 = 1024 * 1024 * 1024;
    const MB: i64 = 1024 * 1024;
    const KB: i64 = 1024;
    let mut out = Vec::with_capacity(24);
    if bytes != 0 && bytes % GB == 0 {
        append_ll(&mut out, bytes / GB);
        out.extend_from_slice(b"gb");
    } else if bytes != 0 && bytes % MB == 0 {
        append_ll(&mut out, bytes / MB);
        out.extend_from_slice(b"mb");
    } else if bytes != 0 && bytes % KB == 0 {
        append_ll(&mut out, bytes / KB);
        out.extend_from_slice(b"kb");
    } else {
        append_ll(&mut out, bytes);
    }
    out
}

/// The part of `s` before its first zero byte: what a C function taking a
/// NUL-terminated string would see.
fn until_nul(s: &[u8]) -> &[u8] {
    match s.iter().position(|&c| c == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

// ---------------------------------------------------------------------------
// Integers to strings and back
// ---------------------------------------------------------------------------

/// Number of decimal digits of `v`.
pub fn digits10(v: u64) -> u32 {
    if v < 10 {
        return 1;
    }
    if v < 100 {
        return 2;
    }
    if v < 1000 {
        return 3;
    }
    if v < 1_000_000_000_000 {
        if v < 100_000_000 {
            if v < 1_000_000 {
                if v < 10_000 {
                    return 4;
                }
                return 5 + (v >= 100_000) as u32;
            }
            return 7 + (v >= 10_000_000) as u32;
        }
        if v < 10_000_000_000 {
            return 9 + (v >= 1_000_000_000) as u32;
        }
        return 11 + (v >= 100_000_000_000) as u32;
    }
    12 + digits10(v / 1_000_000_000_000)
}

/// Length of `v` in decimal, counting the minus sign.
pub fn sdigits10(v: i64) -> u32 {
    if v < 0 {
        digits10(v.unsigned_abs()) + 1
    } else {
        digits10(v as u64)
    }
}

/// Writes `v` in decimal at the start of `dst` and returns the length, or
/// 0 (writing nothing useful) when `dst` is too short. Unlike C no
/// terminator is written, so 20 bytes always suffice.
pub fn ll2string(dst: &mut [u8], v: i64) -> usize {
    if v < 0 {
        if dst.len() < 2 {
            return 0;
        }
        dst[0] = b'-';
        match ull2string(&mut dst[1..], v.unsigned_abs()) {
            0 => 0,
            n => n + 1,
        }
    } else {
        ull2string(dst, v as u64)
    }
}

/// Writes `v` in decimal at the start of `dst` and returns the length, or 0
/// when `dst` is too short (20 bytes always suffice). Two digits are
/// produced per division, which is what makes this faster than `fmt`.
pub fn ull2string(dst: &mut [u8], mut v: u64) -> usize {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let len = digits10(v) as usize;
    if len > dst.len() {
        return 0;
    }
    let mut next = len - 1;
    while v >= 100 {
        let i = ((v % 100) * 2) as usize;
        v /= 100;
        dst[next] = PAIRS[i + 1];
        dst[next - 1] = PAIRS[i];
        next -= 2;
    }
    if v < 10 {
        dst[next] = b'0' + v as u8;
    } else {
        let i = (v * 2) as usize;
        dst[next] = PAIRS[i + 1];
        dst[next - 1] = PAIRS[i];
    }
    len
}

/// Appends `v` in decimal to `out` (the reply path's integer printer).
#[inline]
pub fn append_ll(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let n = ll2string(&mut buf, v);
    out.extend_from_slice(&buf[..n]);
}

/// Appends `v` in decimal to `out`.
#[inline]
pub fn append_ull(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; 20];
    let n = ull2string(&mut buf, v);
    out.extend_from_slice(&buf[..n]);
}

/// `v` in decimal as a new vector.
pub fn ll_to_bytes(v: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(20);
    append_ll(&mut out, v);
    out
}

/// Strict decimal `i64` parsing: the whole input must be the number, with
/// an optional `-`, no `+`, no spaces, no leading zeros (only `"0"` itself)
/// and no `-0`, so that printing the result gives back the same bytes. This
/// is what decides whether a string value can be stored as an integer.
pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if negative {
        if v > i64::MIN.unsigned_abs() {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// [`string2ll`] for C's `long`, which is 64 bits on every platform this
/// server targets, so the two are the same.
pub fn string2l(s: &[u8]) -> Option<i64> {
    string2ll(s)
}

/// Parses an unsigned 64-bit number (stream IDs and module API).
///
/// First tries the strict [`string2ll`] (a negative result is an error);
/// if that fails, falls back to `strtoull` rules, which are looser: leading
/// white space, a `+`, leading zeros and values above `i64::MAX` are fine,
/// and a `-` in front negates modulo 2^64 (`"-18446744073709551615"` is 1,
/// exactly as in redis-server). Overflow and trailing bytes are errors. The
/// input ends at a zero byte, as the C string would.
pub fn string2ull(s: &[u8]) -> Option<u64> {
    let s = until_nul(s);
    if let Some(v) = string2ll(s) {
        return u64::try_from(v).ok();
    }
    // strtoull(s, &end, 10) and the checks made on its result.
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None; // nothing converted, or bytes left over
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?; // ERANGE
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// isspace() of the "C" locale (Redis never switches LC_CTYPE).
#[inline]
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

// ---------------------------------------------------------------------------
// Doubles
// ---------------------------------------------------------------------------

mod ffi {
    use super::LongDouble;
    use std::os::raw::{c_char, c_int, c_longlong};

    extern "C" {
        pub fn redis_mio_string2ld(s: *const c_char, len: usize, out: *mut LongDouble) -> c_int;
        pub fn redis_mio_string2d(s: *const c_char, len: usize, out: *mut f64) -> c_int;
        pub fn redis_mio_ld_from_ll(v: c_longlong, out: *mut LongDouble);
        pub fn redis_mio_ld_from_double(v: f64, out: *mut LongDouble);
        pub fn redis_mio_ld_to_double(v: *const LongDouble) -> f64;
        pub fn redis_mio_ld_add(a: *const LongDouble, b: *const LongDouble, out: *mut LongDouble);
        pub fn redis_mio_ld_is_finite(v: *const LongDouble) -> c_int;
        pub fn redis_mio_ld2string(
            buf: *mut c_char,
            cap: usize,
            v: *const LongDouble,
            mode: c_int,
        ) -> usize;
    }
}

/// Parses a double with the C library's `strtod`, under Redis's rules: the
/// whole input must be consumed, no leading white space, no NaN, and a
/// value that overflows to ±inf or underflows to 0 is an error (subnormal
/// results such as `5e-324` are fine). `inf`, `-inf`, `infinity` and hex
/// floats (`0x1p-3`) are accepted because strtod accepts them.
pub fn string2d(s: &[u8]) -> Option<f64> {
    let mut out = 0.0f64;
    // SAFETY: the C function reads exactly `s.len()` bytes from `s` (it
    // copies them into its own terminated buffer) and writes one double to
    // `out`, a valid local.
    let ok = unsafe { ffi::redis_mio_string2d(s.as_ptr().cast(), s.len(), &mut out) };
    (ok != 0).then_some(out)
}

/// Whether `d` is an integer that fits comfortably in an `i64` (within
/// ±2^62, where every double converts exactly); if so, that integer. Used
/// to print such scores with the fast integer printer.
pub fn double2ll(d: f64) -> Option<i64> {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if !(-LIMIT..=LIMIT).contains(&d) {
        return None; // also rejects NaN
    }
    let ll = d as i64;
    (ll as f64 == d).then_some(ll)
}

/// A tiny stack buffer that `core::fmt` can write into: lets us use the
/// exact float formatting of the standard library without allocating.
struct StackBuf {
    buf: [u8; 40],
    len: usize,
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends `d` formatted exactly like C's `printf("%.17g", d)` (glibc):
/// 17 significant digits, correctly rounded (ties to even), plain notation
/// when the decimal exponent is in -4..17 and `1.5e+21` style otherwise,
/// trailing zeros and a bare dot removed; `inf`, `-inf`, `nan`, `-nan`,
/// and `-0` for negative zero.
///
/// This is the text of a double reply (`addReplyDouble`: ZSCORE, ZINCRBY,
/// GEO...). The digits come from the standard library's exact formatter
/// (`{:.16e}`), which rounds the same way glibc does; only the layout is
/// done here.
pub fn append_double(out: &mut Vec<u8>, d: f64) {
    use fmt::Write;

    if d.is_nan() {
        out.extend_from_slice(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if d.is_sign_negative() {
        out.push(b'-');
    }
    let mut sb = StackBuf {
        buf: [0; 40],
        len: 0,
    };
    // Cannot fail: the longest output is 22 bytes.
    let _ = write!(sb, "{:.16e}", d.abs());
    let text = &sb.buf[..sb.len];
    // text is "D.DDDDDDDDDDDDDDDDe<exp>", with 17 significant digits.
    let mut digits = [0u8; 17];
    digits[0] = text[0];
    digits[1..].copy_from_slice(&text[2..18]);
    let exp_text = &text[19..];
    let (exp_neg, exp_digits) = match exp_text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, exp_text),
    };
    let mut exp: i32 = 0;
    for &c in exp_digits {
        exp = exp * 10 + (c - b'0') as i32;
    }
    if exp_neg {
        exp = -exp;
    }
    // %g drops trailing zeros of the fraction.
    let mut nd = 17;
    while nd > 1 && digits[nd - 1] == b'0' {
        nd -= 1;
    }
    if !(-4..17).contains(&exp) {
        out.push(digits[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..nd]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        append_ull(out, e as u64);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        out.extend_from_slice(&digits[..int_len]);
        if nd > int_len {
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..nd]);
        }
    } else {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(&digits[..nd]);
    }
}

/// Appends the listpack/RDB text of a score (`d2string`): `nan`, `inf`,
/// `-inf`, `0` / `-0`, integers (up to 2^62) printed as integers, anything
/// else as `%.17g`. Always readable back by [`string2d`].
pub fn append_d2string(out: &mut Vec<u8>, d: f64) {
    if d.is_nan() {
        out.extend_from_slice(b"nan");
    } else if d.is_infinite() {
        out.extend_from_slice(if d < 0.0 { b"-inf" } else { b"inf" });
    } else if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
    } else if let Some(ll) = double2ll(d) {
        append_ll(out, ll);
    } else {
        append_double(out, d);
    }
}

/// [`append_d2string`] into a new vector.
pub fn d2string(d: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    append_d2string(&mut out, d);
    out
}

/// Appends `value` with exactly `fractional_digits` digits after the dot
/// (like `%.4f`; GEODIST/GEOSEARCH print distances with 4), rounding half
/// to even as `llrint` does. Returns the number of bytes appended, 0 (and
/// nothing appended) when `fractional_digits` is not in 1..=17.
///
/// Zero, including -0.0, prints without a sign. The value times
/// 10^digits must fit an `i64`, as in C. (The C digit loop garbles an odd
/// digit count when the integer part has two or more digits; the server
/// only uses 4, for which both agree, and this version is right for all.)
pub fn fixedpoint_d2string(out: &mut Vec<u8>, value: f64, fractional_digits: u32) -> usize {
    if !(1..=17).contains(&fractional_digits) {
        return 0;
    }
    let start = out.len();
    let fd = fractional_digits as usize;
    let scale = 10u64.pow(fractional_digits);
    if value == 0.0 {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + fd, b'0');
        return out.len() - start;
    }
    let scaled = (value * scale as f64).round_ties_even() as i64;
    if scaled < 0 {
        out.push(b'-');
    }
    let mag = scaled.unsigned_abs();
    append_ull(out, mag / scale);
    out.push(b'.');
    let mut frac = [0u8; 20];
    let n = ull2string(&mut frac, mag % scale);
    out.resize(out.len() + (fd - n), b'0');
    out.extend_from_slice(&frac[..n]);
    out.len() - start
}

/// Drops trailing zeros after a decimal point, and the point itself if
/// nothing is left behind it (`trimDoubleString`: `"99.900000"` becomes
/// `"99.9"`, `"50.000000"` becomes `"50"`). Strings without a dot are left
/// alone.
pub fn trim_double_string(buf: &mut Vec<u8>) {
    if buf.contains(&b'.') {
        while buf.last() == Some(&b'0') {
            buf.pop();
        }
        if buf.last() == Some(&b'.') {
            buf.pop();
        }
    }
}

// ---------------------------------------------------------------------------
// Long doubles (INCRBYFLOAT, HINCRBYFLOAT)
// ---------------------------------------------------------------------------

/// A C `long double` (80-bit extended precision on x86-64), kept as opaque
/// bytes with the C type's size and alignment. Every operation runs in
/// `src/ld.c`, so results are bit-for-bit those of redis-server.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct LongDouble([u8; 16]);

impl LongDouble {
    /// Positive zero (all bits zero in every long double format).
    pub const ZERO: LongDouble = LongDouble([0; 16]);

    /// The exact value of an integer, as C's `(long double)v`.
    pub fn from_i64(v: i64) -> LongDouble {
        let mut out = LongDouble::ZERO;
        // SAFETY: writes one long double into `out`, which is 16 bytes with
        // 16-byte alignment (ld.c asserts that is enough).
        unsafe { ffi::redis_mio_ld_from_ll(v, &mut out) };
        out
    }

    /// Widens a double (exact).
    pub fn from_f64(v: f64) -> LongDouble {
        let mut out = LongDouble::ZERO;
        // SAFETY: as in `from_i64`.
        unsafe { ffi::redis_mio_ld_from_double(v, &mut out) };
        out
    }

    /// Rounds to the nearest double.
    pub fn to_f64(self) -> f64 {
        // SAFETY: reads the long double stored in `self` by ld.c.
        unsafe { ffi::redis_mio_ld_to_double(&self) }
    }

    /// Neither NaN nor infinite.
    pub fn is_finite(self) -> bool {
        // SAFETY: reads the long double stored in `self` by ld.c.
        unsafe { ffi::redis_mio_ld_is_finite(&self) != 0 }
    }

    /// The sum, or `None` if it is NaN or infinite: INCRBYFLOAT's
    /// "increment would produce NaN or Infinity" case.
    pub fn checked_add(self, other: LongDouble) -> Option<LongDouble> {
        let sum = self + other;
        sum.is_finite().then_some(sum)
    }
}

impl Add for LongDouble {
    type Output = LongDouble;
    fn add(self, other: LongDouble) -> LongDouble {
        let mut out = LongDouble::ZERO;
        // SAFETY: reads two long doubles and writes one, all valid locals.
        unsafe { ffi::redis_mio_ld_add(&self, &other, &mut out) };
        out
    }
}

impl fmt::Debug for LongDouble {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = ld2string(*self, Ld2StringMode::Auto);
        write!(f, "LongDouble({})", String::from_utf8_lossy(&text))
    }
}

/// Output formats of [`ld2string`] (`ld2string_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ld2StringMode {
    /// `%.17Lg`.
    Auto,
    /// `%.17Lf`, then trailing zeros and a bare dot removed, `-0` shown as
    /// `0`: what INCRBYFLOAT stores and replies.
    Human,
    /// `%La`, lossless (module API).
    Hex,
}

impl Ld2StringMode {
    fn code(self) -> i32 {
        match self {
            Ld2StringMode::Auto => 0,
            Ld2StringMode::Human => 1,
            Ld2StringMode::Hex => 2,
        }
    }
}

/// Parses a long double with `strtold`, under the same rules as
/// [`string2d`]; inputs of [`MAX_LONG_DOUBLE_CHARS`] bytes or more are
/// rejected.
pub fn string2ld(s: &[u8]) -> Option<LongDouble> {
    let mut out = LongDouble::ZERO;
    // SAFETY: the C function reads `s.len()` bytes of `s` and writes one
    // long double into `out` (16 aligned bytes).
    let ok = unsafe { ffi::redis_mio_string2ld(s.as_ptr().cast(), s.len(), &mut out) };
    (ok != 0).then_some(out)
}

/// Appends `v` as text in the given mode; infinities are spelled `inf` and
/// `-inf` in every mode.
pub fn append_ld(out: &mut Vec<u8>, v: LongDouble, mode: Ld2StringMode) {
    let mut buf = [0u8; MAX_LONG_DOUBLE_CHARS];
    // SAFETY: ld.c writes at most `buf.len()` bytes (terminator included)
    // into `buf` and returns how many of them are the text.
    let n =
        unsafe { ffi::redis_mio_ld2string(buf.as_mut_ptr().cast(), buf.len(), &v, mode.code()) };
    out.extend_from_slice(&buf[..n.min(buf.len())]);
}

/// `v` as text in the given mode (see [`append_ld`]).
pub fn ld2string(v: LongDouble, mode: Ld2StringMode) -> Vec<u8> {
    let mut out = Vec::new();
    append_ld(&mut out, v, mode);
    out
}

/// Why a float increment was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LdError {
    /// The stored value or the increment is not a float.
    NotAFloat,
    /// The result would be NaN or infinite.
    NanOrInfinity,
}

impl LdError {
    /// The error text redis-server replies with (after `-ERR `).
    pub fn message(self) -> &'static str {
        match self {
            LdError::NotAFloat => "value is not a valid float",
            LdError::NanOrInfinity => "increment would produce NaN or Infinity",
        }
    }
}

/// The whole of INCRBYFLOAT's arithmetic on strings: parses `current`
/// (`None` for a missing key, which counts as 0) and `incr`, adds them in
/// long double precision and returns the new value in human form, which is
/// both what gets stored and what gets replied. A value held as an integer
/// should instead go through [`LongDouble::from_i64`] and
/// [`LongDouble::checked_add`].
pub fn incr_long_double(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, LdError> {
    let value = match current {
        Some(s) => string2ld(s).ok_or(LdError::NotAFloat)?,
        None => LongDouble::ZERO,
    };
    let incr = string2ld(incr).ok_or(LdError::NotAFloat)?;
    let sum = value.checked_add(incr).ok_or(LdError::NanOrInfinity)?;
    Ok(ld2string(sum, Ld2StringMode::Human))
}

// ---------------------------------------------------------------------------
// Randomness
// ---------------------------------------------------------------------------

/// Fills `buf` with random bytes. C hashes a /dev/urandom seed with a
/// counter; a seeded CSPRNG gives the same guarantee (no collisions
/// between run ids or node names), which is all that is needed.
pub fn get_random_bytes(buf: &mut [u8]) {
    rand::thread_rng().fill_bytes(buf);
}

/// `len` random lowercase hex digits: run ids (40) and cluster node names.
pub fn get_random_hex_chars(len: usize) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = vec![0u8; len];
    get_random_bytes(&mut out);
    for c in &mut out {
        *c = HEX[(*c & 0x0f) as usize];
    }
    out
}

// ---------------------------------------------------------------------------
// Clocks (server.c keeps these, but everything uses them)
// ---------------------------------------------------------------------------

/// Wall-clock time in microseconds since the Unix epoch.
///
/// Every command reads the clock twice (`call` times it), so this asks the
/// C library directly: `SystemTime` arithmetic costs several times the
/// vDSO call itself.
#[inline]
pub fn ustime() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always
    // exists, so the call cannot fail and leaves `ts` filled in.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec * 1_000_000 + ts.tv_nsec / 1000
}

/// Wall-clock time in milliseconds since the Unix epoch.
pub fn mstime() -> i64 {
    ustime() / 1000
}

// ---------------------------------------------------------------------------
// Paths and directories
// ---------------------------------------------------------------------------

/// Makes `filename` absolute against the current directory, after trimming
/// spaces, tabs, CR and LF around it; leading `../` parts are resolved by
/// dropping a component of the current directory each (nothing else is
/// normalized). `None` if the current directory cannot be read.
pub fn get_absolute_path(filename: &[u8]) -> Option<Vec<u8>> {
    let trim = |c: &u8| matches!(c, b' ' | b'\r' | b'\n' | b'\t');
    let start = filename
        .iter()
        .position(|c| !trim(c))
        .unwrap_or(filename.len());
    let end = filename
        .iter()
        .rposition(|c| !trim(c))
        .map_or(start, |e| e + 1);
    let mut rel = &filename[start..end];
    if rel.first() == Some(&b'/') {
        return Some(rel.to_vec());
    }
    let cwd = std::env::current_dir().ok()?;
    let mut abs = cwd.as_os_str().as_bytes().to_vec();
    if !abs.is_empty() && abs.last() != Some(&b'/') {
        abs.push(b'/');
    }
    while rel.starts_with(b"../") {
        rel = &rel[3..];
        if abs.len() > 1 {
            // Drop the last component, keeping its leading slash.
            let cut = abs[..abs.len() - 1]
                .iter()
                .rposition(|&c| c == b'/')
                .map_or(0, |i| i + 1);
            abs.truncate(cut);
        }
    }
    abs.extend_from_slice(rel);
    Some(abs)
}

/// True if `path` is a bare file name, without `/` or `\`.
pub fn path_is_base_name(path: &[u8]) -> bool {
    !path.iter().any(|&c| c == b'/' || c == b'\\')
}

/// True if `path` exists and is a regular file (symlinks followed).
pub fn file_exist(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.is_file()).unwrap_or(false)
}

/// True if `path` exists and is a directory (symlinks followed).
pub fn dir_exists(path: &Path) -> bool {
    fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false)
}

/// Creates the directory (mode 0755) unless it already exists as a
/// directory; a non-directory in the way is `ENOTDIR`.
pub fn dir_create_if_missing(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::DirBuilder::new().mode(0o755).create(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if dir_exists(path) {
                Ok(())
            } else {
                Err(io::Error::from_raw_os_error(libc::ENOTDIR))
            }
        }
        Err(e) => Err(e),
    }
}

/// Deletes a directory and everything below it.
pub fn dir_remove(path: &Path) -> io::Result<()> {
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let full = entry.path();
        // Like the C code, follow symlinks to decide what the entry is.
        if fs::metadata(&full)?.is_dir() {
            dir_remove(&full)?;
        } else {
            fs::remove_file(&full)?;
        }
    }
    fs::remove_dir(path)
}

/// `path/filename`.
pub fn make_path(path: &[u8], filename: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len() + 1 + filename.len());
    out.extend_from_slice(path);
    out.push(b'/');
    out.extend_from_slice(filename);
    out
}

/// Flushes the directory holding `filename` to disk, so that a file just
/// renamed into it survives a crash. File systems that cannot open or sync
/// a directory (EISDIR, EBADF, EINVAL) are not an error.
pub fn fsync_file_dir(filename: &Path) -> io::Result<()> {
    let dir = match filename.parent() {
        Some(p) if p.as_os_str().is_empty() => Path::new("."),
        Some(p) => p,
        None => Path::new(if filename.has_root() { "/" } else { "." }),
    };
    let f = match fs::File::open(dir) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => return Ok(()),
        Err(e) => return Err(e),
    };
    match f.sync_data() {
        Err(e) if !matches!(e.raw_os_error(), Some(libc::EBADF) | Some(libc::EINVAL)) => Err(e),
        _ => Ok(()),
    }
}

/// Lets byte strings from the config be used as paths.
pub fn bytes_to_path(b: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    // -- glob matching ------------------------------------------------------

    /// A direct port of the recursive C algorithm, kept only to check the
    /// iterative version against it.
    fn reference_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
        fn imp(
            pat: &[u8],
            mut p: usize,
            s_all: &[u8],
            mut s: usize,
            nocase: bool,
            skip: &mut bool,
        ) -> bool {
            let at = |i: usize| pat.get(i).copied().unwrap_or(0);
            let low = |c: i32| if (65..=90).contains(&c) { c + 32 } else { c };
            while p < pat.len() && s < s_all.len() {
                match pat[p] {
                    b'*' => {
                        while at(p + 1) == b'*' {
                            p += 1;
                        }
                        if pat.len() - p == 1 {
                            return true;
                        }
                        while s < s_all.len() {
                            if imp(pat, p + 1, s_all, s, nocase, skip) {
                                return true;
                            }
                            if *skip {
                                return false;
                            }
                            s += 1;
                        }
                        *skip = true;
                        return false;
                    }
                    b'?' => s += 1,
                    b'[' => {
                        p += 1;
                        let not = at(p) == b'^';
                        if not {
                            p += 1;
                        }
                        let mut m = false;
                        loop {
                            let rest = pat.len() - p;
                            if at(p) == b'\\' && rest >= 2 {
                                p += 1;
                                if at(p) == s_all[s] {
                                    m = true;
                                }
                            } else if at(p) == b']' {
                                break;
                            } else if rest == 0 {
                                p -= 1;
                                break;
                            } else if rest >= 3 && at(p + 1) == b'-' {
                                let (mut a, mut b) = (at(p) as i8 as i32, at(p + 2) as i8 as i32);
                                let mut c = s_all[s] as i8 as i32;
                                if a > b {
                                    std::mem::swap(&mut a, &mut b);
                                }
                                if nocase {
                                    a = low(a);
                                    b = low(b);
                                    c = low(c);
                                }
                                p += 2;
                                if c >= a && c <= b {
                                    m = true;
                                }
                            } else if low(at(p) as i32) == low(s_all[s] as i32) && nocase
                                || at(p) == s_all[s]
                            {
                                m = true;
                            }
                            p += 1;
                        }
                        if not {
                            m = !m;
                        }
                        if !m {
                            return false;
                        }
                        s += 1;
                    }
                    c0 => {
                        let mut c = c0;
                        if c0 == b'\\' && pat.len() - p >= 2 {
                            p += 1;
                            c = pat[p];
                        }
                        let eq = if nocase {
                            low(c as i32) == low(s_all[s] as i32)
                        } else {
                            c == s_all[s]
                        };
                        if !eq {
                            return false;
                        }
                        s += 1;
                    }
                }
                p += 1;
                if s == s_all.len() {
                    while at(p) == b'*' {
                        p += 1;
                    }
                    break;
                }
            }
            p == pat.len() && s == s_all.len()
        }
        let mut skip = false;
        imp(pattern, 0, string, 0, nocase, &mut skip)
    }

    fn m(p: &str, s: &str) -> bool {
        string_match_len(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn glob_basics() {
        assert!(m("*", "anything"));
        assert!(!m("*", "")); // C quirk, see the doc comment
        assert!(!m("**", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo")); // reversed range
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("[\\]]", "]"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("*a", "aaaa"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("a*?", "ab"));
        assert!(!m("a*?", "a"));
        assert!(m("user:*:name", "user:1000:name"));
        // Unclosed class is closed by the end of the pattern.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(m("x[", "x") == reference_match(b"x[", b"x", false));
        // A range may end with ']', keeping the class open.
        assert!(m("[a-]x]", "x"));
        assert!(m("[a-]x]", "_"));
        assert!(!m("[a-]x]", "b"));
        // Trailing backslash is literal.
        assert!(m("a\\", "a\\"));
    }

    #[test]
    fn glob_like_redis_keys() {
        // KEYS <pattern> over these keys, as answered by redis-server 7.0.15.
        let keys: [&[u8]; 7] = [b"x", b"_", b"b", b"a", b"]", b"ab", b"a\\"];
        let cases: [(&[u8], &[&[u8]]); 6] = [
            (b"[a-]x]", &[b"x", b"_", b"a", b"]"]),
            (b"[abc", &[b"b", b"a"]),
            (b"a\\", &[b"a\\"]),
            (b"a\\\\", &[b"a\\"]),
            (b"[b-a]", &[b"b", b"a"]),
            (b"*\\", &[b"a\\"]),
        ];
        for (pat, want) in cases {
            let got: Vec<&[u8]> = keys
                .iter()
                .copied()
                .filter(|k| string_match_len(pat, k, false))
                .collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(pat));
        }
    }

    #[test]
    fn glob_nocase_and_bytes() {
        assert!(string_match_len(b"HeLLo", b"hello", true));
        assert!(!string_match_len(b"HeLLo", b"hello", false));
        assert!(string_match_len(b"[A-Z]x", b"qX", true));
        assert!(string_match_len(b"[a-\xff]", b"\x01", false)); // signed: -1..97
        assert!(!string_match_len(b"[a-\xff]", b"z", false));
        assert!(string_match_len(b"\xe9*", b"\xe9t\xe9", false));
        assert!(!string_match_len(b"\xc9", b"\xe9", true));
        // 1000 nested '*' may match, 1001 may not (the C recursion limit);
        // a trailing '*' costs no level.
        let a = vec![b'a'; 5000];
        assert!(string_match_len(&b"*?".repeat(1000), &a, false));
        assert!(!string_match_len(&b"*?".repeat(1001), &a, false));
        assert!(string_match_len(
            &[b"*?".repeat(1000), b"*".to_vec()].concat(),
            &a,
            false
        ));
    }

    #[test]
    fn glob_pathological_pattern_is_fast() {
        let pat = "a*".repeat(50) + "b";
        let s = "a".repeat(100);
        let t = std::time::Instant::now();
        assert!(!m(&pat, &s));
        assert!(t.elapsed().as_secs() < 2);
        // Thousands of stars do not need thousands of stack frames.
        let pat = "*x".repeat(100_000);
        assert!(!m(&pat, "xxxx"));
    }

    #[test]
    fn glob_matches_reference_on_random_input() {
        use rand::{Rng, SeedableRng};
        let alphabet = b"ab*?[]^-\\A\xff";
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200_000 {
            let pl = rng.gen_range(0..10);
            let sl = rng.gen_range(0..8);
            let pat: Vec<u8> = (0..pl)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                .collect();
            let s: Vec<u8> = (0..sl)
                .map(|_| b"abA]-\xff*"[rng.gen_range(0..7)])
                .collect();
            let nocase = rng.gen_bool(0.3);
            assert_eq!(
                string_match_len(&pat, &s, nocase),
                reference_match(&pat, &s, nocase),
                "pattern {:?} string {:?} nocase {}",
                String::from_utf8_lossy(&pat),
                String::from_utf8_lossy(&s),
                nocase
            );
        }
    }

    // -- memory units ---------------------------------------------------------

    #[test]
    fn memtoull_units() {
        assert_eq!(memtoull(b"100"), Some(100));
        assert_eq!(memtoull(b"100b"), Some(100));
        assert_eq!(memtoull(b"1k"), Some(1000));
        assert_eq!(memtoull(b"1KB"), Some(1024));
        assert_eq!(memtoull(b"3m"), Some(3_000_000));
        assert_eq!(memtoull(b"3Mb"), Some(3 * 1024 * 1024));
        assert_eq!(memtoull(b"2g"), Some(2_000_000_000));
        assert_eq!(memtoull(b"2gB"), Some(2 * 1024 * 1024 * 1024));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"gb"), Some(0));
        assert_eq!(memtoull(b"-1"), None);
        assert_eq!(memtoull(b"1tb"), None);
        assert_eq!(memtoull(b"1 gb"), None);
        assert_eq!(memtoull(b"1.5gb"), None);
        assert_eq!(memtoull(b"99999999999999999999999"), Some(u64::MAX));
        assert_eq!(
            memtoull(b"18446744073709551615kb"),
            Some(u64::MAX.wrapping_mul(1024))
        );
        assert_eq!(memtoull(b"12\x00zz"), Some(12));
    }

    #[test]
    fn config_memory_format() {
        assert_eq!(rewrite_config_format_memory(0), b"0");
        assert_eq!(rewrite_config_format_memory(1024), b"1kb");
        assert_eq!(rewrite_config_format_memory(1000), b"1000");
        assert_eq!(rewrite_config_format_memory(1024 * 1024 * 3), b"3mb");
        assert_eq!(rewrite_config_format_memory(1 << 30), b"1gb");
        assert_eq!(rewrite_config_format_memory(1536), b"1536");
        assert_eq!(rewrite_config_format_memory(5 << 29), b"2560mb");
        assert_eq!(rewrite_config_format_memory(-2048), b"-2kb");
    }

    // -- integers ----------------------------------------------------------------

    #[test]
    fn digits() {
        let mut v: u64 = 1;
        for n in 1..=19 {
            assert_eq!(digits10(v), n);
            assert_eq!(digits10(v - 1), if n == 1 { 1 } else { n - 1 });
            v *= 10;
        }
        assert_eq!(digits10(u64::MAX), 20);
        assert_eq!(sdigits10(-1), 2);
        assert_eq!(sdigits10(i64::MIN), 20);
        assert_eq!(sdigits10(0), 1);
    }

    #[test]
    fn ll2string_values() {
        for v in [
            0i64,
            1,
            -1,
            9,
            10,
            99,
            100,
            -100,
            12345,
            i64::MAX,
            i64::MIN,
            1 << 40,
        ] {
            assert_eq!(ll_to_bytes(v), v.to_string().into_bytes());
        }
        let mut out = b"x".to_vec();
        append_ull(&mut out, u64::MAX);
        assert_eq!(out, b"x18446744073709551615");
        let mut small = [0u8; 3];
        assert_eq!(ll2string(&mut small, 999), 3);
        assert_eq!(ll2string(&mut small, 1000), 0);
        assert_eq!(ll2string(&mut small, -99), 3);
        assert_eq!(&small, b"-99");
        assert_eq!(ll2string(&mut small, -100), 0);
        assert_eq!(ll2string(&mut small[..1], -1), 0);
    }

    #[test]
    fn string2ll_is_strict() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"1"), Some(1));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"99"), Some(99));
        assert_eq!(string2ll(b"-99"), Some(-99));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"01",
            b"-0",
            b"00",
            b"1a",
            b"0x10",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"100000000000000000000",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(string2l(b"-42"), Some(-42));
    }

    #[test]
    fn string2ull_falls_back_to_strtoull() {
        assert_eq!(string2ull(b"0"), Some(0));
        assert_eq!(string2ull(b"123"), Some(123));
        assert_eq!(string2ull(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(string2ull(b"18446744073709551616"), None);
        assert_eq!(string2ull(b"-1"), None);
        assert_eq!(string2ull(b""), None);
        assert_eq!(string2ull(b" 5"), Some(5)); // redis-server: XADD s " 5-1" gives 5-1
        assert_eq!(string2ull(b"+7"), Some(7));
        assert_eq!(string2ull(b"007"), Some(7));
        assert_eq!(string2ull(b"-0"), Some(0));
        assert_eq!(string2ull(b"-18446744073709551615"), Some(1));
        assert_eq!(string2ull(b"5 "), None);
        assert_eq!(string2ull(b"  "), None);
        assert_eq!(string2ull(b"+"), None);
        assert_eq!(string2ull(b"12\x00garbage"), Some(12));
    }

    // -- doubles ------------------------------------------------------------------

    fn g17(d: f64) -> String {
        let mut out = Vec::new();
        append_double(&mut out, d);
        String::from_utf8(out).unwrap()
    }

    /// glibc's own `%.17g`, for cross-checking.
    fn libc_g17(d: f64) -> String {
        let mut buf = [0u8; 64];
        // SAFETY: snprintf writes at most 64 bytes into `buf`; the format
        // takes exactly one double.
        let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), c"%.17g".as_ptr(), d) };
        String::from_utf8(buf[..n as usize].to_vec()).unwrap()
    }

    #[test]
    fn double_reply_text_matches_redis() {
        // Right-hand sides as printed by redis-server 7.0.15 (ZSCORE).
        let cases: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1e21, "1e+21"),
            (1e-5, "1.0000000000000001e-05"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (3.0, "3"),
            (1.0 / 3.0, "0.33333333333333331"),
            (1e300, "1.0000000000000001e+300"),
            (5e-324, "4.9406564584124654e-324"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (12345678901234567.0, "12345678901234568"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (-2.5e-7, "-2.4999999999999999e-07"),
            (f64::MAX, "1.7976931348623157e+308"),
            (100.0, "100"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.125, "0.125"),
            (-5.0, "-5"),
        ];
        for &(d, want) in cases {
            assert_eq!(g17(d), want, "{d:e}");
        }
        assert_eq!(g17(-0.0), "-0");
        assert_eq!(g17(0.0), "0");
        assert_eq!(g17(f64::NAN), "nan");
        assert_eq!(g17(-f64::NAN), "-nan");
        // An exact tie at the 17th digit rounds to even, like glibc.
        assert_eq!(g17((9007199254740991.0 - 2.0) / 4.0), "2251799813685247.2");
        assert_eq!(g17(9007199254740991.0 / 4.0), "2251799813685247.8");
    }

    #[test]
    fn double_reply_text_matches_glibc_on_random_values() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        for i in 0..300_000u32 {
            let d = match i % 3 {
                0 => f64::from_bits(rng.gen()),
                // Values with few significant digits and mid-size exponents.
                1 => {
                    (rng.gen_range(-1_000_000i64..1_000_000) as f64)
                        * 10f64.powi(rng.gen_range(-25..25))
                }
                _ => rng.gen_range(-1e6..1e6),
            };
            if d.is_nan() {
                continue;
            }
            assert_eq!(g17(d), libc_g17(d), "bits {:#x}", d.to_bits());
        }
        for e in -330..310 {
            let d = 10f64.powi(e);
            assert_eq!(g17(d), libc_g17(d));
            assert_eq!(g17(-d * 1.5), libc_g17(-d * 1.5));
        }
    }

    #[test]
    fn d2string_values() {
        let s = |d: f64| String::from_utf8(d2string(d)).unwrap();
        assert_eq!(s(1.5), "1.5");
        assert_eq!(s(3.0), "3");
        assert_eq!(s(-0.0), "-0");
        assert_eq!(s(0.0), "0");
        assert_eq!(s(f64::NAN), "nan");
        assert_eq!(s(f64::INFINITY), "inf");
        assert_eq!(s(f64::NEG_INFINITY), "-inf");
        assert_eq!(s(123456789012345678.0), "123456789012345680");
        assert_eq!(s(1e17), "100000000000000000");
        assert_eq!(s(4611686018427387904.0), "4611686018427387904"); // 2^62
        assert_eq!(s(9223372036854775808.0), "9.2233720368547758e+18");
        assert_eq!(s(1e21), "1e+21");
        assert_eq!(s(0.1), "0.10000000000000001");
        assert_eq!(s(-7.0), "-7");
    }

    #[test]
    fn double2ll_range() {
        assert_eq!(double2ll(3.0), Some(3));
        assert_eq!(double2ll(-3.0), Some(-3));
        assert_eq!(double2ll(3.5), None);
        assert_eq!(double2ll(4611686018427387904.0), Some(1 << 62));
        assert_eq!(double2ll(-4611686018427387904.0), Some(-(1 << 62)));
        assert_eq!(double2ll(9223372036854775808.0), None);
        assert_eq!(double2ll(f64::NAN), None);
        assert_eq!(double2ll(f64::INFINITY), None);
    }

    #[test]
    fn string2d_acceptance() {
        assert_eq!(string2d(b"1.5"), Some(1.5));
        assert_eq!(string2d(b"-.5e1"), Some(-5.0));
        assert_eq!(string2d(b".5"), Some(0.5));
        assert_eq!(string2d(b"5."), Some(5.0));
        assert_eq!(string2d(b"1e5"), Some(1e5));
        assert_eq!(string2d(b"+3"), Some(3.0));
        assert_eq!(string2d(b"0x1p-3"), Some(0.125)); // ZADD accepts this too
        assert_eq!(string2d(b"0x10"), Some(16.0));
        assert_eq!(string2d(b"inf"), Some(f64::INFINITY));
        assert_eq!(string2d(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(string2d(b"+inf"), Some(f64::INFINITY));
        assert_eq!(string2d(b"infinity"), Some(f64::INFINITY));
        assert_eq!(string2d(b"5e-324"), Some(5e-324));
        assert_eq!(string2d(b"-0"), Some(-0.0));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"1e",
            b"0x",
            b"nan",
            b"-nan",
            b"1e400",
            b"-1e400",
            b"1e-400",
            b"abc",
            b"1\x002",
            b".",
        ] {
            assert_eq!(string2d(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let long = format!("0.{}1", "0".repeat(200));
        assert_eq!(string2d(long.as_bytes()), Some(1e-201));
    }

    #[test]
    fn fixedpoint() {
        let f = |v: f64, d: u32| {
            let mut out = Vec::new();
            let n = fixedpoint_d2string(&mut out, v, d);
            assert_eq!(n, out.len());
            String::from_utf8(out).unwrap()
        };
        assert_eq!(f(0.0, 4), "0.0000");
        assert_eq!(f(0.0, 1), "0.0");
        assert_eq!(f(0.0001, 4), "0.0001");
        assert_eq!(f(6.064_295_159_839_17e-5, 4), "0.0001");
        assert_eq!(f(0.01, 4), "0.0100");
        assert_eq!(f(0.01, 1), "0.0");
        assert_eq!(f(-0.01, 4), "-0.0100");
        assert_eq!(f(-0.1, 1), "-0.1");
        assert_eq!(f(0.1, 1), "0.1");
        assert_eq!(f(0.01, 17), "0.01000000000000000");
        assert_eq!(f(10.01, 4), "10.0100");
        assert_eq!(f(166274.1516, 4), "166274.1516"); // GEODIST Palermo Catania
        assert_eq!(f(10.01, 18), "");
        assert_eq!(f(10.01, 0), "");
    }

    #[test]
    fn trim_double() {
        let t = |s: &str| {
            let mut v = s.as_bytes().to_vec();
            trim_double_string(&mut v);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(t("99.900000"), "99.9");
        assert_eq!(t("50.000000"), "50");
        assert_eq!(t("100"), "100");
        assert_eq!(t("0.000000"), "0");
    }

    // -- long doubles ---------------------------------------------------------------

    fn incr(cur: &str, by: &str) -> Result<String, LdError> {
        incr_long_double(Some(cur.as_bytes()), by.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    #[test]
    fn incrbyfloat_matches_redis() {
        // Right-hand sides as replied by redis-server 7.0.15's INCRBYFLOAT.
        assert_eq!(incr("10.5", "0.1").unwrap(), "10.6");
        assert_eq!(incr("1", "-1.1").unwrap(), "-0.1");
        assert_eq!(incr("17179869184", "1.5").unwrap(), "17179869185.5");
        assert_eq!(incr("5.0e3", "0").unwrap(), "5000");
        assert_eq!(incr("3.0e3", "2.0e3").unwrap(), "5000");
        assert_eq!(incr("1.5e3", "1e-20").unwrap(), "1500");
        assert_eq!(incr("0", "0x10").unwrap(), "16");
        assert_eq!(incr("0", "1.0").unwrap(), "1");
        assert_eq!(incr("0", "1e-20").unwrap(), "0");
        assert_eq!(
            incr("0", "123456789012345678901234567890").unwrap(),
            "123456789012345678899921813504"
        );
        // 80-bit precision: 2e308 still fits, and is printed in full.
        assert_eq!(
            incr("1e308", "1e308").unwrap(),
            "199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096"
        );
        assert_eq!(incr("1.1e4932", "1.1e4932"), Err(LdError::NanOrInfinity));
        assert_eq!(incr("0", "inf"), Err(LdError::NanOrInfinity));
        assert_eq!(incr("0", " 1"), Err(LdError::NotAFloat));
        assert_eq!(incr("0", "1e-5000"), Err(LdError::NotAFloat));
        assert_eq!(incr("0", "1e5000"), Err(LdError::NotAFloat));
        assert_eq!(incr("0", "nan"), Err(LdError::NotAFloat));
        assert_eq!(incr("abc", "1"), Err(LdError::NotAFloat));
        assert_eq!(incr_long_double(None, b"2.5"), Ok(b"2.5".to_vec()));
        assert_eq!(
            LdError::NanOrInfinity.message(),
            "increment would produce NaN or Infinity"
        );
        assert_eq!(LdError::NotAFloat.message(), "value is not a valid float");
    }

    #[test]
    fn incrbyfloat_sequences_match_redis() {
        // 41 increments of 0.0243902439 from 1: redis-server says 1.9999999999.
        let mut v = b"1".to_vec();
        for _ in 0..41 {
            v = incr_long_double(Some(&v), b"0.0243902439").unwrap();
        }
        assert_eq!(v, b"1.9999999999");
        // Ten times 0.1 from 0 gives exactly 1.
        let mut v = b"0".to_vec();
        for _ in 0..10 {
            v = incr_long_double(Some(&v), b"0.1").unwrap();
        }
        assert_eq!(v, b"1");
        // An integer-encoded value goes through from_i64.
        let sum = LongDouble::from_i64(1)
            .checked_add(string2ld(b"0.1").unwrap())
            .unwrap();
        assert_eq!(ld2string(sum, Ld2StringMode::Human), b"1.1");
    }

    #[test]
    fn ld2string_modes() {
        let v = string2ld(b"0.1").unwrap();
        assert_eq!(ld2string(v, Ld2StringMode::Auto), b"0.1");
        assert_eq!(
            ld2string(string2ld(b"1e100").unwrap(), Ld2StringMode::Auto),
            b"1e+100"
        );
        assert_eq!(ld2string(v, Ld2StringMode::Human), b"0.1");
        assert_eq!(
            ld2string(LongDouble::from_f64(0.5), Ld2StringMode::Hex),
            b"0x8p-4"
        );
        let neg_zero = string2ld(b"-0").unwrap();
        assert_eq!(ld2string(neg_zero, Ld2StringMode::Human), b"0");
        assert_eq!(ld2string(neg_zero, Ld2StringMode::Auto), b"-0");
        let inf = string2ld(b"-inf").unwrap();
        assert!(!inf.is_finite());
        assert_eq!(ld2string(inf, Ld2StringMode::Human), b"-inf");
        assert_eq!(LongDouble::from_i64(-42).to_f64(), -42.0);
        assert_eq!(format!("{:?}", LongDouble::from_i64(7)), "LongDouble(7)");
        assert!(string2ld(&vec![b'1'; MAX_LONG_DOUBLE_CHARS]).is_none());
        let mut longest = b"1.".to_vec();
        longest.resize(MAX_LONG_DOUBLE_CHARS - 1, b'0');
        assert_eq!(
            ld2string(string2ld(&longest).unwrap(), Ld2StringMode::Human),
            b"1"
        );
        assert!(string2ld(b"").is_none());
    }

    // -- misc --------------------------------------------------------------------------

    #[test]
    fn random_hex() {
        let a = get_random_hex_chars(40);
        let b = get_random_hex_chars(40);
        assert_eq!(a.len(), 40);
        assert!(a
            .iter()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn clocks() {
        let us = ustime();
        let ms = mstime();
        assert!(us > 1_600_000_000_000_000);
        assert!((ms - us / 1000).abs() < 1000);
    }

    #[test]
    fn paths() {
        assert!(path_is_base_name(b"dump.rdb"));
        assert!(!path_is_base_name(b"dir/dump.rdb"));
        assert!(!path_is_base_name(b"dir\\dump.rdb"));
        assert_eq!(
            make_path(b"appendonlydir", b"x.aof"),
            b"appendonlydir/x.aof"
        );
        assert_eq!(
            get_absolute_path(b" /etc/redis.conf\n").unwrap(),
            b"/etc/redis.conf"
        );
        let cwd = std::env::current_dir().unwrap();
        let cwd = cwd.as_os_str().as_bytes();
        let mut want = cwd.to_vec();
        want.extend_from_slice(b"/nodes.conf");
        assert_eq!(get_absolute_path(b"nodes.conf").unwrap(), want);
        let parent = &cwd[..cwd.iter().rposition(|&c| c == b'/').unwrap() + 1];
        let mut want = parent.to_vec();
        want.extend_from_slice(b"nodes.conf");
        assert_eq!(get_absolute_path(b"../nodes.conf").unwrap(), want);
    }

    #[test]
    fn directories() {
        let base = std::env::temp_dir().join(format!("redis-mio-util-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        dir_create_if_missing(&base).unwrap();
        dir_create_if_missing(&base).unwrap();
        assert!(dir_exists(&base));
        let file = base.join("f");
        fs::write(&file, b"x").unwrap();
        assert!(file_exist(&file));
        assert!(!file_exist(&base));
        assert_eq!(
            dir_create_if_missing(&file).unwrap_err().raw_os_error(),
            Some(libc::ENOTDIR)
        );
        fs::create_dir(base.join("sub")).unwrap();
        fs::write(base.join("sub/g"), b"y").unwrap();
        fsync_file_dir(&file).unwrap();
        fsync_file_dir(Path::new("relative-file")).unwrap();
        dir_remove(&base).unwrap();
        assert!(!dir_exists(&base));
        assert_eq!(bytes_to_path(b"/tmp"), Path::new("/tmp"));
    }
}
