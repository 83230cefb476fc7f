//! Writing the dataset: `rdbSaveRio`, `rdbSave`, `rdbSaveBackground` and
//! the SAVE / BGSAVE commands of `rdb.c`, with the background child's life
//! (`redisFork`, `checkChildrenDone` of server.c).
//!
//! SAVE writes `temp-<pid>.rdb` in the working directory (`dir`), fsyncs
//! it and renames it over `dbfilename`, so the file on disk is always a
//! complete snapshot. BGSAVE does the same in a forked child: the child
//! sees the dataset frozen at the fork, the parent keeps serving, and
//! `server_cron` reaps the child with a non-blocking `waitpid`, then
//! records the outcome (`lastsave`, the dirty counter, the status that
//! `stop-writes-on-bgsave-error` looks at). Save points (`save <seconds>
//! <changes>`) start such a BGSAVE from the cron.

use std::os::fd::AsRawFd;

use super::{
    rdb_save_aux_field, rdb_save_aux_field_str_int, rdb_save_key_value_pair, rdb_save_len,
    rdb_save_type, rdb_write_raw, SaveResult, RDB_OPCODE_EOF, RDB_OPCODE_RESIZEDB,
    RDB_OPCODE_SELECTDB, RDB_VERSION,
};
use crate::childinfo::{ChildInfo, CHILD_INFO_TYPE_RDB_COW_SIZE};
use crate::networking::Client;
use crate::rio::{Rio, REDIS_AUTOSYNC_BYTES};
use crate::server::{Server, LL_NOTICE, LL_WARNING, REDIS_VERSION};

/// `CONFIG_BGSAVE_RETRY_DELAY`: seconds before a failed BGSAVE is retried
/// by the save points.
const CONFIG_BGSAVE_RETRY_DELAY: i64 = 5;

/// `RDBFLAGS_AOF_PREAMBLE`: the RDB starts an AOF (aof-base is then 1).
pub const RDBFLAGS_AOF_PREAMBLE: u32 = 1 << 0;

/// Persistence state of `struct redisServer`: the child, the outcome of
/// the saves and the progress of loading.
pub struct RdbState {
    /// Pid of the BGSAVE child, -1 when none (`child_pid` with
    /// `CHILD_TYPE_RDB`).
    pub child_pid: i32,
    /// What the child reports: progress and copy-on-write size.
    pub child_info: ChildInfo,
    /// Unix time the running BGSAVE started, -1 when none.
    pub rdb_save_time_start: i64,
    /// Seconds the last BGSAVE took, -1 before the first.
    pub rdb_save_time_last: i64,
    /// `lastbgsave_status == C_OK`.
    pub lastbgsave_ok: bool,
    /// Unix time of the last BGSAVE attempt.
    pub lastbgsave_try: i64,
    /// `dirty` when the running BGSAVE forked.
    pub dirty_before_bgsave: u64,
    /// BGSAVE SCHEDULE asked for a save once no child runs.
    pub rdb_bgsave_scheduled: bool,
    pub stat_rdb_saves: u64,
    /// Bytes the last child copied on write.
    pub stat_rdb_cow_bytes: u64,
    pub stat_total_forks: u64,
    /// Microseconds the last fork took.
    pub stat_fork_time: i64,
    /// Loading progress and outcome (INFO persistence).
    pub loading: super::load::LoadingState,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: files and RESTORE payloads are
    /// taken without checking their CRC-64 (to test the data checks).
    pub skip_checksum_validation: bool,
}

impl Default for RdbState {
    fn default() -> Self {
        RdbState {
            child_pid: -1,
            child_info: ChildInfo::default(),
            rdb_save_time_start: -1,
            rdb_save_time_last: -1,
            lastbgsave_ok: true,
            lastbgsave_try: 0,
            dirty_before_bgsave: 0,
            rdb_bgsave_scheduled: false,
            stat_rdb_saves: 0,
            stat_rdb_cow_bytes: 0,
            skip_checksum_validation: false,
            stat_total_forks: 0,
            stat_fork_time: 0,
            loading: Default::default(),
        }
    }
}

