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

pub mod command;
pub mod info;

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
/// With `dynamic-hz`, the cron speeds up beyond this many clients per tick.
const MAX_CLIENTS_PER_CLOCK_TICK: i64 = 200;

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
        // A crash report can interrupt `set_log_config` mid-update: drop the
        // line rather than panic inside the report.
        let Ok(l) = l.try_borrow() else { return };
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
        write_log(&l.logfile, &line);
    });
}

/// `serverLogRaw` with `LL_RAW`: the text as is, no prefix.
pub fn server_log_raw_text(text: &str) {
    LOG.with(|l| {
        if let Ok(l) = l.try_borrow() {
            write_log(&l.logfile, text);
        }
    });
}

fn write_log(logfile: &str, text: &str) {
    if logfile.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logfile)
    {
        let _ = f.write_all(text.as_bytes());
    }
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
    /// Durations of the calls (LATENCY HISTOGRAM, INFO latencystats),
    /// allocated on the first call while `latency-tracking` is on.
    pub latency_histogram: Option<Box<crate::latency::LatencyHistogram>>,
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
    /// The cron frequency in use (`hz`, raised by `dynamic-hz`).
    pub hz: i64,
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
    /// What `set_oom_score_adj` must remember between calls.
    pub oom_score: OomScoreAdjState,

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

    pub slowlog: crate::slowlog::Slowlog,
    pub latency: crate::latency::LatencyMonitor,
    /// INFO-only counters and the cron's samples.
    pub info: info::InfoState,
    /// Replication IDs and MONITOR clients.
    pub repl: crate::replication::ReplicationState,
    /// Blocked and postponed clients.
    pub blocked: crate::blocked::BlockedState,
    /// CLIENT PAUSE state.
    pub client_pause: networking::client_cmd::ClientPauseState,
    /// WATCHed keys and EXEC state.
    pub multi: crate::multi::MultiServerState,
    /// Channels, patterns and shard channels with their subscribers.
    pub pubsub: crate::pubsub::PubsubState,
    pub cluster: Option<Box<crate::cluster::ClusterState>>,
    /// EVAL, FUNCTION and the script being run.
    pub scripting: crate::script::ScriptingState,
    /// RDB persistence: the BGSAVE child, save outcomes, loading progress.
    pub rdb: crate::rdb::save::RdbState,
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
        !c.authenticated && self.config.requirepass.is_some()
    }

    /// `catClientInfoString`: one CLIENT LIST line (without newline), with
    /// the fields of Redis 7.0.15 in their order.
    pub fn cat_client_info_string(&self, c: &Client) -> String {
        let mut flags = String::new();
        if c.flags & networking::CLIENT_SLAVE != 0 {
            flags.push(if c.flags & networking::CLIENT_MONITOR != 0 {
                'O'
            } else {
                'S'
            });
        }
        for (bit, ch) in [
            (networking::CLIENT_MASTER, 'M'),
            (networking::CLIENT_PUBSUB, 'P'),
            (networking::CLIENT_MULTI, 'x'),
            (networking::CLIENT_BLOCKED, 'b'),
            (networking::CLIENT_DIRTY_CAS, 'd'),
            (networking::CLIENT_CLOSE_AFTER_REPLY, 'c'),
            (networking::CLIENT_UNBLOCKED, 'u'),
            (networking::CLIENT_CLOSE_ASAP, 'A'),
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
        let mut events = String::new();
        if let Some(token) = c.token {
            let mask = self.el.ae_get_file_events(token);
            if mask & ae::AE_READABLE != 0 {
                events.push('r');
            }
            if mask & ae::AE_WRITABLE != 0 {
                events.push('w');
            }
        }
        let name = c
            .name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n))
            .unwrap_or_default();
        let cmd = c
            .lastcmd
            .map_or("NULL", |i| self.commands.list[i].fullname.as_str());
        // Like the C list of reply blocks, each block costs a list node.
        let omem = c.output_buffer_memory_usage() + c.reply.len() * 40;
        let tot_mem = info::client_memory_usage(c) + c.reply.len() * 40;
        let fd = c.conn.as_ref().map_or(-1, |conn| conn.fd());
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free={} argv-mem={} multi-mem={} rbs={} rbp={} obl={} oll={} omem={} tot-mem={} events={} cmd={} user=default redir=-1 resp={}",
            c.id,
            c.addr,
            c.laddr,
            fd,
            name,
            self.unixtime - c.ctime,
            self.unixtime - c.lastinteraction,
            flags,
            c.db,
            c.pubsub.channels.len(),
            c.pubsub.patterns.len(),
            c.pubsub.shard_channels.len(),
            if c.flags & networking::CLIENT_MULTI != 0 {
                c.mstate.commands.len() as i64
            } else {
                -1
            },
            c.qb_end,
            c.querybuf.len().saturating_sub(c.qb_end),
            c.argv_len_sum,
            crate::multi::multi_state_mem_overhead(c),
            c.buf.capacity(),
            c.buf.capacity(),
            c.buf.len(),
            c.reply.len(),
            omem,
            tot_mem,
            events,
            cmd,
            c.resp
        )
    }
}

