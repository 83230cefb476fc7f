//! The bus connections (`CLUSTER communication link` of `cluster.c`).
//!
//! Each known node has at most one outbound link (we connected to its bus
//! port) and one inbound link (it connected to ours). Reading accumulates
//! bytes until a whole packet (its length is in the first 8 bytes) is
//! there and hands it to `gossip::cluster_process_packet`. Sending appends
//! to the link's buffer; `cluster_before_sleep` writes the buffers out,
//! asking for writable events only when the socket is full, the way
//! `clusterWriteHandler` is installed only while bytes wait.

use std::io::{ErrorKind, Read, Write};

use super::msg::{peek_totlen, CLUSTERMSG_MIN_LEN, CLUSTERMSG_TYPE_COUNT, RCVBUF_MIN_READ_LEN};
use super::*;
use crate::ae::{self, EventLoop, FileProc};
use crate::server::{server_log_raw, Server, LL_DEBUG, LL_VERBOSE, LL_WARNING};
use crate::util::mstime;

impl ClusterState {
    /// `createClusterLink` + registration of its socket. An outbound link
    /// (`node` given) becomes the node's `link`.
    pub fn create_cluster_link(
        &mut self,
        el: &mut EventLoop,
        mut conn: mio::net::TcpStream,
        node: Option<NodeId>,
        connecting: bool,
    ) -> Option<LinkId> {
        let entry = self.links.vacant_entry();
        let id = entry.key();
        let mask = if connecting {
            ae::AE_READABLE | ae::AE_WRITABLE
        } else {
            ae::AE_READABLE
        };
        let token = el
            .ae_create_file_event(&mut conn, mask, FileProc::ClusterLink(id))
            .ok()?;
        entry.insert(ClusterLink {
            ctime: mstime(),
            conn,
            token,
            sndbuf: Vec::new(),
            sndbuf_pos: 0,
            rcvbuf: Vec::new(),
            node,
            inbound: node.is_none(),
            connecting,
            pending_write: false,
        });
        if let Some(n) = node.and_then(|n| self.nodes.get_mut(n)) {
            n.link = Some(id);
        }
        Some(id)
    }

    /// `freeClusterLink`: closes the socket and unbinds the link from its
    /// node.
    pub fn free_cluster_link(&mut self, el: &mut EventLoop, id: LinkId) {
        let Some(mut link) = self.links.try_remove(id) else {
            return;
        };
        el.ae_delete_file_event(&mut link.conn, link.token);
        if let Some(n) = link.node.and_then(|n| self.nodes.get_mut(n)) {
            if n.link == Some(id) {
                n.link = None;
            } else if n.inbound_link == Some(id) {
                n.inbound_link = None;
            }
        }
    }

    /// `setClusterNodeToInboundClusterLink`: binds an accepted link to the
    /// node it turned out to come from, replacing an older inbound link.
    pub fn set_node_to_inbound_link(&mut self, el: &mut EventLoop, node: NodeId, link: LinkId) {
        let Some(old) = self.nodes.get(node).map(|n| n.inbound_link) else {
            return;
        };
        if let Some(old) = old {
            if old == link {
                return;
            }
            server_log_raw(
                LL_DEBUG,
                &format!(
                    "Replacing inbound link from node {}",
                    self.nodes[node].name_str()
                ),
            );
            self.free_cluster_link(el, old);
        }
        if let Some(n) = self.nodes.get_mut(node) {
            n.inbound_link = Some(link);
        }
        if let Some(l) = self.links.get_mut(link) {
            l.node = Some(node);
        }
    }

    /// `clusterSendMessage`: queues a packet on a link.
    pub fn send_message(&mut self, link: Option<LinkId>, msg: &[u8]) {
        let Some(id) = link else {
            return;
        };
        let Some(l) = self.links.get_mut(id) else {
            return;
        };
        l.sndbuf.extend_from_slice(msg);
        if !l.pending_write {
            l.pending_write = true;
            self.links_pending_write.push(id);
        }
        let type_ = msg
            .get(12..14)
            .map_or(u16::MAX, |b| u16::from_be_bytes([b[0], b[1]]));
        if type_ < CLUSTERMSG_TYPE_COUNT {
            self.stats_bus_messages_sent[type_ as usize] += 1;
        }
    }

    /// `clusterBroadcastMessage`: to every node we have a link with, but
    /// not to nodes in handshake.
    pub fn broadcast_message(&mut self, msg: &[u8]) {
        let links: Vec<Option<LinkId>> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.flags & (CLUSTER_NODE_MYSELF | CLUSTER_NODE_HANDSHAKE) == 0)
            .map(|(_, n)| n.link)
            .collect();
        for l in links {
            self.send_message(l, msg);
        }
    }

    /// The allocated size of a link's send buffer (`sdsalloc(sndbuf)`).
    pub fn link_sndbuf_alloc(&self, id: LinkId) -> usize {
        self.links.get(id).map_or(0, |l| l.sndbuf.capacity())
    }
}

