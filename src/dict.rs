//! Interim dict over std HashMap; replaced by the incremental-rehash Dict (branch dict).
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Dict<K, V>(HashMap<K, V>);
impl<K: Hash + Eq, V> Default for Dict<K, V> {
    fn default() -> Self {
        Dict(HashMap::new())
    }
}
impl<K: Hash + Eq, V> Dict<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.0.get(k)
    }
    pub fn get_mut<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        self.0.get_mut(k)
    }
    pub fn get_key_value<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
    {
        self.0.get_key_value(k)
    }
    pub fn contains_key<Q: ?Sized + Hash + Eq>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.0.contains_key(k)
    }
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        self.0.insert(k, v)
    }
    pub fn remove<Q: ?Sized + Hash + Eq>(&mut self, k: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
    {
        self.0.remove_entry(k)
    }
    pub fn clear(&mut self) {
        self.0.clear()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter()
    }
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut()
    }
    pub fn drain(&mut self) -> impl Iterator<Item = (K, V)> + '_ {
        self.0.drain()
    }
    pub fn scan<F: FnMut(&K, &V)>(&self, _cursor: u64, mut f: F) -> u64 {
        for (k, v) in self.0.iter() {
            f(k, v)
        }
        0
    }
    pub fn random_entry(&self) -> Option<(&K, &V)> {
        self.0.iter().next()
    }
    pub fn fair_random_entry(&self) -> Option<(&K, &V)> {
        self.0.iter().next()
    }
    pub fn some_entries(&self, count: usize) -> Vec<(&K, &V)> {
        self.0.iter().take(count).collect()
    }
    pub fn rehash_milliseconds(&mut self, _ms: u64) -> bool {
        false
    }
    pub fn is_rehashing(&self) -> bool {
        false
    }
    pub fn try_shrink(&mut self) -> bool {
        false
    }
    pub fn set_resize_allowed(&mut self, _allowed: bool) {}
    pub fn buckets(&self) -> usize {
        self.0.capacity()
    }
}
