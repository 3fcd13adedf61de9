//! Settings that must not reach a log: the token key, and service URLs that may carry
//! a password (`mysql://madang:pw@db/madang`, `redis://:pw@cache:6379`).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A secret value: `Debug` shows `[REDACTED]`, and only [`Secret::expose`] reads it.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the code that signs with it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

/// The file in the data directory holding `dev`'s generated token secret.
pub(super) const SECRET_FILE: &str = "jwt-secret";

/// The token secret kept in `dir`: read when it is there, otherwise 32 random bytes
/// (hex) written there first, readable by the owner only. Answers whether it was made
/// now. Two nodes starting at once in one directory agree: the file is created with
/// `create_new`, and the one that loses the race reads the winner's.
pub(super) fn data_dir_secret(dir: &std::path::Path) -> std::io::Result<(Secret, bool)> {
    use std::io::Write as _;
    let path = dir.join(SECRET_FILE);
    let read = |path: &std::path::Path| -> std::io::Result<Secret> {
        Ok(Secret::new(
            std::fs::read_to_string(path)?.trim().to_owned(),
        ))
    };
    if path.exists() {
        return Ok((read(&path)?, false));
    }
    std::fs::create_dir_all(dir)?;
    let value: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut f) => {
            f.write_all(value.as_bytes())?;
            f.sync_all()?;
            Ok((Secret::new(value), true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((read(&path)?, false)),
        Err(e) => Err(e),
    }
}

/// The URL of a service Madang connects to. `Debug` and `Display` show it with any
/// password replaced by `***`, so it can be logged; [`ServiceUrl::expose`] gives the
/// URL to connect with. Empty means "not configured".
#[derive(Clone, Default)]
pub struct ServiceUrl(Option<SecretString>);

impl ServiceUrl {
    pub fn new(url: impl Into<String>) -> Self {
        let url: String = url.into();
        Self((!url.trim().is_empty()).then(|| SecretString::from(url)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The URL with its password, to connect with; empty when not configured.
    pub fn expose(&self) -> &str {
        self.0.as_ref().map_or("", |s| s.expose_secret())
    }

    /// The URL as it may be shown: `scheme://user:***@host/…`.
    pub fn redacted(&self) -> String {
        redact(self.expose())
    }
}

impl fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceUrl({:?})", self.redacted())
    }
}

impl fmt::Display for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Replaces the password of a URL's user information (`user:password@`) and the
/// value of any `password=` query parameter with `***`. The user information ends at
/// the last `@` of the URL, so a password holding an unescaped `/`, `?` or `#` is
/// hidden whole; an `@` later in the URL can only make more of it hidden, never less.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return hide_password_params(url);
    };
    let Some(at) = rest.rfind('@') else {
        return format!("{scheme}://{}", hide_password_params(rest));
    };
    let (info, host) = (&rest[..at], &rest[at..]);
    let user = info.split(':').next().unwrap_or_default();
    let hidden = if info.contains(':') { ":***" } else { "" };
    format!("{scheme}://{user}{hidden}{}", hide_password_params(host))
}

/// `…?password=***&…`: the value of any query parameter whose name holds `password`.
fn hide_password_params(s: &str) -> String {
    let Some((head, query)) = s.split_once('?') else {
        return s.to_owned();
    };
    let params: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((k, _)) if k.to_ascii_lowercase().contains("password") => format!("{k}=***"),
            _ => p.to_owned(),
        })
        .collect();
    format!("{head}?{}", params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_directory_keeps_one_random_secret() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let (first, made) = data_dir_secret(&data).unwrap();
        assert!(made);
        assert_eq!(first.expose().len(), 64);
        assert_ne!(first.expose(), super::super::DEV_JWT_SECRET);
        let (again, made) = data_dir_secret(&data).unwrap();
        assert!(!made);
        assert_eq!(again.expose(), first.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(data.join(SECRET_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (other, _) = data_dir_secret(&dir.path().join("elsewhere")).unwrap();
        assert_ne!(
            other.expose(),
            first.expose(),
            "each data directory its own"
        );
    }

    #[test]
    fn debug_and_display_never_show_a_password() {
        let url = ServiceUrl::new("mysql://madang:s3cr3t-pw@db.internal:3306/madang");
        assert_eq!(
            url.to_string(),
            "mysql://madang:***@db.internal:3306/madang"
        );
        assert!(!format!("{url:?}").contains("s3cr3t-pw"));
        assert_eq!(
            url.expose(),
            "mysql://madang:s3cr3t-pw@db.internal:3306/madang"
        );
        for raw in [
            "mysql://madang:pa/ss@db/madang",
            "mysql://madang:pa?ss@db/madang",
        ] {
            assert_eq!(
                ServiceUrl::new(raw).to_string(),
                "mysql://madang:***@db/madang"
            );
        }
        let redis = ServiceUrl::new("redis://:p%40ss@cache:6379/0");
        assert_eq!(redis.to_string(), "redis://:***@cache:6379/0");
        let query = ServiceUrl::new("postgres://db/madang?user=m&password=hunter2&sslmode=require");
        assert_eq!(
            query.to_string(),
            "postgres://db/madang?user=m&password=***&sslmode=require"
        );
        let plain = ServiceUrl::new("sqlite://./data/madang.db");
        assert_eq!(plain.to_string(), "sqlite://./data/madang.db");
        assert!(ServiceUrl::new("  ").is_empty());

        let secret = Secret::new("jwt-signing-key-0123456789abcdef");
        assert_eq!(format!("{secret:?}"), "Secret([REDACTED])");
        assert_eq!(secret.expose(), "jwt-signing-key-0123456789abcdef");
    }
}
