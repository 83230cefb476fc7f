//! The server: a port of the core of `server.c`.
//!
//! [`Server`] is the one global state of the process (`struct redisServer`):
//! the event loop, the client table, the databases, the configuration and
//! the statistics. [`main`] parses the command line, loads the config,
//! builds the server with [`init_server`], opens the listeners and runs
//! `ae_main`. Each loop turn calls [`Server::before_sleep`]; `server_cron`
//! runs `hz` times per second for the periodic work.
//!
//! A command travels `read_query_from_client` → [`process_command`] (lookup,
//! arity, auth and other admission checks) → [`call`] (runs the handler,
//! times it, updates stats and the slowlog) → reply buffers.

use std::cell::RefCell;
use std::io::Write as _;

use slab::Slab;

use crate::ae::{self, AeHandler, EventLoop, FileProc, TimeProc};
use crate::commands::{self, Commands, CMD_LOADING, CMD_NO_AUTH};
use crate::config::Config;
use crate::db::RedisDb;
use crate::networking::{self, Client, Conn, CLIENT_CLOSE_AFTER_COMMAND, CLIENT_CLOSE_AFTER_REPLY};
use crate::util::ustime;

pub const REDIS_VERSION: &str = "7.0.15";
/// This implementation's own version, reported in INFO as `redis_mio_version`.
pub const REDIS_MIO_VERSION: &str = env!("CARGO_PKG_VERSION");

pub const LL_DEBUG: i32 = 0;
pub const LL_VERBOSE: i32 = 1;
pub const LL_NOTICE: i32 = 2;
pub const LL_WARNING: i32 = 3;

/// `CONFIG_DEFAULT_HZ` bounds.
pub const CONFIG_MIN_HZ: i64 = 1;
pub const CONFIG_MAX_HZ: i64 = 500;
/// Clients processed per `clients_cron` call at minimum.
const CLIENTS_CRON_MIN_ITERATIONS: usize = 5;

// ----------------------------------------------------------------------
// Logging.
// ----------------------------------------------------------------------

struct LogState {
    verbosity: i32,
    logfile: String,
    role_char: char,
    pid: u32,
}

thread_local! {
    // The log settings live apart from `Server` so that code without a
    // server at hand (the event loop, start-up) can log, as C's global does.
    static LOG: RefCell<LogState> = RefCell::new(LogState {
        verbosity: LL_NOTICE,
        logfile: String::new(),
        role_char: 'M',
        pid: std::process::id(),
    });
}

/// Sets what `server_log_raw` writes and where.
pub fn set_log_config(verbosity: i32, logfile: &str) {
    LOG.with(|l| {
        let mut l = l.borrow_mut();
        l.verbosity = verbosity;
        l.logfile = logfile.to_string();
    });
}

/// The role letter of log lines: M(aster), S(lave), C(hild).
pub fn set_log_role(role: char) {
    LOG.with(|l| l.borrow_mut().role_char = role);
}

/// `serverLogRaw`: `pid:role dd Mon yyyy HH:MM:SS.mmm <level> message`.
pub fn server_log_raw(level: i32, msg: &str) {
    LOG.with(|l| {
        let l = l.borrow();
        if level < l.verbosity {
            return;
        }
        let pid = std::process::id();
        let role = if pid != l.pid { 'C' } else { l.role_char };
        let line = format!(
            "{}:{} {} {} {}\n",
            pid,
            role,
            log_timestamp(),
            ['.', '-', '*', '#'][level.clamp(0, 3) as usize],
            msg
        );
        if l.logfile.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        } else if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&l.logfile)
        {
            let _ = f.write_all(line.as_bytes());
        }
    });
}

/// "21 Nov 2026 22:29:59.123" in local time.
fn log_timestamp() -> String {
    let us = ustime();
    let secs = (us / 1_000_000) as libc::time_t;
    let ms = (us / 1000) % 1000;
    // SAFETY: localtime_r only writes into the struct we pass; strftime
    // writes at most buf.len() bytes and returns how many it wrote.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        let mut buf = [0u8; 64];
        let n = libc::strftime(
            buf.as_mut_ptr() as *mut libc::c_char,
            buf.len(),
            c"%d %b %Y %H:%M:%S".as_ptr(),
            &tm,
        );
        format!("{}.{:03}", String::from_utf8_lossy(&buf[..n]), ms)
    }
}

