using TinySync.Core.Chunking;

namespace TinySync.Server.Tests.Support;

/// <summary>Bodies for <c>POST /chunks/batch</c>.</summary>
public static class BatchFrames
{
    /// <summary>The framed body of <paramref name="chunks"/>, in order.</summary>
    public static byte[] Of(IEnumerable<(string Hash, byte[] Data)> chunks)
    {
        var list = chunks.ToList();
        var body = new byte[list.Sum(c => ChunkFrames.FrameLength(c.Data.Length))];
        var at = 0;
        foreach (var (hash, data) in list) at += ChunkFrames.Write(body.AsSpan(at), hash, data);
        return body;
    }
}
