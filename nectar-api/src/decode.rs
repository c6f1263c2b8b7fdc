//! Decoding JSON within a heap budget: what an answer decodes to is bounded by its size, not only
//! the bytes read.
//!
//! `max_response_size` bounds the bytes read, but a few bytes can decode to much more: `{}` in an
//! array is three bytes and a whole struct of the element type (hundreds of bytes), `""` is a
//! 24-byte `String`, and a `Vec` reserves up to twice what it holds. So every answer the client
//! decodes goes through [`decode`], which wraps serde_json's deserializer in one that charges
//! what the value being built allocates (each element a `Vec` grows by, each map entry, each
//! string's bytes) against an allowance of [`MAX_DECODE_RATIO`] times the body's size (at
//! least [`MIN_DECODE_ALLOWANCE`]), and stops decoding at the first charge past it. Nothing is
//! special-cased per type or field: the charge of an element is `size_of` of the element type
//! that serde is about to push, so it holds for every type the bindings have and will have.
//!
//! The charge models what the standard collections allocate (a `Vec`'s capacity as it doubles;
//! a map's first node and its entries; a string's bytes) rather than intercepting the allocator,
//! which a library cannot do; `nectar-tests` checks it against a counting allocator
//! (`hostile_memory`), and BENCHMARKS.md records the figures.

use std::{
    cell::{Cell, RefCell},
    fmt,
    mem::size_of,
};

mod noted;

pub(crate) use noted::Found;
use noted::{Frame, FrameKind, Key, Noted};

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// An answer may decode to at most this many times its size in bytes (the body included).
pub const MAX_DECODE_RATIO: usize = 8;

/// The smallest allowance, in bytes: a small answer may always decode to this much (a short
/// body holding one large struct is not an attack).
pub const MIN_DECODE_ALLOWANCE: usize = 64 * 1024;

/// How many bytes of decoded data a body of `len` bytes may become: [`MAX_DECODE_RATIO`] times
/// its size, less the body (it stays in memory while it is decoded) and as much again for what
/// the charges do not see (the allocator's rounding, the connection's buffers), and at least
/// [`MIN_DECODE_ALLOWANCE`].
pub(crate) fn allowance(len: usize) -> usize {
    len.saturating_mul(MAX_DECODE_RATIO - 2)
        .max(MIN_DECODE_ALLOWANCE)
}

/// Why [`decode`] failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The value would have taken more than `allowance` bytes; decoding stopped there.
    OverBudget {
        /// The allowance that was used up, in bytes.
        allowance: usize,
        /// serde_json's error at the point decoding stopped.
        source: serde_json::Error,
    },
    /// The body is not the JSON of the type.
    Invalid(serde_json::Error),
}

impl Failure {
    /// serde_json's error, whichever the failure.
    pub(crate) fn into_source(self) -> serde_json::Error {
        match self {
            Failure::OverBudget { source, .. } | Failure::Invalid(source) => source,
        }
    }
}

