//! Languages of the user-facing pages: the compiled-in catalogs and the lookup function.
//!
//! Owns the one function every user-visible string goes through ([`Lang::t`]), the list of
//! supported languages (one TOML file each in `catalogs/`, compiled in by build.rs), and each
//! language's name in itself and writing direction. Choosing the language for a request is
//! [`negotiate`]'s job.

#[cfg(test)]
mod checks;
pub mod negotiate;
pub mod plural;

use std::collections::HashMap;
use std::sync::LazyLock;

include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));

/// The reference language: every catalog has its keys; a missing key falls back to it.
pub const REFERENCE: &str = "en-US";

#[derive(Debug)]
pub struct Catalog {
    pub tag: &'static str,
    pub name: String,
    pub rtl: bool,
    pub messages: HashMap<String, String>,
}

#[derive(serde::Deserialize)]
struct RawCatalog {
    meta: RawMeta,
    messages: HashMap<String, String>,
}

#[derive(serde::Deserialize)]
struct RawMeta {
    name: String,
    dir: String,
}

/// Parses one catalog's TOML text.
pub fn parse_catalog(tag: &'static str, text: &str) -> Result<Catalog, String> {
    let raw: RawCatalog = toml::from_str(text).map_err(|e| format!("catalog {tag}: {e}"))?;
    Ok(Catalog {
        tag,
        name: raw.meta.name,
        rtl: raw.meta.dir == "rtl",
        messages: raw.messages,
    })
}

static CATALOGS: LazyLock<Vec<Catalog>> = LazyLock::new(|| {
    let mut v: Vec<Catalog> = CATALOG_SOURCES
        .iter()
        .filter_map(|(tag, text)| match parse_catalog(tag, text) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!("{e}");
                None
            }
        })
        .collect();
    // The reference language first, so that Lang(0) is always a complete catalog.
    v.sort_by_key(|c| (c.tag != REFERENCE, c.tag));
    v
});

pub fn catalogs() -> &'static [Catalog] {
    &CATALOGS
}

/// A supported language (an index into the catalogs). The default is the reference language.
/// In the configuration it is written as its tag and read by serde (`i18n.default_language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Lang(usize);

impl TryFrom<String> for Lang {
    type Error = String;
    fn try_from(tag: String) -> Result<Lang, String> {
        Lang::from_tag(&tag).ok_or_else(|| {
            format!(
                "`{tag}` is not one of the supported languages ({})",
                supported_tags().join(", ")
            )
        })
    }
}

impl Lang {
    pub fn from_tag(tag: &str) -> Option<Lang> {
        catalogs()
            .iter()
            .position(|c| c.tag.eq_ignore_ascii_case(tag.trim()))
            .map(Lang)
    }

    pub fn all() -> impl Iterator<Item = Lang> {
        (0..catalogs().len()).map(Lang)
    }

    fn catalog(self) -> Option<&'static Catalog> {
        catalogs().get(self.0)
    }

    pub fn tag(self) -> &'static str {
        self.catalog().map_or(REFERENCE, |c| c.tag)
    }

    /// The language's name in itself (for the picker).
    pub fn name(self) -> &'static str {
        self.catalog().map_or("English", |c| c.name.as_str())
    }

    pub fn dir(self) -> &'static str {
        if self.catalog().is_some_and(|c| c.rtl) {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The text for `key` in this language (the reference language's if missing, empty if
    /// even that lacks it: a programming error the catalog tests catch, never a crash).
    pub fn t(self, key: &str) -> &'static str {
        self.catalog()
            .and_then(|c| c.messages.get(key))
            .or_else(|| catalogs().first().and_then(|c| c.messages.get(key)))
            .map_or("", String::as_str)
    }

    /// [`Lang::t`] with `{name}` placeholders filled in.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args)
    }

    /// The plural message `key` for the count `n` (written where the placeholder named
    /// `count` stands, e.g. `{minutes}`): the text of the
    /// CLDR category `n` falls in, in this language (`<key>.one`, `<key>.few`, …; `other`
    /// when the catalog lacks that category, a gap the catalog checks catch), with the count
    /// and `args` filled in.
    pub fn tn(self, key: &str, count: &str, n: u64, args: &[(&str, &str)]) -> String {
        let exact = format!("{key}.{}", plural::category(self.0, n));
        let text = match self.catalog().and_then(|c| c.messages.get(&exact)) {
            Some(t) => t.as_str(),
            None => self.t(&format!("{key}.other")),
        };
        fill(&fill(text, &[(count, &n.to_string())]), args)
    }
}

fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut s = text.to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

pub fn is_supported(tag: &str) -> bool {
    Lang::from_tag(tag).is_some()
}

pub fn supported_tags() -> Vec<&'static str> {
    catalogs().iter().map(|c| c.tag).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_catalog_comes_first_and_has_the_title() {
        assert_eq!(Lang::default().tag(), REFERENCE);
        assert_eq!(
            Lang::default().t("login.heading"),
            "Enter your Interaction Center credentials"
        );
        assert_eq!(
            Lang::default().tn("error.too_many_attempts", "minutes", 5, &[]),
            "Too many unsuccessful logon attempts. Try again in 5 minutes."
        );
    }
}
