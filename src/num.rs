//! Numeric rules shared by expressions and scoring: threshold tolerance and published rounding.

/// Relative tolerance of threshold comparisons (SPEC §5.1).
pub const THRESHOLD_TOLERANCE: f64 = 1e-9;

/// The tolerance around threshold `t`: `1e-9 × max(1, |t|)`.
#[inline]
pub fn tolerance(t: f64) -> f64 {
    THRESHOLD_TOLERANCE * t.abs().max(1.0)
}

/// A tie-break value on the grid of the threshold tolerance (SPEC §12: every numeric
/// comparison treats values within 1e-9 × max(1, |t|) as equal): 10⁻⁹ below 1, ten
/// significant digits above. Snapping keeps the comparison an order (a tolerance compared
/// pairwise would not be transitive) and ties values that differ by arithmetic noise
/// only. Missing and infinite values, and values from 10^25 on, are kept.
pub fn tie_key(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    // 10^k ≤ |v| < 10^(k+1), by comparisons (no log10 per value on a million rows).
    const TENS: [f64; 25] = [
        1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25,
    ];
    let a = v.abs();
    let p = if a <= 1.0 {
        9
    } else {
        9 - TENS.partition_point(|&t| t <= a) as i32
    };
    let snapped = if p >= 0 {
        let m = pow10(p as u32);
        (v * m).round() / m
    } else if p >= -15 {
        let m = pow10((-p) as u32);
        (v / m).round() * m
    } else {
        // From 10^25 on: such tie-break values are compared as they are.
        v
    };
    // (+ 0.0: a tiny negative snaps to −0, which is 0 here as in every comparison.)
    if snapped.is_finite() {
        snapped + 0.0
    } else {
        v
    }
}

/// `x ≥ t` with the threshold tolerance (values within it count as equal).
#[inline]
pub fn ge(x: f64, t: f64) -> bool {
    x >= t - tolerance(t)
}

/// `x > t` with the threshold tolerance.
#[inline]
pub fn gt(x: f64, t: f64) -> bool {
    x > t + tolerance(t)
}

/// `x ≤ t` with the threshold tolerance.
#[inline]
pub fn le(x: f64, t: f64) -> bool {
    x <= t + tolerance(t)
}

/// `x < t` with the threshold tolerance.
#[inline]
pub fn lt(x: f64, t: f64) -> bool {
    x < t - tolerance(t)
}

/// `x == t` with the threshold tolerance.
#[inline]
pub fn eq(x: f64, t: f64) -> bool {
    // Exactly when `x >= t and x <= t` (`|x − t| ≤ tol` rounds differently at the edge:
    // 10.00000001 was `<= 10` and `>= 10` but not `== 10`).
    ge(x, t) && le(x, t)
}

/// The correctly rounded sum of a sequence of doubles, whatever their order (Shewchuk's
/// non-overlapping partials, the algorithm behind Python's `math.fsum`). Written here: the
/// crates in our set sum in order, and a statistic that changes in its last digit when the
/// rows are shuffled breaks "row order does not change results" (an imputed mean shown as
/// 0.18000000000000002 for one order and 0.18 for another).
#[derive(Clone, Debug, Default)]
pub struct ExactSum {
    /// Non-overlapping partial sums, increasing in magnitude; their exact sum is the total.
    partials: Vec<f64>,
    /// Infinities and NaN, summed plainly (there is no exact sum to keep then).
    special: f64,
}

impl ExactSum {
    /// Adds `x` exactly.
    #[inline]
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.special += x;
            return;
        }
        let mut x = x;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            if !hi.is_finite() {
                // Past the largest double: no exact total to keep.
                self.special += hi;
                self.partials.clear();
                return;
            }
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// The sum, correctly rounded (ties to even on the exact total).
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        let p = &self.partials;
        let Some(&top) = p.last() else {
            return 0.0;
        };
        let mut n = p.len() - 1;
        let (mut hi, mut lo) = (top, 0.0);
        // From the largest partial down, until the rest cannot change the rounding.
        while n > 0 {
            let x = hi;
            let y = p[n - 1];
            n -= 1;
            hi = x + y;
            lo = y - (hi - x);
            if lo != 0.0 {
                break;
            }
        }
        // A half-way case decided by the partials below: round in their direction.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            if y == x - hi {
                hi = x;
            }
        }
        hi
    }
}

/// An order-independent sum for values whose largest magnitude and count are known in
/// advance: each value is added as a whole multiple of one unit (its bits below the unit
/// dropped, the same bits in any order) into a 128-bit accumulator, and the total rounded
/// once. The unit is the finest that cannot overflow: 2⁻⁷⁰ or less of the largest value for
/// up to 10⁷ values, so the sum is as accurate as an exact one rounded to a double, and
/// cheaper than [`order_free_sums`] (no pass to find the exponent range).
#[derive(Clone, Copy, Debug)]
pub struct FixedSum {
    unit: i32,
    acc: i128,
}

