//! The COMMAND command and its subcommands (the introspection part of the
//! "Commands" section of `server.c`).
//!
//! COMMAND INFO answers the ten-element description of Redis 7.0: name,
//! arity, flags, first key, last key, step, ACL categories, tips, key specs
//! and subcommands. The key specs are printed without their notes (prose
//! our table does not carry). COMMAND DOCS answers a map with only the
//! group (and the subcommands), as the table has no documentation.
//! COMMAND GETKEYS and GETKEYSANDFLAGS find the keys through the key specs
//! (or the command's getkeys function) and report each key's spec flags.

use crate::acl::{
    acl_get_command_category_flag_by_name, add_reply_command_categories, command_acl_categories,
};
use crate::commands::{
    BeginSearch, CommandEntry, FindKeys, CMD_FLAG_NAMES, CMD_KEY_FLAG_NAMES, CMD_NO_MANDATORY_KEYS,
};
use crate::db::{does_command_have_keys, get_keys_from_command_with_specs};
use crate::networking::Client;
use crate::server::Server;
use crate::util::string_match_len;

/// Top-level commands in table order (C iterates a dict: any order).
fn top_level(server: &Server) -> Vec<usize> {
    (0..server.commands.list.len())
        .filter(|&i| server.commands.list[i].parent.is_none() && server.commands.is_reachable(i))
        .collect()
}

/// Subcommands of a command in table order.
fn subcommands_of(cmd: &CommandEntry) -> Vec<usize> {
    let mut v: Vec<usize> = cmd.subcommands.values().copied().collect();
    v.sort_unstable();
    v
}

/// The legacy key range as COMMAND INFO prints it (last counted from the
/// end when negative).
fn legacy_range(cmd: &CommandEntry) -> (i64, i64, i64) {
    let (first, last, step) = cmd.keys;
    (first as i64, last as i64, step as i64)
}

/// `addReplyCommandFlags`: the names of the flags set, as a set of
/// statuses.
fn add_reply_command_flags(c: &mut Client, flags: u64, names: &[(u64, &str)]) {
    let count = names.iter().filter(|(f, _)| flags & f != 0).count();
    c.add_reply_set_len(count as i64);
    for (f, name) in names {
        if flags & f != 0 {
            c.add_reply_status(name);
        }
    }
}

/// `addReplyFlagsForCommand`.
fn add_reply_flags_for_command(c: &mut Client, flags: u64) {
    add_reply_command_flags(c, flags, CMD_FLAG_NAMES);
}

/// `addReplyFlagsForKeyArgs`.
fn add_reply_flags_for_key_args(c: &mut Client, flags: u64) {
    add_reply_command_flags(c, flags, CMD_KEY_FLAG_NAMES);
}

/// A two-entry map `{type: <kind>, spec: {...}}` opener, as key specs use.
fn add_reply_spec_head(c: &mut Client, kind: &str, speclen: i64) {
    c.add_reply_map_len(2);
    c.add_reply_bulk(b"type");
    c.add_reply_bulk(kind.as_bytes());
    c.add_reply_bulk(b"spec");
    c.add_reply_map_len(speclen);
}

/// One name/integer pair of a map.
fn add_reply_field_long(c: &mut Client, name: &str, value: i32) {
    c.add_reply_bulk(name.as_bytes());
    c.add_reply_long_long(value as i64);
}

