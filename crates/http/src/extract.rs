//! Extractors that answer every malformed input with the API's error shape.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use madang_domain::accounts::{Actor, ClientInfo};
use madang_domain::{Violation, validate};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::RequestFacts;

/// Is the request's content type JSON (`application/json` or `application/*+json`)?
fn is_json(parts_ct: Option<&header::HeaderValue>) -> bool {
    let Some(ct) = parts_ct.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

fn is_form(parts_ct: Option<&header::HeaderValue>) -> bool {
    parts_ct
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false)
}

fn body_error(r: BytesRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large()
    } else {
        ApiError::bad_request("the request body could not be read")
    }
}

/// Parses JSON, naming the field of a wrong-typed value. Broken JSON is 400; JSON of
/// the wrong shape is 422 with the field in `details`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    // Serde would read a struct from a JSON array too (`[null, null]`); request
    // bodies are objects.
    if !value.is_object() {
        return Err(ApiError::validation(vec![Violation::new(
            "",
            "type",
            "the body must be a JSON object",
        )]));
    }
    if let Err(v) = no_nul_in_json(&value, &mut String::new()) {
        return Err(ApiError::validation(vec![v]));
    }
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let message = data_error_message(&field, e.inner());
        ApiError::validation(vec![Violation::new(field, "type", message)])
    })
}

/// Refuses U+0000 in any string of the body, keys included, naming where it is
/// (`tags[2]`, `profile.name`) as serde would.
fn no_nul_in_json(value: &serde_json::Value, path: &mut String) -> Result<(), Violation> {
    use serde_json::Value;
    match value {
        Value::String(s) => validate::no_nul(path, s),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let r = no_nul_in_json(item, path);
            path.truncate(len);
            r
        }),
        Value::Object(map) => map.iter().try_for_each(|(k, item)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&k.replace('\0', ""));
            let r = validate::no_nul(path, k).and_then(|()| no_nul_in_json(item, path));
            path.truncate(len);
            r
        }),
        _ => Ok(()),
    }
}

/// JSON has one number type, and JSON Schema counts `3.0` as the integer 3; serde
/// reads a float only into a float. So a float with no fraction that fits an `i64`
/// becomes that integer before the body is read into its type (an integer reads into
/// an `f64` field all the same). `2.5`, `1e30` and `2^64` stay floats and are refused
/// by an integer field.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const I64_BOUND: f64 = 9_223_372_036_854_775_808.0; // 2^63
    match value {
        Value::Number(n) => {
            if n.is_f64()
                && let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && (-I64_BOUND..I64_BOUND).contains(&f)
            {
                // In range and without a fraction, so the cast is exact.
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// A message for a value of the wrong type, without echoing the value itself (it
/// could be a password), and in the client's words rather than Rust's (`i64`).
fn data_error_message(field: &str, e: &serde_json::Error) -> String {
    let text = e.to_string();
    let out_of_range = text.starts_with("invalid value: integer");
    let expected = text
        .split(", expected ")
        .nth(1)
        .and_then(|s| s.split(" at line").next())
        .map(|exp| plain_expectation(exp, out_of_range));
    match (field.is_empty(), expected) {
        (true, Some(exp)) => format!("the body must be {exp}"),
        (true, None) => "the body has the wrong shape".to_owned(),
        (false, Some(exp)) => format!("{field} must be {exp}"),
        (false, None) => format!("{field} has the wrong type"),
    }
}

/// Serde's name for what it expected, as a client would say it.
fn plain_expectation(expected: &str, out_of_range: bool) -> String {
    fn range<N: std::fmt::Display>(min: N, max: N) -> String {
        format!("an integer from {min} to {max}")
    }
    let integer = |min_max: String| {
        if out_of_range {
            min_max
        } else {
            "an integer".to_owned()
        }
    };
    match expected {
        "i8" => integer(range(i8::MIN, i8::MAX)),
        "i16" => integer(range(i16::MIN, i16::MAX)),
        "i32" => integer(range(i32::MIN, i32::MAX)),
        "i64" | "isize" | "i128" => integer(range(i64::MIN, i64::MAX)),
        "u8" => integer(range(u8::MIN, u8::MAX)),
        "u16" => integer(range(u16::MIN, u16::MAX)),
        "u32" => integer(range(u32::MIN, u32::MAX)),
        "u64" | "usize" | "u128" => integer(range(u64::MIN, u64::MAX)),
        "f32" | "f64" => "a number".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "a JSON object".to_owned(),
        other if other.starts_with("struct ") => "a JSON object".to_owned(),
        other => other.to_owned(),
    }
}

/// A JSON request body. Wrong content type is 415, an oversized body 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A body sent either as JSON or as an HTML/OAuth2 form.
pub struct JsonOrForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonOrForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req.headers().get(header::CONTENT_TYPE).cloned();
        if is_json(ct.as_ref()) {
            let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
            parse_json(&bytes).map(JsonOrForm)
        } else if is_form(ct.as_ref()) {
            let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| ApiError::bad_request(format!("malformed form body: {e}")))?;
            validate::no_nul_in_pairs(&pairs).map_err(|v| ApiError::validation(vec![v]))?;
            serde_urlencoded::from_bytes(&bytes)
                .map(JsonOrForm)
                .map_err(|e| ApiError::bad_request(format!("malformed form body: {e}")))
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json or application/x-www-form-urlencoded",
            ))
        }
    }
}

/// Query parameters; a value that cannot be read as its type is 400.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?;
        validate::no_nul_in_pairs(&pairs).map_err(|v| ApiError::bad_request(v.message))?;
        serde_urlencoded::from_str(q)
            .map(QueryParams)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))
    }
}

