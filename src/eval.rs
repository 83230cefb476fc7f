//! EVAL, EVALSHA, their `_RO` twins and SCRIPT: a port of `eval.c`.
//!
//! Scripts are cached by the SHA1 of their body: EVAL compiles a body the
//! first time it is seen (SCRIPT LOAD does only that) and EVALSHA runs a
//! cached one. A body may start with a shebang line, `#!lua flags=...`,
//! declaring the flags of `script.rs`; without one the script runs with the
//! rules of Redis 6 ("compat mode"). The run itself is the shared one of
//! `script.rs` and `script_lua.rs`. The Lua debugger (SCRIPT DEBUG YES or
//! SYNC, LDB) is not supported.

use std::collections::HashMap;

use mlua::Function;

use crate::networking::Client;
use crate::script::{self, SCRIPT_EVAL_MODE, SCRIPT_FLAG_EVAL_COMPAT_MODE};
use crate::script_lua::{self, LuaEngine};
use crate::server::Server;

const NOSCRIPT_ERR: &str = "-NOSCRIPT No matching script. Please use EVAL.";

/// A cached script (`luaScript`).
pub struct LuaScript {
    pub body: Vec<u8>,
    pub flags: u64,
    func: Function,
}

/// The EVAL engine and its script cache (`lctx`).
pub struct EvalCtx {
    /// None while a script runs (the run holds it) or if Lua failed to
    /// start.
    engine: Option<LuaEngine>,
    /// SHA1 (lowercase hex) to script.
    pub scripts: HashMap<String, LuaScript>,
    /// Memory of the cached bodies (`lua_scripts_mem`).
    pub scripts_mem: usize,
}

impl EvalCtx {
    pub fn new() -> EvalCtx {
        EvalCtx {
            engine: new_engine(),
            scripts: HashMap::new(),
            scripts_mem: 0,
        }
    }

    /// Memory used by the Lua state (`used_memory_lua`).
    pub fn lua_memory(&self) -> usize {
        self.engine.as_ref().map_or(0, |e| e.used_memory())
    }
}

impl Default for EvalCtx {
    fn default() -> Self {
        EvalCtx::new()
    }
}

fn new_engine() -> Option<LuaEngine> {
    match LuaEngine::new(false) {
        Ok(e) => Some(e),
        Err(e) => {
            crate::server::server_log_raw(
                crate::server::LL_WARNING,
                &format!("Failed creating the Lua interpreter: {e}"),
            );
            None
        }
    }
}

