//! Change pages, their forms, and an object's history.

use super::*;
use crate::pages::forms::{edit_form, object_action};

pub(super) fn id_of(s: &str, lang: Lang) -> Result<i64, Failure> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Failure::from_error(Error::NotFound("page"), lang))
}

/// A seminar's settings as the form shows them: what was sent, or what is stored.
pub(super) fn seminar_fields(lang: Lang, sent: Option<&FormData>, sem: &Seminar) -> Vec<InputView> {
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
pub(super) fn seminar_input(form: &FormData) -> Result<SeminarInput, Error> {
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
pub(super) async fn detail_page(
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
                if p.pin.is_some() {
                    page.forms
                        .push(object_action(s, model, Action::UnpinPosts, id));
                } else if p.deleted_at.is_none() {
                    page.forms
                        .push(object_action(s, model, Action::PinPosts, id));
                }
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
pub(super) const MEMBERS_SHOWN: usize = 50;

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
        Model::Category => super::boards::edit_category(&st, &s, id, &form).await,
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
