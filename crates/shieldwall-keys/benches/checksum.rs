//! The key checksum: `crc32fast` (what `KeyFormat` uses) beside the
//! hand-written slicing-by-8 it replaced, in the same run, on what a key's
//! checksum covers: `<prefix>_` and 55 characters (58 bytes for `sk`, 72 for
//! the longest prefix).
//! `taskset -c 1 cargo bench -p shieldwall-keys --bench checksum`.
//!
//! The run that decided (criterion medians, one run, pinned to one core):
//! 58 bytes, crc32fast 10.5 ns, hand-written 30.9 ns; 72 bytes, crc32fast
//! 11.9 ns, hand-written 37.9 ns. crc32fast takes slicing-by-16 below 128
//! bytes, and its SIMD path above.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use shieldwall_keys::{CHECKSUM_LEN, KeyFormat};

/// The hand-written CRC-32 (IEEE) that `crc32fast` replaced: slicing-by-8
/// with tables built at compile time. Kept here only to measure against.
mod former {
    const fn tables() -> [[u32; 256]; 8] {
        let mut tables = [[0_u32; 256]; 8];
        let mut i = 0;
        while i < 256 {
            #[allow(clippy::cast_possible_truncation, reason = "i < 256")]
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            tables[0][i] = c;
            i += 1;
        }
        let mut t = 1;
        while t < 8 {
            let mut i = 0;
            while i < 256 {
                let prev = tables[t - 1][i];
                tables[t][i] = (prev >> 8) ^ tables[0][(prev & 0xFF) as usize];
                i += 1;
            }
            t += 1;
        }
        tables
    }

    static TABLES: [[u32; 256]; 8] = tables();

    fn entry(table: usize, index: u32) -> u32 {
        TABLES
            .get(table)
            .and_then(|t| t.get((index & 0xFF) as usize))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0_u8; 8];
            word.copy_from_slice(chunk);
            let lo = u32::from_le_bytes([word[0], word[1], word[2], word[3]]) ^ crc;
            let hi = u32::from_le_bytes([word[4], word[5], word[6], word[7]]);
            crc = entry(7, lo)
                ^ entry(6, lo >> 8)
                ^ entry(5, lo >> 16)
                ^ entry(4, lo >> 24)
                ^ entry(3, hi)
                ^ entry(2, hi >> 8)
                ^ entry(1, hi >> 16)
                ^ entry(0, hi >> 24);
        }
        for &b in chunks.remainder() {
            crc = entry(0, crc ^ u32::from(b)) ^ (crc >> 8);
        }
        !crc
    }
}

fn checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    for prefix in ["sk", "abcdefghijklmnop"] {
        let format = KeyFormat::new(prefix).unwrap();
        let (key, _) = format.generate();
        let key = key.expose();
        let signed = key[..key.len() - CHECKSUM_LEN].to_vec();
        assert_eq!(former::crc32(&signed), crc32fast::hash(&signed));
        group.throughput(Throughput::Bytes(signed.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("crc32fast", signed.len()),
            &signed,
            |b, s| b.iter(|| crc32fast::hash(black_box(s))),
        );
        group.bench_with_input(
            BenchmarkId::new("handwritten_slicing_by_8", signed.len()),
            &signed,
            |b, s| b.iter(|| former::crc32(black_box(s))),
        );
    }
    group.finish();
}

criterion_group!(benches, checksum);
criterion_main!(benches);
