//! The dashboard: the chart of daily counts, the queue, recent staff activity.

use super::*;

pub(super) const SERIES: [(&str, &str); 4] = [
    ("new_users", "s0"),
    ("posts", "s1"),
    ("comments", "s2"),
    ("votes", "s3"),
];

/// A line chart of the four daily series, as SVG made here (numbers only, no text
/// from users).
pub(super) fn chart_svg(days: &[(String, [i64; 4])]) -> String {
    let (w, h, pad) = (560.0_f64, 180.0_f64, 24.0_f64);
    let max = days
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = days.len().max(2) as f64;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / (n - 1.0);
    let y = |v: i64| h - pad - (h - 2.0 * pad) * v as f64 / max;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"14 days\">\
         <line class=\"axis\" x1=\"{pad}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>\
         <text class=\"lbl\" x=\"2\" y=\"{t}\">{max}</text>",
        b = h - pad,
        r = w - pad,
        t = pad,
        max = max as i64
    );
    for (k, (_, class)) in SERIES.iter().enumerate() {
        let pts: Vec<String> = days
            .iter()
            .enumerate()
            .map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(v[k])))
            .collect();
        out.push_str(&format!(
            "<polyline class=\"{class}\" points=\"{}\"/>",
            pts.join(" ")
        ));
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        out.push_str(&format!(
            "<text class=\"lbl\" x=\"{pad}\" y=\"{h}\">{}</text><text class=\"lbl end\" x=\"{r}\" y=\"{h}\">{}</text>",
            first.0,
            last.0,
            r = w - pad
        ));
    }
    out.push_str("</svg>");
    out
}

pub async fn dashboard(State(st): State<AdminState>, s: Session) -> PageResult {
    let lang = s.ctx.lang;
    let d = st
        .console
        .dashboard()
        .await
        .map_err(|e| Failure::from_error(e, lang))?;
    let days: Vec<(String, [i64; 4])> = d
        .days
        .iter()
        .map(|x| {
            let c = x.counts;
            (
                x.day.to_string()[5..].to_owned(),
                [c.new_users, c.posts, c.comments, c.votes],
            )
        })
        .collect();
    let failed = d
        .failed_jobs
        .iter()
        .map(|j| {
            vec![
                CellView::of(&Cell::Int(j.id), lang),
                CellView::of(&Cell::Text(j.kind.clone()), lang),
                CellView::of(&j.last_error.clone().map_or(Cell::Empty, Cell::Text), lang),
                CellView::of(&Cell::Time(j.updated_at), lang),
            ]
        })
        .collect();
    ok(&DashboardPage {
        c: Chrome::new(&s, None),
        chart: chart_svg(&days),
        legend: SERIES.iter().map(|(k, c)| (lang.t(k), *c)).collect(),
        days,
        jobs: vec![
            ("outbox", d.jobs.outbox),
            ("queued", d.jobs.queued),
            ("running", d.jobs.running),
            ("done", d.jobs.done),
            ("dead", d.jobs.dead),
        ],
        failed,
        recent: d.recent.iter().map(|e| AuditView::of(e, lang)).collect(),
    })
}