/// `addReplyCommandKeySpecs` (notes left out, see the module doc).
fn add_reply_command_key_specs(c: &mut Client, cmd: &CommandEntry) {
    c.add_reply_set_len(cmd.key_specs.len() as i64);
    for spec in cmd.key_specs {
        c.add_reply_map_len(3);
        c.add_reply_bulk(b"flags");
        add_reply_flags_for_key_args(c, spec.flags);
        c.add_reply_bulk(b"begin_search");
        match spec.begin_search {
            BeginSearch::Index(pos) => {
                add_reply_spec_head(c, "index", 1);
                add_reply_field_long(c, "index", pos);
            }
            BeginSearch::Keyword { keyword, startfrom } => {
                add_reply_spec_head(c, "keyword", 2);
                c.add_reply_bulk(b"keyword");
                c.add_reply_bulk(keyword.as_bytes());
                add_reply_field_long(c, "startfrom", startfrom);
            }
        }
        c.add_reply_bulk(b"find_keys");
        match spec.find_keys {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                add_reply_spec_head(c, "range", 3);
                add_reply_field_long(c, "lastkey", lastkey);
                add_reply_field_long(c, "keystep", keystep);
                add_reply_field_long(c, "limit", limit);
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                add_reply_spec_head(c, "keynum", 3);
                add_reply_field_long(c, "keynumidx", keynumidx);
                add_reply_field_long(c, "firstkey", firstkey);
                add_reply_field_long(c, "keystep", keystep);
            }
        }
    }
}

/// `addReplyCommandInfo`; `None` replies null (unknown command).
fn add_reply_command_info(server: &Server, c: &mut Client, idx: Option<usize>) {
    let Some(idx) = idx else {
        c.add_reply_null();
        return;
    };
    let cmd = &server.commands.list[idx];
    let (first, last, step) = legacy_range(cmd);
    c.add_reply_array_len(10);
    c.add_reply_bulk(cmd.fullname.as_bytes());
    c.add_reply_long_long(cmd.arity as i64);
    add_reply_flags_for_command(c, cmd.flags);
    c.add_reply_long_long(first);
    c.add_reply_long_long(last);
    c.add_reply_long_long(step);
    add_reply_command_categories(c, command_acl_categories(cmd));
    c.add_reply_set_len(cmd.tips.len() as i64);
    for tip in cmd.tips {
        c.add_reply_bulk(tip.as_bytes());
    }
    add_reply_command_key_specs(c, cmd);
    if cmd.subcommands.is_empty() {
        c.add_reply_set_len(0);
    } else {
        let subs = subcommands_of(cmd);
        c.add_reply_array_len(subs.len() as i64);
        for s in subs {
            add_reply_command_info(server, c, Some(s));
        }
    }
}

/// `addReplyCommandDocs`, reduced to what the table knows: the group and
/// the subcommands.
fn add_reply_command_docs(server: &Server, c: &mut Client, idx: usize) {
    let cmd = &server.commands.list[idx];
    let has_subs = !cmd.subcommands.is_empty();
    c.add_reply_map_len(1 + has_subs as i64);
    c.add_reply_bulk(b"group");
    c.add_reply_bulk(cmd.group.as_bytes());
    if has_subs {
        c.add_reply_bulk(b"subcommands");
        let subs = subcommands_of(cmd);
        c.add_reply_map_len(subs.len() as i64);
        for s in subs {
            c.add_reply_bulk(server.commands.list[s].fullname.as_bytes());
            add_reply_command_docs(server, c, s);
        }
    }
}

/// COMMAND (no subcommand): every top-level command.
pub fn command_command(server: &mut Server, c: &mut Client) {
    let cmds = top_level(server);
    c.add_reply_array_len(cmds.len() as i64);
    for i in cmds {
        add_reply_command_info(server, c, Some(i));
    }
}

/// COMMAND COUNT
pub fn command_count_command(server: &mut Server, c: &mut Client) {
    c.add_reply_long_long(top_level(server).len() as i64);
}

/// A COMMAND LIST FILTERBY filter.
enum ListFilter {
    Module,
    AclCat(u64),
    Pattern(Vec<u8>),
}

