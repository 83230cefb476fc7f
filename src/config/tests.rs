use super::*;

/// A fresh folder under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "redis-mio-config-{}-{}-{}",
            name,
            std::process::id(),
            rand::random::<u32>()
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
    fn write(&self, file: &str, content: &str) -> String {
        let p = self.path(file);
        fs::write(&p, content).unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn get(c: &Config, name: &str) -> String {
    let r = c.config_get(&[name.as_bytes()]);
    assert_eq!(r.len(), 1, "config get {name}");
    r[0].1.clone()
}

fn set(c: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<ApplyHook>, String> {
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    c.config_set(&pairs)
}

fn load(text: &str) -> Result<Config, String> {
    let mut c = Config::default();
    c.load_server_config_from_string(text)?;
    Ok(c)
}

fn set_err(name: &str, reason: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
}

fn fatal(line: usize, text: &str, err: &str) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line {line}\n>>> '{text}'\n{err}\n"
    )
}

/*---------------------------------------------------------------- defaults */

#[test]
fn defaults_match_debian_redis_config_get() {
    let data = include_str!("../../tests/data/config-get-defaults-7.0.15.tsv");
    let c = Config::default();
    let mut real_names = Vec::new();
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.split_once('\t').unwrap();
        real_names.push(name.to_string());
        // The capture ran with --port 7998 from /tmp.
        let expected = match name {
            "port" => "6379".to_string(),
            "dir" => current_dir_string(),
            _ => value.to_string(),
        };
        assert_eq!(get(&c, name), expected, "default of {name}");
    }
    let mut ours: Vec<String> = c.config_get(&[b"*"]).into_iter().map(|(n, _)| n).collect();
    ours.sort();
    real_names.sort();
    assert_eq!(ours, real_names);
}

#[test]
fn hidden_configs_need_their_exact_name() {
    let c = Config::default();
    for (name, value) in [
        ("use-exit-on-panic", "no"),
        ("rdb-key-save-delay", "0"),
        ("key-load-delay", "0"),
        ("watchdog-period", "0"),
        ("loading-process-events-interval-bytes", "2097152"),
    ] {
        assert_eq!(get(&c, name), value);
    }
    assert!(c.config_get(&[b"watchdog*"]).is_empty());
}

#[test]
fn table_defaults_equal_struct_defaults() {
    // Rewrite relies on the table's default; Default on the field's.
    let c = Config::default();
    for config in CONFIG_TABLE {
        let same = match &config.kind {
            ConfigKind::Bool { get, default, .. } => get(&c) == *default,
            ConfigKind::String { get, default, .. } => get(&c).as_deref() == *default,
            ConfigKind::Enum { get, default, .. } => get(&c) == *default,
            ConfigKind::Numeric { get, default, .. } => get(&c) == *default,
            ConfigKind::Special { .. } => true,
        };
        assert!(same, "{}", config.name);
    }
}

#[test]
fn table_names_are_unique_and_lower_case() {
    let mut seen = HashSet::new();
    for cref in all_config_refs() {
        assert!(seen.insert(cref.name), "duplicate {}", cref.name);
        assert_eq!(cref.name, cref.name.to_ascii_lowercase());
    }
}

#[test]
fn no_effect_yet_list() {
    // The README lists these names (tests/readme.rs checks it); here only a
    // few anchors on both sides.
    let names = no_effect_yet_names();
    for live in [
        "port",
        "bind",
        "dir",
        "hz",
        "timeout",
        "maxclients",
        "cluster-enabled",
        "save",
    ] {
        assert!(!names.contains(&live), "{live}");
    }
    for todo in [
        "maxmemory",
        "appendonly",
        "appendfsync",
        "cluster-migration-barrier",
    ] {
        assert!(names.contains(&todo), "{todo}");
    }
}

/*------------------------------------------------------------------ aliases */

#[test]
fn aliases_reach_the_same_field() {
    let c = load("slave-read-only no\nhash-max-ziplist-entries 7\nslaveof 10.0.0.1 6380\nlua-time-limit 9\nlist-max-ziplist-size 3").unwrap();
    assert!(!c.replica_read_only);
    assert_eq!(c.hash_max_listpack_entries, 7);
    assert_eq!(c.replicaof, Some(("10.0.0.1".to_string(), 6380)));
    assert_eq!(c.busy_reply_threshold, 9);
    assert_eq!(c.list_max_listpack_size, 3);
    assert_eq!(get(&c, "replicaof"), "10.0.0.1 6380");
    let r = c.config_get(&[b"slave-read-only", b"replica-read-only"]);
    assert_eq!(
        r,
        vec![
            ("slave-read-only".to_string(), "no".to_string()),
            ("replica-read-only".to_string(), "no".to_string())
        ]
    );
}

#[test]
fn alias_and_name_in_one_set_are_not_duplicates() {
    // 7.0.15 compares the registered entries, and aliases are entries.
    let mut c = Config::default();
    set(
        &mut c,
        &[("slave-read-only", "yes"), ("replica-read-only", "no")],
    )
    .unwrap();
    assert!(!c.replica_read_only);
    assert_eq!(
        set(&mut c, &[("slave-read-only", "foo")]),
        Err(set_err("slave-read-only", "argument must be 'yes' or 'no'"))
    );
}

/*--------------------------------------------------------- numbers, bounds */

