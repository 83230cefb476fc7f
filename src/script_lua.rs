//! The Lua engine shared by EVAL and FUNCTION: a port of `script_lua.c`.
//!
//! Each of the two users owns a [`LuaEngine`]: a Lua 5.1 state (through
//! `mlua`) with the libraries Redis loads, the `redis` API, and the sandbox
//! rules: globals may not be created or replaced, library tables are
//! read-only, `loadstring` refuses binary chunks, `print`, `dofile`,
//! `loadfile`, `setfenv`, `getfenv` and `newproxy` are gone. Redis gets
//! read-only tables from a patch to its Lua; stock Lua 5.1 has none, so the
//! sandbox hands out read-only views instead, written in Lua in
//! `script_lua/bootstrap.lua` together with the `redis` table's wrappers.
//!
//! A run ([`lua_call_function`]) installs, for its duration only, a
//! dispatcher through which Lua reaches the server: `redis.call` and
//! `redis.pcall` build the command in the script client, run it through
//! `script::script_call`, and turn the client's RESP reply into Lua values
//! ([`redis_protocol_to_lua_type`]); the busy hook calls
//! `script::script_interrupt`. The result is converted back into a reply to
//! the caller ([`lua_reply_to_redis_reply`]), with Redis's rules for
//! tables (`err`, `ok`, `double`, `map`, `set`, `big_number`,
//! `verbatim_string`, arrays cut at the first nil).

use std::cell::{Cell, RefCell};

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value, Variadic};

use crate::networking::Client;
use crate::server::Server;

/// The Lua half of the sandbox.
const BOOTSTRAP: &str = include_str!("script_lua/bootstrap.lua");

/// `REDIS_VERSION_NUM` of 7.0.15.
const REDIS_VERSION_NUM: i64 = 0x0007_000f;

/// How deep a reply table may nest before the conversion gives up (the
/// Lua C stack limit in Redis).
const MAX_REPLY_DEPTH: usize = 4000;

/// Globals kept from the standard libraries (the allow lists of
/// `script_lua.c`); everything else they define is removed.
const GLOBALS_ALLOW_LIST: &[&str] = &[
    // libraries
    "string",
    "cjson",
    "bit",
    "cmsgpack",
    "math",
    "table",
    "struct",
    // builtins
    "xpcall",
    "tostring",
    "setmetatable",
    "next",
    "assert",
    "tonumber",
    "rawequal",
    "collectgarbage",
    "getmetatable",
    "rawset",
    "pcall",
    "coroutine",
    "type",
    "_G",
    "select",
    "unpack",
    "gcinfo",
    "pairs",
    "rawget",
    "loadstring",
    "ipairs",
    "_VERSION",
    "load",
    "error",
    // removed by the bootstrap once its error handler has it
    "debug",
];

/// Globals removed on purpose (no warning logged for them), including the
/// deprecated ones (`lua-enable-deprecated-api` does not exist in 7.0.15).
const GLOBALS_DENY_LIST: &[&str] = &[
    "dofile", "loadfile", "print", "newproxy", "setfenv", "getfenv",
];

/// One Lua state with Redis's libraries, API and sandbox.
pub struct LuaEngine {
    pub lua: Lua,
    /// The table the bootstrap reads the run state from.
    ctx: Table,
    /// The globals user code is loaded with.
    env: Table,
    run: Function,
    load_run: Function,
    hook_on: Function,
    hook_off: Function,
}

/// What `lua_call_function` reaches the server through.
pub struct RunEnv<'a> {
    pub server: &'a mut Server,
    pub sc: &'a mut Client,
}

/// How a dispatcher call ends: a value for Lua, or an error table to raise
/// (`redis.pcall` returns it instead).
type Dispatch = (bool, Value);

