//! The SP's name as the form shows it ("… to continue to {sp}"), per language.
//!
//! Owns `service_providers[].display_name`: one string (shown in every language, its language
//! unknown: a product name usually is none), or a table of language tag → name. From a table the
//! page's language is taken, else the IdP's default language, else en-US, else the first
//! entry; a name in another language than the page's is shown with its `lang`, so a screen
//! reader speaks it in that language. The tags are checked and spelled as the catalogs spell
//! them when the configuration is loaded.

use crate::i18n::{Lang, REFERENCE};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum DisplayName {
    One(String),
    PerLanguage(BTreeMap<String, String>),
}

impl From<&str> for DisplayName {
    fn from(s: &str) -> Self {
        DisplayName::One(s.to_string())
    }
}

impl DisplayName {
    /// The table with its tags as the catalogs spell them; an error names what is wrong.
    pub fn checked(&self) -> Result<DisplayName, String> {
        let DisplayName::PerLanguage(table) = self else {
            return Ok(self.clone());
        };
        if table.is_empty() {
            return Err("is an empty table; give at least one language's name".into());
        }
        let mut out = BTreeMap::new();
        for (tag, name) in table {
            let lang = Lang::from_tag(tag).ok_or_else(|| {
                format!(
                    "`{tag}` is not one of the page languages ({})",
                    crate::i18n::supported_tags().join(", ")
                )
            })?;
            if name.trim().is_empty() {
                return Err(format!("the name for `{tag}` is empty"));
            }
            if out.insert(lang.tag().to_string(), name.clone()).is_some() {
                return Err(format!("`{tag}` is given twice"));
            }
        }
        Ok(DisplayName::PerLanguage(out))
    }

    /// The name for a page in `lang` (`default`: the IdP's default language), and the
    /// name's language when it is not `lang`'s.
    pub fn for_lang(&self, lang: Lang, default: Lang) -> (&str, Option<&str>) {
        let table = match self {
            DisplayName::One(s) => return (s, None),
            DisplayName::PerLanguage(t) => t,
        };
        let pick = [lang.tag(), default.tag(), REFERENCE]
            .into_iter()
            .find_map(|t| table.get_key_value(t))
            .or_else(|| table.iter().next());
        match pick {
            Some((tag, name)) if tag == lang.tag() => (name, None),
            Some((tag, name)) => (name, Some(tag)),
            None => ("", None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(entries: &[(&str, &str)]) -> DisplayName {
        DisplayName::PerLanguage(
            entries
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        )
    }

    #[test]
    fn picks_the_language_then_the_default_then_english() {
        let n = table(&[("en-US", "the app"), ("de", "der App"), ("ja", "アプリ")])
            .checked()
            .unwrap();
        let l = |t| Lang::from_tag(t).unwrap();
        assert_eq!(n.for_lang(l("de"), l("en-US")), ("der App", None));
        assert_eq!(n.for_lang(l("fr"), l("ja")), ("アプリ", Some("ja")));
        assert_eq!(n.for_lang(l("fr"), l("sv")), ("the app", Some("en-US")));
        let only = table(&[("nb", "appen")]).checked().unwrap();
        assert_eq!(only.for_lang(l("de"), l("de")), ("appen", Some("nb")));
        let one = DisplayName::from("Genesys Cloud");
        assert_eq!(one.for_lang(l("ar"), l("de")), ("Genesys Cloud", None));
    }

    #[test]
    fn tags_are_checked_and_spelled_as_the_catalogs_do() {
        let n = table(&[("DE", "der App")]).checked().unwrap();
        assert_eq!(n, table(&[("de", "der App")]));
        assert!(table(&[("xx", "a")])
            .checked()
            .unwrap_err()
            .contains("`xx`"));
        assert!(table(&[]).checked().is_err());
        assert!(table(&[("de", " ")]).checked().is_err());
        assert!(table(&[("de", "a"), ("DE", "b")]).checked().is_err());
    }
}
