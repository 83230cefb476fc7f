//! Redis Functions: a port of `functions.c`.
//!
//! A library is a piece of code with a `#!<engine> name=<library>` first
//! line that registers functions when FUNCTION LOAD runs it; FCALL and
//! FCALL_RO then call a function by name. The libraries and the function
//! index are kept here ([`FunctionsCtx`]); the only engine, Lua, is
//! `function_lua.rs` on top of the shared `script_lua.rs`.
//!
//! FUNCTION DUMP and RESTORE (an RDB payload) and saving libraries in the
//! RDB come with RDB support; propagation of FUNCTION LOAD/DELETE/FLUSH to
//! replicas comes with replication.

use std::collections::BTreeMap;

use mlua::{Function, Value};

use crate::function_lua;
use crate::networking::Client;
use crate::script::{self, SCRIPTS_FLAGS_DEF};
use crate::script_lua::{self, LuaEngine};
use crate::server::Server;

/// The engine name as FUNCTION LIST and STATS print it.
const LUA_ENGINE_NAME: &str = "LUA";
/// How long a library's code may run at load (`LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_MS: u64 = 500;
const INVALID_NAME_ERR: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// A registered function (`functionInfo`).
pub struct FunctionInfo {
    pub name: String,
    pub desc: Option<Vec<u8>>,
    pub flags: u64,
    callback: Function,
}

/// A library (`functionLibInfo`).
pub struct FunctionLibInfo {
    pub name: String,
    pub code: Vec<u8>,
    /// Function name to function.
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// The libraries and the engine (`functionsLibCtx` + the engine table).
pub struct FunctionsCtx {
    engine: Option<LuaEngine>,
    pub libraries: BTreeMap<String, FunctionLibInfo>,
    /// Function name to its library.
    functions: BTreeMap<String, String>,
}

impl FunctionsCtx {
    pub fn new() -> FunctionsCtx {
        FunctionsCtx {
            engine: new_engine(),
            libraries: BTreeMap::new(),
            functions: BTreeMap::new(),
        }
    }

    /// Memory used by the engine's Lua state.
    pub fn vm_memory(&self) -> usize {
        self.engine.as_ref().map_or(0, |e| e.used_memory())
    }

