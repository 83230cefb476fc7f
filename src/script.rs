//! The part of scripting shared by EVAL and FUNCTION: a port of `script.c`.
//!
//! Whatever engine runs a script (only Lua exists, as in Redis), a run goes
//! through the same steps: [`script_prepare_for_run`] checks the script's
//! flags against the server state (cluster, OOM, `*_RO` commands) and opens
//! the run context; every `redis.call` goes through [`script_call`], which
//! applies the rules a script must obey (no `noscript` commands, no writes
//! from read-only scripts, deny-oom) before handing the command to the
//! ordinary `call`; [`script_interrupt`] is polled by the engine while the
//! script runs, and once the script is slower than `busy-reply-threshold`
//! it serves the other clients with `-BUSY` (and SCRIPT KILL, FUNCTION KILL,
//! SHUTDOWN NOSAVE) through `process_events_while_blocked`; and
//! [`script_reset_run`] closes the run.
//!
//! The state lives in [`ScriptingState`], the one `server.scripting` field:
//! the EVAL engine and script cache (`eval.rs`), the function libraries
//! (`functions.rs`), the client scripts run their commands with, and the
//! context of the run in progress, which commands served while a script is
//! busy (SCRIPT KILL, FUNCTION STATS) read.
//!
//! Propagation of a script's effects to replicas and the AOF comes with
//! replication: the place is marked in [`script_call`].

use std::time::Instant;

use crate::commands::{
    CMD_ALLOW_BUSY, CMD_DENYOOM, CMD_MAY_REPLICATE, CMD_NOSCRIPT, CMD_STALE, CMD_WRITE,
};
use crate::networking::{self, Client};
use crate::server::{self, Server, LL_WARNING};

/// Flags of a run (`scriptRunCtx.flags`).
pub const SCRIPT_WRITE_DIRTY: u64 = 1 << 0;
pub const SCRIPT_TIMEDOUT: u64 = 1 << 3;
pub const SCRIPT_KILLED: u64 = 1 << 4;
pub const SCRIPT_READ_ONLY: u64 = 1 << 5;
pub const SCRIPT_ALLOW_OOM: u64 = 1 << 6;
pub const SCRIPT_EVAL_MODE: u64 = 1 << 7;
pub const SCRIPT_ALLOW_CROSS_SLOT: u64 = 1 << 8;

/// Flags a script declares (shebang `flags=` or `register_function`).
pub const SCRIPT_FLAG_NO_WRITES: u64 = 1 << 0;
pub const SCRIPT_FLAG_ALLOW_OOM: u64 = 1 << 1;
pub const SCRIPT_FLAG_ALLOW_STALE: u64 = 1 << 2;
pub const SCRIPT_FLAG_NO_CLUSTER: u64 = 1 << 3;
/// An EVAL script without shebang: the rules of Redis 6 apply.
pub const SCRIPT_FLAG_EVAL_COMPAT_MODE: u64 = 1 << 4;
pub const SCRIPT_FLAG_ALLOW_CROSS_SLOT: u64 = 1 << 5;

