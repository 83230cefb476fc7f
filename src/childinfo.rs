//! What a forked child tells its parent: a port of `childinfo.c`.
//!
//! A child that saves the dataset cannot touch the parent's memory, so it
//! reports over a pipe: about once a second how many keys it has written
//! and how much memory copy-on-write has cost so far, and when it is done,
//! the final figure. The parent reads these messages in `server_cron` and
//! shows them in INFO persistence (`current_cow_size`,
//! `current_save_keys_processed`, `current_fork_perc`, `rdb_last_cow_size`).
//!
//! A message is four little-endian 64-bit words: type, keys, COW bytes and
//! the time of the COW reading in milliseconds. Both ends are the same
//! binary, so the layout is ours; it fits in one atomic pipe write.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

use crate::server::{server_log_raw, LL_NOTICE, LL_VERBOSE, LL_WARNING};

/// `CHILD_INFO_TYPE_CURRENT_INFO`: progress while the child works.
pub const CHILD_INFO_TYPE_CURRENT_INFO: u64 = 0;
/// `CHILD_INFO_TYPE_RDB_COW_SIZE`: the final report of an RDB child.
pub const CHILD_INFO_TYPE_RDB_COW_SIZE: u64 = 2;

const MSG_LEN: usize = 32;

/// The pipe and the figures of the running child (`child_info_pipe` and
/// the `stat_current_*` fields of `struct redisServer`).
#[derive(Default)]
pub struct ChildInfo {
    read: Option<File>,
    write: Option<File>,
    nread: usize,
    buf: [u8; MSG_LEN],
    pub current_cow_peak: u64,
    pub current_cow_bytes: u64,
    /// Unix ms of the last COW reading, 0 when none.
    pub current_cow_updated: i64,
    pub current_save_keys_processed: u64,
    pub current_save_keys_total: u64,
    /// The child's own throttling of COW readings and its log figures.
    sender: SenderStats,
}

#[derive(Default)]
struct SenderStats {
    cow: u64,
    peak: u64,
    sum: u64,
    count: u64,
    last_info_ms: i64,
}

/// `zmalloc_get_private_dirty`: memory this process has written since the
/// fork, which for a child is what copy-on-write cost.
fn zmalloc_get_private_dirty() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("Private_Dirty:"))
        .filter_map(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
}

impl ChildInfo {
    /// `openChildInfoPipe`, before the fork; the parent's figures restart.
    pub fn open_child_info_pipe(&mut self, keys_total: u64) {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 writes two new descriptors into the array.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } == 0 {
            // SAFETY: both descriptors were just created and are owned here.
            let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
            self.read = Some(File::from(r));
            self.write = Some(File::from(w));
        }
        self.nread = 0;
        self.current_cow_peak = 0;
        self.current_cow_bytes = 0;
        self.current_cow_updated = 0;
        self.current_save_keys_processed = 0;
        self.current_save_keys_total = keys_total;
    }

    /// After the fork, in the parent: only the child writes.
    pub fn parent_after_fork(&mut self) {
        self.write = None;
    }

    /// `closeChildInfoPipe` and the statistics part of `resetChildState`.
    pub fn close_child_info_pipe(&mut self) {
        self.read = None;
        self.write = None;
        self.nread = 0;
        self.current_cow_peak = 0;
        self.current_cow_bytes = 0;
        self.current_cow_updated = 0;
        self.current_save_keys_processed = 0;
        self.current_save_keys_total = 0;
    }

    /// `sendChildInfoGeneric`, in the child: `keys` written so far; the COW
    /// reading is logged (verbosely for progress reports).
    pub fn send_child_info(&mut self, info_type: u64, keys: u64, pname: &str) {
        let Some(w) = self.write.as_mut() else { return };
        let s = &mut self.sender;
        let cow = zmalloc_get_private_dirty();
        s.cow = cow;
        s.peak = s.peak.max(cow);
        s.sum += cow;
        s.count += 1;
        let final_report = info_type != CHILD_INFO_TYPE_CURRENT_INFO;
        if cow > 0 || final_report {
            server_log_raw(
                if final_report { LL_NOTICE } else { LL_VERBOSE },
                &format!(
                    "Fork CoW for {pname}: current {} MB, peak {} MB, average {} MB",
                    cow >> 20,
                    s.peak >> 20,
                    (s.sum / s.count) >> 20
                ),
            );
        }
        let mut msg = [0u8; MSG_LEN];
        msg[0..8].copy_from_slice(&info_type.to_le_bytes());
        msg[8..16].copy_from_slice(&keys.to_le_bytes());
        msg[16..24].copy_from_slice(&cow.to_le_bytes());
        msg[24..32].copy_from_slice(&crate::util::mstime().to_le_bytes());
        if let Err(e) = w.write_all(&msg) {
            server_log_raw(
                LL_WARNING,
                &format!(
                    "Child failed reporting info to parent, exiting. {}",
                    crate::config::helpers::strerror(&e)
                ),
            );
            // SAFETY: a child leaves with _exit (see rdb::save::redis_fork).
            unsafe { libc::_exit(1) };
        }
    }

    /// The child's periodic report: every 1024 keys, at most once a second
    /// (the throttling of `rdbSaveDb`).
    pub fn maybe_send_current_info(&mut self, keys: u64, pname: &str) {
        if self.write.is_none() || keys & 1023 != 0 {
            return;
        }
        let now = crate::util::mstime();
        if now - self.sender.last_info_ms >= 1000 {
            self.sender.last_info_ms = now;
            self.send_child_info(CHILD_INFO_TYPE_CURRENT_INFO, keys, pname);
        }
    }

    /// `receiveChildInfo`: applies every complete message waiting in the
    /// pipe. Returns the final COW figure when the child sent it.
    pub fn receive_child_info(&mut self) -> Option<u64> {
        let mut final_cow = None;
        while let Some(r) = self.read.as_mut() {
            if self.nread == MSG_LEN {
                self.nread = 0;
            }
            match r.read(&mut self.buf[self.nread..]) {
                Ok(n) if n > 0 => self.nread += n,
                _ => break,
            }
            if self.nread < MSG_LEN {
                continue;
            }
            let word = |i: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&self.buf[i * 8..i * 8 + 8]);
                u64::from_le_bytes(b)
            };
            let (info_type, keys, cow, updated) = (word(0), word(1), word(2), word(3));
            self.current_cow_peak = self.current_cow_peak.max(cow);
            if info_type == CHILD_INFO_TYPE_CURRENT_INFO {
                self.current_cow_bytes = cow;
                self.current_cow_updated = updated as i64;
                self.current_save_keys_processed = keys;
            } else if info_type == CHILD_INFO_TYPE_RDB_COW_SIZE {
                final_cow = Some(self.current_cow_peak);
            }
        }
        final_cow
    }
}