impl LuaEngine {
    /// `luaRegisterRedisAPI` and the rest of the engine set-up;
    /// `functions_engine` adds the FUNCTION LOAD API of `function_lua.c`.
    pub fn new(functions_engine: bool) -> mlua::Result<LuaEngine> {
        // SAFETY: the unsafe constructor is needed only to load the debug
        // library, which the error handler keeps privately; the bootstrap
        // removes it from the globals before any user code runs, and no C
        // module loader (package) is loaded.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::default(),
            )
        };
        let globals = lua.globals();
        let mut remove = Vec::new();
        for pair in globals.pairs::<Value, Value>() {
            let (k, _) = pair?;
            let name = match &k {
                Value::String(s) => s.to_str().map(|s| s.to_string()).unwrap_or_default(),
                _ => String::new(),
            };
            if !GLOBALS_ALLOW_LIST.contains(&name.as_str()) {
                if !GLOBALS_DENY_LIST.contains(&name.as_str()) {
                    crate::server::server_log_raw(crate::server::LL_WARNING, &format!("A key '{name}' was added to Lua globals which is not on the globals allow list nor listed on the deny list."));
                }
                remove.push(k);
            }
        }
        for k in remove {
            globals.raw_set(k, Value::Nil)?;
        }
        let api = lua.create_table()?;
        api.set(
            "err_buff",
            lua.create_function(|lua, s: mlua::LuaString| err_buff_table(lua, &s.as_bytes()))?,
        )?;
        api.set("log", lua.create_function(lua_log_command)?)?;
        api.set(
            "sha1hex",
            lua.create_function(|lua, v: Value| {
                let bytes = lua_bytes(lua, &v).unwrap_or_default();
                let digest = crate::sha1::sha1(&bytes);
                Ok(hex(&digest))
            })?,
        )?;
        api.set("random", lua.create_function(redis_math_random)?)?;
        api.set("unwrap_error", lua.create_function(unwrap_error)?)?;
        let ctx = lua.create_table()?;
        lua.set_named_registry_value(CTX_REGISTRY_NAME, ctx.clone())?;
        api.set("ctx", ctx)?;
        for (name, op, raise, what) in [
            ("call", 1, true, "redis.call/pcall"),
            ("pcall", 1, false, "redis.call/pcall"),
            ("setresp", 2, true, "redis.setresp"),
            ("set_repl", 3, true, "redis.set_repl"),
            ("acl_check_cmd", 4, true, "redis.acl_check_cmd"),
        ] {
            let f = lua.create_function(move |lua, args: MultiValue| {
                redis_api_op(lua, op, raise, what, args)
            })?;
            api.set(name, f)?;
        }
        api.set("randomseed", lua.create_function(redis_math_randomseed)?)?;
        api.set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
        api.set("REDIS_VERSION", crate::server::REDIS_VERSION)?;
        let handles: Table = lua.load(BOOTSTRAP).set_name("@redis_internal").call((
            globals,
            api,
            functions_engine,
        ))?;
        Ok(LuaEngine {
            ctx: handles.get("ctx")?,
            env: handles.get("env")?,
            run: handles.get("run")?,
            load_run: handles.get("load_run")?,
            hook_on: handles.get("hook_on")?,
            hook_off: handles.get("hook_off")?,
            lua,
        })
    }

    /// Compiles user code in the sandbox; the error is Lua's message.
    pub fn compile(&self, code: &[u8], chunkname: &str) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(chunkname)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                mlua::Error::RuntimeError(m) | mlua::Error::MemoryError(m) => m,
                other => other.to_string(),
            })
    }

    /// Memory used by the Lua state (`luaMemory`).
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Runs library code (FUNCTION LOAD): only the library API is visible,
    /// `register` receives every `redis.register_function` call, and
    /// `timeout_ms` bounds the run. The error is the `err` text.
    pub fn load_library(
        &self,
        f: &Function,
        timeout_ms: u64,
        register: &mut dyn FnMut(&Lua, MultiValue) -> Dispatch,
    ) -> Result<(), String> {
        let start = std::time::Instant::now();
        let register = RefCell::new(register);
        let result = self.lua.scope(|scope| {
            let d = scope.create_function(move |lua, (op, args): (i64, MultiValue)| {
                if op == 0 {
                    if start.elapsed().as_millis() as u64 > timeout_ms {
                        return Ok((false, lua_err_table(lua, "FUNCTION LOAD timeout")?));
                    }
                    return Ok((true, Value::Nil));
                }
                let Ok(mut reg) = register.try_borrow_mut() else {
                    return Ok((false, Value::Nil));
                };
                Ok(reg(lua, args))
            })?;
            self.ctx.raw_set("d", d)?;
            self.ctx.raw_set("loading", true)?;
            self.hook_on.call::<()>(())?;
            let r: MultiValue = self.load_run.call(f.clone())?;
            self.ctx.raw_set("d", Value::Nil)?;
            self.ctx.raw_set("loading", Value::Nil)?;
            self.hook_off.call::<()>(())?;
            Ok(r)
        });
        let r = match result {
            Ok(r) => r,
            Err(e) => {
                self.reset_after_failure();
                return Err(format!("ERR {e}"));
            }
        };
        let mut it = r.into_iter();
        if matches!(it.next(), Some(Value::Boolean(true))) {
            return Ok(());
        }
        let info = extract_error_information(&self.lua, it.next().unwrap_or(Value::Nil));
        Err(String::from_utf8_lossy(&info.msg).into_owned())
    }

    /// Leaves the engine usable after an mlua-level failure mid-run.
    fn reset_after_failure(&self) {
        let _ = self.ctx.raw_set("d", Value::Nil);
        let _ = self.ctx.raw_set("loading", Value::Nil);
        let _ = self.hook_off.call::<()>(());
    }
}