    fn function_count(&self) -> usize {
        self.functions.len()
    }
}

impl Default for FunctionsCtx {
    fn default() -> Self {
        FunctionsCtx::new()
    }
}

fn new_engine() -> Option<LuaEngine> {
    match LuaEngine::new(true) {
        Ok(e) => Some(e),
        Err(e) => {
            crate::server::server_log_raw(
                crate::server::LL_WARNING,
                &format!("Failed creating the Lua interpreter of functions: {e}"),
            );
            None
        }
    }
}

/// `functionsVerifyName`.
fn functions_verify_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The metadata of a library's first line (`functionsLibMataData`).
struct LibMetaData {
    engine: Vec<u8>,
    name: Vec<u8>,
    /// The code from the end of the first line (its newline included).
    code_start: usize,
}

/// `functionExtractLibMetaData`.
fn function_extract_lib_meta_data(payload: &[u8]) -> Result<LibMetaData, String> {
    if !payload.starts_with(b"#!") {
        return Err("Missing library metadata".to_string());
    }
    let Some(end) = payload.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".to_string());
    };
    let parts = match crate::sds::sds_split_args(&payload[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".to_string()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".to_string(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".to_string());
    };
    Ok(LibMetaData {
        engine,
        name,
        code_start: end,
    })
}

/// `functionsCreateWithLibraryCtx`: loads a library; its name, or the
/// error.
fn functions_create(server: &mut Server, code: &[u8], replace: bool) -> Result<String, String> {
    let md = function_extract_lib_meta_data(code)?;
    if !functions_verify_name(&md.name) {
        return Err(INVALID_NAME_ERR.to_string());
    }
    if !md.engine.eq_ignore_ascii_case(LUA_ENGINE_NAME.as_bytes()) {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&md.engine)
        ));
    }
    let name = String::from_utf8_lossy(&md.name).into_owned();
    let ctx = &mut server.scripting.functions;
    if ctx.libraries.contains_key(&name) && !replace {
        return Err(format!("Library '{name}' already exists"));
    }
    let Some(engine) = ctx.engine.as_ref() else {
        return Err("Engine 'LUA' not found".to_string());
    };
    let compiled = engine
        .compile(&code[md.code_start..], "@user_function")
        .map_err(|e| format!("Error compiling function: {e}"))?;
    let mut functions: BTreeMap<String, FunctionInfo> = BTreeMap::new();
    let mut register = |lua: &mlua::Lua, args: mlua::MultiValue| -> (bool, Value) {
        let err = match function_lua::register_function_read_args(lua, &args) {
            Ok(a) => {
                if !functions_verify_name(&a.name) {
                    INVALID_NAME_ERR
                } else {
                    let fname = String::from_utf8_lossy(&a.name).into_owned();
                    if functions.contains_key(&fname) {
                        "Function already exists in the library"
                    } else {
                        functions.insert(
                            fname.clone(),
                            FunctionInfo {
                                name: fname,
                                desc: a.desc,
                                flags: a.flags,
                                callback: a.callback,
                            },
                        );
                        return (true, Value::Nil);
                    }
                }
            }
            Err(e) => e,
        };
        let t = lua.create_table().and_then(|t| {
            t.raw_set("err", format!("ERR {err}"))?;
            Ok(t)
        });
        (false, t.map(Value::Table).unwrap_or(Value::Nil))
    };
    engine
        .load_library(&compiled, LOAD_TIMEOUT_MS, &mut register)
        .map_err(|e| format!("Error registering functions: {e}"))?;
    if functions.is_empty() {
        return Err("No functions registered".to_string());
    }
    for fname in functions.keys() {
        if let Some(lib) = ctx.functions.get(fname) {
            if *lib != name {
                return Err(format!("Function {fname} already exists"));
            }
        }
    }
    // The old library (REPLACE) goes, the new one comes in.
    if let Some(old) = ctx.libraries.remove(&name) {
        for f in old.functions.keys() {
            ctx.functions.remove(f);
        }
    }
    for fname in functions.keys() {
        ctx.functions.insert(fname.clone(), name.clone());
    }
    ctx.libraries.insert(
        name.clone(),
        FunctionLibInfo {
            name: name.clone(),
            code: code.to_vec(),
            functions,
        },
    );
    Ok(name)
}

/// FUNCTION LOAD [REPLACE] code
fn function_load_command(server: &mut Server, c: &mut Client) {
    let mut replace = false;
    let mut pos = 2;
    while pos < c.argv.len() - 1 {
        let arg = &c.argv[pos];
        pos += 1;
        if arg.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        let msg = format!("Unknown option given: {}", String::from_utf8_lossy(arg));
        c.add_reply_error(&msg);
        return;
    }
    if pos >= c.argv.len() {
        c.add_reply_error("Function code is missing");
        return;
    }
    let code = c.argv[pos].clone();
    match functions_create(server, &code, replace) {
        Ok(name) => {
            server.dirty += 1;
            c.add_reply_bulk(name.as_bytes());
        }
        Err(e) => c.add_reply_error(&e),
    }
}

/// FUNCTION DELETE library-name
fn function_delete_command(server: &mut Server, c: &mut Client) {
    let name = String::from_utf8_lossy(&c.argv[2]).into_owned();
    let ctx = &mut server.scripting.functions;
    let Some(lib) = ctx.libraries.remove(&name) else {
        c.add_reply_error("Library not found");
        return;
    };
    for f in lib.functions.keys() {
        ctx.functions.remove(f);
    }
    server.dirty += 1;
    c.add_reply_ok();
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() > 3
        || (c.argv.len() == 3
            && !c.argv[2].eq_ignore_ascii_case(b"sync")
            && !c.argv[2].eq_ignore_ascii_case(b"async"))
    {
        c.add_reply_error("FUNCTION FLUSH only supports SYNC|ASYNC option");
        return;
    }
    // ASYNC frees in the foreground: there is no lazyfree thread yet.
    let ctx = &mut server.scripting.functions;
    ctx.libraries.clear();
    ctx.functions.clear();
    ctx.engine = None;
    ctx.engine = new_engine();
    server.dirty += 1;
    c.add_reply_ok();
}

