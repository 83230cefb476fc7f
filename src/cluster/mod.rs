//! Redis Cluster (cluster.c, cluster.h); for now only the bus wire format.
pub mod msg;
