//! Logging set-up, in one place.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::Settings;

/// JSON lines in `prod` (or with `log_format = "json"`), human-readable otherwise.
/// `MADANG_LOG` (the `log` setting) is the filter. Logs go to standard output.
pub fn init(settings: &Settings) {
    init_with_writer(settings, std::io::stdout);
}

/// As [`init`], writing to `writer` (tests capture the log this way).
pub fn init_with_writer<W>(settings: &Settings, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second initialisation in one process (tests) keeps the first subscriber.
    let _ = if settings.json_logs() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