/// The exponent of `v`'s last mantissa bit: |v| = m × 2^e with m a 53-bit integer.
#[inline]
fn ulp_exponent(v: f64) -> i32 {
    let biased = ((v.to_bits() >> 52) & 0x7ff) as i32;
    biased.max(1) - 1075
}

/// `v` as a signed multiple of 2^unit, bits below it dropped.
#[inline]
fn in_units(v: f64, unit: i32) -> i128 {
    let bits = v.to_bits();
    let biased = (bits >> 52) & 0x7ff;
    let frac = bits & ((1u64 << 52) - 1);
    let m = i128::from(if biased == 0 {
        frac
    } else {
        frac | (1u64 << 52)
    });
    let shift = ulp_exponent(v) - unit;
    let scaled = if shift >= 0 {
        m << shift.min(74)
    } else if shift > -64 {
        m >> -shift
    } else {
        0
    };
    if v < 0.0 { -scaled } else { scaled }
}

impl FixedSum {
    /// A sum of up to `count` finite values of magnitude at most `max_abs`.
    pub fn new(max_abs: f64, count: usize) -> Self {
        let count_bits = (usize::BITS - count.leading_zeros()) as i32;
        let top = if max_abs > 0.0 && max_abs.is_finite() {
            ulp_exponent(max_abs)
        } else {
            -1074
        };
        FixedSum {
            unit: (top + 53 + count_bits - 126).max(-1074),
            acc: 0,
        }
    }

    /// Adds `v` (finite, |v| ≤ the `max_abs` given).
    #[inline]
    pub fn add(&mut self, v: f64) {
        if v != 0.0 {
            self.acc += in_units(v, self.unit);
        }
    }

    /// The sum. (Scaled in steps: `2f64.powi(u)` below u = -1023 is `1 / 2^-u`, which
    /// overflows to 0, as sums of squares of values near 1e-137 need.)
    pub fn value(&self) -> f64 {
        quotient_in_units(self.acc, self.unit, 1)
    }

    /// The sum over `count`, rounded once (see [`order_free_means`]).
    pub fn mean(&self, count: usize) -> f64 {
        quotient_in_units(self.acc, self.unit, count as u64)
    }
}

/// Sums of values in `groups` groups that do not depend on the order of the values, for
/// whole columns. Each value is added as an integer multiple of its group's unit into a
/// 128-bit accumulator and each total is rounded once (`i128 as f64` rounds to nearest, ties
/// to even). When a group's binary exponents span little enough (amounts, shares, counts)
/// the unit is the smallest one among them and the sum is exact, bit for bit what
/// [`ExactSum`] gives; otherwise the unit is the finest the accumulator can hold, 2⁻⁷⁰ or
/// less of the group's largest value for up to 10⁷ values, and each value's bits below it
/// are dropped (the same bits whatever the order). The unit is the group's own, so one
/// cluster's huge member does not coarsen another cluster's sum. Groups with infinities,
/// NaN or extreme exponents take [`ExactSum`]. `items` is called twice and must give the
/// same (group, value) pairs.
pub fn order_free_sums<I: Iterator<Item = (usize, f64)>>(
    groups: usize,
    items: impl Fn() -> I,
) -> Vec<f64> {
    // A total over a count of one is the total rounded once.
    order_free_means(groups, items, &vec![1; groups])
}

/// Means of the groups of [`order_free_sums`] (`counts`: values per group): each total
/// divided by its count and rounded once, so that the mean of 0.1, 0.2 and 0.3 is 0.2 (the
/// rounded total 0.6000000000000001 over 3 is 0.20000000000000004) and an imputed mean ties
/// with a reported value equal to it. (Groups summed by [`ExactSum`] round twice.)
pub fn order_free_means<I: Iterator<Item = (usize, f64)>>(
    groups: usize,
    items: impl Fn() -> I,
    counts: &[usize],
) -> Vec<f64> {
    let (units, acc, exact) = integer_totals(groups, items);
    units
        .iter()
        .zip(acc)
        .zip(counts)
        .enumerate()
        .map(|(g, ((unit, a), &count))| match unit {
            Some(unit) => quotient_in_units(a, *unit, count as u64),
            None => exact[g].value() / count as f64,
        })
        .collect()
}

