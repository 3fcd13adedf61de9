//! Change pages, their forms, and an object's history.

mod models;

use super::*;

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
    let filled = match model {
        Model::User => models::user(st, s, id, edit, &mut page).await,
        Model::Post => models::post(st, s, id, edit, &mut page).await,
        Model::Comment => models::comment(st, s, id, edit, &mut page).await,
        Model::Report => models::report(st, s, id, edit, &mut page).await,
        Model::Category => models::category(st, s, id, edit, &mut page).await,
        Model::Seminar => models::seminar(st, s, id, edit, &mut page).await,
        _ => Err(Error::NotFound("page")),
    };
    filled.map_err(fail)?;
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
