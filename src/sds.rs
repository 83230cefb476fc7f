//! Interim byte string; replaced by the small-string-optimised Sds (branch util).
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Debug, Default)]
pub struct Sds(Box<[u8]>);
impl Sds {
    pub fn new(b: &[u8]) -> Sds {
        Sds(b.into())
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn into_vec(self) -> Vec<u8> {
        self.0.into_vec()
    }
}
impl Deref for Sds {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}
impl Borrow<[u8]> for Sds {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}
impl Hash for Sds {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.hash(h)
    }
}
impl From<&[u8]> for Sds {
    fn from(b: &[u8]) -> Sds {
        Sds(b.into())
    }
}
impl From<Vec<u8>> for Sds {
    fn from(b: Vec<u8>) -> Sds {
        Sds(b.into_boxed_slice())
    }
}
impl From<&str> for Sds {
    fn from(b: &str) -> Sds {
        Sds(b.as_bytes().into())
    }
}

pub fn sds_split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    Some(line.split(|b| b.is_ascii_whitespace()).filter(|a| !a.is_empty()).map(|a| a.to_vec()).collect())
}
