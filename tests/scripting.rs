//! EVAL and FUNCTION against Debian's `/usr/bin/redis-server` 7.0.15
//! (skipped when it is not installed): each script's reply, in RESP2 and
//! RESP3, must be byte-identical, error texts included.

mod common;

use common::{Client, Server};
use std::path::Path;

const REAL_REDIS: &str = "/usr/bin/redis-server";

/// Commands whose replies both servers must agree on, in order. FUNCTION
/// LIST runs while one library of one function exists: Redis lists them in
/// its dicts' order.
const SCRIPTS: &[&[&str]] = &[
    &["eval", "return 'hello'", "0"],
    &["eval", "return {1,2,3,'ciao',{1,2},3.99,true,false,nil,4}", "0"],
    &["eval", "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}", "2", "a", "b", "c", "d"],
    &["eval", "redis.call('set',KEYS[1],ARGV[1]); return redis.call('get',KEYS[1])", "1", "k", "v"],
    &["eval", "return redis.call('incr','k')", "0"],
    &["eval", "return redis.pcall('incr','k')", "0"],
    &["eval", "return {pcall(redis.call,'nosuch')}", "0"],
    &["eval", "return redis.call('nosuch')", "0"],
    &["eval", "return redis.call('set')", "0"],
    &["eval", "return redis.call()", "0"],
    &["eval", "return redis.call({})", "0"],
    &["eval", "return a", "0"],
    &["eval", "a = 10", "0"],
    &["eval", "rawset(_G, 'x', 1)", "0"],
    &["eval", "setmetatable(_G, {})", "0"],
    &["eval", "local g = getmetatable(_G); g.__index = {}", "0"],
    &["eval", "redis.call = function() return 1 end", "0"],
    &["eval", "getmetatable('').__index = function() return 1 end", "0"],
    &["eval", "return print", "0"],
    &["eval", "return loadstring(string.dump(function() return 1 end))()", "0"],
    &["eval", "error('x')", "0"],
    &["eval", "error({err='MY x'})", "0"],
    &["eval", "return {err='MY x'}", "0"],
    &["eval", "return redis.error_reply('My Error')", "0"],
    &["eval", "return redis.status_reply('FINE')", "0"],
    &["eval", "return redis.sha1hex('Pizza & Mandolino')", "0"],
    &["eval", "return 1 +", "0"],
    &["eval", "return {double=3.14}", "0"],
    &["eval", "return {map={a=1}}", "0"],
    &["eval", "return {set={a=true}}", "0"],
    &["eval", "return {big_number='123'}", "0"],
    &["eval", "return {verbatim_string={format='txt', string='hi'}}", "0"],
    &["eval", "redis.setresp(3); return redis.call('hello', '3')", "0"],
    &["eval", "redis.setresp(3); return redis.call('config', 'get', 'maxmemory')", "0"],
    &["eval", "return redis.setresp(4)", "0"],
    &["eval", "return {math.random(), math.random(10), math.random(5, 7)}", "0"],
    &["eval", "return redis.REDIS_VERSION", "0"],
    &["eval", "return redis.REDIS_VERSION_NUM", "0"],
    &["eval", "return redis.replicate_commands()", "0"],
    &["eval", "return redis.breakpoint()", "0"],
    &["eval", "#!lua flags=no-writes\nreturn redis.call('set','x','1')", "0"],
    &["eval", "#!lua flags=bad\nreturn 1", "0"],
    &["eval", "#!lua\nreturn redis.call('get','k')", "0"],
    &["eval_ro", "return redis.call('set','x','1')", "0"],
    &["eval_ro", "#!lua\nreturn 1", "0"],
    &["eval", "return 1", "-1"],
    &["eval", "return 1", "2", "a"],
    &["evalsha", "ffffffffffffffffffffffffffffffffffffffff", "0"],
    &["evalsha", "short", "0"],
    &["script", "load", "return 1"],
    &["evalsha", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
    &["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffffffffffffffffffffffffffffffffffffffff"],
    &["script", "flush"],
    &["script", "exists", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
    &["script", "kill"],
    &["script", "flush", "bad"],
    &["script", "help"],
    &["function", "load", "#!lua name=lib\nredis.register_function{function_name='g', callback=function(keys, args) return {keys[1], args[1]} end, flags={'no-writes', 'allow-oom'}, description='desc'}"],
    &["function", "list"],
    &["function", "list", "withcode", "libraryname", "li*"],
    &["function", "load", "#!lua name=other\nredis.register_function('f', function(keys, args) return redis.call('ping') end)"],
    &["fcall", "f", "0"],
    &["fcall", "g", "1", "k", "a"],
    &["fcall_ro", "f", "0"],
    &["fcall_ro", "g", "1", "k", "a"],
    &["fcall", "nosuch", "0"],
    &["fcall", "g", "x"],
    &["function", "list", "libraryname"],
    &["function", "load", "#!lua name=lib\nreturn 1"],
    &["function", "load", "#!lua name=lib2\nreturn 1"],
    &["function", "load", "#!lua name=lib2\nredis.call('ping')"],
    &["function", "load", "#!lua name=lib2\nredis.register_function('f', function() return 1 end)"],
    &["function", "load", "#!lua name=lib2\nredis.register_function('bad-name', function() return 1 end)"],
    &["function", "load", "#!lua name=lib2\nredis.register_function{function_name='x', callback=function() end, flags={'nope'}}"],
    &["function", "load", "#!lua name=lib2\nredis.register_function{function_name='x'}"],
    &["function", "load", "#!lua name=lib2\nredis.register_function('x')"],
    &["function", "load", "#!lua name=lib2\nreturn 1 +"],
    &["function", "load", "#!nope name=lib2\nreturn 1"],
    &["function", "load", "return 1"],
    &["function", "load", "#!lua\nreturn 1"],
    &["function", "load", "#!lua name=lib2 foo=bar\nreturn 1"],
    &["function", "load", "bad", "#!lua name=lib2\nreturn 1"],
    &["function", "stats"],
    &["function", "kill"],
    &["function", "delete", "nosuch"],
    &["function", "delete", "lib"],
    &["function", "flush", "bad"],
    &["function", "flush"],
];

/// The replies of every script, RESP2 then RESP3.
fn run(port: u16) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for resp in ["2", "3"] {
        let mut c = Client::connect(port);
        c.cmd(&["hello", resp]);
        c.cmd(&["flushall"]);
        c.cmd(&["script", "flush"]);
        c.cmd(&["function", "flush"]);
        for args in SCRIPTS {
            out.push((format!("RESP{resp} {args:?}"), c.cmd(args)));
        }
    }
    out
}

#[test]
fn scripts_reply_as_redis_7_0_15() {
    if !Path::new(REAL_REDIS).exists() {
        eprintln!("skipped: {REAL_REDIS} is not installed");
        return;
    }
    let ours = Server::start(&[]);
    let real = Server::start_binary(Path::new(REAL_REDIS), &[]);
    let a = run(ours.port);
    let b = run(real.port);
    let mut diffs = Vec::new();
    for ((name, x), (_, y)) in a.iter().zip(b.iter()) {
        if x != y {
            diffs.push(format!(
                "{name}\n  ours: {:?}\n  real: {:?}",
                String::from_utf8_lossy(x),
                String::from_utf8_lossy(y)
            ));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