/// `functionListReplyFlags`.
fn function_list_reply_flags(c: &mut Client, flags: u64) {
    let names: Vec<&str> = SCRIPTS_FLAGS_DEF
        .iter()
        .filter(|(f, _)| flags & f != 0)
        .map(|(_, n)| *n)
        .collect();
    c.add_reply_set_len(names.len() as i64);
    for n in names {
        c.add_reply_status(n);
    }
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]
fn function_list_command(server: &mut Server, c: &mut Client) {
    let mut with_code = false;
    let mut pattern: Option<Vec<u8>> = None;
    let mut i = 2;
    while i < c.argv.len() {
        let arg = &c.argv[i];
        if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
            i += 1;
            continue;
        }
        if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
            if i >= c.argv.len() - 1 {
                c.add_reply_error("library name argument was not given");
                return;
            }
            pattern = Some(c.argv[i + 1].clone());
            i += 2;
            continue;
        }
        let msg = format!("Unknown argument {}", String::from_utf8_lossy(arg));
        c.add_reply_error(&msg);
        return;
    }
    let libs: Vec<&FunctionLibInfo> = server
        .scripting
        .functions
        .libraries
        .values()
        .filter(|li| {
            pattern
                .as_ref()
                .is_none_or(|p| crate::util::string_match_len(p, li.name.as_bytes(), true))
        })
        .collect();
    c.add_reply_array_len(libs.len() as i64);
    for li in libs {
        c.add_reply_map_len(if with_code { 4 } else { 3 });
        c.add_reply_bulk(b"library_name");
        c.add_reply_bulk(li.name.as_bytes());
        c.add_reply_bulk(b"engine");
        c.add_reply_bulk(LUA_ENGINE_NAME.as_bytes());
        c.add_reply_bulk(b"functions");
        c.add_reply_array_len(li.functions.len() as i64);
        for fi in li.functions.values() {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(fi.name.as_bytes());
            c.add_reply_bulk(b"description");
            match &fi.desc {
                Some(d) => c.add_reply_bulk(d),
                None => c.add_reply_null(),
            }
            c.add_reply_bulk(b"flags");
            function_list_reply_flags(c, fi.flags);
        }
        if with_code {
            c.add_reply_bulk(b"library_code");
            c.add_reply_bulk(&li.code);
        }
    }
}

/// FUNCTION STATS
fn function_stats_command(server: &mut Server, c: &mut Client) {
    if server.scripting.run.is_some() && script::script_is_eval(server) {
        c.add_reply_error(script::SLOW_EVAL_ERR);
        return;
    }
    c.add_reply_map_len(2);
    c.add_reply_bulk(b"running_script");
    match &server.scripting.run {
        None => c.add_reply_null(),
        Some(run) => {
            c.add_reply_map_len(3);
            c.add_reply_bulk(b"name");
            c.add_reply_bulk(run.funcname.as_bytes());
            c.add_reply_bulk(b"command");
            c.add_reply_array_len(run.caller_argv.len() as i64);
            for a in &run.caller_argv {
                c.add_reply_bulk(a);
            }
            c.add_reply_bulk(b"duration_ms");
            c.add_reply_long_long(run.start_time.elapsed().as_millis() as i64);
        }
    }
    let ctx = &server.scripting.functions;
    c.add_reply_bulk(b"engines");
    c.add_reply_map_len(1);
    c.add_reply_bulk(LUA_ENGINE_NAME.as_bytes());
    c.add_reply_map_len(2);
    c.add_reply_bulk(b"libraries_count");
    c.add_reply_long_long(ctx.libraries.len() as i64);
    c.add_reply_bulk(b"functions_count");
    c.add_reply_long_long(ctx.function_count() as i64);
}

