//! One change page per model: what it shows of an object, and the forms staff may use
//! on it. Adding a model to the console adds one function here (docs/console.md).

use super::super::*;
use super::{MEMBERS_SHOWN, seminar_fields};
use crate::pages::forms::{edit_form, object_action};
use madang_domain::posts::Sentiment;
use madang_domain::users::AuthorRef;

/// A member: their state, the discipline and role forms staff may use, and their latest log-ins.
pub(super) async fn user(
    st: &AdminState,
    s: &Session,
    id: i64,
    _edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let u = st.console.user(id).await?;
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
    let may_touch =
        u.id != s.staff.user.id && (!u.role.is_staff() || s.staff.can(Permission::ChangeRole));
    if may_touch && s.staff.can(Permission::Discipline) {
        for a in [Action::Suspend, Action::Ban, Action::Reinstate] {
            page.forms.push(object_action(s, Model::User, a, id));
        }
    }
    if u.id != s.staff.user.id && s.staff.can(Permission::ChangeRole) {
        page.forms
            .push(object_action(s, Model::User, Action::SetRole, id));
    }
    let raw = RawListQuery {
        search: Some(u.name.clone()),
        ..Default::default()
    };
    let q = ListQuery::parse(Model::Login, &raw)?;
    let logins = st.console.list(&q).await?;
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
    Ok(())
}

/// A post: its fields and content, moderation and pin forms, and every version.
pub(super) async fn post(
    st: &AdminState,
    s: &Session,
    id: i64,
    _edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let (p, versions) = st.console.post(id).await?;
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
        ("author", c(author_cell(&p.author))),
        ("status", c(status_cell(p.deleted_at))),
        ("sentiment", c(sentiment_cell(&p.sentiment))),
        (
            "prefix",
            c(p.prefix.clone().map_or(Cell::Empty, |x| Cell::Tag(x.name))),
        ),
        (
            "pinned",
            c(p.pin.map_or(Cell::Empty, |x| Cell::Tag(x.as_str().into()))),
        ),
        ("views", c(Cell::Int(p.view_count))),
        ("votes", c(Cell::Int(p.vote_count))),
        ("comments", c(Cell::Int(p.comment_count))),
    ];
    let written = Written {
        model: Model::Post,
        id,
        content: p.content.clone(),
        version: p.version,
        created_at: p.created_at,
        updated_at: p.updated_at,
        deleted_at: p.deleted_at,
    };
    written.show(s, page, (Action::RestorePosts, Action::DeletePosts));
    if s.staff.can(Permission::Moderate) {
        if p.pin.is_some() {
            page.forms
                .push(object_action(s, Model::Post, Action::UnpinPosts, id));
        } else if p.deleted_at.is_none() {
            page.forms
                .push(object_action(s, Model::Post, Action::PinPosts, id));
        }
    }
    let rows = versions.iter().map(|v| {
        let text = [v.title.clone(), v.content.clone()];
        (v.version, v.created_at, text.map(Cell::Text).to_vec())
    });
    page.inlines
        .push(versions_inline(lang, &["title", "content"], rows));
    Ok(())
}

/// A comment: its fields and content, the moderation form, and every version.
pub(super) async fn comment(
    st: &AdminState,
    s: &Session,
    id: i64,
    _edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let (r, versions) = st.console.comment(id).await?;
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
        ("author", c(author_cell(&m.author))),
        ("status", c(status_cell(r.deleted_at))),
        ("sentiment", c(sentiment_cell(&m.sentiment))),
        ("votes", c(Cell::Int(m.vote_count))),
    ];
    let written = Written {
        model: Model::Comment,
        id,
        content: m.content.clone(),
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
        deleted_at: r.deleted_at,
    };
    written.show(s, page, (Action::RestoreComments, Action::DeleteComments));
    let rows = versions
        .iter()
        .map(|v| (v.version, v.created_at, vec![Cell::Text(v.content.clone())]));
    page.inlines.push(versions_inline(lang, &["content"], rows));
    Ok(())
}

