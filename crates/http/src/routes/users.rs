//! Users and auth.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use madang_domain::accounts::{PasswordChange, ProfileChange, SignUp};
use madang_domain::limits::Action;
use madang_domain::listing::PageRequest;
use madang_domain::posts::PostQuery;
use madang_domain::users::Role;

use crate::AppState;
use crate::dto::{
    CommentView, LoginView, PageParams, Paged, PasswordRequest, PostItemView, ProfileRequest,
    ProfileView, RefreshRequest, ResignRequest, SignUpRequest, TokenRequest, TokenView, UserView,
};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Auth, Client, Id, JsonBody, JsonOrForm, QueryParams};

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = SignUpRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 201, body = UserView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn sign_up(
    State(s): State<AppState>,
    Client(client): Client,
    JsonBody(b): JsonBody<SignUpRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    s.limits.check(Action::SignUp, None, &client).await?;
    let input = SignUp {
        name: b.name,
        email: b.email,
        password1: b.password1,
        password2: b.password2,
    };
    let user = s.accounts.sign_up(input, Role::User).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

fn tokens(p: madang_domain::accounts::TokenPair) -> Json<TokenView> {
    Json(TokenView {
        access_token: p.access_token,
        token_type: "bearer",
        expires_in: p.expires_in,
        refresh_token: p.refresh_token,
    })
}

#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content(
        (TokenRequest = "application/json"),
        (TokenRequest = "application/x-www-form-urlencoded"))),
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn token(
    State(s): State<AppState>,
    Client(client): Client,
    JsonOrForm(b): JsonOrForm<TokenRequest>,
) -> ApiResult<Json<TokenView>> {
    let mut v = madang_domain::validate::Violations::new();
    if b.username.is_none() {
        v.add("username", "required", "username is required");
    }
    if b.password.is_none() {
        v.add("password", "required", "password is required");
    }
    v.into_result()?;
    let pair = s
        .accounts
        .log_in(
            b.username.as_deref().unwrap_or_default(),
            b.password.as_deref().unwrap_or_default(),
            client,
        )
        .await?;
    Ok(tokens(pair))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 429, body = ErrorBody, description = "past a rate limit; with Retry-After"), (status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refresh(
    State(s): State<AppState>,
    Client(client): Client,
    JsonBody(b): JsonBody<RefreshRequest>,
) -> ApiResult<Json<TokenView>> {
    s.limits.check(Action::Refresh, None, &client).await?;
    let token = b.refresh_token.ok_or_else(|| {
        ApiError::from(madang_domain::Error::invalid(
            "refresh_token",
            "required",
            "refresh_token is required",
        ))
    })?;
    Ok(tokens(s.accounts.refresh(&token).await?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    s.accounts.log_out(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)))]
pub async fn me(State(s): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<UserView>> {
    Ok(Json(s.accounts.me(&actor).await?.into()))
}

#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), request_body = ProfileRequest,
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<ProfileRequest>,
) -> ApiResult<Json<UserView>> {
    let user = s
        .accounts
        .change_profile(
            &actor,
            ProfileChange {
                name: b.name,
                email: b.email,
            },
        )
        .await?;
    Ok(Json(user.into()))
}

#[utoipa::path(put, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = PasswordRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<PasswordRequest>,
) -> ApiResult<StatusCode> {
    let change = PasswordChange {
        current_password: b.current_password,
        password1: b.password1,
        password2: b.password2,
    };
    s.accounts.change_password(&actor, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])), request_body = ResignRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn resign(
    State(s): State<AppState>,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<ResignRequest>,
) -> ApiResult<StatusCode> {
    s.accounts.resign(&actor, b.password.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/users/me/logins", tag = "users", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Paged<LoginView>), (status = 401, body = ErrorBody)))]
pub async fn logins(
    State(s): State<AppState>,
    Auth(actor): Auth,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<LoginView>>> {
    let page = PageRequest::parse(q.page, q.size, q.cursor.as_deref(), "logins")?;
    Ok(Json(Paged::new(
        s.accounts.logins(&actor, &page).await?,
        Into::into,
    )))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = ProfileView), (status = 404, body = ErrorBody)))]
pub async fn profile(State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<ProfileView>> {
    Ok(Json(s.accounts.profile(id).await?.into()))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/posts", tag = "users", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Paged<PostItemView>), (status = 404, body = ErrorBody)))]
pub async fn user_posts(
    State(s): State<AppState>,
    Id(id): Id,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<PostItemView>>> {
    s.accounts.profile(id).await?;
    let query = PostQuery {
        author_id: Some(id),
        page: q.page,
        size: q.size,
        cursor: q.cursor,
        ..PostQuery::default()
    };
    Ok(Json(Paged::new(
        s.posts.list(query, None).await?,
        Into::into,
    )))
}

#[utoipa::path(get, path = "/api/v1/users/{id}/comments", tag = "users", params(("id" = i64, Path), PageParams),
    responses((status = 200, body = Paged<CommentView>), (status = 404, body = ErrorBody)))]
pub async fn user_comments(
    State(s): State<AppState>,
    Id(id): Id,
    QueryParams(q): QueryParams<PageParams>,
) -> ApiResult<Json<Paged<CommentView>>> {
    s.accounts.profile(id).await?;
    let page = PageRequest::parse(
        q.page,
        q.size,
        q.cursor.as_deref(),
        madang_domain::comments::ORDER_OF_USER,
    )?;
    Ok(Json(Paged::new(
        s.comments.of_user(id, &page).await?,
        |c| CommentView::new(c, None),
    )))
}