// ----------------------------------------------------------------------
// The server state.
// ----------------------------------------------------------------------

/// Statistics of one command (`struct redisCommand` counters).
#[derive(Default, Clone, Debug)]
pub struct CommandStats {
    pub calls: u64,
    pub microseconds: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// The global state, as `struct redisServer`.
pub struct Server {
    pub el: EventLoop,
    pub config: Config,
    pub commands: Commands,
    pub dbs: Vec<RedisDb>,

    /// Connected clients by slot. A slot is `None` while its client runs a
    /// command (it is then the `&mut Client` being passed around).
    pub clients: Slab<Option<Box<Client>>>,
    pub next_client_id: u64,
    pub clients_pending_write: Vec<usize>,
    pub clients_pending_read: Vec<usize>,
    pub clients_to_close: Vec<usize>,
    /// Where `clients_cron` resumes its round over the clients.
    clients_cron_cursor: usize,

    pub ipfd: Vec<mio::net::TcpListener>,
    pub ipfd_tokens: Vec<mio::Token>,
    pub sofd: Option<(mio::net::UnixListener, mio::Token)>,

    pub pid: u32,
    pub runid: String,
    pub executable: String,
    pub start_time_ms: i64,
    /// Cached clocks, refreshed every cron and before each command.
    pub unixtime: i64,
    pub mstime: i64,
    pub ustime: i64,
    pub cronloops: u64,
    pub shutdown_asap: bool,
    pub loading: bool,
    pub dirty: u64,
    /// Time snapshot used for expiry decisions while a command runs.
    pub cmd_time_snapshot: i64,
    /// DEBUG SET-ACTIVE-EXPIRE switches the active expire cycle off.
    pub active_expire_enabled: bool,
    pub expire_state: crate::expire::ExpireCycleState,
    /// Settings changed by DEBUG subcommands.
    pub debug: crate::debug::DebugState,

    // Stats (INFO stats).
    pub stat_numcommands: u64,
    pub stat_numconnections: u64,
    pub stat_rejected_conn: u64,
    pub stat_expiredkeys: u64,
    pub stat_keyspace_hits: u64,
    pub stat_keyspace_misses: u64,
    pub stat_net_input_bytes: u64,
    pub stat_net_output_bytes: u64,
    pub stat_client_qbuf_limit_disconnections: u64,
    pub stat_client_outbuf_limit_disconnections: u64,
    pub stat_total_error_replies: u64,
    pub errors: std::collections::BTreeMap<Vec<u8>, u64>,
}

impl Server {
    /// `serverLog`.
    pub fn server_log(&self, level: i32, msg: &str) {
        server_log_raw(level, msg);
    }

    /// Takes a client out of the table to run it (see the module docs).
    pub fn take_client(&mut self, slot: usize) -> Option<Box<Client>> {
        self.clients.get_mut(slot).and_then(|c| c.take())
    }

    /// Puts a client back after its handler ran, freeing it if the handler
    /// found it dead, and queueing its replies for writing.
    pub fn put_client_back(&mut self, mut c: Box<Client>, alive: bool) {
        let slot = c.slot;
        if !alive {
            networking::unlink_client(self, &mut c);
            self.clients.try_remove(slot);
            return;
        }
        networking::put_client_in_pending_write_queue(self, &mut c);
        if let Some(s) = self.clients.get_mut(slot) {
            *s = Some(c);
        }
    }

    /// `authRequired`.
    pub fn auth_required(&self, c: &Client) -> bool {
        !c.authenticated && self.config.requirepass_is_set()
    }

    /// Whether CLIENT PAUSE keeps this client from running commands now.
    pub fn client_pause_blocks(&self, _c: &Client) -> bool {
        false
    }

