//! Users and authentication: the part of `acl.c` that exists so far.
//!
//! There is one user, `default`. It needs no password unless `requirepass`
//! is set, in which case that password is its only one (what
//! `ACLUpdateDefaultUserPassword` makes of the directive). AUTH and HELLO
//! AUTH check credentials here; a client created while the default user
//! needs no password starts authenticated, as in C.
//!
//! The ACL command categories live here too: COMMAND INFO and COMMAND LIST
//! FILTERBY ACLCAT report them. Redis declares a command's explicit
//! categories in its JSON file; our table carries the command group
//! instead, which determines them except for the handful of commands listed
//! in [`EXPLICIT_CATEGORY_EXCEPTIONS`]. The flags then add the implicit
//! ones (`setImplicitACLCategories`).

use crate::commands::{
    CommandEntry, CMD_ADMIN, CMD_BLOCKING, CMD_FAST, CMD_PUBSUB, CMD_READONLY, CMD_WRITE,
};
use crate::networking::Client;
use crate::server::Server;

pub const ACL_CATEGORY_KEYSPACE: u64 = 1 << 0;
pub const ACL_CATEGORY_READ: u64 = 1 << 1;
pub const ACL_CATEGORY_WRITE: u64 = 1 << 2;
pub const ACL_CATEGORY_SET: u64 = 1 << 3;
pub const ACL_CATEGORY_SORTEDSET: u64 = 1 << 4;
pub const ACL_CATEGORY_LIST: u64 = 1 << 5;
pub const ACL_CATEGORY_HASH: u64 = 1 << 6;
pub const ACL_CATEGORY_STRING: u64 = 1 << 7;
pub const ACL_CATEGORY_BITMAP: u64 = 1 << 8;
pub const ACL_CATEGORY_HYPERLOGLOG: u64 = 1 << 9;
pub const ACL_CATEGORY_GEO: u64 = 1 << 10;
pub const ACL_CATEGORY_STREAM: u64 = 1 << 11;
pub const ACL_CATEGORY_PUBSUB: u64 = 1 << 12;
pub const ACL_CATEGORY_ADMIN: u64 = 1 << 13;
pub const ACL_CATEGORY_FAST: u64 = 1 << 14;
pub const ACL_CATEGORY_SLOW: u64 = 1 << 15;
pub const ACL_CATEGORY_BLOCKING: u64 = 1 << 16;
pub const ACL_CATEGORY_DANGEROUS: u64 = 1 << 17;
pub const ACL_CATEGORY_CONNECTION: u64 = 1 << 18;
pub const ACL_CATEGORY_TRANSACTION: u64 = 1 << 19;
pub const ACL_CATEGORY_SCRIPTING: u64 = 1 << 20;

/// `ACLCommandCategories`, in the order replies list them.
pub const ACL_COMMAND_CATEGORIES: &[(&str, u64)] = &[
    ("keyspace", ACL_CATEGORY_KEYSPACE),
    ("read", ACL_CATEGORY_READ),
    ("write", ACL_CATEGORY_WRITE),
    ("set", ACL_CATEGORY_SET),
    ("sortedset", ACL_CATEGORY_SORTEDSET),
    ("list", ACL_CATEGORY_LIST),
    ("hash", ACL_CATEGORY_HASH),
    ("string", ACL_CATEGORY_STRING),
    ("bitmap", ACL_CATEGORY_BITMAP),
    ("hyperloglog", ACL_CATEGORY_HYPERLOGLOG),
    ("geo", ACL_CATEGORY_GEO),
    ("stream", ACL_CATEGORY_STREAM),
    ("pubsub", ACL_CATEGORY_PUBSUB),
    ("admin", ACL_CATEGORY_ADMIN),
    ("fast", ACL_CATEGORY_FAST),
    ("slow", ACL_CATEGORY_SLOW),
    ("blocking", ACL_CATEGORY_BLOCKING),
    ("dangerous", ACL_CATEGORY_DANGEROUS),
    ("connection", ACL_CATEGORY_CONNECTION),
    ("transaction", ACL_CATEGORY_TRANSACTION),
    ("scripting", ACL_CATEGORY_SCRIPTING),
];

