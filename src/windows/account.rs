//! Windows account names: `DOMAIN\user` (an NT domain user, what CIC stores), `user@suffix`
//! (a UPN as typed on the form) and `user@REALM` (a Kerberos client principal).
//!
//! Owns telling them apart, checking that the domain part is one this server serves, and
//! writing the one form every lookup uses: [`NtUser`] (`DOMAIN\user`, domain upper case). It
//! does no I/O.

use std::fmt;

/// A Windows account as CIC names it: `DOMAIN\user`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtUser {
    /// The NetBIOS domain, upper case.
    pub domain: String,
    /// The account name (sAMAccountName) as given.
    pub user: String,
}

/// Characters AD does not allow in an account name (and `@`, `\`, which would make the
/// name mean something else).
fn bad_account_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '"' | '/'
                | '\\'
                | '['
                | ']'
                | ':'
                | ';'
                | '|'
                | '='
                | ','
                | '+'
                | '*'
                | '?'
                | '<'
                | '>'
                | '@'
        )
}

fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("has no account name".into());
    }
    if user.chars().count() > 104 || user.chars().any(bad_account_char) {
        return Err("is not a Windows account name".into());
    }
    Ok(())
}

impl NtUser {
    /// `DOMAIN\user`, as in a users file or CIC's NT Domain User.
    pub fn parse(text: &str) -> Result<NtUser, String> {
        let t = text.trim();
        let (domain, user) = t
            .split_once('\\')
            .ok_or_else(|| format!("`{t}` is not DOMAIN\\user"))?;
        if domain.is_empty() || domain.chars().any(|c| bad_account_char(c) || c == ' ') {
            return Err(format!("`{t}` has no NetBIOS domain before the backslash"));
        }
        check_user(user).map_err(|m| format!("`{t}` {m}"))?;
        Ok(NtUser {
            domain: domain.to_ascii_uppercase(),
            user: user.to_string(),
        })
    }
}

impl fmt::Display for NtUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\\{}", self.domain, self.user)
    }
}

/// What the user ID field of the form holds.
#[derive(Debug, PartialEq, Eq)]
pub enum FormName {
    /// A CIC user ID: no `\` and no `@`.
    Cic,
    /// A Windows account in a domain this server serves.
    Windows(NtUser),
    /// It looks like a Windows account, but of a domain that is not served: a bad credential.
    OtherDomain,
}

/// Classifies the user ID field: `DOMAIN\user` when `DOMAIN` is `netbios`, `user@suffix` when
/// `suffix` is one of `suffixes` (both without regard to case); anything else with `\` or `@`
/// is [`FormName::OtherDomain`].
pub fn classify(text: &str, netbios: &str, suffixes: &[String]) -> FormName {
    let t = text.trim();
    if let Some((domain, user)) = t.split_once('\\') {
        return match check_user(user) {
            Ok(()) if domain.eq_ignore_ascii_case(netbios) => FormName::Windows(NtUser {
                domain: netbios.to_ascii_uppercase(),
                user: user.to_string(),
            }),
            _ => FormName::OtherDomain,
        };
    }
    if let Some((user, suffix)) = t.rsplit_once('@') {
        return match check_user(user) {
            Ok(()) if suffixes.iter().any(|s| s.eq_ignore_ascii_case(suffix)) => {
                FormName::Windows(NtUser {
                    domain: netbios.to_ascii_uppercase(),
                    user: user.to_string(),
                })
            }
            _ => FormName::OtherDomain,
        };
    }
    FormName::Cic
}

/// A Kerberos client principal `user@REALM` split into its parts; `None` for a principal
/// with instances (`user/admin@REALM`, a host or service) or without a realm.
pub fn split_principal(principal: &str) -> Option<(&str, &str)> {
    let (user, realm) = principal.rsplit_once('@')?;
    if user.is_empty() || realm.is_empty() || user.contains('/') || check_user(user).is_err() {
        return None;
    }
    Some((user, realm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nt_users() {
        let n = NtUser::parse(" example\\Agent1 ").unwrap();
        assert_eq!(n.to_string(), "EXAMPLE\\Agent1");
        for bad in [
            "agent1",
            "\\agent1",
            "EXAMPLE\\",
            "EX AMPLE\\a",
            "EXAMPLE\\a\\b",
            "E\\a@b",
        ] {
            assert!(NtUser::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn form_names() {
        let s = vec!["example.com".to_string()];
        let w = |d: &str, u: &str| {
            FormName::Windows(NtUser {
                domain: d.into(),
                user: u.into(),
            })
        };
        assert_eq!(classify("agent1", "EXAMPLE", &s), FormName::Cic);
        assert_eq!(
            classify("example\\agent1", "EXAMPLE", &s),
            w("EXAMPLE", "agent1")
        );
        assert_eq!(
            classify("agent1@EXAMPLE.COM", "EXAMPLE", &s),
            w("EXAMPLE", "agent1")
        );
        assert_eq!(
            classify("OTHER\\agent1", "EXAMPLE", &s),
            FormName::OtherDomain
        );
        assert_eq!(
            classify("agent1@other.com", "EXAMPLE", &s),
            FormName::OtherDomain
        );
        assert_eq!(classify("EXAMPLE\\", "EXAMPLE", &s), FormName::OtherDomain);
        assert_eq!(
            classify("EXAMPLE\\a*", "EXAMPLE", &s),
            FormName::OtherDomain
        );
    }

    #[test]
    fn principals() {
        assert_eq!(split_principal("agent1@EX.COM"), Some(("agent1", "EX.COM")));
        assert_eq!(split_principal("HTTP/sso.ex.com@EX.COM"), None);
        assert_eq!(split_principal("agent1"), None);
        assert_eq!(split_principal("@EX.COM"), None);
    }
}