    /// `catClientInfoString`: one CLIENT LIST line (without newline).
    pub fn cat_client_info_string(&self, c: &Client) -> String {
        let now = self.unixtime;
        let name = c
            .name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let mut flags = String::new();
        for (bit, ch) in [
            (networking::CLIENT_SLAVE, 'S'),
            (networking::CLIENT_MASTER, 'M'),
            (networking::CLIENT_PUBSUB, 'P'),
            (networking::CLIENT_MULTI, 'x'),
            (networking::CLIENT_BLOCKED, 'b'),
            (networking::CLIENT_CLOSE_AFTER_REPLY, 'c'),
            (networking::CLIENT_UNIX_SOCKET, 'U'),
            (networking::CLIENT_READONLY, 'r'),
            (networking::CLIENT_NO_EVICT, 'e'),
        ] {
            if c.flags & bit != 0 {
                flags.push(ch);
            }
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let cmd = c
            .lastcmd
            .map(|i| self.commands.list[i].fullname.clone())
            .unwrap_or_else(|| "NULL".to_string());
        let obl = c.buf.len();
        let qbuf = c.qb_end - c.qb_pos;
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub=0 psub=0 ssub=0 multi=-1 qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
            c.id,
            c.addr,
            c.laddr,
            c.token.map_or(-1, |t| t.0 as i64),
            name,
            now - c.ctime,
            now - c.lastinteraction,
            flags,
            c.db,
            qbuf,
            c.querybuf.len().saturating_sub(c.qb_end),
            c.argv_len_sum,
            c.buf.capacity(),
            c.querybuf_peak,
            obl,
            c.reply.len(),
            c.reply_bytes,
            c.querybuf.capacity() + c.buf.capacity() + c.reply_bytes,
            cmd,
            c.resp
        )
    }
}

/// `createSharedObjects` has no equivalent: shared replies are byte strings.
///
/// `initServer`: builds the state from a loaded config and opens listeners.
pub fn init_server(config: Config) -> Result<Server, String> {
    let el = EventLoop::ae_create_event_loop(config.maxclients as usize + 128)
        .map_err(|e| format!("Failed creating the event loop. Error message: '{e}'"))?;
    let dbs = (0..config.databases.max(1) as usize)
        .map(RedisDb::new)
        .collect();
    let now_us = ustime();
    let mut server = Server {
        el,
        config,
        commands: commands::populate_command_table(),
        dbs,
        clients: Slab::new(),
        next_client_id: 1,
        clients_pending_write: Vec::new(),
        clients_pending_read: Vec::new(),
        clients_to_close: Vec::new(),
        clients_cron_cursor: 0,
        ipfd: Vec::new(),
        ipfd_tokens: Vec::new(),
        sofd: None,
        pid: std::process::id(),
        runid: String::from_utf8_lossy(&crate::util::get_random_hex_chars(40)).into_owned(),
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        start_time_ms: now_us / 1000,
        unixtime: now_us / 1_000_000,
        mstime: now_us / 1000,
        ustime: now_us,
        cronloops: 0,
        shutdown_asap: false,
        loading: false,
        dirty: 0,
        cmd_time_snapshot: now_us / 1000,
        active_expire_enabled: true,
        expire_state: Default::default(),
        debug: Default::default(),
        stat_numcommands: 0,
        stat_numconnections: 0,
        stat_rejected_conn: 0,
        stat_expiredkeys: 0,
        stat_keyspace_hits: 0,
        stat_keyspace_misses: 0,
        stat_net_input_bytes: 0,
        stat_net_output_bytes: 0,
        stat_client_qbuf_limit_disconnections: 0,
        stat_client_outbuf_limit_disconnections: 0,
        stat_total_error_replies: 0,
        errors: Default::default(),
    };
    listen_to_port(&mut server)?;
    let hz = server.config.hz;
    server
        .el
        .ae_create_time_event(1000 / hz.max(1) as u64, TimeProc::ServerCron);
    Ok(server)
}

/// `listenToPort` for every `bind` address, plus the unix socket.
fn listen_to_port(server: &mut Server) -> Result<(), String> {
    let port = server.config.port;
    if port != 0 {
        let binds = server.config.bind.clone();
        for addr in &binds {
            // A leading '-' marks an address that may be missing on this
            // host (`bind * -::*`): failing on it is not fatal.
            let (optional, a) = match addr.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, addr.as_str()),
            };
            match crate::anet::anet_tcp_server(a, port as u16, server.config.tcp_backlog as i32) {
                Ok(mut l) => {
                    let idx = server.ipfd.len();
                    let token = server
                        .el
                        .ae_create_file_event(&mut l, ae::AE_READABLE, FileProc::AcceptTcp(idx))
                        .map_err(|e| format!("Unrecoverable error creating listener event: {e}"))?;
                    server.ipfd.push(l);
                    server.ipfd_tokens.push(token);
                }
                Err(e) => {
                    let unsupported = matches!(
                        e.raw_os_error(),
                        Some(libc::EADDRNOTAVAIL)
                            | Some(libc::EAFNOSUPPORT)
                            | Some(libc::EPROTONOSUPPORT)
                    );
                    if optional && unsupported {
                        continue;
                    }
                    // Both lines, as C logs them: the test suite looks for
                    // the second one to retry on another port.
                    server.server_log(
                        LL_WARNING,
                        &format!(
                            "Warning: Could not create server TCP listening socket {a}:{port}: {e}"
                        ),
                    );
                    return Err(format!("Failed listening on port {port} (tcp), aborting."));
                }
            }
        }
    }
    if !server.config.unixsocket.is_empty() {
        let path = server.config.unixsocket.clone();
        let mut l = crate::anet::anet_unix_server(
            &path,
            server.config.unixsocketperm as u32,
            server.config.tcp_backlog as i32,
        )
        .map_err(|e| format!("Failed opening Unix socket: {e}"))?;
        let token = server
            .el
            .ae_create_file_event(&mut l, ae::AE_READABLE, FileProc::AcceptUnix)
            .map_err(|e| format!("Unrecoverable error creating unix socket event: {e}"))?;
        server.sofd = Some((l, token));
    }
    if server.ipfd.is_empty() && server.sofd.is_none() {
        return Err("Configured to not listen anywhere, exiting.".to_string());
    }
    Ok(())
}

