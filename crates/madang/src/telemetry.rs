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
    let filter =
        EnvFilter::try_new(&settings.log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    // A second initialisation in one process (tests) keeps the first subscriber.
    let _ = if settings.json_logs() {
        builder
            .json()
            .flatten_event(true)
            // The spans a line was logged in: the request's (with its id) and the use
            // case's, so an error logged inside a request names both.
            .with_current_span(false)
            .with_span_list(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics() -> metrics_exporter_prometheus::PrometheusHandle {
    use std::sync::OnceLock;

    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    static HANDLE: OnceLock<metrics_exporter_prometheus::PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const SECONDS: &[f64] = &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS)
                .map(PrometheusBuilder::build_recorder);
            match recorder {
                Ok(r) => {
                    let handle = r.handle();
                    // A recorder installed already (another app in a test process) keeps counting.
                    let _ = metrics::set_global_recorder(r);
                    handle
                }
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}
