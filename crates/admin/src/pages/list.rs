//! The lists: filters, search, sorting, the date drill-down and paging.

use madang_domain::console::{ModelSpec, Row};

use super::filters::filters;
use super::*;

pub(super) fn model_of(slug: &str, lang: Lang) -> Result<Model, Failure> {
    Model::from_slug(slug).ok_or_else(|| Failure::from_error(Error::NotFound("page"), lang))
}

/// The list's query parameters, to build links that change one and keep the rest.
pub(super) struct Params {
    slug: &'static str,
    map: BTreeMap<String, String>,
}

impl Params {
    fn href(&self, set: &[(&str, Option<&str>)]) -> String {
        let mut m = self.map.clone();
        m.remove("done");
        for (k, v) in set {
            match v {
                Some(v) => m.insert((*k).to_owned(), (*v).to_owned()),
                None => m.remove(*k),
            };
        }
        let q: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(m.iter())
            .finish();
        if q.is_empty() {
            format!("/admin/{}", self.slug)
        } else {
            format!("/admin/{}?{q}", self.slug)
        }
    }

    /// A change of filter, search or sort starts at the first page again.
    pub(super) fn refine(&self, k: &str, v: Option<&str>) -> String {
        self.href(&[(k, v), ("p", None)])
    }
}

