//! The event loop: a port of `ae.c` onto `mio::Poll`.
//!
//! Redis multiplexes every socket of the process (listeners, clients, the
//! cluster bus, the link to a master) and a handful of timers on one thread.
//! This module keeps that shape. A *file event* is a registered socket: mio
//! hands us a `Token`, the token is a key in a `Slab` of registrations, and
//! the registration says which handler owns the socket (`FileProc`). A *time
//! event* is a callback due at a given millisecond; its handler returns the
//! number of milliseconds until it should run again, or `AE_NOMORE`.
//!
//! One turn of `ae_process_events` is: `before_sleep`, poll with the timeout
//! of the nearest timer (zero if the owner still has buffered work), then the
//! ready file events, then the due time events. The owner of the loop (the
//! `Server`) implements [`AeHandler`]; this keeps the loop itself free of any
//! knowledge of clients or commands, as `ae.c` is.
//!
//! mio is edge-triggered while `ae_epoll.c` is level-triggered. The handlers
//! compensate: a reader drains the socket until `WouldBlock` (or parks the
//! client on a "pending read" list that `ae_wants_no_wait` reports), and a
//! writer asks for `WRITABLE` interest only after a write would block.

use std::io;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};
use slab::Slab;

/// Readable interest, as `AE_READABLE`.
pub const AE_READABLE: u8 = 1;
/// Writable interest, as `AE_WRITABLE`.
pub const AE_WRITABLE: u8 = 2;

/// Returned by a time event handler that must not run again.
pub const AE_NOMORE: i64 = -1;

/// Who owns a registered socket. The server matches on this to pick the
/// handler, the way `ae.c` calls the `rfileProc`/`wfileProc` pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileProc {
    /// A TCP listener, by index in `Server::ipfd`.
    AcceptTcp(usize),
    /// The unix socket listener.
    AcceptUnix,
    /// A client connection, by client id (its key in `Server::clients`).
    Client(usize),
    /// A cluster bus listener, by index in `ClusterState::cfd`.
    ClusterAccept(usize),
    /// A cluster bus link.
    ClusterLink(crate::cluster::LinkId),
}

/// What a time event does when due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeProc {
    /// `server_cron`, every 1000/hz milliseconds.
    ServerCron,
}

struct FileEvent {
    mask: u8,
    proc_: FileProc,
}

struct TimeEvent {
    id: u64,
    when: Instant,
    proc_: TimeProc,
}

/// The state of the loop: the poller, the registrations and the timers.
pub struct EventLoop {
    poll: Poll,
    events: Option<Events>,
    file_events: Slab<FileEvent>,
    time_events: Vec<TimeEvent>,
    time_event_next_id: u64,
    stop: bool,
}

/// The callbacks the owner of the loop provides (the `Server`).
pub trait AeHandler {
    fn event_loop(&mut self) -> &mut EventLoop;
    /// Called before the loop sleeps in poll.
    fn before_sleep(&mut self);
    /// Called right after poll returns, before any event runs.
    fn after_sleep(&mut self);
    /// True when the owner has work that must not wait for the next event
    /// (clients with unparsed buffered input, for instance): poll won't block.
    fn ae_wants_no_wait(&self) -> bool;
    fn file_event(&mut self, proc_: FileProc, readable: bool, writable: bool);
    /// Runs a due timer; returns the next period in milliseconds or `AE_NOMORE`.
    fn time_event(&mut self, id: u64, proc_: TimeProc) -> i64;
}

fn interest_of(mask: u8) -> Option<Interest> {
    match (mask & AE_READABLE != 0, mask & AE_WRITABLE != 0) {
        (true, true) => Some(Interest::READABLE | Interest::WRITABLE),
        (true, false) => Some(Interest::READABLE),
        (false, true) => Some(Interest::WRITABLE),
        (false, false) => None,
    }
}

impl EventLoop {
    /// `aeCreateEventLoop`. `setsize` is a capacity hint for the events buffer.
    pub fn ae_create_event_loop(setsize: usize) -> io::Result<EventLoop> {
        Ok(EventLoop {
            poll: Poll::new()?,
            events: Some(Events::with_capacity(setsize.clamp(64, 1024))),
            file_events: Slab::new(),
            time_events: Vec::new(),
            time_event_next_id: 0,
            stop: false,
        })
    }

