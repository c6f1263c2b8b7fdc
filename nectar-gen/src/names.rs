//! Names as the generated code spells them.

/// A JSON or schema name as a Rust field or module name: `totalConnections` ->
/// `total_connections`, `UsageData` -> `usage_data`.
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
