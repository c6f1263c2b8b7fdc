//! The DSL the API description is written in: [`operation`] (operations registered on an `Api`,
//! which assembles paths and components), [`schema`] (presence and nullability by field type,
//! and the formats: `Decimal`, `Binary`, `Secret`), [`enums`] (`documented_enum!`).

pub(crate) mod enums;
pub(crate) mod operation;
pub(crate) mod schema;
