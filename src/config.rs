//! Interim config; replaced by the full directive table (branch config).

pub struct Config {
    pub port: i64,
    pub bind: Vec<String>,
    pub tcp_backlog: i64,
    pub unixsocket: String,
    pub unixsocketperm: i64,
    pub tcp_keepalive: i64,
    pub protected_mode: bool,
    pub requirepass: String,
    pub maxclients: i64,
    pub databases: i64,
    pub hz: i64,
    pub timeout: i64,
    pub activerehashing: bool,
    pub pidfile: String,
    pub logfile: String,
    pub loglevel: i32,
    pub client_query_buffer_limit: u64,
    pub proto_max_bulk_len: i64,
    pub enable_debug_command: u8,
    pub cluster_enabled: bool,
    pub active_expire_effort: i64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    bind_explicit: bool,
}

/// `maxmemory-policy` (same variants as the directive table's enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["*".into(), "-::*".into()],
            tcp_backlog: 511,
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_keepalive: 300,
            protected_mode: true,
            requirepass: String::new(),
            maxclients: 10000,
            databases: 16,
            hz: 10,
            timeout: 0,
            activerehashing: true,
            pidfile: String::new(),
            logfile: String::new(),
            loglevel: 2,
            client_query_buffer_limit: 1 << 30,
            proto_max_bulk_len: 512 << 20,
            enable_debug_command: 0,
            cluster_enabled: false,
            active_expire_effort: 1,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            bind_explicit: false,
        }
    }
}

pub fn options_from_argv(args: &[String]) -> String {
    let mut out = String::new();
    for a in args {
        if let Some(name) = a.strip_prefix("--") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(name);
            out.push(' ');
        } else if a != "-" {
            out.push_str(&format!("\"{a}\" "));
        }
    }
    out
}

impl Config {
    pub fn load_server_config(
        &mut self,
        file: Option<&str>,
        _stdin: bool,
        options: &str,
    ) -> Result<(), String> {
        let mut text = match file {
            Some(f) => std::fs::read_to_string(f)
                .map_err(|e| format!("Fatal error, can't open config file '{f}': {e}\n"))?,
            None => String::new(),
        };
        text.push('\n');
        text.push_str(options);
        for line in text.lines() {
            let Some(args) = crate::sds::sds_split_args(line.trim().as_bytes()) else {
                continue;
            };
            if args.is_empty() || args[0].starts_with(b"#") {
                continue;
            }
            let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
            let v = args
                .get(1)
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .unwrap_or_default();
            match name.as_str() {
                "port" => self.port = v.parse().unwrap_or(6379),
                "bind" => {
                    self.bind = args[1..]
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect();
                    self.bind_explicit = true;
                }
                "unixsocket" => self.unixsocket = v,
                "timeout" => self.timeout = v.parse().unwrap_or(0),
                "maxclients" => self.maxclients = v.parse().unwrap_or(10000),
                "databases" => self.databases = v.parse().unwrap_or(16),
                "hz" => self.hz = v.parse().unwrap_or(10),
                "logfile" => self.logfile = v,
                "pidfile" => self.pidfile = v,
                "requirepass" => self.requirepass = v,
                "protected-mode" => self.protected_mode = v == "yes",
                "enable-debug-command" => {
                    self.enable_debug_command = if v == "yes" {
                        1
                    } else if v == "local" {
                        2
                    } else {
                        0
                    }
                }
                "maxmemory-policy" => {
                    self.maxmemory_policy = match v.as_str() {
                        "volatile-lru" => MaxmemoryPolicy::VolatileLru,
                        "volatile-lfu" => MaxmemoryPolicy::VolatileLfu,
                        "volatile-random" => MaxmemoryPolicy::VolatileRandom,
                        "volatile-ttl" => MaxmemoryPolicy::VolatileTtl,
                        "allkeys-lru" => MaxmemoryPolicy::AllkeysLru,
                        "allkeys-lfu" => MaxmemoryPolicy::AllkeysLfu,
                        "allkeys-random" => MaxmemoryPolicy::AllkeysRandom,
                        _ => MaxmemoryPolicy::NoEviction,
                    }
                }
                "lfu-log-factor" => self.lfu_log_factor = v.parse().unwrap_or(10),
                "lfu-decay-time" => self.lfu_decay_time = v.parse().unwrap_or(1),
                "dir" => {
                    let _ = std::env::set_current_dir(&v);
                }
                _ => {}
            }
        }
        Ok(())
    }
    pub fn requirepass_is_set(&self) -> bool {
        !self.requirepass.is_empty()
    }
    pub fn bind_is_explicit(&self) -> bool {
        self.bind_explicit
    }
    pub fn verbosity(&self) -> i32 {
        self.loglevel
    }
    pub fn loglevel_at_most_verbose(&self) -> bool {
        self.loglevel <= 1
    }
    pub fn enable_debug_command_mode(&self) -> u8 {
        self.enable_debug_command
    }
}
