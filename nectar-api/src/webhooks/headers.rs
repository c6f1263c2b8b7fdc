//! The headers of a delivery, from whichever HTTP library received it.

use std::collections::{BTreeMap, HashMap};

/// A delivery's headers, as [`Verifier::verify`](super::Verifier::verify) reads them: every
/// value of a header, by name, ignoring case.
///
/// Implemented for `http` 1.x's `HeaderMap` (axum, hyper 1, reqwest), for lists of name/value
/// pairs (`Vec<(String, String)>`, `[(&str, &str); N]`, slices of them), and for maps of names to
/// values (`HashMap` and `BTreeMap`), so a receiver on another framework (actix-web, warp on
/// `http` 0.2, a serverless event) hands over its headers with one `collect()`:
///
/// ```
/// use nectar_api::webhooks::{Signer, Verifier};
///
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let body = br#"{"eventType": "connection.created.v2", "id": "94ca4dc7-cc09-4162-9b20-7f4bcb5d1199"}"#;
/// let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
/// let signed = Signer::new(secret).unwrap().headers("msg_1", now, body);
/// // As another framework would give them: name/value pairs of text.
/// let pairs: Vec<(String, String)> = signed
///     .iter()
///     .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
///     .collect();
/// let delivery = Verifier::new(secret).unwrap().verify(&pairs, body).unwrap();
/// assert_eq!(delivery.id, "msg_1");
/// ```
pub trait Headers {
    /// Every value of the header `name` (given in lower case), in the order received; none when
    /// it is absent.
    fn header_values(&self, name: &str) -> Vec<&[u8]>;
}

impl Headers for http::HeaderMap {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.get_all(name).iter().map(|v| v.as_bytes()).collect()
    }
}

/// The values of the pairs named `name`, in any case.
fn named<'a, K, V>(pairs: impl Iterator<Item = (&'a K, &'a V)>, name: &str) -> Vec<&'a [u8]>
where
    K: AsRef<str> + 'a,
    V: AsRef<[u8]> + 'a,
{
    pairs
        .filter(|(key, _)| key.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_ref())
        .collect()
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for [(K, V)] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        named(self.iter().map(|(key, value)| (key, value)), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, const N: usize> Headers for [(K, V); N] {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(K, V)> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        self.as_slice().header_values(name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>, S> Headers for HashMap<K, V, S> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        named(self.iter(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<[u8]>> Headers for BTreeMap<K, V> {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        named(self.iter(), name)
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn header_values(&self, name: &str) -> Vec<&[u8]> {
        (**self).header_values(name)
    }
}

#[cfg(test)]
mod tests {
    use super::Headers;

    #[test]
    fn names_match_in_any_case_and_every_value_is_kept() {
        let pairs = [
            ("SVIX-Signature", "v1,a"),
            ("svix-signature", "v1,b"),
            ("other", "x"),
        ];
        assert_eq!(pairs.header_values("svix-signature"), [b"v1,a", b"v1,b"]);
        let mut map = http::HeaderMap::new();
        map.append("svix-id", http::HeaderValue::from_static("msg_1"));
        assert_eq!(map.header_values("svix-id"), [b"msg_1"]);
        assert!(map.header_values("svix-timestamp").is_empty());
        let hashed: std::collections::HashMap<String, String> =
            [("Svix-Id".to_owned(), "msg_2".to_owned())].into();
        assert_eq!(hashed.header_values("svix-id"), [b"msg_2"]);
    }
}
