using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using TinySync.Core.Chunking;

namespace TinySync.Benchmarks.Micro;

/// <summary>
/// FastCDC with TinySync's wire parameters over a 64 MiB random buffer: cut points alone, cut points plus the
/// SHA-256 of every chunk (span and stream APIs), beside plain SHA-256 of the whole buffer as the peer (baseline).
/// The MB/s column is 10^6 bytes per second of the mean.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class ChunkingBenchmarks
{
    public const int BufferSize = 64 * 1024 * 1024;

    byte[] _data = [];

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[BufferSize];
        new Random(20260101).NextBytes(_data);
    }

    [Benchmark(Baseline = true, Description = "SHA-256 (whole buffer)")]
    public byte[] Sha256() => SHA256.HashData(_data);

    [Benchmark(Description = "FastCDC cut points only")]
    public int CutPoints()
    {
        var cdc = FastCdc.Default;
        ReadOnlySpan<byte> rest = _data;
        var count = 0;
        while (!rest.IsEmpty)
        {
            rest = rest[cdc.FindCutPoint(rest)..];
            count++;
        }
        return count;
    }

    [Benchmark(Description = "FastCDC cut + SHA-256 (span)")]
    public int CutAndHash() => FastCdc.Default.Chunk(_data).Count;

    [Benchmark(Description = "FastCDC cut + SHA-256 (stream)")]
    public int CutAndHashStream()
    {
        using var stream = new MemoryStream(_data, writable: false);
        var count = 0;
        foreach (var _ in FastCdc.Default.Chunk(stream)) count++;
        return count;
    }

    sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn(BufferSize));
    }
}