/// Decodes JSON as the client decodes every answer: as `serde_json::from_slice` would, within
/// [`MAX_DECODE_RATIO`] times the body's size. For bodies you fetched or kept yourself (a page
/// stored for later, a fixture).
///
/// # Errors
///
/// [`ErrorKind::ResponseTooLarge`](crate::ErrorKind::ResponseTooLarge) when the value would
/// take more than that ([`Error::limit`](crate::Error::limit) gives the allowance), and
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode) when `body` is not the JSON of `T` (the
/// message masks the values of sensitive fields).
///
/// ```
/// use nectar_api::{ErrorKind, types::Company};
///
/// const HEAD: &str = r#"{"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "name": "Acme",
///     "isDemandEnabled": false, "sites": [], "users": ["#;
/// let company: Company = nectar_api::from_slice(format!("{HEAD}]}}").as_bytes())?;
/// assert_eq!(company.name, "Acme");
///
/// // 3 bytes per `"",` and a 24-byte `String` each (48 as the `Vec` doubles): refused before
/// // the memory is taken.
/// let mut inflated = HEAD.as_bytes().to_vec();
/// inflated.extend(b"\"\",".repeat(1 << 20));
/// inflated.extend(b"\"\"]}");
/// let error = nectar_api::from_slice::<Company>(&inflated).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::ResponseTooLarge);
/// # Ok::<(), nectar_api::Error>(())
/// ```
pub fn from_slice<T: DeserializeOwned>(body: &[u8]) -> Result<T, crate::Error> {
    use crate::{Error, ErrorKind};
    decode(body).map_err(|failure| match failure {
        Failure::OverBudget { allowance, .. } => {
            Error::decoded_too_large(body.len(), allowance as u64)
        }
        Failure::Invalid(source) => Error::new(
            ErrorKind::Decode,
            format!(
                "the body does not decode: {}",
                crate::redact::cut_at_secret(&crate::redact::redact_text(&source.to_string()))
            ),
        ),
    })
}

/// Decodes `body` as `T` (exactly as `serde_json::from_slice` would), but stops as soon as the
/// value being built would take more than [`allowance`]`(body.len())` bytes of heap.
/// What it had that the bindings do not know is warned of once per process (see
/// [`crate::drift`]); a client's answers go through [`decode_noting_drift`] instead.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    let (decoded, found) = decode_noting_drift(body);
    for item in found {
        crate::drift::warn_once(&item.into(), None);
    }
    decoded
}

/// [`decode`], and what the answer had that `T` does not know: fields its schemas do not have
/// (by schema and path), and values its enums do not know (see [`crate::drift`]). Names only,
/// never values of fields; each at most once per answer.
pub(crate) fn decode_noting_drift<T: DeserializeOwned>(
    body: &[u8],
) -> (Result<T, Failure>, Vec<Found>) {
    let allowance = allowance(body.len());
    let budget = Budget {
        left: Cell::new(allowance),
        exceeded: Cell::new(false),
        key: Cell::new(Key::None),
        frames: RefCell::new(Vec::new()),
        found: RefCell::new(Vec::new()),
        noted: RefCell::new(Vec::new()),
    };
    crate::drift::start_decode();
    let mut json = serde_json::Deserializer::from_slice(body);
    let decoded = T::deserialize(Counted {
        inner: &mut json,
        budget: &budget,
        field_value: false,
    })
    .and_then(|value| json.end().map(|()| value));
    let mut found = budget.found.into_inner();
    crate::drift::end_decode(&mut found);
    let decoded = decoded.map_err(|source| {
        if budget.exceeded.get() {
            Failure::OverBudget { allowance, source }
        } else {
            Failure::Invalid(source)
        }
    });
    (decoded, found)
}

/// What is left of the allowance, and the drift noted, shared by every wrapper of one decode.
struct Budget<'de> {
    left: Cell<usize>,
    exceeded: Cell<bool>,
    key: Cell<Key<'de>>,
    frames: RefCell<Vec<Frame<'de>>>,
    found: RefCell<Vec<Found>>,
    noted: RefCell<Vec<Noted<'de>>>,
}

impl Budget<'_> {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom(format_args!(
                    "the decoded value would be more than {MAX_DECODE_RATIO} times the size of \
                     the answer"
                )))
            }
        }
    }
}

/// What a visitor builds from a string or a map, which decides what is charged.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A struct, a sequence, a scalar: strings are charged; a map's entries are fields held in
    /// the struct itself, so they are not.
    Plain,
    /// A map or a self-describing value (`serde_json::Value`, serde's buffered content): each
    /// entry is charged, as the map allocates it.
    Map,
    /// A field or variant name: matched, not kept, so not charged.
    Identifier,
    /// A struct: as `Plain`, and its map's values are its fields (for drift).
    Struct,
}

/// A deserializer whose visitors charge the budget.
struct Counted<'b, 'de, D> {
    inner: D,
    budget: &'b Budget<'de>,
    /// The value of a struct's field (a value skipped here is a field the schema lacks).
    field_value: bool,
}

