#!/usr/bin/env python3
"""Independent reference for TinySync's FastCDC (docs/decisions/0101-fastcdc-parameters.md, 0102-fastcdc-middle-mask-step.md).

Written separately from FastCdc.cs, from the cut rule spelled out in the decision record, and deliberately naive:
one byte at a time, plain ints, no windowing. FastCdcTests pins only values on which this script and the C#
implementation agree. Both follow the same written rule, so the cross-check catches implementation slips
(off-by-ones, mask or table construction, buffering), not a misreading of the rule itself.

    python3 reference_fastcdc.py                       # the pinned 20 MiB vector, default parameters
    python3 reference_fastcdc.py --size 262144 --min 64 --avg 256 --max 1024
    python3 reference_fastcdc.py --gear                # gear table entries 0, 1 and 255

Input: xorshift64 (x ^= x << 13; x ^= x >> 7; x ^= x << 17, mod 2^64) from the seed; each step's new state is
written as 8 bytes little-endian; the stream is truncated to --size bytes.
"""
import argparse
import hashlib

M64 = (1 << 64) - 1


def gear_table():
    return [int.from_bytes(hashlib.sha256(("tinysync-fastcdc-gear-v1:%d" % i).encode("ascii")).digest()[:8], "little")
            for i in range(256)]


def spread_mask(ones):
    # `ones` one-bits at bit 63, 61, 59, ...
    return sum(1 << (63 - 2 * k) for k in range(ones))


def xorshift_bytes(seed, size):
    out = bytearray()
    x = seed
    while len(out) < size:
        x ^= (x << 13) & M64
        x ^= x >> 7
        x ^= (x << 17) & M64
        out += x.to_bytes(8, "little")
    return bytes(out[:size])


def cut(data, start, min_size, avg_size, max_size, gear, mask_s, mask_n, mask_l):
    """Length of the chunk starting at `start` (FastCDC, normalized chunking level 2 with a middle step, 0102)."""
    n = len(data) - start
    if n <= min_size:
        return n
    if n > max_size:
        n = max_size
    normal = min(n, avg_size)
    half = min(normal, avg_size // 2)
    fp = 0
    for i in range(min_size, n):
        fp = ((fp << 1) + gear[data[start + i]]) & M64
        mask = mask_s if i < half else mask_n if i < normal else mask_l
        if fp & mask == 0:
            return i + 1
    return n


def chunks(data, min_size, avg_size, max_size):
    bits = avg_size.bit_length() - 1
    assert 1 << bits == avg_size
    gear = gear_table()
    mask_s, mask_n, mask_l = spread_mask(bits + 2), spread_mask(bits), spread_mask(bits - 2)
    start = 0
    while start < len(data):
        length = cut(data, start, min_size, avg_size, max_size, gear, mask_s, mask_n, mask_l)
        yield start, length
        start += length


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=lambda s: int(s, 0), default=0x9E3779B97F4A7C15)
    p.add_argument("--size", type=int, default=20 * 1024 * 1024)
    p.add_argument("--min", type=int, default=256 * 1024)
    p.add_argument("--avg", type=int, default=1024 * 1024)
    p.add_argument("--max", type=int, default=4 * 1024 * 1024)
    p.add_argument("--gear", action="store_true")
    a = p.parse_args()
    if a.gear:
        g = gear_table()
        for i in (0, 1, 255):
            print("gear[%d] = 0x%016x" % (i, g[i]))
        bits = a.avg.bit_length() - 1
        print("mask_s = 0x%016x (%d ones)" % (spread_mask(bits + 2), bits + 2))
        print("mask_n = 0x%016x (%d ones)" % (spread_mask(bits), bits))
        print("mask_l = 0x%016x (%d ones)" % (spread_mask(bits - 2), bits - 2))
        return
    data = xorshift_bytes(a.seed, a.size)
    print("input sha256 %s" % hashlib.sha256(data).hexdigest())
    lines = []
    for off, length in chunks(data, a.min, a.avg, a.max):
        lines.append("%d %d" % (off, length))
        print("%d %d %s" % (off, length, hashlib.sha256(data[off:off + length]).hexdigest()))
    print("count %d" % len(lines))
    # digest of the boundary list: "offset length\n" per chunk, for vectors too long to pin literally
    print("boundaries sha256 %s" % hashlib.sha256("".join(l + "\n" for l in lines).encode("ascii")).hexdigest())


if __name__ == "__main__":
    main()