/// `rdbSaveInfo`: replication state stored in, and read back from, the
/// AUX fields. -1 / None mean unknown.
#[derive(Debug, Clone)]
pub struct RdbSaveInfo {
    pub repl_stream_db: i64,
    pub repl_id: Option<String>,
    pub repl_offset: i64,
}

impl Default for RdbSaveInfo {
    fn default() -> Self {
        RdbSaveInfo {
            repl_stream_db: -1,
            repl_id: None,
            repl_offset: -1,
        }
    }
}

/// `rdbPopulateSaveInfo`. A master stores its replication ID only while it
/// has a replication backlog, which exists only once replicas attach;
/// until replication is ported there is none, so nothing is stored.
pub fn rdb_populate_save_info(_server: &Server) -> Option<RdbSaveInfo> {
    None
}

/// `rdbSaveInfoAuxFields`: the AUX fields 7.0.15 writes, in its order.
fn rdb_save_info_aux_fields(
    server: &Server,
    rdb: &mut Rio,
    rdbflags: u32,
    rsi: Option<&RdbSaveInfo>,
) -> SaveResult {
    let mut n = rdb_save_aux_field(rdb, b"redis-ver", REDIS_VERSION.as_bytes())?;
    n += rdb_save_aux_field_str_int(rdb, "redis-bits", 64)?;
    n += rdb_save_aux_field_str_int(rdb, "ctime", crate::util::mstime() / 1000)?;
    n += rdb_save_aux_field_str_int(
        rdb,
        "used-mem",
        crate::zmalloc::zmalloc_used_memory() as i64,
    )?;
    if let Some(rsi) = rsi {
        n += rdb_save_aux_field_str_int(rdb, "repl-stream-db", rsi.repl_stream_db)?;
        n += rdb_save_aux_field(rdb, b"repl-id", server.repl.replid.as_bytes())?;
        n += rdb_save_aux_field_str_int(rdb, "repl-offset", server.repl.master_repl_offset)?;
    }
    let aof_base = (rdbflags & RDBFLAGS_AOF_PREAMBLE != 0) as i64;
    n += rdb_save_aux_field_str_int(rdb, "aof-base", aof_base)?;
    Ok(n)
}

/// `rdbSaveDb`: SELECTDB, RESIZEDB and every key of one database. In a
/// child, `child_info` gets the progress (`key_counter` counts across
/// databases).
fn rdb_save_db(
    server: &Server,
    rdb: &mut Rio,
    dbid: usize,
    key_counter: &mut u64,
    mut child_info: Option<&mut ChildInfo>,
) -> SaveResult {
    let db = &server.dbs[dbid];
    if db.dict.is_empty() {
        return Ok(0);
    }
    let mut n = rdb_save_type(rdb, RDB_OPCODE_SELECTDB)?;
    n += rdb_save_len(rdb, dbid as u64)?;
    n += rdb_save_type(rdb, RDB_OPCODE_RESIZEDB)?;
    n += rdb_save_len(rdb, db.dict.len() as u64)?;
    n += rdb_save_len(rdb, db.expires.len() as u64)?;
    for (key, o) in db.dict.iter() {
        let expire = db.get_expire(key.as_bytes());
        n += rdb_save_key_value_pair(server, rdb, key.as_bytes(), o, expire, dbid)?;
        if let Some(ci) = child_info.as_deref_mut() {
            ci.maybe_send_current_info(*key_counter, "RDB");
        }
        *key_counter += 1;
    }
    Ok(n)
}

