//! Log-in, log-out, password change and the language toggle.

use super::*;

pub async fn to_dashboard() -> Redirect {
    Redirect::permanent("/admin/")
}

/// Only a path inside the console is a place to go back to; anything else, a control
/// character included (it cannot be a `Location`), goes to `default`.
pub(super) fn safe_back(s: Option<&str>, default: &str) -> String {
    match s {
        Some(p)
            if p.starts_with("/admin")
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => default.to_owned(),
    }
}

pub(super) fn login_form(lang: Lang, csrf: &str, next: &str, username: &str) -> FormView {
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

pub(super) fn login_page(
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

pub(super) fn query_pairs(q: Option<&str>, lang: Lang) -> Result<Vec<(String, String)>, Failure> {
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

pub(super) fn password_form(s: &Session) -> FormView {
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
