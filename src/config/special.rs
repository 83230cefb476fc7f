//! The directives that need rules of their own: value checks run before a
//! plain value is stored (file names, hostnames, the process title
//! template...), and the special directives whose value is not a single
//! plain field (`dir`, `save`, `client-output-buffer-limit`, `bind` ...), each
//! with the set / get / rewrite functions the table points to. Mirrors the
//! matching parts of `config.c`.

use super::*;

/*-----------------------------------------------------------------------------
 * Validators
 *----------------------------------------------------------------------------*/

pub(super) fn is_valid_active_defrag(_: &Config, val: bool) -> Result<(), String> {
    if val {
        // We have no allocator that can move live allocations, like a
        // Redis built without its bundled jemalloc.
        return Err("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution".to_string());
    }
    Ok(())
}

pub(super) fn is_valid_db_filename(_: &Config, val: &str) -> Result<(), String> {
    if !path_is_base_name(val.as_bytes()) {
        return Err("dbfilename can't be a path, just a filename".to_string());
    }
    Ok(())
}

pub(super) fn is_valid_aof_filename(_: &Config, val: &str) -> Result<(), String> {
    if val.is_empty() {
        return Err("appendfilename can't be empty".to_string());
    }
    if !path_is_base_name(val.as_bytes()) {
        return Err("appendfilename can't be a path, just a filename".to_string());
    }
    Ok(())
}

pub(super) fn is_valid_aof_dirname(_: &Config, val: &str) -> Result<(), String> {
    if val.is_empty() {
        return Err("appenddirname can't be empty".to_string());
    }
    if !path_is_base_name(val.as_bytes()) {
        return Err("appenddirname can't be a path, just a dirname".to_string());
    }
    Ok(())
}

pub(super) fn is_valid_shutdown_on_sig_flags(_: &Config, val: i32) -> Result<(), String> {
    if val & SHUTDOWN_NOSAVE != 0 && val & SHUTDOWN_SAVE != 0 {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".to_string());
    }
    Ok(())
}

pub(super) fn is_valid_announced_hostname(_: &Config, val: &str) -> Result<(), String> {
    if val.len() >= NET_HOST_STR_LEN {
        return Err(format!(
            "Hostnames must be less than {NET_HOST_STR_LEN} characters"
        ));
    }
    if !val
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err(
            "Hostnames may only contain alphanumeric characters, hyphens or dots".to_string(),
        );
    }
    Ok(())
}

pub(super) fn is_valid_proc_title_template(config: &Config, val: &str) -> Result<(), String> {
    match config.expand_proc_title_template(val, "") {
        Some(title) if !title.is_empty() => Ok(()),
        _ => Err("template format is invalid or contains unknown variables".to_string()),
    }
}

impl Config {
    /// Expands a `proc-title-template` for `title` (the program name).
    /// `None` when the template is malformed or names an unknown variable.
    pub fn expand_proc_title_template(&self, template: &str, title: &str) -> Option<String> {
        let mut res = String::new();
        let mut rest = template;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                res.push_str(rest);
                break;
            };
            res.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if after.is_empty() {
                return None;
            }
            if let Some(stripped) = after.strip_prefix('{') {
                // `{{` is a literal brace.
                res.push('{');
                rest = stripped;
                continue;
            }
            let close = after.find('}')?;
            res.push_str(&self.proc_title_variable(&after[..close], title)?);
            rest = &after[close + 1..];
        }
        Some(res.trim_matches(' ').to_string())
    }

    fn proc_title_variable(&self, name: &str, title: &str) -> Option<String> {
        let unixsocket = self.unixsocket.as_deref().unwrap_or("");
        Some(match name {
            "title" => title.to_string(),
            "listen-addr" if self.port != 0 || self.tls_port != 0 => format!(
                "{}:{}",
                self.bind.first().map_or("*", String::as_str),
                if self.port != 0 {
                    self.port
                } else {
                    self.tls_port
                }
            ),
            "listen-addr" => format!("unixsocket:{unixsocket}"),
            "server-mode" if self.cluster_enabled => "[cluster]".to_string(),
            "server-mode" => String::new(),
            "config-file" => self
                .config_file
                .as_ref()
                .map_or("-".to_string(), |p| p.to_string_lossy().into_owned()),
            "port" => self.port.to_string(),
            "tls-port" => self.tls_port.to_string(),
            "unixsocket" => unixsocket.to_string(),
            _ => return None,
        })
    }
}

