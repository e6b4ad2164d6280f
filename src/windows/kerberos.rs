//! The Kerberos acceptor: a SPNEGO or raw Kerberos token in, the client principal out, by
//! the system's GSSAPI (MIT Kerberos through `libgssapi`). No Kerberos of our own.
//!
//! Owns the acceptor credential (from the configured keytab, through the GSSAPI credential
//! store, so no process environment is touched), the start-up checks (the keytab is readable
//! and holds the service principal), and what a failed token means (expired, replayed,
//! invalid). MIT's replay cache is left on: a token accepted once is refused the second time.
//! Every call blocks (it reads the keytab and the replay cache): callers run it off the async
//! executor. The realm check is the caller's ([`super::Windows`]).

use libgssapi::context::{SecurityContext, ServerCtx};
use libgssapi::credential::Cred;
use libgssapi::error::{Error as GssError, MajorFlags};
use libgssapi_sys as sys;
use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the Kerberos ticket has expired (or the clocks differ too much)")]
    Expired,
    #[error("the token was replayed (seen before)")]
    Replayed,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// What an accepted token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The client principal, `user@REALM`.
    pub principal: String,
    /// The token to send back (`WWW-Authenticate: Negotiate <it>`, mutual authentication).
    pub reply: Option<Vec<u8>>,
}

/// The acceptor for one keytab (and optionally one principal in it).
pub struct Acceptor {
    cred: Cred,
    keytab: PathBuf,
    principal: Option<String>,
}

/// How MIT words the minor statuses that matter. GSSAPI's mechanism glue renumbers minor
/// codes, so only their text (from `gss_display_status`) says what happened; in another
/// locale these fall back to "invalid", which leads to the same form.
const REPLAY_TEXTS: [&str; 1] = ["Request is a replay"];
const EXPIRED_TEXTS: [&str; 3] = [
    "Ticket expired",
    "Clock skew too great",
    "Ticket not yet valid",
];

/// The krb5 principal name type, 1.2.840.113554.1.2.2.1.
const KRB5_NT_PRINCIPAL: [u8; 10] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01];

fn gss_err(major: u32, minor: u32) -> GssError {
    GssError {
        major: MajorFlags::from_bits_retain(major),
        minor,
    }
}

/// A GSS name for `principal`, released on drop.
struct ImportedName(sys::gss_name_t);

impl ImportedName {
    fn new(principal: &str) -> Result<ImportedName, GssError> {
        let mut oid_bytes = KRB5_NT_PRINCIPAL;
        let mut oid = sys::gss_OID_desc {
            length: oid_bytes.len() as u32,
            elements: oid_bytes.as_mut_ptr().cast(),
        };
        let mut text = principal.as_bytes().to_vec();
        let mut buf = sys::gss_buffer_desc {
            length: text.len(),
            value: text.as_mut_ptr().cast(),
        };
        let mut minor = 0u32;
        let mut name: sys::gss_name_t = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; MIT copies the buffer and the OID.
        let major = unsafe { sys::gss_import_name(&mut minor, &mut buf, &mut oid, &mut name) };
        if major != sys::GSS_S_COMPLETE {
            return Err(gss_err(major, minor));
        }
        Ok(ImportedName(name))
    }
}

impl Drop for ImportedName {
    fn drop(&mut self) {
        let mut minor = 0u32;
        // SAFETY: the name came from gss_import_name and is released once.
        unsafe { sys::gss_release_name(&mut minor, &mut self.0) };
    }
}