/// `clusterAcceptHandler`.
pub fn cluster_accept_handler(server: &mut Server, idx: usize) {
    // While loading its data a master takes no bus connection: UPDATE
    // messages could change slots under the loader.
    if server.loading {
        return;
    }
    let keepalive = (server.config.cluster_node_timeout / 1000 * 2).max(1) as u64;
    for _ in 0..1000 {
        let Some(cl) = server.cluster.as_deref_mut() else {
            return;
        };
        let Some((l, _)) = cl.cfd.get(idx) else {
            return;
        };
        match l.accept() {
            Ok((stream, peer)) => {
                let _ = crate::anet::anet_enable_tcp_no_delay(&stream);
                let _ = crate::anet::anet_keep_alive(&stream, keepalive);
                server_log_raw(
                    LL_VERBOSE,
                    &format!(
                        "Accepting cluster node connection from {}:{}",
                        peer.ip(),
                        peer.port()
                    ),
                );
                cl.create_cluster_link(&mut server.el, stream, None, false);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                server_log_raw(LL_VERBOSE, &format!("Error accepting cluster node: {e}"));
                return;
            }
        }
    }
}

/// The file event of a link: the end of a connect, reads, writes.
pub fn cluster_link_event(server: &mut Server, id: LinkId, readable: bool, writable: bool) {
    let connecting = server
        .cluster
        .as_deref()
        .and_then(|cl| cl.links.get(id))
        .is_some_and(|l| l.connecting);
    if connecting {
        if writable || readable {
            cluster_link_connect_handler(server, id);
        }
        return;
    }
    if readable {
        cluster_read_handler(server, id);
    }
    if writable {
        cluster_write_handler(server, id);
    }
}

/// `clusterLinkConnectHandler`: the connect finished, or failed.
fn cluster_link_connect_handler(server: &mut Server, id: LinkId) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let Some(link) = cl.links.get_mut(id) else {
        return;
    };
    let err = match link.conn.take_error() {
        Ok(Some(e)) => Some(e.to_string()),
        Err(e) => Some(e.to_string()),
        Ok(None) => match link.conn.peer_addr() {
            Ok(_) => None,
            Err(e) if e.kind() == ErrorKind::NotConnected => return, // not yet
            Err(e) => Some(e.to_string()),
        },
    };
    let Some(node_id) = link.node else {
        return;
    };
    if let Some(e) = err {
        if let Some(n) = cl.nodes.get(node_id) {
            server_log_raw(
                LL_VERBOSE,
                &format!(
                    "Connection with Node {} at {}:{} failed: {}",
                    n.name_str(),
                    n.ip,
                    n.cport,
                    e
                ),
            );
        }
        cl.free_cluster_link(&mut server.el, id);
        return;
    }
    link.connecting = false;
    let _ = crate::anet::anet_enable_tcp_no_delay(&link.conn);
    let token = link.token;
    let _ = server
        .el
        .ae_set_file_event_mask(&mut link.conn, token, ae::AE_READABLE);
    // A PING (or the MEET) goes first: the peer may never send us
    // anything before it knows us.
    let Some(n) = cl.nodes.get(node_id) else {
        return;
    };
    let old_ping_sent = n.ping_sent;
    let type_ = if n.flags & CLUSTER_NODE_MEET != 0 {
        msg::CLUSTERMSG_TYPE_MEET
    } else {
        msg::CLUSTERMSG_TYPE_PING
    };
    super::gossip::cluster_send_ping(server, id, type_);
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    if let Some(n) = cl.nodes.get_mut(node_id) {
        // Keep the older ping time: the node must not look alive only
        // because we reconnected.
        if old_ping_sent != 0 {
            n.ping_sent = old_ping_sent;
        }
        n.flags &= !CLUSTER_NODE_MEET;
        server_log_raw(
            LL_DEBUG,
            &format!(
                "Connecting with Node {} at {}:{}",
                n.name_str(),
                n.ip,
                n.cport
            ),
        );
    }
}