impl<'b, 'de, D> Counted<'b, 'de, D> {
    fn visitor<V>(&self, inner: V, kind: Kind) -> Counting<'b, 'de, V> {
        Counting {
            inner,
            budget: self.budget,
            kind,
        }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*) => $kind:ident;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                let visitor = self.visitor(visitor, Kind::$kind);
                self.inner.$method($($arg,)* visitor)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Counted<'_, 'de, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any() => Map;
        deserialize_bool() => Plain;
        deserialize_i8() => Plain;
        deserialize_i16() => Plain;
        deserialize_i32() => Plain;
        deserialize_i64() => Plain;
        deserialize_i128() => Plain;
        deserialize_u8() => Plain;
        deserialize_u16() => Plain;
        deserialize_u32() => Plain;
        deserialize_u64() => Plain;
        deserialize_u128() => Plain;
        deserialize_f32() => Plain;
        deserialize_f64() => Plain;
        deserialize_char() => Plain;
        deserialize_str() => Plain;
        deserialize_string() => Plain;
        deserialize_bytes() => Plain;
        deserialize_byte_buf() => Plain;
        deserialize_option() => Plain;
        deserialize_unit() => Plain;
        deserialize_unit_struct(name: &'static str) => Plain;
        deserialize_newtype_struct(name: &'static str) => Plain;
        deserialize_tuple(len: usize) => Plain;
        deserialize_tuple_struct(name: &'static str, len: usize) => Plain;
        deserialize_enum(name: &'static str, variants: &'static [&'static str]) => Plain;
        deserialize_identifier() => Identifier;
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let budget = self.budget;
        budget.enter("", FrameKind::Seq);
        let value = self.inner.deserialize_seq(Counting {
            inner: visitor,
            budget,
            kind: Kind::Plain,
        });
        budget.leave();
        value
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let budget = self.budget;
        budget.enter("", FrameKind::Map);
        let value = self.inner.deserialize_map(Counting {
            inner: visitor,
            budget,
            kind: Kind::Map,
        });
        budget.leave();
        value
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let budget = self.budget;
        budget.enter(name, FrameKind::Struct);
        let value = self.inner.deserialize_struct(
            name,
            fields,
            Counting {
                inner: visitor,
                budget,
                kind: Kind::Struct,
            },
        );
        budget.leave();
        value
    }

    /// Skipped values are never built: nothing to charge, nothing to wrap. In a struct, the
    /// value of a field its schema does not have: noted as drift.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        if self.field_value {
            self.budget.skipped();
        }
        self.inner.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor that charges what its value takes and wraps what it is handed.
struct Counting<'b, 'de, V> {
    inner: V,
    budget: &'b Budget<'de>,
    kind: Kind,
}

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
                self.inner.$method(value)
            }
        )*
    };
}

