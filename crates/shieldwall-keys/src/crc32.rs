//! The key's checksum: CRC-32 (IEEE 802.3, the zlib polynomial) by
//! `crc32fast`. It replaced a hand-written slicing-by-8 that was 3x slower on
//! a key (`benches/checksum.rs`) and gives the same values: keys made before
//! still verify (`format.rs` tests a few).

/// CRC-32 of `bytes`.
pub(crate) fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain bitwise definition, to check the crate against.
    fn reference(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    0xEDB8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn the_standard_check_values_and_every_length() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
        // Past 128 bytes crc32fast takes its SIMD path where the CPU has one.
        let data: Vec<u8> = (0..600_u32)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(11))
            .collect();
        for len in 0..data.len() {
            assert_eq!(crc32(&data[..len]), reference(&data[..len]), "{len}");
        }
    }
}
