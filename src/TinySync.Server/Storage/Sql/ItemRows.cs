using System.Data.Common;
using System.Numerics;
using System.Text;
using System.Text.Json;
using TinySync.Core.Chunking;
using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

/// <summary>Reading and writing item and log columns the same way everywhere.</summary>
internal static class ItemRows
{
    /// <summary>Reads (path, kind, version, size, chunks, executable, mtime) starting at <paramref name="at"/>.</summary>
    public static Item Read(SqlDialect dialect, DbDataReader r, int at) => new()
    {
        Path = r.GetString(at),
        Kind = string.Equals(r.GetString(at + 1), "dir", StringComparison.Ordinal) ? ItemKind.Dir : ItemKind.File,
        Version = r.GetInt64(at + 2),
        Size = r.NullableInt64(at + 3),
        Chunks = r.IsDBNull(at + 4) ? null : ChunkList.Parse(r.GetString(at + 4)),
        Executable = r.IsDBNull(at + 5) ? null : r.GetBoolean(at + 5),
        Mtime = r.IsDBNull(at + 6) ? null : dialect.ReadTime(r, at + 6),
    };

    public static string KindName(OpKind kind) => kind switch
    {
        OpKind.Put => "put",
        OpKind.Mkdir => "mkdir",
        OpKind.Delete => "delete",
        OpKind.Move => "move",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static OpKind ParseKind(string kind) => kind switch
    {
        "put" => OpKind.Put,
        "mkdir" => OpKind.Mkdir,
        "delete" => OpKind.Delete,
        "move" => OpKind.Move,
        _ => throw new InvalidDataException($"unknown op kind '{kind}' in the change log"),
    };
}

/// <summary>The chunks column: a JSON array of validated lowercase hex hashes.</summary>
internal static class ChunkList
{
    public static string Format(IReadOnlyList<string> hashes)
    {
        var sb = new StringBuilder(2 + hashes.Count * (ChunkHash.HexLength + 3));
        sb.Append('[');
        for (var i = 0; i < hashes.Count; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append('"').Append(hashes[i]).Append('"');
        }
        return sb.Append(']').ToString();
    }

    /// <summary>True when <paramref name="json"/> is exactly what <see cref="Format"/> writes (so it is valid JSON as is).</summary>
    public static bool IsCanonical(string json) => IsCanonical<char>(json);

    /// <summary>The same check on the UTF-8 bytes SQLite holds (the log reader writes them to the page as they are).</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> json) => IsCanonical<byte>(json);

    static bool IsCanonical<T>(ReadOnlySpan<T> json) where T : unmanaged, IBinaryInteger<T>
    {
        static bool Is(T c, char x) => c == T.CreateTruncating(x);
        static bool IsHex(T c) => (c >= T.CreateTruncating('0') && c <= T.CreateTruncating('9')) || (c >= T.CreateTruncating('a') && c <= T.CreateTruncating('f'));
        const int Item = ChunkHash.HexLength + 2;
        if (json.Length < 2 || !Is(json[0], '[') || !Is(json[^1], ']')) return false;
        if (json.Length == 2) return true;
        if ((json.Length - 1) % (Item + 1) != 0) return false;
        var n = (json.Length - 1) / (Item + 1);
        for (var i = 0; i < n; i++)
        {
            var at = 1 + i * (Item + 1);
            if (!Is(json[at], '"') || !Is(json[at + Item - 1], '"') || !Is(json[at + Item], i == n - 1 ? ']' : ',')) return false;
            foreach (var c in json.Slice(at + 1, ChunkHash.HexLength))
            {
                if (!IsHex(c)) return false;
            }
        }
        return true;
    }

    public static string[] Parse(string json)
    {
        // Fast path for the form Format writes: ["<64 hex>","<64 hex>",...]
        const int Item = ChunkHash.HexLength + 2;
        if (json.Length >= 2 && json[0] == '[' && json[^1] == ']')
        {
            if (json.Length == 2) return [];
            if ((json.Length - 1) % (Item + 1) == 0)
            {
                var n = (json.Length - 1) / (Item + 1);
                var result = new string[n];
                var ok = true;
                for (var i = 0; i < n && ok; i++)
                {
                    var at = 1 + i * (Item + 1);
                    ok = json[at] == '"' && json[at + Item - 1] == '"' && json[at + Item] == (i == n - 1 ? ']' : ',');
                    if (ok) result[i] = json.Substring(at + 1, ChunkHash.HexLength);
                }
                if (ok) return result;
            }
        }
        return JsonSerializer.Deserialize<string[]>(json) ?? [];
    }
}
