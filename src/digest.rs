//! A short, stable digest of text, used to notice a change: of a ConfigMap, so pods roll
//! when their config changes, and of a generated file, so a hand edit is recognised.
//! FNV-1a: cheap and dependency-free; it is not meant to resist a deliberate collision.

use std::hash::Hasher;

/// The 64-bit FNV-1a hash of `parts`, read one after another, as 16 hex digits.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Fnv1a::default();
    for part in parts {
        hash.write(part.as_bytes());
    }
    format!("{:016x}", hash.finish())
}

/// FNV-1a as a `Hasher`, for hashing structure as well as text (the check's shape hash).
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_fnv1a_reference_values_and_streams() {
        assert_eq!(digest([""]), "cbf29ce484222325");
        assert_eq!(digest(["a"]), "af63dc4c8601ec8c");
        assert_eq!(digest(["foo", "bar"]), digest(["foobar"]));
    }
}