#[test]
fn bounds_and_parse_errors() {
    let mut c = Config::default();
    let cases = [
        (
            "tcp-keepalive",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "tcp-keepalive",
            "abc",
            "argument couldn't be parsed into an integer",
        ),
        (
            "tcp-keepalive",
            "+5",
            "argument couldn't be parsed into an integer",
        ),
        (
            "tcp-keepalive",
            "05",
            "argument couldn't be parsed into an integer",
        ),
        (
            "port",
            "65536",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "maxclients",
            "0",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        ("maxmemory", "-1", "argument must be a memory value"),
        ("maxmemory", "10xb", "argument must be a memory value"),
        (
            "maxmemory-clients",
            "200%",
            "percentage argument must be less or equal to 100",
        ),
        (
            "maxmemory-clients",
            "-5",
            "argument must be a memory or percent value",
        ),
        (
            "proto-max-bulk-len",
            "1000",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "slowlog-log-slower-than",
            "-2",
            "argument must be between -1 and 9223372036854775807 inclusive",
        ),
        (
            "active-expire-effort",
            "11",
            "argument must be between 1 and 10 inclusive",
        ),
        (
            "hash-max-listpack-entries",
            "-1",
            "argument must be between 0 and 9223372036854775807 inclusive",
        ),
        ("activedefrag", "maybe", "argument must be 'yes' or 'no'"),
    ];
    for (name, value, reason) in cases {
        assert_eq!(
            set(&mut c, &[(name, value)]),
            Err(set_err(name, reason)),
            "{name} {value}"
        );
    }
    assert_eq!(c, Config::default());
    let c2 = load("unixsocketperm 1000");
    assert_eq!(
        c2,
        Err(fatal(
            1,
            "unixsocketperm 1000",
            "argument must be between 0 and 777 inclusive"
        ))
    );
    assert_eq!(
        load("unixsocketperm 9"),
        Err(fatal(
            1,
            "unixsocketperm 9",
            "argument couldn't be parsed as an octal number"
        ))
    );
    let c = load("unixsocketperm 700").unwrap();
    assert_eq!(c.unixsocketperm, 0o700);
    assert_eq!(get(&c, "unixsocketperm"), "700");
}

#[test]
fn memory_units() {
    let mut c = Config::default();
    for (value, bytes) in [
        ("1mb", 1048576u64),
        ("1m", 1000000),
        ("1MB", 1048576),
        ("2gb", 2 << 30),
        ("3g", 3_000_000_000),
        ("4kb", 4096),
        ("4k", 4000),
        ("5b", 5),
        ("123", 123),
        ("", 0),
        ("99999999999999999999999", u64::MAX),
    ] {
        set(&mut c, &[("maxmemory", value)]).unwrap();
        assert_eq!(c.maxmemory, bytes, "{value}");
        assert_eq!(get(&c, "maxmemory"), bytes.to_string());
    }
    set(&mut c, &[("maxmemory-clients", "10%")]).unwrap();
    assert_eq!(c.maxmemory_clients, -10);
    assert_eq!(get(&c, "maxmemory-clients"), "10%");
    set(&mut c, &[("maxmemory-clients", "1kb")]).unwrap();
    assert_eq!(get(&c, "maxmemory-clients"), "1024");
}

#[test]
fn hz_is_clamped() {
    let mut c = Config::default();
    assert_eq!(set(&mut c, &[("hz", "1000")]), Ok(vec![ApplyHook::Hz]));
    assert_eq!(get(&c, "hz"), "500");
    set(&mut c, &[("hz", "0")]).unwrap();
    assert_eq!(c.hz, 1);
    assert_eq!(load("hz 100000").unwrap().hz, 500);
}

/*--------------------------------------------------------------------- enums */

#[test]
fn enums() {
    let mut c = Config::default();
    assert_eq!(
        set(&mut c, &[("maxmemory-policy", "foo")]),
        Err(set_err("maxmemory-policy", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"))
    );
    assert_eq!(
        set(&mut c, &[("appendfsync", "foo")]),
        Err(set_err(
            "appendfsync",
            "argument(s) must be one of the following: everysec, always, no"
        ))
    );
    set(&mut c, &[("maxmemory-policy", "ALLKEYS-LRU")]).unwrap();
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(get(&c, "maxmemory-policy"), "allkeys-lru");
    set(&mut c, &[("oom-score-adj", "relative")]).unwrap();
    assert_eq!(c.oom_score_adj, OomScoreAdj::Relative);
    assert_eq!(get(&c, "oom-score-adj"), "yes");
    set(&mut c, &[("shutdown-on-sigint", "save now")]).unwrap();
    assert_eq!(c.shutdown_on_sigint, SHUTDOWN_SAVE | SHUTDOWN_NOW);
    assert_eq!(get(&c, "shutdown-on-sigint"), "save now");
    assert_eq!(
        set(&mut c, &[("shutdown-on-sigint", "save nosave")]),
        Err(set_err(
            "shutdown-on-sigint",
            "shutdown options SAVE and NOSAVE can't be used simultaneously"
        ))
    );
    assert_eq!(
        load("loglevel"),
        Err(fatal(1, "loglevel", "wrong number of arguments"))
    );
    let c = load("loglevel warning\nshutdown-on-sigterm nosave force").unwrap();
    assert_eq!(c.loglevel, LogLevel::Warning);
    assert_eq!(c.shutdown_on_sigterm, SHUTDOWN_NOSAVE | SHUTDOWN_FORCE);
}

/*------------------------------------------------------------------ specials */

#[test]
fn special_directives() {
    let mut c = Config::default();
    assert_eq!(get(&c, "save"), "3600 1 300 100 60 10000");
    set(&mut c, &[("save", "")]).unwrap();
    assert!(c.save_params.is_empty());
    set(&mut c, &[("save", "10 1 20 2")]).unwrap();
    assert_eq!(c.save_params, vec![(10, 1), (20, 2)]);
    for bad in ["100 x", "0 1", "10", "10  1"] {
        assert_eq!(
            set(&mut c, &[("save", bad)]),
            Err(set_err("save", "Invalid save parameters")),
            "{bad}"
        );
    }
    set(
        &mut c,
        &[(
            "client-output-buffer-limit",
            "pubsub 1mb 2000 5 replica 1 2 3",
        )],
    )
    .unwrap();
    assert_eq!(
        get(&c, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1 2 3 pubsub 1048576 2000 5"
    );
    assert_eq!(
        set(&mut c, &[("client-output-buffer-limit", "normal 1 2")]),
        Err(set_err(
            "client-output-buffer-limit",
            "Wrong number of arguments in buffer limit configuration."
        ))
    );
    assert_eq!(
        set(&mut c, &[("client-output-buffer-limit", "master 1 2 3")]),
        Err(set_err(
            "client-output-buffer-limit",
            "Invalid client class specified in buffer limit configuration."
        ))
    );
    assert_eq!(
        set(&mut c, &[("client-output-buffer-limit", "normal 1 2 -3")]),
        Err(set_err(
            "client-output-buffer-limit",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration."
        ))
    );
    set(&mut c, &[("notify-keyspace-events", "KEA")]).unwrap();
    assert_eq!(get(&c, "notify-keyspace-events"), "AKE");
    set(&mut c, &[("notify-keyspace-events", "Egx$m")]).unwrap();
    assert_eq!(get(&c, "notify-keyspace-events"), "g$xEm");
    assert_eq!(
        set(&mut c, &[("notify-keyspace-events", "Q")]),
        Err(set_err(
            "notify-keyspace-events",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        ))
    );
    set(
        &mut c,
        &[("latency-tracking-info-percentiles", "50 99.99 100")],
    )
    .unwrap();
    assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99.99 100");
    assert_eq!(
        set(&mut c, &[("latency-tracking-info-percentiles", "101")]),
        Err(set_err(
            "latency-tracking-info-percentiles",
            "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
        ))
    );
    assert_eq!(get(&c, "latency-tracking-info-percentiles"), "50 99.99 100");
    assert_eq!(
        set(&mut c, &[("oom-score-adj-values", "0 200 800")]),
        Ok(vec![])
    );
    assert_eq!(
        set(&mut c, &[("oom-score-adj-values", "1 2 3")]),
        Ok(vec![ApplyHook::OomScoreAdj])
    );
    assert_eq!(
        set(&mut c, &[("oom-score-adj-values", "1 2 3000")]),
        Err(set_err(
            "oom-score-adj-values",
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
        ))
    );
    assert_eq!(
        set(&mut c, &[("bind", "1.2.3.4 ::1")]),
        Ok(vec![ApplyHook::Bind])
    );
    assert_eq!(c.bind, vec!["1.2.3.4", "::1"]);
    set(&mut c, &[("bind", "")]).unwrap();
    assert!(c.bind.is_empty());
    let many = vec!["127.0.0.1"; 17].join(" ");
    assert_eq!(
        set(&mut c, &[("bind", &many)]),
        Err(set_err("bind", "Too many bind addresses specified."))
    );
    assert_eq!(
        set(&mut c, &[("replicaof", "h 1")]),
        Err(set_err("replicaof", "can't set immutable config"))
    );
    assert_eq!(
        load("replicaof h 70000"),
        Err(fatal(1, "replicaof h 70000", "Invalid master port"))
    );
    assert_eq!(
        load("replicaof h 1\nreplicaof no one").unwrap().replicaof,
        None
    );
}

#[test]
fn save_lines_accumulate_in_a_file_but_reset_after_an_include() {
    let c = load("save 900 1\nsave 300 10").unwrap();
    assert_eq!(c.save_params, vec![(900, 1), (300, 10)]);
    assert!(load("save \"\"").unwrap().save_params.is_empty());
    assert_eq!(
        load("save \"900 1 300 10\"").unwrap().save_params,
        vec![(900, 1), (300, 10)]
    );
    // 7.0.15 quirk: the end of an included file counts as the end of the
    // load, so each later `save` line replaces the list.
    let dir = TempDir::new("save");
    let inc = dir.write("inc.conf", "timeout 3\n");
    let c = load(&format!(
        "save 900 1\ninclude {inc}\nsave 800 2\nsave 700 3\n"
    ))
    .unwrap();
    assert_eq!(c.save_params, vec![(700, 3)]);
    assert_eq!(c.timeout, 3);
}

#[test]
fn dir_changes_the_working_directory_like_c() {
    // Only ever enter the directory we are already in: tests share the cwd.
    let cwd = current_dir_string();
    let mut c = Config::default();
    let err = set(&mut c, &[("dir", "/nonexistent/redis-mio")]).unwrap_err();
    assert_eq!(err, set_err("dir", "can't set protected config"));
    c.enable_protected_configs = ProtectedAction::Yes;
    let err = set(&mut c, &[("dir", "/nonexistent/redis-mio")]).unwrap_err();
    assert_eq!(err, set_err("dir", "No such file or directory"));
    assert_eq!(set(&mut c, &[("dir", &cwd)]), Ok(vec![ApplyHook::Dir]));
    assert_eq!(get(&c, "dir"), cwd);
    c.enable_protected_configs = ProtectedAction::Local;
    let local = SetContext {
        loading: false,
        client_is_local: true,
    };
    let pairs = vec![(b"dbfilename".to_vec(), b"x.rdb".to_vec())];
    assert!(c.config_set(&pairs).is_err());
    assert_eq!(c.config_set_with(&pairs, &local), Ok(vec![]));
    assert_eq!(c.dbfilename, "x.rdb");
}

#[test]
fn string_validators() {
    let mut c = Config {
        enable_protected_configs: ProtectedAction::Yes,
        ..Default::default()
    };
    assert_eq!(
        set(&mut c, &[("dbfilename", "a/b")]),
        Err(set_err(
            "dbfilename",
            "dbfilename can't be a path, just a filename"
        ))
    );
    assert_eq!(
        set(&mut c, &[("cluster-announce-hostname", "a_b")]),
        Err(set_err(
            "cluster-announce-hostname",
            "Hostnames may only contain alphanumeric characters, hyphens or dots"
        ))
    );
    assert_eq!(
        set(&mut c, &[("proc-title-template", "{foo}")]),
        Err(set_err(
            "proc-title-template",
            "template format is invalid or contains unknown variables"
        ))
    );
    assert_eq!(
        set(&mut c, &[("proc-title-template", "{title} {port}")]),
        Ok(vec![ApplyHook::ProcTitleTemplate])
    );
    assert_eq!(
        c.expand_proc_title_template("{title} {listen-addr} {server-mode} {{x", "redis-server"),
        Some("redis-server *:6379  {x".to_string())
    );
    assert_eq!(
        load("appendfilename \"\""),
        Err(fatal(
            1,
            "appendfilename \"\"",
            "appendfilename can't be empty"
        ))
    );
    assert_eq!(
        load("activedefrag yes").unwrap_err(),
        fatal(1, "activedefrag yes", "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
    );
    // EMPTY_STRING_IS_NULL vs ALLOW_EMPTY_STRING.
    let c = load("requirepass \"\"\nlogfile \"\"\nunixsocket /tmp/x.sock").unwrap();
    assert_eq!(c.requirepass, None);
    assert_eq!(c.logfile, "");
    assert_eq!(c.unixsocket.as_deref(), Some("/tmp/x.sock"));
}

/*------------------------------------------------------------------- loading */

#[test]
fn fatal_error_texts() {
    assert_eq!(
        load("port 7000\n  maxmemory   10xb  \n"),
        Err(fatal(
            2,
            "maxmemory   10xb",
            "argument must be a memory value"
        ))
    );
    assert_eq!(
        load("port \"7000"),
        Err(fatal(
            1,
            "port \"7000",
            "Unbalanced quotes in configuration line"
        ))
    );
    assert_eq!(
        load("foo bar"),
        Err(fatal(
            1,
            "foo bar",
            "Bad directive or wrong number of arguments"
        ))
    );
    assert_eq!(
        load("port 1 2"),
        Err(fatal(1, "port 1 2", "wrong number of arguments"))
    );
    assert_eq!(
        load("foo.bar"),
        Err(fatal(1, "foo.bar", "Module config specified without value"))
    );
    assert!(load("loadmodule /x.so")
        .unwrap_err()
        .contains("Modules are not supported"));
    assert_eq!(
        load("sentinel monitor m 1.2.3.4 6379 2"),
        Err(fatal(
            1,
            "sentinel monitor m 1.2.3.4 6379 2",
            "sentinel directive while not in sentinel mode"
        ))
    );
    assert!(load("sentinel").is_ok());
    assert_eq!(
        load("logfile /nonexistent/redis-mio/x.log"),
        Err("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't open the log file: No such file or directory\n".to_string())
    );
    assert_eq!(
        load("cluster-enabled yes\nreplicaof 1.2.3.4 6379"),
        Err("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nreplicaof directive not allowed in cluster mode\n".to_string())
    );
    // The command line comes after "\n", so its lines count from 2.
    let mut c = Config::default();
    assert_eq!(
        c.load_server_config(
            None,
            false,
            &options_from_argv(&argv(&[
                "redis-server",
                "--port",
                "7001",
                "--tcp-keepalive"
            ]))
        ),
        Err(fatal(3, "tcp-keepalive", "wrong number of arguments"))
    );
}

#[test]
fn comments_blanks_deprecated_and_case() {
    let c = load("# comment\n\n   \t\n  # indented comment\r\nPORT 7000\r\nlist-max-ziplist-entries 5\nlua-replicate-commands yes\nMaxMemory 1MB").unwrap();
    assert_eq!(c.port, 7000);
    assert_eq!(c.maxmemory, 1 << 20);
    assert!(load("list-max-ziplist-entries 5 6").is_err());
}

#[test]
fn later_lines_win_and_options_come_last() {
    let dir = TempDir::new("dup");
    let conf = dir.write("r.conf", "port 7000\ntimeout 5\nport 7001\n");
    let mut c = Config::default();
    c.load_server_config(Some(&conf), false, "port 7002\n")
        .unwrap();
    assert_eq!(c.port, 7002);
    assert_eq!(c.timeout, 5);
    assert_eq!(c.config_file, Some(PathBuf::from(&conf)));
    let mut c = Config::default();
    c.load_server_config(Some(&conf), false, "").unwrap();
    assert_eq!(c.port, 7001);
}

#[test]
fn include_files_and_patterns() {
    let dir = TempDir::new("include");
    fs::create_dir(dir.path("conf.d")).unwrap();
    dir.write("conf.d/b.conf", "timeout 2\nmaxclients 22\n");
    dir.write("conf.d/a.conf", "timeout 1\ntcp-keepalive 11\n");
    dir.write("conf.d/.hidden.conf", "timeout 99\n");
    let inner = dir.write("inner.conf", "port 7100\n");
    let outer = dir.write(
        "outer.conf",
        &format!(
            "include {inner}\ninclude {}/conf.d/*.conf\ninclude {}/empty.d/*.conf\nport 7200\n",
            dir.0.display(),
            dir.0.display()
        ),
    );
    let mut c = Config::default();
    c.load_server_config(Some(&outer), false, "").unwrap();
    assert_eq!(c.port, 7200);
    assert_eq!(c.timeout, 2);
    assert_eq!(c.tcp_keepalive, 11);
    assert_eq!(c.maxclients, 22);

    // An error inside an included file names that file's line.
    let bad = dir.write("bad.conf", "timeout 1\ntimeout x\n");
    assert_eq!(
        load(&format!("port 1\ninclude {bad}")),
        Err(fatal(
            2,
            "timeout x",
            "argument couldn't be parsed into an integer"
        ))
    );
    let missing = dir.path("missing.conf");
    assert_eq!(
        load(&format!("include {}", missing.display())),
        Err(format!(
            "Fatal error, can't open config file '{}': No such file or directory",
            missing.display()
        ))
    );
}

#[test]
fn rename_command_and_user_lines_are_kept() {
    let c =
        load("rename-command FLUSHALL \"\"\nuser alice on >pw ~* +@all\nrename-command CONFIG cfg")
            .unwrap();
    assert_eq!(
        c.rename_commands,
        vec![
            RenameCommand {
                from: "FLUSHALL".into(),
                to: "".into(),
                linenum: 1,
                line: "rename-command FLUSHALL \"\"".into()
            },
            RenameCommand {
                from: "CONFIG".into(),
                to: "cfg".into(),
                linenum: 3,
                line: "rename-command CONFIG cfg".into()
            },
        ]
    );
    assert_eq!(c.users, vec![vec!["alice", "on", ">pw", "~*", "+@all"]]);
}

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[test]
fn command_line_options() {
    let cl = parse_command_line(&argv(&[
        "redis-server",
        "/etc/r.conf",
        "--port",
        "7000",
        "--bind",
        "127.0.0.1",
        "::1",
        "--save",
    ]));
    assert_eq!(cl.config_file.as_deref(), Some("/etc/r.conf"));
    assert!(!cl.config_from_stdin);
    assert_eq!(
        cl.options,
        "port \"7000\" \nbind \"127.0.0.1\" \"::1\" \nsave \"\""
    );
    assert_eq!(
        options_from_argv(&argv(&["redis-server", "--save", "--appendonly", "no"])),
        "save \"\"\nappendonly \"no\" "
    );
    assert_eq!(
        options_from_argv(&argv(&[
            "redis-server",
            "--maxmemory 1mb",
            "--timeout",
            "7"
        ])),
        "maxmemory 1mb \ntimeout \"7\" "
    );
    let cl = parse_command_line(&argv(&["redis-server", "-", "--port", "1"]));
    assert!(cl.config_from_stdin);
    assert_eq!(cl.config_file, None);
    // Values that look like options are taken as values when one is due.
    assert_eq!(
        options_from_argv(&argv(&["redis-server", "--requirepass", "--x"])),
        "requirepass \"--x\" "
    );
    let c = {
        let mut c = Config::default();
        let opts = options_from_argv(&argv(&[
            "redis-server",
            "--port",
            "7000",
            "--bind",
            "127.0.0.1",
            "::1",
            "--save",
            "--client-output-buffer-limit",
            "pubsub 1 2 3",
        ]));
        c.load_server_config(None, false, &opts).unwrap();
        c
    };
    assert_eq!(c.port, 7000);
    assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
    assert!(c.save_params.is_empty());
    assert_eq!(
        c.client_obuf_limits[CLIENT_TYPE_PUBSUB].soft_limit_seconds,
        3
    );
}

/*---------------------------------------------------------------- CONFIG GET */

#[test]
fn config_get_globbing() {
    let c = Config::default();
    let names = |pats: &[&[u8]]| -> Vec<String> {
        let mut v: Vec<String> = c.config_get(pats).into_iter().map(|(n, _)| n).collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&[b"*max*-entries*"]),
        vec![
            "hash-max-listpack-entries",
            "hash-max-ziplist-entries",
            "set-max-intset-entries",
            "stream-node-max-entries",
            "zset-max-listpack-entries",
            "zset-max-ziplist-entries"
        ]
    );
    assert_eq!(names(&[b"PORT*"]), vec!["port"]);
    assert_eq!(
        names(&[b"port", b"PORT", b"p?rt", b"[o-p]ort"]),
        vec!["port"]
    );
    assert_eq!(
        c.config_get(&[b"PORT"]),
        vec![("PORT".to_string(), "6379".to_string())]
    );
    assert_eq!(names(&[b"nosuch"]), Vec::<String>::new());
    assert_eq!(names(&[b"maxmemory", b"maxmemory*"]).len(), 5);
}

/*---------------------------------------------------------------- CONFIG SET */

#[test]
fn config_set_is_all_or_nothing() {
    let mut c = Config::default();
    assert_eq!(
        set(
            &mut c,
            &[
                ("timeout", "5"),
                ("maxmemory", "1mb"),
                ("tcp-keepalive", "x")
            ]
        ),
        Err(set_err(
            "tcp-keepalive",
            "argument couldn't be parsed into an integer"
        ))
    );
    assert_eq!(c, Config::default());
    assert_eq!(
        set(&mut c, &[("timeout", "1"), ("foo", "2")]),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".to_string())
    );
    assert_eq!(
        set(&mut c, &[("timeout", "x"), ("foo", "1")]),
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'".to_string())
    );
    assert_eq!(
        set(&mut c, &[("daemonize", "no")]),
        Err(set_err("daemonize", "can't set immutable config"))
    );
    assert_eq!(
        set(&mut c, &[("port", "7998"), ("PORT", "7998")]),
        Err(set_err("PORT", "duplicate parameter"))
    );
    let loading = SetContext {
        loading: true,
        client_is_local: false,
    };
    assert_eq!(
        c.config_set_with(&[(b"appendonly".to_vec(), b"yes".to_vec())], &loading),
        Err("LOADING Redis is loading the dataset in memory".to_string())
    );
    assert_eq!(c, Config::default());

    // Hooks: once each, only for real changes.
    assert_eq!(
        set(
            &mut c,
            &[
                ("port", "6379"),
                ("min-replicas-to-write", "1"),
                ("min-replicas-max-lag", "3"),
                ("maxmemory", "1mb")
            ]
        ),
        Ok(vec![ApplyHook::GoodSlaves, ApplyHook::Maxmemory])
    );
    assert_eq!(set(&mut c, &[("maxmemory", "1mb")]), Ok(vec![]));
    c.tls_cert_file = Some("x".into());
    assert_eq!(
        set(&mut c, &[("tls-cert-file", "x")]),
        Ok(vec![ApplyHook::TlsCfg])
    );
}

#[test]
fn snapshot_restore_rolls_back() {
    let mut c = Config::default();
    let snap = c.snapshot();
    let pairs = vec![
        (b"port".to_vec(), b"7005".to_vec()),
        (b"maxmemory".to_vec(), b"10mb".to_vec()),
    ];
    let hooks = c.config_set(&pairs).unwrap();
    assert_eq!(hooks, vec![ApplyHook::Port, ApplyHook::Maxmemory]);
    assert_eq!(c.port, 7005);
    // Say listening on the port failed.
    c.snapshot_restore(snap);
    assert_eq!(c, Config::default());
    assert_eq!(
        apply_failed_error(
            &pairs,
            ApplyHook::Port,
            "Unable to listen on this port. Check server logs."
        ),
        set_err("port", "Unable to listen on this port. Check server logs.")
    );
}

/*------------------------------------------------------------ CONFIG REWRITE */

#[test]
fn rewrite_keeps_comments_and_round_trips() {
    let dir = TempDir::new("rewrite");
    let cwd = current_dir_string();
    let conf = dir.write(
        "r.conf",
        "# header comment\nport 7997\nsave 900 1\nsave 300 10\nslave-read-only yes\n  maxmemory 100mb\nbind 127.0.0.1\nhash-max-ziplist-entries 512\nrequirepass \"a b\"\nrename-command FOO BAR\nunknown-thing 1\n\n# trailing\n\n\n",
    );
    let mut c = Config::default();
    assert!(c.load_server_config(Some(&conf), false, "").is_err()); // unknown-thing
    let conf = dir.write(
        "r.conf",
        "# header comment\nport 7997\nsave 900 1\nsave 300 10\nslave-read-only yes\n  maxmemory 100mb\nbind 127.0.0.1\nhash-max-ziplist-entries 512\nrequirepass \"a b\"\ntimeout 5\n\n# trailing\n\n\n",
    );
    let mut c = Config::default();
    c.load_server_config(Some(&conf), false, "").unwrap();
    let mut c2 = c.clone();
    set(
        &mut c2,
        &[
            ("maxmemory", "0"),
            ("save", "60 5"),
            ("timeout", "0"),
            ("tcp-keepalive", "100"),
            ("notify-keyspace-events", "Ex"),
            ("client-output-buffer-limit", "pubsub 1mb 2000 5"),
            ("oom-score-adj-values", "1 2 3"),
            ("latency-tracking-info-percentiles", ""),
            ("shutdown-on-sigterm", "save now"),
            ("maxmemory-clients", "5%"),
            ("replica-announce-ip", "x y"),
            ("masterauth", "p\"w\n"),
            ("maxmemory-policy", "allkeys-lfu"),
        ],
    )
    .unwrap();
    c2.config_rewrite(Path::new(&conf)).unwrap();
    let text = fs::read_to_string(&conf).unwrap();
    let expected_head = "# header comment\nport 7997\nsave 60 5\n\nreplica-read-only yes\nmaxmemory 0\nbind 127.0.0.1\nhash-max-listpack-entries 512\nrequirepass \"a b\"\ntimeout 0\n\n# trailing\n\n# Generated by CONFIG REWRITE\n";
    assert!(text.starts_with(expected_head), "{text}");
    for line in [
        "tcp-keepalive 100\n",
        "replica-announce-ip \"x y\"\n",
        "masterauth \"p\\\"w\\n\"\n",
        "client-output-buffer-limit pubsub 1mb 2000 5\n",
        "latency-tracking-info-percentiles \"\"\n",
        "maxmemory-clients 5%\n",
        "oom-score-adj-values 1 2 3\n",
        "shutdown-on-sigterm save now\n",
        "notify-keyspace-events \"xE\"\n",
        "maxmemory-policy allkeys-lfu\n",
        &format!("dir {}\n", repr_string(cwd.as_bytes())),
    ] {
        assert!(text.contains(line), "missing {line:?} in {text}");
    }
    assert_eq!(text.matches("# Generated by CONFIG REWRITE").count(), 1);

    // Loading the rewritten file gives the same configuration.
    let mut c3 = Config::default();
    c3.load_server_config(Some(&conf), false, "").unwrap();
    assert_eq!(c3, c2);

    // A second rewrite keeps the meaning. (Like C, the text may move: the
    // old pubsub line is reused for the first output buffer class.)
    c3.config_rewrite(Path::new(&conf)).unwrap();
    let mut c4 = Config::default();
    c4.load_server_config(Some(&conf), false, "").unwrap();
    assert_eq!(c4, c2);
    let leftovers: Vec<_> = fs::read_dir(&dir.0).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "temp file left behind");
}

#[test]
fn rewrite_of_a_missing_file_writes_non_defaults_only() {
    let dir = TempDir::new("rewrite-new");
    let path = dir.path("new.conf");
    let mut c = Config {
        port: 7001,
        ..Default::default()
    };
    c.config_rewrite(&path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    let dir_line = format!("dir {}", repr_string(current_dir_string().as_bytes()));
    let mut expected = vec![
        "# Generated by CONFIG REWRITE",
        "latency-tracking-info-percentiles 50 99 99.9",
        "port 7001",
        "save 3600 1",
        "save 300 100",
        "save 60 10000",
        dir_line.as_str(),
    ];
    expected.sort();
    assert_eq!(lines, expected);
    let mut c2 = Config::default();
    c2.load_server_config(Some(path.to_str().unwrap()), false, "")
        .unwrap();
    c.config_file = c2.config_file.clone();
    assert_eq!(c2, c);
}

#[test]
fn rewrite_handles_users_unknown_lines_and_nulls() {
    let dir = TempDir::new("rewrite-misc");
    let conf = dir.write(
        "r.conf",
        "user bob on nopass ~* +@all\nunixsocket /tmp/a.sock\nloadmodule /x.so\nbad \"quote\ninclude /nothing.conf\n",
    );
    let c = Config {
        users: vec![vec!["alice".into(), "on".into(), "nopass".into()]],
        ..Default::default()
    };
    c.config_rewrite(Path::new(&conf)).unwrap();
    let text = fs::read_to_string(&conf).unwrap();
    let head = "user alice on nopass\n\n# ??? bad \"quote\ninclude /nothing.conf\n";
    assert!(text.starts_with(head), "{text}");
    assert!(!text.contains("unixsocket"));
}

#[test]
fn debug_info_lists_debug_configs() {
    let info = Config::default().get_config_debug_info();
    assert!(info.contains("lazyfree-lazy-eviction no\n"));
    assert!(info.contains("proto-max-bulk-len 512mb\n"));
    assert!(!info.contains("port"));
}

/*------------------------------------------------------------------ redis.conf */

fn redis_conf() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("redis.conf")).unwrap()
}

#[test]
fn redis_conf_loads_to_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("redis.conf");
    let mut c = Config::default();
    c.load_server_config(Some(path.to_str().unwrap()), false, "")
        .unwrap();
    c.config_file = None;
    assert_eq!(c, Config::default());
}

#[test]
fn redis_conf_documents_every_directive_at_its_default() {
    // Uncommenting every "# directive value" line must load and change nothing.
    let text = redis_conf();
    let mut uncommented = String::new();
    let mut documented = HashSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        let Some(name) = rest.split(' ').next() else {
            continue;
        };
        // Prose lines may start with a capitalised directive name.
        if name != name.to_ascii_lowercase() {
            continue;
        }
        if let Some(cref) = lookup_config(name.as_bytes()) {
            documented.insert(cref.config.name);
            uncommented.push_str(rest);
            uncommented.push('\n');
        }
    }
    let c = load(&uncommented).unwrap();
    assert_eq!(c, Config::default());
    for config in CONFIG_TABLE.iter().filter(|c| c.flags & HIDDEN_CONFIG == 0) {
        assert!(
            documented.contains(config.name),
            "redis.conf lacks {}",
            config.name
        );
    }
}