/// FUNCTION <subcommand>: the handler of every FUNCTION subcommand.
pub fn function_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    match &sub[..] {
        b"load" => function_load_command(server, c),
        b"delete" => function_delete_command(server, c),
        b"flush" => function_flush_command(server, c),
        b"list" => function_list_command(server, c),
        b"stats" => function_stats_command(server, c),
        b"kill" => script::script_kill(server, c, false),
        b"help" => c.add_reply_help(
            "function",
            &[
                "LOAD [REPLACE] <FUNCTION CODE>",
                "    Create a new library with the given library name and code.",
                "DELETE <LIBRARY NAME>",
                "    Delete the given library.",
                "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
                "    Return general information on all the libraries:",
                "    * Library name",
                "    * The engine used to run the Library",
                "    * Library description",
                "    * Functions list",
                "    * Library code (if WITHCODE is given)",
                "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
                "STATS",
                "    Return information about the current function running:",
                "    * Function name",
                "    * Command used to run the function",
                "    * Duration in MS that the function is running",
                "    If no function is running, return nil",
                "    In addition, returns a list of available engines.",
                "KILL",
                "    Kill the current running function.",
                "FLUSH [ASYNC|SYNC]",
                "    Delete all the libraries.",
                "    When called without the optional mode argument, the behavior is determined by the",
                "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                "    * ASYNC: Asynchronously flush the libraries.",
                "    * SYNC: Synchronously flush the libraries.",
                "DUMP",
                "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
                "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
                "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
                "    control how to handle existing libraries (default APPEND):",
                "    * FLUSH: delete all existing libraries.",
                "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
                "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
                "      libraries with the new libraries (notice that even on this option there is a chance of failure",
                "      in case of functions name collision with another library).",
            ],
        ),
        _ => c.add_reply_subcommand_syntax_error(),
    }
}

/// `fcallCommandGeneric`.
fn fcall_command_generic(server: &mut Server, c: &mut Client, ro: bool) {
    let fname = String::from_utf8_lossy(&c.argv[1]).into_owned();
    let ctx = &server.scripting.functions;
    let Some(fi) = ctx
        .functions
        .get(&fname)
        .and_then(|lib| ctx.libraries.get(lib))
        .and_then(|li| li.functions.get(&fname))
    else {
        c.add_reply_error("Function not found");
        return;
    };
    let (flags, callback) = (fi.flags, fi.callback.clone());
    let Some(numkeys) = crate::util::string2ll(&c.argv[2]) else {
        c.add_reply_error("Bad number of keys provided");
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
    if !script::script_prepare_for_run(server, c, &fname, flags, ro) {
        return;
    }
    let (Some(engine), Some(mut sc)) = (
        server.scripting.functions.engine.take(),
        server.scripting.script_client.take(),
    ) else {
        script::script_reset_run(server);
        c.add_reply_error("Lua is not available");
        return;
    };
    sc.db = c.db;
    sc.resp = 2;
    let numkeys = numkeys as usize;
    let keys = c.argv[3..3 + numkeys].to_vec();
    let args = c.argv[3 + numkeys..].to_vec();
    script_lua::lua_call_function(
        &engine,
        server,
        c,
        &mut sc,
        &callback,
        (&keys, &args),
        false,
    );
    server.scripting.script_client = Some(sc);
    server.scripting.functions.engine = Some(engine);
    script::script_reset_run(server);
}

/// FCALL function numkeys [key ...] [arg ...]
pub fn fcall_command(server: &mut Server, c: &mut Client) {
    fcall_command_generic(server, c, false);
}

/// FCALL_RO function numkeys [key ...] [arg ...]
pub fn fcall_ro_command(server: &mut Server, c: &mut Client) {
    fcall_command_generic(server, c, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_metadata() {
        let md = function_extract_lib_meta_data(b"#!lua name=lib\ncode").unwrap();
        assert_eq!(
            (md.engine, md.name, md.code_start),
            (b"lua".to_vec(), b"lib".to_vec(), 14)
        );
        assert_eq!(
            function_extract_lib_meta_data(b"return 1").err().unwrap(),
            "Missing library metadata"
        );
        assert_eq!(
            function_extract_lib_meta_data(b"#!lua name=a name=b\n")
                .err()
                .unwrap(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(
            function_extract_lib_meta_data(b"#!lua foo=bar\n")
                .err()
                .unwrap(),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            function_extract_lib_meta_data(b"#!lua\n").err().unwrap(),
            "Library name was not given"
        );
        assert!(functions_verify_name(b"a_1"));
        assert!(!functions_verify_name(b"a-1"));
        assert!(!functions_verify_name(b""));
    }
}
