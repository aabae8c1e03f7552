using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Server.Storage.Sql;

// Vault sync, part 2: reading the log and the tree.
public partial class SqlStore
{
    const string LogColumns = "seq, op_id, device_id, kind, container, path, new_path, size, chunks, executable, mtime, committed_at";

    /// <inheritdoc />
    public async Task<LogPage?> ReadLogAsync(Guid vaultId, long after, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        // The head first: every row up to it is committed (head_seq moves in the same transaction as the rows).
        var headValue = await Sql.ScalarAsync(c, null, "SELECT head_seq FROM vaults WHERE vault_id = @v", ct, v!).ConfigureAwait(false);
        if (headValue is null) return null;
        var head = Convert.ToInt64(headValue, CultureInfo.InvariantCulture);
        if (after >= head) return new LogPage([], head, false);
        var rows = await Sql.ListAsync(c, null,
            $"SELECT {LogColumns} FROM change_log WHERE vault_id = @v AND seq > @a AND seq <= @h ORDER BY seq LIMIT @l",
            r => new LogEntry
            {
                Seq = r.GetInt64(0),
                OpId = Dialect.ReadId(r, 1),
                DeviceId = Dialect.ReadId(r, 2),
                Kind = ItemRows.ParseKind(r.GetString(3)),
                Container = r.GetString(4),
                Path = r.GetString(5),
                NewPath = r.NullableString(6),
                Size = r.NullableInt64(7),
                Chunks = r.IsDBNull(8) ? null : ChunkList.Parse(r.GetString(8)),
                Executable = r.IsDBNull(9) ? null : r.GetBoolean(9),
                Mtime = r.IsDBNull(10) ? null : Dialect.ReadTime(r, 10),
                CommittedAt = Dialect.ReadTime(r, 11),
            }, ct, v!, ("@a", after), ("@h", head), ("@l", limit)).ConfigureAwait(false);
        return new LogPage(rows, head, rows.Count > 0 && rows[^1].Seq < head);
    }

    /// <inheritdoc />
    public async Task<long?> WriteLogJsonAsync(Guid vaultId, long after, int limit, PipeWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var headValue = await Sql.ScalarAsync(c, null, "SELECT head_seq FROM vaults WHERE vault_id = @v", ct, v!).ConfigureAwait(false);
        if (headValue is null) return null;
        var head = Convert.ToInt64(headValue, CultureInfo.InvariantCulture);
        if (after > head) return head;
        // No LogEntry objects, no chunk-list parse: each row goes from the reader to the writer. The field order,
        // names and value formats are LogEntry's under the wire options (a test compares the bytes).
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        json.WriteStartObject();
        json.WriteStartArray(LogJson.Entries);
        var last = after;
        if (after < head)
        {
            last = await Dialect.WriteLogRowsAsync(c,
                $"SELECT {LogColumns} FROM change_log WHERE vault_id = @v AND seq > @a AND seq <= @h ORDER BY seq LIMIT @l",
                [v!, ("@a", after), ("@h", head), ("@l", limit)], after, json, output, ct).ConfigureAwait(false);
        }
        json.WriteEndArray();
        json.WriteNumber(LogJson.Head, head);
        json.WriteBoolean(LogJson.HasMore, last > after && last < head);
        json.WriteEndObject();
        json.Flush();
        await output.FlushAsync(ct).ConfigureAwait(false);
        return head;
    }

