//! Small helpers only the config code needs: byte/String glue (config
//! values are kept as `String`s), `include` globbing and C's `strtoll`
//! rules. The util.c / sds.c functions config.c calls come from
//! [`crate::util`] and [`crate::sds`].

use super::*;

/*-----------------------------------------------------------------------------
 * Small helpers
 *----------------------------------------------------------------------------*/

pub(super) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// [`sds_cat_repr`] as a `String`, for building config lines; its output is
/// plain ASCII, so nothing is lost.
pub(super) fn repr_string(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    sds_cat_repr(&mut out, s);
    lossy(&out)
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
pub fn strerror(e: &io::Error) -> String {
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