/*------------------------------------------------------------------- helpers */

/// Config lines quote values with `repr_string`; the loader must read every
/// byte back unchanged.
#[test]
fn repr_string_round_trips() {
    for raw in [
        &b"plain"[..],
        b"with space",
        b"q\"uote\\",
        b"\x01\xff\n\t",
        b"",
    ] {
        let repr = repr_string(raw);
        assert_eq!(sds_split_args(repr.as_bytes()), Some(vec![raw.to_vec()]));
    }
}

/// Values go through util's C-faithful parsers; Debian's redis-server
/// 7.0.15 answered these two the same way (a memory value ends at a NUL as
/// a C string does, and percentiles are read with strtod, hex floats too).
#[test]
fn values_parse_like_c_strings() {
    let mut c = Config::default();
    set(&mut c, &[("maxmemory", "2mb\0zz")]).unwrap();
    set(&mut c, &[("latency-tracking-info-percentiles", "0x1p5 50")]).unwrap();
    assert_eq!(
        c.config_get(&[b"maxmemory", b"latency-tracking-info-percentiles"]),
        vec![
            ("maxmemory".to_string(), "2097152".to_string()),
            (
                "latency-tracking-info-percentiles".to_string(),
                "32 50".to_string()
            ),
        ]
    );
}

#[test]
fn number_helpers() {
    assert_eq!(strtoll_full(" +12", 10), Some(12));
    assert_eq!(strtoll_full("12 ", 10), None);
    assert_eq!(strtoll_full("99999999999999999999", 10), Some(i64::MAX));
    assert_eq!(strtoll_full("", 10), Some(0));
    assert_eq!(strtoll_full("-", 10), None);
    assert_eq!(format_percentile(99.9), "99.9");
    assert_eq!(format_percentile(50.0), "50");
}