/// Commands whose declared categories are not those of their group.
const EXPLICIT_CATEGORY_EXCEPTIONS: &[(&str, u64)] = &[
    ("command", ACL_CATEGORY_CONNECTION),
    ("command|count", ACL_CATEGORY_CONNECTION),
    ("command|docs", ACL_CATEGORY_CONNECTION),
    ("command|getkeys", ACL_CATEGORY_CONNECTION),
    ("command|getkeysandflags", ACL_CATEGORY_CONNECTION),
    ("command|help", ACL_CATEGORY_CONNECTION),
    ("command|info", ACL_CATEGORY_CONNECTION),
    ("command|list", ACL_CATEGORY_CONNECTION),
    ("asking", ACL_CATEGORY_CONNECTION),
    ("readonly", ACL_CATEGORY_CONNECTION),
    ("readwrite", ACL_CATEGORY_CONNECTION),
    ("wait", ACL_CATEGORY_CONNECTION),
    ("keys", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    ("migrate", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    ("restore", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    (
        "restore-asking",
        ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS,
    ),
    (
        "sort",
        ACL_CATEGORY_SET | ACL_CATEGORY_SORTEDSET | ACL_CATEGORY_LIST | ACL_CATEGORY_DANGEROUS,
    ),
    (
        "sort_ro",
        ACL_CATEGORY_SET | ACL_CATEGORY_SORTEDSET | ACL_CATEGORY_LIST | ACL_CATEGORY_DANGEROUS,
    ),
    ("dbsize", ACL_CATEGORY_KEYSPACE),
    ("flushall", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    ("flushdb", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    ("swapdb", ACL_CATEGORY_KEYSPACE | ACL_CATEGORY_DANGEROUS),
    ("info", ACL_CATEGORY_DANGEROUS),
    ("lastsave", ACL_CATEGORY_ADMIN | ACL_CATEGORY_DANGEROUS),
    ("role", ACL_CATEGORY_ADMIN | ACL_CATEGORY_DANGEROUS),
];

/// The categories every command of a group declares.
fn group_categories(group: &str) -> u64 {
    match group {
        "generic" => ACL_CATEGORY_KEYSPACE,
        "string" => ACL_CATEGORY_STRING,
        "list" => ACL_CATEGORY_LIST,
        "set" => ACL_CATEGORY_SET,
        "sorted-set" => ACL_CATEGORY_SORTEDSET,
        "hash" => ACL_CATEGORY_HASH,
        "transactions" => ACL_CATEGORY_TRANSACTION,
        "connection" => ACL_CATEGORY_CONNECTION,
        "scripting" => ACL_CATEGORY_SCRIPTING,
        "hyperloglog" => ACL_CATEGORY_HYPERLOGLOG,
        "geo" => ACL_CATEGORY_GEO,
        "stream" => ACL_CATEGORY_STREAM,
        "bitmap" => ACL_CATEGORY_BITMAP,
        _ => 0,
    }
}

/// The full category set of a command: declared, then implied by its flags
/// (`setImplicitACLCategories`).
pub fn command_acl_categories(cmd: &CommandEntry) -> u64 {
    let mut cats = match EXPLICIT_CATEGORY_EXCEPTIONS
        .iter()
        .find(|(n, _)| *n == cmd.fullname)
    {
        Some(&(_, c)) => c,
        // Containers (CLIENT, OBJECT, XINFO...) declare none themselves.
        None if !cmd.subcommands.is_empty() => 0,
        None => group_categories(cmd.group),
    };
    if cmd.flags & CMD_WRITE != 0 {
        cats |= ACL_CATEGORY_WRITE;
    }
    if cmd.flags & CMD_READONLY != 0 && cats & ACL_CATEGORY_SCRIPTING == 0 {
        cats |= ACL_CATEGORY_READ;
    }
    if cmd.flags & CMD_ADMIN != 0 {
        cats |= ACL_CATEGORY_ADMIN | ACL_CATEGORY_DANGEROUS;
    }
    if cmd.flags & CMD_PUBSUB != 0 {
        cats |= ACL_CATEGORY_PUBSUB;
    }
    if cmd.flags & CMD_FAST != 0 {
        cats |= ACL_CATEGORY_FAST;
    }
    if cmd.flags & CMD_BLOCKING != 0 {
        cats |= ACL_CATEGORY_BLOCKING;
    }
    if cats & ACL_CATEGORY_FAST == 0 {
        cats |= ACL_CATEGORY_SLOW;
    }
    cats
}

/// `ACLGetCommandCategoryFlagByName`: 0 for an unknown name.
pub fn acl_get_command_category_flag_by_name(name: &[u8]) -> u64 {
    ACL_COMMAND_CATEGORIES
        .iter()
        .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        .map_or(0, |&(_, f)| f)
}

/// `addReplyCommandCategories`: a set of `@name` statuses.
pub fn add_reply_command_categories(c: &mut Client, cats: u64) {
    let count = ACL_COMMAND_CATEGORIES
        .iter()
        .filter(|(_, f)| cats & f != 0)
        .count();
    c.add_reply_set_len(count as i64);
    for (name, f) in ACL_COMMAND_CATEGORIES {
        if cats & f != 0 {
            c.add_reply_status(&format!("@{name}"));
        }
    }
}

/// `ACLGetUserByName`, reduced to whether the user exists.
pub fn acl_user_exists(name: &[u8]) -> bool {
    name == b"default"
}

/// Whether the default user is `nopass` (no `requirepass`).
pub fn default_user_nopass(server: &Server) -> bool {
    server.config.requirepass.is_none()
}

/// Compares two secrets in a time that does not depend on where they
/// differ (`time_independent_strcmp`), so a wrong password leaks nothing.
fn time_independent_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = 0u8;
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    diff == 0 && a.len() == b.len()
}

/// `ACLCheckUserCredentials`.
pub fn acl_check_user_credentials(server: &Server, username: &[u8], password: &[u8]) -> bool {
    if !acl_user_exists(username) {
        return false;
    }
    if default_user_nopass(server) {
        return true;
    }
    time_independent_eq(
        server
            .config
            .requirepass
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
        password,
    )
}

/// `ACLAuthenticateUser`: on success the connection is authenticated.
pub fn acl_authenticate_user(
    server: &Server,
    c: &mut Client,
    username: &[u8],
    password: &[u8],
) -> bool {
    if acl_check_user_credentials(server, username, password) {
        c.authenticated = true;
        true
    } else {
        false
    }
}

/// AUTH [username] password
pub fn auth_command(server: &mut Server, c: &mut Client) {
    if c.argv.len() > 3 {
        c.add_reply_syntax_error();
        return;
    }
    // The password never shows up in MONITOR or the slowlog.
    c.redact_client_command_argument(1);
    let (username, password) = if c.argv.len() == 2 {
        // The old form keeps its old error when there is nothing to check.
        if default_user_nopass(server) {
            c.add_reply_error(
                "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            );
            return;
        }
        (b"default".to_vec(), c.argv[1].clone())
    } else {
        c.redact_client_command_argument(2);
        (c.argv[1].clone(), c.argv[2].clone())
    };
    if acl_authenticate_user(server, c, &username, &password) {
        c.add_reply_ok();
    } else {
        c.add_reply_error("-WRONGPASS invalid username-password pair or user is disabled.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare() {
        assert!(time_independent_eq(b"abc\0def", b"abc\0def"));
        assert!(!time_independent_eq(b"abc", b"abc\0def"));
        assert!(!time_independent_eq(b"abd", b"abc"));
        assert!(time_independent_eq(b"", b""));
    }

    #[test]
    fn categories_of_commands() {
        let cmds = crate::commands::populate_command_table();
        let cats = |name: &str| {
            command_acl_categories(&cmds.list[cmds.lookup_by_fullname(name.as_bytes()).unwrap()])
        };
        assert_eq!(
            cats("get"),
            ACL_CATEGORY_READ | ACL_CATEGORY_STRING | ACL_CATEGORY_FAST
        );
        assert_eq!(
            cats("client|kill"),
            ACL_CATEGORY_ADMIN
                | ACL_CATEGORY_SLOW
                | ACL_CATEGORY_DANGEROUS
                | ACL_CATEGORY_CONNECTION
        );
        assert_eq!(cats("client"), ACL_CATEGORY_SLOW);
        assert_eq!(cats("info"), ACL_CATEGORY_SLOW | ACL_CATEGORY_DANGEROUS);
        assert_eq!(
            cats("command|info"),
            ACL_CATEGORY_SLOW | ACL_CATEGORY_CONNECTION
        );
    }

    #[test]
    fn category_names() {
        assert_eq!(
            acl_get_command_category_flag_by_name(b"KEYSPACE"),
            ACL_CATEGORY_KEYSPACE
        );
        assert_eq!(acl_get_command_category_flag_by_name(b"nope"), 0);
    }
}