/// `clusterReadHandler`: reads everything available and processes each
/// complete packet.
fn cluster_read_handler(server: &mut Server, id: LinkId) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let Some(cl) = server.cluster.as_deref_mut() else {
            return;
        };
        let Some(link) = cl.links.get_mut(id) else {
            return;
        };
        let nread = match link.conn.read(&mut buf) {
            Ok(0) => {
                server_log_raw(
                    LL_DEBUG,
                    "I/O error reading from node link: connection closed",
                );
                cl.free_cluster_link(&mut server.el, id);
                return;
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                server_log_raw(LL_DEBUG, &format!("I/O error reading from node link: {e}"));
                cl.free_cluster_link(&mut server.el, id);
                return;
            }
        };
        link.rcvbuf.extend_from_slice(&buf[..nread]);
        // Process every whole packet now in the buffer.
        loop {
            let Some(cl) = server.cluster.as_deref_mut() else {
                return;
            };
            let Some(link) = cl.links.get_mut(id) else {
                return;
            };
            if link.rcvbuf.len() < RCVBUF_MIN_READ_LEN {
                break;
            }
            let totlen = peek_totlen(&link.rcvbuf).unwrap_or(0) as usize;
            if &link.rcvbuf[..4] != b"RCmb" || totlen < CLUSTERMSG_MIN_LEN {
                server_log_raw(
                    LL_WARNING,
                    "Bad message length or signature received from Cluster bus.",
                );
                cl.free_cluster_link(&mut server.el, id);
                return;
            }
            if link.rcvbuf.len() < totlen {
                break;
            }
            let rest = link.rcvbuf.split_off(totlen);
            let pkt = std::mem::replace(&mut link.rcvbuf, rest);
            if !super::gossip::cluster_process_packet(server, id, &pkt) {
                return;
            }
        }
    }
}

/// `clusterWriteHandler`: writes as much of the send buffer as the
/// socket takes; asks for writable events while some is left.
pub fn cluster_write_handler(server: &mut Server, id: LinkId) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let Some(link) = cl.links.get_mut(id) else {
        return;
    };
    if link.connecting {
        return;
    }
    while link.sndbuf_pos < link.sndbuf.len() {
        match link.conn.write(&link.sndbuf[link.sndbuf_pos..]) {
            Ok(0) => {
                server_log_raw(LL_DEBUG, "I/O error writing to node link: short write");
                cl.free_cluster_link(&mut server.el, id);
                return;
            }
            Ok(n) => link.sndbuf_pos += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => {
                server_log_raw(LL_DEBUG, &format!("I/O error writing to node link: {e}"));
                cl.free_cluster_link(&mut server.el, id);
                return;
            }
        }
    }
    let token = link.token;
    if link.sndbuf_pos >= link.sndbuf.len() {
        link.sndbuf.clear();
        link.sndbuf_pos = 0;
        let _ = server
            .el
            .ae_set_file_event_mask(&mut link.conn, token, ae::AE_READABLE);
    } else {
        // Keep the unsent tail at the start so the buffer does not grow
        // without bound while a slow peer drains it.
        if link.sndbuf_pos > 0 {
            link.sndbuf.drain(..link.sndbuf_pos);
            link.sndbuf_pos = 0;
        }
        let _ = server.el.ae_set_file_event_mask(
            &mut link.conn,
            token,
            ae::AE_READABLE | ae::AE_WRITABLE,
        );
    }
}

/// Writes the links that got packets since the last loop turn.
pub fn cluster_flush_pending_writes(server: &mut Server) {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return;
    };
    let pending = std::mem::take(&mut cl.links_pending_write);
    for id in pending {
        if let Some(l) = server
            .cluster
            .as_deref_mut()
            .and_then(|cl| cl.links.get_mut(id))
        {
            l.pending_write = false;
        } else {
            continue;
        }
        cluster_write_handler(server, id);
    }
}

/// `clusterNodeCronHandleReconnect`'s connect: opens the outbound link of
/// a node. Returns false on a synchronous failure.
pub fn cluster_connect_node(server: &mut Server, node: NodeId) -> bool {
    let Some(cl) = server.cluster.as_deref_mut() else {
        return false;
    };
    let Some(n) = cl.nodes.get(node) else {
        return false;
    };
    let addr = match n.ip.parse::<std::net::IpAddr>() {
        Ok(ip) => std::net::SocketAddr::new(ip, n.cport),
        Err(_) => {
            server_log_raw(
                LL_DEBUG,
                &format!(
                    "Unable to connect to Cluster Node [{}]:{} -> invalid address",
                    n.ip, n.cport
                ),
            );
            return false;
        }
    };
    match mio::net::TcpStream::connect(addr) {
        Ok(stream) => cl
            .create_cluster_link(&mut server.el, stream, Some(node), true)
            .is_some(),
        Err(e) => {
            server_log_raw(
                LL_DEBUG,
                &format!(
                    "Unable to connect to Cluster Node [{}]:{} -> {}",
                    n.ip, n.cport, e
                ),
            );
            false
        }
    }
}