/*-----------------------------------------------------------------------------
 * Special directives
 *----------------------------------------------------------------------------*/

pub(super) fn set_config_dir_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    let [dir] = argv else {
        return Err("wrong number of arguments".to_string());
    };
    // Like C, the directory is entered right away: later relative paths
    // (include, logfile, dbfilename) resolve inside it.
    std::env::set_current_dir(dir).map_err(|e| strerror(&e))?;
    c.dir = current_dir_string();
    Ok(true)
}

pub(super) fn get_config_dir_option(c: &Config) -> String {
    c.dir.clone()
}

pub(super) fn rewrite_config_dir_option(c: &Config, name: &str, state: &mut RewriteState) {
    if c.dir.is_empty() {
        state.mark_as_processed(name);
        return;
    }
    rewrite_config_string_option(state, name, Some(&c.dir), None);
}

pub(super) fn set_config_save_option(
    c: &mut Config,
    argv: &[String],
    ctx: &mut LoadCtx,
) -> Result<bool, String> {
    let mut argv = argv;
    // A single "" means no snapshots.
    if argv.len() == 1 && argv[0].is_empty() {
        c.save_params.clear();
        argv = &[];
    }
    if argv.len() % 2 == 1 {
        return Err("Invalid save parameters".to_string());
    }
    let mut values = Vec::with_capacity(argv.len());
    for (j, arg) in argv.iter().enumerate() {
        let min = if j % 2 == 0 { 1 } else { 0 };
        match strtoll_full(arg, 10) {
            Some(v) if v >= min => values.push(v),
            _ => return Err("Invalid save parameters".to_string()),
        }
    }
    // CONFIG SET replaces the list. In a file the first `save` line replaces
    // the defaults and the next ones add to it.
    if !ctx.reading_config_file {
        c.save_params.clear();
    } else if !ctx.save_loaded {
        ctx.save_loaded = true;
        c.save_params.clear();
    }
    for pair in values.chunks_exact(2) {
        // C keeps the change count in an int.
        c.save_params.push((pair[0], pair[1] as i32 as i64));
    }
    Ok(true)
}

pub(super) fn get_config_save_option(c: &Config) -> String {
    let parts: Vec<String> = c
        .save_params
        .iter()
        .map(|(seconds, changes)| format!("{seconds} {changes}"))
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_config_save_option(c: &Config, name: &str, state: &mut RewriteState) {
    if c.save_params.is_empty() {
        // An explicit empty save, or the defaults would come back.
        state.rewrite_line(name, "save \"\"".to_string(), true);
    }
    for (seconds, changes) in &c.save_params {
        state.rewrite_line(name, format!("save {seconds} {changes}"), true);
    }
    state.mark_as_processed(name);
}

/// Client class of a `client-output-buffer-limit` argument.
pub(super) fn get_client_type_by_name(name: &str) -> Option<usize> {
    match name.to_ascii_lowercase().as_str() {
        "normal" => Some(CLIENT_TYPE_NORMAL),
        "slave" | "replica" => Some(CLIENT_TYPE_SLAVE),
        "pubsub" => Some(CLIENT_TYPE_PUBSUB),
        _ => None, // "master" has no limits either
    }
}

pub(super) const CLIENT_TYPE_NAMES: [&str; CLIENT_TYPE_OBUF_COUNT] = ["normal", "slave", "pubsub"];

pub(super) fn set_config_client_output_buffer_limit_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    // <class> <hard> <soft> <soft seconds>, repeated.
    if !argv.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    // Check every class before touching any, so a bad one changes nothing.
    let mut values: [Option<ClientBufferLimit>; CLIENT_TYPE_OBUF_COUNT] = [None; 3];
    for group in argv.chunks_exact(4) {
        let class = get_client_type_by_name(&group[0]).ok_or_else(|| {
            "Invalid client class specified in buffer limit configuration.".to_string()
        })?;
        let hard = memtoull(group[1].as_bytes());
        let soft = memtoull(group[2].as_bytes());
        // C keeps the seconds in an int.
        let secs = strtoll_full(&group[3], 10).map(|s| s as i32);
        match (hard, soft, secs) {
            (Some(hard), Some(soft), Some(secs)) if secs >= 0 => {
                values[class] = Some(ClientBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: secs as i64,
                });
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .to_string(),
                )
            }
        }
    }
    for (slot, value) in c.client_obuf_limits.iter_mut().zip(values) {
        if let Some(v) = value {
            *slot = v;
        }
    }
    Ok(true)
}