/// `acceptTcpHandler`: accepts every pending connection of a listener.
fn accept_tcp_handler(server: &mut Server, idx: usize) {
    loop {
        let Some(l) = server.ipfd.get(idx) else {
            return;
        };
        match l.accept() {
            Ok((stream, peer)) => {
                let _ = crate::anet::anet_enable_tcp_no_delay(&stream);
                if server.config.tcp_keepalive > 0 {
                    let _ =
                        crate::anet::anet_keep_alive(&stream, server.config.tcp_keepalive as u64);
                }
                let (peer_s, local_s) = networking::tcp_addrs(&stream, peer);
                server.server_log(LL_VERBOSE, &format!("Accepted {peer_s}"));
                if !check_protected_mode(server, &stream, &peer) {
                    continue;
                }
                networking::accept_common_handler(
                    server,
                    Conn::Tcp(stream),
                    peer_s,
                    local_s,
                    false,
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                server.server_log(LL_WARNING, &format!("Accepting client connection: {e}"));
                return;
            }
        }
    }
}

/// The protected-mode part of `acceptCommonHandler`: with no password and
/// no explicit bind, only loopback clients are served.
fn check_protected_mode(
    server: &mut Server,
    stream: &mio::net::TcpStream,
    peer: &std::net::SocketAddr,
) -> bool {
    if !server.config.protected_mode
        || server.config.requirepass_is_set()
        || server.config.bind_is_explicit()
    {
        return true;
    }
    let ip = match peer.ip() {
        std::net::IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(std::net::IpAddr::V4)
            .unwrap_or(std::net::IpAddr::V6(v6)),
        ip => ip,
    };
    if ip.is_loopback() {
        return true;
    }
    let err = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
    let mut s: &mio::net::TcpStream = stream;
    let _ = std::io::Write::write(&mut s, err.as_bytes());
    server.stat_rejected_conn += 1;
    false
}

/// `acceptUnixHandler`.
fn accept_unix_handler(server: &mut Server) {
    loop {
        let Some((l, _)) = server.sofd.as_ref() else {
            return;
        };
        match l.accept() {
            Ok((stream, _)) => {
                let path = server.config.unixsocket.clone();
                server.server_log(LL_VERBOSE, &format!("Accepted connection to {path}"));
                networking::accept_common_handler(
                    server,
                    Conn::Unix(stream),
                    format!("{path}:0"),
                    format!("{path}:0"),
                    true,
                );
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                server.server_log(LL_WARNING, &format!("Accepting client connection: {e}"));
                return;
            }
        }
    }
}

impl AeHandler for Server {
    fn event_loop(&mut self) -> &mut EventLoop {
        &mut self.el
    }

    fn before_sleep(&mut self) {
        before_sleep(self);
    }

    fn after_sleep(&mut self) {
        update_cached_time(self);
    }

    fn ae_wants_no_wait(&self) -> bool {
        !self.clients_pending_read.is_empty() || !self.clients_pending_write.is_empty()
    }

    fn file_event(&mut self, proc_: FileProc, readable: bool, writable: bool) {
        match proc_ {
            FileProc::AcceptTcp(idx) => accept_tcp_handler(self, idx),
            FileProc::AcceptUnix => accept_unix_handler(self),
            FileProc::Client(slot) => {
                if readable {
                    networking::read_query_from_client(self, slot);
                }
                if writable {
                    networking::send_reply_to_client(self, slot);
                }
            }
        }
    }

    fn time_event(&mut self, _id: u64, proc_: TimeProc) -> i64 {
        match proc_ {
            TimeProc::ServerCron => server_cron(self),
        }
    }
}

/// `updateCachedTime`.
pub fn update_cached_time(server: &mut Server) {
    server.ustime = ustime();
    server.mstime = server.ustime / 1000;
    server.unixtime = server.mstime / 1000;
}

/// `beforeSleep`: work done once per loop turn before polling.
fn before_sleep(server: &mut Server) {
    check_shutdown_signal(server);
    // Clients parked because they had more input than one event may read.
    let pending = std::mem::take(&mut server.clients_pending_read);
    for slot in pending {
        networking::read_query_from_client(server, slot);
    }
    crate::expire::active_expire_cycle(server, crate::expire::ACTIVE_EXPIRE_CYCLE_FAST);
    networking::handle_clients_with_pending_writes(server);
    networking::free_clients_in_async_free_queue(server);
}

/// `serverCron`: the periodic tasks. Returns the delay to the next call.
fn server_cron(server: &mut Server) -> i64 {
    update_cached_time(server);
    let hz = server.config.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
    clients_cron(server, hz);
    databases_cron(server);
    if server.shutdown_asap {
        if prepare_for_shutdown(server, 0).is_ok() {
            std::process::exit(0);
        }
        server.shutdown_asap = false;
    }
    server.cronloops += 1;
    1000 / hz
}

/// `clientsCron`: checks a slice of the clients every call so that all of
/// them are visited about once per second (timeouts, buffer resizing).
fn clients_cron(server: &mut Server, hz: i64) {
    let numclients = server.clients.len();
    let iterations = (numclients / hz as usize)
        .max(CLIENTS_CRON_MIN_ITERATIONS)
        .min(numclients);
    let slots: Vec<usize> = server
        .clients
        .iter()
        .map(|(k, _)| k)
        .filter(|&k| k >= server.clients_cron_cursor)
        .chain(
            server
                .clients
                .iter()
                .map(|(k, _)| k)
                .filter(|&k| k < server.clients_cron_cursor),
        )
        .take(iterations)
        .collect();
    for slot in slots {
        server.clients_cron_cursor = slot + 1;
        let Some(mut c) = server.take_client(slot) else {
            continue;
        };
        let alive = !clients_cron_handle_timeout(server, &c);
        if alive {
            clients_cron_resize_query_buffer(&mut c);
        }
        server.put_client_back(c, alive);
    }
}

/// `clientsCronHandleTimeout`: true when the client must be closed.
fn clients_cron_handle_timeout(server: &Server, c: &Client) -> bool {
    let maxidle = server.config.timeout;
    if maxidle > 0
        && c.flags
            & (networking::CLIENT_SLAVE
                | networking::CLIENT_MASTER
                | networking::CLIENT_BLOCKED
                | networking::CLIENT_PUBSUB)
            == 0
        && server.unixtime - c.lastinteraction > maxidle
    {
        server.server_log(LL_VERBOSE, "Closing idle client");
        return true;
    }
    false
}

/// `clientsCronResizeQueryBuffer`: gives back the memory of an idle, large
/// query buffer.
fn clients_cron_resize_query_buffer(c: &mut Client) {
    let used = c.qb_end - c.qb_pos;
    if c.querybuf.len() > networking::PROTO_IOBUF_LEN * 2
        && c.querybuf_peak < c.querybuf.len() / 2
        && used == 0
    {
        c.querybuf = Vec::new();
        c.qb_end = 0;
        c.qb_pos = 0;
    }
    c.querybuf_peak = used;
}

/// `databasesCron`: active expiry, then resizing and incremental rehashing.
fn databases_cron(server: &mut Server) {
    crate::expire::active_expire_cycle(server, crate::expire::ACTIVE_EXPIRE_CYCLE_SLOW);
    for db in server.dbs.iter_mut() {
        db.dict.try_shrink();
        db.expires.try_shrink();
    }
    if server.config.activerehashing {
        for db in server.dbs.iter_mut() {
            if db.dict.is_rehashing() {
                db.dict.rehash_milliseconds(1);
                break;
            }
            if db.expires.is_rehashing() {
                db.expires.rehash_milliseconds(1);
                break;
            }
        }
    }
}

// ----------------------------------------------------------------------
// Commands: lookup, admission, execution.
// ----------------------------------------------------------------------

/// `processCommandAndResetClient`.
pub fn process_command_and_reset_client(server: &mut Server, c: &mut Client) {
    process_command(server, c);
    if c.flags & networking::CLIENT_BLOCKED == 0 {
        c.reset_client();
    }
    if c.flags & CLIENT_CLOSE_AFTER_COMMAND != 0 {
        c.flags &= !CLIENT_CLOSE_AFTER_COMMAND;
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

/// `rejectCommand`: an error reply that also counts as a rejected call.
fn reject_command(server: &mut Server, c: &mut Client, err: &str) {
    if let Some(i) = c.cmd {
        server.commands.list[i].stats.rejected_calls += 1;
    }
    c.add_reply_error(err);
    update_error_stats(server, c);
}

/// `processCommand`: looks the command up and checks everything that may
/// refuse it before running it with `call`.
pub fn process_command(server: &mut Server, c: &mut Client) {
    let Some(name) = c.argv.first() else { return };
    if name.eq_ignore_ascii_case(b"quit") {
        c.add_reply_ok();
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
        return;
    }
    let found = server.commands.lookup_command(&c.argv);
    c.cmd = found.as_ref().ok().copied();
    if c.cmd.is_some() {
        c.lastcmd = c.cmd;
    }
    let idx = match found {
        Ok(i) => i,
        Err(commands::LookupError::UnknownCommand) => {
            let err = commands::unknown_command_error(&c.argv);
            reject_command(server, c, &err);
            return;
        }
        Err(commands::LookupError::UnknownSubcommand) => {
            let err = commands::unknown_subcommand_error(&c.argv);
            reject_command(server, c, &err);
            return;
        }
    };
    let (arity, flags, fullname) = {
        let e = &server.commands.list[idx];
        (e.arity, e.flags, e.fullname.clone())
    };
    let argc = c.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        let err = format!("wrong number of arguments for '{fullname}' command");
        reject_command(server, c, &err);
        return;
    }
    if flags & commands::CMD_PROTECTED != 0
        && !allow_protected_action(server.config.enable_debug_command_mode(), c)
    {
        reject_command(
            server,
            c,
            "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        );
        return;
    }
    if server.auth_required(c) && flags & CMD_NO_AUTH == 0 {
        reject_command(server, c, "-NOAUTH Authentication required.");
        return;
    }
    if server.loading && flags & CMD_LOADING == 0 {
        reject_command(server, c, "-LOADING Redis is loading the dataset in memory");
        return;
    }
    call(server, c, idx);
}

/// `allowProtectedAction`: `yes`, or `local` from a loopback/unix client.
fn allow_protected_action(mode: u8, c: &Client) -> bool {
    match mode {
        1 => true,
        2 => {
            c.flags & networking::CLIENT_UNIX_SOCKET != 0
                || c.addr.starts_with("127.")
                || c.addr.starts_with("[::1]")
        }
        _ => false,
    }
}

/// `call`: runs the command, times it and updates the statistics.
pub fn call(server: &mut Server, c: &mut Client, idx: usize) {
    let proc_ = server.commands.list[idx].proc_;
    let start = ustime();
    server.cmd_time_snapshot = start / 1000;
    server.mstime = server.cmd_time_snapshot;
    proc_(server, c);
    let duration = (ustime() - start).max(0) as u64;
    let failed = !c.pending_errors.is_empty();
    {
        let stats = &mut server.commands.list[idx].stats;
        stats.calls += 1;
        stats.microseconds += duration;
        if failed {
            stats.failed_calls += 1;
        }
    }
    if failed {
        update_error_stats(server, c);
    }
    server.stat_numcommands += 1;
}

/// Moves the errors a command replied into `INFO errorstats`.
fn update_error_stats(server: &mut Server, c: &mut Client) {
    for code in c.pending_errors.drain(..) {
        server.stat_total_error_replies += 1;
        *server.errors.entry(code).or_insert(0) += 1;
    }
}

/// `prepareForShutdown`: here only the parts that exist so far.
pub fn prepare_for_shutdown(server: &mut Server, _flags: u32) -> Result<(), String> {
    server.server_log(LL_WARNING, "User requested shutdown...");
    if !server.config.pidfile.is_empty() {
        let _ = std::fs::remove_file(&server.config.pidfile);
    }
    if !server.config.unixsocket.is_empty() {
        let _ = std::fs::remove_file(&server.config.unixsocket);
    }
    server.server_log(LL_WARNING, "Redis is now ready to exit, bye bye...");
    Ok(())
}

// ----------------------------------------------------------------------
// Commands implemented in server.c.
// ----------------------------------------------------------------------

/// PING [message]
pub fn ping_command(_server: &mut Server, c: &mut Client) {
    if c.argv.len() > 2 {
        c.add_reply_error_arity("ping");
        return;
    }
    if c.flags & networking::CLIENT_PUBSUB != 0 && c.resp == 2 {
        // A subscribed RESP2 client gets the reply as a pub/sub message.
        c.add_reply(b"*2\r\n$4\r\npong\r\n");
        match c.argv.get(1).cloned() {
            Some(m) => c.add_reply_bulk(&m),
            None => c.add_reply_bulk(b""),
        }
    } else {
        match c.argv.get(1).cloned() {
            Some(m) => c.add_reply_bulk(&m),
            None => c.add_reply(b"+PONG\r\n"),
        }
    }
}

/// ECHO message
pub fn echo_command(_server: &mut Server, c: &mut Client) {
    let m = std::mem::take(&mut c.argv[1]);
    c.add_reply_bulk(&m);
}

// ----------------------------------------------------------------------
// main
// ----------------------------------------------------------------------

fn version() -> String {
    format!(
        "Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=redis-mio-{REDIS_MIO_VERSION}"
    )
}

fn usage() -> ! {
    eprintln!("Usage: ./redis-server [/path/to/redis.conf] [options] [-]");
    eprintln!("       ./redis-server - (read config from stdin)");
    eprintln!("       ./redis-server -v or --version");
    eprintln!("       ./redis-server -h or --help");
    eprintln!("       ./redis-server --test-memory <megabytes>");
    eprintln!();
    eprintln!("Examples:");
    eprintln!("       ./redis-server (run the server with default conf)");
    eprintln!("       ./redis-server /etc/redis/6379.conf");
    eprintln!("       ./redis-server --port 7777");
    eprintln!("       ./redis-server --port 7777 --replicaof 127.0.0.1 8888");
    eprintln!("       ./redis-server /etc/myredis.conf --loglevel verbose -");
    eprintln!("       ./redis-server /etc/myredis.conf --loglevel verbose");
    std::process::exit(1);
}

/// SIGTERM/SIGINT only set a flag; `server_cron` shuts down (as C does).
static SHUTDOWN_SIGNAL: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

extern "C" fn sig_shutdown_handler(sig: libc::c_int) {
    SHUTDOWN_SIGNAL.store(sig, std::sync::atomic::Ordering::SeqCst);
}

fn setup_signal_handlers() {
    // SAFETY: the handler only stores into an atomic, which is
    // async-signal-safe; SIGPIPE is ignored so writes return EPIPE.
    unsafe {
        libc::signal(
            libc::SIGTERM,
            sig_shutdown_handler as *const () as libc::sighandler_t,
        );
        libc::signal(
            libc::SIGINT,
            sig_shutdown_handler as *const () as libc::sighandler_t,
        );
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Checked each turn: turns a received signal into `shutdown_asap`.
fn check_shutdown_signal(server: &mut Server) {
    let sig = SHUTDOWN_SIGNAL.swap(0, std::sync::atomic::Ordering::SeqCst);
    if sig != 0 {
        let name = if sig == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        server.server_log(
            LL_WARNING,
            &format!("Received {name} scheduling shutdown..."),
        );
        server.shutdown_asap = true;
    }
}

/// The process entry point.
pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut config_file: Option<String> = None;
    let mut from_stdin = false;
    let mut j = 1;
    if args.len() >= 2 {
        match args[1].as_str() {
            "-v" | "--version" => {
                println!("{}", version());
                std::process::exit(0);
            }
            "-h" | "--help" => usage(),
            "--test-memory" => {
                eprintln!("--test-memory is not supported by redis-mio: use memtester or the real redis-server for a memory test.");
                std::process::exit(1);
            }
            _ => {}
        }
        if !args[1].starts_with('-') {
            config_file = Some(args[1].clone());
            j = 2;
        }
    }
    let rest = &args[j..];
    if rest.iter().any(|a| a == "-") {
        from_stdin = true;
    }
    let options = crate::config::options_from_argv(rest);

    let mut config = Config::default();
    if let Err(e) = config.load_server_config(config_file.as_deref(), from_stdin, &options) {
        eprint!("{e}");
        std::process::exit(1);
    }
    set_log_config(config.verbosity(), &config.logfile);
    setup_signal_handlers();

    server_log_raw(LL_WARNING, "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    server_log_raw(
        LL_WARNING,
        &format!(
            "Redis version={REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid={}, just started",
            std::process::id()
        ),
    );
    if config_file.is_none() {
        server_log_raw(
            LL_WARNING,
            &format!(
                "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
                args[0]
            ),
        );
    } else {
        server_log_raw(LL_WARNING, "Configuration loaded");
    }

    let mut server = match init_server(config) {
        Ok(s) => s,
        Err(e) => {
            server_log_raw(LL_WARNING, &e);
            std::process::exit(1);
        }
    };
    if !server.config.pidfile.is_empty() {
        let _ = std::fs::write(&server.config.pidfile, format!("{}\n", std::process::id()));
    }
    server_log_raw(
        LL_NOTICE,
        &format!("Running mode=standalone, port={}.", server.config.port),
    );
    server_log_raw(LL_NOTICE, "Server initialized");
    server_log_raw(LL_NOTICE, "Ready to accept connections");
    ae::ae_main(&mut server);
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_timestamp_has_millis() {
        let t = super::log_timestamp();
        // "dd Mon yyyy HH:MM:SS.mmm"
        assert_eq!(t.len(), 24, "{t}");
        assert_eq!(&t[20..21], ".");
    }
}
