//! Password hashing (Argon2id) and tokens (HS256 JWT access tokens, random refresh
//! tokens stored as SHA-256 hashes): the adapters of the domain's auth ports.

use anyhow::Context as _;
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use madang_domain::ports::{AccessClaims, PasswordHasher, RefreshSecret, TokenCodec};
use madang_domain::users::Password;
use madang_domain::{Error, Result, Timestamp};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Argon2id on the blocking pool, at most `concurrency` at once, so a burst of
/// log-ins cannot starve the async workers or exhaust memory.
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    memory: Arc<Memory>,
    /// A real hash to verify against when the user does not exist, so that answer
    /// takes as long as a wrong password.
    dummy_hash: String,
}

/// Argon2's working memory (19 MiB by default), kept from one hash to the next: at
/// most one buffer per permit ever exists. Allocating and freeing it per hash left
/// glibc holding several hundred MiB after a burst of log-ins (its per-thread arenas
/// keep freed chunks once it has raised its mmap threshold to their size).
#[derive(Default)]
struct Memory {
    free: std::sync::Mutex<Vec<Vec<Block>>>,
}

impl Memory {
    fn with<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        let taken = self.free.lock().map(|mut v| v.pop()).unwrap_or_default();
        let mut buf = taken.unwrap_or_default();
        buf.resize(blocks, Block::default());
        let out = f(&mut buf);
        if let Ok(mut v) = self.free.lock() {
            v.push(buf);
        }
        out
    }
}

type HashResult<T> = std::result::Result<T, argon2::password_hash::Error>;

impl Argon2Hasher {
    pub fn new(memory_kib: u32, iterations: u32, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .context("invalid password hash parameters")?;
        let concurrency = if concurrency == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            concurrency
        };
        let memory = Arc::new(Memory::default());
        let dummy_hash = hash_with(&params, "madang-timing-equaliser", &memory)
            .context("cannot hash with these parameters")?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency)),
            memory,
            dummy_hash,
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Memory) -> T + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::internal)?;
        let memory = self.memory.clone();
        // The permit travels with the hash: a request that is dropped mid-hash (client
        // gone, time limit) does not free its slot until the hash really ends.
        tokio::task::spawn_blocking(move || {
            let out = f(&memory);
            drop(permit);
            out
        })
        .await
        .map_err(Error::internal)
    }
}

/// A new PHC string (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`) for `password`.
fn hash_with(params: &Params, password: &str, memory: &Memory) -> HashResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_buf)?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let hash = Output::init_with(len, |out| {
        memory.with(params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks)
        })?;
        Ok(())
    })?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params)?,
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string())
}

/// Whether `password` gives the stored hash, with the algorithm, version and
/// parameters the stored hash names (they win over the configured ones).
fn verify_with(stored: &str, password: &str, memory: &Memory) -> HashResult<bool> {
    let h = PasswordHash::new(stored)?;
    let algorithm = Algorithm::try_from(h.algorithm)?;
    let version = h
        .version
        .map(Version::try_from)
        .transpose()?
        .unwrap_or_default();
    let params = Params::try_from(&h)?;
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else {
        return Err(argon2::password_hash::Error::PhcStringField);
    };
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    let argon = Argon2::new(algorithm, version, params.clone());
    let got = Output::init_with(expected.len(), |out| {
        memory.with(params.block_count(), |blocks| {
            argon.hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, blocks)
        })?;
        Ok(())
    })?;
    // Output compares in constant time.
    Ok(got == expected)
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String> {
        let params = self.params.clone();
        let pw = password.expose().to_owned();
        self.run(move |memory| hash_with(&params, &pw, memory))
            .await?
            .map_err(|e| Error::internal(e.to_string()))
    }

    async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let pw = password.to_owned();
        let ok = self
            .run(move |memory| verify_with(&hash, &pw, memory))
            .await?
            .map_err(|e| Error::internal(e.to_string()))?;
        Ok(ok && known)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// The user id, as a string per RFC 7519.
    sub: String,
    /// The session (refresh-token family) the token belongs to.
    sid: i64,
    iat: i64,
    exp: i64,
}

pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: i64,
    refresh_ttl: i64,
}

impl JwtCodec {
    pub fn new(secret: &str, access_ttl: i64, refresh_ttl: i64) -> Self {
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }
}

impl TokenCodec for JwtCodec {
    fn issue_access(&self, c: AccessClaims, now: Timestamp) -> Result<String> {
        let iat = now.millis() / 1000;
        let claims = Claims {
            sub: c.user_id.to_string(),
            sid: c.session_id,
            iat,
            exp: iat + self.access_ttl,
        };
        jsonwebtoken::encode(&Header::default(), &claims, &self.encoding).map_err(Error::internal)
    }

    fn verify_access(&self, token: &str, _now: Timestamp) -> Result<AccessClaims> {
        let bad = || Error::Unauthorized("the access token is invalid or expired".into());
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| bad())?;
        let user_id = data.claims.sub.parse().map_err(|_| bad())?;
        Ok(AccessClaims {
            user_id,
            session_id: data.claims.sid,
        })
    }

    fn access_ttl_secs(&self) -> i64 {
        self.access_ttl
    }

    fn refresh_ttl_secs(&self) -> i64 {
        self.refresh_ttl
    }

    fn new_refresh(&self) -> RefreshSecret {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let hash = self.hash_refresh(&token);
        RefreshSecret { token, hash }
    }

    /// Refresh tokens are 256 random bits, so a fast hash is enough: only a leaked
    /// database must not yield usable tokens.
    fn hash_refresh(&self, token: &str) -> String {
        let digest = Sha256::digest(token.as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

pub struct SystemClock;

impl madang_domain::time::Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        Timestamp(ms)
    }
}

#[cfg(test)]
mod tests {
    use madang_domain::time::Clock;

    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let h = Argon2Hasher::new(1024, 1, 2).unwrap();
        let pw = Password::parse("p", "correct horse").unwrap();
        let hash = h.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!h.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(!h.verify("madang-timing-equaliser", None).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_format_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = Argon2Hasher::new(2048, 2, 1).unwrap();
        // A hash the crate made itself (as older Madang builds stored them), with other
        // parameters than those configured: the stored ones win.
        let params = Params::new(1024, 1, 1, None).unwrap();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon
            .hash_password(b"old secret", &salt)
            .unwrap()
            .to_string();
        assert!(h.verify("old secret", Some(&theirs)).await.unwrap());
        assert!(!h.verify("old secret!", Some(&theirs)).await.unwrap());
        // Ours, checked by the crate's verifier.
        let ours = h
            .hash(&Password::parse("p", "new secret").unwrap())
            .await
            .unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=2048,t=2,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"new secret", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"new secret?", &parsed)
                .is_err()
        );
        // One working buffer for one permit, however many hashes ran.
        assert_eq!(h.memory.free.lock().unwrap().len(), 1);
    }

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let c = JwtCodec::new("a-secret-of-thirty-two-bytes-at-least!", 60, 600);
        let now = SystemClock.now();
        let t = c
            .issue_access(
                AccessClaims {
                    user_id: 7,
                    session_id: 3,
                },
                now,
            )
            .unwrap();
        assert_eq!(
            c.verify_access(&t, now).unwrap(),
            AccessClaims {
                user_id: 7,
                session_id: 3
            }
        );
        let other = JwtCodec::new("another-secret-of-thirty-two-bytes!!", 60, 600);
        assert!(other.verify_access(&t, now).is_err());
        let expired = c
            .issue_access(
                AccessClaims {
                    user_id: 7,
                    session_id: 3,
                },
                now.plus_secs(-3600),
            )
            .unwrap();
        assert!(c.verify_access(&expired, now).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let c = JwtCodec::new("a-secret-of-thirty-two-bytes-at-least!", 60, 600);
        let a = c.new_refresh();
        let b = c.new_refresh();
        assert_ne!(a.token, b.token);
        assert_eq!(a.hash.len(), 64);
        assert_eq!(c.hash_refresh(&a.token), a.hash);
    }
}