/// An acceptor credential from `keytab`, for `principal` or any principal in it.
fn acquire(keytab: &Path, principal: Option<&str>) -> Result<Cred, String> {
    let key = CString::new("keytab").map_err(|e| e.to_string())?;
    let value = CString::new(keytab.as_os_str().as_encoded_bytes())
        .map_err(|_| "the keytab path holds a NUL byte".to_string())?;
    let mut elements = [sys::gss_key_value_element_desc {
        key: key.as_ptr(),
        value: value.as_ptr(),
    }];
    let store = sys::gss_key_value_set_desc {
        count: 1,
        elements: elements.as_mut_ptr(),
    };
    let name = principal
        .map(ImportedName::new)
        .transpose()
        .map_err(|e| format!("`{}` is not a principal name: {e}", principal.unwrap_or("")))?;
    let mut minor = 0u32;
    let mut cred: sys::gss_cred_id_t = std::ptr::null_mut();
    // SAFETY: the store, its strings and the name outlive the call; `cred` is written by it.
    let major = unsafe {
        sys::gss_acquire_cred_from(
            &mut minor,
            name.as_ref().map_or(std::ptr::null_mut(), |n| n.0),
            sys::_GSS_C_INDEFINITE,
            std::ptr::null_mut(),
            sys::GSS_C_ACCEPT as sys::gss_cred_usage_t,
            &store,
            &mut cred,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    if major != sys::GSS_S_COMPLETE {
        return Err(gss_err(major, minor).to_string());
    }
    // SAFETY: a credential GSSAPI just gave us; the Cred releases it.
    Ok(unsafe { Cred::from_c(cred) })
}

impl Acceptor {
    /// Loads the acceptor credential; the message says what is wrong with the keytab or the
    /// principal (`windows.keytab` / `windows.service_principal` in it).
    pub fn new(keytab: &Path, principal: Option<&str>) -> Result<Acceptor, String> {
        let bytes = std::fs::read(keytab)
            .map_err(|e| format!("windows.keytab: cannot read {}: {e}", keytab.display()))?;
        // An MIT/AD keytab starts 0x05 0x01 or 0x05 0x02; an empty one holds no key.
        if bytes.len() < 2 || bytes[0] != 0x05 || !matches!(bytes[1], 1 | 2) {
            return Err(format!(
                "windows.keytab: {} is not a keytab (make one with ktpass on AD, or kadmin ktadd)",
                keytab.display()
            ));
        }
        if bytes.len() == 2 {
            return Err(format!("windows.keytab: {} holds no key", keytab.display()));
        }
        let cred = acquire(keytab, principal).map_err(|e| match principal {
            Some(p) => format!(
                "windows.service_principal: `{p}` is not usable from {}: {e}",
                keytab.display()
            ),
            None => format!("windows.keytab: {} is not usable: {e}", keytab.display()),
        })?;
        Ok(Acceptor {
            cred,
            keytab: keytab.to_path_buf(),
            principal: principal.map(str::to_string),
        })
    }

    /// The keytab, for the start-up log.
    pub fn keytab(&self) -> &Path {
        &self.keytab
    }

    /// The principal accepted as, `None` for any in the keytab.
    pub fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// Accepts one token (the whole exchange: SPNEGO as browsers use it completes in one
    /// step). Blocking.
    pub fn accept(&self, token: &[u8]) -> Result<Accepted, TokenError> {
        let mut ctx = ServerCtx::new(Some(self.cred.clone()));
        let reply = ctx.step(token, None).map_err(classify)?;
        if !ctx.is_complete() {
            return Err(TokenError::Invalid(
                "the exchange needs another round (the client offered no usable mechanism token)"
                    .into(),
            ));
        }
        let name = ctx
            .source_name()
            .map_err(|e| TokenError::Invalid(format!("no client name: {e}")))?;
        Ok(Accepted {
            principal: name.to_string(),
            reply: reply.map(|b| b.to_vec()),
        })
    }
}

/// The routine-error field of a major status is a number (bits 16-23), not flags.
fn routine_is(e: &GssError, code: MajorFlags) -> bool {
    const FIELD: u32 = 0xff << 16;
    e.major.bits() & FIELD == code.bits() & FIELD
}

fn classify(e: GssError) -> TokenError {
    classify_status(&e, &e.to_string())
}

fn classify_status(e: &GssError, text: &str) -> TokenError {
    // DUPLICATE_TOKEN is a supplementary bit, not a routine error.
    if e.major.contains(MajorFlags::GSS_S_DUPLICATE_TOKEN)
        || REPLAY_TEXTS.iter().any(|t| text.contains(t))
    {
        return TokenError::Replayed;
    }
    if routine_is(e, MajorFlags::GSS_S_CREDENTIALS_EXPIRED)
        || routine_is(e, MajorFlags::GSS_S_CONTEXT_EXPIRED)
        || EXPIRED_TEXTS.iter().any(|t| text.contains(t))
    {
        return TokenError::Expired;
    }
    TokenError::Invalid(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_empty_or_foreign_keytab_stops_start_up_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.keytab");
        let e = Acceptor::new(&missing, None).err().unwrap();
        assert!(e.starts_with("windows.keytab: cannot read"), "{e}");
        let text = dir.path().join("text.keytab");
        std::fs::write(&text, "not a keytab").unwrap();
        let e = Acceptor::new(&text, None).err().unwrap();
        assert!(e.contains("is not a keytab"), "{e}");
        let empty = dir.path().join("empty.keytab");
        std::fs::write(&empty, [0x05, 0x02]).unwrap();
        let e = Acceptor::new(&empty, None).err().unwrap();
        assert!(e.contains("holds no key"), "{e}");
    }

    #[test]
    fn failures_are_told_apart() {
        let e = |major: MajorFlags, text: &str| classify_status(&gss_err(major.bits(), 0), text);
        let f = MajorFlags::GSS_S_FAILURE;
        let unspecified = "Unspecified GSS failure.  Minor code may provide more information";
        assert_eq!(
            e(f, &format!("{unspecified} (Request is a replay)")),
            TokenError::Replayed
        );
        assert_eq!(
            e(MajorFlags::GSS_S_DUPLICATE_TOKEN, ""),
            TokenError::Replayed
        );
        assert_eq!(
            e(f, &format!("{unspecified} (Ticket expired)")),
            TokenError::Expired
        );
        assert_eq!(
            e(f, &format!("{unspecified} (Clock skew too great)")),
            TokenError::Expired
        );
        assert_eq!(
            e(MajorFlags::GSS_S_CONTEXT_EXPIRED, ""),
            TokenError::Expired
        );
        assert!(matches!(
            e(MajorFlags::GSS_S_DEFECTIVE_TOKEN, "x"),
            TokenError::Invalid(_)
        ));
        // FAILURE's bits include CONTEXT_EXPIRED's: the field is compared, not the bits.
        assert!(matches!(e(f, unspecified), TokenError::Invalid(_)));
    }
}
