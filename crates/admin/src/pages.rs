//! The console's pages: view models, their templates, and the handlers that fill
//! them from the console's use cases.

use std::collections::BTreeMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use madang_domain::Error;
use madang_domain::Timestamp;
use madang_domain::accounts::PasswordChange;
use madang_domain::console::{
    Action, ActionInput, AuditEntry, Cell, Choices, FieldChange, ListQuery, Model, Permission,
    Planned, RawListQuery, Total,
};
use madang_domain::error::Violation;
use madang_domain::maintenance::{DAY_MS, Day};
use madang_domain::seminars::{Seminar, SeminarInput};
use madang_domain::users::UserState;
use madang_http::extract::Client;

use crate::AdminState;
use crate::i18n::{Lang, Words};
use crate::session::{
    Ctx, Failure, FormData, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, cookie,
    set_cookie,
};

type PageResult = Result<Response, Failure>;

/// Renders a template as an HTML response.
pub fn html(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()),
            )
                .into_response()
        }
    }
}

fn ok(t: &impl Template) -> PageResult {
    Ok(html(StatusCode::OK, t))
}

/// UTC `YYYY-MM-DD HH:MM`.
pub fn fmt_time(t: Timestamp) -> String {
    let day = Day::containing(t, 0);
    let ms = t.millis().rem_euclid(DAY_MS);
    format!("{day} {:02}:{:02}", ms / 3_600_000, ms / 60_000 % 60)
}

// ---------------------------------------------------------------------------------
// View models shared by the templates

pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub active: bool,
}

/// The frame around every signed-in page.
pub struct Chrome {
    pub lang: Lang,
    pub user_name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub lang_ko: String,
    pub lang_en: String,
}

