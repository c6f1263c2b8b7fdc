//! The filters the document and usage-data lists share, with the documented semantics: several
//! datasource types, a `dateType` choosing which date the inclusive `startDate`/`endDate` range
//! applies to, identifier normalisation, and soft-deleted documents left out unless asked for.

use chrono::{DateTime, NaiveDate, Utc};
use nectar_api::types::{DatasourceType, DateType};

/// A document or usage-data filter, as parsed from the query string.
#[derive(Debug, Clone)]
pub struct DataFilter {
    /// Only these datasource types (empty: all).
    pub datasource_types: Vec<DatasourceType>,
    /// Which date the range applies to (default `BILL_DATE`).
    pub date_type: DateType,
    /// First day, inclusive.
    pub start: Option<NaiveDate>,
    /// Last day, inclusive.
    pub end: Option<NaiveDate>,
    /// A normalised identifier (see [`normalize_identifier`]).
    pub identifier: Option<String>,
    /// Include soft-deleted documents.
    pub include_deleted: bool,
}

impl Default for DataFilter {
    fn default() -> Self {
        Self {
            datasource_types: Vec::new(),
            date_type: DateType::BillDate,
            start: None,
            end: None,
            identifier: None,
            include_deleted: false,
        }
    }
}

/// The dates of an object that a range can apply to.
pub(super) struct Dates {
    /// The usage period, first and last day.
    pub(super) period: (NaiveDate, NaiveDate),
    pub(super) bill: NaiveDate,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
}

impl DataFilter {
    /// Whether the filter keeps everything that is not deleted (the fast path of the lists).
    pub(super) fn keeps_all(&self) -> bool {
        self.datasource_types.is_empty()
            && self.start.is_none()
            && self.end.is_none()
            && self.identifier.is_none()
    }

    pub(super) fn datasource_matches(&self, types: &[DatasourceType]) -> bool {
        self.datasource_types.is_empty() || types.iter().any(|t| self.datasource_types.contains(t))
    }

    /// The range against the date `dateType` names: inclusive; `USAGE_PERIOD` matches a period
    /// that overlaps the range; created and updated compare the UTC day.
    pub(super) fn dates_match(&self, dates: &Dates) -> bool {
        let (first, last) = match self.date_type {
            DateType::UsagePeriod => dates.period,
            DateType::CreatedDate => (dates.created.date_naive(), dates.created.date_naive()),
            DateType::UpdatedDate => (dates.updated.date_naive(), dates.updated.date_naive()),
            // BILL_DATE, and any value the lists would have refused already.
            _ => (dates.bill, dates.bill),
        };
        self.start.is_none_or(|start| last >= start) && self.end.is_none_or(|end| first <= end)
    }

    /// Whether one of `normalized` (identifiers already normalised) is the filter's.
    pub(super) fn identifier_matches<'a>(
        &self,
        mut normalized: impl Iterator<Item = &'a str>,
    ) -> bool {
        self.identifier
            .as_deref()
            .is_none_or(|wanted| normalized.any(|id| id == wanted))
    }
}

/// Nectar's identifier normalisation: `-`, spaces, `_`, `,` and `/` removed, leading zeros
/// stripped, upper case (`013-774-6423` = `0137746423` = `137746423`).
pub fn normalize_identifier(value: &str) -> String {
    let kept: String = value
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '_' | ',' | '/'))
        .collect();
    kept.trim_start_matches('0').to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_normalise_as_documented() {
        for spelling in ["013-774-6423", "0137746423", "137746423", " 013_774/64,23 "] {
            assert_eq!(normalize_identifier(spelling), "137746423", "{spelling:?}");
        }
        assert_eq!(normalize_identifier("ab-0c"), "AB0C");
    }

    #[test]
    fn ranges_are_inclusive_and_periods_overlap() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2025, 1, d).unwrap();
        let at = |d: u32| day(d).and_hms_opt(23, 59, 59).unwrap().and_utc();
        let dates = Dates {
            period: (day(1), day(31)),
            bill: day(31),
            created: at(5),
            updated: at(20),
        };
        let filter = |date_type, start: Option<u32>, end: Option<u32>| DataFilter {
            date_type,
            start: start.map(day),
            end: end.map(day),
            ..DataFilter::default()
        };
        assert!(filter(DateType::BillDate, Some(31), Some(31)).dates_match(&dates));
        assert!(!filter(DateType::BillDate, Some(1), Some(30)).dates_match(&dates));
        assert!(filter(DateType::UsagePeriod, Some(31), None).dates_match(&dates));
        assert!(filter(DateType::UsagePeriod, None, Some(1)).dates_match(&dates));
        assert!(
            !filter(DateType::UsagePeriod, None, Some(1)).dates_match(&Dates {
                period: (day(2), day(3)),
                ..dates
            })
        );
        assert!(filter(DateType::CreatedDate, Some(5), Some(5)).dates_match(&dates));
        assert!(!filter(DateType::UpdatedDate, Some(21), None).dates_match(&dates));
    }
}
