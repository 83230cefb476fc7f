//! Clients: a port of `networking.c`.
//!
//! A [`Client`] is one connection: its query buffer, the command being
//! parsed (`argv`), and its output buffers. Bytes arrive in
//! [`read_query_from_client`], are cut into commands by
//! [`process_inline_buffer`] / [`process_multibulk_buffer`] and run through
//! `process_command`; replies are appended with the `add_reply_*` methods
//! into a 16 KiB buffer followed by a list of blocks, and are written out
//! once per loop turn by [`handle_clients_with_pending_writes`], called from
//! `before_sleep`. Only when a write would block does the client ask the
//! loop for `WRITABLE` events, exactly like `ae`'s write handler install.
//!
//! While a command runs, its client is taken out of `Server::clients` and
//! passed as `&mut Client`: that is the C code's `client *c` argument, and
//! it lets a command touch the keyspace and its client's buffers at once.
//! Code that must reach every client (CLIENT LIST, PUBLISH) is handed the
//! current client alongside the table.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::Token;

use crate::ae::{AE_READABLE, AE_WRITABLE};
use crate::server::{Server, LL_VERBOSE};
use crate::util::{ll2string, string2ll};

pub mod client_cmd;

pub const CLIENT_SLAVE: u64 = 1 << 0;
pub const CLIENT_MASTER: u64 = 1 << 1;
pub const CLIENT_MONITOR: u64 = 1 << 2;
pub const CLIENT_MULTI: u64 = 1 << 3;
pub const CLIENT_BLOCKED: u64 = 1 << 4;
pub const CLIENT_DIRTY_CAS: u64 = 1 << 5;
pub const CLIENT_CLOSE_AFTER_REPLY: u64 = 1 << 6;
pub const CLIENT_UNBLOCKED: u64 = 1 << 7;
pub const CLIENT_ASKING: u64 = 1 << 9;
pub const CLIENT_CLOSE_ASAP: u64 = 1 << 10;
pub const CLIENT_UNIX_SOCKET: u64 = 1 << 11;
pub const CLIENT_DIRTY_EXEC: u64 = 1 << 12;
pub const CLIENT_READONLY: u64 = 1 << 17;
pub const CLIENT_PUBSUB: u64 = 1 << 18;
pub const CLIENT_PENDING_WRITE: u64 = 1 << 21;
pub const CLIENT_REPLY_OFF: u64 = 1 << 22;
pub const CLIENT_REPLY_SKIP_NEXT: u64 = 1 << 23;
pub const CLIENT_REPLY_SKIP: u64 = 1 << 24;
pub const CLIENT_PENDING_COMMAND: u64 = 1 << 30;
pub const CLIENT_PROTOCOL_ERROR: u64 = 1 << 39;
pub const CLIENT_CLOSE_AFTER_COMMAND: u64 = 1 << 40;
pub const CLIENT_DENY_BLOCKING: u64 = 1 << 41;
pub const CLIENT_NO_EVICT: u64 = 1 << 43;
/// A pub/sub message is being added: it goes out even under CLIENT REPLY
/// OFF/SKIP, which only silence replies to the client's own commands.
pub const CLIENT_PUSHING: u64 = 1 << 44;

pub const CLIENT_TYPE_NORMAL: usize = 0;
pub const CLIENT_TYPE_SLAVE: usize = 1;
pub const CLIENT_TYPE_PUBSUB: usize = 2;
pub const CLIENT_TYPE_MASTER: usize = 3;

pub const PROTO_REQ_INLINE: u8 = 1;
pub const PROTO_REQ_MULTIBULK: u8 = 2;
pub const PROTO_IOBUF_LEN: usize = 16 * 1024;
pub const PROTO_REPLY_CHUNK_BYTES: usize = 16 * 1024;
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;
pub const PROTO_MBULK_BIG_ARG: usize = 32 * 1024;
/// Query buffers above this size are trimmed to their recent peak by the cron.
pub const PROTO_RESIZE_THRESHOLD: usize = 32 * 1024;
pub const NET_MAX_WRITES_PER_EVENT: usize = 64 * 1024;
/// How many reads one readable event may do before the client is parked on
/// the pending-read list (mio is edge-triggered, see `ae.rs`).
const MAX_READS_PER_EVENT: usize = 16;

/// The socket of a client.
pub enum Conn {
    Tcp(mio::net::TcpStream),
    Unix(mio::net::UnixStream),
}

impl Conn {
    fn source(&mut self) -> &mut dyn mio::event::Source {
        match self {
            Conn::Tcp(s) => s,
            Conn::Unix(s) => s,
        }
    }

    /// The file descriptor, as CLIENT LIST prints it.
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self {
            Conn::Tcp(s) => s.as_raw_fd(),
            Conn::Unix(s) => s.as_raw_fd(),
        }
    }
}

