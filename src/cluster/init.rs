//! Start-up, nodes.conf and reset (`Initialization` of `cluster.c`).
//!
//! nodes.conf is CLUSTER NODES plus a `vars` line with the epochs; it is
//! loaded before the data (a replica must know it is one while loading),
//! rewritten in place whenever `cluster_before_sleep` is asked to, and
//! flock'ed for the life of the process so two nodes never share one.

use std::io::{Seek, Write};
use std::os::unix::io::AsRawFd;

use super::msg::{NodeName, CLUSTER_NAMELEN, CLUSTER_SLOTS};
use super::node::name_str;
use super::*;
use crate::ae::{self, FileProc};
use crate::server::{server_log_raw, Server, LL_NOTICE, LL_WARNING};
use crate::util::mstime;

/// C's `atoi`: the leading decimal number, 0 if none.
fn atoi(s: &[u8]) -> i64 {
    let s = std::str::from_utf8(s).unwrap_or("").trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let v: i64 = digits[..end].parse().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

fn node_name(b: &[u8]) -> Option<NodeName> {
    if !verify_cluster_node_id(b) {
        return None;
    }
    let mut n = [0u8; CLUSTER_NAMELEN];
    n.copy_from_slice(b);
    Some(n)
}

fn lookup_or_create(cl: &mut ClusterState, name: &NodeName) -> NodeId {
    match cl.nodes_by_name.get(name) {
        Some(&id) => id,
        None => cl.add_node(ClusterNode::new(Some(name), 0)),
    }
}

fn fmterr() -> ! {
    server_log_raw(
        LL_WARNING,
        "Unrecoverable error: corrupted cluster config file.",
    );
    std::process::exit(1);
}

/// `clusterLoadConfig`: fills `cl` from the file. `Ok(false)` when there is
/// nothing to load (missing or empty file); a corrupted file ends the
/// process, as in C.
pub fn cluster_load_config(cl: &mut ClusterState, filename: &str) -> bool {
    let content = match std::fs::read(filename) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
        Err(e) => {
            server_log_raw(
                LL_WARNING,
                &format!(
                    "Loading the cluster node config from {}: {}",
                    filename,
                    crate::config::helpers::strerror(&e)
                ),
            );
            std::process::exit(1);
        }
    };
    if content.is_empty() {
        return false;
    }
    let mut myself: Option<NodeId> = None;
    for line in content.split(|&b| b == b'\n') {
        if line.is_empty() || line[0] == 0 {
            continue;
        }
        let Some(argv) = crate::sds::sds_split_args(line) else {
            fmterr();
        };
        let Some(first) = argv.first() else {
            continue;
        };
        if first.eq_ignore_ascii_case(b"vars") {
            if argv.len() % 2 == 0 {
                fmterr();
            }
            for kv in argv[1..].chunks(2) {
                let v = std::str::from_utf8(&kv[1])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok());
                if kv[0].eq_ignore_ascii_case(b"currentEpoch") {
                    cl.current_epoch = v.unwrap_or(0);
                } else if kv[0].eq_ignore_ascii_case(b"lastVoteEpoch") {
                    cl.last_vote_epoch = v.unwrap_or(0);
                } else {
                    server_log_raw(
                        LL_WARNING,
                        &format!(
                            "Skipping unknown cluster config variable '{}'",
                            String::from_utf8_lossy(&kv[0])
                        ),
                    );
                }
            }
            continue;
        }
        if argv.len() < 8 {
            fmterr();
        }
        let Some(name) = node_name(&argv[0]) else {
            fmterr();
        };
        let n = lookup_or_create(cl, &name);
        // ip:port[@cport][,hostname]
        let mut addr = &argv[1][..];
        let hostname = match addr.iter().position(|&b| b == b',') {
            Some(p) => {
                let h = String::from_utf8_lossy(&addr[p + 1..]).into_owned();
                addr = &addr[..p];
                h
            }
            None => String::new(),
        };
        let Some(colon) = addr.iter().rposition(|&b| b == b':') else {
            fmterr();
        };
        let ip = String::from_utf8_lossy(&addr[..colon]).into_owned();
        let portpart = &addr[colon + 1..];
        let (port, cport) = match portpart.iter().position(|&b| b == b'@') {
            Some(p) => (atoi(&portpart[..p]), Some(atoi(&portpart[p + 1..]))),
            None => (atoi(portpart), None),
        };
        {
            let node = &mut cl.nodes[n];
            node.hostname = hostname;
            node.ip = ip;
            node.port = port as u16;
            // Files of older versions have no bus port.
            node.cport = cport.unwrap_or(port + CLUSTER_PORT_INCR as i64) as u16;
        }
        for flag in argv[2].split(|&b| b == b',') {
            let f = flag.to_ascii_lowercase();
            let node = &mut cl.nodes[n];
            match &f[..] {
                b"myself" => {
                    if myself.is_some() {
                        fmterr();
                    }
                    myself = Some(n);
                    node.flags |= CLUSTER_NODE_MYSELF;
                }
                b"master" => node.flags |= CLUSTER_NODE_MASTER,
                b"slave" => node.flags |= CLUSTER_NODE_SLAVE,
                b"fail?" => node.flags |= CLUSTER_NODE_PFAIL,
                b"fail" => {
                    node.flags |= CLUSTER_NODE_FAIL;
                    node.fail_time = mstime();
                }
                b"handshake" => node.flags |= CLUSTER_NODE_HANDSHAKE,
                b"noaddr" => node.flags |= CLUSTER_NODE_NOADDR,
                b"nofailover" => node.flags |= CLUSTER_NODE_NOFAILOVER,
                b"noflags" => {}
                _ => {
                    server_log_raw(LL_WARNING, "Unknown flag in redis cluster config file");
                    std::process::exit(1);
                }
            }
        }
        if argv[3].first() != Some(&b'-') {
            let Some(mname) = node_name(&argv[3]) else {
                fmterr();
            };
            let m = lookup_or_create(cl, &mname);
            cl.nodes[n].slaveof = Some(m);
            cl.node_add_slave(m, n);
        }
        if atoi(&argv[4]) != 0 {
            cl.nodes[n].ping_sent = mstime();
        }
        if atoi(&argv[5]) != 0 {
            cl.nodes[n].pong_received = mstime();
        }
        // A replica takes its epoch from its master at run time.
        cl.nodes[n].config_epoch = if cl.nodes[n].is_slave() && cl.nodes[n].slaveof.is_some() {
            0
        } else {
            std::str::from_utf8(&argv[6])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        };
        for arg in &argv[8..] {
            if arg.first() == Some(&b'[') {
                // [slot->-name] migrating, [slot-<-name] importing.
                let Some(dash) = arg.iter().position(|&b| b == b'-') else {
                    fmterr();
                };
                let slot = atoi(&arg[1..dash]);
                if !(0..CLUSTER_SLOTS as i64).contains(&slot) {
                    fmterr();
                }
                let direction = arg.get(dash + 1).copied();
                let rest = arg.get(dash + 3..).unwrap_or(&[]);
                let Some(close) = rest.iter().position(|&b| b == b']') else {
                    fmterr();
                };
                let Some(other) = node_name(&rest[..close]) else {
                    fmterr();
                };
                let o = lookup_or_create(cl, &other);
                if direction == Some(b'>') {
                    cl.migrating_slots_to[slot as usize] = Some(o);
                } else {
                    cl.importing_slots_from[slot as usize] = Some(o);
                }
                continue;
            }
            let (start, stop) = match arg.iter().position(|&b| b == b'-') {
                Some(p) => (atoi(&arg[..p]), atoi(&arg[p + 1..])),
                None => (atoi(arg), atoi(arg)),
            };
            let range = 0..CLUSTER_SLOTS as i64;
            if !range.contains(&start) || !range.contains(&stop) {
                fmterr();
            }
            for s in start..=stop {
                cl.add_slot(n, s as usize);
            }
        }
    }
    let Some(me) = myself else {
        fmterr();
    };
    cl.myself = me;
    server_log_raw(
        LL_NOTICE,
        &format!("Node configuration loaded, I'm {}", cl.me().name_str()),
    );
    // Guard against a hand-edited file with a current epoch too small.
    let max = cl.get_max_epoch();
    if max > cl.current_epoch {
        cl.current_epoch = max;
    }
    true
}