impl Chrome {
    pub fn new(s: &Session, active: Option<Model>) -> Self {
        let lang = s.ctx.lang;
        let mut nav = vec![NavItem {
            href: "/admin/".into(),
            label: lang.t("dashboard"),
            active: active.is_none(),
        }];
        nav.extend(Model::ALL.into_iter().map(|m| NavItem {
            href: format!("/admin/{}", m.slug()),
            label: lang.t(m.slug()),
            active: active == Some(m),
        }));
        let back: String = form_urlencoded::byte_serialize(s.ctx.here.as_bytes()).collect();
        Self {
            lang,
            user_name: s.staff.user.name.clone(),
            role: lang.t(s.staff.user.role.as_str()),
            csrf: s.staff.csrf.clone(),
            nav,
            lang_ko: format!("/admin/lang?to=ko&back={back}"),
            lang_en: format!("/admin/lang?to=en&back={back}"),
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

pub struct CellView {
    pub text: String,
    pub href: Option<String>,
    pub class: &'static str,
}

impl CellView {
    fn of(cell: &Cell, lang: Lang) -> Self {
        let plain = |text: String, class| CellView {
            text,
            href: None,
            class,
        };
        match cell {
            Cell::Empty => plain(String::new(), ""),
            Cell::Text(s) => plain(s.clone(), ""),
            Cell::Int(n) => plain(n.to_string(), "num"),
            Cell::Time(t) => plain(fmt_time(*t), "time"),
            Cell::Bool(b) => plain(lang.t(if *b { "yes" } else { "no" }).to_owned(), ""),
            Cell::Tag(s) => CellView {
                text: match lang.t(s) {
                    "?" => s.clone(),
                    word => word.to_owned(),
                },
                href: None,
                class: "tag",
            },
            Cell::Link { model, id, text } => CellView {
                text: text.clone(),
                href: Some(if model.has_detail() {
                    format!("/admin/{}/{id}", model.slug())
                } else {
                    format!("/admin/{}", model.slug())
                }),
                class: "",
            },
        }
    }
}

pub struct LinkView {
    pub label: String,
    pub href: String,
    pub active: bool,
}

pub struct InputView {
    pub name: &'static str,
    pub label: &'static str,
    /// text, password, date, select, textarea
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String, bool)>,
    pub error: Option<String>,
}

impl InputView {
    fn new(lang: Lang, name: &'static str, kind: &'static str, value: &str) -> Self {
        Self {
            name,
            label: lang.t(name),
            kind,
            value: value.to_owned(),
            options: Vec::new(),
            error: None,
        }
    }
}

pub struct FormView {
    pub action: String,
    pub submit: &'static str,
    pub danger: bool,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<InputView>,
    /// An error not about one field.
    pub error: Option<String>,
}

/// Puts each violation beside its field; the rest go to the form.
fn place_errors(form: &mut FormView, e: Error) {
    match e {
        Error::Validation(vs) => {
            for v in vs {
                match form.fields.iter_mut().find(|f| f.name == v.field) {
                    Some(f) => f.error = Some(v.message),
                    None => form.error = Some(v.message),
                }
            }
        }
        Error::Conflict { field, message } => {
            match field.and_then(|n| form.fields.iter_mut().find(|f| f.name == n)) {
                Some(f) => f.error = Some(message),
                None => form.error = Some(message),
            }
        }
        e => form.error = Some(e.to_string()),
    }
}

pub struct InlineView {
    pub title: String,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<CellView>>,
    pub more: Option<LinkView>,
}

// ---------------------------------------------------------------------------------
// Templates

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub lang: Lang,
    pub title: &'static str,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    form: FormView,
    lang_ko: &'static str,
    lang_en: &'static str,
}

impl LoginPage {
    fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    c: Chrome,
    title: &'static str,
    notice: Option<&'static str>,
    form: FormView,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    chart: String,
    legend: Vec<(&'static str, &'static str)>,
    days: Vec<(String, [i64; 4])>,
    jobs: Vec<(&'static str, u64)>,
    failed: Vec<Vec<CellView>>,
    recent: Vec<AuditView>,
}

pub struct AuditView {
    pub when: String,
    pub actor: CellView,
    pub action: &'static str,
    pub object: CellView,
    pub changes: Vec<FieldChange>,
}

impl AuditView {
    fn of(e: &AuditEntry, lang: Lang) -> Self {
        let object = match Model::from_object_type(&e.object_type) {
            Some(m) => Cell::Link {
                model: m,
                id: e.object_id,
                text: e.object_repr.clone(),
            },
            None => Cell::Text(e.object_repr.clone()),
        };
        Self {
            when: fmt_time(e.at),
            actor: CellView::of(
                &Cell::Link {
                    model: Model::User,
                    id: e.actor_id,
                    text: e.actor_name.clone(),
                },
                lang,
            ),
            action: lang.t(&e.action),
            object: CellView::of(&object, lang),
            changes: e.changes.clone(),
        }
    }
}

pub struct ColView {
    pub label: &'static str,
    pub href: Option<String>,
    pub arrow: &'static str,
}

pub struct RowView {
    pub id: i64,
    pub muted: bool,
    pub cells: Vec<CellView>,
}

pub struct FilterView {
    pub label: &'static str,
    pub options: Vec<LinkView>,
}

pub struct SearchView {
    pub placeholder: &'static str,
    pub value: String,
    pub hidden: Vec<(String, String)>,
    /// Said beside a search that reads only part of its selection.
    pub bound: Option<String>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    c: Chrome,
    title: &'static str,
    slug: &'static str,
    columns: Vec<ColView>,
    rows: Vec<RowView>,
    total: String,
    total_rows: u64,
    selectable: bool,
    actions: Vec<(&'static str, &'static str)>,
    filters: Vec<FilterView>,
    search: Option<SearchView>,
    dates: Vec<LinkView>,
    crumbs: Vec<LinkView>,
    prev: Option<String>,
    next: Option<String>,
    page_label: String,
    back: String,
    notice: Option<String>,
}

pub struct PlannedView {
    pub repr: String,
    pub changes: Vec<FieldChange>,
    pub note: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    title: &'static str,
    intro: &'static str,
    items: Vec<PlannedView>,
    form: Option<FormView>,
    back: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    c: Chrome,
    title: String,
    list_label: &'static str,
    list_href: String,
    muted: bool,
    fields: Vec<(&'static str, CellView)>,
    body: Option<(&'static str, String)>,
    forms: Vec<(&'static str, FormView)>,
    inlines: Vec<InlineView>,
    history_href: Option<String>,
}

// ---------------------------------------------------------------------------------
// Log-in, log-out, password, language

pub async fn to_dashboard() -> Redirect {
    Redirect::permanent("/admin/")
}

/// Only a path inside the console is a place to go back to.
fn safe_back(s: Option<&str>, default: &str) -> String {
    match s {
        Some(p) if p.starts_with("/admin") && !p.starts_with("//") && !p.contains('\\') => {
            p.to_owned()
        }
        _ => default.to_owned(),
    }
}

fn login_form(lang: Lang, csrf: &str, next: &str, username: &str) -> FormView {
    FormView {
        action: "/admin/login".into(),
        submit: lang.t("log_in"),
        danger: false,
        hidden: vec![
            ("csrf".into(), csrf.to_owned()),
            ("next".into(), next.to_owned()),
        ],
        fields: vec![
            InputView::new(lang, "username", "text", username),
            InputView::new(lang, "password", "password", ""),
        ],
        error: None,
    }
}

fn login_page(
    st: &AdminState,
    ctx: &Ctx,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<String>,
) -> Response {
    let token = st.console.new_form_token();
    let mut form = login_form(ctx.lang, &token, next, username);
    form.error = error;
    let mut res = html(
        status,
        &LoginPage {
            lang: ctx.lang,
            form,
            lang_ko: "/admin/lang?to=ko&back=/admin/login",
            lang_en: "/admin/lang?to=en&back=/admin/login",
        },
    );
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &token, 3600, ctx.tls, true),
    );
    res
}

fn query_pairs(q: Option<&str>, lang: Lang) -> Result<Vec<(String, String)>, Failure> {
    FormData::parse(q.unwrap_or("").as_bytes())
        .map(|f| f.0)
        .map_err(|e| Failure::from_error(e, lang))
}

pub async fn login_form_page(
    State(st): State<AdminState>,
    ctx: Ctx,
    RawQuery(q): RawQuery,
) -> Response {
    let pairs = match query_pairs(q.as_deref(), ctx.lang) {
        Ok(pairs) => pairs,
        Err(failure) => return failure.into_response(),
    };
    let next = pairs.into_iter().find(|(k, _)| k == "next").map(|(_, v)| v);
    let next = safe_back(next.as_deref(), "/admin/");
    login_page(&st, &ctx, StatusCode::OK, &next, "", None)
}

pub async fn log_in(
    State(st): State<AdminState>,
    ctx: Ctx,
    headers: HeaderMap,
    client: Result<Client, madang_http::error::ApiError>,
    body: Bytes,
) -> Response {
    let form = match FormData::parse(&body) {
        Ok(form) => form,
        Err(e) => return Failure::from_error(e, ctx.lang).into_response(),
    };
    let next = safe_back(form.get("next"), "/admin/");
    let username = form.get("username").unwrap_or("").to_owned();
    // Double-submit: the form's token must match the cookie set with the form.
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or("");
    if expected.is_empty() || expected != sent {
        return login_page(
            &st,
            &ctx,
            StatusCode::FORBIDDEN,
            &next,
            &username,
            Some(ctx.lang.t("stale_form").to_owned()),
        );
    }
    let client = client.map(|c| c.0).unwrap_or_default();
    let password = form.get("password").unwrap_or("");
    match st.console.log_in(&username, password, &client).await {
        Ok((token, _)) => {
            let mut res = Redirect::to(&next).into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, 8 * 3600, ctx.tls, true),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", 0, ctx.tls, true),
            );
            res
        }
        Err(e) => {
            let f = Failure::from_error(e, ctx.lang);
            let (status, key) = match f.status {
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                    (StatusCode::UNAUTHORIZED, "bad_login")
                }
                s => (s, f.title),
            };
            login_page(
                &st,
                &ctx,
                status,
                &next,
                &username,
                Some(ctx.lang.t(key).to_owned()),
            )
        }
    }
}