/// `a · 2^unit / n` rounded once to the nearest double (ties to even): the quotient is taken
/// with at least 64 significant bits and a sticky bit for a non-zero remainder, then
/// converted (one rounding), then scaled by a power of two (exact unless subnormal).
fn quotient_in_units(a: i128, unit: i32, n: u64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    if a == 0 {
        return 0.0;
    }
    let magnitude = a.unsigned_abs();
    // (A sum, n = 1, needs no 128-bit division: the conversion is the one rounding.)
    let (mut x, mut e) = if n == 1 {
        (magnitude as f64, unit)
    } else {
        let k = magnitude.leading_zeros() as i32;
        let shifted = magnitude << k;
        let (q, r) = (shifted / u128::from(n), shifted % u128::from(n));
        ((q | u128::from(r != 0)) as f64, unit - k)
    };
    while e < -1000 {
        x *= 2f64.powi(-1000);
        e += 1000;
    }
    while e > 1000 {
        x *= 2f64.powi(1000);
        e -= 1000;
    }
    let v = x * 2f64.powi(e);
    if a < 0 { -v } else { v }
}

/// The per-group unit (`None`: summed by [`ExactSum`]), the integer totals in those units,
/// and the exact sums, of [`order_free_sums`].
#[allow(clippy::type_complexity)]
fn integer_totals<I: Iterator<Item = (usize, f64)>>(
    groups: usize,
    items: impl Fn() -> I,
) -> (Vec<Option<i32>>, Vec<i128>, Vec<ExactSum>) {
    // Per group: lowest and highest exponent, number of values, and whether one is not finite.
    let mut spans = vec![(i32::MAX, i32::MIN, 0u64, false); groups];
    for (g, v) in items() {
        let s = &mut spans[g];
        if !v.is_finite() {
            s.3 = true;
        } else if v != 0.0 {
            let e = ulp_exponent(v);
            s.0 = s.0.min(e);
            s.1 = s.1.max(e);
        }
        s.2 += 1;
    }
    // m < 2^53 shifted up by (e − unit), times `count` values, must stay below 2^126; and
    // scaling the total back by 2^unit must be exact (no subnormal or infinite result).
    // `None`: the group is summed by `ExactSum`.
    let units: Vec<Option<i32>> = spans
        .iter()
        .map(|&(lo, hi, count, special)| {
            if special {
                return None;
            }
            if hi == i32::MIN {
                return Some(0); // nothing but zeros
            }
            let count_bits = 64 - count.leading_zeros() as i32;
            let unit = lo.max(hi + 53 + count_bits - 126);
            (unit >= -1000 && hi <= 900).then_some(unit)
        })
        .collect();
    let mut exact = if units.iter().any(Option::is_none) {
        vec![ExactSum::default(); groups]
    } else {
        Vec::new()
    };
    let mut acc = vec![0i128; groups];
    for (g, v) in items() {
        match units[g] {
            Some(unit) if v != 0.0 => acc[g] += in_units(v, unit),
            Some(_) => {}
            None => exact[g].add(v),
        }
    }
    (units, acc, exact)
}

/// The mean of `values` from an order-free sum ([`order_free_sums`]), kept within the
/// values' range; `None` when there are none. The same for any order of the values, and
/// equal values give exactly their value (a plain Σx/n of three 0.1s is
/// 0.10000000000000002, which `minmax` (an imputed value above every reported one) would
/// blow up to the whole range).
pub fn mean_of(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| {
            (l.min(v), h.max(v))
        });
    let mean = order_free_means(1, || values.iter().map(|&v| (0, v)), &[values.len()])[0];
    Some(mean.clamp(lo, hi))
}

/// Rounds half away from zero on the decimal value (2.675 → 2.68 at 2 decimals).
///
/// `2.675` is stored as 2.67499999999999982…, and sums of fractions land a few ulps off the
/// decimal they stand for; so a scaled value within 4 ulps of a half counts as the half (the
/// same rule as the shared perf baselines).
pub fn round_half_away(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let m = pow10(decimals);
    let y = x.abs() * m;
    if !y.is_finite() || y >= 9_007_199_254_740_992.0 {
        // From 2^53 on every double is a whole number: nothing left to round.
        return x;
    }
    // k / 10^d with k a whole number below 2^53 and 10^d exact is one correctly rounded
    // division: already the nearest double to the decimal, no text round trip needed.
    round_scaled(x, m) / m
}

/// [`round_half_away`] of a sum whose parts were larger than it (a total of 62.92 less a
/// 50-point penalty): a sum keeps its parts' absolute rounding error, so the noise allowed
/// around a half is that of `magnitude`, the largest part, not of the smaller result
/// (62.914999999999985 − 50 is 12.915 give or take 8 ulps of 12.9, and publishes 12.92).
pub fn round_half_away_sum(x: f64, decimals: u32, magnitude: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let m = pow10(decimals);
    let y = x.abs() * m;
    if !y.is_finite() || y >= 9_007_199_254_740_992.0 {
        return x;
    }
    round_scaled_noise(x, m, magnitude.abs().max(x.abs()) * m) / m
}

