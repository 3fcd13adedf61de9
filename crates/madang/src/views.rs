//! The view counter's flusher: every interval, the buffered views go to the posts; at
//! shutdown, one last flush, so a node stopped cleanly loses none.

use std::sync::Arc;
use std::time::{Duration, Instant};

use madang_domain::views::Views;
use tokio_util::sync::CancellationToken;

/// Flushes `views` every `every` until `stop`, then once more.
pub async fn flush_views(views: Arc<Views>, every: Duration, stop: CancellationToken) {
    loop {
        let stopping = tokio::select! {
            () = stop.cancelled() => true,
            () = tokio::time::sleep(every) => false,
        };
        flush_once(&views).await;
        if stopping {
            break;
        }
    }
}

/// One flush, measured and logged.
pub async fn flush_once(views: &Views) {
    let started = Instant::now();
    match views.flush().await {
        Ok(r) => {
            let buffer = views.buffer_name();
            metrics::histogram!("madang_view_flush_seconds", "buffer" => buffer)
                .record(started.elapsed().as_secs_f64());
            metrics::counter!("madang_views_counted_total").increment(r.views.unsigned_abs());
            if r.dropped > 0 {
                metrics::counter!("madang_views_lost_total").increment(r.dropped.unsigned_abs());
            }
            if r.restored > 0 || r.dropped > 0 {
                tracing::warn!(
                    restored = r.restored,
                    dropped = r.dropped,
                    "some view counts could not be written"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "view counts could not be taken from the buffer"),
    }
}