pub async fn log_out(State(st): State<AdminState>, s: Session, body: Bytes) -> PageResult {
    let fail = |e| Failure::from_error(e, s.ctx.lang);
    let form = FormData::parse(&body).map_err(fail)?;
    s.staff.check_csrf(form.csrf()).map_err(fail)?;
    st.console
        .log_out(&s.staff)
        .await
        .map_err(|e| Failure::from_error(e, s.ctx.lang))?;
    let mut res = Redirect::to("/admin/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, s.ctx.tls, true),
    );
    Ok(res)
}

fn password_form(s: &Session) -> FormView {
    let lang = s.ctx.lang;
    FormView {
        action: "/admin/password".into(),
        submit: lang.t("save"),
        danger: false,
        hidden: vec![("csrf".into(), s.staff.csrf.clone())],
        fields: vec![
            InputView::new(lang, "current_password", "password", ""),
            InputView::new(lang, "password1", "password", ""),
            InputView::new(lang, "password2", "password", ""),
        ],
        error: None,
    }
}

pub async fn password_form_page(s: Session) -> PageResult {
    ok(&FormPage {
        c: Chrome::new(&s, None),
        title: s.ctx.lang.t("password_change"),
        notice: None,
        form: password_form(&s),
    })
}

pub async fn change_password(State(st): State<AdminState>, s: Session, body: Bytes) -> PageResult {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let form = FormData::parse(&body).map_err(fail)?;
    s.staff.check_csrf(form.csrf()).map_err(fail)?;
    let input = PasswordChange {
        current_password: form.get("current_password").map(str::to_owned),
        password1: form.get("password1").map(str::to_owned),
        password2: form.get("password2").map(str::to_owned),
    };
    let (status, notice, mut view) = (StatusCode::OK, None, password_form(&s));
    let (status, notice) = match st.console.change_password(&s.staff, input).await {
        Ok(()) => (status, Some(lang.t("password_changed"))),
        Err(e @ (Error::Validation(_) | Error::Forbidden(_))) => {
            place_errors(&mut view, e);
            (StatusCode::BAD_REQUEST, notice)
        }
        Err(e) => return Err(Failure::from_error(e, lang)),
    };
    Ok(html(
        status,
        &FormPage {
            c: Chrome::new(&s, None),
            title: lang.t("password_change"),
            notice,
            form: view,
        },
    ))
}

pub async fn set_lang(ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    let pairs = match query_pairs(q.as_deref(), ctx.lang) {
        Ok(pairs) => pairs,
        Err(failure) => return failure.into_response(),
    };
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let lang = get("to").and_then(Lang::parse).unwrap_or(ctx.lang);
    let back = safe_back(get("back"), "/admin/");
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang.code(), 365 * 86_400, ctx.tls, true),
    );
    res
}

// ---------------------------------------------------------------------------------
// Dashboard

const SERIES: [(&str, &str); 4] = [
    ("new_users", "s0"),
    ("posts", "s1"),
    ("comments", "s2"),
    ("votes", "s3"),
];

