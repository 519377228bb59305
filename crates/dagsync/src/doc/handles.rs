//! Handles: typed access to one container, borrowed from its document.

use std::fmt;

use crate::crdt::seq::Lane;
use crate::error::DocError;
use crate::value::Value;

use super::types::{ContainerId, ContainerKind, Item, NewItem};
use super::Doc;

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $getter:ident, $by_id:ident) => {
        $(#[$doc])*
        pub struct $name<'a> {
            pub(super) doc: &'a mut Doc,
            pub(super) c: u32,
        }

        impl $name<'_> {
            /// This container's id.
            pub fn id(&self) -> ContainerId {
                self.doc.container_id(self.c)
            }

        }

        impl Doc {
            #[doc = concat!("The root ", stringify!($kind), " container `name` (created on first use).")]
            pub fn $getter(&mut self, name: &str) -> $name<'_> {
                let c = self.root(name, $kind);
                $name { doc: self, c }
            }

            #[doc = concat!("The ", stringify!($kind), " container with id `id` (root or nested).")]
            pub fn $by_id(&mut self, id: &ContainerId) -> Result<$name<'_>, DocError> {
                let c = self.resolve(id)?;
                let found = self.containers[c as usize].state.kind();
                if found != $kind {
                    return Err(DocError::WrongKind { expected: $kind, found });
                }
                Ok($name { doc: self, c })
            }
        }
    };
}

handle!(
    /// A Text container: a sequence of characters, positions in chars (see the `_utf16`
    /// methods for UTF-16 positions).
    TextMut, ContainerKind::Text, get_text, text
);
handle!(
    /// A List container: an ordered sequence of values and containers.
    ListMut, ContainerKind::List, get_list, list
);
handle!(
    /// A Map container: string keys to values or containers.
    MapMut, ContainerKind::Map, get_map, map
);
handle!(
    /// A Counter container (a PN-counter).
    CounterMut, ContainerKind::Counter, get_counter, counter
);
handle!(
    /// A Set container (add-wins observed-remove set of values).
    SetMut, ContainerKind::Set, get_set, set
);
handle!(
    /// A Register container (multi-value register).
    RegisterMut, ContainerKind::Register, get_register, register
);

impl TextMut<'_> {
    /// Inserts `text` before char `index`.
    pub fn insert(&mut self, index: usize, text: &str) -> Result<(), DocError> {
        self.doc.text_insert(self.c, index as u64, text)
    }

    /// Deletes `len` chars starting at char `index`.
    pub fn delete(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        self.doc.text_delete(self.c, index as u64, len as u64)
    }

    /// Inserts `text` at UTF-16 offset `index` (as JS strings count).
    pub fn insert_utf16(&mut self, index: usize, text: &str) -> Result<(), DocError> {
        let at = self.doc.text_utf16_to_chars(self.c, index as u64)?;
        self.doc.text_insert(self.c, at, text)
    }

    /// Deletes the UTF-16 range `index .. index+len`.
    pub fn delete_utf16(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        let end = (index as u64)
            .checked_add(len as u64)
            .ok_or(DocError::OutOfRange {
                index: index as u64,
                len: len as u64,
                size: self.len_utf16() as u64,
            })?;
        let from = self.doc.text_utf16_to_chars(self.c, index as u64)?;
        let to = self.doc.text_utf16_to_chars(self.c, end)?;
        self.doc.text_delete(self.c, from, to - from)
    }

    /// Length in chars.
    pub fn len(&self) -> usize {
        self.doc.seq_len(self.c, Lane::Items) as usize
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in UTF-16 code units.
    pub fn len_utf16(&self) -> usize {
        self.doc.seq_len(self.c, Lane::Utf16) as usize
    }

    /// The UTF-16 offset of char offset `index`.
    pub fn utf16_index(&self, index: usize) -> Result<usize, DocError> {
        Ok(self.doc.text_chars_to_utf16(self.c, index as u64)? as usize)
    }

    /// The char offset of UTF-16 offset `index` (an error inside a surrogate pair).
    pub fn char_index(&self, index: usize) -> Result<usize, DocError> {
        Ok(self.doc.text_utf16_to_chars(self.c, index as u64)? as usize)
    }
}

impl fmt::Display for TextMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.doc.text_string(self.c))
    }
}

