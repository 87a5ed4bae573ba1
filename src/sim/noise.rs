//! Deterministic noise: a value depends only on (seed, stream, tick), never on how fast
//! the simulation runs or in which order samples are asked for.

/// SplitMix64 finaliser: a well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(seed: u64, stream: u64, tick: i64, salt: u64) -> f64 {
    let h = mix(seed ^ mix(stream ^ mix(tick as u64 ^ mix(salt))));
    // 53 random bits into (0, 1].
    ((h >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

/// A standard normal draw (Box-Muller).
pub fn gaussian(seed: u64, stream: u64, tick: i64) -> f64 {
    let u1 = uniform(seed, stream, tick, 1);
    let u2 = uniform(seed, stream, tick, 2);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_noise_and_roughly_standard() {
        assert_eq!(gaussian(7, 1, 100), gaussian(7, 1, 100));
        assert_ne!(gaussian(7, 1, 100), gaussian(8, 1, 100));
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|t| gaussian(42, 3, t)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
