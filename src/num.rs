//! Numeric rules shared by expressions and scoring: threshold tolerance and published rounding.

/// Relative tolerance of threshold comparisons (SPEC §5.1).
pub const THRESHOLD_TOLERANCE: f64 = 1e-9;

/// The tolerance around threshold `t`: `1e-9 × max(1, |t|)`.
#[inline]
pub fn tolerance(t: f64) -> f64 {
    THRESHOLD_TOLERANCE * t.abs().max(1.0)
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
    (x - t).abs() <= tolerance(t)
}

/// A mean folded one value at a time as x₀ + Σ(x − x₀)/n and kept within the values' range.
///
/// Equal values give exactly their value and a sample sd of exactly 0: a plain Σx/n of three
/// 0.1s is 0.10000000000000002, which `minmax` (an imputed value above every reported one)
/// and `zscore` (sd ≈ 1e-17 instead of 0) would blow up to the whole range.
#[derive(Clone, Copy, Debug)]
pub struct MeanFold {
    first: f64,
    shifted: f64,
    n: usize,
    lo: f64,
    hi: f64,
}

impl MeanFold {
    /// The fold of one value.
    pub fn new(v: f64) -> Self {
        MeanFold {
            first: v,
            shifted: 0.0,
            n: 1,
            lo: v,
            hi: v,
        }
    }

    /// The fold with one more value.
    #[inline]
    pub fn with(self, v: f64) -> Self {
        MeanFold {
            shifted: self.shifted + (v - self.first),
            n: self.n + 1,
            lo: self.lo.min(v),
            hi: self.hi.max(v),
            ..self
        }
    }

    /// How many values were folded.
    pub fn count(&self) -> usize {
        self.n
    }

    /// Their mean.
    pub fn mean(&self) -> f64 {
        (self.first + self.shifted / self.n as f64).clamp(self.lo, self.hi)
    }

    /// The mean of `values`, `None` when there are none.
    pub fn of(values: &[f64]) -> Option<f64> {
        let (&v, rest) = values.split_first()?;
        Some(rest.iter().fold(MeanFold::new(v), |m, &x| m.with(x)).mean())
    }
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
    if !y.is_finite() || y >= 1e15 {
        return x;
    }
    // k / 10^d with k a whole number below 2^53 and 10^d exact is one correctly rounded
    // division: already the nearest double to the decimal, no text round trip needed.
    round_scaled(x, m) / m
}

/// 10^d as a double (exact up to 10^22).
pub fn pow10(decimals: u32) -> f64 {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    match POW10.get(decimals as usize) {
        Some(&m) => m,
        None => 10f64.powi(decimals as i32),
    }
}

/// The whole number k with `round_half_away(x, d) = k / 10^d`, for `m` = 10^d, x finite
/// and |x|·m below 10^15 (callers check). Writers print k directly (no division, no
/// second rounding); never negative zero.
#[inline]
pub fn round_scaled(x: f64, m: f64) -> f64 {
    let y = x.abs() * m;
    // Below 2^53 truncation is floor for non-negative y (and needs no libm call).
    let f = (y as u64) as f64;
    let up = y - f >= 0.5 - 4.0 * f64::EPSILON * y;
    let k = f + if up { 1.0 } else { 0.0 };
    // No negative zero in published numbers ("-0.00").
    if x < 0.0 && k != 0.0 { -k } else { k }
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
}