pub(super) fn get_config_client_output_buffer_limit_option(c: &Config) -> String {
    let parts: Vec<String> = c
        .client_obuf_limits
        .iter()
        .zip(CLIENT_TYPE_NAMES)
        .map(|(l, name)| {
            format!(
                "{name} {} {} {}",
                l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
            )
        })
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_config_client_output_buffer_limit_option(
    c: &Config,
    name: &str,
    state: &mut RewriteState,
) {
    for (j, l) in c.client_obuf_limits.iter().enumerate() {
        let force = *l != CLIENT_BUFFER_LIMITS_DEFAULTS[j];
        let class = if j == CLIENT_TYPE_SLAVE {
            "replica"
        } else {
            CLIENT_TYPE_NAMES[j]
        };
        let line = format!(
            "{name} {class} {} {} {}",
            lossy(&rewrite_config_format_memory(l.hard_limit_bytes as i64)),
            lossy(&rewrite_config_format_memory(l.soft_limit_bytes as i64)),
            l.soft_limit_seconds
        );
        state.rewrite_line(name, line, force);
    }
}

pub(super) fn set_config_oom_score_adj_values_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    if argv.len() != CONFIG_OOM_COUNT {
        return Err("wrong number of arguments".to_string());
    }
    let mut values = [0i64; CONFIG_OOM_COUNT];
    for (slot, arg) in values.iter_mut().zip(argv) {
        match strtoll_full(arg, 10) {
            Some(v) if (-2000..=2000).contains(&v) => *slot = v,
            _ => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                        .to_string(),
                )
            }
        }
    }
    // C only warns when the values are not increasing (an unprivileged
    // process cannot lower its score); the server may log that too.
    let changed = c.oom_score_adj_values != values;
    c.oom_score_adj_values = values;
    Ok(changed)
}

pub(super) fn get_config_oom_score_adj_values_option(c: &Config) -> String {
    let parts: Vec<String> = c.oom_score_adj_values.iter().map(i64::to_string).collect();
    parts.join(" ")
}

pub(super) fn rewrite_config_oom_score_adj_values_option(
    c: &Config,
    name: &str,
    state: &mut RewriteState,
) {
    let force = c.oom_score_adj_values != CONFIG_OOM_SCORE_ADJ_VALUES_DEFAULTS;
    let line = format!("{name} {}", get_config_oom_score_adj_values_option(c));
    state.rewrite_line(name, line, force);
}

/// `notify-keyspace-events` classes to `NOTIFY_*` bits; `None` on an
/// unknown character.
pub fn keyspace_events_string_to_flags(classes: &str) -> Option<i32> {
    let mut flags = 0;
    for c in classes.bytes() {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// `NOTIFY_*` bits back to classes, `A` standing for all of its classes.
pub fn keyspace_events_flags_to_string(flags: i32) -> String {
    let mut res = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        res.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if flags & bit != 0 {
                res.push(c);
            }
        }
    }
    for (bit, c) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if flags & bit != 0 {
            res.push(c);
        }
    }
    res
}

pub(super) fn set_config_notify_keyspace_events_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    let [classes] = argv else {
        return Err("wrong number of arguments".to_string());
    };
    c.notify_keyspace_events = keyspace_events_string_to_flags(classes)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())?;
    Ok(true)
}

pub(super) fn get_config_notify_keyspace_events_option(c: &Config) -> String {
    keyspace_events_flags_to_string(c.notify_keyspace_events)
}