// Plain read(2)/write(2) on the socket, as connSocketRead/Write do: the
// std/mio streams go through recv/send with flags, which costs a little more
// per call on the one-request-per-round-trip path. SIGPIPE is ignored at
// start-up, so a write to a closed peer returns EPIPE instead of a signal.
impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: the fd is open for the life of `self`, and read writes at
        // most buf.len() bytes into memory we own exclusively.
        let n = unsafe { libc::read(self.fd(), buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: the fd is open for the life of `self`, and write only
        // reads buf.len() bytes from the slice.
        let n = unsafe { libc::write(self.fd(), buf.as_ptr() as *const libc::c_void, buf.len()) };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The arguments of the command being parsed or run (`argv`/`argc`).
///
/// It reads like a `Vec<Vec<u8>>` (`c.argv[i]`, `c.argv.len()`, iteration,
/// all through `Deref` to a slice), but the argument buffers outlive the
/// command: the parser copies the next command's arguments into the buffers
/// of the previous one, so a client running small commands allocates nothing
/// per argument. C allocates an object per argument instead; this is the
/// cheaper way to the same thing. Only small buffers and a few of them are
/// kept, so an idle client holds at most `ARGV_POOL_MAX * ARGV_POOL_ARG_MAX`
/// bytes of them. A handler may still take an argument out
/// (`std::mem::take(&mut c.argv[i])`); its slot simply allocates again next
/// time.
#[derive(Default)]
pub struct Argv {
    /// `bufs[..argc]` are the arguments; the rest are spare buffers.
    bufs: Vec<Vec<u8>>,
    argc: usize,
}

/// Argument buffers kept between commands, and the largest capacity kept.
const ARGV_POOL_MAX: usize = 16;
const ARGV_POOL_ARG_MAX: usize = 256;

impl Argv {
    /// Appends a copy of `arg`, in a recycled buffer when there is one.
    #[inline]
    pub fn push_copy(&mut self, arg: &[u8]) {
        if let Some(buf) = self.bufs.get_mut(self.argc) {
            buf.clear();
            buf.extend_from_slice(arg);
        } else {
            self.bufs.push(arg.to_vec());
        }
        self.argc += 1;
    }

    /// Appends an argument built by the caller.
    pub fn push(&mut self, arg: Vec<u8>) {
        if let Some(buf) = self.bufs.get_mut(self.argc) {
            *buf = arg;
        } else {
            self.bufs.push(arg);
        }
        self.argc += 1;
    }

    /// Replaces every argument (inline commands, rewritten commands).
    pub fn set(&mut self, args: Vec<Vec<u8>>) {
        self.clear();
        for a in args {
            self.push(a);
        }
    }

    /// Drops the arguments, keeping a few small buffers for the next ones.
    pub fn clear(&mut self) {
        let keep = self.argc.min(ARGV_POOL_MAX);
        for buf in &mut self.bufs[..keep] {
            if buf.capacity() > ARGV_POOL_ARG_MAX {
                *buf = Vec::new();
            }
        }
        self.bufs.truncate(ARGV_POOL_MAX);
        self.argc = 0;
    }

    /// Room for `n` arguments.
    pub fn reserve(&mut self, n: usize) {
        self.bufs.reserve(n.saturating_sub(self.bufs.len()));
    }

    /// Slots held, arguments and spare buffers (for memory reports).
    pub fn capacity(&self) -> usize {
        self.bufs.capacity()
    }
}

impl std::ops::Deref for Argv {
    type Target = [Vec<u8>];
    #[inline]
    fn deref(&self) -> &[Vec<u8>] {
        &self.bufs[..self.argc]
    }
}

impl std::ops::DerefMut for Argv {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Vec<u8>] {
        &mut self.bufs[..self.argc]
    }
}

/// A position in the reply list reserved by `add_reply_deferred_len`.
#[derive(Clone, Copy, Debug)]
pub struct DeferredLen(u64);

/// One connection, as `struct client`.
pub struct Client {
    /// CLIENT ID: unique, increasing.
    pub id: u64,
    /// The key of this client in `Server::clients`.
    pub slot: usize,
    pub conn: Option<Conn>,
    pub token: Option<Token>,
    pub flags: u64,
    pub db: usize,
    pub resp: u8,
    pub name: Option<Vec<u8>>,
    pub authenticated: bool,
    /// Peer and local address strings, as CLIENT LIST prints them.
    pub addr: String,
    pub laddr: String,

    // Input.
    pub querybuf: Vec<u8>,
    /// End of the received data in `querybuf` (the vector itself is kept
    /// initialised up to its length, so reads need no zeroing).
    pub qb_end: usize,
    pub qb_pos: usize,
    pub querybuf_peak: usize,
    pub reqtype: u8,
    pub multibulklen: i64,
    pub bulklen: i64,
    pub argv: Argv,
    /// Sum of the argument lengths (`argv_len_sum`), for CLIENT LIST.
    pub argv_len_sum: usize,
    /// The arguments as sent, kept only once a command rewrites or
    /// redacts its argv, so that the slowlog shows what the client typed
    /// with its secrets hidden; `call` drops it after the command.
    pub original_argv: Option<Vec<Vec<u8>>>,
    /// Index of the command being run in `Server::commands`.
    pub cmd: Option<usize>,
    pub lastcmd: Option<usize>,
    /// Why the client is blocked (`blocked::BLOCKED_*`).
    pub btype: u8,

    // Output.
    pub buf: Vec<u8>,
    pub reply: VecDeque<Vec<u8>>,
    /// Index of `reply[0]` counted since the client was created, so that a
    /// deferred length stays addressable while blocks are written out.
    reply_base: u64,
    pub reply_bytes: usize,
    /// Bytes of `buf` (or of `reply[0]` once `buf` is done) already written.
    pub sentlen: usize,
    pub obuf_soft_limit_reached_time: i64,
    /// Error codes replied during the current command, turned into
    /// error statistics by `call` (C updates them inside addReplyError).
    pub pending_errors: Vec<Vec<u8>>,

    pub ctime: i64,
    pub lastinteraction: i64,
    /// What the client waits for while blocked on keys (`c->bpop`).
    pub bpop: crate::blocked::BlockingState,
    /// MULTI queue and WATCHed keys (multi.rs).
    pub mstate: crate::multi::MultiState,
    /// Subscribed channels and patterns (pubsub.rs).
    pub pubsub: crate::pubsub::ClientPubsub,
}

impl Client {
    /// `createClient`, without the registration (done by the caller).
    pub fn new(id: u64, conn: Option<Conn>, now: i64) -> Client {
        Client {
            id,
            slot: usize::MAX,
            conn,
            token: None,
            flags: 0,
            db: 0,
            resp: 2,
            name: None,
            authenticated: false,
            addr: String::new(),
            laddr: String::new(),
            querybuf: Vec::new(),
            qb_end: 0,
            qb_pos: 0,
            querybuf_peak: 0,
            reqtype: 0,
            multibulklen: 0,
            bulklen: -1,
            argv: Argv::default(),
            argv_len_sum: 0,
            original_argv: None,
            cmd: None,
            lastcmd: None,

            btype: crate::blocked::BLOCKED_NONE,
            buf: Vec::new(),
            reply: VecDeque::new(),
            reply_base: 0,
            reply_bytes: 0,
            sentlen: 0,
            obuf_soft_limit_reached_time: 0,
            pending_errors: Vec::new(),
            ctime: now,
            lastinteraction: now,
            bpop: Default::default(),
            mstate: Default::default(),
            pubsub: Default::default(),
        }
    }

    /// `getClientType`.
    pub fn client_type(&self) -> usize {
        if self.flags & CLIENT_MASTER != 0 {
            CLIENT_TYPE_MASTER
        } else if self.flags & CLIENT_SLAVE != 0 && self.flags & CLIENT_MONITOR == 0 {
            CLIENT_TYPE_SLAVE
        } else if self.flags & CLIENT_PUBSUB != 0 {
            CLIENT_TYPE_PUBSUB
        } else {
            CLIENT_TYPE_NORMAL
        }
    }

    /// `clientHasPendingReplies`.
    pub fn has_pending_replies(&self) -> bool {
        !self.buf.is_empty() || !self.reply.is_empty()
    }

    /// The part of `prepareClientToWrite` that decides whether a reply may be
    /// queued at all.
    #[inline]
    fn reply_allowed(&self) -> bool {
        let f = self.flags;
        f & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP | CLIENT_MASTER) == 0
            && (f & (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP) == 0 || f & CLIENT_PUSHING != 0)
    }

    // ------------------------------------------------------------------
    // Low level reply functions.
    // ------------------------------------------------------------------

    /// `_addReplyToBufferOrList`: appends raw protocol.
    #[inline]
    pub fn add_reply_proto(&mut self, s: &[u8]) {
        if !self.reply_allowed() {
            return;
        }
        self.add_reply_proto_unchecked(s);
    }

    fn add_reply_proto_unchecked(&mut self, s: &[u8]) {
        if self.reply.is_empty() {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(PROTO_REPLY_CHUNK_BYTES);
            }
            let room = self.buf.capacity() - self.buf.len();
            if s.len() <= room {
                self.buf.extend_from_slice(s);
                return;
            }
            let (now, rest) = s.split_at(room);
            self.buf.extend_from_slice(now);
            self.add_reply_proto_to_list(rest);
        } else {
            self.add_reply_proto_to_list(s);
        }
    }

    /// `_addReplyProtoToList`: fills the tail block, then a new one.
    fn add_reply_proto_to_list(&mut self, mut s: &[u8]) {
        if let Some(tail) = self.reply.back_mut() {
            let room = tail.capacity() - tail.len();
            let n = room.min(s.len());
            tail.extend_from_slice(&s[..n]);
            s = &s[n..];
        }
        if !s.is_empty() {
            let mut block = Vec::with_capacity(s.len().max(PROTO_REPLY_CHUNK_BYTES));
            block.extend_from_slice(s);
            self.reply_bytes += block.capacity();
            self.reply.push_back(block);
        }
    }

    /// The whole pending output as one buffer, leaving the client's
    /// buffers empty (the script client hands its reply to the script).
    pub fn take_reply(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        self.reply_base += self.reply.len() as u64;
        for block in self.reply.drain(..) {
            out.extend_from_slice(&block);
        }
        self.reply_bytes = 0;
        self.sentlen = 0;
        out
    }

    /// `addReplyDeferredLen`: reserves room for a length that is only known
    /// after the elements are emitted.
    pub fn add_reply_deferred_len(&mut self) -> Option<DeferredLen> {
        if !self.reply_allowed() {
            return None;
        }
        // An empty block marks the place; later bytes go into a fresh block.
        self.reply.push_back(Vec::new());
        let handle = DeferredLen(self.reply_base + self.reply.len() as u64 - 1);
        self.reply
            .push_back(Vec::with_capacity(PROTO_REPLY_CHUNK_BYTES));
        self.reply_bytes += PROTO_REPLY_CHUNK_BYTES;
        Some(handle)
    }

    fn set_deferred_reply(&mut self, d: Option<DeferredLen>, prefix: u8, len: i64) {
        let Some(DeferredLen(pos)) = d else { return };
        let Some(idx) = pos.checked_sub(self.reply_base) else {
            return;
        };
        if let Some(block) = self.reply.get_mut(idx as usize) {
            write_len_header(block, prefix, len);
        }
    }

    /// `setDeferredArrayLen`.
    pub fn set_deferred_array_len(&mut self, d: Option<DeferredLen>, len: i64) {
        self.set_deferred_reply(d, b'*', len);
    }

    /// `setDeferredMapLen`: RESP3 map, or a flat array of twice the pairs.
    pub fn set_deferred_map_len(&mut self, d: Option<DeferredLen>, len: i64) {
        if self.resp == 2 {
            self.set_deferred_reply(d, b'*', len * 2);
        } else {
            self.set_deferred_reply(d, b'%', len);
        }
    }

    /// `setDeferredReplyBulkSds`: fills a reserved place with a bulk
    /// string (XAUTOCLAIM's cursor, known after the entries it precedes).
    pub fn set_deferred_bulk(&mut self, d: Option<DeferredLen>, s: &[u8]) {
        let Some(DeferredLen(pos)) = d else { return };
        let Some(idx) = pos.checked_sub(self.reply_base) else {
            return;
        };
        if let Some(block) = self.reply.get_mut(idx as usize) {
            write_len_header(block, b'$', s.len() as i64);
            block.extend_from_slice(s);
            block.extend_from_slice(b"\r\n");
        }
    }

    /// `setDeferredSetLen`.
    pub fn set_deferred_set_len(&mut self, d: Option<DeferredLen>, len: i64) {
        let prefix = if self.resp == 2 { b'*' } else { b'~' };
        self.set_deferred_reply(d, prefix, len);
    }

    // ------------------------------------------------------------------
    // Higher level reply functions, one per RESP type.
    // ------------------------------------------------------------------

    /// `addReply` of a shared protocol string such as `+OK\r\n`.
    #[inline]
    pub fn add_reply(&mut self, proto: &[u8]) {
        self.add_reply_proto(proto);
    }

    pub fn add_reply_ok(&mut self) {
        self.add_reply_proto(b"+OK\r\n");
    }

    /// `addReplyStatus`: `+status`.
    pub fn add_reply_status(&mut self, status: &str) {
        self.add_reply_status_bytes(status.as_bytes());
    }

    pub fn add_reply_status_bytes(&mut self, status: &[u8]) {
        if !self.reply_allowed() {
            return;
        }
        self.add_reply_proto_unchecked(b"+");
        // A status must stay on one line.
        if status.iter().any(|&b| b == b'\r' || b == b'\n') {
            let clean: Vec<u8> = status
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            self.add_reply_proto_unchecked(&clean);
        } else {
            self.add_reply_proto_unchecked(status);
        }
        self.add_reply_proto_unchecked(b"\r\n");
    }

    /// `addReplyErrorLength` + `afterErrorReply`: `-ERR msg`, or the message
    /// as is when it already starts with an error code (`-WRONGTYPE ...`).
    pub fn add_reply_error(&mut self, err: &str) {
        self.add_reply_error_bytes(err.as_bytes());
    }

    pub fn add_reply_error_bytes(&mut self, err: &[u8]) {
        // Newlines would break the protocol: Redis turns them into spaces.
        let clean;
        let err = if err.iter().any(|&b| b == b'\r' || b == b'\n') {
            clean = err
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect::<Vec<u8>>();
            &clean[..]
        } else {
            err
        };
        if self.reply_allowed() {
            if err.first() != Some(&b'-') {
                self.add_reply_proto_unchecked(b"-ERR ");
            }
            self.add_reply_proto_unchecked(err);
            self.add_reply_proto_unchecked(b"\r\n");
        }
        // The error code is the first word, without the dash ("ERR" when
        // the message had none).
        let code: &[u8] = match err.first() {
            Some(b'-') => {
                let end = err.iter().position(|&b| b == b' ').unwrap_or(err.len());
                &err[1..end]
            }
            _ => b"ERR",
        };
        self.pending_errors.push(code.to_vec());
    }

    /// `addReplyErrorArity`.
    pub fn add_reply_error_arity(&mut self, fullname: &str) {
        self.add_reply_error(&format!(
            "wrong number of arguments for '{fullname}' command"
        ));
    }

    /// `addReplyErrorObject` of `shared.wrongtypeerr`.
    pub fn add_reply_wrongtype(&mut self) {
        self.add_reply_error("-WRONGTYPE Operation against a key holding the wrong kind of value");
    }

    /// `shared.syntaxerr`.
    pub fn add_reply_syntax_error(&mut self) {
        self.add_reply_error("syntax error");
    }

    /// `addReplyLongLongWithPrefix` for `:`.
    #[inline]
    pub fn add_reply_long_long(&mut self, v: i64) {
        self.add_reply_len_header(b':', v);
    }

    fn add_reply_len_header(&mut self, prefix: u8, v: i64) {
        let mut hdr = [0u8; 32];
        hdr[0] = prefix;
        let mut num = [0u8; 24];
        let n = ll2string(&mut num, v);
        hdr[1..1 + n].copy_from_slice(&num[..n]);
        hdr[1 + n] = b'\r';
        hdr[2 + n] = b'\n';
        self.add_reply_proto(&hdr[..3 + n]);
    }

    /// `addReplyBulkCBuffer`: `$len\r\n<bytes>\r\n`.
    #[inline]
    pub fn add_reply_bulk(&mut self, s: &[u8]) {
        if !self.reply_allowed() {
            return;
        }
        self.add_reply_len_header(b'$', s.len() as i64);
        self.add_reply_proto_unchecked(s);
        self.add_reply_proto_unchecked(b"\r\n");
    }

    /// `addReplyBulkLongLong`.
    pub fn add_reply_bulk_long_long(&mut self, v: i64) {
        let mut num = [0u8; 24];
        let n = ll2string(&mut num, v);
        self.add_reply_bulk(&num[..n]);
    }

    /// `addReplyNull`: `$-1` in RESP2, `_` in RESP3.
    pub fn add_reply_null(&mut self) {
        if self.resp == 2 {
            self.add_reply_proto(b"$-1\r\n");
        } else {
            self.add_reply_proto(b"_\r\n");
        }
    }

    /// `addReplyNullArray`: `*-1` in RESP2, `_` in RESP3.
    pub fn add_reply_null_array(&mut self) {
        if self.resp == 2 {
            self.add_reply_proto(b"*-1\r\n");
        } else {
            self.add_reply_proto(b"_\r\n");
        }
    }

    /// `addReplyArrayLen`.
    pub fn add_reply_array_len(&mut self, len: i64) {
        self.add_reply_len_header(b'*', len);
    }

    /// `addReplyMapLen`: RESP3 `%`, or an array of twice the pairs.
    pub fn add_reply_map_len(&mut self, len: i64) {
        if self.resp == 2 {
            self.add_reply_len_header(b'*', len * 2);
        } else {
            self.add_reply_len_header(b'%', len);
        }
    }

    /// `addReplySetLen`.
    pub fn add_reply_set_len(&mut self, len: i64) {
        let prefix = if self.resp == 2 { b'*' } else { b'~' };
        self.add_reply_len_header(prefix, len);
    }

    /// `addReplyPushLen` (RESP3 only; RESP2 clients get an array).
    pub fn add_reply_push_len(&mut self, len: i64) {
        let prefix = if self.resp == 2 { b'*' } else { b'>' };
        self.add_reply_len_header(prefix, len);
    }

    /// `addReplyAttributeLen`: RESP3 only, callers check the protocol.
    pub fn add_reply_attribute_len(&mut self, len: i64) {
        self.add_reply_len_header(b'|', len);
    }

    /// `addReplyBool`.
    pub fn add_reply_bool(&mut self, b: bool) {
        if self.resp == 2 {
            self.add_reply_proto(if b { b":1\r\n" } else { b":0\r\n" });
        } else {
            self.add_reply_proto(if b { b"#t\r\n" } else { b"#f\r\n" });
        }
    }

    /// `addReplyDouble`: a bulk string in RESP2, `,` in RESP3, formatted
    /// as `%.17g` (so 1e17 is `1e+17`, unlike `d2string`).
    pub fn add_reply_double(&mut self, d: f64) {
        let mut s = Vec::with_capacity(24);
        crate::util::append_double(&mut s, d);
        if self.resp == 2 {
            self.add_reply_bulk(&s);
        } else {
            if !self.reply_allowed() {
                return;
            }
            self.add_reply_proto_unchecked(b",");
            self.add_reply_proto_unchecked(&s);
            self.add_reply_proto_unchecked(b"\r\n");
        }
    }

    /// `addReplyBigNum`.
    pub fn add_reply_big_num(&mut self, num: &[u8]) {
        if self.resp == 2 {
            self.add_reply_bulk(num);
        } else {
            if !self.reply_allowed() {
                return;
            }
            self.add_reply_proto_unchecked(b"(");
            self.add_reply_proto_unchecked(num);
            self.add_reply_proto_unchecked(b"\r\n");
        }
    }

    /// `addReplyVerbatim`: `=len\r\nfmt:text\r\n` in RESP3, a bulk in RESP2.
    pub fn add_reply_verbatim(&mut self, s: &[u8], ext: &str) {
        if self.resp == 2 {
            self.add_reply_bulk(s);
        } else {
            if !self.reply_allowed() {
                return;
            }
            self.add_reply_len_header(b'=', s.len() as i64 + 4);
            self.add_reply_proto_unchecked(ext.as_bytes());
            self.add_reply_proto_unchecked(b":");
            self.add_reply_proto_unchecked(s);
            self.add_reply_proto_unchecked(b"\r\n");
        }
    }

    /// `addReplyHelp`: the HELP text of a container command.
    pub fn add_reply_help(&mut self, cmdname: &str, lines: &[&str]) {
        let upper = cmdname.to_ascii_uppercase();
        self.add_reply_array_len(lines.len() as i64 + 3);
        self.add_reply_status(&format!(
            "{upper} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
        ));
        for l in lines {
            self.add_reply_status(l);
        }
        self.add_reply_status("HELP");
        self.add_reply_status("    Prints this help.");
    }

    /// `addReplySubcommandSyntaxError`.
    pub fn add_reply_subcommand_syntax_error(&mut self) {
        let cmd = String::from_utf8_lossy(self.argv.first().map_or(&b""[..], |v| v)).into_owned();
        let sub = String::from_utf8_lossy(self.argv.get(1).map_or(&b""[..], |v| v)).into_owned();
        let sub: String = sub.chars().take(128).collect();
        self.add_reply_error(&format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
            sub,
            cmd.to_ascii_uppercase()
        ));
    }

    /// Frees the argument vector (`freeClientArgv`), keeping its capacity.
    pub fn free_client_argv(&mut self) {
        self.argv.clear();
        self.argv_len_sum = 0;
        self.cmd = None;
    }

    /// `retainOriginalCommandVector`: keeps a copy of the arguments as the
    /// client sent them, before a command rewrites them (once per command).
    pub fn retain_original_command_vector(&mut self) {
        if self.original_argv.is_none() {
            self.original_argv = Some(self.argv.to_vec());
        }
    }

    /// `redactClientCommandArgument`: hides argument `i` (a password...)
    /// from the slowlog; the command itself still sees it in `argv`.
    pub fn redact_client_command_argument(&mut self, i: usize) {
        self.retain_original_command_vector();
        if let Some(a) = self.original_argv.as_mut().and_then(|v| v.get_mut(i)) {
            *a = b"(redacted)".to_vec();
        }
    }

    /// `resetClient`: ready for the next command.
    pub fn reset_client(&mut self) {
        self.free_client_argv();
        self.reqtype = 0;
        self.multibulklen = 0;
        self.bulklen = -1;
        // A REPLY SKIP applies to one command; SKIP_NEXT arms it for the next.
        self.flags &= !CLIENT_REPLY_SKIP;
        if self.flags & CLIENT_REPLY_SKIP_NEXT != 0 {
            self.flags |= CLIENT_REPLY_SKIP;
            self.flags &= !CLIENT_REPLY_SKIP_NEXT;
        }
    }

    /// Total memory held by the output buffers (`getClientOutputBufferMemoryUsage`).
    pub fn output_buffer_memory_usage(&self) -> usize {
        self.reply_bytes
    }
}

