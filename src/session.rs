//! Sealing and unsealing of state that travels through the browser.
//!
//! Owns the AEAD (AES-256-GCM, key = `session.secret`) that turns a serializable value into an
//! opaque, tamper-proof, URL-safe token and back. Every token is bound to a *purpose* (used as
//! associated data) so a token made for one use is refused for another, and carries the time it
//! was made so the caller can refuse stale ones. There is no server-side store: any instance
//! that shares the secret can unseal what another sealed. This module does not decide what goes
//! into a token; the web layer does.

use crate::memo::{self, Slot};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::cipher::{Cipher, CipherRef};
use openssl::cipher_ctx::CipherCtx;
use openssl::error::ErrorStack;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use thiserror::Error;

const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Tokens longer than this are refused before any work is done.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value was not made with this server's secret, or was altered")]
    Forged,
    #[error("the sealed value has expired")]
    Expired,
    #[error("the crypto library failed: {0}")]
    Crypto(String),
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Seconds since the epoch when the token was made.
    t: i64,
    v: T,
}

/// AES-256-GCM, fetched from the crypto library once: OpenSSL 3 otherwise looks the cipher up
/// again, under a lock, for every token.
fn aes_gcm() -> Result<&'static CipherRef, ErrorStack> {
    static CIPHER: std::sync::OnceLock<Cipher> = std::sync::OnceLock::new();
    if let Some(c) = CIPHER.get() {
        return Ok(c);
    }
    let c = Cipher::fetch(None, "AES-256-GCM", None)?;
    Ok(CIPHER.get_or_init(|| c))
}

thread_local! {
    /// This thread's AES-256-GCM decryption context and the key it was set up with.
    static OPEN_CTX: Slot<[u8; 32], CipherCtx> = const { std::cell::RefCell::new(None) };
}

/// Opens `ct` and `tag` with `ctx` (keyed already) under `nonce` and `aad`.
fn open(
    ctx: &mut CipherCtx,
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, ErrorStack> {
    ctx.decrypt_init(None, None, Some(nonce))?;
    ctx.cipher_update(aad, None)?;
    let mut plain = Vec::with_capacity(ct.len() + 16);
    ctx.cipher_update_vec(ct, &mut plain)?;
    ctx.set_tag(tag)?;
    ctx.cipher_final_vec(&mut plain)?;
    Ok(plain)
}

#[derive(Clone)]
pub struct Sealer {
    key: [u8; 32],
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<secret>)")
    }
}

impl Sealer {
    pub fn new(key: [u8; 32]) -> Self {
        Sealer { key }
    }

    pub fn seal<T: Serialize>(&self, purpose: &str, value: &T) -> Result<String, SealError> {
        self.seal_at(purpose, value, chrono::Utc::now().timestamp())
    }