/// `rdbSaveRio`: a whole RDB into `rdb`. Functions and module AUX data
/// would go between the AUX fields and the databases; neither exists here.
pub fn rdb_save_rio(
    server: &Server,
    rdb: &mut Rio,
    rdbflags: u32,
    rsi: Option<&RdbSaveInfo>,
    mut child_info: Option<&mut ChildInfo>,
) -> Result<(), super::WriteError> {
    rdb.update_cksum = server.config.rdbchecksum;
    rdb.rdb_compression = server.config.rdbcompression;
    let magic = format!("REDIS{RDB_VERSION:04}");
    rdb_write_raw(rdb, magic.as_bytes())?;
    rdb_save_info_aux_fields(server, rdb, rdbflags, rsi)?;
    let mut key_counter = 0;
    for j in 0..server.dbs.len() {
        rdb_save_db(server, rdb, j, &mut key_counter, child_info.as_deref_mut())?;
    }
    rdb_save_type(rdb, RDB_OPCODE_EOF)?;
    // Zero when checksums are off: loaders then skip the check.
    let cksum = rdb.cksum;
    rdb_write_raw(rdb, &cksum.to_le_bytes())?;
    Ok(())
}

fn cwd_for_log() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// `rdbSave`: writes `temp-<pid>.rdb`, syncs it and renames it to
/// `filename`. Failures are logged; true on success.
pub fn rdb_save(server: &mut Server, filename: &str, rsi: Option<&RdbSaveInfo>) -> bool {
    rdb_save_reporting(server, filename, rsi, None)
}

/// `rdbSave` reporting progress to `child_info` (in a BGSAVE child).
fn rdb_save_reporting(
    server: &mut Server,
    filename: &str,
    rsi: Option<&RdbSaveInfo>,
    child_info: Option<&mut ChildInfo>,
) -> bool {
    let tmpfile = format!("temp-{}.rdb", std::process::id());
    let f = match std::fs::File::create(&tmpfile) {
        Ok(f) => f,
        Err(e) => {
            server.server_log(
                LL_WARNING,
                &format!(
                    "Failed opening the temp RDB file {tmpfile} (in server root dir {}) for saving: {}",
                    cwd_for_log(),
                    crate::config::helpers::strerror(&e)
                ),
            );
            return false;
        }
    };
    let mut rdb = Rio::with_file_writer(f);
    if server.config.rdb_save_incremental_fsync {
        rdb.rio_set_auto_sync(REDIS_AUTOSYNC_BYTES);
    }
    let fail = |server: &Server, op: &str, err: String| {
        server.server_log(
            LL_WARNING,
            &format!("Write error saving DB on disk({op}): {err}"),
        );
        let _ = std::fs::remove_file(&tmpfile);
        false
    };
    if rdb_save_rio(server, &mut rdb, 0, rsi, child_info).is_err() {
        let err = std::io::Error::last_os_error();
        return fail(server, "rdbSaveRio", crate::config::helpers::strerror(&err));
    }
    if let Err((op, e)) = rdb.rio_flush_and_sync() {
        return fail(server, op, crate::config::helpers::strerror(&e));
    }
    drop(rdb);
    if let Err(e) = std::fs::rename(&tmpfile, filename) {
        server.server_log(
            LL_WARNING,
            &format!(
                "Error moving temp DB file {tmpfile} on the final destination {filename} (in server root dir {}): {}",
                cwd_for_log(),
                crate::config::helpers::strerror(&e)
            ),
        );
        let _ = std::fs::remove_file(&tmpfile);
        return false;
    }
    if let Err(e) = crate::util::fsync_file_dir(std::path::Path::new(filename)) {
        return fail(server, "fsyncFileDir", crate::config::helpers::strerror(&e));
    }
    server.server_log(LL_NOTICE, "DB saved on disk");
    server.dirty = 0;
    server.info.lastsave = crate::util::mstime() / 1000;
    server.rdb.lastbgsave_ok = true;
    true
}

/// `hasActiveChildProcess`: only BGSAVE forks so far.
pub fn has_active_child_process(server: &Server) -> bool {
    server.rdb.child_pid != -1
}

/// What `redis_fork` returned in each process.
enum Forked {
    Child,
    Parent(i32),
}

