//! Genesys Cloud region presets (from shared/genesys-regions.md).
//!
//! Owns the table of regions and what follows from one: the ACS, the single logout URL and
//! the default relying party identifier, and whether PureConnect SSO is supported there.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Supported,
    NotSupported,
    NotListed,
}

#[derive(Debug, Clone, Copy)]
pub struct Region {
    pub id: &'static str,
    pub name: &'static str,
    pub domain: &'static str,
    pub support: Support,
}

use Support::*;

#[rustfmt::skip]
pub const REGIONS: &[Region] = &[
    Region { id: "us-east-1", name: "US East (N. Virginia)", domain: "mypurecloud.com", support: Supported },
    Region { id: "us-east-2", name: "US East 2 (Ohio)", domain: "use2.us-gov-pure.cloud", support: NotSupported },
    Region { id: "us-west-2", name: "US West (Oregon)", domain: "usw2.pure.cloud", support: Supported },
    Region { id: "ca-central-1", name: "Canada (Canada Central)", domain: "cac1.pure.cloud", support: Supported },
    Region { id: "sa-east-1", name: "South America (São Paulo)", domain: "sae1.pure.cloud", support: NotSupported },
    Region { id: "eu-central-1", name: "EU (Frankfurt)", domain: "mypurecloud.de", support: Supported },
    Region { id: "eu-west-1", name: "EU (Ireland)", domain: "mypurecloud.ie", support: Supported },
    Region { id: "eu-west-2", name: "EU (London)", domain: "euw2.pure.cloud", support: Supported },
    Region { id: "eu-central-2", name: "EMEA (Zurich)", domain: "euc2.pure.cloud", support: NotListed },
    Region { id: "me-central-1", name: "EMEA (UAE)", domain: "mec1.pure.cloud", support: NotListed },
    Region { id: "ap-south-1", name: "Asia Pacific (Mumbai)", domain: "aps1.pure.cloud", support: NotListed },
    Region { id: "ap-northeast-2", name: "Asia Pacific (Seoul)", domain: "apne2.pure.cloud", support: Supported },
    Region { id: "ap-southeast-2", name: "Asia Pacific (Sydney)", domain: "mypurecloud.com.au", support: Supported },
    Region { id: "ap-northeast-1", name: "Asia Pacific (Tokyo)", domain: "mypurecloud.jp", support: Supported },
    Region { id: "ap-northeast-3", name: "Asia Pacific (Osaka)", domain: "apne3.pure.cloud", support: NotListed },
];

impl Region {
    pub fn find(id: &str) -> Option<&'static Region> {
        REGIONS
            .iter()
            .find(|r| r.id.eq_ignore_ascii_case(id.trim()))
    }
    /// [`Region::find`], or a message that lists the known regions.
    pub fn lookup(id: &str) -> Result<&'static Region, String> {
        Region::find(id).ok_or_else(|| {
            format!(
                "`{id}` is not a Genesys Cloud region (one of: {})",
                REGIONS.iter().map(|r| r.id).collect::<Vec<_>>().join(", ")
            )
        })
    }
    pub fn acs(&self) -> String {
        format!("https://login.{}/saml", self.domain)
    }
    pub fn slo(&self) -> String {
        format!("https://login.{}/saml/logout", self.domain)
    }
    /// The relying party identifier Genesys Cloud is given by default; also its Issuer.
    pub fn relying_party(&self) -> String {
        self.acs()
    }
    pub fn warning(&self) -> Option<String> {
        match self.support {
            Supported => None,
            NotSupported => Some(format!(
                "Genesys Cloud region {} ({}) does not support PureConnect as an SSO provider",
                self.id, self.name
            )),
            NotListed => Some(format!(
                "Genesys Cloud region {} ({}) is not listed as supporting PureConnect as an SSO provider; check with Genesys before relying on it",
                self.id, self.name
            )),
        }
    }
}