impl ListMut<'_> {
    /// Inserts a value before `index`.
    pub fn insert(&mut self, index: usize, value: impl Into<Value>) -> Result<(), DocError> {
        self.doc
            .list_insert(self.c, index as u64, vec![NewItem::Value(value.into())])
            .map(drop)
    }

    /// Inserts several items before `index` in one operation.
    pub fn insert_items(
        &mut self,
        index: usize,
        items: Vec<NewItem>,
    ) -> Result<Vec<Item>, DocError> {
        self.doc.list_insert(self.c, index as u64, items)
    }

    /// Inserts a new empty container before `index` and returns its id.
    pub fn insert_container(
        &mut self,
        index: usize,
        kind: ContainerKind,
    ) -> Result<ContainerId, DocError> {
        let items = self
            .doc
            .list_insert(self.c, index as u64, vec![NewItem::Container(kind)])?;
        match items.into_iter().next() {
            Some(Item::Container(id)) => Ok(id),
            _ => Err(DocError::UnknownContainer),
        }
    }

    /// Appends a value.
    pub fn push(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        let end = self.len();
        self.insert(end, value)
    }

    /// Deletes `len` items starting at `index`.
    pub fn delete(&mut self, index: usize, len: usize) -> Result<(), DocError> {
        self.doc.list_delete(self.c, index as u64, len as u64)
    }

    /// The item at `index`.
    pub fn get(&self, index: usize) -> Option<Item> {
        self.doc.list_get(self.c, index as u64)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.doc.seq_len(self.c, Lane::Items) as usize
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The list as a plain array value (nested containers expanded).
    pub fn to_json(&self) -> Value {
        self.doc.container_json(self.c)
    }

    /// All items in order.
    pub fn to_vec(&self) -> Vec<Item> {
        self.doc
            .list_slots(self.c)
            .into_iter()
            .map(|s| self.doc.item_of(s))
            .collect()
    }
}

impl MapMut<'_> {
    /// Sets `key` to a value.
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> Result<(), DocError> {
        self.doc
            .map_set(self.c, key, NewItem::Value(value.into()))
            .map(drop)
    }

    /// Sets `key` to a new empty container and returns its id.
    pub fn set_container(
        &mut self,
        key: &str,
        kind: ContainerKind,
    ) -> Result<ContainerId, DocError> {
        match self.doc.map_set(self.c, key, NewItem::Container(kind))? {
            Item::Container(id) => Ok(id),
            Item::Value(_) => Err(DocError::UnknownContainer),
        }
    }

    /// Deletes `key`.
    pub fn delete(&mut self, key: &str) -> Result<(), DocError> {
        self.doc.map_delete(self.c, key)
    }

    /// The winning value of `key`.
    pub fn get(&self, key: &str) -> Option<Item> {
        self.doc.map_value(self.c, key)
    }

    /// All current values of `key`, the winner first (more than one after concurrent sets).
    pub fn conflicts(&self, key: &str) -> Vec<Item> {
        self.doc.map_conflicts(self.c, key)
    }

    /// The keys, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.doc.map_keys(self.c)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys().len()
    }

    /// Whether the map has no keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map as a plain value (nested containers expanded).
    pub fn to_json(&self) -> Value {
        self.doc.container_json(self.c)
    }
}

impl CounterMut<'_> {
    /// Adds `by` (wrapping on i64 overflow).
    pub fn increment(&mut self, by: i64) -> Result<(), DocError> {
        self.doc.counter_add(self.c, by)
    }

    /// Subtracts `by`.
    pub fn decrement(&mut self, by: i64) -> Result<(), DocError> {
        self.doc.counter_add(self.c, by.wrapping_neg())
    }

    /// The current total.
    pub fn value(&self) -> i64 {
        self.doc.counter_value(self.c)
    }
}

impl SetMut<'_> {
    /// Adds a value.
    pub fn add(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        self.doc.set_add(self.c, value.into())
    }

    /// Removes a value (the additions this replica has seen).
    pub fn remove(&mut self, value: &Value) -> Result<(), DocError> {
        self.doc.set_remove(self.c, value)
    }

    /// Whether `value` is a member.
    pub fn has(&self, value: &Value) -> bool {
        self.doc.set_has(self.c, value)
    }

    /// The members, sorted.
    pub fn values(&self) -> Vec<Value> {
        self.doc.set_values(self.c)
    }
}

impl RegisterMut<'_> {
    /// Sets the value, replacing every value this replica has seen.
    pub fn set(&mut self, value: impl Into<Value>) -> Result<(), DocError> {
        self.doc.register_set(self.c, NewItem::Value(value.into()))
    }

    /// Sets the register to a new empty container and returns its id.
    pub fn set_container(&mut self, kind: ContainerKind) -> Result<ContainerId, DocError> {
        self.doc.register_set(self.c, NewItem::Container(kind))?;
        match self.doc.register_value(self.c) {
            Some(Item::Container(id)) => Ok(id),
            _ => Err(DocError::UnknownContainer),
        }
    }

    /// The winning value.
    pub fn value(&self) -> Option<Item> {
        self.doc.register_value(self.c)
    }

    /// All current values, the winner first (more than one after concurrent sets).
    pub fn conflicts(&self) -> Vec<Item> {
        self.doc.register_conflicts(self.c)
    }
}
