//! From signals to a risk level. Pure: what fired in, a level out.
//!
//! Each signal has a weight; the level is the sum's band:
//!
//! | signal            | weight | fires when                                                |
//! |-------------------|--------|-----------------------------------------------------------|
//! | `new_device`      | 1      | the device (cookie, DeviceId, DEVICE_KEY) was never seen   |
//! | `new_network`     | 1      | the /24 (IPv4) or /48 (IPv6) was never seen                |
//! | `user_failures`   | 1      | ≥ 3 failed passwords for the login name since its last success |
//! | `address_failures`| 1      | ≥ 5 failed sign-ins from the address in its window          |
//! | `new_country`     | 2      | the GeoIP country was never seen                          |
//! | `impossible_travel`| 4     | faster than 900 km/h from the last successful sign-in     |
//! | `block_list`      | 4      | the address is on the operator's block list               |
//!
//! 0 → no risk; 1 → Low; 2–3 → Medium; ≥ 4 → High. "New" signals need history: a user's
//! first sign-in is the baseline, not a risk (the block list and the velocities still count).

use crate::pools::risk::Level;

/// Failed passwords of a login name (since its last success) from which it is a signal.
pub const USER_FAILURES: i64 = 3;
/// Failed sign-ins from one address (in the address limiter's window) from which it is one.
pub const ADDRESS_FAILURES: u32 = 5;
/// Faster than an airliner between two sign-ins is impossible travel.
pub const MAX_KMH: f64 = 900.0;
/// Closer than this is never impossible travel (GeoIP places are rough).
const NEAR_KM: f64 = 300.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    NewDevice,
    NewNetwork,
    UserFailures,
    AddressFailures,
    NewCountry,
    ImpossibleTravel,
    BlockList,
}

impl Signal {
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::NewDevice => "new_device",
            Signal::NewNetwork => "new_network",
            Signal::UserFailures => "user_failures",
            Signal::AddressFailures => "address_failures",
            Signal::NewCountry => "new_country",
            Signal::ImpossibleTravel => "impossible_travel",
            Signal::BlockList => "block_list",
        }
    }

    fn weight(self) -> u32 {
        match self {
            Signal::NewDevice
            | Signal::NewNetwork
            | Signal::UserFailures
            | Signal::AddressFailures => 1,
            Signal::NewCountry => 2,
            Signal::ImpossibleTravel | Signal::BlockList => 4,
        }
    }
}

/// The level of a set of signals; `None` when nothing fired.
pub fn level(signals: &[Signal]) -> Option<Level> {
    match signals.iter().map(|s| s.weight()).sum::<u32>() {
        0 => None,
        1 => Some(Level::Low),
        2 | 3 => Some(Level::Medium),
        _ => Some(Level::High),
    }
}

/// Great-circle distance in km between two (latitude, longitude) points.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Whether going from `from` (at `from_at`) to `to` (at `now`) needs more than `MAX_KMH`.
pub fn impossible_travel(from: (f64, f64), from_at: i64, to: (f64, f64), now: i64) -> bool {
    let km = distance_km(from, to);
    if km < NEAR_KM {
        return false;
    }
    let hours = ((now - from_at).max(1) as f64) / 3600.0;
    km / hours > MAX_KMH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_bands_of_the_weights() {
        assert_eq!(level(&[]), None);
        assert_eq!(level(&[Signal::NewDevice]), Some(Level::Low));
        assert_eq!(
            level(&[Signal::NewDevice, Signal::NewNetwork]),
            Some(Level::Medium)
        );
        assert_eq!(level(&[Signal::NewCountry]), Some(Level::Medium));
        assert_eq!(level(&[Signal::BlockList]), Some(Level::High));
        assert_eq!(
            level(&[Signal::NewCountry, Signal::NewDevice, Signal::NewNetwork]),
            Some(Level::High)
        );
    }

    #[test]
    fn london_to_seattle_in_an_hour_is_impossible_in_a_day_it_is_not() {
        let london = (51.5142, -0.0931);
        let milton = (47.2513, -122.3149);
        let d = distance_km(london, milton);
        assert!((7000.0..8000.0).contains(&d), "{d}");
        assert!(impossible_travel(london, 0, milton, 3600));
        assert!(!impossible_travel(london, 0, milton, 86_400));
        assert!(
            !impossible_travel(london, 0, (51.0, 0.0), 1),
            "near places never are"
        );
    }
}
