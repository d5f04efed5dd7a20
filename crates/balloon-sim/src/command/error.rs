//! A script error: where (line, column) and what was expected there.

use std::fmt;

/// A line that does not parse. Display: `line 3, column 1: unknown command "ballon"; expected
/// ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line (0 while a single line is being parsed on its own).
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What went wrong.
    pub message: String,
    /// The form expected at that place.
    pub expected: String,
}

impl ScriptError {
    /// An error at `column` of `line`.
    pub fn new(
        line: u32,
        column: u32,
        expected: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            line,
            column,
            message: message.into(),
            expected: expected.into(),
        }
    }

    /// An error in a single line, at byte offset `byte` of `text` (converted to a column).
    pub(crate) fn in_line(
        text: &str,
        byte: usize,
        expected: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let byte = byte.min(text.len());
        let column = text
            .char_indices()
            .take_while(|(i, _)| *i < byte)
            .count()
            .saturating_add(1);
        Self::new(
            0,
            u32::try_from(column).unwrap_or(u32::MAX),
            expected,
            message,
        )
    }

    /// The same error, placed on `line`.
    pub fn at_line(mut self, line: u32) -> Self {
        self.line = line;
        self
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}; expected {}",
            self.line, self.column, self.message, self.expected
        )
    }
}

impl std::error::Error for ScriptError {}
