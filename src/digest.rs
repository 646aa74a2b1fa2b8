//! A short, stable digest of text, used to notice a change: of a ConfigMap, so pods roll
//! when their config changes, and of a generated file, so a hand edit is recognised.
//! FNV-1a: cheap and dependency-free; it is not meant to resist a deliberate collision.

/// The 64-bit FNV-1a hash of `parts`, read one after another, as 16 hex digits.
pub fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.into_iter().flat_map(str::bytes) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
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
