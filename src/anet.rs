//! Socket helpers: a port of `anet.c` on top of `socket2`.
//!
//! Listening sockets are built here with the options Redis sets
//! (`SO_REUSEADDR`, `IPV6_V6ONLY` for v6 addresses, the `tcp-backlog`), then
//! handed to mio as non-blocking listeners. Accepted connections get
//! `TCP_NODELAY` and, when configured, keepalive. Addresses are formatted the
//! way Redis prints them in CLIENT LIST and logs (`ip:port`, `[v6]:port`).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener as StdUnixListener;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, TcpKeepalive, Type};

/// `anetTcpServer` / `anetTcp6Server`: binds `addr:port`, listens with
/// `backlog`, and returns a non-blocking mio listener.
pub fn anet_tcp_server(addr: &str, port: u16, backlog: i32) -> io::Result<mio::net::TcpListener> {
    // Redis accepts "*" for every IPv4 address and "::*" for every IPv6 one.
    let ip: IpAddr = match addr {
        "*" => IpAddr::from([0u8, 0, 0, 0]),
        "::*" => IpAddr::from([0u16; 8]),
        a => a.parse().map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("Invalid address {a}"))
        })?,
    };
    let sa = SocketAddr::new(ip, port);
    let socket = Socket::new(Domain::for_address(sa), Type::STREAM, None)?;
    if sa.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(sa))?;
    socket.listen(backlog)?;
    socket.set_nonblocking(true)?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}

/// `anetUnixServer`: binds a unix socket at `path` with permissions `perm`
/// (0 keeps the umask's), removing a stale socket file first as Redis does.
pub fn anet_unix_server(
    path: &str,
    perm: u32,
    _backlog: i32,
) -> io::Result<mio::net::UnixListener> {
    let _ = std::fs::remove_file(path);
    let listener = StdUnixListener::bind(path)?;
    if perm != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))?;
    }
    listener.set_nonblocking(true)?;
    Ok(mio::net::UnixListener::from_std(listener))
}

/// `anetEnableTcpNoDelay`.
pub fn anet_enable_tcp_no_delay(stream: &mio::net::TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)
}

/// `anetKeepAlive`: turns keepalive on with `interval` seconds between probes.
pub fn anet_keep_alive(stream: &mio::net::TcpStream, interval: u64) -> io::Result<()> {
    let sock = socket2::SockRef::from(stream);
    let ka = TcpKeepalive::new()
        .with_time(Duration::from_secs(interval))
        .with_interval(Duration::from_secs((interval / 3).max(1)))
        .with_retries(3);
    sock.set_tcp_keepalive(&ka)
}

/// `anetFormatAddr`: "ip:port", with brackets around IPv6 addresses.
pub fn anet_format_addr(addr: &SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
            Some(v4) => format!("{}:{}", v4, a.port()),
            None => format!("[{}]:{}", a.ip(), a.port()),
        },
    }
}
