//! What the operator tells adaptive sign-in about addresses: a block list of CIDRs
//! (`risk_block_list`) and a MaxMind-format GeoIP database (`geoip_database`). Both are read
//! once at start-up; a file that cannot be read or parsed stops the start with a clear error,
//! so that nothing can fail later, at a sign-in.

use std::net::IpAddr;
use std::path::Path;

/// Where an address is, as far as the GeoIP database knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The English name.
    pub city: Option<String>,
    pub coordinates: Option<(f64, f64)>,
}

/// One CIDR of the block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net: addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix_eq(u32::from(n) as u128, u32::from(a) as u128, self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                prefix_eq(u128::from(n), u128::from(a), self.prefix, 128)
            }
            (IpAddr::V4(_), IpAddr::V6(a)) => a
                .to_ipv4_mapped()
                .is_some_and(|a| self.contains(IpAddr::V4(a))),
            (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, prefix: u8, bits: u8) -> bool {
    prefix == 0 || (a ^ b) >> (bits - prefix) == 0
}

#[derive(Default)]
pub struct Intel {
    block_list: Vec<Cidr>,
    geoip: Option<maxminddb::Reader<Vec<u8>>>,
}

impl Intel {
    /// Reads the configured files. The error names the file and the line or the reason.
    pub fn load(block_list: Option<&Path>, geoip: Option<&Path>) -> Result<Intel, String> {
        let block_list = match block_list {
            Some(p) => parse_block_list(
                &std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
            )
            .map_err(|e| format!("{}: {e}", p.display()))?,
            None => Vec::new(),
        };
        let geoip = match geoip {
            Some(p) => {
                let reader = maxminddb::Reader::open_readfile(p)
                    .map_err(|e| format!("{}: not a MaxMind database: {e}", p.display()))?;
                // A truncated file can have a sound header: one lookup proves the search tree.
                reader
                    .lookup(IpAddr::from([8, 8, 8, 8]))
                    .and_then(|r| r.decode::<maxminddb::geoip2::City>().map(|_| ()))
                    .map_err(|e| format!("{}: not a MaxMind database: {e}", p.display()))?;
                Some(reader)
            }
            None => None,
        };
        Ok(Intel { block_list, geoip })
    }

    pub fn blocked(&self, ip: IpAddr) -> bool {
        self.block_list.iter().any(|c| c.contains(ip))
    }

    /// The address's place; None without a database or when it has nothing (a lookup error
    /// is logged and treated as "unknown", never an error of the sign-in).
    pub fn locate(&self, ip: IpAddr) -> Option<Place> {
        let reader = self.geoip.as_ref()?;
        let city = match reader
            .lookup(ip)
            .and_then(|r| r.decode::<maxminddb::geoip2::City>())
        {
            Ok(c) => c?,
            Err(e) => {
                tracing::warn!(error = %e, "geoip lookup failed");
                return None;
            }
        };
        let place = Place {
            country: city.country.iso_code.map(String::from),
            city: city.city.names.english.map(String::from),
            coordinates: city.location.latitude.zip(city.location.longitude),
        };
        (place.country.is_some() || place.coordinates.is_some()).then_some(place)
    }
}

/// One CIDR or address a line; `#` starts a comment; blank lines are skipped.
fn parse_block_list(text: &str) -> Result<Vec<Cidr>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(
            Cidr::parse(line)
                .ok_or_else(|| format!("line {}: not an address or CIDR: {line:?}", n + 1))?,
        );
    }
    Ok(out)
}

/// The client network of an address: its /24 (IPv4) or /48 (IPv6), as text.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => network_of(IpAddr::V4(v4)),
            None => {
                let s = a.segments();
                format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_lists_match_cidrs_and_refuse_junk_with_the_line() {
        let list = parse_block_list("# bad\n203.0.113.0/24\n\n2001:db8::/32 # v6\n198.51.100.7\n")
            .unwrap();
        let intel = Intel {
            block_list: list,
            geoip: None,
        };
        assert!(intel.blocked("203.0.113.9".parse().unwrap()));
        assert!(intel.blocked("::ffff:203.0.113.9".parse().unwrap()));
        assert!(!intel.blocked("203.0.114.1".parse().unwrap()));
        assert!(intel.blocked("2001:db8:1::1".parse().unwrap()));
        assert!(intel.blocked("198.51.100.7".parse().unwrap()));
        assert!(!intel.blocked("198.51.100.8".parse().unwrap()));
        let e = parse_block_list("10.0.0.0/8\n10.0.0.0/33\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn networks_are_slash_24_and_slash_48() {
        assert_eq!(network_of("192.0.2.77".parse().unwrap()), "192.0.2.0/24");
        assert_eq!(
            network_of("2001:db8:abcd:12::1".parse().unwrap()),
            "2001:db8:abcd::/48"
        );
        assert_eq!(
            network_of("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.0/24"
        );
    }
}
