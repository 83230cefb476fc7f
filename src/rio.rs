//! Streams the RDB code reads and writes: a port of `rio.c`.
//!
//! The RDB encoder and decoder do not care whether bytes go to a file, to
//! a memory buffer (DUMP, RESTORE, and later a replica's socket): they
//! talk to a [`Rio`], which also keeps what every backend shares, the
//! running CRC-64 of the bytes (the RDB trailer, when `rdbchecksum` asks
//! for it), the count of bytes processed (loading progress, DEBUG OBJECT's
//! serialized length) and a sticky error flag.
//!
//! A file being written can be synced as it grows (`rio_set_auto_sync`,
//! the `rdb-save-incremental-fsync` setting): every 4 MB the kernel is
//! told to start writing the pages out and to finish the previous batch,
//! so a large save never leaves gigabytes of dirty pages behind it.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::fd::AsRawFd;

use crate::crc64::crc64;

/// `REDIS_AUTOSYNC_BYTES`: the incremental fsync step.
pub const REDIS_AUTOSYNC_BYTES: u64 = 1024 * 1024 * 4;

/// Where the bytes go or come from.
enum RioIo<'a> {
    /// Written into memory (DUMP, the serialized length of DEBUG OBJECT).
    Buffer(Vec<u8>),
    /// Read from memory (RESTORE).
    Slice {
        data: &'a [u8],
        pos: usize,
    },
    /// Only counted: the length a value would have on disk.
    Null,
    FileWrite {
        w: BufWriter<File>,
        /// Bytes written since the last sync step.
        buffered: u64,
        /// Sync every this many bytes; 0 disables.
        autosync: u64,
    },
    FileRead(BufReader<File>),
}

/// `rio`: a stream with a checksum and a byte counter.
pub struct Rio<'a> {
    io: RioIo<'a>,
    /// Whether `cksum` follows the bytes (`update_cksum` set in C).
    pub update_cksum: bool,
    pub cksum: u64,
    /// Bytes read or written so far.
    pub processed_bytes: u64,
    /// Set by the first failed read or write (`RIO_FLAG_*_ERROR`).
    error: bool,
    /// What the C encoder and decoder read from globals, carried by the
    /// stream they work on: `rdbcompression` for writers, and whether a
    /// reader decodes a RESTORE payload (its failures are logged quietly).
    pub rdb_compression: bool,
    pub restore_context: bool,
}

impl<'a> Rio<'a> {
    fn new(io: RioIo<'a>) -> Rio<'a> {
        Rio {
            io,
            update_cksum: false,
            cksum: 0,
            processed_bytes: 0,
            error: false,
            rdb_compression: true,
            restore_context: false,
        }
    }

    /// `rioInitWithBuffer` for writing.
    pub fn with_buffer() -> Rio<'static> {
        Rio::new(RioIo::Buffer(Vec::new()))
    }

    /// `rioInitWithBuffer` for reading `data`.
    pub fn with_slice(data: &'a [u8]) -> Rio<'a> {
        Rio::new(RioIo::Slice { data, pos: 0 })
    }

    /// A writer that only counts (C passes a NULL rio for this).
    pub fn null() -> Rio<'static> {
        Rio::new(RioIo::Null)
    }

