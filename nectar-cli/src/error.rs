//! How `nectar` fails: a message (the client's, with its advice) on stderr and an exit code
//! that tells the kind of failure apart.

use std::fmt;

use nectar_api::ErrorKind;

/// The exit codes `nectar` documents (`nectar --help` lists them).
pub(crate) mod exit {
    /// Done.
    pub(crate) const OK: u8 = 0;
    /// Something else failed (a file could not be written, ...).
    pub(crate) const OTHER: u8 = 1;
    /// The command line or a value given is wrong; nothing was sent.
    pub(crate) const USAGE: u8 = 2;
    /// Nectar answered with an error, or with something the client refuses.
    pub(crate) const API: u8 = 3;
    /// No answer: the network, TLS, or a timeout.
    pub(crate) const TRANSPORT: u8 = 4;
    /// The command worked, and its answer is that the end user must act (a connection needs
    /// their credentials, an MFA code, or an account confirmation).
    pub(crate) const NEEDS_USER: u8 = 5;
}

/// A failure of `nectar`, with its exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: exit::USAGE,
            message: message.into(),
        }
    }

    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self {
            code: exit::OTHER,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<nectar_api::Error> for CliError {
    /// The client's message (escaped, secrets masked, with its advice), and the code of its kind.
    fn from(error: nectar_api::Error) -> Self {
        let code = match error.kind() {
            ErrorKind::InvalidRequest | ErrorKind::Config => exit::USAGE,
            ErrorKind::Transport | ErrorKind::Timeout => exit::TRANSPORT,
            _ => exit::API,
        };
        Self {
            code,
            message: error.to_string(),
        }
    }
}
