//! Special equipment (特种设备, `codes.md` §6.5) and gas cylinders (§6.6): the 18-character equipment code, the
//! 20-digit registration code and the cylinder use-registration code. All layouts come from secondary sources;
//! the unconfirmed parts are taken from [`CnRules`].

use super::{
    CnRules, Parsed, RegLayout, ascii_text, case_folded, check_province, check_year, field, fixed, fixed_text,
    national, number,
};
use crate::code::{CheckStatus, Scheme, Warning};
use crate::{Error, ErrorKind};

const EQUIP: &str = "equipment code";
const REG: &str = "equipment registration code";
const GAS: &str = "gas-cylinder code";

/// Parses an 18-character special-equipment code (设备代码): variety code (4; first character a class head of
/// [`CnRules::equipment_class_heads`]) + approving region (2; `10` = national) + licence sequence (3) + year of
/// manufacture (4) + manufacturing sequence (5: `00001`–`99999`, then a letter replaces the leading digit).
/// Fields: `variety`, `region`, `licence`, `year`, `serial`. No check character; lower-case letters are read
/// as upper case with the warning `case_folded`.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_equipment_code};
/// let (code, _) = parse_equipment_code("215023010201500098", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("year"), Some("2015"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a misplaced character, [`ErrorKind::Length`] for other than 18 characters,
/// [`ErrorKind::Value`] for an unknown class head or sequence `00000`, [`ErrorKind::Date`] for a year outside
/// the configured range.
pub fn parse_equipment_code(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let (d, folded) = fixed::<18>(input, EQUIP, true, |i, b| match i {
        0 | 13 if b.is_ascii_digit() || b.is_ascii_uppercase() => Ok(()),
        0 | 13 => Err("a digit or a letter"),
        _ if b.is_ascii_digit() => Ok(()),
        _ => Err("a digit"),
    })?;
    if !rules.equipment_class_heads.contains(&d[0]) {
        let heads = String::from_utf8_lossy(rules.equipment_class_heads);
        let msg = format!("{EQUIP}: variety class head {} is not one of {heads}", char::from(d[0]));
        return Err(Error::new(ErrorKind::Value, 0, 1, msg));
    }
    check_year(&d[9..13], 9, EQUIP, rules)?;
    if &d[13..18] == b"00000" {
        return Err(Error::new(ErrorKind::Value, 13, 5, format!("{EQUIP}: sequence must be 00001-99999")));
    }
    let fields = vec![
        field("variety", 0, 4),
        field("region", 4, 6),
        field("licence", 6, 9),
        field("year", 9, 13),
        field("serial", 13, 18),
    ];
    let warnings = if folded { vec![case_folded(EQUIP)] } else { Vec::new() };
    Ok((national(Scheme::EquipmentCode, ascii_text(&d), fields, CheckStatus::None), warnings))
}

