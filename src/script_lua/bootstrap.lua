-- redis-mio: the Lua half of the scripting sandbox (see script_lua.rs).
-- Run once per engine with the real globals table, the Rust helpers and
-- whether the engine is the FUNCTION one. Returns the handles Rust keeps.
local G, api, functions_engine = ...

local dbg = G.debug
local getinfo, sethook = dbg.getinfo, dbg.sethook
local setfenv, type, tostring, tonumber, error, select = G.setfenv, G.type, G.tostring, G.tonumber, G.error, G.select
local rawget, rawset, setmetatable, getmetatable = G.rawget, G.rawset, G.setmetatable, G.getmetatable
local xpcall, pcall, loadstring, load, pairs = G.xpcall, G.pcall, G.loadstring, G.load, G.pairs
local err_buff = api.err_buff
rawset(G, 'debug', nil)

local RO = 'Attempt to modify a readonly table'

-- The state of the run in progress, filled by Rust: d is the dispatcher
-- that reaches the server, loading is true during FUNCTION LOAD.
local ctx = api.ctx
local unwrap_error = api.unwrap_error

local function errt(msg)
  return {err = 'ERR ' .. msg}
end

-- Read-only views. Lua 5.1 has no read-only tables, so protected tables
-- are handed out as empty proxies that read through to the real table
-- and refuse every write; rawset and setmetatable refuse them too.
local is_ro = setmetatable({}, {__mode = 'k'})
local views = setmetatable({}, {__mode = 'k'})
local function deny()
  error(RO, 2)
end
local ro
ro = function(t)
  local p = views[t]
  if p then return p end
  p = {}
  views[t] = p
  is_ro[p] = true
  local mt = getmetatable(t)
  setmetatable(p, {
    __index = function(_, k)
      local v = t[k]
      if type(v) == 'table' then return ro(v) end
      return v
    end,
    __newindex = deny,
    __metatable = mt and ro(mt) or false,
  })
  return p
end

-- The globals scripts see. Tables found in the real globals at start-up
-- (the libraries, redis) are handed out read-only; during FUNCTION LOAD
-- only the library API is visible.
local protected = {}
for k, v in pairs(G) do
  if type(v) == 'table' and k ~= '_G' then protected[k] = true end
end
local lib_api = {}
local env = {}
is_ro[env] = true
local shown_mt = {}
shown_mt.__index = function() end
setmetatable(env, {
  __index = function(_, k)
    local v
    if ctx.loading then
      v = lib_api[k]
    elseif k == '_G' then
      return env
    else
      v = rawget(G, k)
      if v ~= nil and protected[k] then v = ro(v) end
    end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = deny,
  __metatable = ro(shown_mt),
})

-- The string metatable is shared by every string: show a read-only view.
local smt = getmetatable('')
if smt then smt.__metatable = ro(smt) end

rawset(G, 'rawset', function(t, k, v)
  if is_ro[t] then error(RO, 0) end
  return rawset(t, k, v)
end)
rawset(G, 'setmetatable', function(t, mt)
  if is_ro[t] then error(RO, 0) end
  return setmetatable(t, mt)
end)

-- Compiled code runs in the sandbox too, and binary chunks are refused.
rawset(G, 'loadstring', function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'attempt to load a binary chunk'
  end
  local f, e = loadstring(s, name)
  if f then setfenv(f, env) end
  return f, e
end)
rawset(G, 'load', function(reader, name)
  local first = true
  local binary = false
  local function guarded()
    local piece = reader()
    if first and type(piece) == 'string' and piece ~= '' then
      first = false
      if piece:byte(1) == 27 then
        binary = true
        return nil
      end
    end
    return piece
  end
  local f, e = load(guarded, name)
  if binary then return nil, 'attempt to load a binary chunk' end
  if f then setfenv(f, env) end
  return f, e
end)

-- pcall hands back the message of a Redis error table, as Redis 6 did.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = unwrap_error(e) end
  if type(e) == 'table' then
    local m = e.err
    if type(m) == 'string' or type(m) == 'number' then e = m end
  end
  return false, e
