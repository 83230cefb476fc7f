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
//!
//! The OBJECT command and the `get*FromObjectOrReply` helpers, which read a
//! number out of an argument and reply with Redis's error when it is not
//! one, live here as in C.

use crate::db::{LOOKUP_NONOTIFY, LOOKUP_NOTOUCH};
use crate::networking::Client;
use crate::sds::Sds;
use crate::server::Server;
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

// ----------------------------------------------------------------------
// Reading numbers out of arguments, replying with the C error strings.
// ----------------------------------------------------------------------

/// `getLongLongFromObjectOrReply`: `msg` replaces the default error.
pub fn get_long_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    let v = crate::util::string2ll(arg);
    if v.is_none() {
        c.add_reply_error(msg.unwrap_or("value is not an integer or out of range"));
    }
    v
}

/// `getLongFromObjectOrReply`: a `long` is 64 bits here, as on the
/// platforms Redis 7 targets, so this is the long long version.
pub fn get_long_from_object_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    get_long_long_from_object_or_reply(c, arg, msg)
}

/// `getRangeLongFromObjectOrReply`.
pub fn get_range_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    min: i64,
    max: i64,
    msg: Option<&str>,
) -> Option<i64> {
    let v = get_long_from_object_or_reply(c, arg, msg)?;
    if v < min || v > max {
        match msg {
            Some(m) => c.add_reply_error(m),
            None => c.add_reply_error(&format!(
                "value is out of range, value must between {min} and {max}"
            )),
        }
        return None;
    }
    Some(v)
}

/// `getPositiveLongFromObjectOrReply`: 0 included.
pub fn get_positive_long_from_object_or_reply(
    c: &mut Client,
    arg: &[u8],
    msg: Option<&str>,
) -> Option<i64> {
    let msg = msg.unwrap_or("value is out of range, must be positive");
    get_range_long_from_object_or_reply(c, arg, 0, i64::MAX, Some(msg))
}

/// `getIntFromObjectOrReply`.
pub fn get_int_from_object_or_reply(c: &mut Client, arg: &[u8], msg: Option<&str>) -> Option<i64> {
    get_range_long_from_object_or_reply(c, arg, i32::MIN as i64, i32::MAX as i64, msg)
}

// ----------------------------------------------------------------------
// The OBJECT command.
// ----------------------------------------------------------------------

const LFU_IDLETIME_ERR: &str = "An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const NO_LFU_FREQ_ERR: &str = "An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// `objectCommandLookup`: looking at a key with OBJECT must not count as
/// an access, or OBJECT IDLETIME would always say 0.
pub fn object_command_lookup<'a>(
    server: &'a mut Server,
    c: &Client,
    key: &[u8],
) -> Option<&'a mut RObj> {
    server.lookup_key_read_with_flags(c.db, key, LOOKUP_NOTOUCH | LOOKUP_NONOTIFY)
}

/// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP
pub fn object_command(server: &mut Server, c: &mut Client) {
    let sub = c.argv[1].to_ascii_lowercase();
    if c.argv.len() == 2 && sub == b"help" {
        c.add_reply_help(
            "object",
            &[
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            ],
        );
        return;
    }
    if c.argv.len() != 3 || !matches!(&sub[..], b"refcount" | b"encoding" | b"idletime" | b"freq") {
        c.add_reply_subcommand_syntax_error();
        return;
    }
    let key = std::mem::take(&mut c.argv[2]);
    let lfu = server.lfu_enabled();
    let Some(o) = object_command_lookup(server, c, &key) else {
        c.add_reply_null();
        return;
    };
    let (refcount, encoding, lru) = (o.refcount(), o.encoding_name(), o.lru);
    match &sub[..] {
        b"refcount" => c.add_reply_long_long(refcount),
        b"encoding" => c.add_reply_bulk(encoding.as_bytes()),
        b"idletime" => {
            if lfu {
                c.add_reply_error(LFU_IDLETIME_ERR);
                return;
            }
            let idle = server.estimate_object_idle_time(lru) / 1000;
            c.add_reply_long_long(idle as i64);
        }
        _ => {
            if !lfu {
                c.add_reply_error(NO_LFU_FREQ_ERR);
                return;
            }
            // Decay first: the stored counter is only brought up to date
            // when the key is accessed.
            let freq = server.lfu_decr_and_return(lru);
            c.add_reply_long_long(freq as i64);
        }
    }
}
