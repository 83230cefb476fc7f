//! Interim helpers; replaced by the full util.rs (branch util).

pub fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = if s[0] == b'-' { (true, &s[1..]) } else { (false, s) };
    if digits.is_empty() || digits[0] == b'0' {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

pub fn string2l(s: &[u8]) -> Option<i64> {
    string2ll(s)
}

pub fn ll2string(buf: &mut [u8; 24], v: i64) -> usize {
    let mut tmp = [0u8; 24];
    let mut n = 0;
    let mut u = v.unsigned_abs();
    loop {
        tmp[n] = b'0' + (u % 10) as u8;
        n += 1;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    let mut len = 0;
    if v < 0 {
        buf[0] = b'-';
        len = 1;
    }
    for i in (0..n).rev() {
        buf[len] = tmp[i];
        len += 1;
    }
    len
}

pub fn string_match_len(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    let _ = nocase;
    pattern == b"*" || pattern == s
}

pub fn mstime() -> i64 {
    ustime() / 1000
}

pub fn ustime() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

pub fn get_random_hex_chars(len: usize) -> Vec<u8> {
    use rand::Rng;
    let mut r = rand::thread_rng();
    (0..len).map(|_| b"0123456789abcdef"[r.gen_range(0..16)]).collect()
}

pub fn d2string(d: f64) -> Vec<u8> {
    format!("{d}").into_bytes()
}
