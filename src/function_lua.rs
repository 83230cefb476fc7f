//! The Lua engine of FUNCTION: a port of `function_lua.c`.
//!
//! A library's code runs once, at FUNCTION LOAD, with nothing but the
//! library API in sight (`redis.register_function`, `redis.log` and the
//! version fields); each `register_function` call is parsed here with the
//! error texts of 7.0.15 and handed to `functions.rs`. Later FCALLs run the
//! registered callbacks through the shared `script_lua` run.

use mlua::{Function, Lua, MultiValue, Value};

use crate::script::SCRIPTS_FLAGS_DEF;

/// The arguments of one `redis.register_function` call.
pub struct RegisterFunctionArgs {
    pub name: Vec<u8>,
    pub desc: Option<Vec<u8>>,
    pub callback: Function,
    pub flags: u64,
}

/// A string argument (`luaGetStringSds`: strings and numbers).
fn string_arg(lua: &Lua, v: &Value) -> Option<Vec<u8>> {
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

/// `luaRegisterFunctionReadFlags`.
fn read_flags(lua: &Lua, t: &mlua::Table) -> Option<u64> {
    let mut flags = 0;
    let mut j = 1;
    loop {
        let v: Value = t.get(j).ok()?;
        if matches!(v, Value::Nil) {
            return Some(flags);
        }
        let name = string_arg(lua, &v)?;
        let (f, _) = SCRIPTS_FLAGS_DEF
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(&name))?;
        flags |= f;
        j += 1;
    }
}

/// `luaRegisterFunctionReadNamedArgs`.
fn read_named_args(lua: &Lua, v: &Value) -> Result<RegisterFunctionArgs, &'static str> {
    let Value::Table(t) = v else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    };
    let (mut name, mut desc, mut callback, mut flags) = (None, None, None, 0);
    for pair in t.pairs::<Value, Value>() {
        let Ok((k, v)) = pair else { break };
        let Some(key) = string_arg(lua, &k) else {
            return Err("named argument key given to redis.register_function is not a string");
        };
        let key = key.to_ascii_lowercase();
        match &key[..] {
            b"function_name" => {
                name = Some(string_arg(lua, &v).ok_or(
                    "function_name argument given to redis.register_function must be a string",
                )?)
            }
            b"description" => {
                desc = Some(string_arg(lua, &v).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?)
            }
            b"callback" => match v {
                Value::Function(f) => callback = Some(f),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a function",
                    )
                }
            },
            b"flags" => {
                let Value::Table(ft) = v else {
                    return Err("flags argument to redis.register_function must be a table representing function flags");
                };
                flags = read_flags(lua, &ft).ok_or("unknown flag given")?;
            }
            _ => return Err("unknown argument given to redis.register_function"),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(RegisterFunctionArgs {
        name,
        desc,
        callback,
        flags,
    })
}

/// `luaRegisterFunctionReadArgs`: the arguments, or the error text.
pub fn register_function_read_args(
    lua: &Lua,
    args: &MultiValue,
) -> Result<RegisterFunctionArgs, &'static str> {
    match args.len() {
        1 => read_named_args(lua, &args[0]),
        2 => {
            let name = string_arg(lua, &args[0])
                .ok_or("first argument to redis.register_function must be a string")?;
            let Value::Function(f) = &args[1] else {
                return Err("second argument to redis.register_function must be a function");
            };
            Ok(RegisterFunctionArgs {
                name,
                desc: None,
                callback: f.clone(),
                flags: 0,
            })
        }
        _ => Err("wrong number of arguments to redis.register_function"),
    }
}