pub(super) fn rewrite_config_notify_keyspace_events_option(
    c: &Config,
    name: &str,
    state: &mut RewriteState,
) {
    let flags = keyspace_events_flags_to_string(c.notify_keyspace_events);
    let line = format!("{name} {}", repr_string(flags.as_bytes()));
    state.rewrite_line(name, line, c.notify_keyspace_events != 0);
}

pub(super) fn set_config_bind_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    if argv.len() > CONFIG_BINDADDR_MAX {
        return Err("Too many bind addresses specified.".to_string());
    }
    // A single empty argument means no address at all.
    if argv.len() == 1 && argv[0].is_empty() {
        c.bind.clear();
    } else {
        c.bind = argv.to_vec();
    }
    Ok(true)
}

pub(super) fn get_config_bind_option(c: &Config) -> String {
    c.bind.join(" ")
}

pub(super) fn rewrite_config_bind_option(c: &Config, name: &str, state: &mut RewriteState) {
    if c.bind
        .iter()
        .map(String::as_str)
        .eq(CONFIG_DEFAULT_BINDADDR)
    {
        state.mark_as_processed(name);
        return;
    }
    let addresses = if c.bind.is_empty() {
        "\"\"".to_string()
    } else {
        c.bind.join(" ")
    };
    state.rewrite_line(name, format!("{name} {addresses}"), true);
}

pub(super) fn set_config_replica_of_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    let [host, port] = argv else {
        return Err("wrong number of arguments".to_string());
    };
    c.replicaof = None;
    if host.eq_ignore_ascii_case("no") && port.eq_ignore_ascii_case("one") {
        return Ok(true);
    }
    match strtoll_full(port, 10) {
        Some(p) if (0..=65535).contains(&p) => {
            c.replicaof = Some((host.clone(), p));
            Ok(true)
        }
        _ => Err("Invalid master port".to_string()),
    }
}

pub(super) fn get_config_replica_of_option(c: &Config) -> String {
    match &c.replicaof {
        Some((host, port)) => format!("{host} {port}"),
        None => String::new(),
    }
}

pub(super) fn rewrite_config_replica_of_option(c: &Config, name: &str, state: &mut RewriteState) {
    // A master, or any cluster node, keeps no replicaof line.
    match &c.replicaof {
        Some((host, port)) if !c.cluster_enabled => {
            state.rewrite_line(name, format!("{name} {host} {port}"), true);
        }
        _ => state.mark_as_processed(name),
    }
}

pub(super) fn set_config_latency_tracking_info_percentiles_output_option(
    c: &mut Config,
    argv: &[String],
    _: &mut LoadCtx,
) -> Result<bool, String> {
    c.latency_tracking_info_percentiles.clear();
    if argv.len() == 1 && argv[0].is_empty() {
        return Ok(true);
    }
    let mut values = Vec::with_capacity(argv.len());
    for arg in argv {
        // Like C, a bad list leaves no percentiles at all.
        let p = string2d(arg.as_bytes())
            .ok_or("Invalid latency-tracking-info-percentiles parameters")?;
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .to_string(),
            );
        }
        values.push(p);
    }
    c.latency_tracking_info_percentiles = values;
    Ok(true)
}

/// `%f` without trailing zeros: 99.9, 50, 99.99.
pub(super) fn format_percentile(p: f64) -> String {
    let mut s = format!("{p:.6}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    s
}

pub(super) fn get_config_latency_tracking_info_percentiles_output_option(c: &Config) -> String {
    let parts: Vec<String> = c
        .latency_tracking_info_percentiles
        .iter()
        .map(|p| format_percentile(*p))
        .collect();
    parts.join(" ")
}

pub(super) fn rewrite_config_latency_tracking_info_percentiles_output_option(
    c: &Config,
    name: &str,
    state: &mut RewriteState,
) {
    // Always written: an empty list must not turn back into the defaults.
    let line = if c.latency_tracking_info_percentiles.is_empty() {
        format!("{name} \"\"")
    } else {
        format!(
            "{name} {}",
            get_config_latency_tracking_info_percentiles_output_option(c)
        )
    };
    state.rewrite_line(name, line, true);
}