/// Where the bootstrap's run state table is kept in the registry.
const CTX_REGISTRY_NAME: &str = "redis_run_ctx";

/// An error table raised from Rust. mlua raises Rust errors as userdata,
/// so the table travels inside one and `unwrap_error` rebuilds it for the
/// error handler and `pcall`.
#[derive(Debug)]
struct RaisedError {
    err: Vec<u8>,
    ignore_stats: bool,
}

impl std::fmt::Display for RaisedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.err))
    }
}

impl std::error::Error for RaisedError {}

/// Raises an error table.
fn raise(v: Value) -> mlua::Error {
    let (err, ignore_stats) = match &v {
        Value::Table(t) => (
            match t.raw_get::<Value>("err") {
                Ok(Value::String(s)) => s.as_bytes().to_vec(),
                _ => Vec::new(),
            },
            matches!(
                t.raw_get::<Value>("ignore_error_stats_update"),
                Ok(Value::Boolean(true))
            ),
        ),
        _ => (Vec::new(), false),
    };
    mlua::Error::external(RaisedError { err, ignore_stats })
}

/// The error table inside an error raised from Rust; other Rust errors
/// become their message.
fn unwrap_error(lua: &Lua, v: Value) -> mlua::Result<Value> {
    let Value::Error(e) = v else { return Ok(v) };
    match e.downcast_ref::<RaisedError>() {
        Some(r) => {
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(&r.err)?)?;
            if r.ignore_stats {
                t.raw_set("ignore_error_stats_update", true)?;
            }
            Ok(Value::Table(t))
        }
        None => Ok(Value::String(lua.create_string(e.to_string())?)),
    }
}

/// The functions of the `redis` table that need the run: C functions for
/// Lua (a `return redis.call(...)` tail call keeps the script's frame, so
/// errors point at the script's line).
fn redis_api_op(
    lua: &Lua,
    op: i64,
    raise_error: bool,
    what: &str,
    args: MultiValue,
) -> mlua::Result<Value> {
    let ctx: Table = lua.named_registry_value(CTX_REGISTRY_NAME)?;
    let d = match ctx.raw_get::<Value>("d")? {
        Value::Function(d) if !matches!(ctx.raw_get::<Value>("loading")?, Value::Boolean(true)) => {
            d
        }
        _ => {
            let msg = format!("{what} can only be called inside a script invocation");
            return Err(raise(lua_err_table(lua, &msg)?));
        }
    };
    let mut call_args = MultiValue::new();
    call_args.push_back(Value::Integer(op));
    call_args.extend(args);
    let (ok, v): (bool, Value) = d.call(call_args)?;
    if !ok && raise_error {
        return Err(raise(v));
    }
    Ok(v)
}

/// `luaPushErrorBuff`: the error table of an error text, `-CODE msg` or
/// a bare message (which gets the ERR code).
fn err_buff_table(lua: &Lua, err: &[u8]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(err_buff(err))?)?;
    Ok(t)
}

fn err_buff(err: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = if let Some(rest) = err.strip_prefix(b"-") {
        match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        }
    } else {
        (b"ERR", err)
    };
    let is_nl = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !is_nl(b)).unwrap_or(msg.len());
    let end = msg.iter().rposition(|b| !is_nl(b)).map_or(start, |e| e + 1);
    let mut out = code.to_vec();
    out.push(b' ');
    out.extend_from_slice(&msg[start..end.max(start)]);
    out
}

