//! Temperature: how far a walk's draws lean towards the most frequent
//! follower. Each follower's weight becomes its count raised to `1 / T`:
//! 1 is the chain as learned, towards 0 the most frequent follower alone
//! (0 itself: always the most frequent, ties broken by the seed), above 1
//! flatter.

use crate::bit_set::BitSet;
use crate::chain::Chain;
use crate::error::ChainError;
use crate::rng::Rng;

/// A walk's temperature, with the tempered weights of the states it has
/// drawn from, made on first use: a long walk on a large chain draws from
/// the same frequent states again and again.
#[derive(Clone, Debug)]
pub(crate) struct Temperature {
    /// `1 / T`, or `None` for `T = 0`, where the most frequent followers
    /// weigh 1 each and the rest nothing.
    exponent: Option<f64>,
    /// For each follower in the chain's table, the running total of the
    /// tempered weights over its state's followers.
    cumulative: Vec<f64>,
    /// The states whose stretch of `cumulative` is made.
    made: BitSet,
}

impl Temperature {
    /// Temperature `temperature`, for walks through `chain`; an error
    /// unless it is a number of at least 0.
    pub(crate) fn new(chain: &Chain, temperature: f64) -> Result<Self, ChainError> {
        if !(temperature >= 0.0 && temperature.is_finite()) {
            return Err(ChainError::BadTemperature);
        }
        Ok(Temperature {
            exponent: (temperature > 0.0).then(|| 1.0 / temperature),
            cumulative: vec![0.0; chain.distinct_transition_count()],
            made: BitSet::new(chain.state_count() as usize),
        })
    }

    /// A follower of `state` by tempered weight, among all; `None` at a
    /// dead end.
    pub(crate) fn draw(&mut self, chain: &Chain, state: u32, rng: &mut Rng) -> Option<u32> {
        let range = chain.follower_range(state);
        if range.is_empty() {
            return None;
        }
        if !self.made.contains(state as usize) {
            let counts: Vec<u32> = chain.followers(state).map(|(_, count)| count).collect();
            let most = counts.iter().copied().max().unwrap_or(1);
            let mut running = 0.0;
            for (slot, count) in self.cumulative[range.clone()].iter_mut().zip(counts) {
                running += weight(self.exponent, count, most);
                *slot = running;
            }
            self.made.insert(state as usize);
        }
        let stretch = &self.cumulative[range.clone()];
        let total = *stretch.last()?;
        let draw = unit(rng) * total;
        // The first follower whose running total passes the draw: one of
        // weight above 0, since the totals rise only at those.
        let at = stretch.partition_point(|&running| running <= draw);
        Some(chain.follower_at(range.start + at.min(stretch.len() - 1)))
    }

    /// A follower among `candidates` (each with its count), by tempered
    /// weight; where every tempered weight is too small to count, one of
    /// the most frequent.
    pub(crate) fn draw_among(&self, candidates: &[(u32, u32)], rng: &mut Rng) -> Option<u32> {
        let most = candidates.iter().map(|&(_, count)| count).max()?;
        let weights: Vec<f64> = (candidates.iter())
            .map(|&(_, count)| weight(self.exponent, count, most))
            .collect();
        let total: f64 = weights.iter().sum();
        if total > 0.0 && total.is_finite() {
            let mut draw = unit(rng) * total;
            for (&(next, _), weight) in candidates.iter().zip(&weights) {
                if draw < *weight {
                    return Some(next);
                }
                draw -= weight;
            }
        }
        let ties: Vec<u32> = (candidates.iter())
            .filter(|&&(_, count)| count == most)
            .map(|&(next, _)| next)
            .collect();
        let pick = match ties.len() {
            1 => 0,
            count => rng.below(count as u64) as usize,
        };
        ties.get(pick).copied()
    }
}

/// A follower's tempered weight, from its count and the most of its
/// state's: `(count / most)^exponent`, or at temperature 0 (no exponent) 1
/// for the most frequent and 0 for the rest.
fn weight(exponent: Option<f64>, count: u32, most: u32) -> f64 {
    match exponent {
        Some(exponent) => (f64::from(count) / f64::from(most)).powf(exponent),
        None => f64::from(u8::from(count == most)),
    }
}

/// A random number in `[0, 1)`, from the top 53 bits of one draw.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
