//! The cluster bus wire format (the message structs of `cluster.h`).
//!
//! Placeholder with the sizes the node structures need; the encoder and
//! decoder are being written on branch `cluster-msg` and replace this file.

pub const CLUSTER_SLOTS: usize = 16384;
pub const CLUSTER_NAMELEN: usize = 40;
pub const CLUSTERMSG_TYPE_COUNT: u16 = 11;
pub type NodeName = [u8; CLUSTER_NAMELEN];
pub type SlotBitmap = [u8; CLUSTER_SLOTS / 8];
