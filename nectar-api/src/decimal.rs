//! A decimal number exactly as Nectar sends it.

use std::{fmt, str::FromStr};

/// A decimal quantity (usage, charges, rates, readings, percentages). Nectar sends decimals as
/// JSON strings (`"12.50"`); this type keeps the text exactly as received, so it round-trips
/// byte for byte, and converts to [`rust_decimal::Decimal`] on demand without rounding. It is
/// never an `f64`.
///
/// Decoding is lenient: any JSON string is kept (a value that is not a number fails only when
/// converted), so one odd value never fails a whole page. A JSON number keeps its text exactly
/// as sent (`12.5`, `-0.0`, `1e400`, an integer of 10,000 digits), and any other JSON value
/// (`true`, an object) its JSON text, to fail only when converted.
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
    if trimmed.contains(['e', 'E']) {
        // Scientific notation (as a JSON number may be written): exact, or an error.
        return rust_decimal::Decimal::from_scientific(trimmed)
            .map_err(|_| DecimalError::new(text));
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

/// serde_json's name for a value read as its raw text (its `raw_value` feature): asked for a
/// newtype struct of this name, serde_json hands over the exact text of the value.
const RAW_VALUE: &str = "$serde_json::private::RawValue";

impl<'de> serde::Deserialize<'de> for Decimal {
    /// From serde_json (as nectar-api decodes every answer), the value's exact text: a JSON
    /// string's contents, a JSON number's digits as sent (`12.5`, `1e400`, `-0.0`, an integer of
    /// any length), any other value's JSON text (`true`). From another deserializer (a
    /// `serde_json::Value`, serde's buffered content), what it still has: strings and integers
    /// exactly, a float as Rust prints it, a boolean as `true`/`false`. Never an error for a
    /// value that is not a number: it is kept, and [`Decimal::to_decimal`] reports it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(RAW_VALUE, Visitor)
    }
}

struct Visitor;

impl<'de> serde::de::Visitor<'de> for Visitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal as a string, e.g. \"12.50\", or a number")
    }

    /// serde_json's raw value: one entry, whose value is the JSON text.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        if map.next_key::<serde::de::IgnoredAny>()?.is_none() {
            return Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Map,
                &self,
            ));
        }
        let raw: std::borrow::Cow<'de, str> = map.next_value()?;
        Ok(from_json_text(&raw))
    }

    /// Another deserializer: the value itself.
    fn visit_newtype_struct<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Decimal, D::Error> {
        deserializer.deserialize_any(self)
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
    fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<Decimal, E> {
        Ok(Decimal(value.to_string()))
    }
    fn visit_i128<E: serde::de::Error>(self, value: i128) -> Result<Decimal, E> {
        Ok(Decimal(value.to_string()))
    }
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Decimal, E> {
        Ok(Decimal(value.to_string()))
    }
    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Decimal, E> {
        Ok(Decimal(value.to_string()))
    }
}

/// A decimal from a value's JSON text: a string's contents, anything else's text as it is.
fn from_json_text(raw: &str) -> Decimal {
    if raw.starts_with('"')
        && let Ok(text) = serde_json::from_str::<String>(raw)
    {
        return Decimal(text);
    }
    Decimal(raw.to_owned())
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

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    struct Bill {
        total_charges: Option<Decimal>,
        currency: String,
    }

    #[test]
    fn every_json_number_keeps_its_digits_and_no_odd_value_fails_the_answer() {
        let long = "9".repeat(10_000);
        for (sent, kept) in [
            ("18446744073709551616", "18446744073709551616"),
            (long.as_str(), long.as_str()),
            ("12.5", "12.5"),
            ("12.50", "12.50"),
            ("1e400", "1e400"),
            ("-0.0", "-0.0"),
            ("1E-7", "1E-7"),
            ("-42", "-42"),
            ("true", "true"),
            ("[1, 2]", "[1, 2]"),
            (r#"{"a": 1}"#, r#"{"a": 1}"#),
            (r#""12.5""#, "12.5"),
        ] {
            let body = format!(r#"{{"totalCharges": {sent}, "currency": "USD"}}"#);
            // As the client decodes answers (bounded), and as plain serde_json does.
            let bill: Bill =
                crate::decode::decode(body.as_bytes()).unwrap_or_else(|e| panic!("{sent}: {e:?}"));
            assert_eq!(
                bill.total_charges.as_ref().map(Decimal::as_str),
                Some(kept),
                "{sent}"
            );
            assert_eq!(bill.currency, "USD");
            let plain: Bill = serde_json::from_str(&body).unwrap();
            assert_eq!(
                plain.total_charges.as_ref().map(Decimal::as_str),
                Some(kept)
            );
        }
        let null: Bill =
            serde_json::from_str(r#"{"totalCharges": null, "currency": "X"}"#).unwrap();
        assert_eq!(null.total_charges, None);
        // The numbers convert exactly, or say why not.
        let exact = |text: &str| Decimal(text.to_owned()).to_decimal();
        assert_eq!(exact("12.5").unwrap(), rust_decimal::Decimal::new(125, 1));
        assert_eq!(exact("1E-7").unwrap(), rust_decimal::Decimal::new(1, 7));
        assert!(exact("-0.0").unwrap().is_zero());
        for odd in [
            "1e400",
            "18446744073709551616000000000000",
            "true",
            long.as_str(),
        ] {
            assert!(exact(odd).is_err(), "{odd}");
        }
        // From a serde_json::Value (the digits of a float are already gone there): kept too.
        let value = serde_json::json!({"totalCharges": 12.5, "currency": "USD"});
        let bill: Bill = serde_json::from_value(value).unwrap();
        assert_eq!(bill.total_charges.unwrap().as_str(), "12.5");
        let value = serde_json::json!({"totalCharges": true, "currency": "USD"});
        assert_eq!(
            serde_json::from_value::<Bill>(value)
                .unwrap()
                .total_charges
                .unwrap()
                .as_str(),
            "true"
        );
    }
}