/// 10^d as a double (exact up to 10^22; infinite past 10^308).
pub fn pow10(decimals: u32) -> f64 {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    match POW10.get(decimals as usize) {
        Some(&m) => m,
        // Past 10^308 the power is infinite: callers then leave the value as it is.
        None => 10f64.powi(decimals.min(400) as i32),
    }
}

/// The whole number k with `round_half_away(x, d) = k / 10^d`, for `m` = 10^d, x finite
/// and |x|·m below 10^15 (callers check). Writers print k directly (no division, no
/// second rounding); never negative zero.
#[inline]
pub fn round_scaled(x: f64, m: f64) -> f64 {
    round_scaled_noise(x, m, x.abs() * m)
}

/// [`round_scaled`] with the noise allowance of a value of scaled magnitude `noise` (≥ the
/// scaled |x|).
#[inline]
fn round_scaled_noise(x: f64, m: f64, noise: f64) -> f64 {
    let y = x.abs() * m;
    // Below 2^53 truncation is floor for non-negative y (and needs no libm call).
    let f = (y as u64) as f64;
    let window = 4.0 * f64::EPSILON * noise;
    let k = if !(noise >= NOISE_ALLOWED_BELOW && noise.is_finite()) {
        f + if y - f >= 0.5 - window { 1.0 } else { 0.0 }
    } else if (y - f - 0.5).abs() > window {
        // Far from a half (further than the value's own rounding error), the double and its
        // shortest decimal round alike: no need to write the digits out.
        f + if y - f > 0.5 { 1.0 } else { 0.0 }
    } else {
        round_scaled_decimal(x.abs(), m)
    };
    // No negative zero in published numbers ("-0.00").
    if x < 0.0 && k != 0.0 { -k } else { k }
}

/// Scaled values from here on are rounded on the shortest decimal form exactly (SPEC §12):
/// 4 ulps of them are over 1/1024 of the last decimal place, so the noise allowance would
/// start to round real decimals (20000.00000000004 at 10 decimals) up, and from 5.6·10^14
/// every value, whole numbers included.
const NOISE_ALLOWED_BELOW: f64 = (1u64 << 40) as f64;

/// `round_scaled` by the digits of the shortest decimal form of `x` (≥ 0) that reads back
/// as `x`, rounded half away from zero at `m` = 10^d. Only for scaled values of 2^40 and
/// more (rare: scores of 10^8 at 4 decimals), so formatting the number costs nothing in
/// practice. Written by hand: it is the rounding rule itself.
fn round_scaled_decimal(x: f64, m: f64) -> f64 {
    let decimals = m.log10().round() as i32;
    let text = format!("{x:e}"); // "2.000000000000004e4": at most 17 digits
    let (mantissa, exp) = text.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("a whole exponent");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let v: u128 = digits.parse().expect("digits");
    // x · 10^d = v · 10^shift.
    let shift = exp - (digits.len() as i32 - 1) + decimals;
    let k = if shift >= 0 {
        v * 10u128.pow(shift.min(20) as u32)
    } else if -shift > 30 {
        0 // v < 10^17 is under half of 10^-shift
    } else {
        let p = 10u128.pow((-shift) as u32);
        v / p + u128::from(2 * (v % p) >= p)
    };
    k as f64
}

/// [`round_scaled`] as an `i16`, and whether it fits (magnitude below 32,767; never for
/// NaN or infinities). Branch-free, so the compiler can work on several values at once: the
/// whole part comes from adding and removing 1.5·2⁵² (exact below 2⁵¹, and only values
/// below 40,000 are trusted), and the `i16` is the low bits of the same sum.
/// Hand-written because it is the inner loop of publishing every criterion's points.
#[inline]
pub fn round_scaled_narrow(x: f64, m: f64) -> (i16, bool) {
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    let y = x.abs() * m;
    let nearest = (y + SHIFT) - SHIFT;
    let floor = if nearest > y { nearest - 1.0 } else { nearest };
    let up = y - floor >= 0.5 - 4.0 * f64::EPSILON * y;
    let k = floor + if up { 1.0 } else { 0.0 };
    let k = if x < 0.0 { -k } else { k };
    let fits = (y < 40_000.0) & (k.abs() < 32_767.0);
    // Two's complement k in the low bits of the mantissa (|k| < 2^51).
    ((k + SHIFT).to_bits() as i16, fits)
}

