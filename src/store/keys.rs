//! The names of shared entries in Redis: the same on every instance, and opaque.
//!
//! Owns how a user ID, a client IP, a known-browser token, a form ID or a signed request's
//! (Issuer, ID) becomes a key: HMAC-SHA-256 with a key derived from `session.secret` (which
//! the instances of a pair already share), cut to 128 bits, hex, after `store.key_prefix`.
//! So Redis holds no user ID or address in clear, keys have a fixed length whatever a client
//! sends, and another deployment's keys in the same Redis cannot collide.

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;

pub struct Names {
    prefix: String,
    key: PKey<Private>,
}

impl Names {
    pub fn new(prefix: &str, secret: &[u8; 32]) -> Result<Self, openssl::error::ErrorStack> {
        // A key of its own, so the store's names say nothing of the sealing key.
        let derive = PKey::hmac(secret)?;
        let mut s = Signer::new(MessageDigest::sha256(), &derive)?;
        s.update(b"pureconnect-idp/store-names/v1")?;
        let key = PKey::hmac(&s.sign_to_vec()?)?;
        Ok(Names {
            prefix: prefix.to_string(),
            key,
        })
    }

    /// `<prefix><kind>:<hmac of the parts>`.
    pub fn key(&self, kind: &str, parts: &[&[u8]]) -> String {
        let mut out = format!("{}{kind}:", self.prefix);
        if let Ok(mut s) = Signer::new(MessageDigest::sha256(), &self.key) {
            let mut ok = s.update(kind.as_bytes()).is_ok();
            for p in parts {
                // Length-prefixed, so ("ab","c") and ("a","bc") differ.
                ok &= s.update(&(p.len() as u64).to_be_bytes()).is_ok();
                ok &= s.update(p).is_ok();
            }
            if let (true, Ok(mac)) = (ok, s.sign_to_vec()) {
                crate::saml::xml::hex_into(&mut out, &mac[..16]);
            }
        }
        out
    }

    /// A fixed name (`<prefix><name>`): counters, logs and channels.
    pub fn fixed(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_agree_across_instances_and_hide_their_input() {
        let a = Names::new("p:", &[7; 32]).unwrap();
        let b = Names::new("p:", &[7; 32]).unwrap();
        let other = Names::new("p:", &[8; 32]).unwrap();
        let k = a.key("user", &[b"alice"]);
        assert_eq!(k, b.key("user", &[b"alice"]));
        assert_ne!(k, other.key("user", &[b"alice"]));
        assert_ne!(a.key("x", &[b"ab", b"c"]), a.key("x", &[b"a", b"bc"]));
        assert!(k.starts_with("p:user:") && !k.contains("alice"));
        assert_eq!(k.len(), "p:user:".len() + 32);
    }
}
