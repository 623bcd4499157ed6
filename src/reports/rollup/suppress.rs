//! Small-cell suppression of the roll-up (no I/O). Counts from 1 to 4 are shown as
//! 「<5」 (primary suppression); then further cells are hidden (shown as 「*」,
//! secondary suppression) until no hidden small count can be worked out from the
//! figures that are shown: no line (a row or a column with its total) keeps a single
//! hidden cell, and an attacker who knows the rule (a small count is 1–4, a cell hidden
//! to protect it is at least 5) cannot narrow a small count down to one value.
//!
//! The table is given as cells and lines: each line says that its member cells add up
//! to its total cell. A cell may be in several lines (a tenant's count of consultations
//! is the total of its row in the table by method and in the table by kind), so that
//! tables that share totals are protected together.

use serde::Serialize;

/// The first count that is shown as it is.
pub const LIMIT: i64 = 5;

/// Upper bound of a hidden cell the attacker cannot otherwise bound.
const BIG: i64 = i64::MAX / 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Shown as it is (0 or at least 5, and not needed to protect another cell).
    Shown,
    /// A count from 1 to 4: shown as 「<5」.
    Small,
    /// Hidden so that a small count cannot be worked out: shown as 「*」.
    Hidden,
}

/// `members` add up to `total` (indexes into the cells).
#[derive(Debug, Clone)]
pub struct Line {
    pub members: Vec<usize>,
    pub total: usize,
}

impl Line {
    fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        self.members
            .iter()
            .copied()
            .chain(std::iter::once(self.total))
    }

    fn has(&self, c: usize) -> bool {
        self.total == c || self.members.contains(&c)
    }
}

/// The marks of `values` (non-negative counts) under the lines.
///
/// A small count is protected when another table, consistent with everything shown and
/// with the rule, gives it another value: `protected` looks for such a table that
/// differs by at most one in each hidden cell (a certificate that no attacker can
/// pin the count down). Until every small count has one, further cells are hidden.
pub fn suppress(values: &[i64], lines: &[Line]) -> Vec<Mark> {
    let mut marks: Vec<Mark> = values
        .iter()
        .map(|&v| {
            if (1..LIMIT).contains(&v) {
                Mark::Small
            } else {
                Mark::Shown
            }
        })
        .collect();
    // Hiding more never spoils a certificate already found.
    let mut certified = vec![false; values.len()];
    loop {
        let mut changed = false;
        for l in lines {
            let hidden = l.cells().filter(|&c| marks[c] != Mark::Shown).count();
            if hidden == 1 {
                if let Some(c) = complement(values, &marks, l) {
                    marks[c] = Mark::Hidden;
                    changed = true;
                }
            }
        }
        if changed {
            continue;
        }
        let open: Option<usize> = (0..values.len()).find(|&i| {
            marks[i] == Mark::Small && !certified[i] && {
                certified[i] = protected(values, &marks, lines, i);
                !certified[i]
            }
        });
        let Some(p) = open else {
            break;
        };
        // Widen its range: hide the smallest shown cell of a line through it; failing
        // that, of a line through any hidden cell.
        let through = |cells: &dyn Fn(&Line) -> bool| {
            lines
                .iter()
                .filter(|l| cells(l))
                .filter_map(|l| complement(values, &marks, l))
                .min_by_key(|&c| (values[c], c))
        };
        let Some(c) = through(&|l: &Line| l.has(p))
            .or_else(|| through(&|l: &Line| l.cells().any(|c| marks[c] != Mark::Shown)))
        else {
            break;
        };
        marks[c] = Mark::Hidden;
    }
    marks
}