fn write_len_header(out: &mut Vec<u8>, prefix: u8, len: i64) {
    out.push(prefix);
    let mut num = [0u8; 24];
    let n = ll2string(&mut num, len);
    out.extend_from_slice(&num[..n]);
    out.extend_from_slice(b"\r\n");
}

// ----------------------------------------------------------------------
// Accepting and freeing clients.
// ----------------------------------------------------------------------

/// `acceptCommonHandler`: registers a new connection, or refuses it with the
/// upstream error when `maxclients` is reached.
pub fn accept_common_handler(
    server: &mut Server,
    mut conn: Conn,
    peer: String,
    local: String,
    unix: bool,
) {
    if server.clients.len() >= server.config.maxclients as usize {
        // Best effort: the socket is new and empty, so the write normally
        // succeeds at once; either way the connection is closed.
        let _ = conn.write(b"-ERR max number of clients reached\r\n");
        server.stat_rejected_conn += 1;
        return;
    }
    let id = server.next_client_id;
    server.next_client_id += 1;
    let mut c = Box::new(Client::new(id, None, server.unixtime));
    // A client starts authenticated when the default user needs no password.
    c.authenticated = crate::acl::default_user_nopass(server);
    c.addr = peer;
    c.laddr = local;
    if unix {
        c.flags |= CLIENT_UNIX_SOCKET;
    }
    let entry = server.clients.vacant_entry();
    let slot = entry.key();
    c.slot = slot;
    let token = match server.el.ae_create_file_event(
        conn.source(),
        AE_READABLE,
        crate::ae::FileProc::Client(slot),
    ) {
        Ok(t) => t,
        Err(e) => {
            crate::server::server_log_raw(
                crate::server::LL_WARNING,
                &format!(
                    "Error registering fd event for the new client: {e} (conn: {})",
                    c.addr
                ),
            );
            return;
        }
    };
    c.token = Some(token);
    c.conn = Some(conn);
    entry.insert(Some(c));
    server.stat_numconnections += 1;
}