/// `createSharedObjects` has no equivalent: shared replies are byte strings.
///
/// `initServer`: builds the state from a loaded config and opens listeners.
pub fn init_server(config: Config, commands: commands::Commands) -> Result<Server, String> {
    let el = EventLoop::ae_create_event_loop(config.maxclients as usize + 128)
        .map_err(|e| format!("Failed creating the event loop. Error message: '{e}'"))?;
    let mut dbs: Vec<RedisDb> = (0..config.databases.max(1) as usize)
        .map(RedisDb::new)
        .collect();
    if config.cluster_enabled {
        // Only db 0 exists for a cluster node's clients (SELECT, MOVE and
        // SWAPDB are refused), so only it keeps the slot index.
        if let Some(db0) = dbs.first_mut() {
            db0.slots_to_keys = Some(Box::default());
        }
    }
    let now_us = ustime();
    let mut server = Server {
        el,
        config,
        commands,
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
        hz: 0,
        shutdown_asap: false,
        loading: false,
        dirty: 0,
        cmd_time_snapshot: now_us / 1000,
        active_expire_enabled: true,
        expire_state: Default::default(),
        debug: Default::default(),
        oom_score: OomScoreAdjState::default(),
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
        slowlog: Default::default(),
        latency: Default::default(),
        info: info::InfoState::new(now_us / 1_000_000),
        repl: Default::default(),
        blocked: Default::default(),
        client_pause: Default::default(),
        multi: Default::default(),
        pubsub: Default::default(),
        cluster: None,
        scripting: Default::default(),
        rdb: Default::default(),
    };
    listen_to_port(&mut server)?;
    if server.config.cluster_enabled {
        crate::cluster::init::cluster_init(&mut server);
    }
    info::cron_update_memory_stats(&mut server, true);
    let hz = server.config.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
    server.hz = hz;
    server
        .el
        .ae_create_time_event(1000 / hz.max(1) as u64, TimeProc::ServerCron);
    Ok(server)
}