    /// <inheritdoc />
    public async Task<TreeRead?> ReadTreeAsync(Guid vaultId, string container, string? afterKey, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var v = ("@v", Dialect.Id(vaultId));
        var cn = ("@c", container);
        if (!await ContainerExistsAsync(c, v!, cn!, ct).ConfigureAwait(false)) return null;
        // Head before items: the items reflect at least this seq; replaying the log after it converges (RemoteTree).
        var head = Convert.ToInt64(await Sql.ScalarAsync(c, null, "SELECT head_seq FROM vaults WHERE vault_id = @v", ct, v!).ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        var rows = await Sql.ListAsync(c, null,
            """
            SELECT path, kind, version, size, chunks, executable, mtime, path_key FROM items
            WHERE vault_id = @v AND container = @c AND path_key > @after ORDER BY path_key LIMIT @l
            """,
            r => (Item: ItemRows.Read(Dialect, r, 0), Key: r.GetString(7)), ct, v!, cn!, ("@after", afterKey ?? ""), ("@l", limit + 1)).ConfigureAwait(false);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        return new TreeRead(head, rows.Select(x => x.Item).ToList(), more ? rows[^1].Key : null);
    }
}

/// <summary>Log rows as wire JSON (<see cref="LogEntry"/> under the wire options), written from a reader over <c>LogColumns</c>.</summary>
internal static class LogJson
{
    /// <summary>Bytes buffered before they are handed to the response.</summary>
    public const int FlushBytes = 64 * 1024;

    public static readonly JsonEncodedText Entries = JsonEncodedText.Encode("entries"), Head = JsonEncodedText.Encode("head"),
        HasMore = JsonEncodedText.Encode("has_more");

    internal static readonly JsonEncodedText Seq = JsonEncodedText.Encode("seq"), OpId = JsonEncodedText.Encode("op_id"),
        DeviceId = JsonEncodedText.Encode("device_id"), Kind = JsonEncodedText.Encode("kind"), Container = JsonEncodedText.Encode("container"),
        Path = JsonEncodedText.Encode("path"), NewPath = JsonEncodedText.Encode("new_path"), Size = JsonEncodedText.Encode("size"),
        Chunks = JsonEncodedText.Encode("chunks"), Executable = JsonEncodedText.Encode("executable"), Mtime = JsonEncodedText.Encode("mtime"),
        CommittedAt = JsonEncodedText.Encode("committed_at");

    internal static readonly JsonEncodedText Put = JsonEncodedText.Encode("put"), Mkdir = JsonEncodedText.Encode("mkdir"),
        Delete = JsonEncodedText.Encode("delete"), Move = JsonEncodedText.Encode("move");

    /// <summary>Writes one row of (seq, op_id, device_id, kind, container, path, new_path, size, chunks, executable, mtime, committed_at).</summary>
    public static void WriteRow(Utf8JsonWriter json, SqlDialect dialect, System.Data.Common.DbDataReader r, long seq)
    {
        json.WriteStartObject();
        json.WriteNumber(Seq, seq);
        json.WriteString(OpId, dialect.ReadId(r, 1));
        json.WriteString(DeviceId, dialect.ReadId(r, 2));
        json.WriteString(Kind, r.GetString(3) switch
        {
            "put" => Put,
            "mkdir" => Mkdir,
            "delete" => Delete,
            "move" => Move,
            var other => throw new InvalidDataException($"unknown op kind '{other}' in the change log"),
        });
        json.WriteString(Container, r.GetString(4));
        json.WriteString(Path, r.GetString(5));
        if (r.IsDBNull(6)) json.WriteNull(NewPath);
        else json.WriteString(NewPath, r.GetString(6));
        if (r.IsDBNull(7)) json.WriteNull(Size);
        else json.WriteNumber(Size, r.GetInt64(7));
        if (r.IsDBNull(8))
        {
            json.WriteNull(Chunks);
        }
        else
        {
            var list = r.GetString(8);
            json.WritePropertyName(Chunks);
            // The column holds what ChunkList.Format wrote: already the wire form, copied as is once checked.
            if (ChunkList.IsCanonical(list))
            {
                json.WriteRawValue(list, skipInputValidation: true);
            }
            else
            {
                json.WriteStartArray();
                foreach (var h in ChunkList.Parse(list)) json.WriteStringValue(h);
                json.WriteEndArray();
            }
        }
        if (r.IsDBNull(9)) json.WriteNull(Executable);
        else json.WriteBoolean(Executable, r.GetBoolean(9));
        if (r.IsDBNull(10)) json.WriteNull(Mtime);
        else json.WriteString(Mtime, dialect.ReadTime(r, 10));
        json.WriteString(CommittedAt, dialect.ReadTime(r, 11));
        json.WriteEndObject();
    }
}
