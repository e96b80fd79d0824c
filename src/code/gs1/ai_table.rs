// placeholder until the generator runs
use super::ai::AiDef;
/// Table.
pub static AI_TABLE: &[AiDef] = &[];
/// Index.
pub static PREFIX_INDEX: [(u8, u16, u16); 100] = [(0, 0, 0); 100];