/// `listenToPort` for every `bind` address, plus the unix socket.
fn listen_to_port(server: &mut Server) -> Result<(), String> {
    listen_to_tcp(server)?;
    if let Some(path) = server.config.unixsocket.clone() {
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

/// The TCP half of `listenToPort`: one listener per `bind` address.
fn listen_to_tcp(server: &mut Server) -> Result<(), String> {
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
    Ok(())
}

/// `changeListenPort` / `changeBindAddr`: closes the TCP listeners and opens
/// them again for the current `port` and `bind`. On failure the old
/// listeners are gone too; the caller restores the old config and calls
/// this again.
pub fn change_listen_port(server: &mut Server) -> Result<(), String> {
    let listeners = std::mem::take(&mut server.ipfd);
    let tokens = std::mem::take(&mut server.ipfd_tokens);
    for (mut l, t) in listeners.into_iter().zip(tokens) {
        server.el.ae_delete_file_event(&mut l, t);
    }
    listen_to_tcp(server).inspect_err(|e| server.server_log(LL_WARNING, e))
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

/// The protected-mode part of `clientAcceptHandler`: while the default user
/// has no password, only loopback clients are served.
fn check_protected_mode(
    server: &mut Server,
    stream: &mio::net::TcpStream,
    peer: &std::net::SocketAddr,
) -> bool {
    if !server.config.protected_mode || server.config.requirepass.is_some() {
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
    let err = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
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
                let path = server.config.unixsocket.clone().unwrap_or_default();
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
            FileProc::ClusterAccept(idx) => crate::cluster::link::cluster_accept_handler(self, idx),
            FileProc::ClusterLink(id) => {
                crate::cluster::link::cluster_link_event(self, id, readable, writable)
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
    if server.loading {
        // Serving clients in the middle of a load (C's
        // `ProcessingEventsWhileBlocked`): only replies and closes, and a
        // shutdown signal ends the process without saving the partial
        // dataset (`whileBlockedCron`).
        check_shutdown_signal(server);
        if server.shutdown_asap {
            if prepare_for_shutdown(server, SHUTDOWN_NOSAVE).is_ok() {
                std::process::exit(0);
            }
            server.server_log(LL_WARNING, "SIGTERM received but errors trying to shut down the server, check the logs for more information");
            server.shutdown_asap = false;
        }
        networking::handle_clients_with_pending_writes(server);
        networking::free_clients_in_async_free_queue(server);
        return;
    }
    check_shutdown_signal(server);
    crate::blocked::handle_blocked_clients_timeout(server);
    crate::blocked::process_unblocked_clients(server);
    // Clients parked because they had more input than one event may read.
    let pending = std::mem::take(&mut server.clients_pending_read);
    for slot in pending {
        networking::read_query_from_client(server, slot);
    }
    crate::expire::active_expire_cycle(server, crate::expire::ACTIVE_EXPIRE_CYCLE_FAST);
    crate::blocked::handle_clients_blocked_on_keys(server);
    if server.cluster.is_some() {
        crate::cluster::cron::cluster_before_sleep(server);
    }
    networking::handle_clients_with_pending_writes(server);
    networking::free_clients_in_async_free_queue(server);
}

/// `serverCron`: the periodic tasks. Returns the delay to the next call.
fn server_cron(server: &mut Server) -> i64 {
    update_cached_time(server);
    let hz = server_cron_hz(server);
    server.hz = hz;
    if server.debug.pause_cron {
        return 1000 / hz;
    }
    let every_100ms = run_with_period(server, hz, 100);
    info::cron_update_memory_stats(server, every_100ms);
    if every_100ms {
        let (cmds, input, output) = (
            server.stat_numcommands,
            server.stat_net_input_bytes,
            server.stat_net_output_bytes,
        );
        info::track_instantaneous_metric(server, info::STATS_METRIC_COMMAND, cmds);
        info::track_instantaneous_metric(server, info::STATS_METRIC_NET_INPUT, input);
        info::track_instantaneous_metric(server, info::STATS_METRIC_NET_OUTPUT, output);
    }
    clients_cron(server, hz);
    databases_cron(server);
    if server.cluster.is_some() && run_with_period(server, hz, 100) {
        crate::cluster::cron::cluster_cron(server);
    }
    crate::rdb::save::rdb_cron(server);
    networking::client_cmd::check_client_pause_timeout_and_return_if_paused(server);
    if server.shutdown_asap {
        SHUTDOWN_IN_PROGRESS.store(true, std::sync::atomic::Ordering::SeqCst);
        if prepare_for_shutdown(server, 0).is_ok() {
            std::process::exit(0);
        }
        SHUTDOWN_IN_PROGRESS.store(false, std::sync::atomic::Ordering::SeqCst);
        server.shutdown_asap = false;
    }
    server.cronloops += 1;
    1000 / hz
}

/// `run_with_period`: true on the cron calls that fall every `ms`.
/// The cron frequency for this call: `hz`, doubled (up to the maximum)
/// while each tick would have to visit more than
/// `MAX_CLIENTS_PER_CLOCK_TICK` clients, when `dynamic-hz` is on.
fn server_cron_hz(server: &Server) -> i64 {
    let mut hz = server.config.hz.clamp(CONFIG_MIN_HZ, CONFIG_MAX_HZ);
    if server.config.dynamic_hz {
        let clients = server.clients.len() as i64;
        while clients / hz > MAX_CLIENTS_PER_CLOCK_TICK {
            hz *= 2;
            if hz > CONFIG_MAX_HZ {
                hz = CONFIG_MAX_HZ;
                break;
            }
        }
    }
    hz
}

fn run_with_period(server: &Server, hz: i64, ms: i64) -> bool {
    let period = 1000 / hz;
    ms <= period || server.cronloops.is_multiple_of((ms / period) as u64)
}

/// `clientsCron`: checks a slice of the clients every call so that all of
/// them are visited about once per second (timeouts, buffer resizing,
/// buffer peaks for INFO).
fn clients_cron(server: &mut Server, hz: i64) {
    let slots_n = info::CLIENTS_PEAK_MEM_USAGE_SLOTS;
    let cur_slot = server.unixtime as usize % slots_n;
    let zeroidx = (cur_slot + 1) % slots_n;
    server.info.clients_peak_mem_input[zeroidx] = 0;
    server.info.clients_peak_mem_output[zeroidx] = 0;
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
        let alive = !clients_cron_handle_timeout(server, &mut c);
        if alive {
            clients_cron_resize_query_buffer(server, &mut c);
            clients_cron_track_expansive_clients(server, &c, cur_slot);
        }
        server.put_client_back(c, alive);
    }
}

/// `clientsCronHandleTimeout`: true when the client must be closed.
fn clients_cron_handle_timeout(server: &mut Server, c: &mut Client) -> bool {
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
    // A client blocked on a slot that moved away (or while the cluster is
    // down) is redirected rather than left waiting.
    if c.flags & networking::CLIENT_BLOCKED != 0
        && server.cluster.is_some()
        && crate::cluster::redirect::cluster_redirect_blocked_client_if_needed(server, c)
    {
        crate::blocked::unblock_client(server, c);
    }
    false
}

/// `clientsCronResizeQueryBuffer`: gives back query buffer memory a client
/// is not using, all of it once the client has been idle for more than two
/// seconds, or down to its recent peak when the buffer is much bigger than
/// that peak. (`querybuf.len()` plays the part of the sds allocation.)
fn clients_cron_resize_query_buffer(server: &Server, c: &mut Client) {
    // Unparsed bytes are moved to the front after every read, so the
    // pending data is querybuf[..qb_end].
    let used = c.qb_end - c.qb_pos;
    let size = c.querybuf.len();
    let idletime = server.unixtime - c.lastinteraction;
    if size - c.qb_end > 4 * 1024 && c.qb_pos == 0 {
        if idletime > 2 {
            c.querybuf.truncate(c.qb_end);
            c.querybuf.shrink_to_fit();
        } else if size > networking::PROTO_RESIZE_THRESHOLD && size / 2 > c.querybuf_peak {
            let mut resize = used.max(c.querybuf_peak);
            if c.bulklen != -1 {
                resize = resize.max(c.bulklen as usize);
            }
            c.querybuf.truncate(resize.max(c.qb_end));
            c.querybuf.shrink_to_fit();
        }
    }
    c.querybuf_peak = used;
    if c.bulklen != -1 && c.bulklen as usize > c.querybuf_peak {
        c.querybuf_peak = c.bulklen as usize;
    }
}

/// `clientsCronTrackExpansiveClients`: the biggest buffers of this second.
fn clients_cron_track_expansive_clients(server: &mut Server, c: &Client, slot: usize) {
    let in_usage =
        c.querybuf.capacity() + c.argv_len_sum + c.argv.capacity() * std::mem::size_of::<Vec<u8>>();
    let out_usage = c.output_buffer_memory_usage();
    let i = &mut server.info;
    i.clients_peak_mem_input[slot] = i.clients_peak_mem_input[slot].max(in_usage);
    i.clients_peak_mem_output[slot] = i.clients_peak_mem_output[slot].max(out_usage);
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
    // C checks on every reply block; once per command bounds the same.
    networking::close_client_on_output_buffer_limit_reached(server, c);
    if c.flags & networking::CLIENT_BLOCKED == 0 {
        // ASKING lasts for the next command only (or the transaction).
        if c.flags & networking::CLIENT_ASKING != 0
            && !crate::cluster::redirect::asking_survives_reset(server, c)
        {
            c.flags &= !networking::CLIENT_ASKING;
        }
        c.reset_client();
    }
    if c.flags & CLIENT_CLOSE_AFTER_COMMAND != 0 {
        c.flags &= !CLIENT_CLOSE_AFTER_COMMAND;
        c.flags |= CLIENT_CLOSE_AFTER_REPLY;
    }
}

/// `rejectCommand`: an error reply that also counts as a rejected call.
/// Inside MULTI it also dooms the transaction; a refused EXEC aborts it.
fn reject_command(server: &mut Server, c: &mut Client, err: &str) {
    crate::multi::flag_transaction(c);
    if let Some(i) = c.cmd {
        server.commands.list[i].stats.rejected_calls += 1;
    }
    if crate::multi::is_exec(server, c) {
        crate::multi::exec_command_abort(server, c, err);
    } else {
        c.add_reply_error(err);
    }
    update_error_stats(server, c);
}

/// `processCommand`: looks the command up and checks everything that may
/// refuse it before running it with `call`.
pub fn process_command(server: &mut Server, c: &mut Client) {
    let Some(name) = c.argv.first() else { return };
    // Cross protocol scripting: an HTTP request sent to the port.
    if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
        security_warning_command(server, c);
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
    let (arity, flags) = {
        let e = &server.commands.list[idx];
        (e.arity, e.flags)
    };
    let argc = c.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        let fullname = &server.commands.list[idx].fullname;
        let err = format!("wrong number of arguments for '{fullname}' command");
        reject_command(server, c, &err);
        return;
    }
    if flags & commands::CMD_PROTECTED != 0
        && !crate::config::allow_protected_action(
            server.config.enable_debug_command,
            is_local_client(c),
        )
    {
        reject_command(
            server,
            c,
            "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
        );
        return;
    }
    // EXEC is judged by the commands it would run too.
    let in_multi = c.flags & networking::CLIENT_MULTI != 0;
    let (exec_flags, exec_inv_flags) = if in_multi && crate::multi::is_exec(server, c) {
        (c.mstate.cmd_flags, c.mstate.cmd_inv_flags)
    } else {
        (0, 0)
    };
    if server.auth_required(c) && flags & CMD_NO_AUTH == 0 {
        reject_command(server, c, "-NOAUTH Authentication required.");
        return;
    }
    if in_multi && flags & commands::CMD_NO_MULTI != 0 {
        reject_command(server, c, "Command not allowed inside a transaction");
        return;
    }
    // A cluster node serves only the slots it owns; the one branch a
    // non-cluster server pays here.
    if server.cluster.is_some()
        && crate::cluster::redirect::cluster_redirect_if_needed(server, c, idx)
    {
        return;
    }
    if (flags | exec_flags) & commands::CMD_WRITE != 0
        || server.commands.list[idx].fullname == "ping"
    {
        if let Some(err) = crate::rdb::save::write_commands_denied_by_disk_error(server) {
            reject_command(server, c, err);
            return;
        }
    }
    if c.flags & networking::CLIENT_PUBSUB != 0
        && c.resp == 2
        && !crate::pubsub::allowed_in_subscribed_context(server, idx)
    {
        let err = format!(
            "Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            server.commands.list[idx].fullname
        );
        reject_command(server, c, &err);
        return;
    }
    if server.loading && (flags & CMD_LOADING == 0 || exec_inv_flags & CMD_LOADING != 0) {
        reject_command(server, c, "-LOADING Redis is loading the dataset in memory");
        return;
    }
    // While a script is busy only a few commands may run.
    if let Some(err) = crate::script::reject_if_busy(server, flags) {
        reject_command(server, c, err);
        return;
    }
    if networking::client_cmd::postpone_if_paused(server, c, flags | exec_flags) {
        return;
    }
    if in_multi && !crate::multi::is_not_queued(server, idx) {
        crate::multi::queue_multi_command(c, flags);
        c.add_reply(b"+QUEUED\r\n");
    } else {
        call(server, c, idx);
        crate::blocked::handle_clients_blocked_on_keys(server);
    }
}

/// `CLIENT_ID_AOF`: the reserved id of the client that replays the AOF.
pub const CLIENT_ID_AOF: u64 = u64::MAX;

/// `mustObeyClient`: commands from the master or the AOF are applied
/// whatever limits this server has (its data must not diverge).
pub fn must_obey_client(c: &Client) -> bool {
    c.id == CLIENT_ID_AOF || c.flags & networking::CLIENT_MASTER != 0
}

/// `islocalClient`: unix socket or loopback peer.
pub fn is_local_client(c: &Client) -> bool {
    c.flags & networking::CLIENT_UNIX_SOCKET != 0
        || c.addr.starts_with("127.0.0.1:")
        || c.addr.starts_with("[::1]:")
}

/// `securityWarningCommand`: closes the connection, logging at most once
/// a minute.
fn security_warning_command(server: &mut Server, c: &mut Client) {
    static LOGGED_TIME: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
    let now = server.unixtime;
    if (now - LOGGED_TIME.load(std::sync::atomic::Ordering::Relaxed)).abs() > 60 {
        server.server_log(LL_WARNING, "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
        LOGGED_TIME.store(now, std::sync::atomic::Ordering::Relaxed);
    }
    networking::free_client_async(server, c);
}

/// `call`: runs the command, times it and updates the statistics.
pub fn call(server: &mut Server, c: &mut Client, idx: usize) {
    let proc_ = server.commands.list[idx].proc_;
    let start = ustime();
    // The commands of a transaction all see the time EXEC started at.
    if !server.multi.in_exec {
        server.cmd_time_snapshot = start / 1000;
        server.mstime = server.cmd_time_snapshot;
    }
    let cmd_flags = server.commands.list[idx].flags;
    // Administrative commands are too sensitive to be shown to monitors.
    // Handlers may move their arguments out of argv, so keep a copy first.
    let monitor_argv = (cmd_flags & (commands::CMD_SKIP_MONITOR | commands::CMD_ADMIN) == 0
        && !server.repl.monitors.is_empty())
    .then(|| c.argv.to_vec());
    proc_(server, c);
    crate::multi::apply_touches_to_running_client(server, c);
    crate::pubsub::flush_parked_messages(server, c);
    let duration = (ustime() - start).max(0) as u64;
    let failed = !c.pending_errors.is_empty();
    let blocked = c.flags & networking::CLIENT_BLOCKED != 0;
    if blocked {
        c.bpop.duration = duration as i64;
    }

    // The latency this command caused the whole loop, and the slowlog
    // (a blocked command is logged when it is unblocked).
    let event = if cmd_flags & commands::CMD_FAST != 0 {
        "fast-command"
    } else {
        "command"
    };
    crate::latency::latency_add_sample_if_needed(server, event, (duration / 1000) as i64);
    if !blocked && cmd_flags & commands::CMD_SKIP_SLOWLOG == 0 {
        crate::slowlog::slowlog_push_entry_if_needed(server, c, duration as i64);
    }
    if let Some(argv) = monitor_argv {
        // Redacted arguments (passwords) are shown as such.
        let argv = c.original_argv.clone().unwrap_or(argv);
        let db = c.db;
        crate::replication::replication_feed_monitors(server, c, db, &argv);
    }
    if !blocked {
        c.original_argv = None;
    }
    let tracking = server.config.latency_tracking;
    let stats = &mut server.commands.list[idx].stats;
    stats.calls += 1;
    stats.microseconds += duration;
    if failed {
        stats.failed_calls += 1;
    }
    if tracking && !blocked {
        stats
            .latency_histogram
            .get_or_insert_with(Default::default)
            .record((duration * 1000) as i64);
    }
    if failed {
        update_error_stats(server, c);
    }
    server.stat_numcommands += 1;
}

/// `resetCommandTableStats` (CONFIG RESETSTAT).
pub fn reset_command_table_stats(server: &mut Server) {
    for cmd in server.commands.list.iter_mut() {
        cmd.stats = CommandStats::default();
    }
}

/// `resetErrorTableStats` (CONFIG RESETSTAT).
pub fn reset_error_table_stats(server: &mut Server) {
    server.errors.clear();
}

/// `resetServerStats` (CONFIG RESETSTAT): the counters INFO stats shows.
pub fn reset_server_stats(server: &mut Server) {
    server.stat_numcommands = 0;
    server.stat_numconnections = 0;
    server.stat_expiredkeys = 0;
    server.expire_state.stat_expired_stale_perc = 0.0;
    server.expire_state.stat_expired_time_cap_reached_count = 0;
    server.expire_state.stat_expire_cycle_time_used = 0;
    server.stat_keyspace_hits = 0;
    server.stat_keyspace_misses = 0;
    server.stat_rejected_conn = 0;
    server.stat_net_input_bytes = 0;
    server.stat_net_output_bytes = 0;
    server.stat_total_error_replies = 0;
    server.info.reset_stats();
}

/// Moves the errors a command replied into `INFO errorstats`.
pub fn update_error_stats(server: &mut Server, c: &mut Client) {
    for code in c.pending_errors.drain(..) {
        server.stat_total_error_replies += 1;
        *server.errors.entry(code).or_insert(0) += 1;
    }
}

/// `prepareForShutdown`: here only the parts that exist so far.
/// `SHUTDOWN_*` flags of `prepare_for_shutdown`.
pub const SHUTDOWN_NOFLAGS: u32 = 0;
pub const SHUTDOWN_SAVE: u32 = 1;
pub const SHUTDOWN_NOSAVE: u32 = 2;
pub const SHUTDOWN_NOW: u32 = 4;
pub const SHUTDOWN_FORCE: u32 = 8;

/// `prepareForShutdown` + `finishShutdown`. With no replicas there is
/// nobody to wait for, so the shutdown is always immediate. On success the
/// caller exits the process.
pub fn prepare_for_shutdown(server: &mut Server, mut flags: u32) -> Result<(), String> {
    if server.loading {
        flags = (flags & !SHUTDOWN_SAVE) | SHUTDOWN_NOSAVE;
    }
    server.server_log(LL_WARNING, "User requested shutdown...");
    let (save, nosave, force) = (
        flags & SHUTDOWN_SAVE != 0,
        flags & SHUTDOWN_NOSAVE != 0,
        flags & SHUTDOWN_FORCE != 0,
    );
    if !crate::rdb::save::rdb_shutdown_save(server, save, nosave, force) {
        server.server_log(
            LL_WARNING,
            "Errors trying to shut down the server. Check the logs for more information.",
        );
        server.shutdown_asap = false;
        return Err("Errors trying to SHUTDOWN. Check logs.".to_string());
    }
    if let Some(pidfile) = &server.config.pidfile {
        server.server_log(LL_NOTICE, "Removing the pid file.");
        let _ = std::fs::remove_file(pidfile);
    }
    if let Some(path) = &server.config.unixsocket {
        server.server_log(LL_NOTICE, "Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(path) {
            server.server_log(
                LL_WARNING,
                &format!("Error removing the unix socket file: {e}"),
            );
        }
    }
    server.server_log(LL_WARNING, "Redis is now ready to exit, bye bye...");
    Ok(())
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT] (`shutdownCommand` of db.c).
pub fn shutdown_command(server: &mut Server, c: &mut Client) {
    let mut flags = SHUTDOWN_NOFLAGS;
    let mut abort = false;
    for a in &c.argv[1..] {
        match &a.to_ascii_lowercase()[..] {
            b"nosave" => flags |= SHUTDOWN_NOSAVE,
            b"save" => flags |= SHUTDOWN_SAVE,
            b"now" => flags |= SHUTDOWN_NOW,
            b"force" => flags |= SHUTDOWN_FORCE,
            b"abort" => abort = true,
            _ => {
                c.add_reply_syntax_error();
                return;
            }
        }
    }
    if (abort && flags != SHUTDOWN_NOFLAGS)
        || (flags & SHUTDOWN_NOSAVE != 0 && flags & SHUTDOWN_SAVE != 0)
    {
        c.add_reply_syntax_error();
        return;
    }
    if abort {
        // Only a shutdown requested by a signal can still be pending.
        if server.shutdown_asap {
            server.shutdown_asap = false;
            server.server_log(LL_NOTICE, "Shutdown manually aborted.");
            c.add_reply_ok();
        } else {
            c.add_reply_error("No shutdown in progress.");
        }
        return;
    }
    if flags & SHUTDOWN_NOW == 0 && c.flags & networking::CLIENT_DENY_BLOCKING != 0 {
        c.add_reply_error("SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
        return;
    }
    if flags & SHUTDOWN_NOSAVE == 0 && crate::script::script_is_timedout(server) {
        // A busy script: only SHUTDOWN NOSAVE may stop the server.
        let err = if crate::script::script_is_eval(server) {
            crate::script::SLOW_EVAL_ERR
        } else {
            crate::script::SLOW_SCRIPT_ERR
        };
        c.add_reply_error(err);
        return;
    }
    match prepare_for_shutdown(server, flags) {
        Ok(()) => std::process::exit(0),
        Err(e) => c.add_reply_error(&e),
    }
}

/// The statics of `setOOMScoreAdj`: whether we changed the process's OOM
/// score, and the score it had before, restored when `oom-score-adj` goes
/// back to `no` (and added to the configured values when relative).
#[derive(Default)]
pub struct OomScoreAdjState {
    adjusted_by_redis: bool,
    base: i64,
}

const PROC_OOM_SCORE_ADJ: &str = "/proc/self/oom_score_adj";

/// `setOOMScoreAdj`: writes the OOM score of `process_class` (one of
/// `CONFIG_OOM_*`; `None` is this process's own class) to
/// /proc/self/oom_score_adj. The error, already logged, is the line of
/// the log.
pub fn set_oom_score_adj(server: &mut Server, process_class: Option<usize>) -> Result<(), String> {
    use crate::config::{OomScoreAdj, CONFIG_OOM_MASTER};
    // Replicas get CONFIG_OOM_REPLICA once REPLICAOF exists; until then
    // every server is a master.
    let class = process_class.unwrap_or(CONFIG_OOM_MASTER);
    let val = if server.config.oom_score_adj != OomScoreAdj::No {
        if !server.oom_score.adjusted_by_redis {
            match std::fs::read_to_string(PROC_OOM_SCORE_ADJ) {
                Ok(text) => {
                    // atoi: the number at the start, 0 if none.
                    server.oom_score.base = text.trim().parse().unwrap_or(0);
                    server.oom_score.adjusted_by_redis = true;
                }
                Err(e) => {
                    let msg = format!(
                        "Unable to read oom_score_adj: {}",
                        crate::config::helpers::strerror(&e)
                    );
                    server.server_log(LL_WARNING, &msg);
                    return Err(msg);
                }
            }
        }
        let mut val = server.config.oom_score_adj_values[class];
        if server.config.oom_score_adj == OomScoreAdj::Relative {
            val += server.oom_score.base;
        }
        val.clamp(-1000, 1000)
    } else if server.oom_score.adjusted_by_redis {
        server.oom_score.adjusted_by_redis = false;
        server.oom_score.base
    } else {
        return Ok(());
    };
    if let Err(e) = std::fs::write(PROC_OOM_SCORE_ADJ, format!("{val}\n")) {
        let msg = format!(
            "Unable to write oom_score_adj: {}",
            crate::config::helpers::strerror(&e)
        );
        server.server_log(LL_WARNING, &msg);
        return Err(msg);
    }
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
    // Borrowed out and put back: the slowlog still needs the argument.
    let m = std::mem::take(&mut c.argv[1]);
    c.add_reply_bulk(&m);
    c.argv[1] = m;
}

/// TIME: seconds and microseconds, as bulk strings.
pub fn time_command(_server: &mut Server, c: &mut Client) {
    let now = ustime();
    c.add_reply_array_len(2);
    c.add_reply_bulk_long_long(now / 1_000_000);
    c.add_reply_bulk_long_long(now % 1_000_000);
}

/// LASTSAVE
pub fn lastsave_command(server: &mut Server, c: &mut Client) {
    c.add_reply_long_long(server.info.lastsave);
}

/// MONITOR: from now on the client receives every command executed.
pub fn monitor_command(server: &mut Server, c: &mut Client) {
    if c.flags & networking::CLIENT_DENY_BLOCKING != 0 {
        // Such a client expects exactly one reply per command.
        c.add_reply_error("MONITOR isn't allowed for DENY BLOCKING client");
        return;
    }
    // Already a replica or a monitor: nothing to do, not even a reply.
    if c.flags & networking::CLIENT_SLAVE != 0 {
        return;
    }
    c.flags |= networking::CLIENT_SLAVE | networking::CLIENT_MONITOR;
    server.repl.monitors.push(c.slot);
    c.add_reply_ok();
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
/// Set while `server_cron` runs a scheduled shutdown (which may be saving).
static SHUTDOWN_IN_PROGRESS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);
/// `temp-<pid>.rdb`, made before any signal can arrive so that the handler
/// only reads it.
static TEMP_RDB_PATH: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();

extern "C" fn sig_shutdown_handler(sig: libc::c_int) {
    use std::sync::atomic::Ordering;
    // A second SIGINT while a shutdown is pending or saving means "now":
    // drop the half-written RDB and leave (C's "You insist...").
    let pending =
        SHUTDOWN_IN_PROGRESS.load(Ordering::SeqCst) || SHUTDOWN_SIGNAL.load(Ordering::SeqCst) != 0;
    if pending && sig == libc::SIGINT {
        if let Some(path) = TEMP_RDB_PATH.get() {
            // SAFETY: unlink and _exit are async-signal-safe; the path is a
            // valid C string that is never freed.
            unsafe { libc::unlink(path.as_ptr()) };
        }
        // SAFETY: as above.
        unsafe { libc::_exit(1) };
    }
    SHUTDOWN_SIGNAL.store(sig, Ordering::SeqCst);
}

fn setup_signal_handlers() {
    let _ = TEMP_RDB_PATH.set(
        std::ffi::CString::new(format!("temp-{}.rdb", std::process::id())).unwrap_or_default(),
    );
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
        let msg = if server.loading {
            "Received shutdown signal during loading, scheduling shutdown.".to_string()
        } else {
            format!("Received {name} scheduling shutdown...")
        };
        server.server_log(LL_WARNING, &msg);
        server.shutdown_asap = true;
    }
}

/// `redisAsciiArt`: a banner when logging to a terminal (or when
/// `always-show-logo` asks for it), else one log line. The banner is our own;
/// what tools look for in it is kept: the version, the mode, `Port:` and
/// `PID:` (the upstream test harness waits for " PID: <pid>").
fn redis_ascii_art(server: &Server) {
    let mode = if server.config.cluster_enabled {
        "cluster"
    } else {
        "standalone"
    };
    let to_tty = server.config.logfile.is_empty()
        && !server.config.syslog_enabled
        // SAFETY: isatty only inspects the file descriptor.
        && unsafe { libc::isatty(libc::STDOUT_FILENO) } == 1;
    if !(to_tty || server.config.always_show_logo) {
        server_log_raw(
            LL_NOTICE,
            &format!("Running mode={mode}, port={}.", server.config.port),
        );
        return;
    }
    let banner = format!(
        "\n    redis-mio {REDIS_MIO_VERSION}: Redis {REDIS_VERSION} in Rust (64 bit)\n\n    Running in {mode} mode\n    Port: {}\n    PID: {}\n\n",
        server.config.port,
        std::process::id()
    );
    server_log_raw_text(&banner);
}

/// `redisIsSupervised`: whether an init system runs us (then we must not
/// fork away from it). Notifying it of readiness is not done yet.
fn redis_is_supervised(mode: crate::config::SupervisedMode) -> bool {
    use crate::config::SupervisedMode;
    match mode {
        SupervisedMode::No => false,
        SupervisedMode::Upstart | SupervisedMode::Systemd => true,
        SupervisedMode::Auto => {
            std::env::var_os("UPSTART_JOB").is_some() || std::env::var_os("NOTIFY_SOCKET").is_some()
        }
    }
}

/// Tells the operator which directives of their configuration are accepted
/// but do nothing yet in this port (the README lists them all).
fn warn_no_effect_directives(config: &Config) {
    let defaults = Config::default();
    let changed: Vec<&str> = crate::config::CONFIG_TABLE
        .iter()
        .filter(|c| c.no_effect_yet && config.config_get_value(c) != defaults.config_get_value(c))
        .map(|c| c.name)
        .collect();
    if !changed.is_empty() {
        server_log_raw(
            LL_WARNING,
            &format!(
                "WARNING: these directives are accepted but have no effect yet in redis-mio: {}",
                changed.join(", ")
            ),
        );
    }
}

/// `daemonize`: the parent exits, the child starts a new session and
/// points its standard streams at /dev/null.
fn daemonize() {
    // SAFETY: called at start-up before any other thread or socket exists;
    // fork, setsid, open and dup2 have no memory-safety preconditions.
    unsafe {
        if libc::fork() != 0 {
            libc::_exit(0);
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
        }
    }
}

/// `createPidFile`: a daemon without `pidfile` uses Redis's default path.
fn create_pid_file(server: &mut Server) {
    let path = server
        .config
        .pidfile
        .get_or_insert_with(|| "/var/run/redis.pid".to_string())
        .clone();
    if let Err(e) = std::fs::write(&path, format!("{}\n", std::process::id())) {
        server.server_log(LL_WARNING, &format!("Failed to write PID file: {e}"));
    }
}

/// The process entry point.
pub fn main() {
    crate::debug::install_panic_hook();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("-v") | Some("--version") => {
            println!("{}", version());
            std::process::exit(0);
        }
        Some("-h") | Some("--help") => usage(),
        Some("--test-memory") => {
            eprintln!("--test-memory is not supported by redis-mio: use memtester or the real redis-server for a memory test.");
            std::process::exit(1);
        }
        _ => {}
    }
    let cl = crate::config::parse_command_line(&args);
    let config_file = cl.config_file;
    let mut config = Config::default();
    if let Err(e) =
        config.load_server_config(config_file.as_deref(), cl.config_from_stdin, &cl.options)
    {
        eprint!("{e}");
        std::process::exit(1);
    }
    // C renames while reading the file, so a bad line stops the start-up
    // before anything is logged.
    let mut commands = commands::populate_command_table();
    if let Err(e) = commands.apply_rename_commands(&config.rename_commands) {
        eprint!("{e}");
        std::process::exit(1);
    }
    let background = config.daemonize && !redis_is_supervised(config.supervised);
    if background {
        daemonize();
    }
    set_log_config(config.loglevel as i32, &config.logfile);
    setup_signal_handlers();
    if config.crash_log_enabled {
        crate::debug::setup_sigsegv_handlers();
    }

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

    let mut server = match init_server(config, commands) {
        Ok(s) => s,
        Err(e) => {
            server_log_raw(LL_WARNING, &e);
            std::process::exit(1);
        }
    };
    if background || server.config.pidfile.is_some() {
        create_pid_file(&mut server);
    }
    redis_ascii_art(&server);
    warn_no_effect_directives(&server.config);
    // Failures are logged inside; C starts anyway too.
    let _ = set_oom_score_adj(&mut server, None);
    server.info.initial_memory_usage = crate::zmalloc::zmalloc_used_memory();
    server_log_raw(LL_NOTICE, "Server initialized");
    crate::rdb::load::load_data_from_disk(&mut server);
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
