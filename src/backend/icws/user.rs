//! Reading a CIC user's configuration record (`GET configuration/users/{id}`): which
//! properties to `select`, and where the email and display name are in the answer.
//!
//! Owns the email rule: the configured property (default
//! `personalInformationProperties.emailAddress`), then `mailboxProperties.emailAddress`; a value
//! counts only when it looks like an address. It does no I/O.

use crate::config::FALLBACK_EMAIL_PROPERTY;
use serde_json::Value;

/// Where CIC keeps a user's display name.
pub const DISPLAY_NAME_PROPERTY: &str = "configurationId.displayName";

/// The `select` value: the top-level properties holding the email (configured and fallback)
/// and the display name, each once.
pub fn select_for(email_property: &str) -> String {
    let mut props: Vec<&str> = Vec::new();
    for path in [
        DISPLAY_NAME_PROPERTY,
        email_property,
        FALLBACK_EMAIL_PROPERTY,
    ] {
        let top = path.split('.').next().unwrap_or(path);
        if !top.is_empty() && !props.contains(&top) {
            props.push(top);
        }
    }
    props.join(",")
}

/// The value at a dotted path, e.g. `mailboxProperties.emailAddress`.
pub fn lookup<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(record, |v, key| v.get(key))
}

fn text_at(record: &Value, path: &str) -> Option<String> {
    lookup(record, path)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The business email: the configured property, then the mailbox address.
pub fn email(record: &Value, email_property: &str) -> Option<String> {
    [email_property, FALLBACK_EMAIL_PROPERTY]
        .into_iter()
        .filter_map(|p| text_at(record, p))
        .find(|e| looks_like_email(e))
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

pub fn display_name(record: &Value) -> Option<String> {
    text_at(record, DISPLAY_NAME_PROPERTY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_EMAIL_PROPERTY;
    use serde_json::json;

    #[test]
    fn select_names_each_top_level_property_once() {
        assert_eq!(
            select_for(DEFAULT_EMAIL_PROPERTY),
            "configurationId,personalInformationProperties,mailboxProperties"
        );
        assert_eq!(
            select_for("mailboxProperties.emailAddress"),
            "configurationId,mailboxProperties"
        );
        assert_eq!(
            select_for("customProperties.workEmail"),
            "configurationId,customProperties,mailboxProperties"
        );
    }

    #[test]
    fn email_prefers_the_configured_property_then_the_mailbox() {
        let both = json!({
            "personalInformationProperties": {"emailAddress": " ann@example.com "},
            "mailboxProperties": {"emailAddress": "ann.mailbox@example.com"}
        });
        assert_eq!(
            email(&both, DEFAULT_EMAIL_PROPERTY).as_deref(),
            Some("ann@example.com")
        );
        let mailbox_only = json!({
            "personalInformationProperties": {"emailAddress": ""},
            "mailboxProperties": {"emailAddress": "bob@example.com"}
        });
        assert_eq!(
            email(&mailbox_only, DEFAULT_EMAIL_PROPERTY).as_deref(),
            Some("bob@example.com")
        );
        let custom = json!({"custom": {"mail": "cy@example.com"}, "mailboxProperties": {"emailAddress": "m@example.com"}});
        assert_eq!(
            email(&custom, "custom.mail").as_deref(),
            Some("cy@example.com")
        );
        for none in [
            json!({}),
            json!({"personalInformationProperties": {}}),
            json!({"personalInformationProperties": {"emailAddress": "not an address"}}),
            json!({"personalInformationProperties": {"emailAddress": 42}}),
            json!({"mailboxProperties": {"emailAddress": "@example.com"}}),
        ] {
            assert_eq!(email(&none, DEFAULT_EMAIL_PROPERTY), None, "{none}");
        }
    }

    #[test]
    fn display_name_from_the_configuration_id() {
        let r = json!({"configurationId": {"id": "ann", "displayName": "Ann Agent"}});
        assert_eq!(display_name(&r).as_deref(), Some("Ann Agent"));
        assert_eq!(display_name(&json!({"configurationId": {"id": "x"}})), None);
    }
}