/// `clusterSaveConfig`: rewrites nodes.conf in place. A longer old file is
/// overwritten with newline padding first and truncated after, so a crash
/// mid-way leaves a loadable file.
pub fn cluster_save_config(server: &mut Server, do_fsync: bool) -> std::io::Result<()> {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return Ok(());
    };
    cl.todo_before_sleep &= !CLUSTER_TODO_SAVE_CONFIG;
    if do_fsync {
        cl.todo_before_sleep &= !CLUSTER_TODO_FSYNC_CONFIG;
    }
    let mut ci =
        super::nodes_string::cluster_gen_nodes_description(cl, CLUSTER_NODE_HANDSHAKE, false)
            .into_bytes();
    ci.extend_from_slice(
        format!(
            "vars currentEpoch {} lastVoteEpoch {}\n",
            cl.current_epoch, cl.last_vote_epoch
        )
        .as_bytes(),
    );
    let content_size = ci.len();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&cl.config_file)?;
    let old_size = f.metadata()?.len() as usize;
    if old_size > content_size {
        ci.resize(old_size, b'\n');
    }
    f.rewind()?;
    f.write_all(&ci)?;
    if do_fsync {
        f.sync_all()?;
    }
    if content_size != ci.len() {
        // Failing to cut the padding is harmless: blank lines are skipped.
        let _ = f.set_len(content_size as u64);
    }
    Ok(())
}