/// `redisFork`: the one place the server forks.
fn redis_fork() -> std::io::Result<Forked> {
    // SAFETY: fork duplicates this process. The server runs a single
    // thread, so no lock (allocator, stdio) can be held by a thread that
    // does not exist in the child. The child runs only our code: it reads
    // the dataset it inherited, writes a file, closes descriptors with
    // plain close(2) (never touching the epoll registrations it shares
    // with the parent) and leaves with _exit, so no destructor or atexit
    // handler of the parent's state runs twice.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        0 => Ok(Forked::Child),
        p => Ok(Forked::Parent(p)),
    }
}

/// `closeChildUnusedResourceAfterFork`: the child must not keep the
/// listening ports open after the parent is gone.
fn close_child_unused_resource_after_fork(server: &Server) {
    for l in &server.ipfd {
        // SAFETY: closing a descriptor the child inherited; the parent's
        // copy and its epoll registration are unaffected.
        unsafe { libc::close(l.as_raw_fd()) };
    }
    if let Some((l, _)) = &server.sofd {
        // SAFETY: as above.
        unsafe { libc::close(l.as_raw_fd()) };
    }
}

/// `rdbSaveBackground`: forks a child that saves. True when the child
/// was started.
pub fn rdb_save_background(server: &mut Server, filename: &str, rsi: Option<&RdbSaveInfo>) -> bool {
    if has_active_child_process(server) {
        return false;
    }
    server.rdb.stat_rdb_saves += 1;
    server.rdb.dirty_before_bgsave = server.dirty;
    server.rdb.lastbgsave_try = crate::util::mstime() / 1000;

    let keys_total = server.dbs.iter().map(|d| d.dict.len() as u64).sum();
    server.rdb.child_info.open_child_info_pipe(keys_total);

    let start = crate::util::ustime();
    match redis_fork() {
        Ok(Forked::Child) => {
            close_child_unused_resource_after_fork(server);
            let mut child_info = std::mem::take(&mut server.rdb.child_info);
            let ok = rdb_save_reporting(server, filename, rsi, Some(&mut child_info));
            if ok {
                child_info.send_child_info(CHILD_INFO_TYPE_RDB_COW_SIZE, 0, "RDB");
            }
            // SAFETY: ends the child without running the parent's
            // destructors or atexit handlers (see `redis_fork`).
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        Ok(Forked::Parent(pid)) => {
            server.rdb.stat_total_forks += 1;
            server.rdb.stat_fork_time = crate::util::ustime() - start;
            crate::latency::latency_add_sample_if_needed(
                server,
                "fork",
                server.rdb.stat_fork_time / 1000,
            );
            server.server_log(
                LL_NOTICE,
                &format!("Background saving started by pid {pid}"),
            );
            server.rdb.rdb_save_time_start = crate::util::mstime() / 1000;
            server.rdb.child_pid = pid;
            server.rdb.child_info.parent_after_fork();
            update_dict_resize_policy(server);
            true
        }
        Err(e) => {
            server.rdb.child_info.close_child_info_pipe();
            server.rdb.lastbgsave_ok = false;
            server.server_log(
                LL_WARNING,
                &format!(
                    "Can't save in background: fork: {}",
                    crate::config::helpers::strerror(&e)
                ),
            );
            false
        }
    }
}

/// `updateDictResizePolicy`: while a child shares our pages, rehashing
/// would copy them all, so tables only grow when they must.
fn update_dict_resize_policy(server: &mut Server) {
    let allowed = !has_active_child_process(server);
    for db in server.dbs.iter_mut() {
        db.dict.set_resize_allowed(allowed);
        db.expires.set_resize_allowed(allowed);
    }
}

/// `rdbRemoveTempFile`.
fn rdb_remove_temp_file(childpid: i32) {
    let _ = std::fs::remove_file(format!("temp-{childpid}.rdb"));
}

/// `killRDBChild`: SIGUSR1 ends the child; `check_children_done` then
/// cleans up without counting it as a failure.
pub fn kill_rdb_child(server: &Server) {
    if server.rdb.child_pid != -1 {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(server.rdb.child_pid, libc::SIGUSR1) };
    }
}

