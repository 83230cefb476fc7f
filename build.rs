//! Compiles `src/ld.c`: the long double arithmetic and the libc number
//! parsing/formatting that `util.rs` cannot express in Rust (see that file).

fn main() {
    println!("cargo:rerun-if-changed=src/ld.c");
    cc::Build::new()
        .file("src/ld.c")
        .flag_if_supported("-std=c11")
        .warnings(true)
        .compile("redis_mio_ld");
}
