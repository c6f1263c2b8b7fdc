//! A string that must never be printed.

use std::fmt;

/// A credential: a portal password, a magic-link secret, a magic-link URL (which embeds its
/// secret).
///
/// Its `Debug` shows `Secret("***")`, so a `{:?}` of a request, a response or an error never
/// prints the value; it has no `Display`. It serializes as the plain string (the API needs the
/// password), and [`Secret::expose_secret`] gives the value where you need it.
///
/// ```
/// use nectar_api::Secret;
///
/// let password = Secret::from("nectar-sandbox-password");
/// assert_eq!(format!("{password:?}"), "Secret(\"***\")");
/// assert_eq!(password.expose_secret(), "nectar-sandbox-password");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_serde_keeps_the_value() {
        let secret: Secret = serde_json::from_str("\"hunter2\"").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert!(!format!("{:?}", Some(vec![secret.clone()])).contains("hunter2"));
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"hunter2\"");
    }
}
