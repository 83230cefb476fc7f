//! Values stored in the keyspace: a port of `object.c`.
//!
//! In C every value is an `robj` (type, encoding, LRU clock, refcount,
//! pointer). Here a value is an [`RObj`]: the LRU/LFU clock plus a [`Value`]
//! enum whose variant is the *encoding*, so a match on it is the switch on
//! `o->encoding` of the C code. Sharing (`refcount`) is not needed in Rust:
//! values are owned by the keyspace and moved, never aliased.
//!
//! Strings come in the three encodings Redis reports to OBJECT ENCODING:
//! `int` (a number that fits a long), `embstr` (created at most 44 bytes
//! long and never modified in place) and `raw` (everything else).

use crate::sds::Sds;
use crate::util::{ll2string, string2l};

/// `OBJ_ENCODING_EMBSTR_SIZE_LIMIT`: longer strings are created raw.
pub const OBJ_ENCODING_EMBSTR_SIZE_LIMIT: usize = 44;
/// `OBJ_SHARED_INTEGERS`: Redis shares the objects of 0..10000; OBJECT
/// REFCOUNT reports them as shared.
pub const OBJ_SHARED_INTEGERS: i64 = 10000;
/// `OBJ_SHARED_REFCOUNT`, what OBJECT REFCOUNT prints for shared objects.
pub const OBJ_SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// The type of a value, as TYPE names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjType {
    String,
}

impl ObjType {
    pub fn name(self) -> &'static str {
        match self {
            ObjType::String => "string",
        }
    }
}

/// A value's representation; the variant is the encoding.
#[derive(Clone, Debug)]
pub enum Value {
    /// `OBJ_ENCODING_INT`
    Int(i64),
    /// `OBJ_ENCODING_EMBSTR`: short, immutable.
    EmbStr(Sds),
    /// `OBJ_ENCODING_RAW`: long, or modified in place (APPEND, SETRANGE...).
    Raw(Vec<u8>),
}

/// A keyspace value with its access clock (LRU seconds or LFU counter).
#[derive(Clone, Debug)]
pub struct RObj {
    pub value: Value,
    pub lru: u32,
}

impl RObj {
    pub fn new(value: Value) -> RObj {
        RObj { value, lru: 0 }
    }

    /// `createStringObject`: embstr up to 44 bytes, raw above.
    pub fn create_string_object(s: &[u8]) -> RObj {
        if s.len() <= OBJ_ENCODING_EMBSTR_SIZE_LIMIT {
            RObj::new(Value::EmbStr(Sds::new(s)))
        } else {
            RObj::new(Value::Raw(s.to_vec()))
        }
    }

    /// `createStringObjectFromLongLong`.
    pub fn create_string_object_from_long_long(v: i64) -> RObj {
        RObj::new(Value::Int(v))
    }

    /// `tryObjectEncoding` for an argument about to be stored: numbers that
    /// fit a long become `int`, short strings `embstr`; takes ownership of
    /// the argument so a large value is stored without a copy.
    pub fn try_object_encoding(s: Vec<u8>) -> RObj {
        if s.len() <= 20 {
            if let Some(v) = string2l(&s) {
                return RObj::new(Value::Int(v));
            }
        }
        if s.len() <= OBJ_ENCODING_EMBSTR_SIZE_LIMIT {
            RObj::new(Value::EmbStr(Sds::new(&s)))
        } else {
            RObj::new(Value::Raw(s))
        }
    }

    pub fn obj_type(&self) -> ObjType {
        match self.value {
            Value::Int(_) | Value::EmbStr(_) | Value::Raw(_) => ObjType::String,
        }
    }

    /// `strEncoding`: the name OBJECT ENCODING prints.
    pub fn encoding_name(&self) -> &'static str {
        match self.value {
            Value::Int(_) => "int",
            Value::EmbStr(_) => "embstr",
            Value::Raw(_) => "raw",
        }
    }

    /// OBJECT REFCOUNT: shared small integers report `OBJ_SHARED_REFCOUNT`.
    pub fn refcount(&self) -> i64 {
        match self.value {
            Value::Int(v) if (0..OBJ_SHARED_INTEGERS).contains(&v) => OBJ_SHARED_REFCOUNT,
            _ => 1,
        }
    }

    /// The bytes of a string value; an `int` is written into `buf`.
    pub fn string_bytes<'a>(&'a self, buf: &'a mut [u8; 24]) -> Option<&'a [u8]> {
        match &self.value {
            Value::Int(v) => {
                let n = ll2string(buf, *v);
                Some(&buf[..n])
            }
            Value::EmbStr(s) => Some(s.as_bytes()),
            Value::Raw(v) => Some(v),
        }
    }

    /// `stringObjectLen`.
    pub fn string_len(&self) -> Option<usize> {
        let mut buf = [0u8; 24];
        self.string_bytes(&mut buf).map(|b| b.len())
    }

    /// The string as an owned, modifiable buffer, turning the value `raw`
    /// (`dbUnshareStringValue`): used by APPEND and SETRANGE.
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        let bytes = match &self.value {
            Value::Raw(_) => None,
            Value::Int(v) => Some(v.to_string().into_bytes()),
            Value::EmbStr(s) => Some(s.to_vec()),
        };
        if let Some(b) = bytes {
            self.value = Value::Raw(b);
        }
        match &mut self.value {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    /// `getLongLongFromObject` on a string value.
    pub fn get_long_long(&self) -> Option<i64> {
        match &self.value {
            Value::Int(v) => Some(*v),
            Value::EmbStr(s) => crate::util::string2ll(s),
            Value::Raw(v) => crate::util::string2ll(v),
        }
    }
}