pub(super) fn raw_query(pairs: &[(String, String)], lang: Lang) -> Result<RawListQuery, Failure> {
    let bad = |m: &str| Failure::from_error(Error::BadRequest(m.to_owned()), lang);
    let mut raw = RawListQuery::default();
    for (k, v) in pairs {
        match k.as_str() {
            "q" => raw.search = Some(v.clone()),
            "o" => raw.sort = Some(v.clone()),
            "p" => raw.page = Some(v.parse().map_err(|_| bad("page must be a number"))?),
            "y" => raw.year = Some(v.parse().map_err(|_| bad("year must be a number"))?),
            "m" => raw.month = Some(v.parse().map_err(|_| bad("month must be a number"))?),
            "d" => raw.day = Some(v.parse().map_err(|_| bad("day must be a number"))?),
            "done" => {}
            _ if v.is_empty() => {}
            _ => {
                raw.filters.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(raw)
}

pub async fn list(
    State(st): State<AdminState>,
    s: Session,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let model = model_of(&slug, lang)?;
    let pairs = query_pairs(q.as_deref(), lang)?;
    let raw = raw_query(&pairs, lang)?;
    let query = ListQuery::parse(model, &raw).map_err(fail)?;
    let listing = st.console.list(&query).await.map_err(fail)?;
    let spec = model.spec();
    let params = Params {
        slug: model.slug(),
        map: pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect(),
    };

    let columns = column_views(spec, &query, &params, lang);
    let filters = filters(&st, spec, &query, &params, lang)
        .await
        .map_err(fail)?;

    let (dates, crumbs) = if spec.dated {
        let span = st.console.span(model).await.map_err(fail)?;
        date_links(span, &query, &params, lang)
    } else {
        (Vec::new(), Vec::new())
    };

    let total_rows = listing.total.rows();
    let total = match listing.total {
        Total::Exact(n) => format!("{n} {}", lang.t("rows")),
        Total::AtLeast(n) => format!("{n}+ {} ({})", lang.t("rows"), lang.t("more_than")),
    };
    let pages = total_rows.div_ceil(u64::from(query.per_page)).max(1);
    let page = u64::from(query.page);
    let prev = (page > 1).then(|| params.href(&[("p", Some(&(page - 1).to_string()))]));
    let has_next = page < pages && listing.rows.len() as u64 == u64::from(query.per_page);
    let next = has_next.then(|| params.href(&[("p", Some(&(page + 1).to_string()))]));
    let page_label = match listing.total {
        Total::Exact(_) => format!("{} {page} {} {pages}", lang.t("page"), lang.t("of")),
        Total::AtLeast(_) => format!("{} {page}", lang.t("page")),
    };

    let actions: Vec<(&'static str, &'static str)> = spec
        .actions
        .iter()
        .filter(|a| s.staff.can(a.permission()))
        .map(|a| (a.slug(), lang.t(action_label(*a))))
        .collect();
    let search = spec.search.map(|placeholder| SearchView {
        placeholder: lang.t(placeholder),
        value: raw.search.clone().unwrap_or_default(),
        hidden: params
            .map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "q" | "p" | "done"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        bound: query
            .search
            .as_ref()
            .and(model.search_window())
            .map(|n| lang.t("search_window").replace("{n}", &n.to_string())),
    });
    let done = pairs
        .iter()
        .find(|(k, _)| k == "done")
        .and_then(|(_, v)| v.parse::<u32>().ok());
    let rows = row_views(&listing.rows, model, lang);
    ok(&ListPage {
        c: Chrome::new(&s, Some(model)),
        title: lang.t(model.slug()),
        slug: model.slug(),
        columns,
        rows,
        total,
        total_rows,
        selectable: !actions.is_empty(),
        actions,
        filters,
        search,
        dates,
        crumbs,
        prev,
        next,
        page_label,
        back: params.href(&[]),
        notice: done.map(|n| format!("{n} {}", lang.t("changed_n"))),
    })
}

/// The header row: each column's name, and for a sortable one the link that sorts by
/// it (the other way round when it already does) with an arrow for the current order.
fn column_views(spec: &ModelSpec, query: &ListQuery, params: &Params, lang: Lang) -> Vec<ColView> {
    spec.columns
        .iter()
        .map(|c| {
            let current = query.sort == c.key;
            ColView {
                label: lang.t(c.key),
                href: c.sortable.then(|| {
                    let next = if current && !query.descending {
                        format!("-{}", c.key)
                    } else {
                        c.key.to_owned()
                    };
                    params.refine("o", Some(&next))
                }),
                arrow: match (current, query.descending) {
                    (true, true) => "▼",
                    (true, false) => "▲",
                    _ => "",
                },
            }
        })
        .collect()
}

/// The rows, each cell with its column's name.
fn row_views(rows: &[Row], model: Model, lang: Lang) -> Vec<RowView> {
    let columns = model.spec().columns;
    rows.iter()
        .map(|r| RowView {
            id: r.id,
            muted: r.muted,
            cells: r
                .cells
                .iter()
                .zip(columns)
                .map(|(c, col)| ListCell::of(c, lang.t(col.key), model, r.id, lang))
                .collect(),
        })
        .collect()
}

/// The date drill-down: the links one level down from the chosen date, and the
/// crumbs back up to "all dates".
fn date_links(
    span: Option<(Timestamp, Timestamp)>,
    query: &ListQuery,
    params: &Params,
    lang: Lang,
) -> (Vec<LinkView>, Vec<LinkView>) {
    let label = |p: &madang_domain::console::DatePath| match (p.year, p.month, p.day) {
        (Some(y), None, _) => y.to_string(),
        (Some(_), Some(m), None) => format!("{m:02}"),
        (_, _, Some(d)) => format!("{d:02}"),
        _ => String::new(),
    };
    let link = |p: &madang_domain::console::DatePath| {
        let (y, m, d) = (
            p.year.map(|v| v.to_string()),
            p.month.map(|v| v.to_string()),
            p.day.map(|v| v.to_string()),
        );
        params.href(&[
            ("y", y.as_deref()),
            ("m", m.as_deref()),
            ("d", d.as_deref()),
            ("p", None),
        ])
    };
    let dates = query
        .date
        .children(span)
        .iter()
        .map(|p| LinkView {
            label: label(p),
            href: link(p),
            active: false,
        })
        .collect();
    let mut crumbs = vec![LinkView {
        label: lang.t("date_all").to_owned(),
        href: params.href(&[("y", None), ("m", None), ("d", None), ("p", None)]),
        active: query.date.year.is_none(),
    }];
    let d = query.date;
    let mut path = madang_domain::console::DatePath::default();
    for (i, part) in [
        d.year.map(i64::from),
        d.month.map(i64::from),
        d.day.map(i64::from),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(v) = part else { break };
        match i {
            0 => path.year = Some(i32::try_from(v).unwrap_or(1970)),
            1 => path.month = Some(u32::try_from(v).unwrap_or(1)),
            _ => path.day = Some(u32::try_from(v).unwrap_or(1)),
        }
        crumbs.push(LinkView {
            label: label(&path),
            href: link(&path),
            active: path == d,
        });
    }
    (dates, crumbs)
}

pub fn action_label(a: Action) -> &'static str {
    match a {
        Action::DeletePosts => "delete_posts",
        Action::RestorePosts => "restore_posts",
        Action::DeleteComments => "delete_comments",
        Action::RestoreComments => "restore_comments",
        Action::Suspend => "suspend_users",
        Action::Ban => "ban_users",
        Action::Reinstate => "reinstate_users",
        Action::SetRole => "set_role_users",
        Action::PinPosts => "pin_posts",
        Action::UnpinPosts => "unpin_posts",
        Action::DismissReports => "dismiss_reports",
        Action::RemoveReported => "remove_reported",
        Action::SuspendAuthor => "suspend_author",
        Action::BanAuthor => "ban_author",
    }
}