/// `freeClient`: unregisters and drops a client that is in the table.
pub fn free_client(server: &mut Server, slot: usize) {
    let Some(Some(mut c)) = server.clients.try_remove(slot) else {
        return;
    };
    unlink_client(server, &mut c);
}

/// `unlinkClient`: removes the socket from the loop and the client from
/// the lists that point at it.
pub fn unlink_client(server: &mut Server, c: &mut Client) {
    if let (Some(conn), Some(token)) = (c.conn.as_mut(), c.token) {
        server.el.ae_delete_file_event(conn.source(), token);
    }
    c.conn = None;
    c.token = None;
    server.clients_pending_write.retain(|&s| s != c.slot);
    server.clients_pending_read.retain(|&s| s != c.slot);
    if c.flags & CLIENT_MONITOR != 0 {
        server.repl.monitors.retain(|&s| s != c.slot);
    }
    crate::blocked::forget_client(server, c);
    crate::multi::unwatch_all_keys(server, c);
    crate::pubsub::pubsub_unsubscribe_all(server, c);
}

/// `freeClientAsync`: closes the client at the next `before_sleep`.
pub fn free_client_async(server: &mut Server, c: &mut Client) {
    if c.flags & CLIENT_CLOSE_ASAP == 0 {
        c.flags |= CLIENT_CLOSE_ASAP;
        server.clients_to_close.push(c.slot);
    }
}

