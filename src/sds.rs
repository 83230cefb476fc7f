//! Byte strings for the keyspace, and the string helpers of `sds.c`.
//!
//! In C every key and every small string value is an `sds`: a length header
//! glued to a heap buffer. Here [`Sds`] plays that part for keys and short
//! values. It is 24 bytes, the size of a `Vec<u8>`, but keeps strings of up
//! to [`Sds::INLINE_CAP`] (23) bytes inside itself, so the common short key
//! costs no allocation at all; longer strings live in a `Box<[u8]>`, which
//! has no spare capacity because keys are never appended to (values that
//! grow, like APPEND/SETRANGE targets, use a `Vec<u8>` elsewhere).
//!
//! The module also ports the free functions of `sds.c` the server needs:
//! [`sds_split_args`] (the tokenizer of inline commands, redis.conf lines and
//! `CONFIG SET` multi-values), [`sds_cat_repr`] (the quoted form of MONITOR,
//! CLIENT LIST and log lines) and [`sds_split_len`].

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use crate::util::is_c_space;

/// Length of an inline string. Being an enum with 24 values (rather than a
/// `u8`) leaves 232 unused bit patterns in this byte, and the compiler keeps
/// the `Inline`/`Heap` discriminant there: that is what makes [`Sds`] fit in
/// 24 bytes with 23 usable inline bytes, without any unsafe code.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum InlineLen {
    L0 = 0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
    L16,
    L17,
    L18,
    L19,
    L20,
    L21,
    L22,
    L23,
}

/// Index `n` holds the `InlineLen` whose value is `n`.
const INLINE_LENS: [InlineLen; Sds::INLINE_CAP + 1] = {
    use InlineLen::*;
    [
        L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15, L16, L17, L18, L19,
        L20, L21, L22, L23,
    ]
};

#[derive(Clone)]
enum Repr {
    /// Bytes `[..len]` of the array are the string; the rest are zero.
    Inline([u8; Sds::INLINE_CAP], InlineLen),
    /// Only used for strings longer than `INLINE_CAP`, so each string has
    /// exactly one representation.
    Heap(Box<[u8]>),
}

/// An immutable, binary-safe byte string: the key type of the keyspace.
///
/// It behaves like a `[u8]` everywhere it matters: it derefs to one, borrows
/// as one, hashes and compares like one. So a `HashMap<Sds, V>` (or the
/// server's `Dict`) can be searched with a plain `&[u8]` taken from a client's
/// query buffer, without building an `Sds` first.
#[derive(Clone)]
pub struct Sds(Repr);

// The whole point of the type; checked at compile time.
const _: () = assert!(std::mem::size_of::<Sds>() == 24);

impl Sds {
    /// Longest string kept inside the struct without a heap allocation.
    pub const INLINE_CAP: usize = 23;

    /// Copies `bytes` into a new string.
    pub fn new(bytes: &[u8]) -> Sds {
        if bytes.len() <= Self::INLINE_CAP {
            let mut buf = [0u8; Self::INLINE_CAP];
            buf[..bytes.len()].copy_from_slice(bytes);
            Sds(Repr::Inline(buf, INLINE_LENS[bytes.len()]))
        } else {
            Sds(Repr::Heap(bytes.into()))
        }
    }

    /// The empty string (no allocation).
    pub const fn empty() -> Sds {
        Sds(Repr::Inline([0; Self::INLINE_CAP], InlineLen::L0))
    }

    /// The string's bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(buf, len) => &buf[..*len as usize],
            Repr::Heap(b) => b,
        }
    }

    /// Length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline(_, len) => *len as usize,
            Repr::Heap(b) => b.len(),
        }
    }

    /// True for the empty string.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the bytes are stored inside the struct (no heap block).
    /// Memory accounting (MEMORY USAGE, INFO) uses this.
    #[inline]
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline(..))
    }

    /// Turns the string into a `Vec<u8>`; a heap string gives up its buffer
    /// without copying.
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline(buf, len) => buf[..len as usize].to_vec(),
            Repr::Heap(b) => b.into_vec(),
        }
    }
}

impl Default for Sds {
    fn default() -> Sds {
        Sds::empty()
    }
}

