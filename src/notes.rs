//! Notes for the user that are not errors (e.g. a run falling back to the CPU). The command
//! line prints them on stderr; a host such as the Python package installs its own sink so that
//! they reach its users its own way (`warnings.warn`) instead of the terminal.

use std::sync::{Arc, RwLock};

type Sink = Arc<dyn Fn(&str) + Send + Sync>;

static SINK: RwLock<Option<Sink>> = RwLock::new(None);

/// Tells the user `message` through the installed sink, or on stderr as `note: message`.
pub fn note(message: &str) {
    let sink = SINK.read().unwrap_or_else(|e| e.into_inner()).clone();
    match sink {
        Some(sink) => sink(message),
        None => eprintln!("note: {message}"),
    }
}

/// Sends every later note to `sink` instead of stderr (for the whole process).
pub fn set_sink(sink: impl Fn(&str) + Send + Sync + 'static) {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(sink));
}
