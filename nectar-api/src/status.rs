//! What each status means for an integration: categories, whether a person must act, whether
//! Nectar retries by itself, and what to do.
//!
//! Every `match` here names every documented variant and has no wildcard arm: when a new status
//! is documented (and so generated), this file stops compiling until someone decides its
//! category. Values Nectar sends that the spec does not know arrive as `Unknown(..)` and get the
//! `Unknown` category at runtime.

use crate::types::{AccountStatus, ConnectionStatus, TrackingStatus};

/// The connection-status guide's groups. Non-exhaustive: a group Nectar adds to its guide is a
/// minor release; match with a wildcard arm (treat it as [`ConnectionCategory::Unknown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionCategory {
    /// `PENDING`, `CONNECTED`, `UNDER_INVESTIGATION`: no action needed.
    Healthy,
    /// The four credential errors: collection is paused until the end user acts.
    CredentialError,
    /// Problems on the provider's side; Nectar retries on its weekly check.
    ProviderError,
    /// `COMPANY_INACTIVE`: the company is deactivated.
    System,
    /// A status these bindings do not know.
    Unknown,
}

impl ConnectionStatus {
    /// The status's group.
    ///
    /// ```
    /// use nectar_api::{status::ConnectionCategory, types::ConnectionStatus};
    ///
    /// assert_eq!(ConnectionStatus::MfaTokenExpired.category(), ConnectionCategory::CredentialError);
    /// assert_eq!(ConnectionStatus::Unknown("SUSPENDED".into()).category(), ConnectionCategory::Unknown);
    /// ```
    pub fn category(&self) -> ConnectionCategory {
        use ConnectionStatus as S;
        match self {
            S::Pending | S::Connected | S::UnderInvestigation => ConnectionCategory::Healthy,
            S::PasswordIncorrect
            | S::MfaTokenExpired
            | S::NewPasswordNeeded
            | S::AdditionalCredentialsNeeded => ConnectionCategory::CredentialError,
            S::WebsiteDown | S::UrlInaccessible | S::NoAccountsFound | S::OtherError => {
                ConnectionCategory::ProviderError
            }
            S::CompanyInactive => ConnectionCategory::System,
            S::Unknown(_) => ConnectionCategory::Unknown,
        }
    }

    /// Whether the end user must do something before data flows again (the credential errors).
    pub fn requires_user_action(&self) -> bool {
        self.category() == ConnectionCategory::CredentialError
    }

    /// Whether Nectar tries again by itself on its next weekly check (the provider errors).
    pub fn is_retried_automatically(&self) -> bool {
        self.category() == ConnectionCategory::ProviderError
    }

    /// What your integration should do, from the connection-status guide.
    pub fn recommended_action(&self) -> &'static str {
        use ConnectionStatus as S;
        match self {
            S::Pending => "Wait: Nectar's first check usually runs within a few days.",
            S::Connected => "Nothing: data is flowing.",
            S::UnderInvestigation => {
                "Wait for Nectar's team; contact support for a status update if needed."
            }
            S::PasswordIncorrect => {
                "Ask the end user for the new password: send them a reconnect invitation (create_reconnect_invitation)."
            }
            S::MfaTokenExpired => {
                "Ask the end user to complete the multi-factor challenge in an interactive session (reconnect invitation)."
            }
            S::NewPasswordNeeded => {
                "Ask the end user to reset the password on the provider's website, then give it to Nectar (reconnect invitation)."
            }
            S::AdditionalCredentialsNeeded => {
                "Ask the end user for the extra verification (security questions, PIN) through a reconnect invitation."
            }
            S::WebsiteDown => {
                "Nothing: Nectar retries when the provider is back, usually within days."
            }
            S::UrlInaccessible => {
                "If it persists, check that the provider URL is still valid; contact support if it moved."
            }
            S::NoAccountsFound => {
                "Wait for the next check; if it persists, the login may be for a payment-only portal or the accounts closed."
            }
            S::OtherError => {
                "Wait for the next check; if it persists, contact support with the connection id."
            }
            S::CompanyInactive => "Contact Nectar support to reactivate the company.",
            S::Unknown(_) => {
                "Unknown status: check Nectar's connection-status guide, and update nectar-api."
            }
        }
    }
}

/// Groups of account statuses. Non-exhaustive, like [`ConnectionCategory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountCategory {
    /// `DETECTED`, `ONBOARDED`, `PULL_COMPLETED`: on its way or collecting.
    Healthy,
    /// Collection hit a problem Nectar checks again (`NO_DOCUMENTS_FOUND`,
    /// `PDF_DOWNLOAD_FAILED`, `ACCOUNT_NOT_FOUND`, `OTHER_ERROR`).
    CollectionError,
    /// `WORKFLOW_NOT_ACCESSIBLE`: the connection needs fixing first.
    ConnectionError,
    /// `OLD_ACCOUNT`, `DUPLICATE`, `CUSTOMER_NOT_TRACKED`: final; never checked again.
    Terminal,
    /// `COMPANY_INACTIVE`.
    System,
    /// A status these bindings do not know.
    Unknown,
}