macro_rules! charge_visit {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
                if self.kind != Kind::Identifier {
                    self.budget.charge(value.len())?;
                } else {
                    self.budget.key.set(Key::Escaped);
                }
                self.inner.$method(value)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Counting<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(formatter)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
    }

    /// A key (a field's name) as it stands in the body: kept for the path of an unknown field.
    fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Self::Value, E> {
        if self.kind != Kind::Identifier {
            self.budget.charge(value.len())?;
        } else {
            self.budget.key.set(Key::Borrowed(value));
        }
        self.inner.visit_borrowed_str(value)
    }

    charge_visit! {
        visit_str(&str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(Counted {
            inner,
            budget: self.budget,
            field_value: false,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(Counted {
            inner,
            budget: self.budget,
            field_value: false,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_seq(CountedSeq {
            inner,
            budget: self.budget,
            len: 0,
            capacity: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(CountedMap {
            inner,
            budget: self.budget,
            of_struct: self.kind == Kind::Struct,
            charged: self.kind == Kind::Map,
            keys: 0,
            values: 0,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, inner: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(CountedEnum {
            inner,
            budget: self.budget,
        })
    }
}

/// A seed whose deserializer charges the budget.
struct CountedSeed<'b, 'de, S> {
    inner: S,
    budget: &'b Budget<'de>,
    field_value: bool,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CountedSeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Counted {
            inner,
            budget: self.budget,
            field_value: self.field_value,
        })
    }
}

/// A sequence's elements, charged as a `Vec` grows to hold them: from nothing to its minimum
/// capacity, then doubling.
struct CountedSeq<'b, 'de, A> {
    inner: A,
    budget: &'b Budget<'de>,
    len: usize,
    capacity: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for CountedSeq<'_, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let element = self.inner.next_element_seed(CountedSeed {
            inner: seed,
            budget: self.budget,
            field_value: false,
        })?;
        if element.is_some() {
            let size = size_of::<S::Value>();
            if self.len == self.capacity && size > 0 {
                // `Vec`'s growth: at least 8 elements of one byte, 4 of up to 1 KiB, 1 beyond.
                let minimum = match size {
                    1 => 8,
                    2..=1024 => 4,
                    _ => 1,
                };
                let grown = self.capacity.saturating_mul(2).max(minimum);
                self.budget
                    .charge((grown - self.capacity).saturating_mul(size))?;
                self.capacity = grown;
            }
            self.len += 1;
        }
        Ok(element)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A map's entries, charged when the map is one (not a struct's fields): its first entries
/// cost a whole node of a B-tree (eleven entries), each one after a share of the nodes it
/// splits into.
struct CountedMap<'b, 'de, A> {
    inner: A,
    budget: &'b Budget<'de>,
    /// The fields of a struct (not a map, not serde_json's raw value).
    of_struct: bool,
    charged: bool,
    keys: usize,
    values: usize,
}

/// Entries of a B-tree node (`std`'s `BTreeMap`, which `serde_json::Map` is).
const NODE_ENTRIES: usize = 11;
/// What one entry costs once the map is past its first node: nodes are at least half full,
/// and hold their edges too.
const ENTRY_SHARE: usize = 3;

fn entry_charge(count: usize, size: usize) -> usize {
    if count == 0 {
        size.saturating_mul(NODE_ENTRIES + 1)
    } else {
        size.saturating_mul(ENTRY_SHARE)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for CountedMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let key = self.inner.next_key_seed(CountedSeed {
            inner: seed,
            budget: self.budget,
            field_value: false,
        })?;
        if self.charged && key.is_some() {
            self.budget
                .charge(entry_charge(self.keys, size_of::<S::Value>()))?;
            self.keys += 1;
        }
        Ok(key)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let value = self.inner.next_value_seed(CountedSeed {
            inner: seed,
            budget: self.budget,
            field_value: self.of_struct,
        })?;
        if self.charged {
            self.budget
                .charge(entry_charge(self.values, size_of::<S::Value>()))?;
            self.values += 1;
        }
        Ok(value)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// An enum's variant name and content, charged as the rest.
struct CountedEnum<'b, 'de, A> {
    inner: A,
    budget: &'b Budget<'de>,
}

impl<'de, 'b, A: EnumAccess<'de>> EnumAccess<'de> for CountedEnum<'b, 'de, A> {
    type Error = A::Error;
    type Variant = CountedEnum<'b, 'de, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(CountedSeed {
            inner: seed,
            budget: self.budget,
            field_value: false,
        })?;
        Ok((
            value,
            CountedEnum {
                inner: variant,
                budget: self.budget,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for CountedEnum<'_, 'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(CountedSeed {
            inner: seed,
            budget: self.budget,
            field_value: false,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            Counting {
                inner: visitor,
                budget: self.budget,
                kind: Kind::Plain,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            Counting {
                inner: visitor,
                budget: self.budget,
                kind: Kind::Plain,
            },
        )
    }
}

#[cfg(test)]
mod tests;
