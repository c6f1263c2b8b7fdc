//! A decimal number exactly as Nectar sends it.

use std::{fmt, str::FromStr};

/// A decimal quantity (usage, charges, rates, readings, percentages). Nectar sends decimals as
/// JSON strings (`"12.50"`); this type keeps the text exactly as received, so it round-trips
/// byte for byte, and converts to [`rust_decimal::Decimal`] on demand without rounding. It is
/// never an `f64`.
///
/// Decoding is lenient: any JSON string is kept (a value that is not a number fails only when
/// converted), so one odd value never fails a whole page. An integer sent as a JSON number is
/// kept as its digits.
///
/// ```
/// use nectar_api::Decimal;
///
/// let usage: Decimal = serde_json::from_str("\"1234.5000\"").unwrap();
/// assert_eq!(usage.as_str(), "1234.5000");
/// assert_eq!(serde_json::to_string(&usage).unwrap(), "\"1234.5000\"");
/// assert_eq!(usage.to_decimal().unwrap(), rust_decimal::Decimal::new(12_345, 1));
///
/// let bad: Decimal = serde_json::from_str("\"n/a\"").unwrap();
/// assert!(bad.to_decimal().is_err());
/// assert!("n/a".parse::<Decimal>().is_err(), "built by hand, it is checked");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

impl Decimal {
    /// The decimal as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as a [`rust_decimal::Decimal`], exactly (no rounding: a value with more
    /// precision than 28 significant digits is an error, not rounded).
    pub fn to_decimal(&self) -> Result<rust_decimal::Decimal, DecimalError> {
        parse(&self.0)
    }
}

fn parse(text: &str) -> Result<rust_decimal::Decimal, DecimalError> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.len() != text.len() {
        return Err(DecimalError::new(text));
    }
    rust_decimal::Decimal::from_str_exact(trimmed).map_err(|_| DecimalError::new(text))
}

impl FromStr for Decimal {
    type Err = DecimalError;

    /// A decimal from text; the text must be a decimal number (`-12.50`, `0.0001`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text).map(|_| Self(text.to_owned()))
    }
}

impl TryFrom<&str> for Decimal {
    type Error = DecimalError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl TryFrom<String> for Decimal {
    type Error = DecimalError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        parse(&text).map(|_| Self(text))
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Self(value.to_string())
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({:?})", self.0)
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal as a string, e.g. \"12.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Decimal, E> {
                Ok(Decimal(value.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Decimal, E> {
                Ok(Decimal(value))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Decimal, E> {
                Ok(Decimal(value.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Decimal, E> {
                Ok(Decimal(value.to_string()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A text that is not a decimal number (or one too precise for an exact `rust_decimal`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecimalError {
    value: String,
}

impl DecimalError {
    fn new(text: &str) -> Self {
        Self {
            value: text.chars().take(64).collect(),
        }
    }
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a decimal number (expected text such as \"12.50\", at most 28 significant digits)",
            self.value
        )
    }
}

impl std::error::Error for DecimalError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_round_trips_byte_for_byte() {
        for text in ["0", "-0.00", "1234.5000", "0.0001", "1e3", "12", "007.10"] {
            let json = format!("\"{text}\"");
            let decimal: Decimal = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&decimal).unwrap(), json);
            assert_eq!(decimal.to_string(), text);
        }
    }

    #[test]
    fn conversion_is_exact_or_an_error() {
        let d: Decimal = "79228162514264337593543950335".parse().unwrap();
        assert_eq!(d.to_decimal().unwrap(), rust_decimal::Decimal::MAX);
        assert_eq!(
            "0.1".parse::<Decimal>().unwrap().to_decimal().unwrap() * rust_decimal::Decimal::TEN,
            rust_decimal::Decimal::ONE,
            "no binary floating point anywhere"
        );
        for bad in [
            "",
            " 1",
            "1 ",
            "-",
            "abc",
            "1.2.3",
            "0.12345678901234567890123456789",
        ] {
            let kept = Decimal(bad.to_owned());
            assert!(kept.to_decimal().is_err(), "{bad:?}");
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
        let error = "n/a".parse::<Decimal>().unwrap_err().to_string();
        assert!(error.contains("\"n/a\""), "{error}");
    }

    #[test]
    fn integers_sent_as_numbers_are_kept_as_digits() {
        let d: Decimal = serde_json::from_str("42").unwrap();
        assert_eq!(d.as_str(), "42");
        assert!(
            serde_json::from_str::<Decimal>("4.2").is_err(),
            "a float would not be exact"
        );
    }
}