/// Pseudo-random garbage must produce errors, never panics.
#[test]
fn garbage_never_panics() {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b" \t\"'\\x0aAbz-%*?[]^#.\n\r\x00\xff1234567890kmgb";
    let names: Vec<&str> = all_config_refs()
        .map(|c| c.name)
        .filter(|n| *n != "dir" && *n != "logfile" && *n != "include")
        .collect();
    for _ in 0..3000 {
        let len = (next() % 24) as usize;
        let value: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let name = names[(next() % names.len() as u64) as usize];
        let mut c = Config::default();
        let _ = c.config_set(&[(name.as_bytes().to_vec(), value.clone())]);
        let mut line = name.as_bytes().to_vec();
        line.push(b' ');
        line.extend_from_slice(&value);
        let _ = c.load_server_config_from_bytes(&line, &mut LoadCtx::config_set());
        let _ = c.config_get(&[&value]);
        let _ = sds_split_args(&value);
        let _ = RewriteState::from_old_content(&line);
    }
}

/// The same two rewrites run against Debian's redis-server 7.0.15 gave
/// exactly this text (its `dir` being the working directory).
#[test]
fn rewrite_matches_redis_line_for_line() {
    let dir = TempDir::new("rewrite-c");
    let conf = dir.write(
        "r.conf",
        "# top\nport 7994\nclient-output-buffer-limit pubsub 1mb 2000 5\nslave-read-only yes\nsave 900 1\nsave 300 10\nmaxmemory 0\n",
    );
    let mut c = Config::default();
    c.load_server_config(Some(&conf), false, "").unwrap();
    // What the ACL code would hand over for the default user.
    c.users = vec![["default", "on", "nopass", "~*", "&*", "+@all"]
        .iter()
        .map(|s| s.to_string())
        .collect()];
    let dir_line = format!("dir {}", repr_string(current_dir_string().as_bytes()));
    c.config_rewrite(Path::new(&conf)).unwrap();
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        format!("# top\nport 7994\nclient-output-buffer-limit normal 0 0 0\nreplica-read-only yes\nsave 900 1\nsave 300 10\nmaxmemory 0\n\n# Generated by CONFIG REWRITE\n{dir_line}\nclient-output-buffer-limit pubsub 1mb 2000 5\nlatency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n")
    );
    set(
        &mut c,
        &[
            ("save", "60 5"),
            ("maxmemory-clients", "5%"),
            ("notify-keyspace-events", "Ex"),
        ],
    )
    .unwrap();
    c.config_rewrite(Path::new(&conf)).unwrap();
    assert_eq!(
        fs::read_to_string(&conf).unwrap(),
        format!("# top\nport 7994\nclient-output-buffer-limit normal 0 0 0\nreplica-read-only yes\nsave 60 5\n\nmaxmemory 0\n\n# Generated by CONFIG REWRITE\n{dir_line}\nclient-output-buffer-limit replica 256mb 64mb 60\nlatency-tracking-info-percentiles 50 99 99.9\nuser default on nopass ~* &* +@all\n\nmaxmemory-clients 5%\nclient-output-buffer-limit pubsub 1mb 2000 5\nnotify-keyspace-events \"xE\"\n")
    );
}

