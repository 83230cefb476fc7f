//! The slow log: a port of `slowlog.c`.
//!
//! After each command `call()` hands its duration to
//! [`slowlog_push_entry_if_needed`]; commands at least
//! `slowlog-log-slower-than` microseconds long are remembered, newest
//! first, up to `slowlog-max-len` entries. An entry keeps a trimmed copy of
//! the arguments (the original ones when the command rewrote its argv, with
//! secrets already redacted), the client's address and name. The SLOWLOG
//! command reads and clears the log.

use std::collections::VecDeque;

use crate::networking::Client;
use crate::server::Server;

/// `SLOWLOG_ENTRY_MAX_ARGC`: arguments kept per entry.
pub const SLOWLOG_ENTRY_MAX_ARGC: usize = 32;
/// `SLOWLOG_ENTRY_MAX_STRING`: bytes kept per argument.
pub const SLOWLOG_ENTRY_MAX_STRING: usize = 128;

/// `slowlogEntry`.
#[derive(Debug)]
pub struct SlowlogEntry {
    pub argv: Vec<Vec<u8>>,
    pub id: i64,
    /// Microseconds the command took.
    pub duration: i64,
    /// Unix time of the entry.
    pub time: i64,
    pub cname: Vec<u8>,
    pub peerid: String,
}

/// `server.slowlog` and `server.slowlog_entry_id`.
#[derive(Default)]
pub struct Slowlog {
    /// Newest first.
    entries: VecDeque<SlowlogEntry>,
    next_id: i64,
}

/// `slowlogCreateEntry`: copies at most `SLOWLOG_ENTRY_MAX_ARGC` arguments,
/// the last kept one saying how many were left out, and cuts arguments
/// longer than `SLOWLOG_ENTRY_MAX_STRING` bytes.
fn slowlog_create_argv(argv: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let argc = argv.len();
    let slargc = argc.min(SLOWLOG_ENTRY_MAX_ARGC);
    let mut out = Vec::with_capacity(slargc);
    for (j, arg) in argv.iter().take(slargc).enumerate() {
        if slargc != argc && j == slargc - 1 {
            out.push(format!("... ({} more arguments)", argc - slargc + 1).into_bytes());
        } else if arg.len() > SLOWLOG_ENTRY_MAX_STRING {
            let mut s = arg[..SLOWLOG_ENTRY_MAX_STRING].to_vec();
            s.extend_from_slice(
                format!("... ({} more bytes)", arg.len() - SLOWLOG_ENTRY_MAX_STRING).as_bytes(),
            );
            out.push(s);
        } else {
            out.push(arg.clone());
        }
    }
    out
}

impl Slowlog {
    /// Adds an entry at the head.
    fn push(&mut self, argv: Vec<Vec<u8>>, duration: i64, c: &Client) {
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push_front(SlowlogEntry {
            argv,
            id,
            duration,
            time: crate::util::ustime() / 1_000_000,
            cname: c.name.clone().unwrap_or_default(),
            peerid: c.addr.clone(),
        });
    }

    /// `slowlogReset`.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// `slowlogPushCurrentCommand` + `slowlogPushEntryIfNeeded`: logs the
/// client's command if it took at least `slowlog-log-slower-than` µs
/// (negative: the log is off), then trims the log to `slowlog-max-len`.
/// The arguments logged are the ones the client sent, with the secrets
/// redacted (`original_argv`), when the command rewrote or redacted them.
pub fn slowlog_push_entry_if_needed(server: &mut Server, c: &Client, duration: i64) {
    let slower_than = server.config.slowlog_log_slower_than;
    if slower_than < 0 {
        return;
    }
    let max_len = server.config.slowlog_max_len as usize;
    if duration >= slower_than {
        let argv = slowlog_create_argv(c.original_argv.as_deref().unwrap_or(&c.argv));
        server.slowlog.push(argv, duration, c);
    }
    // Trimmed even without a new entry: slowlog-max-len may have shrunk.
    server.slowlog.entries.truncate(max_len);
}

/// SLOWLOG GET [count] | LEN | RESET | HELP.
pub fn slowlog_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    match (sub.as_slice(), c.argv.len()) {
        (b"help", 2) => c.add_reply_help(
            "SLOWLOG",
            &[
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        ),
        (b"reset", 2) => {
            server.slowlog.reset();
            c.add_reply_ok();
        }
        (b"len", 2) => c.add_reply_long_long(server.slowlog.len() as i64),
        (b"get", 2 | 3) => {
            let mut count = 10usize;
            if c.argv.len() == 3 {
                match crate::util::string2ll(&c.argv[2]) {
                    Some(-1) => count = server.slowlog.len(),
                    Some(n) if n >= 0 => count = n as usize,
                    // Not a number gets the same message as a too small one.
                    _ => {
                        c.add_reply_error("count should be greater than or equal to -1");
                        return;
                    }
                }
            }
            let sent = count.min(server.slowlog.len());
            c.add_reply_array_len(sent as i64);
            for se in server.slowlog.entries.iter().take(sent) {
                c.add_reply_array_len(6);
                c.add_reply_long_long(se.id);
                c.add_reply_long_long(se.time);
                c.add_reply_long_long(se.duration);
                c.add_reply_array_len(se.argv.len() as i64);
                for a in &se.argv {
                    c.add_reply_bulk(a);
                }
                c.add_reply_bulk(se.peerid.as_bytes());
                c.add_reply_bulk(&se.cname);
            }
        }
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn keeps_short_commands_whole() {
        assert_eq!(
            slowlog_create_argv(&args(&["set", "k", "v"])),
            args(&["set", "k", "v"])
        );
    }

    #[test]
    fn trims_many_arguments() {
        let mut v = vec!["sadd".to_string(), "set".to_string()];
        v.extend((3..=33).map(|i| i.to_string()));
        let argv: Vec<Vec<u8>> = v.iter().map(|s| s.as_bytes().to_vec()).collect();
        let out = slowlog_create_argv(&argv);
        assert_eq!(out.len(), SLOWLOG_ENTRY_MAX_ARGC);
        assert_eq!(out[30], b"31");
        assert_eq!(out[31], b"... (2 more arguments)");
    }

    #[test]
    fn logs_redacted_original_arguments() {
        let mut c = Client::new(1, None, 0);
        c.argv.set(args(&["config", "set", "masterauth", "secret"]));
        c.redact_client_command_argument(3);
        // The command still sees the secret; the log gets the redacted copy.
        assert_eq!(c.argv[3], b"secret");
        let logged = slowlog_create_argv(c.original_argv.as_deref().unwrap_or(&c.argv));
        assert_eq!(logged, args(&["config", "set", "masterauth", "(redacted)"]));
        // Out of range indexes are ignored.
        c.redact_client_command_argument(9);
    }

    #[test]
    fn trims_long_arguments() {
        let long = vec![b'A'; 129];
        let out = slowlog_create_argv(&[b"sadd".to_vec(), long]);
        let mut expect = vec![b'A'; 128];
        expect.extend_from_slice(b"... (1 more bytes)");
        assert_eq!(out[1], expect);
        // Exactly 128 bytes is kept as is.
        assert_eq!(slowlog_create_argv(&[vec![b'B'; 128]])[0].len(), 128);
    }
}