/// `luaPushError` as a value.
fn lua_err_table(lua: &Lua, msg: &str) -> mlua::Result<Value> {
    Ok(Value::Table(err_buff_table(lua, msg.as_bytes())?))
}

/// `lua_tolstring`: strings and numbers (as Lua prints them), else None.
fn lua_bytes(lua: &Lua, v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())
            .ok()
            .flatten()
            .map(|s| s.as_bytes().to_vec()),
        _ => None,
    }
}

/// `lua_isnumber` + `lua_tonumber`.
fn lua_number(lua: &Lua, v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(_) => lua.coerce_number(v.clone()).ok().flatten(),
        _ => None,
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `redis.log(level, ...)`: the error text when the call is wrong.
fn lua_log_command(lua: &Lua, args: Variadic<Value>) -> mlua::Result<Option<String>> {
    if args.len() < 2 {
        return Ok(Some(
            "redis.log() requires two arguments or more.".to_string(),
        ));
    }
    let Some(level) = lua_number(lua, &args[0]) else {
        return Ok(Some(
            "First argument must be a number (log level).".to_string(),
        ));
    };
    let level = level as i32;
    if !(crate::server::LL_DEBUG..=crate::server::LL_WARNING).contains(&level) {
        return Ok(Some("Invalid debug level.".to_string()));
    }
    let mut log: Vec<u8> = Vec::new();
    for (j, a) in args.iter().enumerate().skip(1) {
        if let Some(s) = lua_bytes(lua, a) {
            if j != 1 {
                log.push(b' ');
            }
            log.extend_from_slice(&s);
        }
    }
    crate::server::server_log_raw(level, &String::from_utf8_lossy(&log));
    Ok(None)
}

// ----------------------------------------------------------------------
// math.random: the 48-bit generator of rand.c, the same on every platform.
// ----------------------------------------------------------------------

thread_local! {
    static RAND48: Cell<u64> = const { Cell::new(0x1234_ABCD_330E) };
}

const RAND48_MASK: u64 = (1 << 48) - 1;

/// `redisLrand48`.
fn redis_lrand48() -> i32 {
    RAND48.with(|x| {
        let next = (x.get().wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & RAND48_MASK;
        x.set(next);
        (next >> 17) as i32
    })
}

/// `redisSrand48`.
fn redis_srand48(seed: i32) {
    RAND48.with(|x| x.set((((seed as u32) as u64) << 16) | 0x330E));
}

/// `luaL_checkint` for math.random's arguments.
fn check_int(lua: &Lua, args: &Variadic<Value>, i: usize, fname: &str) -> Result<i32, String> {
    let v = args.get(i).cloned().unwrap_or(Value::Nil);
    match lua_number(lua, &v) {
        Some(n) => Ok(n as i32),
        None => Err(format!(
            "bad argument #{} to '{}' (number expected, got {})",
            i + 1,
            fname,
            if matches!(v, Value::Nil) && i >= args.len() {
                "no value"
            } else {
                v.type_name()
            }
        )),
    }
}

/// `redis_math_random`: (value, error text).
fn redis_math_random(
    lua: &Lua,
    args: Variadic<Value>,
) -> mlua::Result<(Option<f64>, Option<String>)> {
    const MAX: f64 = i32::MAX as f64;
    let r = (redis_lrand48() % i32::MAX) as f64 / MAX;
    let res = match args.len() {
        0 => Ok(r),
        1 => check_int(lua, &args, 0, "random").and_then(|u| {
            if u < 1 {
                Err("bad argument #1 to 'random' (interval is empty)".to_string())
            } else {
                Ok((r * u as f64).floor() + 1.0)
            }
        }),
        2 => check_int(lua, &args, 0, "random").and_then(|l| {
            check_int(lua, &args, 1, "random").and_then(|u| {
                if l > u {
                    Err("bad argument #2 to 'random' (interval is empty)".to_string())
                } else {
                    Ok((r * (u as f64 - l as f64 + 1.0)).floor() + l as f64)
                }
            })
        }),
        _ => Err("wrong number of arguments".to_string()),
    };
    Ok(match res {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(e)),
    })
}

/// `redis_math_randomseed`.
fn redis_math_randomseed(
    lua: &Lua,
    args: Variadic<Value>,
) -> mlua::Result<(Value, Option<String>)> {
    match check_int(lua, &args, 0, "randomseed") {
        Ok(seed) => {
            redis_srand48(seed);
            Ok((Value::Nil, None))
        }
        Err(e) => Ok((Value::Nil, Some(e))),
    }
}

// ----------------------------------------------------------------------
// Running a script.
// ----------------------------------------------------------------------

/// The fields of an error table (`errorInfo`).
struct ErrorInfo {
    msg: Vec<u8>,
    source: Option<Vec<u8>>,
    line: Option<Vec<u8>>,
    ignore_err_stats_update: bool,
}

/// `luaExtractErrorInformation`.
fn extract_error_information(lua: &Lua, v: Value) -> ErrorInfo {
    let mut info = ErrorInfo {
        msg: Vec::new(),
        source: None,
        line: None,
        ignore_err_stats_update: false,
    };
    match v {
        Value::Table(t) => {
            let field = |k: &str| -> Option<Vec<u8>> {
                let v: Value = t.get(k).ok()?;
                lua_bytes(lua, &v)
            };
            info.msg = field("err").unwrap_or_default();
            info.source = field("source");
            info.line = field("line");
            info.ignore_err_stats_update = matches!(
                t.get::<Value>("ignore_error_stats_update"),
                Ok(Value::Boolean(true))
            );
        }
        other => {
            info.msg = b"ERR ".to_vec();
            info.msg.extend(lua_bytes(lua, &other).unwrap_or_default());
        }
    }
    info
}

/// `luaCallFunction`: runs `f` for `caller` (EVAL: with KEYS and ARGV as
/// globals; FCALL: as the function's two arguments) and replies with its
/// result or error. The run context must already be prepared.
pub fn lua_call_function(
    engine: &LuaEngine,
    server: &mut Server,
    caller: &mut Client,
    sc: &mut Client,
    f: &Function,
    (keys, args): (&[Vec<u8>], &[Vec<u8>]),
    eval_mode: bool,
) {
    let lua = &engine.lua;
    let funcname = server
        .scripting
        .run
        .as_ref()
        .map(|r| r.funcname.clone())
        .unwrap_or_default();
    let hook = server.config.busy_reply_threshold > 0;
    let env = RefCell::new(RunEnv { server, sc });
    let result = lua.scope(|scope| {
        let d = scope.create_function(|lua, (op, args): (i64, MultiValue)| {
            let Ok(mut env) = env.try_borrow_mut() else {
                let msg = "luaRedisGenericCommand() recursive call detected. Are you doing funny stuff with Lua debug hooks?";
                crate::server::server_log_raw(crate::server::LL_WARNING, msg);
                return Ok((false, lua_err_table(lua, msg)?));
            };
            dispatch(lua, &mut env, op, args)
        })?;
        let keys_t = lua.create_sequence_from(keys.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)?;
        let args_t = lua.create_sequence_from(args.iter().map(|k| lua.create_string(k)).collect::<mlua::Result<Vec<_>>>()?)?;
        if eval_mode {
            let g = lua.globals();
            g.raw_set("KEYS", keys_t.clone())?;
            g.raw_set("ARGV", args_t.clone())?;
        }
        engine.ctx.raw_set("d", d)?;
        if hook {
            engine.hook_on.call::<()>(())?;
        }
        let r: MultiValue = engine.run.call((f.clone(), !eval_mode, keys_t, args_t))?;
        // The dispatcher goes first: a killed script leaves a line hook
        // that would otherwise fire again inside hook_off.
        engine.ctx.raw_set("d", Value::Nil)?;
        if hook {
            engine.hook_off.call::<()>(())?;
        }
        Ok(r)
    });
    let env = env.into_inner();
    let script_resp = env.sc.resp;
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            engine.reset_after_failure();
            caller.add_reply_error(&format!(
                "Error running script {funcname}, {:.100}",
                e.to_string()
            ));
            return;
        }
    };
    let mut it = r.into_iter();
    let ok = matches!(it.next(), Some(Value::Boolean(true)));
    let v = it.next().unwrap_or(Value::Nil);
    if ok {
        lua_reply_to_redis_reply(caller, script_resp, &v, 0);
        return;
    }
    let info = extract_error_information(lua, v);
    let mut msg = b"-".to_vec();
    msg.extend_from_slice(&info.msg);
    if let (Some(line), Some(source)) = (&info.line, &info.source) {
        msg.extend_from_slice(b" script: ");
        msg.extend_from_slice(funcname.as_bytes());
        msg.extend_from_slice(b", on ");
        msg.extend_from_slice(source);
        msg.push(b':');
        msg.extend_from_slice(line);
        msg.push(b'.');
    }
    add_reply_error_ex(caller, &msg, info.ignore_err_stats_update);
}