    /// `rioInitWithFile` for a file opened for writing.
    pub fn with_file_writer(f: File) -> Rio<'static> {
        Rio::new(RioIo::FileWrite {
            w: BufWriter::with_capacity(64 * 1024, f),
            buffered: 0,
            autosync: 0,
        })
    }

    /// `rioInitWithFile` for a file opened for reading.
    pub fn with_file_reader(f: File) -> Rio<'static> {
        Rio::new(RioIo::FileRead(BufReader::with_capacity(64 * 1024, f)))
    }

    /// `rioSetAutoSync`: sync a file being written every `bytes` (0: never).
    pub fn rio_set_auto_sync(&mut self, bytes: u64) {
        if let RioIo::FileWrite { autosync, .. } = &mut self.io {
            *autosync = bytes;
        }
    }

    /// The bytes written to a buffer stream (empty for other kinds).
    pub fn into_buffer(self) -> Vec<u8> {
        match self.io {
            RioIo::Buffer(b) => b,
            _ => Vec::new(),
        }
    }

    /// The bytes of a buffer stream written so far.
    pub fn buffer_mut(&mut self) -> Option<&mut Vec<u8>> {
        match &mut self.io {
            RioIo::Buffer(b) => Some(b),
            _ => None,
        }
    }

    /// `rioGetReadError` / `rioGetWriteError`.
    pub fn has_error(&self) -> bool {
        self.error
    }

    /// `rioWrite`: false (and the error flag) if the bytes could not be
    /// written.
    pub fn rio_write(&mut self, buf: &[u8]) -> bool {
        if self.error {
            return false;
        }
        if self.update_cksum {
            self.cksum = crc64(self.cksum, buf);
        }
        let ok = match &mut self.io {
            RioIo::Buffer(b) => {
                b.extend_from_slice(buf);
                true
            }
            RioIo::Null => true,
            RioIo::Slice { .. } | RioIo::FileRead(_) => false,
            RioIo::FileWrite {
                w,
                buffered,
                autosync,
            } => rio_file_write(w, buffered, *autosync, self.processed_bytes, buf),
        };
        if ok {
            self.processed_bytes += buf.len() as u64;
        } else {
            self.error = true;
        }
        ok
    }

    /// `rioRead`: fills `buf` completely, or returns false at the end of
    /// the data (a short read) or on an I/O error.
    pub fn rio_read(&mut self, buf: &mut [u8]) -> bool {
        if self.error {
            return false;
        }
        let ok = match &mut self.io {
            RioIo::Slice { data, pos } => match data.get(*pos..*pos + buf.len()) {
                Some(src) => {
                    buf.copy_from_slice(src);
                    *pos += buf.len();
                    true
                }
                None => false,
            },
            RioIo::FileRead(r) => r.read_exact(buf).is_ok(),
            RioIo::Buffer(_) | RioIo::Null | RioIo::FileWrite { .. } => false,
        };
        if !ok {
            self.error = true;
            return false;
        }
        if self.update_cksum {
            self.cksum = crc64(self.cksum, buf);
        }
        self.processed_bytes += buf.len() as u64;
        true
    }

    /// Bytes left to read, when the stream knows (a memory slice): lets a
    /// loader refuse a length that cannot be there before allocating it.
    pub fn remaining(&self) -> Option<usize> {
        match &self.io {
            RioIo::Slice { data, pos } => Some(data.len().saturating_sub(*pos)),
            _ => None,
        }
    }

    /// `rioFlush` followed, for files, by an fsync: true on success.
    pub fn rio_flush_and_sync(&mut self) -> Result<(), (&'static str, std::io::Error)> {
        if let RioIo::FileWrite { w, .. } = &mut self.io {
            w.flush().map_err(|e| ("fflush", e))?;
            w.get_ref().sync_all().map_err(|e| ("fsync", e))?;
        }
        Ok(())
    }
}

/// `rioFileWrite`: with autosync, writes in steps that end on multiples
/// of the sync size and starts the writeout of each full step, waiting
/// for the one before it.
fn rio_file_write(
    w: &mut BufWriter<File>,
    buffered: &mut u64,
    autosync: u64,
    processed_before: u64,
    buf: &[u8],
) -> bool {
    if autosync == 0 {
        return w.write_all(buf).is_ok();
    }
    let mut nwritten = 0usize;
    while nwritten < buf.len() {
        let room = autosync.saturating_sub(*buffered).max(1) as usize;
        let towrite = room.min(buf.len() - nwritten);
        if w.write_all(&buf[nwritten..nwritten + towrite]).is_err() {
            return false;
        }
        nwritten += towrite;
        *buffered += towrite as u64;
        if *buffered >= autosync {
            if w.flush().is_err() {
                return false;
            }
            let processed = processed_before + nwritten as u64;
            let fd = w.get_ref().as_raw_fd();
            // SAFETY: sync_file_range only reads the descriptor and ranges.
            let rc = unsafe {
                libc::sync_file_range(
                    fd,
                    (processed - autosync) as libc::off64_t,
                    autosync as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                )
            };
            if rc == -1 {
                return false;
            }
            if processed >= autosync * 2 {
                // SAFETY: as above.
                let rc = unsafe {
                    libc::sync_file_range(
                        fd,
                        (processed - autosync * 2) as libc::off64_t,
                        autosync as libc::off64_t,
                        libc::SYNC_FILE_RANGE_WAIT_BEFORE
                            | libc::SYNC_FILE_RANGE_WRITE
                            | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                    )
                };
                if rc == -1 {
                    return false;
                }
            }
            *buffered = 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_round_trip_with_checksum() {
        let mut w = Rio::with_buffer();
        w.update_cksum = true;
        assert!(w.rio_write(b"1234"));
        assert!(w.rio_write(b"56789"));
        assert_eq!(w.cksum, crc64(0, b"123456789"));
        assert_eq!(w.processed_bytes, 9);
        let data = w.into_buffer();
        let mut r = Rio::with_slice(&data);
        r.update_cksum = true;
        let mut b = [0u8; 9];
        assert!(r.rio_read(&mut b));
        assert_eq!(r.cksum, crc64(0, b"123456789"));
        assert!(!r.rio_read(&mut [0u8; 1]));
        assert!(r.has_error());
    }

    #[test]
    fn autosync_file_writes_everything() {
        let path = std::env::temp_dir().join(format!("rio-test-{}", std::process::id()));
        let f = File::create(&path).expect("create");
        let mut w = Rio::with_file_writer(f);
        w.rio_set_auto_sync(4096);
        let chunk = vec![7u8; 3000];
        for _ in 0..10 {
            assert!(w.rio_write(&chunk));
        }
        assert!(w.rio_flush_and_sync().is_ok());
        drop(w);
        assert_eq!(std::fs::metadata(&path).map(|m| m.len()).ok(), Some(30000));
        let _ = std::fs::remove_file(&path);
    }
}
