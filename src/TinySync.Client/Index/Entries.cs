using TinySync.Core.Contracts;

namespace TinySync.Client.Index;

/// <summary>
/// An item as the server knows it (remote tree) or as both sides last agreed on it (synced base). Files carry their
/// ordered chunk hashes; directories carry none.
/// </summary>
public sealed record ItemState
{
    /// <summary>Path, case preserved.</summary>
    public required string Path { get; init; }
    /// <summary>file or dir.</summary>
    public required ItemKind Kind { get; init; }
    /// <summary>Seq of the item's last change on the server.</summary>
    public required long Version { get; init; }
    /// <summary>Size in bytes (files).</summary>
    public long Size { get; init; }
    /// <summary>Ordered chunk hashes (files).</summary>
    public IReadOnlyList<string> Chunks { get; init; } = [];
    /// <summary>Executable bit.</summary>
    public bool Executable { get; init; }
    /// <summary>Modification time as the server recorded it.</summary>
    public DateTimeOffset? Mtime { get; init; }

    /// <summary>True when both describe the same content (kind, chunks, size, executable bit), whatever the version.</summary>
    public bool SameContent(ItemState? other) =>
        other is not null && Kind == other.Kind
        && (Kind == ItemKind.Dir || (Size == other.Size && Executable == other.Executable && Chunks.SequenceEqual(other.Chunks, StringComparer.Ordinal)));

    /// <summary>From a wire item.</summary>
    public static ItemState From(Item item) => new()
    {
        Path = item.Path,
        Kind = item.Kind,
        Version = item.Version,
        Size = item.Size ?? 0,
        Chunks = item.Chunks ?? [],
        Executable = item.Executable ?? false,
        Mtime = item.Mtime,
    };
}

/// <summary>One chunk of a local file: its hash and length (offsets follow from the order).</summary>
public readonly record struct ChunkRef(string Hash, int Length);

/// <summary>What the scanner last saw at a path.</summary>
public sealed record LocalState
{
    /// <summary>Path relative to the link root, '/'-separated.</summary>
    public required string Path { get; init; }
    /// <summary>file or dir.</summary>
    public required ItemKind Kind { get; init; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }
    /// <summary>mtime in ns since the epoch.</summary>
    public long MtimeNs { get; init; }
    /// <summary>Inode (0 when unknown).</summary>
    public ulong Inode { get; init; }
    /// <summary>Executable bit.</summary>
    public bool Executable { get; init; }
    /// <summary>Chunks with lengths (files).</summary>
    public IReadOnlyList<ChunkRef> Chunks { get; init; } = [];

    /// <summary>True when the content (kind, chunks, size, exec bit) equals an item state's.</summary>
    public bool SameContent(ItemState? item) =>
        item is not null && Kind == item.Kind
        && (Kind == ItemKind.Dir || (Size == item.Size && Executable == item.Executable && Chunks.Select(c => c.Hash).SequenceEqual(item.Chunks, StringComparer.Ordinal)));

    /// <summary>The chunk hashes in order.</summary>
    public IReadOnlyList<string> Hashes => Chunks.Select(c => c.Hash).ToArray();
}
