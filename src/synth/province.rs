//! The province: every firm, site and product the production runs draw from ([`Directory`]).

use crate::code::Scheme;
use crate::event::Id;

use super::codes::{gs1_key, id, national_key, uscc, with_check};
use super::consts::AREAS;
use super::num::{u, us};
use super::rng::{GOLDEN, mix64};

/// A non-empty list with infallible modular access.
#[derive(Clone, Debug)]
pub(super) struct Pool<T> {
    head: T,
    tail: Vec<T>,
}

impl<T> Pool<T> {
    fn build(n: usize, mut f: impl FnMut(usize) -> T) -> Self {
        let head = f(0);
        let tail = (1..n).map(f).collect();
        Self { head, tail }
    }

    pub(super) fn len(&self) -> u64 {
        u(self.tail.len()).saturating_add(1)
    }

    /// Element `k mod len`.
    pub(super) fn get(&self, k: u64) -> &T {
        match k % self.len() {
            0 => &self.head,
            i => self.tail.get(us(i - 1)).unwrap_or(&self.head),
        }
    }
}

/// One firm at one site.
#[derive(Clone, Debug)]
pub(super) struct Site {
    pub(super) party: Id,
    pub(super) location: Id,
    /// Read points: `414` GLN + `254` extension.
    pub(super) points: Pool<Id>,
    /// Location GLN (13 digits), for business-transaction identifiers.
    pub(super) gln: Box<str>,
    /// GS1 company prefix (7 digits).
    pub(super) gcp: Box<str>,
    pub(super) operators: Pool<Box<str>>,
    pub(super) devices: Pool<Box<str>>,
}

#[derive(Clone, Copy)]
enum PartyKind {
    /// Unified social credit code with this entity type.
    Uscc(char),
    /// A `417` party GLN (retail chains, logistics providers).
    Gln,
}

/// Builds sites with distinct company prefixes.
struct SiteMaker {
    key: u64,
    next_firm: u64,
}

impl SiteMaker {
    fn site(&mut self, role: &str, party: PartyKind, exts: &[&str]) -> Site {
        let firm = self.next_firm;
        self.next_firm += 1;
        // 69x: China's GS1 prefixes. 37 is coprime to 10^5, so the first 100 000 firms get distinct prefixes.
        let gcp = format!("69{:05}", (self.key % 100_000 + firm * 37) % 100_000);
        let gln = with_check(&format!("{gcp}00001"));
        let party = match party {
            PartyKind::Gln => id(gs1_key(&[("417", &with_check(&format!("{gcp}00000")))])),
            PartyKind::Uscc(entity) => {
                let area = AREAS.get(us(firm % u(AREAS.len()))).copied().unwrap_or("350102");
                let org = mix64(self.key ^ firm.wrapping_mul(GOLDEN));
                id(national_key(Scheme::CreditCode, uscc(entity, area, org)))
            }
        };
        let points = Pool::build(exts.len(), |k| {
            let ext = exts.get(k).copied().unwrap_or("1");
            id(gs1_key(&[("414", &gln), ("254", ext)]))
        });
        let operators = Pool::build(3, |k| format!("{role}{firm:03}-op{}", k + 1).into_boxed_str());
        let devices = Pool::build(2, |k| format!("{role}{firm:03}-dev{}", k + 1).into_boxed_str());
        Site {
            party,
            location: id(gs1_key(&[("414", &gln)])),
            points,
            gln: gln.into_boxed_str(),
            gcp: gcp.into_boxed_str(),
            operators,
            devices,
        }
    }

    fn sites(&mut self, n: usize, role: &str, party: PartyKind, exts: &[&str]) -> Pool<Site> {
        Pool::build(n, |_| self.site(role, party, exts))
    }
}

#[derive(Clone, Debug)]
pub(super) struct Farm {
    pub(super) site: Site,
    /// GTIN-14 of the farm's produce.
    pub(super) produce: Box<str>,
}

#[derive(Clone, Debug)]
pub(super) struct FoodProduct {
    pub(super) gtin: Box<str>,
    pub(super) gcp: Box<str>,
    /// Indicator digit + item reference, as in an SGTIN EPC URI.
    pub(super) item_ref: Box<str>,
    pub(super) processor: u64,
    pub(super) shelf_days: i64,
}

#[derive(Clone, Debug)]
pub(super) struct DrugProduct {
    pub(super) item7: Box<str>,
    pub(super) case7: Box<str>,
    pub(super) maker: u64,
}

