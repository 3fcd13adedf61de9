//! What recording one read costs inside the server, without HTTP around it: the viewer
//! key (a keyed SHA-256 for a visitor) and the in-process buffer's deduplication, for a
//! repeat read (the hot post) and a new pair each time (a random post), on one task and
//! on 32 at once. The HTTP figures of the `views` suite carry this VM's drift of tens
//! of percent; this one is a few hundred nanoseconds measured a million times.

use std::sync::Arc;
use std::time::Instant;

use madang_cache::LocalViews;
use madang_domain::Timestamp;
use madang_domain::accounts::ClientInfo;
use madang_domain::views::{ViewBuffer, ViewerKey};
use serde_json::{Value, json};

const READS: u64 = 1_000_000;

/// Nanoseconds per recorded read, by case and concurrency.
pub async fn measure() -> Value {
    let mut out = Vec::new();
    for tasks in [1_u64, 32] {
        for new_pairs in [false, true] {
            let views = Arc::new(LocalViews::new(madang_cache::LOCAL_DEDUP_CAP));
            let started = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for t in 0..tasks {
                let views = views.clone();
                set.spawn(async move {
                    let client = ClientInfo {
                        ip: Some("203.0.113.7".into()),
                        user_agent: Some(format!("Mozilla/5.0 reader {t}")),
                    };
                    let per_task = READS / tasks;
                    let mut counted = 0_u64;
                    for i in 0..per_task {
                        let key = ViewerKey::anonymous(b"bench-secret", &client);
                        let post = if new_pairs {
                            i64::try_from(i).unwrap_or(0) + 1
                        } else {
                            1
                        };
                        if views.record(post, &key, Timestamp(1)).await {
                            counted += 1;
                        }
                    }
                    counted
                });
            }
            let mut counted = 0;
            while let Some(n) = set.join_next().await {
                counted += n.unwrap_or(0);
            }
            let ns = started.elapsed().as_nanos() as f64 / READS as f64;
            out.push(json!({
                "tasks": tasks,
                "case": if new_pairs { "new pair each read" } else { "repeat read" },
                "ns_per_read": ns,
                "counted": counted,
            }));
        }
    }
    Value::Array(out)
}

/// The table of [`measure`]'s figures.
pub fn markdown(v: &Value) -> String {
    let mut s = String::from(
        "\nIn process, without HTTP (`ViewerKey::anonymous` + `LocalViews::record`, 1,000,000 reads; wall time \
         over the reads, so with 32 tasks it is throughput on this machine's cores):\n\n\
         | case | tasks | ns per read | counted |\n|---|---:|---:|---:|\n",
    );
    for r in v.as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} | {} | {:.0} | {} |\n",
            r["case"].as_str().unwrap_or(""),
            r["tasks"],
            r["ns_per_read"].as_f64().unwrap_or(f64::NAN),
            r["counted"]
        ));
    }
    s
}
