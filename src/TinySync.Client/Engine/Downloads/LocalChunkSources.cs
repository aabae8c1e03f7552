using TinySync.Client.FileSystem;
using TinySync.Client.Index;
using TinySync.Core.Chunking;

namespace TinySync.Client.Engine.Downloads;

/// <summary>
/// Where each chunk already is on disk (by hash, from the scanned local tree): a download copies it from there instead
/// of fetching it, if the file holding it is still what was scanned and the bytes still hash right.
/// </summary>
internal sealed class LocalChunkSources
{
    readonly ContainedFolder _fs;
    readonly Dictionary<string, (string Path, long Offset, int Length, LocalState Owner)> _byHash = new(StringComparer.Ordinal);

    /// <summary>The chunks of the files in <paramref name="local"/> (the first file holding a chunk is its source).</summary>
    public LocalChunkSources(ContainedFolder fs, IEnumerable<LocalState> local)
    {
        _fs = fs;
        foreach (var l in local)
        {
            long offset = 0;
            foreach (var c in l.Chunks)
            {
                _byHash.TryAdd(c.Hash, (l.Path, offset, c.Length, l));
                offset += c.Length;
            }
        }
    }

    /// <summary>The chunk's bytes read from a local file, verified; null when no file has it (any more).</summary>
    public byte[]? Read(string hash)
    {
        if (!_byHash.TryGetValue(hash, out var src)) return null;
        try
        {
            if (!_fs.Stat(src.Path).SameAs(LinkContext.StatOf(src.Owner))) return null;
            using var s = _fs.OpenRead(src.Path);
            s.Seek(src.Offset, SeekOrigin.Begin);
            var buffer = new byte[src.Length];
            s.ReadExactly(buffer);
            return ChunkHash.Matches(buffer, hash) ? buffer : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
