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

/// Rounds half away from zero on the shortest decimal form of `x` (2.675 → 2.68 at 2 decimals).
///
/// Fast path: scale and round; only when the scaled value sits within a hair of a half is the
/// shortest decimal text consulted, so the common case costs a multiply and a round.
pub fn round_half_away(x: f64, decimals: u32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let m = 10f64.powi(decimals as i32);
    let y = x * m;
    if !y.is_finite() || y.abs() >= 1e15 {
        return x;
    }
    let frac = (y - y.trunc()).abs();
    if (frac - 0.5).abs() < 1e-6 {
        // Snap to the nearest double of the decimal text (6521/100 → 65.21, not
        // 65.21000000000001).
        return snap(round_decimal_text(x, decimals), decimals);
    }
    // k / 10^d with k a whole number below 2^53 and 10^d exact (d ≤ 22): IEEE division is
    // correctly rounded, so this already is the nearest double of the decimal k/10^d (what
    // `snap` would return), without formatting text.
    y.round() / m
}

fn snap(r: f64, decimals: u32) -> f64 {
    let s = format!("{:.*}", decimals as usize, r);
    s.parse().unwrap_or(r)
}

/// Exact decimal rounding of the shortest representation of `x` (Rust's `{}` is shortest
/// round-trip), half away from zero.
fn round_decimal_text(x: f64, decimals: u32) -> f64 {
    let text = format!("{}", x.abs());
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (text.clone(), String::new()),
    };
    let d = decimals as usize;
    if frac_part.len() <= d {
        return x;
    }
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(d))
        .map(|b| b - b'0')
        .collect();
    let round_up = frac_part.as_bytes()[d] >= b'5';
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let n = digits.len();
    let int_digits: String = digits[..n - d].iter().map(|v| (b'0' + v) as char).collect();
    let frac_digits: String = digits[n - d..].iter().map(|v| (b'0' + v) as char).collect();
    let s = if d == 0 {
        int_digits
    } else {
        format!("{int_digits}.{frac_digits}")
    };
    let v: f64 = s.parse().unwrap_or(x.abs());
    if x < 0.0 { -v } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;

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