/// The flag names, in the order FUNCTION LIST prints them.
pub const SCRIPTS_FLAGS_DEF: &[(u64, &str)] = &[
    (SCRIPT_FLAG_NO_WRITES, "no-writes"),
    (SCRIPT_FLAG_ALLOW_OOM, "allow-oom"),
    (SCRIPT_FLAG_ALLOW_STALE, "allow-stale"),
    (SCRIPT_FLAG_NO_CLUSTER, "no-cluster"),
    (SCRIPT_FLAG_ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];

/// `PROPAGATE_*`: where a script's writes go (`redis.set_repl`).
pub const PROPAGATE_NONE: i64 = 0;
pub const PROPAGATE_AOF: i64 = 1;
pub const PROPAGATE_REPL: i64 = 2;

pub const SLOW_EVAL_ERR: &str =
    "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const SLOW_SCRIPT_ERR: &str =
    "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const OOM_ERR: &str = "-OOM command not allowed when used memory > 'maxmemory'.";

/// The run in progress (`scriptRunCtx`, minus the clients, which the
/// engine holds while it runs).
pub struct ScriptRunCtx {
    /// The SHA1 of an EVAL script or the name of a function.
    pub funcname: String,
    pub flags: u64,
    pub repl_flags: i64,
    pub start_time: Instant,
    /// The caller's slot in `server.clients`, to read its input again once
    /// the script is over (it is not read while the script runs).
    pub caller_slot: usize,
    /// Whether the caller is the master or the AOF (its scripts can't be
    /// killed and ignore OOM).
    pub caller_must_obey: bool,
    /// The key slot the script touched first (cluster mode).
    pub slot: Option<u16>,
    /// Whether used memory was above `maxmemory` when the script started.
    pub pre_command_oom_state: bool,
    /// The command that started the run (FUNCTION STATS shows it).
    pub caller_argv: Vec<Vec<u8>>,
}

/// `server.scripting`: everything scripting keeps between commands.
pub struct ScriptingState {
    pub eval: crate::eval::EvalCtx,
    pub functions: crate::functions::FunctionsCtx,
    /// The client scripts run their commands with (`lctx.lua_client`),
    /// taken out while a script runs.
    pub script_client: Option<Box<Client>>,
    /// `curr_run_ctx`.
    pub run: Option<ScriptRunCtx>,
}

impl ScriptingState {
    pub fn new() -> ScriptingState {
        ScriptingState {
            eval: crate::eval::EvalCtx::new(),
            functions: crate::functions::FunctionsCtx::new(),
            script_client: Some(Box::new(new_script_client())),
            run: None,
        }
    }
}

impl Default for ScriptingState {
    fn default() -> Self {
        ScriptingState::new()
    }
}

/// The client of `redis.call`: no connection, and blocking commands are
/// refused as in C.
fn new_script_client() -> Client {
    let mut c = Client::new(0, None, crate::util::ustime() / 1_000_000);
    c.flags |= networking::CLIENT_DENY_BLOCKING;
    c.authenticated = true;
    c
}

/// `scriptIsTimedout`: a script is running and already past the busy
/// threshold, so the loop is being re-entered.
pub fn script_is_timedout(server: &Server) -> bool {
    server
        .scripting
        .run
        .as_ref()
        .is_some_and(|r| r.flags & SCRIPT_TIMEDOUT != 0)
}

/// `scriptIsEval`.
pub fn script_is_eval(server: &Server) -> bool {
    server
        .scripting
        .run
        .as_ref()
        .is_some_and(|r| r.flags & SCRIPT_EVAL_MODE != 0)
}

/// The `-BUSY` refusal of `processCommand` while a script is timed out:
/// only commands flagged `allow-busy` may run. True when refused.
pub fn reject_if_busy(server: &Server, cmd_flags: u64) -> Option<&'static str> {
    if script_is_timedout(server) && cmd_flags & CMD_ALLOW_BUSY == 0 {
        Some(if script_is_eval(server) {
            SLOW_EVAL_ERR
        } else {
            SLOW_SCRIPT_ERR
        })
    } else {
        None
    }
}

/// `scriptInterrupt`, polled by the engine every so many instructions:
/// once the script has run longer than `busy-reply-threshold` the server
/// serves other clients (with -BUSY for most commands) between polls.
/// Returns true when the script must be stopped (SCRIPT/FUNCTION KILL).
pub fn script_interrupt(server: &mut Server) -> bool {
    let Some(run) = server.scripting.run.as_mut() else {
        return false;
    };
    if run.flags & SCRIPT_TIMEDOUT == 0 {
        let elapsed = run.start_time.elapsed().as_millis() as i64;
        if elapsed < server.config.busy_reply_threshold {
            return false;
        }
        run.flags |= SCRIPT_TIMEDOUT;
        let msg = format!(
            "Slow script detected: still in execution after {} milliseconds. You can try killing the script using the {} command. Script name is: {}.",
            elapsed,
            if run.flags & SCRIPT_EVAL_MODE != 0 {
                "SCRIPT KILL"
            } else {
                "FUNCTION KILL"
            },
            run.funcname
        );
        server.server_log(LL_WARNING, &msg);
    }
    networking::process_events_while_blocked(server);
    server
        .scripting
        .run
        .as_ref()
        .is_some_and(|r| r.flags & SCRIPT_KILLED != 0)
}

/// `scriptFlagsToCmdFlags`: the command flags an EVAL/FCALL gets from the
/// flags its script declares.
pub fn script_flags_to_cmd_flags(mut cmd_flags: u64, script_flags: u64) -> u64 {
    cmd_flags &= !(CMD_STALE | CMD_DENYOOM | CMD_WRITE);
    if script_flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES) == 0 {
        cmd_flags |= CMD_DENYOOM;
    }
    if script_flags & SCRIPT_FLAG_NO_WRITES == 0 {
        cmd_flags |= CMD_WRITE;
    }
    if script_flags & SCRIPT_FLAG_ALLOW_STALE != 0 {
        cmd_flags |= CMD_STALE;
    }
    cmd_flags & !CMD_MAY_REPLICATE
}