#[derive(Clone, Debug)]
pub(super) enum AgriKind {
    /// Registration class + registration number (6) + production type + specification (3): 11 digits.
    Pesticide(Box<str>),
    /// Enterprise id (5 digits).
    VetDrug(Box<str>),
    /// A GS1 trade item (seed or fertiliser): GTIN-14.
    Gtin(Box<str>),
}

#[derive(Clone, Debug)]
pub(super) struct AgriProduct {
    pub(super) kind: AgriKind,
    pub(super) maker: u64,
}

#[derive(Clone, Debug)]
pub(super) struct Station {
    pub(super) site: Site,
    /// Cylinder variety: `1` seamless, `5` vehicle, `6` cryogenic (LPG `3` and others read as Ecodes first).
    pub(super) variety: char,
    /// Filling unit: 3 digits, or `O` + city for vehicle cylinders.
    pub(super) unit: Box<str>,
}

#[derive(Clone, Debug)]
pub(super) struct ExplosiveMaker {
    pub(super) site: Site,
    /// GA 441 manufacturer code, 11–89 (90–99 are left for counterfeit probes).
    pub(super) code: u64,
}

/// The province: every firm, site and product the runs draw from.
#[derive(Clone, Debug)]
pub(super) struct Directory {
    pub(super) farms: Pool<Farm>,
    pub(super) processors: Pool<Site>,
    pub(super) dcs: Pool<Site>,
    pub(super) stores: Pool<Site>,
    pub(super) drug_makers: Pool<Site>,
    pub(super) distributors: Pool<Site>,
    pub(super) pharmacies: Pool<Site>,
    pub(super) agri_makers: Pool<Site>,
    pub(super) dealers: Pool<Site>,
    pub(super) stations: Pool<Station>,
    pub(super) gas_customers: Pool<Site>,
    pub(super) cylinder_inspectors: Pool<Site>,
    pub(super) elevator_makers: Pool<Site>,
    pub(super) maintainers: Pool<Site>,
    pub(super) buildings: Pool<Site>,
    pub(super) institutes: Pool<Site>,
    pub(super) explosive_makers: Pool<ExplosiveMaker>,
    pub(super) depots: Pool<Site>,
    pub(super) blast_sites: Pool<Site>,
    pub(super) food: Pool<FoodProduct>,
    pub(super) drugs: Pool<DrugProduct>,
    pub(super) agri: Pool<AgriProduct>,
}

const ENTERPRISE: PartyKind = PartyKind::Uscc('1');

