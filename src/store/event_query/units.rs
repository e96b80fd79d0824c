//! Unit conversion for the unit-suffixed query parameters (`GE_value_CEL`, `LT_quantity_KGM`): a quantity or a
//! sensor value recorded in another unit of the same dimension is converted before comparing.
//!
//! Units are UN/ECE Recommendation 20 common codes (the codes EPCIS `uom` fields use); the factors are the
//! definitions of the units (SI, and the international yard and pound), not measurements. A unit outside this
//! table only compares with itself.

/// `(code, dimension, factor, offset)`: a value `v` in the unit is `v * factor + offset` in the dimension's base
/// unit.
const UNITS: &[(&str, &str, f64, f64)] = &[
    // Mass, base kilogram.
    ("KGM", "mass", 1.0, 0.0),
    ("GRM", "mass", 1e-3, 0.0),
    ("MGM", "mass", 1e-6, 0.0),
    ("MC", "mass", 1e-9, 0.0),
    ("TNE", "mass", 1e3, 0.0),
    ("LBR", "mass", 0.453_592_37, 0.0),
    ("ONZ", "mass", 0.028_349_523_125, 0.0),
    // Length, base metre.
    ("MTR", "length", 1.0, 0.0),
    ("KMT", "length", 1e3, 0.0),
    ("CMT", "length", 1e-2, 0.0),
    ("MMT", "length", 1e-3, 0.0),
    ("INH", "length", 0.0254, 0.0),
    ("FOT", "length", 0.3048, 0.0),
    ("YRD", "length", 0.9144, 0.0),
    // Volume, base cubic metre.
    ("MTQ", "volume", 1.0, 0.0),
    ("LTR", "volume", 1e-3, 0.0),
    ("MLT", "volume", 1e-6, 0.0),
    ("CMQ", "volume", 1e-6, 0.0),
    ("DMQ", "volume", 1e-3, 0.0),
    // Temperature, base kelvin.
    ("KEL", "temperature", 1.0, 0.0),
    ("CEL", "temperature", 1.0, 273.15),
    ("FAH", "temperature", 5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0),
    // Time, base second.
    ("SEC", "time", 1.0, 0.0),
    ("MIN", "time", 60.0, 0.0),
    ("HUR", "time", 3600.0, 0.0),
    ("DAY", "time", 86_400.0, 0.0),
    // Pressure, base pascal.
    ("PAL", "pressure", 1.0, 0.0),
    ("KPA", "pressure", 1e3, 0.0),
    ("BAR", "pressure", 1e5, 0.0),
    ("MBR", "pressure", 1e2, 0.0),
    // Ratio, base one.
    ("P1", "ratio", 0.01, 0.0),
    ("C62", "ratio", 1.0, 0.0),
];

/// `value` in unit `from` expressed in unit `to`; `None` when the units differ and are not both in the table
/// with the same dimension. The same code always converts (to itself).
///
/// ```
/// use tracecode::store::event_query::convert_unit;
/// assert_eq!(convert_unit(1500.0, "GRM", "KGM"), Some(1.5));
/// assert!((convert_unit(212.0, "FAH", "CEL").unwrap() - 100.0).abs() < 1e-9);
/// assert_eq!(convert_unit(1.0, "KGM", "MTR"), None);
/// assert_eq!(convert_unit(7.0, "XYZ", "XYZ"), Some(7.0));
/// ```
pub fn convert(value: f64, from: &str, to: &str) -> Option<f64> {
    if from == to {
        return Some(value);
    }
    let unit = |c: &str| UNITS.iter().find(|u| u.0 == c).copied();
    let (_, df, ff, of) = unit(from)?;
    let (_, dt, ft, ot) = unit(to)?;
    (df == dt).then(|| (value * ff + of - ot) / ft)
}

#[cfg(test)]
mod tests {
    use super::convert;

    /// Converting there and back gives the value again (within rounding), for every pair of one dimension.
    #[test]
    fn conversions_invert() {
        for a in super::UNITS {
            for b in super::UNITS.iter().filter(|b| b.1 == a.1) {
                let there = convert(37.5, a.0, b.0).unwrap();
                let back = convert(there, b.0, a.0).unwrap();
                assert!((back - 37.5).abs() < 1e-9, "{} -> {} -> {}", a.0, b.0, a.0);
            }
        }
        assert_eq!(convert(0.0, "CEL", "KEL"), Some(273.15));
        assert_eq!(convert(1.0, "MTQ", "LTR"), Some(1000.0));
    }
}