/// Whether used memory is above `maxmemory` (`server.pre_command_oom_state`
/// without eviction: nothing evicts yet, so the check is the whole story).
fn oom_state(server: &Server) -> bool {
    server.config.maxmemory > 0
        && crate::zmalloc::zmalloc_used_memory() as u64 > server.config.maxmemory
}

/// `scriptPrepareForRun`: refuses the run (replying to the caller) when
/// the script's flags forbid it now, else opens the run context.
pub fn script_prepare_for_run(
    server: &mut Server,
    caller: &mut Client,
    funcname: &str,
    script_flags: u64,
    ro: bool,
) -> bool {
    let obey = server::must_obey_client(caller);
    let oom = oom_state(server);
    if script_flags & SCRIPT_FLAG_EVAL_COMPAT_MODE == 0 {
        if script_flags & SCRIPT_FLAG_NO_CLUSTER != 0 && server.config.cluster_enabled {
            caller.add_reply_error("Can not run script on cluster, 'no-cluster' flag is set.");
            return false;
        }
        // Stale-replica, read-only-replica, disk-error and min-replicas
        // refusals come with replication and persistence.
        if script_flags & SCRIPT_FLAG_NO_WRITES == 0 && ro {
            caller.add_reply_error("Can not execute a script with write flag using *_ro command.");
            return false;
        }
        if oom && script_flags & (SCRIPT_FLAG_ALLOW_OOM | SCRIPT_FLAG_NO_WRITES) == 0 {
            caller.add_reply_error("-OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
            return false;
        }
    }
    let mut flags = 0;
    if ro
        || (script_flags & SCRIPT_FLAG_EVAL_COMPAT_MODE == 0
            && script_flags & SCRIPT_FLAG_NO_WRITES != 0)
    {
        flags |= SCRIPT_READ_ONLY;
    }
    if script_flags & SCRIPT_FLAG_EVAL_COMPAT_MODE == 0 && script_flags & SCRIPT_FLAG_ALLOW_OOM != 0
    {
        flags |= SCRIPT_ALLOW_OOM;
    }
    if script_flags & (SCRIPT_FLAG_EVAL_COMPAT_MODE | SCRIPT_FLAG_ALLOW_CROSS_SLOT) != 0 {
        flags |= SCRIPT_ALLOW_CROSS_SLOT;
    }
    server.scripting.run = Some(ScriptRunCtx {
        funcname: funcname.to_string(),
        flags,
        repl_flags: PROPAGATE_AOF | PROPAGATE_REPL,
        start_time: Instant::now(),
        caller_slot: caller.slot,
        caller_must_obey: obey,
        slot: None,
        pre_command_oom_state: oom,
        caller_argv: caller.argv.to_vec(),
    });
    true
}

/// `scriptResetRun`: closes the run. A caller whose input was not read
/// while the script was busy is read again on the next loop turn.
pub fn script_reset_run(server: &mut Server) {
    if let Some(run) = server.scripting.run.take() {
        if run.flags & SCRIPT_TIMEDOUT != 0 {
            server.clients_pending_read.push(run.caller_slot);
        }
    }
}

/// `scriptKill`: SCRIPT KILL (`is_eval`) and FUNCTION KILL.
pub fn script_kill(server: &mut Server, c: &mut Client, is_eval: bool) {
    let Some(run) = server.scripting.run.as_mut() else {
        c.add_reply_error("-NOTBUSY No scripts in execution right now.");
        return;
    };
    if run.caller_must_obey {
        c.add_reply_error("-UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.");
        return;
    }
    if run.flags & SCRIPT_WRITE_DIRTY != 0 {
        c.add_reply_error("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
        return;
    }
    let eval_mode = run.flags & SCRIPT_EVAL_MODE != 0;
    if is_eval && !eval_mode {
        c.add_reply_error(SLOW_SCRIPT_ERR);
        return;
    }
    if !is_eval && eval_mode {
        c.add_reply_error(SLOW_EVAL_ERR);
        return;
    }
    run.flags |= SCRIPT_KILLED;
    c.add_reply_ok();
}

/// `scriptCall`: runs the command in the script client's argv, after the
/// checks a script's commands must pass. A refusal is returned as the error
/// text (already counted in the error statistics, as C does).
pub fn script_call(server: &mut Server, sc: &mut Client) -> Result<(), String> {
    let found = server.commands.lookup_command(&sc.argv).ok();
    sc.cmd = found;
    sc.lastcmd = found;
    let err = match script_check_command(server, sc, found) {
        Ok(idx) => {
            // Propagation of the command to replicas and the AOF (per
            // `repl_flags`) is added with replication.
            server::call(server, sc, idx);
            return Ok(());
        }
        Err(e) => e,
    };
    if let Some(idx) = found {
        server.commands.list[idx].stats.rejected_calls += 1;
    }
    server.stat_total_error_replies += 1;
    *server.errors.entry(error_code(err.as_bytes())).or_insert(0) += 1;
    Err(err)
}

/// The error code of an error text, as `afterErrorReply` counts it.
fn error_code(err: &[u8]) -> Vec<u8> {
    match err.first() {
        Some(b'-') => {
            let end = err.iter().position(|&b| b == b' ').unwrap_or(err.len());
            err[1..end].to_vec()
        }
        _ => b"ERR".to_vec(),
    }
}

/// The checks of `scriptCall`, in C's order; the command's index when the
/// command may run.
fn script_check_command(
    server: &mut Server,
    sc: &Client,
    found: Option<usize>,
) -> Result<usize, String> {
    let Some(idx) = found else {
        return Err("Unknown Redis command called from script".to_string());
    };
    let (arity, cmd_flags) = {
        let e = &server.commands.list[idx];
        (e.arity, e.flags)
    };
    let argc = sc.argv.len() as i32;
    if (arity > 0 && arity != argc) || argc < -arity {
        return Err("Wrong number of args calling Redis command from script".to_string());
    }
    if cmd_flags & CMD_NOSCRIPT != 0 {
        return Err("This Redis command is not allowed from script".to_string());
    }
    let keys_slot = if server.config.cluster_enabled {
        command_slot(server, idx, &sc.argv)?
    } else {
        None
    };
    let Some(run) = server.scripting.run.as_mut() else {
        return Err("redis.call/pcall can only be called inside a script invocation".to_string());
    };
    if run.flags & SCRIPT_READ_ONLY != 0 && cmd_flags & (CMD_WRITE | CMD_MAY_REPLICATE) != 0 {
        return Err("Write commands are not allowed from read-only scripts.".to_string());
    }
    if run.flags & SCRIPT_ALLOW_OOM == 0
        && server.config.maxmemory > 0
        && !run.caller_must_obey
        && run.flags & SCRIPT_WRITE_DIRTY == 0
        && run.pre_command_oom_state
        && cmd_flags & CMD_DENYOOM != 0
    {
        return Err(OOM_ERR.to_string());
    }
    if cmd_flags & CMD_WRITE != 0 {
        run.flags |= SCRIPT_WRITE_DIRTY;
    }
    // The cluster part of `scriptVerifyClusterState`: the keys of one
    // script must share a slot unless it allows cross-slot access. Whether
    // this node serves the slot is checked once the cluster core routes
    // commands.
    if let Some(slot) = keys_slot {
        if !run.caller_must_obey && run.flags & SCRIPT_ALLOW_CROSS_SLOT == 0 {
            match run.slot {
                None => run.slot = Some(slot),
                Some(s) if s != slot => {
                    return Err(
                        "Script attempted to access keys that do not hash to the same slot"
                            .to_string(),
                    )
                }
                _ => {}
            }
        }
    }
    Ok(idx)
}

/// The slot of a command's keys; an error when they span several slots.
fn command_slot(server: &Server, idx: usize, argv: &[Vec<u8>]) -> Result<Option<u16>, String> {
    let cmd = &server.commands.list[idx];
    let keys = crate::db::get_keys_from_command_with_specs(cmd, argv);
    let mut slot = None;
    for (pos, _) in keys {
        let Some(key) = argv.get(pos) else { continue };
        let s = crate::cluster::key_hash_slot(key) as u16;
        match slot {
            None => slot = Some(s),
            Some(prev) if prev != s => {
                return Err(
                    "Script attempted to access keys that do not hash to the same slot".to_string(),
                )
            }
            _ => {}
        }
    }
    Ok(slot)
}