impl From<&[u8]> for Sds {
    fn from(bytes: &[u8]) -> Sds {
        Sds::new(bytes)
    }
}

impl From<&str> for Sds {
    fn from(s: &str) -> Sds {
        Sds::new(s.as_bytes())
    }
}

impl From<Vec<u8>> for Sds {
    /// Short strings are copied inline (and the vector freed); long ones keep
    /// the vector's buffer, shrunk to fit.
    fn from(v: Vec<u8>) -> Sds {
        if v.len() <= Self::INLINE_CAP {
            Sds::new(&v)
        } else {
            Sds(Repr::Heap(v.into_boxed_slice()))
        }
    }
}

impl From<Sds> for Vec<u8> {
    fn from(s: Sds) -> Vec<u8> {
        s.into_vec()
    }
}

impl Deref for Sds {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl AsRef<[u8]> for Sds {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Hash for Sds {
    /// Exactly `<[u8] as Hash>::hash`, as `Borrow<[u8]>` requires.
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl PartialEq for Sds {
    #[inline]
    fn eq(&self, other: &Sds) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Sds {}

impl PartialEq<[u8]> for Sds {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_bytes() == other
    }
}

impl PartialEq<&[u8]> for Sds {
    fn eq(&self, other: &&[u8]) -> bool {
        self.as_bytes() == *other
    }
}

impl PartialOrd for Sds {
    fn partial_cmp(&self, other: &Sds) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sds {
    /// Byte-wise, shorter first on a common prefix: the order of `sdscmp`.
    fn cmp(&self, other: &Sds) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for Sds {
    /// Prints like a Rust byte-string literal: `b"key\x00\n"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("b\"")?;
        for &c in self.as_bytes() {
            match c {
                b'"' => f.write_str("\\\"")?,
                b'\'' => f.write_str("'")?,
                _ => {
                    for e in std::ascii::escape_default(c) {
                        fmt::Write::write_char(f, e as char)?;
                    }
                }
            }
        }
        f.write_str("\"")
    }
}

/// Splits `s` at every occurrence of `sep`, like `sdssplitlen`.
///
/// As in C, an empty input or an empty separator gives no tokens at all,
/// while separators next to each other (or at either end) give empty tokens:
/// `"a,,b,"` split at `","` is `["a", "", "b", ""]`.
pub fn sds_split_len(s: &[u8], sep: &[u8]) -> Vec<Vec<u8>> {
    let mut tokens = Vec::new();
    if sep.is_empty() || s.is_empty() {
        return tokens;
    }
    let mut start = 0;
    let mut j = 0;
    while j + sep.len() <= s.len() {
        if &s[j..j + sep.len()] == sep {
            tokens.push(s[start..j].to_vec());
            start = j + sep.len();
            j = start;
        } else {
            j += 1;
        }
    }
    tokens.push(s[start..].to_vec());
    tokens
}

/// Appends the double-quoted, escaped form of `s` to `out`, like
/// `sdscatrepr`: `\\`, `\"`, `\n`, `\r`, `\t`, `\a`, `\b` are written as
/// escapes, printable ASCII as is, and every other byte as `\xhh` with
/// lowercase hex digits.
pub fn sds_cat_repr(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', c]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            // isprint() of the "C" locale.
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[(c >> 4) as usize],
                HEX[(c & 15) as usize],
            ]),
        }
    }
    out.push(b'"');
}