/// A numeric id in the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::bad_request("invalid path"))?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(Id(id)),
            // Not a possible id: nothing can live there.
            Ok(_) => Err(ApiError::new(StatusCode::NOT_FOUND, "not found")),
            Err(_) => Err(ApiError::bad_request(
                "the id in the path must be a positive integer",
            )),
        }
    }
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(v) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| unauthorized("malformed Authorization header"))?;
    bearer_token(s)
        .map(Some)
        .ok_or_else(|| unauthorized("the Authorization header must be 'Bearer <token>'"))
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    match header.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Some(token.trim())
        }
        _ => None,
    }
}

fn unauthorized(msg: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, msg)
}

async fn actor(parts: &Parts, state: &AppState, token: &str) -> Result<Actor, ApiError> {
    let actor = state.accounts.authenticate(token).await?;
    if let Some(f) = parts.extensions.get::<RequestFacts>() {
        f.set_user(actor.id);
    }
    Ok(actor)
}

/// The authenticated caller; 401 without a valid token.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?.ok_or_else(|| unauthorized("this needs a bearer token"))?;
        actor(parts, state, token).await.map(Auth)
    }
}

/// The caller if a token was sent. A token that is sent must be valid (401 otherwise):
/// a client should learn that its session ended rather than silently read as a guest.
pub struct MaybeAuth(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match bearer(parts)? {
            Some(token) => actor(parts, state, token).await.map(|a| MaybeAuth(Some(a))),
            None => Ok(MaybeAuth(None)),
        }
    }
}

/// Where the request came from, for the login history.
pub struct Client(pub ClientInfo);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<crate::middleware::ClientAddr>()
            .map(|c| c.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Client(ClientInfo { ip, user_agent }))
    }
}

/// An optional JSON body: an empty body is `None`; a non-empty one must be JSON.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers().get(header::CONTENT_TYPE));
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        let text = bytes.trim_ascii();
        if text.is_empty() {
            return Ok(OptionalJson(None));
        }
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be application/json",
            ));
        }
        // The JSON `null` that the operation's schema allows is no body too.
        if text == b"null" {
            return Ok(OptionalJson(None));
        }
        parse_json(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        capacity: i64,
        #[serde(default)]
        ratio: Option<f64>,
        #[serde(default)]
        small: Option<u32>,
        #[serde(default)]
        tags: Vec<i64>,
    }

    fn refusal(json: &str) -> (StatusCode, String, String) {
        let e = parse_json::<Body>(json.as_bytes()).unwrap_err();
        let (field, message) = e
            .details
            .first()
            .map(|d| (d.field.clone(), d.message.clone()))
            .unwrap_or_default();
        (e.status, field, message)
    }

    #[test]
    fn floats_without_a_fraction_read_as_integers() {
        let b: Body = parse_json(br#"{"capacity": 30.0, "ratio": 2, "tags": [1.0, -4e0]}"#)
            .expect("integral floats are integers");
        assert_eq!(b.capacity, 30);
        assert_eq!(b.ratio, Some(2.0));
        assert_eq!(b.tags, [1, -4]);
        assert_eq!(b.small, None);
        let b: Body = parse_json(br#"{"capacity": -9223372036854775808.0}"#).unwrap();
        assert_eq!(b.capacity, i64::MIN);
    }

    #[test]
    fn fractions_and_numbers_past_i64_are_refused_in_plain_words() {
        for json in [
            r#"{"capacity": 2.5}"#,
            r#"{"capacity": 1e30}"#,
            r#"{"capacity": 9223372036854775808.0}"#,
            r#"{"capacity": "30"}"#,
        ] {
            let (status, field, message) = refusal(json);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
            assert_eq!(field, "capacity", "{json}");
            assert_eq!(message, "capacity must be an integer", "{json}");
        }
        let (_, field, message) = refusal(r#"{"capacity": 1, "small": -1}"#);
        assert_eq!(field, "small");
        assert_eq!(message, "small must be an integer from 0 to 4294967295");
        let (_, field, message) = refusal(r#"{"capacity": 1, "ratio": "x"}"#);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("ratio", "ratio must be a number")
        );
        let (_, field, message) = refusal(r#"{"capacity": 1, "tags": {"a": 1}}"#);
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("tags", "tags must be a list")
        );
    }

    #[test]
    fn only_an_object_is_a_body() {
        for json in ["[1, 2]", "null", "3", r#""text""#] {
            let (status, field, message) = refusal(json);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
            assert_eq!(field, "");
            assert_eq!(message, "the body must be a JSON object");
        }
        let e = parse_json::<Body>(br#"{"capacity": "#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.details.is_empty());
    }

    #[test]
    fn nul_anywhere_in_the_body_is_refused_where_it_is() {
        for (json, at) in [
            (r#"{"capacity": 1, "note": "a\u0000"}"#, "note"),
            (r#"{"capacity": 1, "tags": ["x", "\u0000"]}"#, "tags[1]"),
            (
                r#"{"capacity": 1, "profile": {"name": "\u0000"}}"#,
                "profile.name",
            ),
            (r#"{"capacity": 1, "ke\u0000y": 2}"#, "key"),
        ] {
            let (status, field, message) = refusal(json);
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{json}");
            assert_eq!(field, at, "{json}");
            assert!(message.contains("U+0000"), "{message}");
        }
        let e = parse_json::<Body>(br#"{"capacity": "#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.details.is_empty());
    }
}