/// Odd CONFIG SET inputs replayed against the replies Debian's
/// redis-server 7.0.15 gave for them.
#[test]
fn config_set_matches_captured_replies() {
    let data = include_str!("../../tests/data/config-set-7.0.15.tsv");
    let mut failures = Vec::new();
    for line in data.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [name, value, reply, got] = cols[..] else {
            panic!("bad line {line:?}");
        };
        let mut c = Config::default();
        let ours = match set(&mut c, &[(name, value)]) {
            Ok(_) => "OK".to_string(),
            Err(e) => e,
        };
        if ours != reply {
            failures.push(format!("SET {name} {value:?}: {ours:?} != {reply:?}"));
        }
        let ours_get = get(&c, name);
        // The capture ran in /tmp.
        if name != "dir" && ours_get != got {
            failures.push(format!(
                "GET {name} after {value:?}: {ours_get:?} != {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Config files the real server refuses, with the stderr it printed.
#[test]
fn load_errors_match_captured_stderr() {
    let unescape = |s: &str| {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                },
                (c, false) => out.push(c),
            }
        }
        out
    };
    let data = include_str!("../../tests/data/config-load-errors-7.0.15.tsv");
    let dir = TempDir::new("load-errors");
    let mut failures = Vec::new();
    for (i, line) in data.lines().filter(|l| !l.starts_with('#')).enumerate() {
        let (content, stderr) = line.split_once('\t').unwrap();
        let file = dir.write(&format!("c{i}.conf"), &unescape(content));
        let cl = parse_command_line(&argv(&["redis-server", &file, "--port", "7993"]));
        let mut c = Config::default();
        let ours = c.load_server_config(cl.config_file.as_deref(), false, &cl.options);
        if ours.as_ref().err() != Some(&unescape(stderr)) {
            failures.push(format!("{content:?}: {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
