//! Every key a config's `spec` accepts, read off the typed config itself (`RawSpec`), so
//! the list cannot drift from what the parser takes: the key table in `docs/keys.md` is checked
//! against it.
//!
//! It works by deserializing a `RawSpec` from a `Walker`, a serde `Deserializer` that
//! records the path of every value it is asked for and answers with an empty one. Struct
//! fields are followed; anything else (a scalar, a free-form map, a Kubernetes object kept
//! as YAML) is a key. A list of structs is a key, and so is each field of its items
//! (`queues[].name`).

use crate::config::raw::RawSpec;
use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::cell::RefCell;

/// The dotted paths of every key `spec` accepts, sorted.
pub fn accepted_keys() -> Vec<String> {
    let keys = RefCell::new(Vec::new());
    // The walker never fails: every value it is asked for exists and is empty.
    let _ = RawSpec::deserialize(Walker {
        path: "",
        keys: &keys,
    });
    let mut keys = keys.into_inner();
    keys.sort();
    keys.dedup();
    keys
}

#[derive(Clone, Copy)]
struct Walker<'k> {
    path: &'k str,
    keys: &'k RefCell<Vec<String>>,
}

/// A walker that owns its path: a child's, built on the way down.
struct Owned<'k> {
    path: String,
    keys: &'k RefCell<Vec<String>>,
}

impl<'k> Owned<'k> {
    fn walker(&self) -> Walker<'_> {
        Walker {
            path: &self.path,
            keys: self.keys,
        }
    }
}

impl Walker<'_> {
    fn record(&self) {
        if !self.path.is_empty() && !self.path.ends_with("[]") {
            self.keys.borrow_mut().push(self.path.to_string());
        }
    }

    fn child(&self, name: &str) -> Owned<'_> {
        let path = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        };
        Owned {
            path,
            keys: self.keys,
        }
    }
}

#[derive(Debug)]
struct Never(String);

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Never {}

impl de::Error for Never {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Never(msg.to_string())
    }
}

macro_rules! leaf {
    ($($method:ident => $visit:ident($($value:expr)?);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Never> {
            self.record();
            visitor.$visit($($value)?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Walker<'_> {
    type Error = Never;

    leaf! {
        deserialize_any => visit_unit();
        deserialize_bool => visit_bool(false);
        deserialize_i8 => visit_i64(0);
        deserialize_i16 => visit_i64(0);
        deserialize_i32 => visit_i64(0);
        deserialize_i64 => visit_i64(0);
        deserialize_u8 => visit_u64(0);
        deserialize_u16 => visit_u64(0);
        deserialize_u32 => visit_u64(0);
        deserialize_u64 => visit_u64(0);
        deserialize_f32 => visit_f64(0.0);
        deserialize_f64 => visit_f64(0.0);
        deserialize_char => visit_char(' ');
        deserialize_str => visit_str("");
        deserialize_string => visit_str("");
        deserialize_bytes => visit_bytes(&[]);
        deserialize_byte_buf => visit_bytes(&[]);
        deserialize_unit => visit_unit();
        deserialize_identifier => visit_str("");
        deserialize_ignored_any => visit_unit();
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Never> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Never> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Never> {
        visitor.visit_newtype_struct(self)
    }

    /// A list: a key, whose one pretend item is walked at `path[]`.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Never> {
        self.record();
        let item = Owned {
            path: format!("{}[]", self.path),
            keys: self.keys,
        };
        visitor.visit_seq(OneItem(Some(item.walker())))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Never> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Never> {
        self.deserialize_seq(visitor)
    }

    /// A free-form map is a key of its own; its entries are the admin's.
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Never> {
        self.record();
        visitor.visit_map(Fields {
            walker: self,
            fields: &[],
            next: 0,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Never> {
        visitor.visit_map(Fields {
            walker: self,
            fields,
            next: 0,
        })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Never> {
        self.record();
        let first: de::value::StrDeserializer<'_, Never> = variants
            .first()
            .copied()
            .unwrap_or_default()
            .into_deserializer();
        visitor.visit_enum(first)
    }
}

/// A list with one item, the walker at `path[]`.
struct OneItem<'k>(Option<Walker<'k>>);

impl<'de> SeqAccess<'de> for OneItem<'_> {
    type Error = Never;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Never> {
        self.0.take().map(|w| seed.deserialize(w)).transpose()
    }
}

/// A struct's fields, each with the walker at its path.
struct Fields<'k> {
    walker: Walker<'k>,
    fields: &'static [&'static str],
    next: usize,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Never;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Never> {
        let Some(field) = self.fields.get(self.next) else {
            return Ok(None);
        };
        let name: de::value::StrDeserializer<'_, Never> = field.into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Never> {
        let field = self.fields[self.next];
        self.next += 1;
        let child = self.walker.child(field);
        seed.deserialize(child.walker())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_structs_lists_of_structs_and_stops_at_free_form_values() {
        let keys = accepted_keys();
        for key in [
            "mode",
            "executor.frontendUrl",
            "executor.storage.type",
            "executor.env",
            "dind.daemonConfig",
            "dind.gVisor.enabled",
            "queues",
            "queues[].name",
            "queues[].queueNames",
            "sourcegraph.imagePullSecrets[].name",
        ] {
            assert!(keys.contains(&key.to_string()), "{key} in {keys:?}");
        }
        for not_a_key in [
            "executor",
            "executor.storage",
            "queues[]",
            "executor.env.value",
        ] {
            assert!(!keys.contains(&not_a_key.to_string()), "{not_a_key}");
        }
    }
}