/// A line chart of the four daily series, as SVG made here (numbers only, no text
/// from users).
fn chart_svg(days: &[(String, [i64; 4])]) -> String {
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

// ---------------------------------------------------------------------------------
// Lists

fn model_of(slug: &str, lang: Lang) -> Result<Model, Failure> {
    Model::from_slug(slug).ok_or_else(|| Failure::from_error(Error::NotFound("page"), lang))
}

/// The list's query parameters, to build links that change one and keep the rest.
struct Params {
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
    fn refine(&self, k: &str, v: Option<&str>) -> String {
        self.href(&[(k, v), ("p", None)])
    }
}

fn raw_query(pairs: &[(String, String)], lang: Lang) -> Result<RawListQuery, Failure> {
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

    let columns = spec
        .columns
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
        .collect();

    let mut filters = Vec::new();
    for f in spec.filters {
        let current = query.filter(f.key);
        let mut options = vec![LinkView {
            label: lang.t("all").to_owned(),
            href: params.refine(f.key, None),
            active: current.is_none(),
        }];
        match f.choices {
            Choices::Fixed(values) => {
                for v in values {
                    options.push(LinkView {
                        label: lang.t(v).to_owned(),
                        href: params.refine(f.key, Some(v)),
                        active: current == Some(*v),
                    });
                }
            }
            // Reached from a seminar's page: only the chosen one is offered.
            Choices::Seminar => {
                if let Some(id) = current {
                    options.push(LinkView {
                        label: format!("#{id}"),
                        href: params.refine(f.key, Some(id)),
                        active: true,
                    });
                }
            }
            Choices::Categories => {
                let tree = st.console.category_tree().await.map_err(fail)?;
                for node in flatten(&tree) {
                    let id = node.0.to_string();
                    options.push(LinkView {
                        label: node.1,
                        active: current == Some(id.as_str()),
                        href: params.refine(f.key, Some(&id)),
                    });
                }
            }
        }
        filters.push(FilterView {
            label: lang.t(f.key),
            options,
        });
    }

    let (dates, crumbs) = if spec.dated {
        let span = st.console.span(model).await.map_err(fail)?;
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
    let rows = listing
        .rows
        .iter()
        .map(|r| RowView {
            id: r.id,
            muted: r.muted,
            cells: r.cells.iter().map(|c| CellView::of(c, lang)).collect(),
        })
        .collect();
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

/// Categories depth-first with their names indented by depth.
fn flatten(tree: &madang_domain::categories::CategoryTree) -> Vec<(i64, String)> {
    fn walk(
        nodes: &[madang_domain::categories::CategoryNode],
        depth: usize,
        out: &mut Vec<(i64, String)>,
    ) {
        for n in nodes {
            out.push((n.id, format!("{}{}", "· ".repeat(depth), n.name)));
            walk(&n.children, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(&tree.roots(), 0, &mut out);
    out
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
    }
}

// ---------------------------------------------------------------------------------
// Bulk actions: select → (fields) → review exactly what changes → apply

fn action_input(form: &FormData) -> ActionInput {
    ActionInput {
        until: form.get("until").map(str::to_owned),
        reason: form.get("reason").map(str::to_owned),
        role: form.get("role").map(str::to_owned),
    }
}

fn action_fields(lang: Lang, action: Action, input: &ActionInput) -> Vec<InputView> {
    action
        .fields()
        .iter()
        .map(|f| match *f {
            "until" => InputView::new(lang, "until", "date", input.until.as_deref().unwrap_or("")),
            "reason" => InputView::new(
                lang,
                "reason",
                "textarea",
                input.reason.as_deref().unwrap_or(""),
            ),
            _ => {
                let current = input.role.as_deref().unwrap_or("");
                let mut v = InputView::new(lang, "role", "select", current);
                v.options = ["user", "moderator", "admin"]
                    .iter()
                    .map(|r| ((*r).to_owned(), lang.t(r).to_owned(), *r == current))
                    .collect();
                v
            }
        })
        .collect()
}

/// The objects a bulk action is about, and where to go back to.
struct Bulk<'a> {
    model: Model,
    action: Action,
    ids: &'a [i64],
    back: &'a str,
}

fn action_form(
    s: &Session,
    b: &Bulk<'_>,
    stage: &str,
    fields: Vec<InputView>,
    hidden_input: Option<&ActionInput>,
) -> FormView {
    let lang = s.ctx.lang;
    let mut hidden = vec![
        ("csrf".to_owned(), s.staff.csrf.clone()),
        ("action".to_owned(), b.action.slug().to_owned()),
        ("stage".to_owned(), stage.to_owned()),
        ("back".to_owned(), b.back.to_owned()),
    ];
    hidden.extend(b.ids.iter().map(|id| ("ids".to_owned(), id.to_string())));
    if let Some(i) = hidden_input {
        for (k, v) in [
            ("until", &i.until),
            ("reason", &i.reason),
            ("role", &i.role),
        ] {
            if let Some(v) = v {
                hidden.push((k.to_owned(), v.clone()));
            }
        }
    }
    FormView {
        action: format!("/admin/{}/action", b.model.slug()),
        submit: lang.t(if stage == "apply" {
            "confirm_yes"
        } else {
            "review"
        }),
        danger: stage == "apply",
        hidden,
        fields,
        error: None,
    }
}

fn planned_views(plan: &[Planned]) -> Vec<PlannedView> {
    plan.iter()
        .map(|p| PlannedView {
            repr: p.repr.clone(),
            changes: p.changes.clone(),
            note: p.note.map(|n| match n {
                "missing" => "note_missing",
                "self" => "note_self",
                "staff" => "note_staff",
                _ => "note_already",
            }),
        })
        .collect()
}

pub async fn action(
    State(st): State<AdminState>,
    s: Session,
    Path(slug): Path<String>,
    body: Bytes,
) -> PageResult {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let model = model_of(&slug, lang)?;
    let form = FormData::parse(&body).map_err(fail)?;
    s.staff.check_csrf(form.csrf()).map_err(fail)?;
    let action = form
        .get("action")
        .and_then(Action::from_slug)
        .filter(|a| a.model() == model)
        .ok_or_else(|| fail(Error::BadRequest("choose an action for this list".into())))?;
    s.staff.ensure(action.permission()).map_err(fail)?;
    let mut ids = Vec::new();
    for v in form.all("ids") {
        ids.push(
            v.parse::<i64>()
                .map_err(|_| fail(Error::BadRequest("ids must be numbers".into())))?,
        );
    }
    ids.sort_unstable();
    ids.dedup();
    let back = safe_back(form.get("back"), &format!("/admin/{}", model.slug()));
    let input = action_input(&form);
    let title = lang.t(action_label(action));
    let bulk = Bulk {
        model,
        action,
        ids: &ids,
        back: &back,
    };
    let confirm = |items, form, status| {
        Ok(html(
            status,
            &ConfirmPage {
                c: Chrome::new(&s, Some(model)),
                title,
                intro: lang.t("confirm_intro"),
                items,
                form,
                back: back.clone(),
            },
        ))
    };
    // The action's fields, with each validation error beside its field.
    let fields_page = |plan: &[Planned], err: Option<Error>, status| {
        let fields = action_fields(lang, action, &input);
        let mut f = action_form(&s, &bulk, "review", fields, None);
        if let Some(e) = err {
            place_errors(&mut f, e);
        }
        Ok::<_, Failure>(html(
            status,
            &ConfirmPage {
                c: Chrome::new(&s, Some(model)),
                title,
                intro: lang.t("confirm_fields"),
                items: planned_views(plan),
                form: Some(f),
                back: back.clone(),
            },
        ))
    };
    match form.get("stage").unwrap_or("select") {
        "apply" => match st.console.apply(&s.staff, action, &ids, &input).await {
            Ok(n) => {
                let sep = if back.contains('?') { '&' } else { '?' };
                Ok(Redirect::to(&format!("{back}{sep}done={n}")).into_response())
            }
            Err(e @ Error::Validation(_)) => {
                let plan = st
                    .console
                    .plan(&s.staff, action, &ids, None)
                    .await
                    .map_err(fail)?;
                fields_page(&plan, Some(e), StatusCode::BAD_REQUEST)
            }
            Err(e) => Err(fail(e)),
        },
        stage => {
            let fields_known = stage == "review" || action.fields().is_empty();
            if !fields_known {
                let plan = st
                    .console
                    .plan(&s.staff, action, &ids, None)
                    .await
                    .map_err(fail)?;
                return fields_page(&plan, None, StatusCode::OK);
            }
            match st.console.plan(&s.staff, action, &ids, Some(&input)).await {
                Ok(plan) => {
                    let any = plan.iter().any(|p| p.change.is_some());
                    let form =
                        any.then(|| action_form(&s, &bulk, "apply", Vec::new(), Some(&input)));
                    confirm(planned_views(&plan), form, StatusCode::OK)
                }
                Err(e @ Error::Validation(_)) => {
                    let plan = st
                        .console
                        .plan(&s.staff, action, &ids, None)
                        .await
                        .map_err(fail)?;
                    fields_page(&plan, Some(e), StatusCode::BAD_REQUEST)
                }
                Err(e) => Err(fail(e)),
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Change pages and history

fn id_of(s: &str, lang: Lang) -> Result<i64, Failure> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::from_error(Error::NotFound("page"), lang))
}

/// A one-button (or few-field) form that starts an action on this object.
fn object_action(s: &Session, model: Model, action: Action, id: i64) -> (&'static str, FormView) {
    let lang = s.ctx.lang;
    let back = format!("/admin/{}/{id}", model.slug());
    let fields = action_fields(lang, action, &ActionInput::default());
    let bulk = Bulk {
        model,
        action,
        ids: &[id],
        back: &back,
    };
    let mut f = action_form(s, &bulk, "review", fields, None);
    let one = match action {
        Action::DeletePosts | Action::DeleteComments => "delete_one",
        Action::RestorePosts | Action::RestoreComments => "restore_one",
        Action::Suspend => "suspend_one",
        Action::Ban => "ban_one",
        Action::Reinstate => "reinstate_one",
        Action::SetRole => "set_role_one",
    };
    f.submit = lang.t(one);
    f.danger = matches!(
        action,
        Action::DeletePosts | Action::DeleteComments | Action::Ban
    );
    (lang.t(one), f)
}

/// The change form of an object's editable settings, at `/admin/{model}/{id}/edit`,
/// with the errors of a refused save beside their fields.
fn edit_form(
    s: &Session,
    model: Model,
    id: i64,
    title: &'static str,
    fields: Vec<InputView>,
    refused: Option<Error>,
) -> (&'static str, FormView) {
    let mut form = FormView {
        action: format!("/admin/{}/{id}/edit", model.slug()),
        submit: s.ctx.lang.t("save"),
        danger: false,
        hidden: vec![("csrf".into(), s.staff.csrf.clone())],
        fields,
        error: None,
    };
    if let Some(e) = refused {
        place_errors(&mut form, e);
    }
    (title, form)
}

/// A seminar's settings as the form shows them: what was sent, or what is stored.
fn seminar_fields(lang: Lang, sent: Option<&FormData>, sem: &Seminar) -> Vec<InputView> {
    let value =
        |key: &str, stored: String| sent.map_or(stored, |f| f.get(key).unwrap_or("").to_owned());
    let online = value("online", if sem.online { "yes" } else { "no" }.to_owned());
    let mut online_field = InputView::new(lang, "online", "select", &online);
    online_field.options = ["yes", "no"]
        .iter()
        .map(|v| (v.to_string(), lang.t(v).to_owned(), online == *v))
        .collect();
    vec![
        InputView::new(lang, "name", "text", &value("name", sem.name.clone())),
        InputView::new(
            lang,
            "capacity",
            "number",
            &value("capacity", sem.capacity.to_string()),
        ),
        InputView::new(
            lang,
            "count",
            "number",
            &value("count", sem.count.to_string()),
        ),
        InputView::new(lang, "time", "text", &value("time", sem.time.clone())),
        online_field,
    ]
}

/// Reads the seminar form into the API's input type. A number field that is empty or
/// not a whole number is reported beside it together with what the seminar rules say
/// of the other fields, all at once.
fn seminar_input(form: &FormData) -> Result<SeminarInput, Error> {
    let mut bad = Vec::new();
    // The form shows every field, so an emptied number is a missing value, as in
    // the API's create, not "keep the current one".
    let mut number = |key: &'static str| match form.get(key).map(str::trim) {
        None | Some("") => {
            bad.push(Violation::new(
                key,
                "required",
                format!("{key} is required"),
            ));
            None
        }
        Some(v) => v.parse::<i64>().map_or_else(
            |_| {
                bad.push(Violation::new(
                    key,
                    "integer",
                    format!("{key} must be a whole number"),
                ));
                None
            },
            Some,
        ),
    };
    let input = SeminarInput {
        name: form.get("name").map(str::to_owned),
        capacity: number("capacity"),
        count: number("count"),
        time: form.get("time").map(|t| t.trim().to_owned()),
        online: match form.get("online") {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
    };
    if bad.is_empty() {
        return Ok(input);
    }
    // The unreadable fields are absent from `input`, so the rules say nothing of them.
    if let Err(Error::Validation(more)) = input.check(false) {
        bad.extend(more);
    }
    Err(Error::Validation(bad))
}

/// A change page; `edit` is a refused edit form as sent, with why it was refused.
async fn detail_page(
    st: &AdminState,
    s: &Session,
    model: Model,
    id: i64,
    edit: Option<(&FormData, Error)>,
) -> Result<DetailPage, Failure> {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let c = |cell: Cell| CellView::of(&cell, lang);
    let mut page = DetailPage {
        c: Chrome::new(s, Some(model)),
        title: String::new(),
        list_label: lang.t(model.slug()),
        list_href: format!("/admin/{}", model.slug()),
        muted: false,
        fields: Vec::new(),
        body: None,
        forms: Vec::new(),
        inlines: Vec::new(),
        history_href: Some(format!("/admin/{}/{id}/history", model.slug())),
    };
    match model {
        Model::User => {
            let u = st.console.user(id).await.map_err(fail)?;
            let now = st.console.now();
            let state = u.state.at(now).clone();
            page.title = format!("{} #{}", u.name, u.id);
            page.fields = vec![
                ("id", c(Cell::Int(u.id))),
                ("name", c(Cell::Text(u.name.clone()))),
                ("email", c(Cell::Text(u.email.clone()))),
                ("role", c(Cell::Tag(u.role.as_str().to_owned()))),
                ("state", c(Cell::Tag(state.kind().to_owned()))),
                ("created_at", c(Cell::Time(u.created_at))),
            ];
            match &state {
                UserState::Suspended { until, reason } => {
                    page.fields.push(("until", c(Cell::Time(*until))));
                    page.fields.push(("reason", c(Cell::Text(reason.clone()))));
                }
                UserState::Banned { reason } => {
                    page.fields.push(("reason", c(Cell::Text(reason.clone()))));
                }
                UserState::Active => {}
            }
            let may_touch = u.id != s.staff.user.id
                && (!u.role.is_staff() || s.staff.can(Permission::ChangeRole));
            if may_touch && s.staff.can(Permission::Discipline) {
                for a in [Action::Suspend, Action::Ban, Action::Reinstate] {
                    page.forms.push(object_action(s, model, a, id));
                }
            }
            if u.id != s.staff.user.id && s.staff.can(Permission::ChangeRole) {
                page.forms
                    .push(object_action(s, model, Action::SetRole, id));
            }
            let raw = RawListQuery {
                search: Some(u.name.clone()),
                ..Default::default()
            };
            let q = ListQuery::parse(Model::Login, &raw).map_err(fail)?;
            let logins = st.console.list(&q).await.map_err(fail)?;
            page.inlines.push(InlineView {
                title: lang.t("recent_logins").to_owned(),
                columns: vec![lang.t("created_at"), lang.t("succeeded"), lang.t("ip")],
                rows: logins
                    .rows
                    .iter()
                    .take(5)
                    .map(|r| {
                        [5, 2, 3]
                            .iter()
                            .filter_map(|i| r.cells.get(*i))
                            .map(|cell| CellView::of(cell, lang))
                            .collect()
                    })
                    .collect(),
                more: Some(LinkView {
                    label: lang.t("logins_of").to_owned(),
                    href: {
                        let q: String = form_urlencoded::Serializer::new(String::new())
                            .append_pair("q", &u.name)
                            .finish();
                        format!("/admin/logins?{q}")
                    },
                    active: false,
                }),
            });
        }
        Model::Post => {
            let (p, versions) = st.console.post(id).await.map_err(fail)?;
            page.title = format!("#{} {}", p.id, p.title);
            page.muted = p.deleted_at.is_some();
            page.fields = vec![
                ("id", c(Cell::Int(p.id))),
                ("title", c(Cell::Text(p.title.clone()))),
                (
                    "category",
                    c(Cell::Link {
                        model: Model::Category,
                        id: p.category.id,
                        text: p.category.name.clone(),
                    }),
                ),
                (
                    "author",
                    c(p.author.clone().map_or(Cell::Empty, |a| Cell::Link {
                        model: Model::User,
                        id: a.id,
                        text: a.name,
                    })),
                ),
                (
                    "status",
                    c(Cell::Tag(
                        if p.deleted_at.is_some() {
                            "deleted"
                        } else {
                            "active"
                        }
                        .into(),
                    )),
                ),
                (
                    "sentiment",
                    c(p.sentiment
                        .clone()
                        .map_or(Cell::Empty, |x| Cell::Tag(x.label))),
                ),
                ("votes", c(Cell::Int(p.vote_count))),
                ("comments", c(Cell::Int(p.comment_count))),
                ("version", c(Cell::Int(p.version))),
                ("created_at", c(Cell::Time(p.created_at))),
                ("updated_at", c(Cell::Time(p.updated_at))),
                (
                    "deleted_at",
                    c(p.deleted_at.map_or(Cell::Empty, Cell::Time)),
                ),
            ];
            page.body = Some((lang.t("content"), p.content.clone()));
            if s.staff.can(Permission::Moderate) {
                let a = if p.deleted_at.is_some() {
                    Action::RestorePosts
                } else {
                    Action::DeletePosts
                };
                page.forms.push(object_action(s, model, a, id));
            }
            page.inlines.push(InlineView {
                title: lang.t("versions").to_owned(),
                columns: vec![
                    lang.t("version"),
                    lang.t("created_at"),
                    lang.t("title"),
                    lang.t("content"),
                ],
                rows: versions
                    .iter()
                    .map(|v| {
                        vec![
                            c(Cell::Int(v.version)),
                            c(Cell::Time(v.created_at)),
                            c(Cell::Text(v.title.clone())),
                            c(Cell::Text(v.content.clone())),
                        ]
                    })
                    .collect(),
                more: None,
            });
        }
        Model::Comment => {
            let (r, versions) = st.console.comment(id).await.map_err(fail)?;
            let m = &r.comment;
            page.title = format!("{} #{}", lang.t("comment"), m.id);
            page.muted = r.deleted_at.is_some();
            page.fields = vec![
                ("id", c(Cell::Int(m.id))),
                (
                    "post",
                    c(Cell::Link {
                        model: Model::Post,
                        id: m.post_id,
                        text: format!("#{}", m.post_id),
                    }),
                ),
                (
                    "author",
                    c(m.author.clone().map_or(Cell::Empty, |a| Cell::Link {
                        model: Model::User,
                        id: a.id,
                        text: a.name,
                    })),
                ),
                (
                    "status",
                    c(Cell::Tag(
                        if r.deleted_at.is_some() {
                            "deleted"
                        } else {
                            "active"
                        }
                        .into(),
                    )),
                ),
                (
                    "sentiment",
                    c(m.sentiment
                        .clone()
                        .map_or(Cell::Empty, |x| Cell::Tag(x.label))),
                ),
                ("votes", c(Cell::Int(m.vote_count))),
                ("version", c(Cell::Int(m.version))),
                ("created_at", c(Cell::Time(m.created_at))),
                ("updated_at", c(Cell::Time(m.updated_at))),
                (
                    "deleted_at",
                    c(r.deleted_at.map_or(Cell::Empty, Cell::Time)),
                ),
            ];
            page.body = Some((lang.t("content"), m.content.clone()));
            if s.staff.can(Permission::Moderate) {
                let a = if r.deleted_at.is_some() {
                    Action::RestoreComments
                } else {
                    Action::DeleteComments
                };
                page.forms.push(object_action(s, model, a, id));
            }
            page.inlines.push(InlineView {
                title: lang.t("versions").to_owned(),
                columns: vec![lang.t("version"), lang.t("created_at"), lang.t("content")],
                rows: versions
                    .iter()
                    .map(|v| {
                        vec![
                            c(Cell::Int(v.version)),
                            c(Cell::Time(v.created_at)),
                            c(Cell::Text(v.content.clone())),
                        ]
                    })
                    .collect(),
                more: None,
            });
        }
        Model::Category => {
            let tree = st.console.category_tree().await.map_err(fail)?;
            let cat = tree
                .get(id)
                .ok_or_else(|| fail(Error::NotFound("category")))?
                .clone();
            page.title = format!("{} #{}", cat.name, cat.id);
            page.fields = vec![
                ("id", c(Cell::Int(cat.id))),
                ("name", c(Cell::Text(cat.name.clone()))),
                (
                    "parent",
                    c(cat
                        .parent_id
                        .and_then(|p| tree.get(p))
                        .map_or(Cell::Empty, |p| Cell::Link {
                            model: Model::Category,
                            id: p.id,
                            text: p.name.clone(),
                        })),
                ),
            ];
            if s.staff.can(Permission::EditCategories) {
                let (sent, err) = edit.unzip();
                let name = sent.map_or(cat.name.as_str(), |f| f.get("name").unwrap_or(""));
                let field = InputView::new(lang, "name", "text", name);
                page.forms
                    .push(edit_form(s, model, id, lang.t("rename"), vec![field], err));
            }
            page.inlines.push(InlineView {
                title: lang.t("posts").to_owned(),
                columns: Vec::new(),
                rows: Vec::new(),
                more: Some(LinkView {
                    label: lang.t("posts").to_owned(),
                    href: format!("/admin/posts?category={id}"),
                    active: false,
                }),
            });
        }
        Model::Seminar => {
            let detail = st.console.seminar(id).await.map_err(fail)?;
            let sem = &detail.seminar;
            page.title = format!("{} #{}", sem.name, sem.id);
            page.fields = vec![
                ("id", c(Cell::Int(sem.id))),
                ("name", c(Cell::Text(sem.name.clone()))),
                ("capacity", c(Cell::Int(sem.capacity))),
                ("participants", c(Cell::Int(sem.participant_count))),
                ("count", c(Cell::Int(sem.count))),
                ("start_time", c(Cell::Text(sem.time.clone()))),
                ("online", c(Cell::Bool(sem.online))),
                ("created_at", c(Cell::Time(sem.created_at))),
                ("updated_at", c(Cell::Time(sem.updated_at))),
            ];
            if s.staff.can(Permission::EditSeminars) {
                let (sent, err) = edit.unzip();
                let fields = seminar_fields(lang, sent, sem);
                page.forms
                    .push(edit_form(s, model, id, lang.t("settings"), fields, err));
            }
            page.inlines.push(InlineView {
                title: lang.t("members").to_owned(),
                columns: vec![
                    lang.t("user"),
                    lang.t("member_role"),
                    lang.t("active"),
                    lang.t("joined_at"),
                    lang.t("dropped_at"),
                ],
                rows: detail
                    .members
                    .iter()
                    .take(MEMBERS_SHOWN)
                    .map(|m| {
                        vec![
                            c(m.name.clone().map_or(Cell::Empty, |name| Cell::Link {
                                model: Model::User,
                                id: m.user_id,
                                text: name,
                            })),
                            c(Cell::Tag(m.role.as_str().to_owned())),
                            c(Cell::Bool(m.is_active)),
                            c(Cell::Time(m.joined_at)),
                            c(m.dropped_at.map_or(Cell::Empty, Cell::Time)),
                        ]
                    })
                    .collect(),
                more: Some(LinkView {
                    label: lang.t("enrolments").to_owned(),
                    href: format!("/admin/enrolments?seminar={id}"),
                    active: false,
                }),
            });
        }
        _ => return Err(fail(Error::NotFound("page"))),
    }
    Ok(page)
}

/// Members a seminar's change page lists; the enrolment list has them all.
const MEMBERS_SHOWN: usize = 50;

pub async fn detail(
    State(st): State<AdminState>,
    s: Session,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let lang = s.ctx.lang;
    let model = model_of(&slug, lang)?;
    let id = id_of(&id, lang)?;
    let page = detail_page(&st, &s, model, id, None).await?;
    ok(&page)
}

/// Saves a change page's form: a category's name, a seminar's settings. The rules
/// are the API's; a refusal shows the form again with each message beside its field.
pub async fn edit(
    State(st): State<AdminState>,
    s: Session,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
) -> PageResult {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let model = model_of(&slug, lang)?;
    let id = id_of(&id, lang)?;
    let form = FormData::parse(&body).map_err(fail)?;
    s.staff.check_csrf(form.csrf()).map_err(fail)?;
    let saved = match model {
        Model::Category => {
            let name = form.get("name").unwrap_or("");
            st.console.rename_category(&s.staff, id, name).await
        }
        Model::Seminar => match seminar_input(&form) {
            Ok(input) => st.console.edit_seminar(&s.staff, id, input).await,
            Err(e) => {
                // The permission comes before what the form says.
                s.staff.ensure(Permission::EditSeminars).map_err(fail)?;
                Err(e)
            }
        },
        _ => return Err(fail(Error::NotFound("page"))),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/admin/{}/{id}", model.slug())).into_response()),
        Err(e @ (Error::Validation(_) | Error::Conflict { .. })) => {
            let page = detail_page(&st, &s, model, id, Some((&form, e))).await?;
            Ok(html(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(fail(e)),
    }
}

pub async fn history(
    State(st): State<AdminState>,
    s: Session,
    Path((slug, id)): Path<(String, String)>,
) -> PageResult {
    let lang = s.ctx.lang;
    let fail = |e| Failure::from_error(e, lang);
    let model = model_of(&slug, lang)?;
    let id = id_of(&id, lang)?;
    if !model.has_detail() {
        return Err(fail(Error::NotFound("page")));
    }
    let entries = st.console.history(model, id).await.map_err(fail)?;
    let rows = entries
        .iter()
        .map(|e| {
            let v = AuditView::of(e, lang);
            let changes: Vec<String> = v
                .changes
                .iter()
                .map(|c| format!("{}: {} → {}", lang.t(&c.field), c.from, c.to))
                .collect();
            vec![
                CellView::of(&Cell::Text(v.when), lang),
                v.actor,
                CellView::of(&Cell::Text(v.action.to_owned()), lang),
                CellView::of(&Cell::Text(changes.join("; ")), lang),
            ]
        })
        .collect();
    ok(&DetailPage {
        c: Chrome::new(&s, Some(model)),
        title: format!(
            "{} · {} #{id}",
            lang.t("history"),
            lang.t(model.object_type())
        ),
        list_label: lang.t(model.object_type()),
        list_href: format!("/admin/{}/{id}", model.slug()),
        muted: false,
        fields: Vec::new(),
        body: None,
        forms: Vec::new(),
        inlines: vec![InlineView {
            title: lang.t("history").to_owned(),
            columns: vec![
                lang.t("when"),
                lang.t("actor"),
                lang.t("action"),
                lang.t("changes"),
            ],
            rows,
            more: None,
        }],
        history_href: None,
    })
}
