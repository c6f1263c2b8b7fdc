//! Parsing the query strings of the list operations as the spec states them (the semantics of
//! the filters are in `filter.rs`); a bad value is a 400 naming the parameter.

use chrono::NaiveDate;
use nectar_api::types::{ConnectionStatus, DatasourceType, DateType};
use uuid::Uuid;

use crate::store::{ConnectionFilter, DataFilter, Failure, normalize_identifier};

/// The list query: filters, `page` and `limit`, validated as the spec states them.
pub(crate) fn list_query(query: Option<&str>) -> Result<(ConnectionFilter, i64, usize), Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Failure::bad_request(format!("query string: {e}")))?;
    let mut filter = ConnectionFilter::default();
    let (mut page, mut limit) = (1_i64, 100_usize);
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = page_param(&value)?,
            "limit" => {
                let parsed: i64 = value.parse().map_err(|_| {
                    Failure::bad_request(format!("limit: {value:?} is not an integer."))
                })?;
                if !(1..=500).contains(&parsed) {
                    return Err(Failure::bad_request(format!(
                        "limit: {parsed} is out of range; it must be between 1 and 500."
                    )));
                }
                limit = parsed as usize;
            }
            "status" => {
                let status = ConnectionStatus::from(value.as_str());
                let valid = ConnectionStatus::KNOWN.iter().map(|s| s.as_str());
                filter.status = Some(choice(
                    "status",
                    &value,
                    status.is_unknown(),
                    valid,
                    status,
                )?);
            }
            "sites" => filter.sites.push(uuid_param("sites", &value)?),
            "connectionOwnerEmail" => {
                let valid = value.split_once('@').is_some_and(|(user, domain)| {
                    !user.is_empty() && domain.contains('.') && !domain.ends_with('.')
                });
                if !valid {
                    return Err(Failure::bad_request(format!(
                        "connectionOwnerEmail: {value:?} is not a valid e-mail address."
                    )));
                }
                filter.owner_email = Some(value);
            }
            // Like the real API, parameters it does not know are ignored.
            _ => {}
        }
    }
    Ok((filter, page, limit))
}

/// `page`: an integer from 1 to `u32::MAX`, as the spec bounds it (a page past the end of the
/// list is not an error: the last page answers).
pub(crate) fn page_param(value: &str) -> Result<i64, Failure> {
    let page: i64 = value
        .parse()
        .map_err(|_| Failure::bad_request(format!("page: {value:?} is not an integer.")))?;
    if !(1..=i64::from(u32::MAX)).contains(&page) {
        return Err(Failure::bad_request(format!(
            "page: {page} is out of range; pages are numbered from 1 to {}.",
            u32::MAX
        )));
    }
    Ok(page)
}

/// `value` of parameter `name` if it is one of `valid` (`unknown` says it is not), else a 400
/// that lists the valid choices.
pub(crate) fn choice<'a, T>(
    name: &str,
    value: &str,
    unknown: bool,
    valid: impl Iterator<Item = &'a str>,
    parsed: T,
) -> Result<T, Failure> {
    if unknown {
        let valid: Vec<&str> = valid.collect();
        return Err(Failure::bad_request(format!(
            "{name}: {value:?} is not a valid choice; valid choices are {}.",
            valid.join(", ")
        )));
    }
    Ok(parsed)
}

/// The document and usage-data query: the shared filters and `page`; `isDeleted` on the
/// document lists only (elsewhere, as any parameter the API does not know, it is ignored).
pub(crate) fn data_query(
    query: Option<&str>,
    documents: bool,
) -> Result<(DataFilter, i64), Failure> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| Failure::bad_request(format!("query string: {e}")))?;
    let mut filter = DataFilter::default();
    let mut page = 1_i64;
    let date = |name: &str, value: &str| {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .filter(|_| value.len() == 10)
            .ok_or_else(|| {
                Failure::bad_request(format!(
                    "{name}: {value:?} is not a date; use the format YYYY-MM-DD."
                ))
            })
    };
    for (key, value) in pairs {
        match key.as_str() {
            "page" => page = page_param(&value)?,
            "datasourceType" => {
                let kind = DatasourceType::from(value.as_str());
                let valid = DatasourceType::KNOWN.iter().map(|s| s.as_str());
                let kind = choice("datasourceType", &value, kind.is_unknown(), valid, kind)?;
                filter.datasource_types.push(kind);
            }
            "dateType" => {
                let kind = DateType::from(value.as_str());
                let valid = DateType::KNOWN.iter().map(|s| s.as_str());
                filter.date_type = choice("dateType", &value, kind.is_unknown(), valid, kind)?;
            }
            "startDate" => filter.start = Some(date("startDate", &value)?),
            "endDate" => filter.end = Some(date("endDate", &value)?),
            "identifier" => {
                if value.is_empty() {
                    return Err(Failure::bad_request(
                        "identifier: this field may not be blank.",
                    ));
                }
                filter.identifier = Some(normalize_identifier(&value));
            }
            "isDeleted" if documents => {
                filter.include_deleted = match value.as_str() {
                    "true" | "True" | "1" => true,
                    "false" | "False" | "0" => false,
                    _ => {
                        return Err(Failure::bad_request(format!(
                            "isDeleted: {value:?} is not a valid boolean."
                        )));
                    }
                };
            }
            // Like the real API, parameters it does not know are ignored.
            _ => {}
        }
    }
    Ok((filter, page))
}

pub(crate) fn uuid_param(name: &str, value: &str) -> Result<Uuid, Failure> {
    value
        .parse()
        .map_err(|_| Failure::bad_request(format!("{name}: {value:?} is not a valid UUID.")))
}