/// Parses a special-equipment registration code (注册代码): classification (4) + registering authority's
/// GB/T 2260 area code + registration `YYYYMM` + sequence, laid out by [`CnRules::equipment_reg`], or by
/// [`CnRules::equipment_pipe_reg`] when the classification starts with `8` (pressure pipes). Fields:
/// `classification`, `area`, `date`, `serial`. No check character.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_equipment_registration};
/// let (code, _) = parse_equipment_registration("21603101012006010101", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("area"), Some("310101"));
/// assert_eq!(code.field("date"), Some("200601"));
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Charset`] at a misplaced character, [`ErrorKind::Length`] for a length other than the layout's,
/// [`ErrorKind::Value`] for an area whose first two digits are not a GB/T 2260 province,
/// [`ErrorKind::Date`] for a year outside the configured range or a month outside 01–12.
pub fn parse_equipment_registration(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let layout: RegLayout =
        if input.as_bytes().first() == Some(&b'8') { rules.equipment_pipe_reg } else { rules.equipment_reg };
    let area_end = 4 + usize::from(layout.area_len);
    let date_end = area_end + if layout.short_year { 4 } else { 6 };
    let len = layout.len();
    let (text, folded) = fixed_text(input, len, REG, layout.serial_letter_head, |i, b| {
        if b.is_ascii_digit() || (i == date_end && layout.serial_letter_head && b.is_ascii_uppercase()) {
            Ok(())
        } else if i == date_end && layout.serial_letter_head {
            Err("a digit or an upper-case letter")
        } else {
            Err("a digit")
        }
    })?;
    let t = text.as_bytes();
    if layout.area_len >= 2 {
        check_province(t.get(4..6).unwrap_or_default(), 4, REG)?;
    }
    let month_at = if layout.short_year {
        area_end + 2
    } else {
        check_year(t.get(area_end..area_end + 4).unwrap_or_default(), area_end, REG, rules)?;
        area_end + 4
    };
    let month = number(t.get(month_at..month_at + 2).unwrap_or_default());
    if !(1..=12).contains(&month) {
        return Err(Error::new(ErrorKind::Date, month_at, 2, format!("{REG}: month {month:02} is not 01-12")));
    }
    let fields = vec![
        field("classification", 0, 4),
        field("area", 4, area_end),
        field("date", area_end, date_end),
        field("serial", date_end, len),
    ];
    let warnings = if folded { vec![case_folded(REG)] } else { Vec::new() };
    Ok((national(Scheme::EquipmentRegistration, text, fields, CheckStatus::None), warnings))
}

/// Parses a gas-cylinder use-registration code laid out by [`CnRules::gas_cylinder`] (default, TSG R5001-2005 as
/// reported: variety (1) + province (2) + filling/using unit (3; vehicle cylinders `O` + 2-digit city) +
/// sequence (6; then a letter replaces the leading digit)). When the variety digit is omitted (LPG), the
/// implied variety is inserted into the normalised text, with the warning `variety_implied`, so both printings
/// denote one cylinder. Fields: `variety`, `province`, `unit`, `serial`.
///
/// ```
/// use tracecode::code::cn::{CnRules, parse_gas_cylinder};
/// let (code, _) = parse_gas_cylinder("135001000123", &CnRules::DEFAULT)?;
/// assert_eq!(code.field("unit"), Some("001"));
/// let (lpg, warnings) = parse_gas_cylinder("35001000123", &CnRules::DEFAULT)?;
/// assert_eq!(lpg.text, "335001000123");
/// assert_eq!(warnings[0].code, "variety_implied");
/// # Ok::<(), tracecode::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Length`] for a length the layout does not allow, [`ErrorKind::Charset`] at a misplaced
/// character, [`ErrorKind::Value`] for an unknown variety or province.
pub fn parse_gas_cylinder(input: &str, rules: &CnRules) -> Result<Parsed, Error> {
    let l = rules.gas_cylinder;
    let unit_len = usize::from(l.unit_len);
    let full = 3 + unit_len + usize::from(l.serial_len);
    let n = input.len();
    let (has_variety, implied) = match l.implied_variety {
        _ if n == full => (true, None),
        Some(v) if n + 1 == full => (false, Some(v)),
        _ => {
            let short = if l.implied_variety.is_some() {
                format!(" ({} without the variety digit)", full - 1)
            } else {
                String::new()
            };
            let msg = format!("{GAS} needs {full} characters{short}, found {}", input.chars().count());
            let (at, len) = if n < full { (n, 0) } else { (full, n - full) };
            return Err(Error::new(ErrorKind::Length, at, len, msg));
        }
    };
    // Offsets below are in the input; `shift` maps them to the canonical text (which always has the variety).
    let shift = usize::from(!has_variety);
    let variety = if has_variety { input.as_bytes().first().copied().unwrap_or(0) } else { implied.unwrap_or(0) };
    let vehicle = l.vehicle_variety == Some(variety);
    let prov = 1 - shift;
    let unit = prov + 2;
    let serial = unit + unit_len;
    // Letters are admitted where one may stand for some variety; the value checks below say which.
    let (body, folded) = fixed_text(input, n, GAS, true, |i, b| {
        if b.is_ascii_digit() || ((i == unit || i == serial) && b.is_ascii_uppercase()) {
            Ok(())
        } else if i == unit || i == serial {
            Err("a digit or an upper-case letter")
        } else {
            Err("a digit")
        }
    })?;
    if has_variety && !l.varieties.contains(&variety) {
        let list = String::from_utf8_lossy(l.varieties);
        let msg = format!("{GAS}: variety {} is not one of {list}", char::from(variety));
        return Err(Error::new(ErrorKind::Value, 0, 1, msg));
    }
    let b = body.as_bytes();
    if l.check_province {
        check_province(b.get(prov..prov + 2).unwrap_or_default(), prov, GAS)?;
    }
    if vehicle && b.get(unit) != Some(&l.vehicle_unit_letter) {
        let msg = format!("{GAS}: a vehicle cylinder's unit must start with {}", char::from(l.vehicle_unit_letter));
        return Err(Error::new(ErrorKind::Value, unit, 1, msg));
    }
    if !vehicle && b.get(unit).is_some_and(u8::is_ascii_alphabetic) {
        let msg = format!("{GAS}: only a vehicle cylinder's unit starts with a letter");
        return Err(Error::new(ErrorKind::Value, unit, 1, msg));
    }
    let mut warnings = Vec::new();
    if folded {
        warnings.push(case_folded(GAS));
    }
    let text = if has_variety {
        body
    } else {
        warnings.push(Warning::new(
            "variety_implied",
            format!("{GAS}: no variety digit; read as variety {} (LPG)", char::from(variety)),
        ));
        let mut t = String::with_capacity(full);
        t.push(char::from(variety));
        t.push_str(&body);
        t
    };
    let fields = vec![
        field("variety", 0, 1),
        field("province", 1, 3),
        field("unit", 3, 3 + unit_len),
        field("serial", 3 + unit_len, full),
    ];
    Ok((national(Scheme::GasCylinder, text, fields, CheckStatus::None), warnings))
}

