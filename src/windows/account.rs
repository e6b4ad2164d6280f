//! Windows account names: `DOMAIN\user` (an NT domain user, what CIC stores), `user@suffix`
//! (a UPN as typed on the form) and `user@REALM` (a Kerberos client principal).
//!
//! Owns telling them apart, checking that the domain part is one this server serves, and
//! writing the one form every lookup uses: [`NtUser`] (`DOMAIN\user`, domain upper case), and
//! its throttle key ([`NtUser::throttle_key`]). An account name has one spelling: names a
//! directory would match to another account name (spaces at the ends or doubled, characters
//! it ignores, compatibility forms such as full-width letters) are refused, so each spelling
//! the throttle tells apart is a different account for the directory too. It does no I/O.

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

/// Characters an LDAP matching rule maps to nothing (RFC 4518 §2.2; Unicode's default
/// ignorable code points): `agent\u{AD}1` is `agent1` to the directory.
fn ignored_char(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether `user` is a Windows account name in its one spelling. The directory compares names
/// after dropping spaces at the ends, folding runs of spaces into one, mapping other spaces to
/// U+0020, dropping ignorable characters and applying NFKC (AD: width and case ignored); a name
/// that any of these would change is refused, so that every accepted name is its own account.
fn check_user(user: &str) -> Result<(), String> {
    if user.is_empty() {
        return Err("has no account name".into());
    }
    if user.chars().count() > 104 || user.chars().any(|c| bad_account_char(c) || ignored_char(c)) {
        return Err("is not a Windows account name".into());
    }
    if user.starts_with(' ')
        || user.ends_with(' ')
        || user.contains("  ")
        || user.chars().any(|c| c.is_whitespace() && c != ' ')
    {
        return Err("has spaces at its ends, doubled, or other than U+0020".into());
    }
    if !icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().is_normalized(user) {
        return Err("is not written in its normal form (NFKC)".into());
    }
    if !user.chars().all(case_pairs_one_to_one) {
        return Err(
            "holds a letter whose upper and lower case are not one pair (İ, ı, ς, ß)".into(),
        );
    }
    Ok(())
}

/// Whether `c` has one lower-case and one upper-case form that map back to each other, so
/// that the directory's case-insensitive match and the throttle key's folding agree on it.
/// Not so for `İ` (lower case `i̇`, two characters, that directories match as `i`), `ı` (upper
/// case `I`, whose lower case is `i`), `ς` (upper case `Σ`, whose lower case is `σ`), `ß` (upper
/// case `SS`) or `ẞ`: each would give a name the directory takes for another spelling of an
/// account but the throttle counts on its own.
fn case_pairs_one_to_one(c: char) -> bool {
    fn one(mut it: impl Iterator<Item = char>) -> Option<char> {
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }
    let (Some(lower), Some(upper)) = (one(c.to_lowercase()), one(c.to_uppercase())) else {
        return false;
    };
    one(upper.to_lowercase()) == Some(lower) && one(lower.to_uppercase()) == Some(upper)
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

impl NtUser {
    /// The throttle's key for this account: `domain\user` in lower case, the same for every
    /// name the form accepts for it (`EXAMPLE\Agent1`, `agent1@example.com`, `example\AGENT1`).
    /// It cannot be a CIC user ID's key: those never hold a `\` when Windows names are read.
    pub fn throttle_key(&self) -> String {
        // Letter by letter: `str::to_lowercase` would make a final `Σ` a `ς` and the same
        // letter elsewhere a `σ` (names hold only letters whose cases pair one to one).
        format!("{}\\{}", self.domain, self.user)
            .chars()
            .flat_map(char::to_lowercase)
            .collect()
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
    fn one_throttle_key_per_account() {
        let s = vec!["example.com".to_string(), "corp.example.com".to_string()];
        let key = |t: &str| match classify(t, "EXAMPLE", &s) {
            FormName::Windows(nt) => Some(nt.throttle_key()),
            _ => None,
        };
        let agent1 = key("EXAMPLE\\agent1").unwrap();
        assert_eq!(agent1, "example\\agent1");
        for same in [
            "example\\AGENT1",
            "Example\\Agent1",
            " EXAMPLE\\agent1 ",
            " agent1@example.com\t",
            "agent1@example.com",
            "AGENT1@EXAMPLE.COM",
            "agent1@corp.example.com",
        ] {
            assert_eq!(key(same).as_deref(), Some(agent1.as_str()), "{same}");
        }
        // Another user, and names with spaces inside, are other accounts.
        assert_ne!(key("EXAMPLE\\agent2").unwrap(), agent1);
        assert_ne!(key("EXAMPLE\\agent 1").unwrap(), agent1);
        // Another domain is no Windows account of this server (no key of its own here).
        assert_eq!(key("OTHER\\agent1"), None);
        assert_ne!(
            NtUser::parse("OTHER\\agent1").unwrap().throttle_key(),
            agent1
        );
        // Spellings the directory would match to agent1 are refused, not keys of their own.
        for other_spelling in [
            "EXAMPLE\\ agent1",
            "EXAMPLE\\  agent1",
            "EXAMPLE\\agent1 @x",
            "agent1 @example.com",
            "agent1\u{a0}@example.com",
            "EXAMPLE\\\u{a0}agent1",
            "EXAMPLE\\\u{3000}agent1",
            "EXAMPLE\\agent\u{ad}1",
            "EXAMPLE\\agent1\u{200b}",
            "EXAMPLE\\agent1\u{fe0f}",
            "EXAMPLE\\\u{ff41}gent1",
            "EXAMPLE\\agent\u{2460}",
            "EXAMPLE\\agent\t1",
            "EXAMPLE\\agent1\t@x",
            // Letters whose cases do not pair one to one: directories match `İdot` as `idot`.
            "EXAMPLE\\\u{130}dot",
            "\u{130}dot@example.com",
            "EXAMPLE\\\u{131}dot",
            "EXAMPLE\\ka\u{3c2}",
            "EXAMPLE\\te\u{df}a",
            "EXAMPLE\\te\u{1e9e}a",
        ] {
            assert_eq!(key(other_spelling), None, "{other_spelling:?}");
        }
        // A name with one space inside, and letters beyond ASCII in their normal form, are fine.
        assert_eq!(
            key("EXAMPLE\\Jo Smith").as_deref(),
            Some("example\\jo smith")
        );
        assert_eq!(
            key("EXAMPLE\\M\u{fc}ller").as_deref(),
            Some("example\\m\u{fc}ller")
        );
        assert_eq!(key("EXAMPLE\\Mu\u{308}ller"), None);
        // A capital sigma is a sigma wherever it stands: one key for `kaΣ`, `KAΣ` and `kaσ`.
        let kasigma = key("EXAMPLE\\ka\u{3c3}").unwrap();
        for same in ["EXAMPLE\\ka\u{3a3}", "EXAMPLE\\KA\u{3a3}"] {
            assert_eq!(key(same).as_deref(), Some(kasigma.as_str()), "{same}");
        }
    }

    #[test]
    fn principals() {
        assert_eq!(split_principal("agent1@EX.COM"), Some(("agent1", "EX.COM")));
        assert_eq!(split_principal("HTTP/sso.ex.com@EX.COM"), None);
        assert_eq!(split_principal("agent1"), None);
        assert_eq!(split_principal("@EX.COM"), None);
    }
}
