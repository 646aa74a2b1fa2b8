//! The sizes Kubernetes accepts, in bytes: the config's estimate refuses early against
//! them, and the check holds the finished objects to them; one place, so both agree.

/// An object as etcd stores it by default (its JSON).
pub const MAX_OBJECT: u64 = 3 << 19;
/// An object's annotations, keys and values together.
pub const MAX_ANNOTATIONS: u64 = 256 << 10;
/// A ConfigMap's or Secret's data.
pub const MAX_CONFIG_MAP_DATA: u64 = 1 << 20;