/// Whether the small count `p` could be one more or one less, in a table that agrees
/// with every shown cell and line, with each hidden cell within one of its value and
/// within the rule (a small count 1–4, a hidden one at least `LIMIT`).
pub fn protected(values: &[i64], marks: &[Mark], lines: &[Line], p: usize) -> bool {
    let base: Vec<(i64, i64)> = values
        .iter()
        .zip(marks)
        .map(|(&v, m)| match m {
            Mark::Shown => (v, v),
            Mark::Small => ((v - 1).max(1), (v + 1).min(LIMIT - 1)),
            Mark::Hidden => ((v - 1).max(LIMIT), v + 1),
        })
        .collect();
    // Lines whose cells are all shown hold for any such table: leave them out.
    let open: Vec<Line> = lines
        .iter()
        .filter(|l| l.cells().any(|c| marks[c] != Mark::Shown))
        .cloned()
        .collect();
    let v = values[p];
    [v + 1, v - 1]
        .into_iter()
        .filter(|t| (1..LIMIT).contains(t))
        .any(|t| {
            let mut b = base.clone();
            b[p] = (t, t);
            let mut budget = 20_000;
            search(&mut b, &open, &mut budget)
        })
}

/// Depth-first search for whole numbers within the ranges `b` that satisfy every
/// line; gives up (false) when `budget` steps are spent.
fn search(b: &mut [(i64, i64)], lines: &[Line], budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if !narrow(b, lines) {
        return false;
    }
    let Some(open) = (0..b.len())
        .filter(|&c| b[c].0 < b[c].1)
        .min_by_key(|&c| b[c].1 - b[c].0)
    else {
        return lines
            .iter()
            .all(|l| l.members.iter().map(|&m| b[m].0).sum::<i64>() == b[l.total].0);
    };
    for v in b[open].0..=b[open].1 {
        let mut t = b.to_vec();
        t[open] = (v, v);
        if search(&mut t, lines, budget) {
            return true;
        }
    }
    false
}

/// The shown cell of the line with the smallest count of at least `LIMIT`.
fn complement(values: &[i64], marks: &[Mark], l: &Line) -> Option<usize> {
    l.cells()
        .filter(|&c| marks[c] == Mark::Shown && values[c] >= LIMIT)
        .min_by_key(|&c| (values[c], c))
}

/// What an attacker who knows the rule can tell about every cell: its smallest and
/// largest possible value, narrowed through the lines until nothing changes.
pub fn bounds(values: &[i64], marks: &[Mark], lines: &[Line]) -> Vec<(i64, i64)> {
    let mut b: Vec<(i64, i64)> = values
        .iter()
        .zip(marks)
        .map(|(&v, m)| match m {
            Mark::Shown => (v, v),
            Mark::Small => (1, LIMIT - 1),
            Mark::Hidden => (LIMIT, BIG),
        })
        .collect();
    narrow(&mut b, lines);
    b
}

/// Narrows the ranges `b` through the lines; false when they contradict each other.
pub fn narrow(b: &mut [(i64, i64)], lines: &[Line]) -> bool {
    for _ in 0..10_000 {
        let mut changed = false;
        for l in lines {
            let lo_sum: i64 = l
                .members
                .iter()
                .map(|&m| b[m].0)
                .fold(0, i64::saturating_add);
            let hi_sum: i64 = l
                .members
                .iter()
                .map(|&m| b[m].1)
                .fold(0, i64::saturating_add);
            let t = l.total;
            let (tlo, thi) = (b[t].0.max(lo_sum), b[t].1.min(hi_sum));
            if tlo > thi {
                return false;
            }
            if (tlo, thi) != b[t] {
                b[t] = (tlo, thi);
                changed = true;
            }
            for &m in &l.members {
                let others_lo = lo_sum.saturating_sub(b[m].0);
                let others_hi = hi_sum.saturating_sub(b[m].1);
                let lo = b[m].0.max(b[t].0.saturating_sub(others_hi));
                let hi = b[m].1.min(b[t].1.saturating_sub(others_lo));
                if lo > hi {
                    return false;
                }
                if (lo, hi) != b[m] {
                    b[m] = (lo, hi);
                    changed = true;
                }
            }
        }
        if !changed {
            return true;
        }
    }
    true
}

