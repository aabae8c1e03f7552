using System.Globalization;
using System.Text;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// A multi-row INSERT described once for every dialect: the table, its columns, one row's value template (<c>#</c>
/// stands for the row's number, <c>@v</c>, <c>@d</c> and <c>@t</c> are values every row shares) and a suffix such
/// as an <c>ON CONFLICT</c> clause. SQLite runs it as statements of a few rows each; PostgreSQL as one statement
/// over arrays (<see cref="SqlDialect.WriteRowArraysAsync"/>).
/// </summary>
internal sealed class RowsSql(string table, string columns, string rowTemplate, string suffix, string[] rowParameters)
{
    static readonly string[] SharedCandidates = ["@v", "@d", "@t"];
    readonly System.Collections.Concurrent.ConcurrentDictionary<int, (string Sql, string[] Names)> _texts = new();

    public string Table => table;

    public string Columns => columns;

    public string RowTemplate => rowTemplate;

    public string Suffix => suffix;

    /// <summary>The per-row parameter letters, in the order a row's values are given.</summary>
    public string[] RowParameters => rowParameters;

    /// <summary>The shared parameters the template uses (@v, @d, @t, in that order): their values come first.</summary>
    public string[] SharedNames { get; } = SharedCandidates
        .Where(s => rowTemplate.Contains(s + ",", StringComparison.Ordinal) || rowTemplate.Contains(s + ")", StringComparison.Ordinal))
        .ToArray();

    /// <summary>The statement for <paramref name="rows"/> rows; parameter names: the shared ones, then row by row.</summary>
    public (string Sql, string[] Names) For(int rows) => _texts.GetOrAdd(rows, n =>
    {
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"INSERT INTO {table} ({columns}) VALUES ");
        for (var r = 0; r < n; r++) sb.Append(r == 0 ? "" : ", ").Append(rowTemplate.Replace("#", r.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var names = new List<string>(SharedNames);
        for (var r = 0; r < n; r++) names.AddRange(rowParameters.Select(p => string.Create(CultureInfo.InvariantCulture, $"@{p}{r}")));
        return (sb.Append(suffix).ToString(), names.ToArray());
    });
}

/// <summary>
/// Rows for one <see cref="RowsSql"/>: <see cref="Values"/> holds the shared values (in <see cref="RowsSql.SharedNames"/>
/// order), then each row's values (in <see cref="RowsSql.RowParameters"/> order), row after row.
/// </summary>
internal sealed record RowSet(RowsSql Table, object?[] Values, int Rows);

/// <summary>A statement run after the rows, in the same round trip where the dialect allows (e.g. the head update).</summary>
internal sealed record SqlStep(string Sql, (string Name, object? Value)[] Parameters);

/// <summary>
/// Writes a commit's buffered rows. Where the dialect writes arrays (PostgreSQL), every table's rows and the trailing
/// statement go to the database in one round trip (decision 0505); otherwise each table is written in statements of
/// <see cref="RowGroups"/> rows, prepared once per transaction (decisions 0308, 0313).
/// </summary>
internal sealed class RowWriter(SqlDialect dialect, WriteScope w, Func<string, object?> shared) : IAsyncDisposable
{
    // Rows per multi-row INSERT, largest first; a remainder goes in smaller statements, so only these few statement
    // texts are ever prepared. Chosen when Microsoft.Data.Sqlite bound each parameter by name, a linear search in
    // SQLite whose cost grows with the square of a statement's parameters (32-row statements spent more in strncmp
    // than they saved); SQLite now binds these by position (dialect.PrepareRows, decision 0313).
    static readonly int[] RowGroups = [8, 1];

    readonly Dictionary<string, RowStatement> _statements = new(StringComparer.Ordinal);

    /// <summary>Builds a <see cref="RowSet"/> from rows, with <paramref name="fill"/> writing one row's values at an index.</summary>
    public RowSet Rows<T>(RowsSql table, IReadOnlyList<T> rows, Action<T, object?[], int> fill)
    {
        var names = table.SharedNames;
        var width = table.RowParameters.Length;
        var values = new object?[names.Length + rows.Count * width];
        for (var i = 0; i < names.Length; i++) values[i] = shared(names[i]);
        for (var r = 0; r < rows.Count; r++) fill(rows[r], values, names.Length + r * width);
        return new RowSet(table, values, rows.Count);
    }

    /// <summary>Writes every set (empty ones are skipped), in order, then runs <paramref name="after"/> if given.</summary>
    public async Task WriteAsync(IReadOnlyList<RowSet> sets, SqlStep? after, CancellationToken ct)
    {
        var nonEmpty = sets.Where(s => s.Rows > 0).ToList();
        if (nonEmpty.Count == 0 && after is null) return;
        if (dialect.WritesRowArrays)
        {
            await dialect.WriteRowArraysAsync(w, nonEmpty, after, ct).ConfigureAwait(false);
            return;
        }
        foreach (var set in nonEmpty) await InsertGroupsAsync(set, ct).ConfigureAwait(false);
        if (after is not null) await Sql.ExecuteAsync(w.Connection, w.Transaction, after.Sql, ct, after.Parameters).ConfigureAwait(false);
    }

    async Task InsertGroupsAsync(RowSet set, CancellationToken ct)
    {
        var sharedCount = set.Table.SharedNames.Length;
        var width = set.Table.RowParameters.Length;
        var done = 0;
        foreach (var group in RowGroups)
        {
            for (; set.Rows - done >= group; done += group)
            {
                var (sql, names) = set.Table.For(group);
                var values = new object?[names.Length];
                Array.Copy(set.Values, values, sharedCount);
                Array.Copy(set.Values, sharedCount + done * width, values, sharedCount, group * width);
                if (!_statements.TryGetValue(sql, out var statement))
                {
                    statement = dialect.PrepareRows(w, sql, names);
                    _statements[sql] = statement;
                }
                await statement.ExecuteAsync(values, ct).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var statement in _statements.Values) await statement.DisposeAsync().ConfigureAwait(false);
        _statements.Clear();
    }
}