/// Hints the CPU to load the cache line holding `p` (no effect on other targets).
#[doc(hidden)]
#[inline(always)]
pub fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults, whatever the address; SSE is baseline on x86_64.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// An unsigned key whose order is `f64::total_cmp`'s: sorting and comparing numbers as
/// integers (percentile runs, ranking keys, tie-breaks).
#[inline]
pub fn ascending_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &[f64]) -> f64 {
        let mut s = ExactSum::default();
        values.iter().for_each(|&v| s.add(v));
        s.value()
    }

    #[test]
    fn order_free_sums_are_correctly_rounded() {
        // Values checked against Python's math.fsum.
        assert_eq!(exact(&[1e16, 1.0, -1e16]), 1.0);
        assert_eq!(exact(&[0.1; 10]), 1.0);
        assert_eq!(
            exact(&[1e100, 1.0, -1e100, 1e-100, 1e50, -1.0, -1e50]),
            1e-100
        );
        // 1 + 2·10⁻¹⁶ lies past the half-way point to the next double: rounded up (a plain
        // left-to-right sum gives 1).
        assert_eq!(exact(&[1.0, 1e-16, 1e-16]), 1.0000000000000002);
        // Half-way exactly, then pushed up by a tiny partial.
        assert_eq!(
            exact(&[9007199254740992.0, 1.0, 2f64.powi(-60)]),
            9007199254740994.0
        );
        assert_eq!(exact(&[]), 0.0);
        assert_eq!(exact(&[-0.5, 0.5]), 0.0);
        assert!(exact(&[1.0, f64::NAN]).is_nan());
        assert_eq!(exact(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert_eq!(exact(&[f64::MAX, f64::MAX]), f64::INFINITY);
    }

    #[test]
    fn tie_keys_snap_arithmetic_noise_to_the_tolerance_grid() {
        assert_eq!(tie_key(0.7 / 10.0 * 100.0), 7.0);
        assert_eq!(tie_key(7.0 / 100.0 * 100.0), 7.0);
        assert_ne!(0.7 / 10.0 * 100.0, 7.0 / 100.0 * 100.0);
        assert_eq!(tie_key(0.1 + 0.2), 0.3);
        assert_eq!(tie_key(-(0.1 + 0.2)), -0.3);
        // Differences beyond the tolerance stay.
        assert!(tie_key(7.00000001) > tie_key(7.0));
        assert!(tie_key(123456.7891) > tie_key(123456.789));
        assert_eq!(tie_key(1e300), 1e300);
        assert!(tie_key(f64::NAN).is_nan());
        assert_eq!(tie_key(0.0), 0.0);
        assert_eq!(tie_key(-1e-12).to_bits(), 0.0f64.to_bits());
    }

    #[test]
    fn a_half_left_by_a_penalty_keeps_the_totals_noise_allowance() {
        // A weighted total of 62.915 came out 1.4e-14 below it; less 50 that is 8 ulps of
        // 12.915, outside 12.915's own allowance but inside 62.915's.
        let total = 62.914999999999985;
        let s = total - 50.0;
        assert_eq!(round_half_away(s, 2), 12.91);
        assert_eq!(round_half_away_sum(s, 2, 62.915), 12.92);
        // Far from a half, and for a sum no larger than its result, nothing changes.
        assert_eq!(round_half_away_sum(12.9149, 2, 62.9), 12.91);
        assert_eq!(
            round_half_away_sum(2.675, 2, 2.675),
            round_half_away(2.675, 2)
        );
        assert_eq!(round_half_away_sum(-12.915, 2, 62.9), -12.92);
    }

    #[test]
    fn a_huge_value_in_one_group_leaves_the_other_groups_exact() {
        // One cluster's member of 10⁵⁰ once set the unit for every cluster: 0.3 + 0.4 summed
        // to 0 and a lone 1 to 0.
        let values = [(0, 1e50), (1, 0.3), (1, 0.4), (2, 1.0), (0, 2.0)];
        let sums = order_free_sums(3, || values.iter().copied());
        assert_eq!(sums[0], exact(&[1e50, 2.0]));
        assert_eq!(sums[1].to_bits(), exact(&[0.3, 0.4]).to_bits());
        assert_eq!(sums[2], 1.0);
        // A NaN or an infinity in one group leaves the others to the 128-bit path.
        let values = [(0, f64::INFINITY), (1, 0.1), (1, 0.2), (2, f64::NAN)];
        let sums = order_free_sums(3, || values.iter().copied());
        assert_eq!(sums[0], f64::INFINITY);
        assert_eq!(sums[1].to_bits(), exact(&[0.1, 0.2]).to_bits());
        assert!(sums[2].is_nan());
    }

    #[test]
    fn column_sums_equal_the_partials_sums() {
        // Narrow exponent ranges (the 128-bit path) and wide ones (the partials), in groups.
        let mut state = 99u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for spread in [0, 3, 10, 30, 80, 300] {
            for _ in 0..40 {
                let n = (next() % 300) as usize + 1;
                let values: Vec<(usize, f64)> = (0..n)
                    .map(|_| {
                        let g = (next() % 3) as usize;
                        let mant = (next() % 2_000_001) as f64 / 1000.0 - 1000.0;
                        let exp = (next() % (spread + 1)) as i32 - (spread as i32) / 2;
                        (g, mant * 2f64.powi(exp))
                    })
                    .collect();
                let fast = order_free_sums(3, || values.iter().copied());
                for (g, &got) in fast.iter().enumerate() {
                    let mut slow = ExactSum::default();
                    values
                        .iter()
                        .filter(|x| x.0 == g)
                        .for_each(|x| slow.add(x.1));
                    let want = slow.value() + 0.0;
                    if spread <= 30 {
                        // Exponents within reach of 128 bits: exact.
                        assert_eq!(got.to_bits(), want.to_bits(), "spread {spread}, group {g}");
                    } else {
                        // Bits below 2⁻⁷⁰ of the group's largest value dropped.
                        let largest = values
                            .iter()
                            .filter(|x| x.0 == g)
                            .map(|x| x.1.abs())
                            .fold(0.0, f64::max);
                        assert!(
                            (got - want).abs() <= largest * 1e-18,
                            "spread {spread}: {got} {want}"
                        );
                    }
                }
                // Any order: the same bits.
                let mut rev = values.clone();
                rev.reverse();
                let back = order_free_sums(3, || rev.iter().copied());
                assert_eq!(
                    fast.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    back.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                );
            }
        }
        assert_eq!(
            order_free_sums(2, || [(0, 0.1), (0, 0.2), (1, 1e16), (1, 1.0), (1, -1e16)]
                .into_iter()),
            [0.30000000000000004, 1.0]
        );
        assert!(order_free_sums(1, || [(0, 1.0), (0, f64::NAN)].into_iter())[0].is_nan());
        assert_eq!(order_free_sums(1, std::iter::empty), [0.0]);
    }

    #[test]
    fn fixed_sums_are_order_free_and_as_close_as_a_rounded_exact_sum() {
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 11
        };
        for spread in [0, 10, 40, 200] {
            let n = 1000;
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    let mant = (next() % 2_000_001) as f64 / 1000.0 - 1000.0;
                    mant * 2f64.powi((next() % (spread + 1)) as i32 - (spread as i32) / 2)
                })
                .collect();
            let max_abs = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            let sum_of = |vals: &[f64]| {
                let mut s = FixedSum::new(max_abs, vals.len());
                vals.iter().for_each(|&x| s.add(x));
                s.value()
            };
            let fwd = sum_of(&v);
            let mut rev = v.clone();
            rev.reverse();
            assert_eq!(fwd.to_bits(), sum_of(&rev).to_bits(), "spread {spread}");
            let mut exact = ExactSum::default();
            v.iter().for_each(|&x| exact.add(x));
            // Within one rounding of the exact total (dropped bits are below 2⁻⁷⁰ of max).
            let e = exact.value();
            assert!(
                (fwd - e).abs() <= e.abs() * 2.3e-16 + max_abs * 1e-18,
                "{fwd} {e}"
            );
        }
        // Equal values and zeros.
        let mut s = FixedSum::new(0.1, 3);
        (0..3).for_each(|_| s.add(0.1));
        assert_eq!(s.value(), 0.30000000000000004);
        // Units below 2^-1023: the sum of squares of deviations near 1e-137 (zscore).
        let mut tiny = FixedSum::new(4e-274, 3);
        for v in [1e-274, 0.0, 1e-274] {
            tiny.add(v);
        }
        assert!(tiny.unit < -1023);
        approx::assert_relative_eq!(tiny.value(), 2e-274, max_relative = 1e-15);
        let mut z = FixedSum::new(0.0, 5);
        (0..5).for_each(|_| z.add(0.0));
        assert_eq!(z.value(), 0.0);
    }

    #[test]
    fn order_free_sums_and_means_do_not_depend_on_order() {
        // Values of mixed magnitude, summed in many orders: the same bits every time.
        let mut v: Vec<f64> = (0..500)
            .map(|i| {
                let x = ((i * 7919) % 1013) as f64;
                (x * 0.37).sin() * 10f64.powi((i % 9) - 4)
            })
            .collect();
        let (sum, mean) = (exact(&v), mean_of(&v).unwrap());
        let mut state = 12345u64;
        for _ in 0..50 {
            for i in (1..v.len()).rev() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                v.swap(i, (state >> 33) as usize % (i + 1));
            }
            assert_eq!(exact(&v).to_bits(), sum.to_bits());
            assert_eq!(mean_of(&v).unwrap().to_bits(), mean.to_bits());
        }
        // Equal values: exactly their value.
        assert_eq!(mean_of(&[0.1; 3]), Some(0.1));
        // Rounded once: Σ = 0.6000000000000000055… exactly, / 3 = 0.2000000000000000018…,
        // nearest double 0.2 (dividing the rounded sum 0.6000000000000001 gives 0.20000000000000004).
        assert_eq!(mean_of(&[0.1, 0.2, 0.3]), Some(0.2));
        assert_eq!(mean_of(&[0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(mean_of(&[0.18; 7]), Some(0.18));
    }

    /// Means rounded once: whole numbers below 2⁴⁰ (any sign), whose f64 sum is exact, give
    /// one division of it in any order; sums past 2⁵³, where dividing the rounded total can
    /// land an ulp off, are checked in exact integers.
    #[test]
    fn means_are_rounded_once() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let n = (next() % 40 + 1) as usize;
            let v: Vec<f64> = (0..n)
                .map(|_| (next() % (1 << 40)) as f64 - (1u64 << 39) as f64)
                .collect();
            let sum: i64 = v.iter().map(|&x| x as i64).sum();
            let want = sum as f64 / n as f64;
            let (lo, hi) = v
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| {
                    (l.min(x), h.max(x))
                });
            assert_eq!(mean_of(&v), Some(want.clamp(lo, hi)), "{v:?}");
            let mut f = FixedSum::new(lo.abs().max(hi.abs()), n);
            v.iter().for_each(|&x| f.add(x));
            assert_eq!(f.mean(n), want, "{v:?}");
            let means = order_free_means(2, || v.iter().map(|&x| (0, x)), &[n, 0]);
            assert_eq!(means[0], want);
            assert!(means[1].is_nan());
        }
        // Sums past 2⁵³ (values up to 2⁵², two to eight of them), where dividing the rounded
        // total can land a whole ulp off: the mean must be within half an ulp of S / n,
        // checked in exact integers (m = mant · 2^e: |mant · 2^e · n − S| ≤ 2^(e−1) · n).
        for _ in 0..2000 {
            let n = (next() % 7 + 2) as usize;
            let v: Vec<f64> = (0..n).map(|_| (next() >> 12) as f64).collect();
            let exact: i128 = v.iter().map(|&x| x as i128).sum();
            let m = mean_of(&v).unwrap();
            let e = ulp_exponent(m);
            let mant = (m / 2f64.powi(e)) as i128;
            let (diff, bound) = if e >= 0 {
                ((mant << e) * n as i128 - exact, (1i128 << e) * n as i128)
            } else {
                (mant * n as i128 - (exact << -e), n as i128)
            };
            assert!(
                2 * diff.abs() <= bound,
                "{v:?}: {m} is not S/n = {exact}/{n} rounded"
            );
        }
        // 1/3 and 2/3 of a tiny unit, and a mean that needs the sticky bit: (2⁵³ + 1) / 2
        // rounds to 2⁵² (ties to even below it), (2⁵³ + 3) / 2 up to 2⁵² + 2.
        assert_eq!(quotient_in_units(1, -1074, 3), 0.0);
        assert_eq!(quotient_in_units((1 << 53) + 1, 0, 2), 4503599627370496.0);
        assert_eq!(quotient_in_units((1 << 53) + 3, 0, 2), 4503599627370498.0);
        assert_eq!(quotient_in_units(-6, -1, 4), -0.75);
    }

    #[test]
    fn narrow_scaled_rounding_equals_the_general_one_where_it_fits() {
        let m = 100.0;
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let (mut fit, mut out) = (0, 0);
        for _ in 0..400_000 {
            let r = next();
            // Whole hundredths, halves, values a few ulps off them, and plain doubles.
            let base = (r % 8_000_000) as f64 / 100.0 - 40_000.0;
            let x = match r >> 62 {
                0 => base,
                1 => base + 0.005,
                2 => f64::from_bits((base + 0.005).to_bits().wrapping_add(r >> 60 & 3)),
                _ => f64::from_bits(r >> 2) % 1e6,
            };
            let k = round_scaled(x, m);
            let (narrow, fits) = round_scaled_narrow(x, m);
            assert_eq!(fits, k.abs() < 32_767.0, "{x}");
            if fits {
                assert_eq!(narrow, k as i16, "{x}");
                fit += 1;
            } else {
                out += 1;
            }
        }
        assert!(fit > 100_000 && out > 100_000, "{fit} {out}");
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            327.67,
            -327.67,
        ] {
            assert!(!round_scaled_narrow(x, m).1, "{x}");
        }
        assert_eq!(round_scaled_narrow(327.66, m), (32_766, true));
        assert_eq!(round_scaled_narrow(-327.665, m), (-32_767, false));
        assert_eq!(round_scaled_narrow(-0.004, m), (0, true));
    }

    #[test]
    fn rounding_is_half_away_from_zero_on_decimal_text() {
        assert_eq!(round_half_away(2.675, 2), 2.68);
        assert_eq!(round_half_away(-2.675, 2), -2.68);
        assert_eq!(round_half_away(1.005, 2), 1.01);
        assert_eq!(round_half_away(0.125, 2), 0.13);
        assert_eq!(round_half_away(2.5, 0), 3.0);
        assert_eq!(round_half_away(-2.5, 0), -3.0);
        assert_eq!(round_half_away(65.21, 2), 65.21);
        assert_eq!(round_half_away(1.23449999, 2), 1.23);
        assert_eq!(round_half_away(9.995, 2), 10.0);
        // 5.375 reached through arithmetic that lands a few ulps below it
        assert_eq!(round_half_away(5.374999999999999, 2), 5.38);
        assert!(round_half_away(-0.0049999, 2).is_sign_positive());
        // From 2^40 on the shortest decimal form is rounded exactly: whole numbers stay
        // whole (4 ulps of 6·10^14 are more than half a unit), a 4 past the last place
        // rounds down and a 5 up.
        assert_eq!(round_half_away(60000.0, 10), 60000.0);
        assert_eq!(round_scaled(60000.0, 1e10), 600_000_000_000_000.0);
        assert_eq!(round_scaled(56000.0, 1e10), 560_000_000_000_000.0);
        assert_eq!(round_scaled(-56000.0, 1e10), -560_000_000_000_000.0);
        assert_eq!(round_scaled(20000.00000000004, 1e10), 200_000_000_000_000.0);
        assert_eq!(round_scaled(20000.00000000005, 1e10), 200_000_000_000_001.0);
        assert_eq!(round_half_away(123_456_789.123_45, 4), 123_456_789.123_5);
        assert_eq!(round_half_away(123_456_789.123_44, 4), 123_456_789.123_4);
        // Past 2^53 every double is whole.
        assert_eq!(round_half_away(1_000_000_000_000_000.5, 0), 1e15 + 1.0);
        assert_eq!(round_half_away(-1_000_000_000_000_000.5, 0), -1e15 - 1.0);
        assert_eq!(round_half_away(1e15 + 0.25, 0), 1e15);
        assert_eq!(
            round_half_away(4_503_599_627_370_495.5, 0),
            4_503_599_627_370_496.0
        );
        assert_eq!(
            round_half_away(100_000_000_000_000.25, 1),
            100_000_000_000_000.3
        );
        assert_eq!(round_half_away(1e17 + 16.0, 0), 1e17 + 16.0);
    }

    /// The nearest double to the decimal text of `r` at `d` decimals.
    fn snap(r: f64, d: u32) -> f64 {
        format!("{:.*}", d as usize, r).parse().unwrap()
    }

    #[test]
    fn fast_path_equals_the_snapped_decimal_text() {
        let mut x = 0.123_456_789_f64;
        for i in 0..20_000 {
            x = (x * 7.3 + i as f64 * 0.017) % 2_000.0 - 1_000.0;
            for d in 0..=10 {
                let r = round_half_away(x, d);
                assert_eq!(r.to_bits(), snap(r, d).to_bits(), "{x} at {d}");
            }
        }
    }

    #[test]
    fn tolerance_counts_near_values_as_equal() {
        assert!(ge(4.999999999999, 5.0));
        assert!(!gt(5.0000000001, 5.0));
        assert!(gt(5.001, 5.0));
        assert!(eq(100.00000001, 100.0));
        assert!(!ge(4.99, 5.0));
        assert!(lt(4.99, 5.0));
        assert!(le(5.0000000001, 5.0));
    }

    /// `x == t` holds exactly when `x >= t` and `x <= t` do, on the edge of the tolerance
    /// too: 10.00000001 is 1e-8 from 10, which `|x − t| ≤ 1e-8` rounded out but the bound
    /// 10 + 1e-8 kept in (audit30_expr F1).
    #[test]
    fn equality_agrees_with_both_orderings_at_the_edge() {
        for (x, t) in [
            (10.00000001_f64, 10.0_f64),
            (9.99999999, 10.0),
            (0.300000001, 0.3),
            (0.499999999, 0.5),
            (-5.000000005, -5.0),
            (1e-9, 0.0),
            (-1e-9, 0.0),
            (123456.789, 123456.789 * (1.0 + 1e-9)),
        ] {
            for x in [
                x,
                f64::from_bits(x.to_bits() + 1),
                f64::from_bits(x.to_bits() - 1),
            ] {
                assert_eq!(eq(x, t), ge(x, t) && le(x, t), "{x} == {t}");
                assert_eq!(gt(x, t) || lt(x, t), !eq(x, t), "{x} <> {t}");
            }
        }
        assert!(eq(10.00000001, 10.0));
    }
}