impl AccountStatus {
    /// The status's group.
    pub fn category(&self) -> AccountCategory {
        use AccountStatus as S;
        match self {
            S::Detected | S::Onboarded | S::PullCompleted => AccountCategory::Healthy,
            S::NoDocumentsFound | S::PdfDownloadFailed | S::AccountNotFound | S::OtherError => {
                AccountCategory::CollectionError
            }
            S::WorkflowNotAccessible => AccountCategory::ConnectionError,
            S::OldAccount | S::Duplicate | S::CustomerNotTracked => AccountCategory::Terminal,
            S::CompanyInactive => AccountCategory::System,
            S::Unknown(_) => AccountCategory::Unknown,
        }
    }

    /// Final statuses: Nectar does not check such accounts again.
    pub fn is_terminal(&self) -> bool {
        self.category() == AccountCategory::Terminal
    }

    /// Whether Nectar checks the account again on its weekly cycle.
    pub fn is_rechecked(&self) -> bool {
        matches!(
            self.category(),
            AccountCategory::Healthy | AccountCategory::CollectionError
        )
    }

    /// Whether someone must act: fix the connection, or reactivate the company.
    pub fn requires_user_action(&self) -> bool {
        matches!(
            self.category(),
            AccountCategory::ConnectionError | AccountCategory::System
        )
    }

    /// What your integration should do.
    pub fn recommended_action(&self) -> &'static str {
        use AccountStatus as S;
        match self {
            S::Detected => {
                "Confirm the account for tracking (PATCH /connection/{id}/status) if you want its data."
            }
            S::Onboarded | S::PullCompleted => "Nothing: data is being collected.",
            S::NoDocumentsFound => {
                "Wait for the next check; the provider may not have issued bills yet."
            }
            S::PdfDownloadFailed => "Wait for the next check; contact support if it persists.",
            S::AccountNotFound => {
                "Check with the end user whether the account still exists on the provider's website."
            }
            S::WorkflowNotAccessible => "Fix the connection first (see its status).",
            S::OtherError => "Wait for the next check; contact support if it persists.",
            S::OldAccount => "Nothing: the account is closed and no new data is expected.",
            S::Duplicate => "Nothing: another tracked account carries the same data.",
            S::CustomerNotTracked => "Nothing, unless you want its data: enable tracking.",
            S::CompanyInactive => "Contact Nectar support to reactivate the company.",
            S::Unknown(_) => "Unknown status: check Nectar's documentation, and update nectar-api.",
        }
    }
}

impl TrackingStatus {
    /// Whether data is collected: `ENABLED`, and `UNSET` (treated as tracked). `None` for a value
    /// these bindings do not know.
    pub fn is_tracked(&self) -> Option<bool> {
        match self {
            TrackingStatus::Enabled | TrackingStatus::Unset => Some(true),
            TrackingStatus::Disabled => Some(false),
            TrackingStatus::Unknown(_) => None,
        }
    }

    /// Whether a tracking decision has been made.
    pub fn is_decided(&self) -> bool {
        match self {
            TrackingStatus::Enabled | TrackingStatus::Disabled => true,
            TrackingStatus::Unset | TrackingStatus::Unknown(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_connection_status_has_the_guides_category() {
        let count = |category| {
            ConnectionStatus::KNOWN
                .iter()
                .filter(|s| s.category() == category)
                .count()
        };
        assert_eq!(count(ConnectionCategory::Healthy), 3);
        assert_eq!(count(ConnectionCategory::CredentialError), 4);
        assert_eq!(count(ConnectionCategory::ProviderError), 4);
        assert_eq!(count(ConnectionCategory::System), 1);
        assert_eq!(count(ConnectionCategory::Unknown), 0);
        for status in &ConnectionStatus::KNOWN {
            assert_eq!(
                status.requires_user_action(),
                status.category() == ConnectionCategory::CredentialError
            );
            assert!(!(status.requires_user_action() && status.is_retried_automatically()));
            assert!(!status.recommended_action().is_empty());
        }
        assert!(ConnectionStatus::WebsiteDown.is_retried_automatically());
        assert!(!ConnectionStatus::Unknown("X".into()).requires_user_action());
    }

    #[test]
    fn terminal_accounts_are_not_rechecked() {
        let terminal: Vec<_> = AccountStatus::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminal,
            ["OLD_ACCOUNT", "DUPLICATE", "CUSTOMER_NOT_TRACKED"]
        );
        assert!(
            AccountStatus::KNOWN
                .iter()
                .all(|s| !(s.is_terminal() && s.is_rechecked()))
        );
        assert!(AccountStatus::WorkflowNotAccessible.requires_user_action());
        assert_eq!(TrackingStatus::Unset.is_tracked(), Some(true));
        assert_eq!(TrackingStatus::Disabled.is_tracked(), Some(false));
        assert_eq!(TrackingStatus::Unknown("PAUSED".into()).is_tracked(), None);
    }
}