/// `backgroundSaveDoneHandler` for a save to disk.
fn background_save_done_handler(server: &mut Server, exitcode: i32, bysignal: i32) {
    if bysignal == 0 && exitcode == 0 {
        server.server_log(LL_NOTICE, "Background saving terminated with success");
        server.dirty = server.dirty.saturating_sub(server.rdb.dirty_before_bgsave);
        server.info.lastsave = crate::util::mstime() / 1000;
        server.rdb.lastbgsave_ok = true;
    } else if bysignal == 0 {
        server.server_log(LL_WARNING, "Background saving error");
        server.rdb.lastbgsave_ok = false;
    } else {
        server.server_log(
            LL_WARNING,
            &format!("Background saving terminated by signal {bysignal}"),
        );
        rdb_remove_temp_file(server.rdb.child_pid);
        // SIGUSR1 is how we stop a child on purpose: not an error.
        if bysignal != libc::SIGUSR1 {
            server.rdb.lastbgsave_ok = false;
        }
    }
    let now = crate::util::mstime() / 1000;
    server.rdb.rdb_save_time_last = now - server.rdb.rdb_save_time_start;
    server.rdb.rdb_save_time_start = -1;
}

/// `receiveChildInfo`: progress reports, and the final COW size of a
/// successful child.
fn receive_child_info(server: &mut Server) {
    if let Some(cow) = server.rdb.child_info.receive_child_info() {
        server.rdb.stat_rdb_cow_bytes = cow;
    }
}

/// `checkChildrenDone`: reaps a finished child without blocking.
pub fn check_children_done(server: &mut Server) {
    let mut statloc = 0;
    // SAFETY: waitpid writes the status into our local.
    let pid = unsafe { libc::waitpid(-1, &mut statloc, libc::WNOHANG) };
    if pid == 0 {
        return;
    }
    let mut exitcode = if libc::WIFEXITED(statloc) {
        libc::WEXITSTATUS(statloc)
    } else {
        -1
    };
    let mut bysignal = if libc::WIFSIGNALED(statloc) {
        libc::WTERMSIG(statloc)
    } else {
        0
    };
    // A child that exits with 255 was told to stop (SERVER_CHILD_NOERROR_RETVAL).
    if exitcode == 255 {
        bysignal = libc::SIGUSR1;
        exitcode = 1;
    }
    if pid == -1 {
        let e = std::io::Error::last_os_error();
        server.server_log(
            LL_WARNING,
            &format!(
                "waitpid() returned an error: {}. child_type: RDB, child_pid = {}",
                crate::config::helpers::strerror(&e),
                server.rdb.child_pid
            ),
        );
    } else if pid == server.rdb.child_pid {
        background_save_done_handler(server, exitcode, bysignal);
        if bysignal == 0 && exitcode == 0 {
            receive_child_info(server);
        }
        server.rdb.child_pid = -1;
        server.rdb.child_info.close_child_info_pipe();
        update_dict_resize_policy(server);
    } else {
        server.server_log(
            LL_WARNING,
            &format!("Warning, detected child with unmatched pid: {pid}"),
        );
    }
}

/// The persistence part of `serverCron`: reap the child, or start a
/// BGSAVE when a save point or BGSAVE SCHEDULE asks for one.
pub fn rdb_cron(server: &mut Server) {
    if has_active_child_process(server) {
        receive_child_info(server);
        check_children_done(server);
        return;
    }
    let now = server.unixtime;
    let lastsave = server.info.lastsave;
    let retry_ok =
        now - server.rdb.lastbgsave_try > CONFIG_BGSAVE_RETRY_DELAY || server.rdb.lastbgsave_ok;
    let due = server
        .config
        .save_params
        .iter()
        .find(|&&(seconds, changes)| {
            server.dirty >= changes.max(0) as u64 && now - lastsave > seconds && retry_ok
        })
        .copied();
    if let Some((seconds, changes)) = due {
        server.server_log(
            LL_NOTICE,
            &format!("{changes} changes in {seconds} seconds. Saving..."),
        );
        let rsi = rdb_populate_save_info(server);
        let filename = server.config.dbfilename.clone();
        rdb_save_background(server, &filename, rsi.as_ref());
    }
    if !has_active_child_process(server) && server.rdb.rdb_bgsave_scheduled && retry_ok {
        let rsi = rdb_populate_save_info(server);
        let filename = server.config.dbfilename.clone();
        if rdb_save_background(server, &filename, rsi.as_ref()) {
            server.rdb.rdb_bgsave_scheduled = false;
        }
    }
}