/// `clusterSaveConfigOrDie`.
pub fn cluster_save_config_or_die(server: &mut Server, do_fsync: bool) {
    if cluster_save_config(server, do_fsync).is_err() {
        server_log_raw(LL_WARNING, "Fatal: can't update cluster config file.");
        std::process::exit(1);
    }
}

/// `clusterLockConfig`: an exclusive flock held as long as the file stays
/// open.
fn cluster_lock_config(filename: &str) -> Option<std::fs::File> {
    let f = match std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(filename)
    {
        Ok(f) => f,
        Err(e) => {
            server_log_raw(
                LL_WARNING,
                &format!(
                    "Can't open {} in order to acquire a lock: {}",
                    filename,
                    crate::config::helpers::strerror(&e)
                ),
            );
            return None;
        }
    };
    // SAFETY: flock only takes the descriptor, which `f` keeps open.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == -1 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            server_log_raw(LL_WARNING, &format!("Sorry, the cluster configuration file {filename} is already used by a different Redis Cluster node. Please make sure that different nodes use different cluster configuration files."));
        } else {
            server_log_raw(
                LL_WARNING,
                &format!(
                    "Impossible to lock {}: {}",
                    filename,
                    crate::config::helpers::strerror(&e)
                ),
            );
        }
        return None;
    }
    Some(f)
}

/// `clusterUpdateMyselfFlags`: NOFAILOVER follows `cluster-replica-no-failover`.
pub fn cluster_update_myself_flags(server: &mut Server) {
    let nofailover = server.config.cluster_replica_no_failover;
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let me = cl.me_mut();
    let old = me.flags;
    me.flags &= !CLUSTER_NODE_NOFAILOVER;
    if nofailover {
        me.flags |= CLUSTER_NODE_NOFAILOVER;
    }
    if me.flags != old {
        cl.do_before_sleep(CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE);
    }
}

/// `clusterUpdateMyselfAnnouncedPorts`.
pub fn cluster_update_myself_announced_ports(server: &mut Server) {
    let (port, pport, cport) = super::gossip::derive_announced_ports(&server.config);
    if let Some(cl) = server.cluster.as_deref_mut() {
        let me = cl.me_mut();
        me.port = port;
        me.pport = pport;
        me.cport = cport;
    }
}

/// `clusterUpdateMyselfIp`: an announced IP replaces ours; removing it
/// lets the next MEET or PING teach us again.
pub fn cluster_update_myself_ip(server: &mut Server) {
    let cur = server.config.cluster_announce_ip.clone();
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    if cl.prev_announce_ip == cur {
        return;
    }
    cl.prev_announce_ip = cur.clone();
    cl.me_mut().ip = match cur {
        Some(ip) => ip.chars().take(msg::NET_IP_STR_LEN - 1).collect(),
        None => String::new(),
    };
}

/// `clusterUpdateMyselfHostname`.
pub fn cluster_update_myself_hostname(server: &mut Server) {
    let h = server
        .config
        .cluster_announce_hostname
        .clone()
        .unwrap_or_default();
    if let Some(cl) = server.cluster.as_deref_mut() {
        if cl.me().hostname != h {
            cl.me_mut().hostname = h;
        }
    }
}