/// `processEventsWhileBlocked`: serves the other clients from inside a
/// long command (a busy script): a few rounds of reading, running and
/// writing, without timers. The client of the long command is out of the
/// client table meanwhile, so none of its input is read.
pub fn process_events_while_blocked(server: &mut Server) {
    for _ in 0..4 {
        let pending = std::mem::take(&mut server.clients_pending_read);
        for slot in pending {
            read_query_from_client(server, slot);
        }
        let events = crate::ae::ae_process_file_events_now(server);
        handle_clients_with_pending_writes(server);
        if events == 0 && server.clients_pending_read.is_empty() {
            break;
        }
    }
}

/// `freeClientsInAsyncFreeQueue`.
pub fn free_clients_in_async_free_queue(server: &mut Server) {
    let slots = std::mem::take(&mut server.clients_to_close);
    for slot in slots {
        free_client(server, slot);
    }
}

// ----------------------------------------------------------------------
// Reading and parsing.
// ----------------------------------------------------------------------

/// `readQueryFromClient`: the readable handler of a client.
pub fn read_query_from_client(server: &mut Server, slot: usize) {
    let Some(mut c) = server.take_client(slot) else {
        return;
    };
    let mut reads = 0;
    let mut alive = true;
    server.info.stat_total_reads_processed += 1;
    loop {
        let mut readlen = PROTO_IOBUF_LEN;
        // A big bulk argument is read in one go straight after the data
        // already buffered, so it needs no second copy.
        if c.reqtype == PROTO_REQ_MULTIBULK
            && c.multibulklen != 0
            && c.bulklen >= PROTO_MBULK_BIG_ARG as i64
        {
            let remaining = (c.bulklen as usize)
                .saturating_add(2)
                .saturating_sub(c.qb_end - c.qb_pos);
            // Only into the room made for it: an argument too big to get
            // room is read in ordinary chunks until the limit stops it.
            if remaining > 0 && c.qb_end + remaining <= c.querybuf.len() {
                readlen = remaining;
            }
        }
        if c.querybuf.len() < c.qb_end + readlen {
            c.querybuf.resize(c.qb_end + readlen, 0);
        }
        let Some(conn) = c.conn.as_mut() else { break };
        let start = c.qb_end;
        match conn.read(&mut c.querybuf[start..start + readlen]) {
            Ok(0) => {
                server.server_log(LL_VERBOSE, "Client closed connection");
                alive = false;
                break;
            }
            Ok(n) => {
                c.qb_end += n;
                c.lastinteraction = server.unixtime;
                server.stat_net_input_bytes += n as u64;
                if c.qb_end - c.qb_pos > c.querybuf_peak {
                    c.querybuf_peak = c.qb_end - c.qb_pos;
                }
                if !check_query_buffer_limit(server, &mut c) {
                    alive = false;
                    break;
                }
                process_input_buffer(server, &mut c);
                if c.flags & CLIENT_CLOSE_ASAP != 0 || c.conn.is_none() {
                    break;
                }
                reads += 1;
                if n < readlen {
                    // The socket is drained: edge-triggered, so the next
                    // readable event will come with new data.
                    break;
                }
                if reads >= MAX_READS_PER_EVENT {
                    server.clients_pending_read.push(c.slot);
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                server.server_log(LL_VERBOSE, &format!("Reading from client: {e}"));
                alive = false;
                break;
            }
        }
    }
    server.put_client_back(c, alive);
}

/// The `client-query-buffer-limit` check of `readQueryFromClient`.
fn check_query_buffer_limit(server: &mut Server, c: &mut Client) -> bool {
    let limit = server.config.client_query_buffer_limit as usize;
    if c.flags & CLIENT_MASTER == 0 && c.qb_end - c.qb_pos > limit {
        let info = server.cat_client_info_string(c);
        server.server_log(
            crate::server::LL_WARNING,
            &format!("Closing client that reached max query buffer length: {info} (qbuf initial bytes: {:?})",
                String::from_utf8_lossy(&c.querybuf[c.qb_pos..c.qb_pos + 64.min(c.qb_end - c.qb_pos)])),
        );
        server.stat_client_qbuf_limit_disconnections += 1;
        return false;
    }
    true
}

/// `processInputBuffer`: runs every complete command in the query buffer.
pub fn process_input_buffer(server: &mut Server, c: &mut Client) {
    while c.qb_pos < c.qb_end {
        if c.flags & CLIENT_BLOCKED != 0 {
            break;
        }
        // Nothing more is read from a client that is about to be closed.
        if c.flags & (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP) != 0 {
            break;
        }
        if c.reqtype == 0 {
            c.reqtype = if c.querybuf[c.qb_pos] == b'*' {
                PROTO_REQ_MULTIBULK
            } else {
                PROTO_REQ_INLINE
            };
        }
        let ready = if c.reqtype == PROTO_REQ_INLINE {
            process_inline_buffer(server, c)
        } else {
            process_multibulk_buffer(server, c)
        };
        if !ready {
            break;
        }
        if c.argv.is_empty() {
            c.reset_client();
        } else {
            crate::server::process_command_and_reset_client(server, c);
            if c.flags & CLIENT_BLOCKED != 0 {
                break;
            }
        }
    }
    // Drop the consumed part of the buffer (sdsrange in C).
    if c.qb_pos > 0 {
        c.querybuf.copy_within(c.qb_pos..c.qb_end, 0);
        c.qb_end -= c.qb_pos;
        c.qb_pos = 0;
    }
}

/// `processInlineBuffer`: a command typed by a human (`PING\r\n`). Returns
/// true when `argv` holds a command (possibly empty).
pub fn process_inline_buffer(server: &mut Server, c: &mut Client) -> bool {
    let data = &c.querybuf[c.qb_pos..c.qb_end];
    let Some(nl) = memchr(b'\n', data) else {
        if data.len() > PROTO_INLINE_MAX_SIZE {
            c.add_reply_error("Protocol error: too big inline request");
            set_protocol_error(server, "too big inline request", c);
        }
        return false;
    };
    let mut linefeed_chars = 1;
    let mut end = nl;
    if end > 0 && data[end - 1] == b'\r' {
        end -= 1;
        linefeed_chars += 1;
    }
    let Some(args) = crate::sds::sds_split_args(&data[..end]) else {
        c.add_reply_error("Protocol error: unbalanced quotes in request");
        set_protocol_error(server, "unbalanced quotes in inline request", c);
        return false;
    };
    if end != 0 && c.flags & CLIENT_MASTER != 0 {
        server.server_log(
            crate::server::LL_WARNING,
            "WARNING: Receiving inline protocol from master, master stream corruption? Closing the master connection and discarding the cached master.",
        );
        set_protocol_error(server, "Master using the inline protocol. Desync?", c);
        return false;
    }
    c.qb_pos += end + linefeed_chars;
    c.argv_len_sum = args.iter().map(|a| a.len()).sum();
    c.argv.set(args);
    true
}

/// `setProtocolError`: logs the offending input at verbose level and closes
/// the client after the error reply.
fn set_protocol_error(server: &mut Server, errstr: &str, c: &mut Client) {
    if (server.config.loglevel as i32) <= LL_VERBOSE || c.flags & CLIENT_MASTER != 0 {
        let info = server.cat_client_info_string(c);
        let data = &c.querybuf[c.qb_pos..c.qb_end];
        let sample = if data.len() < 128 {
            format!("Query buffer during protocol error: '{}'", printable(data))
        } else {
            format!(
                "Query buffer during protocol error: '{}' (... more {} bytes ...) '{}'",
                printable(&data[..64]),
                data.len() - 128,
                printable(&data[data.len() - 64..])
            )
        };
        let level = if c.flags & CLIENT_MASTER != 0 {
            crate::server::LL_WARNING
        } else {
            LL_VERBOSE
        };
        server.server_log(
            level,
            &format!("Protocol error ({errstr}) from client: {info}. {sample}"),
        );
    }
    c.flags |= CLIENT_CLOSE_AFTER_REPLY | CLIENT_PROTOCOL_ERROR;
}

fn printable(b: &[u8]) -> String {
    b.iter()
        .map(|&ch| {
            if (0x20..0x7f).contains(&ch) {
                ch as char
            } else {
                '.'
            }
        })
        .collect()
}

#[inline]
fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// The common shape of a `*<count>\r\n` or `$<len>\r\n` line, read in one
/// pass: a prefix byte, 1 to 18 digits without a leading zero, then CRLF.
/// Returns the number and the line's length. For anything else (a sign, a
/// leading zero, a missing or odd line end, more digits) it returns None and
/// the caller takes the general path (find the `\r`, then `string2ll`),
/// which gives the same number whenever this one does.
#[inline]
fn parse_plain_len_line(data: &[u8]) -> Option<(i64, usize)> {
    let digits = data.get(1..)?;
    let mut v: i64 = 0;
    let mut n = 0;
    // A 19th digit, if any, is not CRLF: the match below sends it to the
    // general path, so `v` cannot overflow here.
    for &b in digits.iter().take(18) {
        if !b.is_ascii_digit() {
            break;
        }
        v = v * 10 + (b - b'0') as i64;
        n += 1;
    }
    if n == 0 || (n > 1 && digits[0] == b'0') {
        return None;
    }
    match digits.get(n..n + 2) {
        Some(b"\r\n") => Some((v, n + 3)),
        _ => None,
    }
}

/// `processMultibulkBuffer`: RESP arrays of bulk strings. Returns true when
/// a whole command is in `argv`.
pub fn process_multibulk_buffer(server: &mut Server, c: &mut Client) -> bool {
    if c.multibulklen == 0 {
        let data = &c.querybuf[c.qb_pos..c.qb_end];
        let (ll, header_len) = match parse_plain_len_line(data) {
            Some((ll, n)) => (Some(ll), n),
            None => {
                let Some(cr) = memchr(b'\r', data) else {
                    if data.len() > PROTO_INLINE_MAX_SIZE {
                        c.add_reply_error("Protocol error: too big mbulk count string");
                        set_protocol_error(server, "too big mbulk count string", c);
                    }
                    return false;
                };
                // The \n must be there too.
                if cr + 1 >= data.len() {
                    return false;
                }
                (string2ll(&data[1..cr]), cr + 2)
            }
        };
        match ll {
            Some(ll) if ll <= i32::MAX as i64 => {
                if ll > 10 && server.auth_required(c) {
                    c.add_reply_error("Protocol error: unauthenticated multibulk length");
                    set_protocol_error(server, "unauth mbulk count", c);
                    return false;
                }
                c.qb_pos += header_len;
                if ll <= 0 {
                    return true;
                }
                c.multibulklen = ll;
                c.argv.clear();
                c.argv.reserve(ll.min(1024) as usize);
                c.argv_len_sum = 0;
            }
            _ => {
                c.add_reply_error("Protocol error: invalid multibulk length");
                set_protocol_error(server, "invalid mbulk count", c);
                return false;
            }
        }
    }

    while c.multibulklen > 0 {
        if c.bulklen == -1 {
            let data = &c.querybuf[c.qb_pos..c.qb_end];
            let fast = match data.first() {
                Some(b'$') => parse_plain_len_line(data),
                _ => None,
            };
            let (ll, header_len) = match fast {
                Some((ll, n)) => (Some(ll), n),
                None => {
                    let Some(cr) = memchr(b'\r', data) else {
                        if data.len() > PROTO_INLINE_MAX_SIZE {
                            c.add_reply_error("Protocol error: too big bulk count string");
                            set_protocol_error(server, "too big bulk count string", c);
                            return false;
                        }
                        break;
                    };
                    if cr + 1 >= data.len() {
                        break;
                    }
                    if data[0] != b'$' {
                        let got = data[0] as char;
                        c.add_reply_error(&format!("Protocol error: expected '$', got '{got}'"));
                        set_protocol_error(server, "expected $ but got something else", c);
                        return false;
                    }
                    (string2ll(&data[1..cr]), cr + 2)
                }
            };
            let max = server.config.proto_max_bulk_len;
            match ll {
                Some(ll) if ll >= 0 && (c.flags & CLIENT_MASTER != 0 || ll <= max) => {
                    if ll > 16384 && server.auth_required(c) {
                        c.add_reply_error("Protocol error: unauthenticated bulk length");
                        set_protocol_error(server, "unauth bulk length", c);
                        return false;
                    }
                    c.qb_pos += header_len;
                    c.bulklen = ll;
                    // Make room for a big argument at once so that it is read
                    // without reallocations (sdsMakeRoomForNonGreedy). Not
                    // for one past the query buffer limit: it cannot complete
                    // (the limit closes the client first), and with
                    // proto-max-bulk-len raised it may not even be allocatable.
                    let room_limit = server.config.client_query_buffer_limit;
                    if ll as usize >= PROTO_MBULK_BIG_ARG && ll as u64 <= room_limit {
                        let need = c.qb_pos + ll as usize + 2;
                        if c.querybuf.len() < need {
                            // A zeroed allocation comes from calloc, whose big
                            // blocks are fresh pages committed only as the
                            // argument arrives (as C's malloc'd room is):
                            // `resize` would write all of it up front, so a
                            // client merely announcing 512 MB would cost 512 MB.
                            let mut buf = vec![0u8; need];
                            buf[..c.qb_end].copy_from_slice(&c.querybuf[..c.qb_end]);
                            c.querybuf = buf;
                        }
                    }
                }
                _ => {
                    c.add_reply_error("Protocol error: invalid bulk length");
                    set_protocol_error(server, "invalid bulk length", c);
                    return false;
                }
            }
        }
        let bulklen = c.bulklen as usize;
        if c.qb_end - c.qb_pos < bulklen + 2 {
            break;
        }
        c.argv.push_copy(&c.querybuf[c.qb_pos..c.qb_pos + bulklen]);
        c.argv_len_sum += bulklen;
        c.qb_pos += bulklen + 2;
        c.bulklen = -1;
        c.multibulklen -= 1;
    }
    c.multibulklen == 0
}

// ----------------------------------------------------------------------
// Writing.
// ----------------------------------------------------------------------

/// `writeToClient`: writes as much of the pending output as the socket takes,
/// at most `NET_MAX_WRITES_PER_EVENT` bytes. Returns false if the client
/// must be freed (write error, or CLOSE_AFTER_REPLY with everything sent).
///
/// mio is edge-triggered, so what happens next depends on why we stopped:
/// a full socket asks for a writable event; a client cut short by the
/// per-event cap goes back on the pending-write list for the next turn
/// (a writable event would never come, the socket being writable already).
pub fn write_to_client(server: &mut Server, c: &mut Client) -> bool {
    server.info.stat_total_writes_processed += 1;
    let mut totwritten = 0usize;
    let mut would_block = false;
    let Some(conn) = c.conn.as_mut() else {
        return false;
    };
    while !c.buf.is_empty() || !c.reply.is_empty() {
        // Replicas may get a lot at once; everyone else shares the turn.
        if totwritten > NET_MAX_WRITES_PER_EVENT && c.flags & CLIENT_SLAVE == 0 {
            break;
        }
        let chunk: &[u8] = if !c.buf.is_empty() {
            &c.buf[c.sentlen..]
        } else {
            let front = &c.reply[0];
            if c.sentlen == front.len() {
                // A finished block, or an empty deferred-length placeholder.
                let cap = front.capacity();
                c.reply.pop_front();
                c.reply_base += 1;
                c.reply_bytes = c.reply_bytes.saturating_sub(cap);
                c.sentlen = 0;
                continue;
            }
            &front[c.sentlen..]
        };
        match conn.write(chunk) {
            Ok(n) => {
                c.sentlen += n;
                totwritten += n;
                if !c.buf.is_empty() && c.sentlen == c.buf.len() {
                    c.buf.clear();
                    c.sentlen = 0;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                would_block = true;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                server.server_log(LL_VERBOSE, &format!("Error writing to client: {e}"));
                return false;
            }
        }
    }
    server.stat_net_output_bytes += totwritten as u64;
    if totwritten > 0 && c.flags & CLIENT_MASTER == 0 {
        c.lastinteraction = server.unixtime;
    }
    if !c.has_pending_replies() {
        c.sentlen = 0;
        set_writable_interest(server, c, false);
        if c.flags & CLIENT_CLOSE_AFTER_REPLY != 0 {
            return false;
        }
    } else if would_block {
        set_writable_interest(server, c, true);
    } else {
        put_client_in_pending_write_queue(server, c);
    }
    true
}

/// Adds or removes `AE_WRITABLE` for a client's socket.
fn set_writable_interest(server: &mut Server, c: &mut Client, on: bool) {
    if let (Some(conn), Some(token)) = (c.conn.as_mut(), c.token) {
        let mask = if on {
            AE_READABLE | AE_WRITABLE
        } else {
            AE_READABLE
        };
        if server.el.ae_get_file_events(token) != mask {
            let _ = server.el.ae_set_file_event_mask(conn.source(), token, mask);
        }
    }
}

/// `sendReplyToClient`: the writable handler.
pub fn send_reply_to_client(server: &mut Server, slot: usize) {
    let Some(mut c) = server.take_client(slot) else {
        return;
    };
    let alive = write_to_client(server, &mut c);
    server.put_client_back(c, alive);
}

/// `handleClientsWithPendingWrites`: called from `before_sleep`, writes each
/// client that got replies during this turn once.
pub fn handle_clients_with_pending_writes(server: &mut Server) -> usize {
    let pending = std::mem::take(&mut server.clients_pending_write);
    let processed = pending.len();
    for slot in pending {
        let Some(mut c) = server.take_client(slot) else {
            continue;
        };
        c.flags &= !CLIENT_PENDING_WRITE;
        let alive = if c.flags & CLIENT_CLOSE_ASAP != 0 {
            true
        } else {
            write_to_client(server, &mut c)
        };
        server.put_client_back(c, alive);
    }
    processed
}

/// `putClientInPendingWriteQueue`.
pub fn put_client_in_pending_write_queue(server: &mut Server, c: &mut Client) {
    if close_client_on_output_buffer_limit_reached(server, c) {
        return;
    }
    if c.flags & CLIENT_PENDING_WRITE == 0 && c.conn.is_some() && c.has_pending_replies() {
        c.flags |= CLIENT_PENDING_WRITE;
        server.clients_pending_write.push(c.slot);
    }
}

/// `checkClientOutputBufferLimits`: true when the client is over its hard
/// limit, or has been over its soft limit for longer than allowed.
pub fn check_client_output_buffer_limits(server: &Server, c: &mut Client) -> bool {
    let used = c.output_buffer_memory_usage() as u64;
    // A master's replies are limited like a normal client's.
    let class = match c.client_type() {
        CLIENT_TYPE_MASTER => CLIENT_TYPE_NORMAL,
        t => t,
    };
    // A client that has not authenticated may not pile up replies it does
    // not read (Debian's fix for CVE-2025-21605).
    if used > 1024 && server.auth_required(c) {
        return true;
    }
    let limit = &server.config.client_obuf_limits[class];
    let hard = limit.hard_limit_bytes != 0 && used >= limit.hard_limit_bytes;
    let mut soft = limit.soft_limit_bytes != 0 && used >= limit.soft_limit_bytes;
    if soft {
        if c.obuf_soft_limit_reached_time == 0 {
            // The clock starts now: not over the limit yet.
            c.obuf_soft_limit_reached_time = server.unixtime;
            soft = false;
        } else if server.unixtime - c.obuf_soft_limit_reached_time <= limit.soft_limit_seconds {
            soft = false;
        }
    } else {
        c.obuf_soft_limit_reached_time = 0;
    }
    soft || hard
}

/// `closeClientOnOutputBufferLimitReached`: schedules the client for
/// closing when it is over its output buffer limits. Returns true if so.
pub fn close_client_on_output_buffer_limit_reached(server: &mut Server, c: &mut Client) -> bool {
    if c.conn.is_none() || c.reply_bytes == 0 || c.flags & CLIENT_CLOSE_ASAP != 0 {
        return false;
    }
    if !check_client_output_buffer_limits(server, c) {
        return false;
    }
    let info = server.cat_client_info_string(c);
    server.server_log(
        crate::server::LL_WARNING,
        &format!(
            "Client {info} scheduled to be closed ASAP for overcoming of output buffer limits."
        ),
    );
    free_client_async(server, c);
    server.stat_client_outbuf_limit_disconnections += 1;
    true
}

/// Local and peer addresses of an accepted TCP connection, formatted.
pub fn tcp_addrs(stream: &mio::net::TcpStream, peer: SocketAddr) -> (String, String) {
    let local = stream
        .local_addr()
        .map(|a| crate::anet::anet_format_addr(&a))
        .unwrap_or_default();
    (crate::anet::anet_format_addr(&peer), local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_len_line_agrees_with_the_general_path() {
        // (line, whether the fast path takes it)
        let cases: &[(&[u8], bool)] = &[
            (b"*3\r\n", true),
            (b"$0\r\n", true),
            (b"$16\r\nkey", true),
            (b"$999999999999999999\r\n", true),
            (b"$9999999999999999999\r\n", false),
            (b"$01\r\n", false),
            (b"$-1\r\n", false),
            (b"$+1\r\n", false),
            (b"$1\rx", false),
            (b"$1\r", false),
            (b"$\r\n", false),
            (b"$12", false),
            (b"$1 \r\n", false),
        ];
        for &(line, fast) in cases {
            let got = parse_plain_len_line(line);
            assert_eq!(got.is_some(), fast, "{line:?}");
            if let Some((v, n)) = got {
                let cr = memchr(b'\r', line);
                assert_eq!(cr.map(|cr| cr + 2), Some(n), "{line:?}");
                assert_eq!(string2ll(&line[1..n - 2]), Some(v), "{line:?}");
            }
        }
    }

    #[test]
    fn argv_reuses_buffers_and_drops_big_ones() {
        let mut argv = Argv::default();
        argv.push_copy(b"SET");
        argv.push_copy(b"k");
        argv.push_copy(&[b'x'; 1000]);
        assert_eq!(argv.len(), 3);
        assert_eq!(&argv[1], b"k");
        let first = argv[0].as_ptr();
        argv.clear();
        assert!(argv.is_empty());
        argv.push_copy(b"GET");
        argv.push_copy(b"k2");
        argv.push_copy(b"v");
        assert_eq!(argv[0].as_ptr(), first, "small buffer recycled");
        assert!(
            argv[2].capacity() <= ARGV_POOL_ARG_MAX,
            "big buffer dropped"
        );
        assert_eq!(argv.iter().map(|a| a.len()).sum::<usize>(), 6);
        argv.set(vec![b"PING".to_vec()]);
        assert_eq!(argv.len(), 1);
        assert_eq!(&argv[0], b"PING");
        for i in 0..100 {
            argv.push_copy(format!("{i}").as_bytes());
        }
        argv.clear();
        assert!(argv.capacity() >= ARGV_POOL_MAX);
        assert_eq!(argv.bufs.len(), ARGV_POOL_MAX);
    }
}