    fn seal_at<T: Serialize>(
        &self,
        purpose: &str,
        value: &T,
        now: i64,
    ) -> Result<String, SealError> {
        let crypto = |e: openssl::error::ErrorStack| SealError::Crypto(e.to_string());
        let plain = serde_json::to_vec(&Envelope { t: now, v: value })
            .map_err(|e| SealError::Crypto(e.to_string()))?;
        // Random 96-bit nonces from a CSPRNG (ChaCha, seeded by the OS): a repeat is out of
        // reach long before 2^32 tokens under one secret.
        let mut nonce = [0u8; NONCE_LEN];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + TAG_LEN);
        out.extend_from_slice(&nonce);
        self.encrypt(&nonce, purpose.as_bytes(), &plain, &mut out)
            .map_err(crypto)?;
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens a token made for `purpose` no longer than `max_age_secs` ago (and not from the
    /// future beyond a small skew between the two servers of a pair).
    pub fn unseal<T: DeserializeOwned>(
        &self,
        purpose: &str,
        token: &str,
        max_age_secs: i64,
    ) -> Result<T, SealError> {
        self.unseal_at(purpose, token, max_age_secs, chrono::Utc::now().timestamp())
    }

    /// [`Sealer::unseal`], also telling when the token was sealed (seconds since the epoch).
    pub fn unseal_with_time<T: DeserializeOwned>(
        &self,
        purpose: &str,
        token: &str,
        max_age_secs: i64,
    ) -> Result<(T, i64), SealError> {
        self.open_at(purpose, token, max_age_secs, chrono::Utc::now().timestamp())
    }

    fn unseal_at<T: DeserializeOwned>(
        &self,
        purpose: &str,
        token: &str,
        max_age_secs: i64,
        now: i64,
    ) -> Result<T, SealError> {
        self.open_at(purpose, token, max_age_secs, now)
            .map(|(v, _)| v)
    }

    /// AES-256-GCM of `plain` with `aad`, ciphertext then tag appended to `out`.
    fn encrypt(
        &self,
        nonce: &[u8],
        aad: &[u8],
        plain: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), ErrorStack> {
        let mut ctx = CipherCtx::new()?;
        ctx.encrypt_init(Some(aes_gcm()?), Some(&self.key), Some(nonce))?;
        ctx.cipher_update(aad, None)?;
        ctx.cipher_update_vec(plain, out)?;
        ctx.cipher_final_vec(out)?;
        let mut tag = [0u8; TAG_LEN];
        ctx.tag(&mut tag)?;
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// Opens AES-256-GCM `ct` with its `tag`; fails when either or `aad` was altered. Every
    /// SSO-session login opens a cookie: the thread keeps a context with this key already
    /// expanded (as TLS and QUIC stacks do per record) and only sets the new nonce on it.
    fn decrypt(
        &self,
        nonce: &[u8],
        aad: &[u8],
        ct: &[u8],
        tag: &[u8],
    ) -> Result<Vec<u8>, ErrorStack> {
        let keyed = |_: &[u8; 32]| -> Result<CipherCtx, ErrorStack> {
            let mut ctx = CipherCtx::new()?;
            ctx.decrypt_init(Some(aes_gcm()?), Some(&self.key), None)?;
            Ok(ctx)
        };
        memo::with(&OPEN_CTX, &self.key, keyed, |ctx| {
            open(ctx, nonce, aad, ct, tag)
        })
    }

    fn open_at<T: DeserializeOwned>(
        &self,
        purpose: &str,
        token: &str,
        max_age_secs: i64,
        now: i64,
    ) -> Result<(T, i64), SealError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(SealError::Malformed);
        }
        let raw = URL_SAFE_NO_PAD
            .decode(token.trim())
            .map_err(|_| SealError::Malformed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let plain = self
            .decrypt(nonce, purpose.as_bytes(), ct, tag)
            .map_err(|_| SealError::Forged)?;
        let env: Envelope<T> = serde_json::from_slice(&plain).map_err(|_| SealError::Malformed)?;
        // Saturating: a time far in the past must not wrap around into "just made".
        if env.t > now.saturating_add(60) || now.saturating_sub(env.t) > max_age_secs {
            return Err(SealError::Expired);
        }
        Ok((env.v, env.t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let s = Sealer::new([7; 32]);
        let tok = s.seal_at("login", &("abc", 5), 1000).unwrap();
        assert_eq!(
            s.unseal_at::<(String, i32)>("login", &tok, 60, 1010),
            Ok(("abc".into(), 5))
        );
        assert_eq!(
            s.unseal_at::<(String, i32)>("cookie", &tok, 60, 1010),
            Err(SealError::Forged)
        );
        assert_eq!(
            s.unseal_at::<(String, i32)>("login", &tok, 60, 2000),
            Err(SealError::Expired)
        );
        let other = Sealer::new([8; 32]);
        assert_eq!(
            other.unseal_at::<(String, i32)>("login", &tok, 60, 1010),
            Err(SealError::Forged)
        );
        // One byte changed anywhere is refused.
        let mut raw = URL_SAFE_NO_PAD.decode(&tok).unwrap();
        for i in 0..raw.len() {
            raw[i] ^= 1;
            let t = URL_SAFE_NO_PAD.encode(&raw);
            assert!(s.unseal_at::<(String, i32)>("login", &t, 60, 1010).is_err());
            raw[i] ^= 1;
        }
        assert_eq!(
            s.unseal_at::<(String, i32)>("login", "!!", 60, 1010),
            Err(SealError::Malformed)
        );
    }

    #[test]
    fn the_kept_context_opens_each_token_with_its_own_nonce_and_key() {
        // One thread, so every open after the first goes through the kept context: tokens
        // with fresh nonces, a forged one between them, and two keys taking turns.
        let (a, b) = (Sealer::new([1; 32]), Sealer::new([2; 32]));
        let toks: Vec<(bool, String, u32)> = (0..20u32)
            .map(|i| {
                let s = if i % 3 == 0 { &b } else { &a };
                (i % 3 == 0, s.seal_at("c", &i, 1000).unwrap(), i)
            })
            .collect();
        for (by_b, tok, i) in &toks {
            let (right, wrong) = if *by_b { (&b, &a) } else { (&a, &b) };
            assert_eq!(
                wrong.unseal_at::<u32>("c", tok, 60, 1000),
                Err(SealError::Forged)
            );
            assert_eq!(right.unseal_at::<u32>("c", tok, 60, 1000), Ok(*i));
            assert_eq!(
                right.unseal_at::<u32>("d", tok, 60, 1000),
                Err(SealError::Forged)
            );
            assert_eq!(right.unseal_at::<u32>("c", tok, 60, 1000), Ok(*i));
        }
    }

    #[test]
    fn times_at_the_ends_of_the_range_are_expired() {
        // The unseal fuzz target (any plaintext under the key) hit this: `now - t` overflowed
        // for t near i64::MIN, a panic with overflow checks and without them a wrap that made
        // the token look fresh.
        let s = Sealer::new([7; 32]);
        for t in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let tok = s.seal_at("login", &1, t).unwrap();
            assert_eq!(
                s.unseal_at::<i32>("login", &tok, 600, 1_777_000_000),
                Err(SealError::Expired),
                "t = {t}"
            );
        }
    }
}
