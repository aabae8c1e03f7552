using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Postgres;

/// <summary>
/// A commit's rows as PostgreSQL arrays (decision 0505): each table's rows become one
/// <c>INSERT … SELECT … FROM unnest(@a::type[], …)</c>, whatever the number of rows, and the statements of a commit
/// (and the head update after them) go to the server as one <see cref="NpgsqlBatch"/>, one round trip. The shared SQL
/// keeps describing rows as one multi-row template (<see cref="MultiRowInsert"/>); the array types are those of the columns
/// each row parameter fills, read once per table from the catalog, so a column a migration adds needs nothing here.
/// </summary>
internal sealed class PostgresRowArrays
{
    readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _columnTypes = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<MultiRowInsert, (string Sql, string[] Types)> _statements = new();

    public async Task WriteAsync(WriteScope w, IReadOnlyList<RowSet> sets, SqlStep? after, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)w.Connection;
        await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction)w.Transaction);
        foreach (var set in sets)
        {
            var (sql, types) = await StatementAsync(w, set.Table, ct).ConfigureAwait(false);
            var command = new NpgsqlBatchCommand(sql);
            var shared = set.Table.SharedNames;
            for (var i = 0; i < shared.Length; i++) command.Parameters.AddWithValue(shared[i], set.Values[i] ?? DBNull.Value);
            var width = set.Table.RowParameters.Length;
            for (var p = 0; p < width; p++)
            {
                var column = Column(types[p], set.Values, shared.Length + p, width, set.Rows);
                // typed explicitly: an array of null times would otherwise go as timestamp without time zone
                command.Parameters.Add(new NpgsqlParameter("@" + set.Table.RowParameters[p], NpgsqlDbType.Array | DbType(types[p])) { Value = column });
            }
            batch.BatchCommands.Add(command);
        }
        if (after is not null)
        {
            var command = new NpgsqlBatchCommand(after.Sql);
            foreach (var (name, value) in after.Parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            batch.BatchCommands.Add(command);
        }
        if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    async ValueTask<(string Sql, string[] Types)> StatementAsync(WriteScope w, MultiRowInsert table, CancellationToken ct)
    {
        if (_statements.TryGetValue(table, out var known)) return known;
        if (!_columnTypes.TryGetValue(table.Table, out var types))
        {
            var read = new Dictionary<string, string>(StringComparer.Ordinal);
            await Sql.Sql.EachAsync(w.Connection, w.Transaction,
                "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a WHERE a.attrelid = to_regclass(@t) AND a.attnum > 0 AND NOT a.attisdropped",
                r => read[r.GetString(0)] = r.GetString(1), ct, ("@t", table.Table)).ConfigureAwait(false);
            if (read.Count == 0) throw new InvalidOperationException($"table {table.Table} not found");
            _columnTypes[table.Table] = types = read;
        }
        return _statements[table] = Build(table, types);
    }

    /// <summary>
    /// The array form of a row template: <c>(@v, @c#, f(@s#))</c> into <c>INSERT INTO t (cols) SELECT @v, r.p_c,
    /// f(r.p_s) FROM unnest(@c::text[], @s::bigint[]) AS r(p_c, p_s)</c> plus the suffix. Each row parameter must
    /// also appear alone as some column's value: that column's type is its array's element type.
    /// </summary>
    internal static (string Sql, string[] Types) Build(MultiRowInsert table, IReadOnlyDictionary<string, string> columnTypes)
    {
        var columns = table.Columns.Split(',', StringSplitOptions.TrimEntries);
        var template = table.RowTemplate.Trim();
        if (template[0] != '(' || template[^1] != ')') throw new InvalidOperationException($"row template of {table.Table} is not parenthesized");
        var values = SplitTopLevel(template[1..^1]);
        if (values.Count != columns.Length) throw new InvalidOperationException($"row template of {table.Table} has {values.Count} values for {columns.Length} columns");
        var parameters = table.RowParameters;
        var types = new string[parameters.Length];
        for (var p = 0; p < parameters.Length; p++)
        {
            if (table.SharedNames.Contains("@" + parameters[p])) throw new InvalidOperationException($"row parameter @{parameters[p]} is also a shared one");
            var at = values.FindIndex(v => v == "@" + parameters[p] + "#");
            if (at < 0) throw new InvalidOperationException($"row parameter @{parameters[p]}# of {table.Table} fills no column on its own");
            types[p] = columnTypes.TryGetValue(columns[at], out var type) ? type : throw new InvalidOperationException($"no column {columns[at]} in {table.Table}");
            ElementType(types[p]); // fails now for a type this class cannot bind
        }
        var select = string.Join(", ", values.Select(v =>
        {
            foreach (var name in parameters) v = v.Replace("@" + name + "#", "r.p_" + name, StringComparison.Ordinal);
            return v;
        }));
        var sql = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"INSERT INTO {table.Table} ({table.Columns}) SELECT {select} FROM unnest(")
            .AppendJoin(", ", parameters.Select((name, i) => $"@{name}::{types[i]}[]"))
            .Append(") AS r(").AppendJoin(", ", parameters.Select(name => "p_" + name)).Append(')')
            .Append(table.Suffix)
            .ToString();
        return (sql, types);
    }

    /// <summary>Splits on commas outside quotes and parentheses; each part trimmed.</summary>
    static List<string> SplitTopLevel(string list)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '\'') quoted = !quoted;
            else if (quoted) continue;
            else if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0)
            {
                parts.Add(list[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(list[start..].Trim());
        return parts;
    }

    static Type ElementType(string type) => type switch
    {
        "text" or "character varying" => typeof(string),
        "bigint" => typeof(long?),
        "integer" => typeof(int?),
        "boolean" => typeof(bool?),
        "uuid" => typeof(Guid?),
        "timestamp with time zone" => typeof(DateTime?),
        "bytea" => typeof(byte[]),
        _ => throw new NotSupportedException($"no array binding for column type {type}"),
    };

    static NpgsqlDbType DbType(string type) => type switch
    {
        "text" or "character varying" => NpgsqlDbType.Text,
        "bigint" => NpgsqlDbType.Bigint,
        "integer" => NpgsqlDbType.Integer,
        "boolean" => NpgsqlDbType.Boolean,
        "uuid" => NpgsqlDbType.Uuid,
        "timestamp with time zone" => NpgsqlDbType.TimestampTz,
        "bytea" => NpgsqlDbType.Bytea,
        _ => throw new NotSupportedException($"no array binding for column type {type}"),
    };

    /// <summary>Column <paramref name="first"/> of every row (every <paramref name="stride"/>-th value) as a typed array.</summary>
    static Array Column(string type, object?[] values, int first, int stride, int rows)
    {
        T?[] Take<T>(Func<object, T> convert)
        {
            var column = new T?[rows];
            for (var r = 0; r < rows; r++)
            {
                var v = values[first + r * stride];
                column[r] = v is null or DBNull ? default : convert(v);
            }
            return column;
        }
        return ElementType(type) switch
        {
            var t when t == typeof(string) => Take(v => (string)v),
            var t when t == typeof(long?) => Take<long?>(v => Convert.ToInt64(v, CultureInfo.InvariantCulture)),
            var t when t == typeof(int?) => Take<int?>(v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
            var t when t == typeof(bool?) => Take<bool?>(v => (bool)v),
            var t when t == typeof(Guid?) => Take<Guid?>(v => (Guid)v),
            var t when t == typeof(DateTime?) => Take<DateTime?>(v => (DateTime)v),
            _ => Take(v => (byte[])v),
        };
    }
}