/// An error reply that may skip the error statistics (already counted
/// when the command inside the script failed).
fn add_reply_error_ex(c: &mut Client, msg: &[u8], no_stats: bool) {
    c.add_reply_error_bytes(msg);
    if no_stats {
        c.pending_errors.pop();
    }
}

/// The dispatcher behind `redis.call`/`pcall` (1), `setresp` (2),
/// `set_repl` (3), `acl_check_cmd` (4) and the busy hook (0).
fn dispatch(lua: &Lua, env: &mut RunEnv, op: i64, args: MultiValue) -> mlua::Result<Dispatch> {
    match op {
        0 => {
            if crate::script::script_interrupt(env.server) {
                env.server.server_log(
                    crate::server::LL_WARNING,
                    "Lua script killed by user with SCRIPT KILL.",
                );
                return Ok((
                    false,
                    lua_err_table(lua, "Script killed by user with SCRIPT KILL...")?,
                ));
            }
            Ok((true, Value::Nil))
        }
        1 => lua_redis_generic_command(lua, env, args),
        2 => {
            if args.len() != 1 {
                return Ok((
                    false,
                    lua_err_table(lua, "redis.setresp() requires one argument.")?,
                ));
            }
            let resp = args.front().and_then(|v| lua_number(lua, v)).unwrap_or(0.0) as i64;
            if resp != 2 && resp != 3 {
                return Ok((false, lua_err_table(lua, "RESP version must be 2 or 3.")?));
            }
            env.sc.resp = resp as u8;
            Ok((true, Value::Nil))
        }
        3 => {
            if args.len() != 1 {
                return Ok((
                    false,
                    lua_err_table(lua, "redis.set_repl() requires two arguments.")?,
                ));
            }
            let flags = args.front().and_then(|v| lua_number(lua, v)).unwrap_or(0.0) as i64;
            if flags & !(crate::script::PROPAGATE_AOF | crate::script::PROPAGATE_REPL) != 0 {
                return Ok((false, lua_err_table(lua, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")?));
            }
            if let Some(run) = env.server.scripting.run.as_mut() {
                run.repl_flags = flags;
            }
            Ok((true, Value::Nil))
        }
        4 => {
            let argv = match lua_args_to_redis_argv(lua, args)? {
                Ok(argv) => argv,
                Err(e) => return Ok((false, e)),
            };
            // The default user, the only one so far, may run everything.
            if env.server.commands.lookup_command(&argv).is_err() {
                return Ok((
                    false,
                    lua_err_table(lua, "Invalid command passed to redis.acl_check_cmd()")?,
                ));
            }
            Ok((true, Value::Boolean(true)))
        }
        _ => Ok((false, lua_err_table(lua, "unknown scripting operation")?)),
    }
}

/// `luaArgsToRedisArgv`: the arguments as a command, or the error table.
fn lua_args_to_redis_argv(
    lua: &Lua,
    args: MultiValue,
) -> mlua::Result<Result<Vec<Vec<u8>>, Value>> {
    if args.is_empty() {
        return Ok(Err(lua_err_table(
            lua,
            "Please specify at least one argument for this redis lib call",
        )?));
    }
    let mut argv = Vec::with_capacity(args.len());
    for a in args.iter() {
        match a {
            // Lua would print 17 significant digits only as %.14g.
            Value::Integer(i) => {
                let mut out = Vec::new();
                crate::util::append_double(&mut out, *i as f64);
                argv.push(out);
            }
            Value::Number(n) => {
                let mut out = Vec::new();
                crate::util::append_double(&mut out, *n);
                argv.push(out);
            }
            Value::String(s) => argv.push(s.as_bytes().to_vec()),
            _ => {
                return Ok(Err(lua_err_table(
                    lua,
                    "Lua redis lib command arguments must be strings or integers",
                )?))
            }
        }
    }
    Ok(Ok(argv))
}

/// `luaRedisGenericCommand`: one `redis.call`/`redis.pcall`.
fn lua_redis_generic_command(
    lua: &Lua,
    env: &mut RunEnv,
    args: MultiValue,
) -> mlua::Result<Dispatch> {
    let argv = match lua_args_to_redis_argv(lua, args)? {
        Ok(argv) => argv,
        Err(e) => return Ok((false, e)),
    };
    let sc = &mut *env.sc;
    sc.argv.set(argv);
    let res = crate::script::script_call(env.server, sc);
    sc.argv.clear();
    sc.original_argv = None;
    sc.pending_errors.clear();
    if let Err(err) = res {
        let t = err_buff_table(lua, err.as_bytes())?;
        t.raw_set("ignore_error_stats_update", true)?;
        return Ok((false, Value::Table(t)));
    }
    let mut reply = sc.take_reply();
    let is_error = reply.first() == Some(&b'-');
    let mut pos = 0;
    let v = redis_protocol_to_lua_type(lua, &reply, &mut pos)?;
    reply.clear();
    sc.buf = reply;
    Ok((!is_error, v))
}

/// Reads one CRLF-terminated line from `pos`.
fn read_line<'a>(p: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let start = *pos;
    let rest = p.get(start..).unwrap_or_default();
    let end = rest
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(rest.len());
    *pos = start + end + 2;
    &rest[..end]
}

fn parse_len(line: &[u8]) -> i64 {
    crate::util::string2ll(line).unwrap_or(0)
}

/// `redisProtocolToLuaType`: one RESP2/RESP3 reply of the script client
/// as a Lua value, with Redis's table conventions.
pub fn redis_protocol_to_lua_type(lua: &Lua, p: &[u8], pos: &mut usize) -> mlua::Result<Value> {
    let Some(&kind) = p.get(*pos) else {
        return Ok(Value::Nil);
    };
    *pos += 1;
    let line = read_line(p, pos);
    let single = |field: &str, v: Value| -> mlua::Result<Value> {
        let t = lua.create_table()?;
        t.raw_set(field, v)?;
        Ok(Value::Table(t))
    };
    Ok(match kind {
        b':' => Value::Number(parse_len(line) as f64),
        b'$' => {
            let len = parse_len(line);
            if len < 0 {
                Value::Boolean(false)
            } else {
                let start = *pos;
                let end = (start + len as usize).min(p.len());
                *pos = end + 2;
                Value::String(lua.create_string(&p[start..end])?)
            }
        }
        b'+' => single("ok", Value::String(lua.create_string(line)?))?,
        b'-' => {
            let mut e = b"-".to_vec();
            e.extend_from_slice(line);
            let t = err_buff_table(lua, &e)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b'*' | b'>' => {
            let len = parse_len(line);
            if len < 0 {
                return Ok(Value::Boolean(false));
            }
            let t = lua.create_table()?;
            for j in 0..len {
                let v = redis_protocol_to_lua_type(lua, p, pos)?;
                t.raw_set(j + 1, v)?;
            }
            Value::Table(t)
        }
        b'%' => {
            let inner = lua.create_table()?;
            for _ in 0..parse_len(line) {
                let k = redis_protocol_to_lua_type(lua, p, pos)?;
                let v = redis_protocol_to_lua_type(lua, p, pos)?;
                if !matches!(k, Value::Nil) {
                    inner.raw_set(k, v)?;
                }
            }
            single("map", Value::Table(inner))?
        }
        b'~' => {
            let inner = lua.create_table()?;
            for _ in 0..parse_len(line) {
                let k = redis_protocol_to_lua_type(lua, p, pos)?;
                if !matches!(k, Value::Nil) {
                    inner.raw_set(k, true)?;
                }
            }
            single("set", Value::Table(inner))?
        }
        b'|' => {
            // Attributes are not shown to scripts: skip them.
            for _ in 0..parse_len(line) * 2 {
                redis_protocol_to_lua_type(lua, p, pos)?;
            }
            redis_protocol_to_lua_type(lua, p, pos)?
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(line == b"t"),
        b',' => {
            let d = match line {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                _ => std::str::from_utf8(line)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(f64::NAN),
            };
            single("double", Value::Number(d))?
        }
        b'(' => single("big_number", Value::String(lua.create_string(line)?))?,
        b'=' => {
            let len = parse_len(line).max(0) as usize;
            let start = *pos;
            let end = (start + len).min(p.len());
            *pos = end + 2;
            let body = &p[start..end];
            let (format, text) = if body.len() >= 4 {
                (&body[..3], &body[4..])
            } else {
                (&b""[..], body)
            };
            let inner = lua.create_table()?;
            inner.raw_set("string", lua.create_string(text)?)?;
            inner.raw_set("format", lua.create_string(format)?)?;
            single("verbatim_string", Value::Table(inner))?
        }
        _ => Value::Nil,
    })
}

/// `luaReplyToRedisReply`: a Lua value as a reply to `c`.
/// `script_resp` is the protocol the script chose with `redis.setresp`.
pub fn lua_reply_to_redis_reply(c: &mut Client, script_resp: u8, v: &Value, depth: usize) {
    if depth > MAX_REPLY_DEPTH {
        c.add_reply_error("reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => c.add_reply_bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp == 2 {
                if *b {
                    c.add_reply(b":1\r\n");
                } else {
                    c.add_reply_null();
                }
            } else {
                c.add_reply_bool(*b);
            }
        }
        Value::Integer(i) => c.add_reply_long_long(*i),
        Value::Number(n) => c.add_reply_long_long(*n as i64),
        Value::Table(t) => lua_table_to_redis_reply(c, script_resp, t, depth),
        _ => c.add_reply_null(),
    }
}

fn lua_table_to_redis_reply(c: &mut Client, script_resp: u8, t: &Table, depth: usize) {
    let field = |k: &str| t.raw_get::<Value>(k).unwrap_or(Value::Nil);
    if let Value::String(e) = field("err") {
        let mut msg = b"-".to_vec();
        msg.extend_from_slice(&e.as_bytes());
        let no_stats = matches!(field("ignore_error_stats_update"), Value::Boolean(true));
        add_reply_error_ex(c, &msg, no_stats);
        return;
    }
    if let Value::String(s) = field("ok") {
        c.add_reply_status_bytes(&s.as_bytes());
        return;
    }
    match field("double") {
        Value::Number(d) => return c.add_reply_double(d),
        Value::Integer(i) => return c.add_reply_double(i as f64),
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        let num: Vec<u8> = s
            .as_bytes()
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
            .collect();
        c.add_reply_big_num(&num);
        return;
    }
    if let Value::Table(vt) = field("verbatim_string") {
        if let (Ok(Value::String(format)), Ok(Value::String(s))) =
            (vt.raw_get::<Value>("format"), vt.raw_get::<Value>("string"))
        {
            let format = String::from_utf8_lossy(&format.as_bytes()).into_owned();
            c.add_reply_verbatim(&s.as_bytes(), &format);
            return;
        }
    }
    if let Value::Table(map) = field("map") {
        let d = c.add_reply_deferred_len();
        let mut len = 0;
        for (k, v) in map.pairs::<Value, Value>().flatten() {
            lua_reply_to_redis_reply(c, script_resp, &k, depth + 1);
            lua_reply_to_redis_reply(c, script_resp, &v, depth + 1);
            len += 1;
        }
        c.set_deferred_map_len(d, len);
        return;
    }
    if let Value::Table(set) = field("set") {
        let d = c.add_reply_deferred_len();
        let mut len = 0;
        for (k, _) in set.pairs::<Value, Value>().flatten() {
            lua_reply_to_redis_reply(c, script_resp, &k, depth + 1);
            len += 1;
        }
        c.set_deferred_set_len(d, len);
        return;
    }
    let d = c.add_reply_deferred_len();
    let mut len = 0;
    let mut j = 1;
    loop {
        let v: Value = t.raw_get(j).unwrap_or(Value::Nil);
        if matches!(v, Value::Nil) {
            break;
        }
        lua_reply_to_redis_reply(c, script_resp, &v, depth + 1);
        len += 1;
        j += 1;
    }
    c.set_deferred_array_len(d, len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_buff_splits_code_and_trims() {
        assert_eq!(err_buff(b"-WRONGTYPE bad\r\n"), b"WRONGTYPE bad");
        assert_eq!(err_buff(b"-NOCODE"), b"ERR NOCODE");
        assert_eq!(err_buff(b"plain"), b"ERR plain");
    }

    #[test]
    fn rand48_matches_the_c_generator() {
        redis_srand48(0);
        // lrand48 after srand48(0) in glibc.
        assert_eq!(redis_lrand48(), 366850414);
        assert_eq!(redis_lrand48(), 1610402240);
    }
}
