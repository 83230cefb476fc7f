use super::*;

fn written(f: impl FnOnce(&mut Rio) -> SaveResult) -> Vec<u8> {
    let mut rdb = Rio::with_buffer();
    let n = f(&mut rdb).expect("write to memory");
    let out = rdb.into_buffer();
    assert_eq!(n, out.len(), "returned length is the bytes written");
    out
}

#[test]
fn lengths_use_the_four_forms() {
    assert_eq!(written(|r| rdb_save_len(r, 5)), [5]);
    assert_eq!(written(|r| rdb_save_len(r, 300)), [0x41, 0x2c]);
    assert_eq!(
        written(|r| rdb_save_len(r, 70000)),
        [0x80, 0, 1, 0x11, 0x70]
    );
    assert_eq!(
        written(|r| rdb_save_len(r, 1 << 40)),
        [0x81, 0, 0, 1, 0, 0, 0, 0, 0]
    );
    for len in [0u64, 63, 64, 16383, 16384, u32::MAX as u64, u64::MAX] {
        let b = written(|r| rdb_save_len(r, len));
        let mut r = Rio::with_slice(&b);
        assert_eq!(rdb_load_len(&mut r), Ok(len));
    }
}

#[test]
fn strings_pick_integer_lzf_or_raw() {
    // Canonical integers become 8, 16 or 32 bit encodings.
    assert_eq!(written(|r| rdb_save_raw_string(r, b"12")), [0xc0, 12]);
    assert_eq!(
        written(|r| rdb_save_raw_string(r, b"-200")),
        [0xc1, 0x38, 0xff]
    );
    assert_eq!(
        written(|r| rdb_save_raw_string(r, b"100000")),
        [0xc2, 0xa0, 0x86, 1, 0]
    );
    // Not canonical: stored as text.
    assert_eq!(
        written(|r| rdb_save_raw_string(r, b"012")),
        [3, b'0', b'1', b'2']
    );
    // Compressible and longer than 20 bytes: LZF.
    let a = [b'a'; 100];
    let b = written(|r| rdb_save_raw_string(r, &a));
    assert_eq!(b[0], 0xc3);
    assert!(b.len() < 20);
    let mut r = Rio::with_slice(&b);
    assert_eq!(rdb_load_string(&mut r), Ok(a.to_vec()));
    // With compression off, as is.
    let mut w = Rio::with_buffer();
    w.rdb_compression = false;
    rdb_save_raw_string(&mut w, &a).expect("write");
    assert_eq!(w.into_buffer().len(), 102);
}

#[test]
fn integers_beyond_32_bits_are_text() {
    let b = written(|r| rdb_save_long_long_as_string_object(r, 1 << 40));
    assert_eq!(b, b"\x0d1099511627776");
    let mut r = Rio::with_slice(&b);
    let o = rdb_load_encoded_string_object(&mut r).expect("load");
    assert_eq!(o.encoding_name(), "int");
}

#[test]
fn doubles_in_both_forms() {
    for v in [0.0, -1.5, 3.25e100, f64::INFINITY, f64::NEG_INFINITY] {
        let b = written(|r| rdb_save_double_value(r, v));
        let mut r = Rio::with_slice(&b);
        assert_eq!(rdb_load_double_value(&mut r), Ok(v));
        let b = written(|r| rdb_save_binary_double_value(r, v));
        let mut r = Rio::with_slice(&b);
        assert_eq!(rdb_load_binary_double_value(&mut r), Ok(v));
    }
    let b = written(|r| rdb_save_double_value(r, f64::NAN));
    assert_eq!(b, [253]);
    assert_eq!(written(|r| rdb_save_double_value(r, 10.0)), b"\x0210");
    let b = written(|r| rdb_save_binary_float_value(r, 1.5));
    let mut r = Rio::with_slice(&b);
    assert_eq!(rdb_load_binary_float_value(&mut r), Ok(1.5));
}

#[test]
fn bad_encodings_are_reported_not_panics() {
    // 0xc4: an unknown special string encoding.
    let mut r = Rio::with_slice(&[0xc4]);
    assert!(matches!(
        rdb_load_string(&mut r),
        Err(RdbLoadError::Reported { line: 529, .. })
    ));
    // A length announcing more than there is.
    let mut r = Rio::with_slice(&[0x80, 0xff, 0xff, 0xff, 0xff, 1, 2]);
    assert_eq!(rdb_load_string(&mut r), Err(RdbLoadError::Eof));
    // LZF whose data does not expand to the announced length.
    let mut r = Rio::with_slice(&[0xc3, 2, 10, 0x00, b'a']);
    assert!(matches!(
        rdb_load_string(&mut r),
        Err(RdbLoadError::Reported { line: 413, .. })
    ));
    // Random bytes: any outcome but a panic.
    let mut x = 99u32;
    for _ in 0..5000 {
        let data: Vec<u8> = (0..(x % 24))
            .map(|_| {
                x = x.wrapping_mul(1664525).wrapping_add(1013904223);
                (x >> 24) as u8
            })
            .collect();
        let mut r = Rio::with_slice(&data);
        let _ = rdb_load_string(&mut r);
        let mut r = Rio::with_slice(&data);
        let _ = rdb_load_double_value(&mut r);
    }
}

#[test]
fn module_names_unpack_from_ids() {
    // "ReJSON-RL" with encoding version 3, as RedisJSON registers it.
    let cset = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut id: u64 = 0;
    for &c in b"ReJSON-RL" {
        id = (id << 6) | cset.iter().position(|&x| x == c).unwrap_or(0) as u64;
    }
    id = (id << 10) | 3;
    assert_eq!(module_type_name_by_id(id), "ReJSON-RL");
}
