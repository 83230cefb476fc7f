//! Small parsing helpers config.c borrows from util.c and sds.c. They live
//! here until those modules land; each is marked with the function that
//! replaces it at merge time.

use super::*;

/*-----------------------------------------------------------------------------
 * Small helpers
 *----------------------------------------------------------------------------*/

pub(super) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(super) fn trim_bytes<'a>(mut s: &'a [u8], set: &[u8]) -> &'a [u8] {
    while let [first, rest @ ..] = s {
        if !set.contains(first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !set.contains(last) {
            break;
        }
        s = rest;
    }
    s
}

pub(super) fn truncate_at_char_boundary(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// The OS error text alone, as C's strerror() prints it.
pub(super) fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// The working directory, or "" if it cannot be read.
pub(super) fn current_dir_string() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Absolute form of a config path: joined to the working directory, with
/// leading `../` folded into it. `None` if the directory cannot be read.
pub(super) fn get_absolute_path(filename: &str) -> Option<String> {
    let mut relpath = filename.trim_matches([' ', '\r', '\n', '\t']);
    if relpath.starts_with('/') {
        return Some(relpath.to_string());
    }
    let mut abspath = std::env::current_dir().ok()?.to_string_lossy().into_owned();
    if !abspath.ends_with('/') {
        abspath.push('/');
    }
    while let Some(rest) = relpath.strip_prefix("../") {
        relpath = rest;
        if abspath.len() > 1 {
            // Drop the last folder, keeping its leading slash.
            let without_slash = &abspath[..abspath.len() - 1];
            let keep = without_slash.rfind('/').map_or(0, |i| i + 1);
            abspath.truncate(keep);
        }
    }
    abspath.push_str(relpath);
    Some(abspath)
}

/// Files matching an `include` pattern, sorted like glob(3). Wildcards may
/// appear in any path component; hidden files need an explicit dot.
pub(super) fn glob_config_files(pattern: &str) -> Vec<PathBuf> {
    let has_meta = |s: &str| s.contains(['*', '?', '[']);
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let mut paths = vec![if pattern.starts_with('/') {
        "/".to_string()
    } else {
        String::new()
    }];
    for (i, comp) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let mut next = Vec::new();
        for base in &paths {
            let join = |name: &str| {
                if base.is_empty() {
                    name.to_string()
                } else if base.ends_with('/') {
                    format!("{base}{name}")
                } else {
                    format!("{base}/{name}")
                }
            };
            if !has_meta(comp) {
                next.push(join(comp));
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                if name.starts_with('.') && !comp.starts_with('.') {
                    continue;
                }
                if string_match_len(comp.as_bytes(), name.as_bytes(), false) {
                    let path = join(&name);
                    if last || Path::new(&path).is_dir() {
                        next.push(path);
                    }
                }
            }
        }
        paths = next;
    }
    paths.retain(|p| !p.is_empty() && Path::new(p).exists());
    paths.sort();
    paths.into_iter().map(PathBuf::from).collect()
}

pub(super) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

pub(super) fn hex_digit_to_int(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Splits a line into arguments like redis-cli and redis.conf do: blanks
/// separate, "double quotes" take \n \r \t \b \a \xHH escapes, 'single
/// quotes' only \'. `None` on unbalanced quotes or a closing quote glued to
/// the next word. A NUL ends the line, as in C.
// TODO(merge): use sds::sds_split_args
pub(super) fn sds_split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    let mut vector = Vec::new();
    loop {
        while at(p) != 0 && is_c_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Some(vector);
        }
        let (mut inq, mut insq, mut done) = (false, false, false);
        let mut current = Vec::new();
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && at(p + 2).is_ascii_hexdigit()
                    && at(p + 3).is_ascii_hexdigit()
                {
                    current.push(hex_digit_to_int(at(p + 2)) * 16 + hex_digit_to_int(at(p + 3)));
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
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
                    // The closing quote must end the word.
                    if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    _ => current.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        vector.push(current);
    }
}