impl Directory {
    pub(super) fn new(key: u64) -> Self {
        let mut m = SiteMaker { key, next_firm: 0 };
        let farms = Pool::build(24, |_| {
            let site = m.site("farm", PartyKind::Uscc('3'), &["FIELD1", "FIELD2", "PACKHOUSE"]);
            let produce = with_check(&format!("0{}00100", site.gcp)).into_boxed_str();
            Farm { site, produce }
        });
        let processors = m.sites(6, "plant", ENTERPRISE, &["DOCK1", "LINE1", "QA1", "PACK1"]);
        let dcs = m.sites(3, "dc", PartyKind::Gln, &["DOCK1", "DOCK2", "STOCK"]);
        let stores = m.sites(24, "store", PartyKind::Gln, &["BACKROOM", "POS1", "POS2"]);
        let drug_makers = m.sites(4, "pharma", ENTERPRISE, &["LINE1", "QA1", "PACK1", "DOCK1"]);
        let distributors = m.sites(3, "distrib", ENTERPRISE, &["DOCK1", "STOCK"]);
        let pharmacies = m.sites(20, "pharmacy", ENTERPRISE, &["RECEIVING", "COUNTER"]);
        let agri_makers = m.sites(4, "agrimaker", ENTERPRISE, &["LINE1", "QA1", "DOCK1"]);
        let dealers = m.sites(12, "dealer", ENTERPRISE, &["RECEIVING", "COUNTER"]);
        let varieties: [(char, &str); 5] = [('1', "101"), ('5', "O01"), ('6', "205"), ('1', "318"), ('5', "O02")];
        let stations = Pool::build(varieties.len(), |k| {
            let (variety, unit) = varieties.get(k).copied().unwrap_or(('1', "101"));
            Station { site: m.site("station", ENTERPRISE, &["CHECK", "FILL", "YARD"]), variety, unit: unit.into() }
        });
        let gas_customers = m.sites(40, "gasuser", ENTERPRISE, &["YARD"]);
        let cylinder_inspectors = m.sites(2, "cylinspect", ENTERPRISE, &["BENCH1"]);
        let elevator_makers = m.sites(3, "liftmaker", ENTERPRISE, &["LINE1", "DOCK1"]);
        let maintainers = m.sites(4, "liftservice", ENTERPRISE, &["OFFICE"]);
        let buildings = m.sites(60, "building", ENTERPRISE, &["SHAFT", "LOBBY"]);
        let institutes = m.sites(2, "sei", ENTERPRISE, &["LAB"]);
        let explosive_makers = Pool::build(3, |k| ExplosiveMaker {
            site: m.site("blastmaker", ENTERPRISE, &["LINE1", "PACK1", "MAGAZINE"]),
            code: 11 + (key % 79 + u(k) * 17) % 79,
        });
        let depots = m.sites(3, "depot", ENTERPRISE, &["GATE", "MAGAZINE"]);
        let blast_sites = m.sites(8, "quarry", ENTERPRISE, &["STORE", "FACE"]);

        let food = Pool::build(12, |k| {
            let processor = u(k / 2);
            let gcp = processors.get(processor).gcp.clone();
            let item_ref = format!("0{:05}", 10 + k * 7);
            let gtin = with_check(&format!("0{gcp}{}", item_ref.get(1..).unwrap_or_default()));
            let shelf_days = [7, 14, 30, 90, 180, 365].get(k % 6).copied().unwrap_or(30);
            FoodProduct { gtin: gtin.into(), gcp, item_ref: item_ref.into(), processor, shelf_days }
        });
        let code7 = |k: u64| format!("8{:06}", (key % 1_000_000 + k * 7919) % 1_000_000).into_boxed_str();
        let drugs =
            Pool::build(8, |k| DrugProduct { item7: code7(u(2 * k)), case7: code7(u(2 * k + 1)), maker: u(k / 2) });
        // Makers: 0 pesticides (two registered products), 1 veterinary drugs, 2 seeds, 3 fertilisers.
        let agri = Pool::build(5, |k| {
            let reg = (key >> 20) % 1_000_000;
            let maker = u(k.saturating_sub(1));
            let kind = match k {
                0 => AgriKind::Pesticide(format!("1{reg:06}1001").into()),
                1 => AgriKind::Pesticide(format!("2{:06}2015", (reg + 4_321) % 1_000_000).into()),
                2 => AgriKind::VetDrug(format!("{:05}", (key >> 40) % 100_000).into()),
                _ => {
                    let gcp = &agri_makers.get(maker).gcp;
                    AgriKind::Gtin(with_check(&format!("0{gcp}{:05}", 200 + k)).into())
                }
            };
            AgriProduct { kind, maker }
        });
        Self {
            farms,
            processors,
            dcs,
            stores,
            drug_makers,
            distributors,
            pharmacies,
            agri_makers,
            dealers,
            stations,
            gas_customers,
            cylinder_inspectors,
            elevator_makers,
            maintainers,
            buildings,
            institutes,
            explosive_makers,
            depots,
            blast_sites,
            food,
            drugs,
            agri,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::code::{KeyKind, TraceKey};
    use crate::synth::tests::{key_of, synth};

    /// Every key the province's directory holds is valid canonical key text (check digits, fields).
    #[test]
    fn directory_keys_are_valid() {
        let s = synth(10, 3);
        let d = &s.dir;
        let mut sites: Vec<&Site> = Vec::new();
        for pool in [
            &d.processors,
            &d.dcs,
            &d.stores,
            &d.drug_makers,
            &d.distributors,
            &d.pharmacies,
            &d.agri_makers,
            &d.dealers,
            &d.gas_customers,
            &d.cylinder_inspectors,
            &d.elevator_makers,
            &d.maintainers,
            &d.buildings,
            &d.institutes,
            &d.depots,
            &d.blast_sites,
        ] {
            sites.extend((0..pool.len()).map(|k| pool.get(k)));
        }
        sites.extend((0..d.farms.len()).map(|k| &d.farms.get(k).site));
        sites.extend((0..d.stations.len()).map(|k| &d.stations.get(k).site));
        sites.extend((0..d.explosive_makers.len()).map(|k| &d.explosive_makers.get(k).site));
        let mut gcps = HashSet::new();
        for site in sites {
            assert!(gcps.insert(site.gcp.clone()), "company prefixes are distinct");
            let ids = [&site.party, &site.location, site.points.get(0), site.points.get(1)];
            for id in ids {
                let k = key_of(id);
                assert_eq!(&k.to_string().parse::<TraceKey>().unwrap(), k, "{k}");
            }
            assert_eq!(key_of(&site.location).kind(), KeyKind::Location);
            assert_eq!(key_of(&site.party).kind(), KeyKind::Party);
        }
    }
}
