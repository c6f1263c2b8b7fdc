//! Update bodies that can leave a field as it is, set it, or clear it, and request builders that
//! take plain values.

use std::fmt;

/// A field of an update (`PATCH`) body that may be cleared: left as it is ([`Patch::Keep`], the
/// default, not sent), set to a value ([`Patch::Set`]), or cleared ([`Patch::Clear`], sent as
/// `null`). Every nullable field of an update body has this type, generated from the spec.
///
/// Builders take a plain value for `Set`:
///
/// ```
/// use nectar_api::{Patch, types::SiteUpdate};
///
/// let body: SiteUpdate = SiteUpdate::builder()
///     .address("Main St 1")               // a plain value; its constraints are checked
///     .external_id(Patch::Clear)          // sent as null: clears it
///     .try_into()
///     .unwrap();                          // occupancyPercent left out: kept as it is
/// assert_eq!(
///     serde_json::to_value(&body).unwrap(),
///     serde_json::json!({"address": "Main St 1", "externalId": null})
/// );
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// Not sent: the field keeps its value.
    #[default]
    Keep,
    /// Sent with this value.
    Set(T),
    /// Sent as `null`: the field is cleared.
    Clear,
}

impl<T> Patch<T> {
    /// Whether the field is left out of the body.
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The value being set, if any.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Patch::Set(value) => Some(value),
            _ => None,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Patch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Patch::Keep => f.write_str("Keep"),
            Patch::Set(value) => f.debug_tuple("Set").field(value).finish(),
            Patch::Clear => f.write_str("Clear"),
        }
    }
}

impl<T: serde::Serialize> serde::Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => value.serialize(serializer),
            // `Keep` is skipped by the field's `skip_serializing_if`; alone it is `null` too.
            Patch::Keep | Patch::Clear => serializer.serialize_none(),
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Patch<T> {
    /// A present field: `null` is `Clear`, a value is `Set` (an absent one is `Keep`, the
    /// field's default).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Patch::Set(value),
            None => Patch::Clear,
        })
    }
}

/// What a request builder's setter takes for an optional field of type `F` (`Option<T>` or
/// [`Patch<T>`]): the value itself (`T`), the field type, or a plain `&str`/`String` for text
/// fields, checked against the field's constraints when set (the error names the field).
///
/// Hidden from the documentation: its blanket implementations would show on every type's page;
/// each setter's documentation says what it takes.
#[doc(hidden)]
pub trait FieldValue<F> {
    /// The field's value, or why this value cannot be one.
    fn into_field(self) -> Result<F, String>;
}

impl<T> FieldValue<Option<T>> for T {
    fn into_field(self) -> Result<Option<T>, String> {
        Ok(Some(self))
    }
}

impl<T> FieldValue<Option<T>> for Option<T> {
    fn into_field(self) -> Result<Option<T>, String> {
        Ok(self)
    }
}

impl<T> FieldValue<Patch<T>> for T {
    fn into_field(self) -> Result<Patch<T>, String> {
        Ok(Patch::Set(self))
    }
}

impl<T> FieldValue<Patch<T>> for Patch<T> {
    fn into_field(self) -> Result<Patch<T>, String> {
        Ok(self)
    }
}

impl FieldValue<Option<String>> for &str {
    fn into_field(self) -> Result<Option<String>, String> {
        Ok(Some(self.to_owned()))
    }
}

impl FieldValue<Patch<String>> for &str {
    fn into_field(self) -> Result<Patch<String>, String> {
        Ok(Patch::Set(self.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        note: Patch<String>,
    }

    #[test]
    fn three_states_round_trip() {
        for (body, json) in [
            (Body { note: Patch::Keep }, "{}"),
            (Body { note: Patch::Clear }, r#"{"note":null}"#),
            (
                Body {
                    note: Patch::Set("x".to_owned()),
                },
                r#"{"note":"x"}"#,
            ),
        ] {
            assert_eq!(serde_json::to_string(&body).unwrap(), json);
            assert_eq!(serde_json::from_str::<Body>(json).unwrap(), body);
        }
    }

    #[test]
    fn builders_check_plain_values_and_name_the_field() {
        use crate::types::SiteUpdate;
        let error = SiteUpdate::try_from(SiteUpdate::builder().occupancy_percent("150"))
            .expect_err("150 is above 100");
        assert!(
            error.to_string().starts_with("occupancyPercent: "),
            "{error}"
        );

        let body = SiteUpdate::try_from(
            SiteUpdate::builder()
                .occupancy_percent("42.5")
                .name("Plant")
                .external_id(Patch::Clear),
        )
        .expect("a valid body");
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"occupancyPercent": "42.5", "name": "Plant", "externalId": null})
        );
    }
}