/// A report target: the content, its author's history, the decision forms while its
/// reports are open, and every report of it.
pub(super) async fn report(
    st: &AdminState,
    s: &Session,
    id: i64,
    _edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let case = st.console.report_case(id).await?;
    let t = &case.target;
    let model = match t.kind {
        madang_domain::reports::TargetKind::Post => Model::Post,
        madang_domain::reports::TargetKind::Comment => Model::Comment,
    };
    page.title = format!("{} #{id}", lang.t("reports"));
    page.muted = t.outcome.is_some();
    page.history_href = None;
    let status = t.outcome.map_or("open", |o| o.as_str());
    page.fields = vec![
        ("id", c(Cell::Int(t.id))),
        (
            "target",
            c(Cell::Link {
                model,
                id: t.target_id,
                text: format!("{} #{}", lang.t(t.kind.as_str()), t.target_id),
            }),
        ),
        ("status", c(status_cell(case.deleted.then_some(t.first_at)))),
        ("sentiment", c(sentiment_cell(&case.sentiment))),
        ("reporters", c(Cell::Int(t.reporters))),
        ("held", c(Cell::Bool(t.held))),
        ("report_status", c(Cell::Tag(status.to_owned()))),
        ("first_reported", c(Cell::Time(t.first_at))),
    ];
    if let Some(u) = &case.author {
        page.fields.extend([
            (
                "author",
                c(Cell::Link {
                    model: Model::User,
                    id: u.id,
                    text: u.name.clone(),
                }),
            ),
            ("author_since", c(Cell::Time(u.created_at))),
            (
                "author_state",
                c(Cell::Tag(u.state.at(st.console.now()).kind().to_owned())),
            ),
            ("author_removals", c(Cell::Int(case.removals))),
        ]);
    }
    page.body = Some((lang.t("content"), case.text.clone()));
    if t.outcome.is_none() {
        let mut actions = Vec::new();
        if s.staff.can(Permission::Moderate) {
            actions.extend([Action::DismissReports, Action::RemoveReported]);
        }
        if s.staff.can(Permission::Discipline) && case.author.is_some() {
            actions.extend([Action::SuspendAuthor, Action::BanAuthor]);
        }
        for a in actions {
            page.forms.push(object_action(s, Model::Report, a, id));
        }
    }
    page.inlines.push(InlineView {
        title: lang.t("reports_of").to_owned(),
        columns: vec![
            lang.t("created_at"),
            lang.t("reporter"),
            lang.t("reason"),
            lang.t("detail"),
            lang.t("outcome"),
        ],
        rows: case
            .reports
            .iter()
            .map(|r| {
                [
                    Cell::Time(r.created_at),
                    Cell::Link {
                        model: Model::User,
                        id: r.reporter_id,
                        text: r.reporter_name.clone(),
                    },
                    Cell::Tag(r.reason.as_str().to_owned()),
                    r.detail.clone().map_or(Cell::Empty, Cell::Text),
                    Cell::Tag(r.outcome.map_or("open", |o| o.as_str()).to_owned()),
                ]
                .iter()
                .map(|cell| CellView::of(cell, lang))
                .collect()
            })
            .collect(),
        more: None,
    });
    Ok(())
}

/// A category: its parent, the board's prefixes and their forms, and a link to its posts.
pub(super) async fn category(
    st: &AdminState,
    s: &Session,
    id: i64,
    edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let tree = st.console.category_tree().await?;
    let cat = tree.get(id).ok_or(Error::NotFound("category"))?.clone();
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
    page.fields.extend(super::boards::prefix_fields(lang, &cat));
    if s.staff.can(Permission::EditCategories) {
        page.forms = super::boards::category_forms(s, &cat, edit);
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
    Ok(())
}

/// A seminar: its settings form and its members.
pub(super) async fn seminar(
    st: &AdminState,
    s: &Session,
    id: i64,
    edit: Option<(&FormData, Error)>,
    page: &mut DetailPage,
) -> Result<(), Error> {
    let lang = s.ctx.lang;
    let c = |cell: Cell| CellView::of(&cell, lang);
    let detail = st.console.seminar(id).await?;
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
        page.forms.push(edit_form(
            s,
            Model::Seminar,
            id,
            lang.t("settings"),
            fields,
            err,
        ));
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
    Ok(())
}

/// The author of a post or comment, linked to their change page.
fn author_cell(author: &Option<AuthorRef>) -> Cell {
    author.clone().map_or(Cell::Empty, |a| Cell::Link {
        model: Model::User,
        id: a.id,
        text: a.name,
    })
}

/// Whether a post or comment is deleted, as a tag.
fn status_cell(deleted_at: Option<Timestamp>) -> Cell {
    let status = if deleted_at.is_some() {
        "deleted"
    } else {
        "active"
    };
    Cell::Tag(status.into())
}

fn sentiment_cell(sentiment: &Option<Sentiment>) -> Cell {
    sentiment
        .clone()
        .map_or(Cell::Empty, |x| Cell::Tag(x.label))
}

/// What every post and comment shows after its own fields: its version and when it was
/// written, changed and deleted; its content; and the form that deletes or restores
/// it, for moderators.
struct Written {
    model: Model,
    id: i64,
    content: String,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
    deleted_at: Option<Timestamp>,
}

impl Written {
    fn show(self, s: &Session, page: &mut DetailPage, (restore, delete): (Action, Action)) {
        let lang = s.ctx.lang;
        let c = |cell: Cell| CellView::of(&cell, lang);
        page.fields.extend([
            ("version", c(Cell::Int(self.version))),
            ("created_at", c(Cell::Time(self.created_at))),
            ("updated_at", c(Cell::Time(self.updated_at))),
            (
                "deleted_at",
                c(self.deleted_at.map_or(Cell::Empty, Cell::Time)),
            ),
        ]);
        page.body = Some((lang.t("content"), self.content));
        if s.staff.can(Permission::Moderate) {
            let a = if self.deleted_at.is_some() {
                restore
            } else {
                delete
            };
            page.forms.push(object_action(s, self.model, a, self.id));
        }
    }
}

/// The table of an item's versions: number, time, then the `columns` each keeps.
fn versions_inline(
    lang: Lang,
    columns: &[&str],
    rows: impl Iterator<Item = (i64, Timestamp, Vec<Cell>)>,
) -> InlineView {
    let c = |cell: &Cell| CellView::of(cell, lang);
    let mut header = vec![lang.t("version"), lang.t("created_at")];
    header.extend(columns.iter().map(|k| lang.t(k)));
    InlineView {
        title: lang.t("versions").to_owned(),
        columns: header,
        rows: rows
            .map(|(version, at, kept)| {
                let mut row = vec![c(&Cell::Int(version)), c(&Cell::Time(at))];
                row.extend(kept.iter().map(c));
                row
            })
            .collect(),
        more: None,
    }
}
