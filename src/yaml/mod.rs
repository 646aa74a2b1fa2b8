//! Reading YAML (and JSON) that nobody vouches for: the manifest stream `check` reads and
//! the `ResourceList` kpt hands `fn`. Every reader of such text goes through here, so the
//! limits below hold for all of them, in time and in memory, whatever the text holds:
//!
//! - the text itself: at most [`MAX_STREAM_BYTES`] (the caller reads no more);
//! - nesting: at most 100 levels, refused before the parser reads deeper;
//! - values (each scalar, key, list and mapping): one for every 8 bytes of text, plus
//!   250,000, and 5 million at most; 64 MiB of scalar text. A value costs about 120 bytes
//!   of memory while read, so memory stays a small multiple of the text, whatever it is;
//! - aliases: an alias costs what it copies, and the copies may add no more than the text
//!   writes out (plus 100,000 values and 1 MiB), so an alias bomb stops at once;
//! - documents: at most 100,000 (each costs memory beyond its values); `check` holds the
//!   objects it reads to the same number, a `List`'s items counted one by one.
//!
//! Scalars mean what the reader that matters reads (`scalar`): kubectl's YAML 1.1 for
//! `check`. A stream whose first character is `{` is JSON, as kubectl takes it.

mod json;
mod loader;
mod position;
mod scalar;

pub use json::is_json;
pub use loader::{location, Document, Loader, Observer, Place, Seen};
pub use position::Positions;
pub use scalar::Schema;

use crate::diagnostic::Problem;

/// The largest stream read: the largest output `render` makes is 64 MiB (and 5 million
/// values, the values limit below), and what kustomize builds from it is no larger.
pub const MAX_STREAM_BYTES: u64 = 64 << 20;

/// How much one stream may hold, counted as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Nesting depth; the deepest Kubernetes object (a CRD's schema) is about 30.
    pub depth: usize,
    /// Values (scalars, keys, lists, mappings), each alias counted as what it copies.
    pub values: usize,
    /// A text may hold one value for every `bytes_per_value` of its bytes, plus
    /// `free_values`: a kustomize build holds one for every 14 bytes.
    pub bytes_per_value: usize,
    pub free_values: usize,
    /// Scalar text in bytes, aliases counted as what they copy.
    pub text_bytes: usize,
    /// Documents; `check` also holds its objects to this, a `List`'s items one by one.
    pub documents: usize,
}

impl Limits {
    /// For a stream of manifests or a `ResourceList`: what `render` can make, and no more.
    pub const STREAM: Limits = Limits {
        depth: 100,
        values: 5_000_000,
        bytes_per_value: 8,
        free_values: 250_000,
        text_bytes: 64 << 20,
        documents: 100_000,
    };

    /// The values a text of `len` bytes may hold.
    pub fn values_for(&self, len: usize) -> usize {
        self.values
            .min(self.free_values.saturating_add(len / self.bytes_per_value))
    }

    /// Which limit `values` and `bytes` of scalar text go over, in a text of `len` bytes.
    fn exceeded(&self, values: usize, bytes: usize, len: usize) -> Option<String> {
        if values > self.values {
            Some(format!("more than {} values", self.values))
        } else if values > self.values_for(len) {
            Some(format!(
                "more than {} values, too many for its size (one for every {} bytes, plus {})",
                self.values_for(len),
                self.bytes_per_value,
                self.free_values
            ))
        } else if bytes > self.text_bytes {
            Some(format!("more than {} MiB of text", self.text_bytes >> 20))
        } else {
            None
        }
    }
}

/// Every document of a stream (YAML, or JSON when it starts with `{`), with its line.
pub fn documents(text: &str, schema: Schema, limits: Limits) -> Result<Vec<Document>, Problem> {
    if is_json(text) {
        return json::documents(text, schema, limits);
    }
    let mut loader = Loader::new(text, schema, limits);
    let mut docs = Vec::new();
    while let Some(doc) = loader.next_document()? {
        docs.push(doc);
    }
    Ok(docs)
}