end
rawset(G, 'pcall', function(f, ...)
  return pcall_result(pcall(f, ...))
end)

-- The redis table.

local function add_log(t)
  t.log = function(...)
    local e = api.log(...)
    if e then error(errt(e)) end
  end
  t.LOG_DEBUG = 0
  t.LOG_VERBOSE = 1
  t.LOG_NOTICE = 2
  t.LOG_WARNING = 3
end
local function add_version(t)
  t.REDIS_VERSION_NUM = api.REDIS_VERSION_NUM
  t.REDIS_VERSION = api.REDIS_VERSION
end

local redis = {}
redis.call = api.call
redis.pcall = api.pcall
add_log(redis)
add_version(redis)
redis.setresp = api.setresp
redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then error(errt('wrong number of arguments')) end
  return api.sha1hex((...))
end
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return errt('wrong number or type of arguments')
  end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return err_buff(e)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return errt('wrong number or type of arguments')
  end
  return {ok = s}
end
redis.set_repl = api.set_repl
redis.REPL_NONE = 0
redis.REPL_AOF = 1
redis.REPL_SLAVE = 2
redis.REPL_REPLICA = 2
redis.REPL_ALL = 3
redis.acl_check_cmd = api.acl_check_cmd
if not functions_engine then
  -- Outside the debugger (not supported) these do nothing.
  redis.breakpoint = function() return false end
  redis.debug = function() end
  redis.replicate_commands = function() return true end
end
rawset(G, 'redis', redis)
protected.redis = true

-- The API of library code run by FUNCTION LOAD.
if functions_engine then
  local lib_redis = {}
  lib_redis.register_function = function(...)
    local d = ctx.d
    if not d or not ctx.loading then
      error(errt('redis.register_function can only be called on FUNCTION LOAD command'))
    end
    local ok, e = d(10, ...)
    if not ok then error(e) end
    return nil
  end
  add_log(lib_redis)
  add_version(lib_redis)
  local view = {}
  is_ro[view] = true
  setmetatable(view, {
    __index = function(_, k)
      local v = lib_redis[k]
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = deny,
    __metatable = false,
  })
  lib_api.redis = view
end

-- math.random that gives the same sequence on every platform.
local math = rawget(G, 'math')
local function random_op(f, name)
  return function(...)
    if not ctx.d then
      error(name .. ' can only be called inside a script invocation', 2)
    end
    local r, e = f(...)
    if e then error(e, 2) end
    return r
  end
end
math.random = random_op(api.random, 'math.random')
math.randomseed = random_op(api.randomseed, 'math.randomseed')

-- The error handler of a run: turns any error into a table with the
-- place in the user's code where it happened (frames of this file and
-- C functions are skipped).
local function handler(err)
  local level = 2
  local i = getinfo(level, 'nSl')
  while i and (i.what == 'C' or i.source == '@redis_internal') do
    level = level + 1
    i = getinfo(level, 'nSl')
  end
  if type(err) == 'userdata' then err = unwrap_error(err) end
  if type(err) ~= 'table' then
    err = {err = 'ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

local function run(f, with_args, keys, args)
  if with_args then
    return xpcall(function() return f(keys, args) end, handler)
  end
  return xpcall(f, handler)
end

-- The busy hook: every 100000 instructions the server may serve other
-- clients; once the script is killed, every line raises the error again so
-- that pcall can't swallow it.
local hook
hook = function()
  local d = ctx.d
  if d then
    local ok, e = d(0)
    if not ok then
      sethook(hook, 'l')
      error(e)
    end
  end
end
local function hook_on()
  sethook(hook, '', 100000)
end
local function hook_off()
  sethook()
end

-- Library code is run with the errors of FUNCTION LOAD.
local function load_run(f)
  return xpcall(f, handler)
end

return {
  ctx = ctx,
  env = env,
  run = run,
  load_run = load_run,
  hook_on = hook_on,
  hook_off = hook_off,
}
