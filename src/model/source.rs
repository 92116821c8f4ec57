//! Where a model file's errors are: the file's name and text, byte offsets turned into line and
//! column, and the caret under an expression.

use crate::error::Error;

/// A model file's text and the name errors call it by.
pub struct Source<'a> {
    pub origin: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// Line and column (both from 1, the column in characters) of byte `offset`.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// An error about the whole file or a place in it without an expression to show.
    pub fn error_at(&self, offset: Option<usize>, message: impl std::fmt::Display) -> Error {
        let place = match offset {
            Some(at) => {
                let (line, column) = self.line_column(at);
                format!("{}:{line}:{column}", self.origin)
            }
            None => self.origin.to_string(),
        };
        Error::Model {
            message: format!("{place}: {message}"),
        }
    }

    /// An error inside an expression: the place, the message, then the expression with a caret
    /// under byte `at` of it.
    pub fn error_in(&self, expr: &Located, at: usize, message: impl std::fmt::Display) -> Error {
        let (line, column) = self.line_column(expr.offset + at);
        // A window of the expression around the fault: long ones are shown in part.
        let chars: Vec<char> = expr.text.chars().collect();
        let caret = expr.text[..at.min(expr.text.len())].chars().count();
        let start = caret.saturating_sub(SHOWN_CHARS / 2);
        let end = (start + SHOWN_CHARS).min(chars.len());
        let shown: String = chars[start..end].iter().collect();
        let (before, after) = (
            if start > 0 { "…" } else { "" },
            if end < chars.len() { "…" } else { "" },
        );
        Error::Model {
            message: format!(
                "{}:{line}:{column}: {message}\n    {before}{shown}{after}\n    {}^",
                self.origin,
                " ".repeat(caret - start + before.chars().count())
            ),
        }
    }
}

/// The most characters of an expression an error shows (around its caret).
const SHOWN_CHARS: usize = 100;

/// An expression's text and the byte offset of its first character in the file.
#[derive(Clone, Debug)]
pub struct Located {
    pub text: String,
    pub offset: usize,
}

impl Located {
    /// The expression of a TOML string value spanning `span` in `file` (quotes included).
    pub fn from_toml(file: &str, text: String, span: std::ops::Range<usize>) -> Self {
        let opening = &file[span.start..];
        let quote = if opening.starts_with("\"\"\"") || opening.starts_with("'''") {
            3
        } else {
            1
        };
        Located {
            text,
            offset: span.start + quote,
        }
    }
}