/// `sha1hex`.
pub fn sha1hex(s: &[u8]) -> String {
    crate::sha1::sha1(s)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `evalExtractShebangFlags`: the script's flags and the length of its
/// shebang line (0 without one).
pub fn eval_extract_shebang_flags(body: &[u8]) -> Result<(u64, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((SCRIPT_FLAG_EVAL_COMPAT_MODE, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".to_string());
    };
    let parts = match crate::sds::sds_split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid engine in script shebang".to_string()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match script::SCRIPTS_FLAGS_DEF
                .iter()
                .find(|(_, n)| n.as_bytes() == name)
            {
                Some((f, _)) => flags |= f,
                None => {
                    return Err(format!(
                        "Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}

/// `luaCreateFunction`: compiles and caches a body (once); its SHA1, or
/// None after replying the error to `c`.
fn lua_create_function(server: &mut Server, c: &mut Client, body: &[u8]) -> Option<String> {
    let sha = sha1hex(body);
    if server.scripting.eval.scripts.contains_key(&sha) {
        return Some(sha);
    }
    let (flags, shebang_len) = match eval_extract_shebang_flags(body) {
        Ok(v) => v,
        Err(e) => {
            c.add_reply_error(&e);
            return None;
        }
    };
    let Some(engine) = server.scripting.eval.engine.as_ref() else {
        c.add_reply_error("Lua is not available");
        return None;
    };
    // The shebang line is dropped but its newline kept, so that line
    // numbers in errors stay right.
    let func = match engine.compile(&body[shebang_len..], "@user_script") {
        Ok(f) => f,
        Err(e) => {
            c.add_reply_error(&format!("Error compiling script (new function): {e}"));
            return None;
        }
    };
    let ctx = &mut server.scripting.eval;
    ctx.scripts_mem += sha.len() + body.len();
    ctx.scripts.insert(
        sha.clone(),
        LuaScript {
            body: body.to_vec(),
            flags,
            func,
        },
    );
    Some(sha)
}

/// `evalGetCommandFlags`: the flags EVAL/EVALSHA take from the script's
/// declared flags, when the script is known (for the admission checks of
/// `processCommand`).
pub fn eval_get_command_flags(
    server: &Server,
    argv: &[Vec<u8>],
    evalsha: bool,
    cmd_flags: u64,
) -> u64 {
    let Some(arg) = argv.get(1) else {
        return cmd_flags;
    };
    if evalsha && arg.len() != 40 {
        return cmd_flags;
    }
    let sha = if evalsha {
        String::from_utf8_lossy(arg).to_ascii_lowercase()
    } else {
        sha1hex(arg)
    };
    let script_flags = match server.scripting.eval.scripts.get(&sha) {
        Some(s) => s.flags,
        None if evalsha => return cmd_flags,
        None => match eval_extract_shebang_flags(arg) {
            Ok((f, _)) => f,
            Err(_) => return cmd_flags,
        },
    };
    if script_flags & SCRIPT_FLAG_EVAL_COMPAT_MODE != 0 {
        return cmd_flags;
    }
    script::script_flags_to_cmd_flags(cmd_flags, script_flags)
}

/// `evalGenericCommand`.
fn eval_generic_command(server: &mut Server, c: &mut Client, evalsha: bool, ro: bool) {
    let Some(numkeys) =
        crate::object::get_long_long_from_object_or_reply(c, &c.argv[2].clone(), None)
    else {
        return;
    };
    let argc = c.argv.len() as i64;
    if numkeys > argc - 3 {
        c.add_reply_error("Number of keys can't be greater than number of args");
        return;
    } else if numkeys < 0 {
        c.add_reply_error("Number of keys can't be negative");
        return;
    }
    let sha = if evalsha {
        String::from_utf8_lossy(&c.argv[1]).to_ascii_lowercase()
    } else {
        sha1hex(&c.argv[1])
    };
    if !server.scripting.eval.scripts.contains_key(&sha) {
        if evalsha {
            c.add_reply_error(NOSCRIPT_ERR);
            return;
        }
        let body = c.argv[1].clone();
        if lua_create_function(server, c, &body).is_none() {
            return;
        }
    }
    let Some((flags, func)) = server
        .scripting
        .eval
        .scripts
        .get(&sha)
        .map(|s| (s.flags, s.func.clone()))
    else {
        return;
    };
    run_script(server, c, &sha, flags, ro, &func, numkeys as usize);
}

/// Runs a compiled EVAL script for `c` (whose argv holds the keys and
/// arguments after `numkeys`).
fn run_script(
    server: &mut Server,
    c: &mut Client,
    sha: &str,
    flags: u64,
    ro: bool,
    func: &Function,
    numkeys: usize,
) {
    if !script::script_prepare_for_run(server, c, sha, flags, ro) {
        return;
    }
    if let Some(run) = server.scripting.run.as_mut() {
        run.flags |= SCRIPT_EVAL_MODE;
    }
    let (Some(engine), Some(mut sc)) = (
        server.scripting.eval.engine.take(),
        server.scripting.script_client.take(),
    ) else {
        script::script_reset_run(server);
        c.add_reply_error("Lua is not available");
        return;
    };
    sc.db = c.db;
    sc.resp = 2;
    let keys = &c.argv[3..3 + numkeys];
    let args = &c.argv[3 + numkeys..];
    let (keys, args) = (keys.to_vec(), args.to_vec());
    script_lua::lua_call_function(&engine, server, c, &mut sc, func, (&keys, &args), true);
    server.scripting.script_client = Some(sc);
    // SCRIPT FLUSH can't run during a script (it is not allowed while
    // busy), so the engine taken out is still the current one.
    server.scripting.eval.engine = Some(engine);
    script::script_reset_run(server);
}

/// EVAL script numkeys [key ...] [arg ...]
pub fn eval_command(server: &mut Server, c: &mut Client) {
    eval_generic_command(server, c, false, false);
}

/// EVAL_RO script numkeys [key ...] [arg ...]
pub fn eval_ro_command(server: &mut Server, c: &mut Client) {
    eval_generic_command(server, c, false, true);
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub fn evalsha_command(server: &mut Server, c: &mut Client) {
    if c.argv[1].len() != 40 {
        c.add_reply_error(NOSCRIPT_ERR);
        return;
    }
    eval_generic_command(server, c, true, false);
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
pub fn evalsha_ro_command(server: &mut Server, c: &mut Client) {
    if c.argv[1].len() != 40 {
        c.add_reply_error(NOSCRIPT_ERR);
        return;
    }
    eval_generic_command(server, c, true, true);
}

/// `scriptingReset`: a new Lua state and an empty cache.
fn scripting_reset(server: &mut Server) {
    let ctx = &mut server.scripting.eval;
    ctx.scripts.clear();
    ctx.scripts_mem = 0;
    ctx.engine = None;
    ctx.engine = new_engine();
}

/// SCRIPT LOAD|EXISTS|FLUSH|KILL|DEBUG|HELP
pub fn script_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    let argc = c.argv.len();
    match (&sub[..], argc) {
        (b"help", 2) => c.add_reply_help(
            "script",
            &[
                "DEBUG (YES|SYNC|NO)",
                "    Set the debug mode for subsequent scripts executed.",
                "EXISTS <sha1> [<sha1> ...]",
                "    Return information about the existence of the scripts in the script cache.",
                "FLUSH [ASYNC|SYNC]",
                "    Flush the Lua scripts cache. Very dangerous on replicas.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the scripts cache.",
                "    * SYNC: Synchronously flush the scripts cache.",
                "KILL",
                "    Kill the currently executing Lua script.",
                "LOAD <script>",
                "    Load a script into the scripts cache without executing it.",
            ],
        ),
        (b"flush", _) => {
            // ASYNC frees in the foreground too: there is no lazyfree
            // thread yet.
            let mode_ok = argc == 2
                || (argc == 3
                    && (c.argv[2].eq_ignore_ascii_case(b"sync")
                        || c.argv[2].eq_ignore_ascii_case(b"async")));
            if !mode_ok {
                c.add_reply_error("SCRIPT FLUSH only support SYNC|ASYNC option");
                return;
            }
            scripting_reset(server);
            c.add_reply_ok();
        }
        (b"exists", _) => {
            c.add_reply_array_len(argc as i64 - 2);
            for j in 2..argc {
                let sha = String::from_utf8_lossy(&c.argv[j]).into_owned();
                let found = server.scripting.eval.scripts.contains_key(&sha);
                c.add_reply(if found { b":1\r\n" } else { b":0\r\n" });
            }
        }
        (b"load", 3) => {
            let body = c.argv[2].clone();
            if let Some(sha) = lua_create_function(server, c, &body) {
                c.add_reply_bulk(sha.as_bytes());
            }
        }
        (b"kill", 2) => script::script_kill(server, c, true),
        (b"debug", 3) => {
            if c.has_pending_replies() {
                c.add_reply_error("SCRIPT DEBUG must be called outside a pipeline");
                return;
            }
            let mode = c.argv[2].to_ascii_lowercase();
            match &mode[..] {
                b"no" => c.add_reply_ok(),
                b"yes" | b"sync" => {
                    c.add_reply_error("SCRIPT DEBUG is not supported by this server (no Lua debugger)")
                }
                _ => c.add_reply_error("Use SCRIPT DEBUG YES/SYNC/NO"),
            }
        }
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{SCRIPT_FLAG_ALLOW_OOM, SCRIPT_FLAG_NO_WRITES};

    #[test]
    fn shebang_flags() {
        assert_eq!(
            eval_extract_shebang_flags(b"return 1"),
            Ok((SCRIPT_FLAG_EVAL_COMPAT_MODE, 0))
        );
        assert_eq!(eval_extract_shebang_flags(b"#!lua\nreturn 1"), Ok((0, 5)));
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua flags=no-writes,allow-oom\nreturn 1"),
            Ok((SCRIPT_FLAG_NO_WRITES | SCRIPT_FLAG_ALLOW_OOM, 31))
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua flags=bad\n"),
            Err("Unexpected flag in script shebang: bad".to_string())
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua"),
            Err("Invalid script shebang".to_string())
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!python\n"),
            Err("Unexpected engine in script shebang: #!python".to_string())
        );
        assert_eq!(
            eval_extract_shebang_flags(b"#!lua foo=bar\n"),
            Err("Unknown lua shebang option: foo=bar".to_string())
        );
    }
}