/// `shouldFilterFromCommandList`, inverted: whether the command is listed.
fn filter_accepts(cmd: &CommandEntry, filter: &ListFilter) -> bool {
    match filter {
        // No module commands exist.
        ListFilter::Module => false,
        ListFilter::AclCat(cat) => *cat != 0 && command_acl_categories(cmd) & cat != 0,
        ListFilter::Pattern(p) => string_match_len(p, cmd.fullname.as_bytes(), true),
    }
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
pub fn command_list_command(server: &mut Server, c: &mut Client) {
    let argc = c.argv.len();
    let mut filter = None;
    let mut i = 2;
    while i < argc {
        let moreargs = argc - 1 - i;
        if c.argv[i].eq_ignore_ascii_case(b"filterby") && moreargs == 2 {
            let arg = c.argv[i + 2].clone();
            let kind = c.argv[i + 1].to_ascii_lowercase();
            filter = Some(match &kind[..] {
                b"module" => ListFilter::Module,
                b"aclcat" => ListFilter::AclCat(acl_get_command_category_flag_by_name(&arg)),
                b"pattern" => ListFilter::Pattern(arg),
                _ => {
                    c.add_reply_syntax_error();
                    return;
                }
            });
            i += 3;
        } else {
            c.add_reply_syntax_error();
            return;
        }
    }
    // Commands, each followed by its subcommands.
    let mut names = Vec::new();
    for top in top_level(server) {
        let cmd = &server.commands.list[top];
        for idx in std::iter::once(top).chain(subcommands_of(cmd)) {
            let e = &server.commands.list[idx];
            if filter.as_ref().is_none_or(|f| filter_accepts(e, f)) {
                names.push(idx);
            }
        }
    }
    c.add_reply_array_len(names.len() as i64);
    for idx in names {
        c.add_reply_bulk(server.commands.list[idx].fullname.as_bytes());
    }
}

/// COMMAND INFO [command-name ...]
pub fn command_info_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() == 2 {
        command_command(server, c);
        return;
    }
    let names: Vec<Vec<u8>> = c.argv[2..].to_vec();
    c.add_reply_array_len(names.len() as i64);
    for n in names {
        let idx = server.commands.lookup_by_fullname(&n);
        add_reply_command_info(server, c, idx);
    }
}

/// COMMAND DOCS [command-name ...]
pub fn command_docs_command(server: &mut Server, c: &mut Client) {
    let found: Vec<usize> = if c.argv.len() == 2 {
        top_level(server)
    } else {
        c.argv[2..]
            .iter()
            .filter_map(|n| server.commands.lookup_by_fullname(n))
            .collect()
    };
    c.add_reply_map_len(found.len() as i64);
    for idx in found {
        c.add_reply_bulk(server.commands.list[idx].fullname.as_bytes());
        add_reply_command_docs(server, c, idx);
    }
}

/// `getKeysSubcommandImpl`: COMMAND GETKEYS / GETKEYSANDFLAGS.
fn get_keys_subcommand_impl(server: &mut Server, c: &mut Client, with_flags: bool) {
    let args = &c.argv[2..];
    let Ok(idx) = server.commands.lookup_command(args) else {
        c.add_reply_error("Invalid command specified");
        return;
    };
    let cmd = &server.commands.list[idx];
    if !does_command_have_keys(cmd) {
        c.add_reply_error("The command has no key arguments");
        return;
    }
    let argc = args.len() as i32;
    if (cmd.arity > 0 && cmd.arity != argc) || argc < -cmd.arity {
        c.add_reply_error("Invalid number of arguments specified for command");
        return;
    }
    let keys = get_keys_from_command_with_specs(cmd, args);
    if keys.is_empty() {
        if cmd.flags & CMD_NO_MANDATORY_KEYS != 0 {
            c.add_reply_array_len(0);
        } else {
            c.add_reply_error("Invalid arguments specified for command");
        }
        return;
    }
    c.add_reply_array_len(keys.len() as i64);
    for (pos, flags) in keys {
        let key = c.argv[pos + 2].clone();
        if with_flags {
            c.add_reply_array_len(2);
            c.add_reply_bulk(&key);
            add_reply_flags_for_key_args(c, flags);
        } else {
            c.add_reply_bulk(&key);
        }
    }
}

/// COMMAND GETKEYS command [arg ...]
pub fn command_get_keys_command(server: &mut Server, c: &mut Client) {
    get_keys_subcommand_impl(server, c, false);
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn command_get_keys_and_flags_command(server: &mut Server, c: &mut Client) {
    get_keys_subcommand_impl(server, c, true);
}

/// COMMAND HELP
pub fn command_help_command(_server: &mut Server, c: &mut Client) {
    c.add_reply_help(
        "command",
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    );
}