/// Cheap pre-filter: exactly 18 ASCII letters or digits (shared with the credit code; see the module docs).
pub fn looks_like_equipment_code(input: &[u8]) -> bool {
    input.len() == 18 && input.iter().all(u8::is_ascii_alphanumeric)
}

/// Cheap pre-filter: 16 to 40 ASCII letters or digits starting with 4 digits (covers configured layouts; the
/// default is 20 characters, shared with the drug code).
pub fn looks_like_equipment_registration(input: &[u8]) -> bool {
    (16..=40).contains(&input.len())
        && input.iter().take(4).all(u8::is_ascii_digit)
        && input.iter().all(u8::is_ascii_alphanumeric)
}

/// Cheap pre-filter: 8 to 16 ASCII letters or digits starting with a digit (the default layout has 11 or 12).
pub fn looks_like_gas_cylinder(input: &[u8]) -> bool {
    (8..=16).contains(&input.len())
        && input.first().is_some_and(u8::is_ascii_digit)
        && input.iter().all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::cn::GasCylinderLayout;
    use proptest::prelude::*;

    const R: CnRules = CnRules::DEFAULT;

    fn eq_err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_equipment_code(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    fn reg_err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_equipment_registration(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    fn gas_err(input: &str) -> (ErrorKind, usize, usize) {
        let e = parse_gas_cylinder(input, &R).unwrap_err();
        (e.kind(), e.offset().unwrap(), e.len().unwrap())
    }

    #[test]
    fn equipment_code_worked_example() {
        let (c, w) = parse_equipment_code("215023010201500098", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::EquipmentCode);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(
            f,
            [("variety", "2150"), ("region", "23"), ("licence", "010"), ("year", "2015"), ("serial", "00098")]
        );
        // Safety accessories (class head F) and a lettered sequence; lower case folded.
        let (c, w) = parse_equipment_code("f22010001202400001", &R).unwrap();
        assert_eq!(c.text, "F22010001202400001");
        assert_eq!(w[0].code, "case_folded");
        assert!(parse_equipment_code("2150230102015A0001", &R).is_ok());
    }

    #[test]
    fn equipment_code_errors() {
        assert_eq!(eq_err("015023010201500098"), (ErrorKind::Value, 0, 1));
        assert_eq!(eq_err("G15023010201500098"), (ErrorKind::Value, 0, 1));
        assert_eq!(eq_err("2A5023010201500098"), (ErrorKind::Charset, 1, 1));
        assert_eq!(eq_err("215023010180000098"), (ErrorKind::Date, 9, 4));
        assert_eq!(eq_err("215023010201500000"), (ErrorKind::Value, 13, 5));
        assert_eq!(eq_err("21502301020150009"), (ErrorKind::Length, 17, 0));
        assert_eq!(eq_err("21502301020150009-"), (ErrorKind::Charset, 17, 1));
        let rules = CnRules::DEFAULT.equipment_class_heads(b"2");
        assert!(parse_equipment_code("215023010201500098", &rules).is_ok());
        assert_eq!(parse_equipment_code("315023010201500098", &rules).unwrap_err().kind(), ErrorKind::Value);
    }

    #[test]
    fn registration_worked_example() {
        let (c, w) = parse_equipment_registration("21603101012006010101", &R).unwrap();
        assert!(w.is_empty());
        assert_eq!(c.scheme, Scheme::EquipmentRegistration);
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("classification", "2160"), ("area", "310101"), ("date", "200601"), ("serial", "0101")]);
        // Pressure pipes: the sequence may start with a letter.
        let (c, _) = parse_equipment_registration("8100310101200601A002", &R).unwrap();
        assert_eq!(c.field("serial"), Some("A002"));
    }

    #[test]
    fn registration_errors() {
        assert_eq!(reg_err("21609901012006010101"), (ErrorKind::Value, 4, 2));
        assert_eq!(reg_err("21603101012006130101"), (ErrorKind::Date, 14, 2));
        assert_eq!(reg_err("21603101011806010101"), (ErrorKind::Date, 10, 4));
        assert_eq!(reg_err("2160310101200601A101"), (ErrorKind::Charset, 16, 1));
        assert_eq!(reg_err("2160310101200601010"), (ErrorKind::Length, 19, 0));
        assert_eq!(reg_err("216031010120060101011"), (ErrorKind::Length, 20, 1));
        assert_eq!(reg_err("X1603101012006010101"), (ErrorKind::Charset, 0, 1));
    }

    #[test]
    fn registration_pipe_layout_configurable() {
        // An 18-character pipe layout (YYMM), as the source's "18 digits" would need.
        let short = RegLayout { short_year: true, ..RegLayout::TWENTY };
        assert_eq!(short.len(), 18);
        let rules = CnRules::DEFAULT.equipment_pipe_reg(short);
        let (c, _) = parse_equipment_registration("810031010106010101", &rules).unwrap();
        assert_eq!(c.field("date"), Some("0601"));
        assert_eq!(parse_equipment_registration("810031010106130101", &rules).unwrap_err().offset(), Some(12));
        // The non-pipe layout is unchanged.
        assert!(parse_equipment_registration("21603101012006010101", &rules).is_ok());
    }

    #[test]
    fn gas_cylinder() {
        let (c, w) = parse_gas_cylinder("135001000123", &R).unwrap();
        assert!(w.is_empty());
        let f: Vec<_> = c.field_values().collect();
        assert_eq!(f, [("variety", "1"), ("province", "35"), ("unit", "001"), ("serial", "000123")]);
        // Vehicle cylinders: unit = O + city.
        let (c, _) = parse_gas_cylinder("535O01A00000", &R).unwrap();
        assert_eq!(c.field("unit"), Some("O01"));
        let (c, w) = parse_gas_cylinder("535o01A00000", &R).unwrap();
        assert_eq!(c.text, "535O01A00000");
        assert_eq!(w[0].code, "case_folded");
        // LPG without variety: normalised with the variety, equal to the full printing.
        let (short, w) = parse_gas_cylinder("35001000123", &R).unwrap();
        assert_eq!(w[0].code, "variety_implied");
        assert_eq!(short, parse_gas_cylinder("335001000123", &R).unwrap().0);
    }

    #[test]
    fn gas_cylinder_errors() {
        assert_eq!(gas_err("735001000123"), (ErrorKind::Value, 0, 1));
        assert_eq!(gas_err("199001000123"), (ErrorKind::Value, 1, 2));
        assert_eq!(gas_err("135O01000123"), (ErrorKind::Value, 3, 1));
        assert_eq!(gas_err("535001000123"), (ErrorKind::Value, 3, 1));
        assert_eq!(gas_err("1350010001"), (ErrorKind::Length, 10, 0));
        assert_eq!(gas_err("1350010001234"), (ErrorKind::Length, 12, 1));
        assert_eq!(gas_err("13500100012-"), (ErrorKind::Charset, 11, 1));
        // Without the variety, offsets are still in the input.
        assert_eq!(gas_err("99001000123"), (ErrorKind::Value, 0, 2));
        let strict =
            CnRules::DEFAULT.gas_cylinder(GasCylinderLayout { implied_variety: None, ..GasCylinderLayout::DEFAULT });
        assert_eq!(parse_gas_cylinder("35001000123", &strict).unwrap_err().kind(), ErrorKind::Length);
    }

    #[test]
    fn pre_filters() {
        assert!(looks_like_equipment_code(b"215023010201500098"));
        assert!(!looks_like_equipment_code(b"21502301020150009"));
        assert!(looks_like_equipment_registration(b"21603101012006010101"));
        assert!(!looks_like_equipment_registration(b"2A603101012006010101"));
        assert!(looks_like_gas_cylinder(b"135001000123"));
        assert!(!looks_like_gas_cylinder(b"O35001000123"));
    }

    proptest! {
        #[test]
        fn equipment_code_round_trip(head in "[1-9F]", var in "[0-9]{3}", reg in "[0-9]{5}", y in 1900u32..2100,
                                     lead in "[0-9A-Z]", seq in "[0-9]{3}[1-9]") {
            let s = format!("{head}{var}{reg}{y}{lead}{seq}");
            let (c, _) = parse_equipment_code(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_equipment_code(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn registration_round_trip(cls in "[1-79][0-9]{3}", prov in proptest::sample::select(super::super::PROVINCES.to_vec()),
                                   area in "[0-9]{4}", y in 1900u32..2100, m in 1u32..13, seq in "[0-9]{4}") {
            let s = format!("{cls}{prov}{area}{y}{m:02}{seq}");
            let (c, _) = parse_equipment_registration(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_equipment_registration(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn pipe_registration_round_trip(cls in "8[1-3]00", prov in proptest::sample::select(super::super::PROVINCES.to_vec()),
                                        area in "[0-9]{4}", y in 1900u32..2100, m in 1u32..13, seq in "[0-9A-Z][0-9]{3}") {
            let s = format!("{cls}{prov}{area}{y}{m:02}{seq}");
            let (c, _) = parse_equipment_registration(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(c.field("serial"), Some(seq.as_str()));
            prop_assert_eq!(parse_equipment_registration(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn gas_round_trip(var in "[12346]", prov in proptest::sample::select(super::super::PROVINCES.to_vec()),
                          unit in "[0-9]{3}", seq in "[0-9A-Z][0-9]{5}") {
            let s = format!("{var}{prov}{unit}{seq}");
            let (c, _) = parse_gas_cylinder(&s, &R).unwrap();
            prop_assert_eq!(&c.text, &s);
            prop_assert_eq!(parse_gas_cylinder(&c.text, &R).unwrap().0, c);
        }

        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let _ = parse_equipment_code(&s, &R);
            let _ = parse_equipment_registration(&s, &R);
            let _ = parse_gas_cylinder(&s, &R);
        }
    }
}
