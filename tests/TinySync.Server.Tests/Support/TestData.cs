namespace TinySync.Server.Tests.Support;

/// <summary>Deterministic test content.</summary>
public static class TestData
{
    /// <summary><paramref name="length"/> pseudo-random bytes, the same for the same <paramref name="seed"/>.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