/// `clusterInit`: lock and load (or create) nodes.conf, then listen on the
/// bus port. Any failure ends the process, as in C.
pub fn cluster_init(server: &mut Server) {
    let file = server.config.cluster_config_file.clone();
    let mut cl = ClusterState::new(file.clone());
    match cluster_lock_config(&file) {
        Some(f) => cl.lock_file = Some(f),
        None => std::process::exit(1),
    }
    let mut saveconf = false;
    if !cluster_load_config(&mut cl, &file) {
        let me = ClusterNode::new(None, CLUSTER_NODE_MYSELF | CLUSTER_NODE_MASTER);
        server_log_raw(
            LL_NOTICE,
            &format!("No cluster configuration found, I'm {}", name_str(&me.name)),
        );
        cl.myself = cl.add_node(me);
        saveconf = true;
    }
    server.cluster = Some(Box::new(cl));
    if saveconf {
        cluster_save_config_or_die(server, true);
    }

    let tls = server.config.tls_cluster;
    let port = if tls {
        server.config.tls_port
    } else {
        server.config.port
    };
    if server.config.cluster_port == 0 && port > 65535 - CLUSTER_PORT_INCR as i64 {
        server_log_raw(LL_WARNING, "Redis port number too high. Cluster communication port is 10,000 port numbers higher than your Redis port. Your Redis port number must be 55535 or less.");
        std::process::exit(1);
    }
    if server.config.bind.is_empty() {
        server_log_raw(
            LL_WARNING,
            "No bind address is configured, but it is required for the Cluster bus.",
        );
        std::process::exit(1);
    }
    let cport = if server.config.cluster_port != 0 {
        server.config.cluster_port
    } else {
        port + CLUSTER_PORT_INCR as i64
    };
    for addr in server.config.bind.clone() {
        let (optional, a) = match addr.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, addr.clone()),
        };
        match crate::anet::anet_tcp_server(&a, cport as u16, server.config.tcp_backlog as i32) {
            Ok(mut l) => {
                let Some(cl) = server.cluster.as_deref_mut() else {
                    return;
                };
                let idx = cl.cfd.len();
                match server.el.ae_create_file_event(
                    &mut l,
                    ae::AE_READABLE,
                    FileProc::ClusterAccept(idx),
                ) {
                    Ok(token) => cl.cfd.push((l, token)),
                    Err(_) => {
                        server_log_raw(
                            LL_WARNING,
                            "Unrecoverable error creating Redis Cluster socket accept handler.",
                        );
                        std::process::exit(1);
                    }
                }
            }
            Err(e) => {
                let unsupported = matches!(
                    e.raw_os_error(),
                    Some(libc::EADDRNOTAVAIL)
                        | Some(libc::EAFNOSUPPORT)
                        | Some(libc::EPROTONOSUPPORT)
                );
                if optional && unsupported {
                    continue;
                }
                server_log_raw(
                    LL_WARNING,
                    &format!(
                        "Warning: Could not create server TCP listening socket {a}:{cport}: {e}"
                    ),
                );
                server_log_raw(
                    LL_WARNING,
                    &format!("Failed listening on port {cport} (cluster), aborting."),
                );
                std::process::exit(1);
            }
        }
    }
    cluster_update_myself_announced_ports(server);
    super::failover::reset_manual_failover(server);
    cluster_update_myself_flags(server);
    cluster_update_myself_ip(server);
    cluster_update_myself_hostname(server);
}

/// `clusterReset`: forget every other node and every slot; a hard reset
/// also takes a new name and zeroes the epochs.
pub fn cluster_reset(server: &mut Server, hard: bool) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    if cl.me().is_slave() {
        let me = cl.myself;
        super::gossip::cluster_set_node_as_master(cl, me);
        // A replica's data belongs to its old master.
        server.empty_data(-1);
    }
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    cl.close_all_slots();
    super::failover::reset_manual_failover(server);
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    for j in 0..CLUSTER_SLOTS {
        cl.del_slot(j);
    }
    let others: Vec<NodeId> = cl
        .nodes
        .iter()
        .map(|(k, _)| k)
        .filter(|&k| k != cl.myself)
        .collect();
    for id in others {
        cl.del_node(&mut server.el, id);
    }
    if hard {
        cl.current_epoch = 0;
        cl.last_vote_epoch = 0;
        cl.me_mut().config_epoch = 0;
        server_log_raw(LL_WARNING, "configEpoch set to 0 via CLUSTER RESET HARD");
        let me = cl.myself;
        let newname = super::node::random_node_name();
        cl.rename_node(me, &newname);
        server_log_raw(
            LL_NOTICE,
            &format!("Node hard reset, now I'm {}", cl.me().name_str()),
        );
    }
    cl.do_before_sleep(
        CLUSTER_TODO_SAVE_CONFIG | CLUSTER_TODO_UPDATE_STATE | CLUSTER_TODO_FSYNC_CONFIG,
    );
}