fn hex_digit_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments the way `redis-cli`, redis.conf and inline
/// commands do (`sdssplitargs`). Returns `None` on unbalanced quotes or
/// when a closing quote is directly followed by something other than white
/// space.
///
/// Rules, all as in C:
/// - arguments are separated by white space; leading and trailing white
///   space gives no empty argument, and an empty line gives an empty vector;
/// - inside `"..."` the escapes `\n \r \t \b \a`, `\xHH` (two hex digits)
///   and `\<any>` (that character) are understood;
/// - inside `'...'` only `\'` is an escape, everything else is literal;
/// - a quoted part may follow unquoted text in the same argument (`a"b c"`
///   is `ab c`), but nothing may follow the closing quote;
/// - an unquoted argument ends only at space, tab, CR, LF (so a vertical tab
///   or form feed inside it is kept, although they count as white space
///   between arguments);
/// - the C function sees a NUL-terminated string, so a zero byte ends the
///   line here too.
pub fn sds_split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = match line.iter().position(|&c| c == 0) {
        Some(nul) => &line[..nul],
        None => line,
    };
    // Reading past the end yields 0, standing in for C's terminator.
    let at = |i: usize| -> u8 { line.get(i).copied().unwrap_or(0) };
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && is_c_space(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut in_dq = false;
        let mut in_sq = false;
        let mut current = Vec::new();
        loop {
            let c = at(p);
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(hi), Some(lo)) =
                        (hex_digit_value(at(p + 2)), hex_digit_value(at(p + 3)))
                    {
                        current.push(hi * 16 + lo);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    let next = at(p + 1);
                    if next != 0 && !is_c_space(next) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None; // unterminated "
                } else {
                    current.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    let next = at(p + 1);
                    if next != 0 && !is_c_space(next) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None; // unterminated '
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        p += 1;
                        break;
                    }
                    0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => current.push(c),
                }
            }
            p += 1;
        }
        args.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;
    use std::collections::HashMap;

    fn args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
        sds_split_args(line)
    }

    fn v(list: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
        Some(list.iter().map(|s| s.to_vec()).collect())
    }

    #[test]
    fn size_and_inline_boundary() {
        assert_eq!(std::mem::size_of::<Sds>(), 24);
        assert_eq!(std::mem::size_of::<Option<Sds>>(), 24);
        let s23 = Sds::new(&[b'x'; 23]);
        assert!(s23.is_inline());
        assert_eq!(s23.len(), 23);
        let s24 = Sds::new(&[b'y'; 24]);
        assert!(!s24.is_inline());
        assert_eq!(s24.len(), 24);
        assert_eq!(&*s24, &[b'y'; 24][..]);
        let e = Sds::new(b"");
        assert!(e.is_empty() && e.is_inline());
        assert_eq!(Sds::default(), e);
    }

    #[test]
    fn conversions_round_trip() {
        for n in [0usize, 1, 5, 22, 23, 24, 25, 100, 1000] {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 7) as u8).collect();
            let a = Sds::new(&bytes);
            let b = Sds::from(bytes.clone());
            let c = Sds::from(&bytes[..]);
            assert_eq!(a, b);
            assert_eq!(b, c);
            assert_eq!(a.as_bytes(), &bytes[..]);
            assert_eq!(a.is_inline(), n <= 23);
            assert_eq!(b.is_inline(), n <= 23);
            assert_eq!(a.clone().into_vec(), bytes);
            assert_eq!(Vec::from(b), bytes);
        }
        assert_eq!(Sds::from("hello").as_bytes(), b"hello");
        assert_eq!(Sds::from("hello"), &b"hello"[..]);
    }

    #[test]
    fn hash_and_borrow_like_slices() {
        fn h<T: Hash + ?Sized>(t: &T) -> u64 {
            let mut s = DefaultHasher::new();
            t.hash(&mut s);
            s.finish()
        }
        for s in [&b""[..], b"k", b"key:000000000001", &[b'z'; 40]] {
            assert_eq!(h(&Sds::new(s)), h(s));
        }
        let mut m: HashMap<Sds, i32> = HashMap::new();
        m.insert(Sds::from("short"), 1);
        m.insert(Sds::from("a key that is much longer than 23 bytes"), 2);
        assert_eq!(m.get(&b"short"[..]), Some(&1));
        assert_eq!(
            m.get(&b"a key that is much longer than 23 bytes"[..]),
            Some(&2)
        );
        assert_eq!(m.get(&b"missing"[..]), None);
    }

    #[test]
    fn ordering_is_bytewise() {
        let mut keys: Vec<Sds> = [
            "b",
            "a",
            "ab",
            "",
            "\u{7f}",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ]
        .iter()
        .map(|s| Sds::from(*s))
        .collect();
        keys.push(Sds::new(&[0xff]));
        keys.sort();
        let got: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        assert_eq!(
            got,
            vec![
                &b""[..],
                b"a",
                b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                b"ab",
                b"b",
                b"\x7f",
                b"\xff"
            ]
        );
    }

    #[test]
    fn debug_is_a_byte_string() {
        assert_eq!(format!("{:?}", Sds::from("key")), r#"b"key""#);
        assert_eq!(
            format!("{:?}", Sds::new(b"a\"b'c\\\n\x00\xff")),
            r#"b"a\"b'c\\\n\x00\xff""#
        );
    }

    #[test]
    fn split_len() {
        let out = sds_split_len(b"a,,b,", b",");
        assert_eq!(out, vec![b"a".to_vec(), vec![], b"b".to_vec(), vec![]]);
        assert_eq!(
            sds_split_len(b"foo_-_bar", b"_-_"),
            vec![b"foo".to_vec(), b"bar".to_vec()]
        );
        assert_eq!(sds_split_len(b"abc", b"xyz"), vec![b"abc".to_vec()]);
        assert_eq!(sds_split_len(b"ab", b"abc"), vec![b"ab".to_vec()]);
        assert!(sds_split_len(b"", b",").is_empty());
        assert!(sds_split_len(b"abc", b"").is_empty());
        // Overlapping candidates: the separator found first wins.
        assert_eq!(sds_split_len(b"aaa", b"aa"), vec![vec![], b"a".to_vec()]);
    }

    #[test]
    fn cat_repr() {
        let mut out = b"x=".to_vec();
        sds_cat_repr(&mut out, b"a\\b\"c\n\r\t\x07\x08 ~\x00\x7f\x80\xff");
        assert_eq!(&out[..], &br#"x="a\\b\"c\n\r\t\a\b ~\x00\x7f\x80\xff""#[..]);
        let mut out = Vec::new();
        sds_cat_repr(&mut out, b"");
        assert_eq!(out, b"\"\"");
    }

    #[test]
    fn split_args_plain() {
        assert_eq!(args(b""), v(&[]));
        assert_eq!(args(b"   \t\r\n"), v(&[]));
        assert_eq!(args(b"set key value"), v(&[b"set", b"key", b"value"]));
        assert_eq!(
            args(b"  set\tkey \r\n value  "),
            v(&[b"set", b"key", b"value"])
        );
        // VT and FF separate arguments only before an argument starts.
        assert_eq!(args(b"\x0ba\x0bb\x0c c"), v(&[b"a\x0bb\x0c", b"c"]));
        // A zero byte ends the line.
        assert_eq!(args(b"a b\x00c d"), v(&[b"a", b"b"]));
    }

    #[test]
    fn split_args_double_quotes() {
        assert_eq!(args(br#""hello world" x"#), v(&[b"hello world", b"x"]));
        assert_eq!(args(br#""""#), v(&[b""]));
        assert_eq!(args(br#""\x41\x4a\x4A\x7e""#), v(&[b"AJJ~"]));
        assert_eq!(args(br#""\x4""#), v(&[b"x4"]));
        assert_eq!(args(br#""\xzz""#), v(&[b"xzz"]));
        assert_eq!(args(br#""\n\r\t\b\a\"\\\q""#), v(&[b"\n\r\t\x08\x07\"\\q"]));
        assert_eq!(args(br#"a"b c"d"#), None);
        assert_eq!(args(br#"a"b c" d"#), v(&[b"ab c", b"d"]));
        assert_eq!(args(br#""a"b"#), None);
        assert_eq!(args(b"\"a\"\x0bb"), v(&[b"a", b"b"]));
        assert_eq!(args(br#""unterminated"#), None);
        assert_eq!(args(br#""ends with backslash\"#), None);
        assert_eq!(args(b"\"nul\x00inside\""), None);
    }

    #[test]
    fn split_args_single_quotes() {
        assert_eq!(args(br#"'it\'s' ok"#), v(&[b"it's", b"ok"]));
        assert_eq!(args(br#"'\n\x41\q'"#), v(&[br#"\n\x41\q"#]));
        // A backslash before the closing quote escapes it, as in C.
        assert_eq!(args(br#"'a\\'"#), None);
        assert_eq!(args(br#"'a'b"#), None);
        assert_eq!(args(br#"'open"#), None);
        assert_eq!(args(br#"''"#), v(&[b""]));
        assert_eq!(args(br#"x'y z'"#), v(&[b"xy z"]));
        assert_eq!(args(br#"'a"b'"#), v(&[b"a\"b"]));
    }
}
