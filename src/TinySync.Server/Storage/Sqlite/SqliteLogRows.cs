using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using TinySync.Core.Chunking;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Sqlite;

/// <summary>
/// The change-log page on SQLite without the ADO.NET reader (decision 0313). Microsoft.Data.Sqlite makes two or
/// three native calls per column (type, then value, then length), each through a SafeHandle and SQLite's connection
/// mutex, and turns every text into a .NET string; a profile of the log benchmark spent about a third of its CPU
/// there. Here each column is read once, as the UTF-8 bytes SQLite holds, and written to the JSON as is. The bytes
/// written are exactly <see cref="LogJson.WriteRow"/>'s (the same tests run on both backends and compare them with
/// the serializer's).
/// </summary>
internal static class SqliteLogRows
{
    public static async Task<long> WriteAsync(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, long after,
        Utf8JsonWriter json, PipeWriter output, CancellationToken ct)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        Check(raw.sqlite3_prepare_v2(db, sql, out var stmt), db);
        using (stmt)
        {
            foreach (var (name, value) in parameters)
            {
                var at = raw.sqlite3_bind_parameter_index(stmt, name);
                if (at == 0) throw new InvalidOperationException($"no parameter {name} in the log query");
                Check(value switch
                {
                    long l => raw.sqlite3_bind_int64(stmt, at, l),
                    int i => raw.sqlite3_bind_int64(stmt, at, i),
                    string s => raw.sqlite3_bind_text(stmt, at, s),
                    _ => throw new ArgumentException($"unexpected parameter type for {name}", nameof(parameters)),
                }, db);
            }
            var last = after;
            while (true)
            {
                // busy_timeout on every connection: SQLite itself waits out a checkpoint's lock here.
                var rc = raw.sqlite3_step(stmt);
                if (rc == raw.SQLITE_DONE) break;
                if (rc != raw.SQLITE_ROW) Check(rc, db);
                last = WriteRow(json, stmt);
                if (json.BytesPending >= LogJson.FlushBytes)
                {
                    ct.ThrowIfCancellationRequested();
                    json.Flush();
                    await output.FlushAsync(ct).ConfigureAwait(false);
                }
            }
            return last;
        }
    }

    static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, db);
    }

    // Columns: seq, op_id, device_id, kind, container, path, new_path, size, chunks, executable, mtime, committed_at.
    static long WriteRow(Utf8JsonWriter json, sqlite3_stmt s)
    {
        var seq = raw.sqlite3_column_int64(s, 0);
        json.WriteStartObject();
        json.WriteNumber(LogJson.Seq, seq);
        json.WriteString(LogJson.OpId, ReadId(s, 1));
        json.WriteString(LogJson.DeviceId, ReadId(s, 2));
        var kind = raw.sqlite3_column_blob(s, 3);
        json.WriteString(LogJson.Kind,
            kind.SequenceEqual("put"u8) ? LogJson.Put
            : kind.SequenceEqual("mkdir"u8) ? LogJson.Mkdir
            : kind.SequenceEqual("delete"u8) ? LogJson.Delete
            : kind.SequenceEqual("move"u8) ? LogJson.Move
            : throw new InvalidDataException($"unknown op kind '{Encoding.UTF8.GetString(kind)}' in the change log"));
        json.WriteString(LogJson.Container, raw.sqlite3_column_blob(s, 4));
        json.WriteString(LogJson.Path, raw.sqlite3_column_blob(s, 5));
        if (IsNull(s, 6)) json.WriteNull(LogJson.NewPath);
        else json.WriteString(LogJson.NewPath, raw.sqlite3_column_blob(s, 6));
        if (IsNull(s, 7)) json.WriteNull(LogJson.Size);
        else json.WriteNumber(LogJson.Size, raw.sqlite3_column_int64(s, 7));
        if (IsNull(s, 8))
        {
            json.WriteNull(LogJson.Chunks);
        }
        else
        {
            var list = raw.sqlite3_column_blob(s, 8);
            json.WritePropertyName(LogJson.Chunks);
            // The column holds what ChunkList.Format wrote: already the wire form, copied as is once checked.
            if (ChunkList.IsCanonical(list))
            {
                json.WriteRawValue(list, skipInputValidation: true);
            }
            else
            {
                json.WriteStartArray();
                foreach (var h in ChunkList.Parse(Encoding.UTF8.GetString(list))) json.WriteStringValue(h);
                json.WriteEndArray();
            }
        }
        if (IsNull(s, 9)) json.WriteNull(LogJson.Executable);
        else json.WriteBoolean(LogJson.Executable, raw.sqlite3_column_int64(s, 9) != 0);
        if (IsNull(s, 10)) json.WriteNull(LogJson.Mtime);
        else json.WriteString(LogJson.Mtime, SqliteDialect.TimeFrom(raw.sqlite3_column_int64(s, 10)));
        json.WriteString(LogJson.CommittedAt, SqliteDialect.TimeFrom(raw.sqlite3_column_int64(s, 11)));
        json.WriteEndObject();
        return seq;
    }

    static bool IsNull(sqlite3_stmt s, int column) => raw.sqlite3_column_type(s, column) == raw.SQLITE_NULL;

    // As SqliteDialect.ReadId: the stored text parsed (and so checked) as a UUID, written in the serializer's form.
    static Guid ReadId(sqlite3_stmt s, int column)
    {
        var text = raw.sqlite3_column_blob(s, column);
        if (!Utf8Parser.TryParse(text, out Guid id, out var used, 'D') || used != text.Length)
            throw new InvalidDataException($"'{Encoding.UTF8.GetString(text)}' in the change log is not a UUID");
        return id;
    }
}