/// `writeCommandsDeniedByDiskError` for RDB: the MISCONF error when the
/// last background save failed and the configuration says to stop.
pub fn write_commands_denied_by_disk_error(server: &Server) -> Option<&'static str> {
    (server.config.stop_writes_on_bgsave_error
        && !server.config.save_params.is_empty()
        && !server.rdb.lastbgsave_ok)
        .then_some("-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.")
}

/// The RDB part of `prepareForShutdown`/`finishShutdown`: stop a running
/// child, then save if asked to (or if save points exist and NOSAVE was
/// not given). False when the save failed and FORCE was not given.
pub fn rdb_shutdown_save(server: &mut Server, save: bool, nosave: bool, force: bool) -> bool {
    if server.rdb.child_pid != -1 {
        server.server_log(LL_WARNING, "There is a child saving an .rdb. Killing it!");
        kill_rdb_child(server);
        rdb_remove_temp_file(server.rdb.child_pid);
    }
    if (!server.config.save_params.is_empty() && !nosave) || save {
        server.server_log(LL_NOTICE, "Saving the final RDB snapshot before exiting.");
        let rsi = rdb_populate_save_info(server);
        let filename = server.config.dbfilename.clone();
        if !rdb_save(server, &filename, rsi.as_ref()) {
            if force {
                server.server_log(LL_WARNING, "Error trying to save the DB. Exit anyway.");
            } else {
                server.server_log(LL_WARNING, "Error trying to save the DB, can't exit.");
                return false;
            }
        }
    }
    true
}

/// The part of `flushAllDataAndResetRDB` after the data is gone: a running
/// BGSAVE is now useless, and with save points the empty dataset is saved
/// at once (which, as any save, resets the dirty counter).
pub fn flush_all_reset_rdb(server: &mut Server) {
    if server.rdb.child_pid != -1 {
        kill_rdb_child(server);
    }
    if !server.config.save_params.is_empty() {
        let rsi = rdb_populate_save_info(server);
        let filename = server.config.dbfilename.clone();
        rdb_save(server, &filename, rsi.as_ref());
    }
}

/// SAVE
pub fn save_command(server: &mut Server, c: &mut Client) {
    if server.rdb.child_pid != -1 {
        c.add_reply_error("Background save already in progress");
        return;
    }
    server.rdb.stat_rdb_saves += 1;
    let rsi = rdb_populate_save_info(server);
    let filename = server.config.dbfilename.clone();
    if rdb_save(server, &filename, rsi.as_ref()) {
        c.add_reply_ok();
    } else {
        c.add_reply_error("-ERR");
    }
}

/// BGSAVE [SCHEDULE]
pub fn bgsave_command(server: &mut Server, c: &mut Client) {
    // SCHEDULE waits for another kind of child (an AOF rewrite); only
    // BGSAVE forks so far, so a running child is always ours and SCHEDULE
    // answers as a plain BGSAVE does.
    if c.argv.len() > 1 && !(c.argv.len() == 2 && c.argv[1].eq_ignore_ascii_case(b"schedule")) {
        c.add_reply_syntax_error();
        return;
    }
    let rsi = rdb_populate_save_info(server);
    if server.rdb.child_pid != -1 {
        c.add_reply_error("Background save already in progress");
        return;
    }
    let filename = server.config.dbfilename.clone();
    if rdb_save_background(server, &filename, rsi.as_ref()) {
        c.add_reply_status("Background saving started");
    } else {
        c.add_reply_error("-ERR");
    }
}
