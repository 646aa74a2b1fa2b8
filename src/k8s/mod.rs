//! What the tool knows of Kubernetes itself, shared by every phase: the string rules the
//! API server applies (names, labels, quantities, durations, images), the strict round
//! trip through `k8s-openapi` types, and the identity of an object. Depends on nothing
//! else in the crate.

pub mod duration;
pub mod limits;
pub mod quantity;
pub mod resid;
pub mod roundtrip;
pub mod syntax;
