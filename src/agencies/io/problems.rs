//! The row problems an import collects, capped at `MAX_PROBLEMS`, and their messages.

use super::{Problem, MAX_PROBLEMS};

#[derive(Default)]
pub(super) struct ProblemList {
    pub(super) list: Vec<Problem>,
    more: usize,
}

impl ProblemList {
    pub(super) fn add(
        &mut self,
        row: usize,
        sheet: &str,
        column: &str,
        message: impl Into<String>,
    ) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                row,
                sheet: sheet.to_string(),
                column: column.to_string(),
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// Problems seen so far, kept or only counted.
    pub(super) fn count(&self) -> usize {
        self.list.len() + self.more
    }

    pub(super) fn finish(mut self) -> Vec<Problem> {
        if self.more > 0 {
            self.list.push(Problem {
                row: 0,
                sheet: String::new(),
                column: String::new(),
                message: format!("ほか {} 件の問題があります。", self.more),
            });
        }
        self.list
    }
}

pub(super) const MSG_FORMULA: &str =
    "数式のセルは取り込めません。値に変換してから保存してください。";
pub(super) const MSG_IS_NEW: &str = "「○」「-」または空欄で入力してください。";
pub(super) const MSG_AGE: &str =
    "対象年齢は「0〜18歳」「18歳まで」「6歳以上」のように入力してください。";
pub(super) const MSG_NO_NAME: &str = "関係機関名が空欄のため、この行は取り込みません。";
