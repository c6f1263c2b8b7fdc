//! Checks of the spec: [`progenitor`] (shapes progenitor 0.15 would panic on, refused before it
//! runs), [`drift`] (real answers against the spec), [`surface`] (the API surface, snapshotted).

pub mod drift;
pub(crate) mod progenitor;
pub(crate) mod surface;
