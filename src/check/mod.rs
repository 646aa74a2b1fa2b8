//! Phase 3, the typed check: every object the tool emits is read into its `k8s-openapi`
//! type (keys that do not survive the round trip are unknown fields), its required fields
//! are checked, and the objects are checked against each other (`wiring`). `bundle` runs it
//! on the assembled stack and yields the ordered objects every output is made from.
//!
//! A finding here is a bug in the tool, not in the admin's config: it is reported as an
//! internal error naming the object and the field.

pub mod bundle;
mod pod;
mod size;
mod typed;
mod wiring;

use crate::k8s::resid::ResId;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: ResId,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.id, self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("internal error: the generated manifests failed the typed check; please file an issue with your config\n{}", .findings.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
pub struct CheckError {
    pub findings: Vec<Finding>,
}

/// Checks the final objects; `Ok` means they are safe to print.
pub fn check(objects: &[(ResId, serde_yaml::Value)]) -> Result<(), CheckError> {
    let mut findings = Vec::new();
    let mut read = Vec::new();
    for (id, object) in objects {
        let mut found = |field: &str, message: String| {
            findings.push(Finding {
                id: id.clone(),
                field: field.into(),
                message,
            })
        };
        let json = match serde_json::to_value(object) {
            Ok(v) => v,
            Err(e) => {
                found("", format!("not representable as JSON: {e}"));
                continue;
            }
        };
        match typed::read(&id.kind, &json) {
            Ok(t) => read.push((id, t)),
            Err(lost) => {
                for l in lost {
                    found(&l.path, l.message);
                }
            }
        }
    }
    wiring::wiring(&read, &mut findings);
    size::check(objects, &mut findings);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(CheckError { findings })
    }
}