/// How a cell is shown: the count with thousands separators, 「<5」 or 「*」.
pub fn display(value: i64, mark: Mark) -> String {
    match mark {
        Mark::Shown => crate::text::group_digits(value),
        Mark::Small => "<5".into(),
        Mark::Hidden => "*".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `rows` × `cols` counts with row totals, column totals and the grand
    /// total: cells in row order, each row followed by its total, then the total row.
    fn table(counts: &[Vec<i64>]) -> (Vec<i64>, Vec<Line>) {
        let (n, m) = (counts.len(), counts[0].len());
        let at = |r: usize, c: usize| r * (m + 1) + c;
        let mut v = vec![0; (n + 1) * (m + 1)];
        for (r, row) in counts.iter().enumerate() {
            for (c, &x) in row.iter().enumerate() {
                v[at(r, c)] = x;
                v[at(r, m)] += x;
                v[at(n, c)] += x;
                v[at(n, m)] += x;
            }
        }
        let mut lines = vec![];
        for r in 0..=n {
            lines.push(Line {
                members: (0..m).map(|c| at(r, c)).collect(),
                total: at(r, m),
            });
        }
        for c in 0..=m {
            lines.push(Line {
                members: (0..n).map(|r| at(r, c)).collect(),
                total: at(n, c),
            });
        }
        (v, lines)
    }

    /// An exact attacker, independent of `suppress`: can the hidden cells take another
    /// whole-number assignment, consistent with every line and the rule, in which cell
    /// `i` has a value other than its true one? Depth-first search over the hidden cells,
    /// pruned with `narrow` (which only removes impossible values).
    fn other_value_possible(values: &[i64], marks: &[Mark], lines: &[Line], i: usize) -> bool {
        let mut b = bounds(values, marks, lines);
        let cap: i64 = values.iter().sum::<i64>() + LIMIT;
        for x in b.iter_mut() {
            x.1 = x.1.min(cap);
        }
        let mut found = false;
        for v in b[i].0..=b[i].1 {
            if v == values[i] {
                continue;
            }
            let mut t = b.clone();
            t[i] = (v, v);
            if feasible(&mut t, lines) {
                found = true;
                break;
            }
        }
        found
    }

    fn feasible(b: &mut [(i64, i64)], lines: &[Line]) -> bool {
        if !narrow(b, lines) {
            return false;
        }
        let Some(open) = (0..b.len())
            .filter(|&c| b[c].0 < b[c].1)
            .min_by_key(|&c| b[c].1 - b[c].0)
        else {
            // Every cell has one value: check the lines exactly.
            return lines
                .iter()
                .all(|l| l.members.iter().map(|&m| b[m].0).sum::<i64>() == b[l.total].0);
        };
        for v in b[open].0..=b[open].1 {
            let mut t = b.to_vec();
            t[open] = (v, v);
            if feasible(&mut t, lines) {
                return true;
            }
        }
        false
    }

    fn recoverable(values: &[i64], lines: &[Line]) -> Vec<usize> {
        let marks = suppress(values, lines);
        (0..values.len())
            .filter(|&i| marks[i] == Mark::Small)
            .filter(|&i| !other_value_possible(values, &marks, lines, i))
            .collect()
    }

    #[test]
    fn small_counts_are_shown_as_less_than_five() {
        let (v, l) = table(&[vec![3, 20, 30], vec![10, 40, 50], vec![12, 9, 70]]);
        let m = suppress(&v, &l);
        assert_eq!(m[0], Mark::Small);
        assert_eq!(display(v[0], m[0]), "<5");
        assert_eq!(display(1234, Mark::Shown), "1,234");
        // No line keeps a single hidden cell.
        for line in &l {
            let h = line.cells().filter(|&c| m[c] != Mark::Shown).count();
            assert_ne!(h, 1, "{line:?} {m:?}");
        }
        // Zeros and counts of 5 or more that protect nothing stay shown.
        assert_eq!(m[v.len() - 1], Mark::Shown, "the grand total");
        assert!(recoverable(&v, &l).is_empty());
    }

    #[test]
    fn nothing_small_hides_nothing() {
        let (v, l) = table(&[vec![0, 20], vec![10, 0]]);
        assert!(suppress(&v, &l).iter().all(|m| *m == Mark::Shown));
    }

    #[test]
    fn a_complement_of_five_beside_a_one_is_widened() {
        // Row [1, 5] with total 6: hiding only the 5 would give it away (5 ≤ x, x = 6 − s,
        // s ≥ 1 → x = 5, s = 1).
        let (v, l) = table(&[vec![1, 5, 30], vec![20, 40, 50], vec![12, 9, 70]]);
        assert!(recoverable(&v, &l).is_empty(), "{:?}", suppress(&v, &l));
    }

    #[test]
    fn the_attacker_recovers_a_cell_that_is_not_protected() {
        // Primary suppression alone: the row total gives the cell away.
        let (v, l) = table(&[vec![3, 20], vec![10, 40]]);
        let marks: Vec<Mark> = v
            .iter()
            .map(|&x| {
                if (1..LIMIT).contains(&x) {
                    Mark::Small
                } else {
                    Mark::Shown
                }
            })
            .collect();
        assert!(
            !other_value_possible(&v, &marks, &l, 0),
            "the attacker must find it"
        );
        assert!(recoverable(&v, &l).is_empty());
    }

    /// Many small random tables, with many small counts: the exact attacker recovers no
    /// small count from what is shown.
    #[test]
    fn no_small_count_can_be_recovered_from_the_totals() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut tried = 0;
        for _ in 0..2000 {
            let n = 2 + (next() % 4) as usize;
            let m = 2 + (next() % 3) as usize;
            let counts: Vec<Vec<i64>> = (0..n)
                .map(|_| {
                    (0..m)
                        .map(|_| match next() % 4 {
                            0 => 0,
                            1 => 1 + (next() % 4) as i64,
                            _ => 5 + (next() % 12) as i64,
                        })
                        .collect()
                })
                .collect();
            let (v, l) = table(&counts);
            if v.iter().any(|&x| (1..LIMIT).contains(&x)) {
                tried += 1;
            }
            assert!(
                recoverable(&v, &l).is_empty(),
                "{counts:?}: {:?}",
                suppress(&v, &l)
            );
        }
        assert!(tried > 1500, "{tried}");
    }

    /// Two tables that share their row totals are protected together.
    #[test]
    fn shared_totals_are_protected_together() {
        // Cells: row A: a1 a2 | b1 b2 | total; row B likewise; then the total row.
        let v = vec![
            2, 30, 10, 22, 32, // tenant 1
            40, 50, 45, 45, 90, // tenant 2
            42, 80, 55, 67, 122, // all
        ];
        let lines = vec![
            Line {
                members: vec![0, 1],
                total: 4,
            },
            Line {
                members: vec![2, 3],
                total: 4,
            },
            Line {
                members: vec![5, 6],
                total: 9,
            },
            Line {
                members: vec![7, 8],
                total: 9,
            },
            Line {
                members: vec![10, 11],
                total: 14,
            },
            Line {
                members: vec![12, 13],
                total: 14,
            },
            Line {
                members: vec![0, 5],
                total: 10,
            },
            Line {
                members: vec![1, 6],
                total: 11,
            },
            Line {
                members: vec![2, 7],
                total: 12,
            },
            Line {
                members: vec![3, 8],
                total: 13,
            },
            Line {
                members: vec![4, 9],
                total: 14,
            },
        ];
        assert!(
            recoverable(&v, &lines).is_empty(),
            "{:?}",
            suppress(&v, &lines)
        );
    }
}