/// Quotes bytes so that [`sds_split_args`] reads them back unchanged.
// TODO(merge): use sds::sds_cat_repr
pub(super) fn sds_cat_repr(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for &c in s {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
    out
}

/// Glob match of `string` against `pattern` (`*`, `?`, `[a-z]`, `[^x]`,
/// `\` escapes), optionally ignoring ASCII case.
// TODO(merge): use util::string_match_len
pub(super) fn string_match_len(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer_matches = false;
    string_match_impl(pattern, string, nocase, &mut skip_longer_matches, 0)
}

pub(super) fn string_match_impl(
    pattern: &[u8],
    string: &[u8],
    nocase: bool,
    skip_longer_matches: &mut bool,
    nesting: usize,
) -> bool {
    // Each `*` recurses once; a hostile pattern must not exhaust the stack.
    if nesting > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let pat = |i: usize| pattern.get(i).copied().unwrap_or(0);
    let (mut p, mut s) = (0usize, 0usize);
    while p < pattern.len() && s < string.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                while s < string.len() {
                    if string_match_impl(
                        &pattern[p + 1..],
                        &string[s..],
                        nocase,
                        skip_longer_matches,
                        nesting + 1,
                    ) {
                        return true;
                    }
                    if *skip_longer_matches {
                        return false;
                    }
                    s += 1;
                }
                // Nothing after this star matches anywhere further on, so
                // earlier stars need not try longer matches either.
                *skip_longer_matches = true;
                return false;
            }
            b'?' => s += 1,
            b'[' => {
                p += 1;
                let not = pat(p) == b'^';
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    let left = pattern.len().saturating_sub(p);
                    if pat(p) == b'\\' && left >= 2 {
                        p += 1;
                        if pattern[p] == string[s] {
                            matched = true;
                        }
                    } else if pat(p) == b']' {
                        break;
                    } else if left == 0 {
                        p = p.saturating_sub(1);
                        break;
                    } else if left >= 3 && pattern[p + 1] == b'-' {
                        let (mut start, mut end, mut c) = (pattern[p], pattern[p + 2], string[s]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = start.to_ascii_lowercase();
                            end = end.to_ascii_lowercase();
                            c = c.to_ascii_lowercase();
                        }
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if eq(pattern[p], string[s]) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
            }
            c => {
                let c = if c == b'\\' && pattern.len() - p >= 2 {
                    p += 1;
                    pattern[p]
                } else {
                    c
                };
                if !eq(c, string[s]) {
                    return false;
                }
                s += 1;
            }
        }
        p += 1;
        if s == string.len() {
            while pat(p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pattern.len() && s == string.len()
}

/// Strict decimal integer: optional `-`, no `+`, no spaces, no leading
/// zeros, no overflow.
// TODO(merge): use util::string2ll
pub(super) fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
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
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        if v > i64::MAX as u64 + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Memory size: digits then an optional unit, `b`, `k` (1000), `kb`
/// (1024), `m`, `mb`, `g`, `gb`, any case. Like C, no digits means 0, a
/// digit overflow saturates and the unit product wraps.
// TODO(merge): use util::memtoull
pub(super) fn memtoull(p: &str) -> Option<u64> {
    if p.starts_with('-') {
        return None;
    }
    let digits_len = p.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, unit) = p.split_at(digits_len);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let val = digits.bytes().fold(0u64, |acc, c| {
        acc.checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(c - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(val.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, base)` followed by a check that `*end == '\0'`:
/// leading blanks and a sign are allowed, the empty string reads as 0, and
/// an overflow saturates for base 10 (C never checks errno there) but
/// fails for base 8 (octal callers do).
pub(super) fn strtoll_full(s: &str, base: u32) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_c_space(b[i]) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = b.get(i).and_then(|c| (*c as char).to_digit(base)) {
        match v
            .checked_mul(u64::from(base))
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    let limit = if negative {
        i64::MAX as u64 + 1
    } else {
        i64::MAX as u64
    };
    if overflow || v > limit {
        if base != 10 {
            return None;
        }
        return Some(if negative { i64::MIN } else { i64::MAX });
    }
    Some(if negative {
        (v as i64).wrapping_neg()
    } else {
        v as i64
    })
}

/// A double spanning the whole string, no leading blank, not NaN, no
/// overflow or underflow to zero.
// TODO(merge): use util::string2d
pub(super) fn string2d(s: &str) -> Option<f64> {
    if s.is_empty() || is_c_space(s.as_bytes()[0]) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let lower = s.to_ascii_lowercase();
    if v.is_infinite() && !lower.contains("inf") {
        return None; // overflow
    }
    let mantissa = lower.split('e').next().unwrap_or("");
    if v == 0.0 && mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c)) {
        return None; // underflow
    }
    Some(v)
}