    /// `aeCreateFileEvent`: registers `source` with the given interest mask and
    /// returns the token that identifies it from now on.
    pub fn ae_create_file_event<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        mask: u8,
        proc_: FileProc,
    ) -> io::Result<Token> {
        let interest = interest_of(mask).unwrap_or(Interest::READABLE);
        let entry = self.file_events.vacant_entry();
        let token = Token(entry.key());
        self.poll.registry().register(source, token, interest)?;
        entry.insert(FileEvent { mask, proc_ });
        Ok(token)
    }

    /// Changes the interest of a registered source (adds or removes
    /// `AE_WRITABLE`, as `aeCreateFileEvent`/`aeDeleteFileEvent` do for one bit).
    pub fn ae_set_file_event_mask<S: Source + ?Sized>(
        &mut self,
        source: &mut S,
        token: Token,
        mask: u8,
    ) -> io::Result<()> {
        let Some(fe) = self.file_events.get_mut(token.0) else {
            return Ok(());
        };
        if fe.mask == mask {
            return Ok(());
        }
        fe.mask = mask;
        // mio has no "no interest" state: a source without interest stays
        // registered for reads, whose events the owner then ignores.
        let interest = interest_of(mask).unwrap_or(Interest::READABLE);
        self.poll.registry().reregister(source, token, interest)
    }

    /// The current interest mask of a registration (0 if unknown).
    pub fn ae_get_file_events(&self, token: Token) -> u8 {
        self.file_events.get(token.0).map_or(0, |fe| fe.mask)
    }

    /// `aeDeleteFileEvent` for the whole registration: deregisters the
    /// source and frees the token.
    pub fn ae_delete_file_event<S: Source + ?Sized>(&mut self, source: &mut S, token: Token) {
        if self.file_events.contains(token.0) {
            self.file_events.remove(token.0);
            // Deregistering fails only if the fd was never registered; the
            // socket is being closed anyway, so there is nothing to do.
            let _ = self.poll.registry().deregister(source);
        }
    }

    /// `aeCreateTimeEvent`: runs `proc_` after `milliseconds`.
    pub fn ae_create_time_event(&mut self, milliseconds: u64, proc_: TimeProc) -> u64 {
        let id = self.time_event_next_id;
        self.time_event_next_id += 1;
        self.time_events.push(TimeEvent {
            id,
            when: Instant::now() + Duration::from_millis(milliseconds),
            proc_,
        });
        id
    }

    /// `aeDeleteTimeEvent`.
    pub fn ae_delete_time_event(&mut self, id: u64) {
        self.time_events.retain(|te| te.id != id);
    }

    /// `aeStop`: `ae_main` returns after the current turn.
    pub fn ae_stop(&mut self) {
        self.stop = true;
    }

    /// How long poll may sleep: until the nearest timer.
    fn ms_until_nearest_timer(&self) -> Option<Duration> {
        let now = Instant::now();
        self.time_events
            .iter()
            .map(|te| te.when.saturating_duration_since(now))
            .min()
    }
}

/// `aeProcessEvents`: one turn of the loop.
pub fn ae_process_events<H: AeHandler>(h: &mut H) {
    h.before_sleep();
    let timeout = if h.ae_wants_no_wait() {
        Some(Duration::ZERO)
    } else {
        h.event_loop().ms_until_nearest_timer()
    };
    poll_and_process_file_events(h, timeout);
    process_time_events(h);
}

/// `processEventsWhileBlocked`: while a long operation (loading a file)
/// holds the thread, serve the clients for a moment without running the
/// timers: up to four non-blocking turns, fewer once nothing happens.
pub fn ae_process_events_while_blocked<H: AeHandler>(h: &mut H) {
    for _ in 0..4 {
        h.before_sleep();
        if poll_and_process_file_events(h, Some(Duration::ZERO)) == 0 {
            break;
        }
    }
}

/// Polls for at most `timeout` and runs the ready file events; returns
/// how many there were.
fn poll_and_process_file_events<H: AeHandler>(h: &mut H, timeout: Option<Duration>) -> usize {
    let el = h.event_loop();
    let Some(mut events) = el.events.take() else {
        return 0;
    };
    if let Err(e) = el.poll.poll(&mut events, timeout) {
        // EINTR (a signal arrived) is the only expected error: go on with
        // the timers, the next turn polls again.
        if e.kind() != io::ErrorKind::Interrupted {
            crate::server::server_log_raw(
                crate::server::LL_WARNING,
                &format!("Error polling for events: {e}"),
            );
        }
    }
    h.after_sleep();

    let mut processed = 0;
    for event in events.iter() {
        let token = event.token();
        // A handler may have freed this registration (a client closed
        // another one): look it up again for every event.
        let Some(fe) = h.event_loop().file_events.get(token.0) else {
            continue;
        };
        let proc_ = fe.proc_;
        let readable = event.is_readable() || event.is_read_closed() || event.is_error();
        let writable = event.is_writable() || event.is_write_closed();
        h.file_event(proc_, readable, writable);
        processed += 1;
    }
    h.event_loop().events = Some(events);
    processed
}

/// The file events that are ready now, without waiting and without
/// timers (`AE_FILE_EVENTS|AE_DONT_WAIT`), for a caller that is itself
/// inside an event handler (a busy script serving other clients). It polls
/// into its own buffer because the turn it interrupts still holds the
/// loop's. Returns how many events ran.
pub fn ae_process_file_events_now<H: AeHandler>(h: &mut H) -> usize {
    let mut events = Events::with_capacity(64);
    if let Err(e) = h.event_loop().poll.poll(&mut events, Some(Duration::ZERO)) {
        if e.kind() != io::ErrorKind::Interrupted {
            crate::server::server_log_raw(
                crate::server::LL_WARNING,
                &format!("Error polling for events: {e}"),
            );
        }
    }
    let mut processed = 0;
    for event in events.iter() {
        let Some(fe) = h.event_loop().file_events.get(event.token().0) else {
            continue;
        };
        let proc_ = fe.proc_;
        let readable = event.is_readable() || event.is_read_closed() || event.is_error();
        let writable = event.is_writable() || event.is_write_closed();
        h.file_event(proc_, readable, writable);
        processed += 1;
    }
    processed
}

/// Runs every due timer once, rescheduling it by the period it returns.
fn process_time_events<H: AeHandler>(h: &mut H) {
    let now = Instant::now();
    let due: Vec<(u64, TimeProc)> = h
        .event_loop()
        .time_events
        .iter()
        .filter(|te| te.when <= now)
        .map(|te| (te.id, te.proc_))
        .collect();
    for (id, proc_) in due {
        let next = h.time_event(id, proc_);
        let el = h.event_loop();
        if next == AE_NOMORE {
            el.ae_delete_time_event(id);
        } else if let Some(te) = el.time_events.iter_mut().find(|te| te.id == id) {
            te.when = Instant::now() + Duration::from_millis(next.max(0) as u64);
        }
    }
}

/// `aeMain`: turns until `ae_stop` is called.
pub fn ae_main<H: AeHandler>(h: &mut H) {
    h.event_loop().stop = false;
    while !h.event_loop().stop {
        ae_process_events(h);
    }
}
