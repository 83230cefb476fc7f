//! The CONFIG command (the command half of `config.c`).
//!
//! The table and the parsing live in `config.rs`; this part turns a client's
//! request into calls on it and then makes the server act on what changed:
//! `config_set` returns the apply hooks of the directives whose value really
//! changed, and [`apply_config_hook`] runs each (re-listening on a new port,
//! for instance). If one fails, every value is restored and the hooks run
//! again, so a failed CONFIG SET leaves the server as it was.

use super::{apply_failed_error, lookup_config, ApplyHook, SetContext, SENSITIVE_CONFIG};
use crate::networking::Client;
use crate::server::{Server, LL_WARNING};

/// CONFIG GET pattern [pattern ...]
pub fn config_get_command(server: &mut Server, c: &mut Client) {
    let patterns: Vec<&[u8]> = c.argv[2..].iter().map(|a| &a[..]).collect();
    let pairs = server.config.config_get(&patterns);
    c.add_reply_map_len(pairs.len() as i64);
    for (name, value) in pairs {
        c.add_reply_bulk(name.as_bytes());
        c.add_reply_bulk(value.as_bytes());
    }
}

/// CONFIG SET directive value [directive value ...]
pub fn config_set_command(server: &mut Server, c: &mut Client) {
    if !c.argv.len().is_multiple_of(2) {
        c.add_reply_syntax_error();
        return;
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = c.argv[2..]
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect();
    // Secrets never reach the slowlog or MONITOR, whatever the outcome.
    for (i, (name, _)) in pairs.iter().enumerate() {
        if lookup_config(name).is_some_and(|r| r.config.flags & SENSITIVE_CONFIG != 0) {
            c.redact_client_command_argument(3 + i * 2);
        }
    }
    let ctx = SetContext {
        loading: server.loading,
        client_is_local: crate::server::is_local_client(c),
    };
    let snapshot = server.config.snapshot();
    let hooks = match server.config.config_set_with(&pairs, &ctx) {
        Ok(h) => h,
        // The table's text carries its own error code ("ERR ...",
        // "LOADING ...").
        Err(e) => {
            c.add_reply_error(&format!("-{e}"));
            return;
        }
    };
    for &hook in &hooks {
        if let Err(err) = apply_config_hook(server, hook) {
            let name = apply_failed_error(&pairs, hook, &err);
            server.server_log(
                LL_WARNING,
                "Failed applying new configuration. Possibly related to new setting. Restoring previous settings.",
            );
            server.config.snapshot_restore(snapshot);
            for &h in &hooks {
                // Going back to values that worked before: a failure here
                // has nothing better to fall back to, so it is only logged.
                if let Err(e) = apply_config_hook(server, h) {
                    server.server_log(LL_WARNING, &format!("Failed restoring configuration: {e}"));
                }
            }
            c.add_reply_error(&format!("-{name}"));
            return;
        }
    }
    apply_log_config(server);
    c.add_reply_ok();
}

/// Log settings are read by the logger on every line, not through a hook.
fn apply_log_config(server: &Server) {
    crate::server::set_log_config(server.config.loglevel as i32, &server.config.logfile);
}

/// Makes the server act on a changed directive.
pub fn apply_config_hook(server: &mut Server, hook: ApplyHook) -> Result<(), String> {
    match hook {
        ApplyHook::Port => crate::server::change_listen_port(server)
            .map_err(|_| "Unable to listen on this port. Check server logs.".to_string()),
        ApplyHook::Bind => crate::server::change_listen_port(server)
            .map_err(|_| "Failed to bind to specified addresses.".to_string()),
        ApplyHook::OomScoreAdj => crate::server::set_oom_score_adj(server, None)
            .map_err(|_| "Failed to set current oom_score_adj. Check server logs.".to_string()),
        ApplyHook::SighandlerEnabled => {
            if server.config.crash_log_enabled {
                crate::debug::setup_sigsegv_handlers();
            } else {
                crate::debug::remove_sigsegv_handlers();
            }
            Ok(())
        }
        ApplyHook::ClusterFlags => {
            crate::cluster::init::cluster_update_myself_flags(server);
            Ok(())
        }
        ApplyHook::ClusterAnnouncedPort => {
            crate::cluster::init::cluster_update_myself_announced_ports(server);
            Ok(())
        }
        ApplyHook::ClusterIp => {
            crate::cluster::init::cluster_update_myself_ip(server);
            Ok(())
        }
        ApplyHook::ClusterHostname => {
            crate::cluster::init::cluster_update_myself_hostname(server);
            Ok(())
        }
        // Read where they are used (the cron period, AUTH, the accept path,
        // the working directory already changed by the set itself).
        _ => Ok(()),
    }
}

/// CONFIG RESETSTAT
pub fn config_reset_stat_command(server: &mut Server, c: &mut Client) {
    crate::server::reset_server_stats(server);
    crate::server::reset_command_table_stats(server);
    crate::server::reset_error_table_stats(server);
    c.add_reply_ok();
}

/// CONFIG REWRITE
pub fn config_rewrite_command(server: &mut Server, c: &mut Client) {
    let Some(path) = server.config.config_file.clone() else {
        c.add_reply_error("The server is running without a config file");
        return;
    };
    match server.config.config_rewrite(std::path::Path::new(&path)) {
        Ok(()) => {
            server.server_log(LL_WARNING, "CONFIG REWRITE executed with success.");
            c.add_reply_ok();
        }
        Err(e) => {
            server.server_log(LL_WARNING, &format!("CONFIG REWRITE failed: {e}"));
            c.add_reply_error(&format!("Rewriting config file: {e}"));
        }
    }
}

/// CONFIG HELP
pub fn config_help_command(_server: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "config",
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    );
}
