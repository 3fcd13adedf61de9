//! The console's pages: view models, their templates, and the handlers that fill
//! them from the console's use cases.

mod action;
mod auth;
mod boards;
mod dashboard;
mod detail;
mod filters;
mod forms;
mod list;

pub use action::*;
pub use auth::*;
pub use dashboard::*;
pub use detail::*;
pub use filters::TreeItem;
pub use list::*;

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

pub(super) type PageResult = Result<Response, Failure>;

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

pub(super) fn ok(t: &impl Template) -> PageResult {
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
            Cell::Counts(counts) => plain(
                counts
                    .iter()
                    .map(|(k, n)| match lang.t(k) {
                        "?" => format!("{k} {n}"),
                        word => format!("{word} {n}"),
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
                "",
            ),
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
pub(super) fn place_errors(form: &mut FormView, e: Error) {
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
pub(super) struct LoginPage {
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
pub(super) struct FormPage {
    c: Chrome,
    title: &'static str,
    notice: Option<&'static str>,
    form: FormView,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
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
    pub cells: Vec<ListCell>,
}

/// A list's cell with its column's name, which a narrow screen shows beside it.
pub struct ListCell {
    pub label: &'static str,
    /// The cell's own class, and `lead` on the cell that names the row (the link to
    /// the row's own change page), which a narrow screen gives a whole line.
    pub class: String,
    pub view: CellView,
}

impl ListCell {
    fn of(cell: &Cell, label: &'static str, model: Model, row: i64, lang: Lang) -> Self {
        let lead = matches!(cell, Cell::Link { model: m, id, .. } if *m == model && *id == row);
        let view = CellView::of(cell, lang);
        let class = match (view.class, lead) {
            ("", true) => "lead".to_owned(),
            (c, true) => format!("{c} lead"),
            (c, false) => c.to_owned(),
        };
        Self { label, class, view }
    }
}

pub struct FilterView {
    pub label: &'static str,
    pub options: Vec<LinkView>,
    /// The category filter's choices after "All", as a tree.
    pub tree: Vec<TreeItem>,
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
pub(super) struct ListPage {
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
pub(super) struct ConfirmPage {
    c: Chrome,
    title: &'static str,
    intro: &'static str,
    items: Vec<PlannedView>,
    form: Option<FormView>,
    back: String,
}

#[derive(Template)]
#[template(path = "detail.html")]
pub(super) struct DetailPage {
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
