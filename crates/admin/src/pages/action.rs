//! Bulk actions: select, (fields), review exactly what changes, apply.

use super::*;

pub(super) fn action_input(form: &FormData) -> ActionInput {
    ActionInput {
        until: form.get("until").map(str::to_owned),
        reason: form.get("reason").map(str::to_owned),
        role: form.get("role").map(str::to_owned),
        scope: form.get("scope").map(str::to_owned),
    }
}

pub(super) fn action_fields(lang: Lang, action: Action, input: &ActionInput) -> Vec<InputView> {
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
            "scope" => {
                let current = input.scope.as_deref().unwrap_or("board");
                let mut v = InputView::new(lang, "scope", "select", current);
                v.options = [("board", "pin_board"), ("site", "pin_site")]
                    .iter()
                    .map(|(value, label)| {
                        (
                            (*value).to_owned(),
                            lang.t(label).to_owned(),
                            *value == current,
                        )
                    })
                    .collect();
                v
            }
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
pub(super) struct Bulk<'a> {
    pub(super) model: Model,
    pub(super) action: Action,
    pub(super) ids: &'a [i64],
    pub(super) back: &'a str,
}

pub(super) fn action_form(
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
            ("scope", &i.scope),
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

pub(super) fn planned_views(plan: &[Planned]) -> Vec<PlannedView> {
    plan.iter()
        .map(|p| PlannedView {
            repr: p.repr.clone(),
            changes: p.changes.clone(),
            note: p.note.map(|n| match n {
                "missing" => "note_missing",
                "self" => "note_self",
                "staff" => "note_staff",
                "deleted" => "note_deleted",
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
    let (action, ids) = chosen(&form, model, &s.staff).map_err(fail)?;
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

/// The action a bulk form chose for this list (which the staff member must be allowed),
/// and the ids it chose, each once.
fn chosen(
    form: &FormData,
    model: Model,
    staff: &madang_domain::console::Staff,
) -> Result<(Action, Vec<i64>), Error> {
    let action = form
        .get("action")
        .and_then(Action::from_slug)
        .filter(|a| a.model() == model)
        .ok_or_else(|| Error::BadRequest("choose an action for this list".into()))?;
    staff.ensure(action.permission())?;
    let mut ids = form
        .all("ids")
        .map(|v| v.parse::<i64>())
        .collect::<Result<Vec<i64>, _>>()
        .map_err(|_| Error::BadRequest("ids must be numbers".into()))?;
    ids.sort_unstable();
    ids.dedup();
    Ok((action, ids))
}
