using System.Globalization;
using System.Text;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// A multi-row INSERT described once for every dialect: the table, its columns, one row's value template (<c>#</c>
/// stands for the row's number, <c>@v</c>, <c>@d</c> and <c>@t</c> are values every row shares) and a suffix such
/// as an <c>ON CONFLICT</c> clause. SQLite runs it as statements of a few rows each; PostgreSQL as one statement
/// over arrays (<see cref="SqlDialect.WriteRowArraysAsync"/>).
/// </summary>
internal sealed class MultiRowInsert(string table, string columns, string rowTemplate, string suffix, string[] rowParameters)
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
/// Rows for one <see cref="MultiRowInsert"/>: <see cref="Values"/> holds the shared values (in <see cref="MultiRowInsert.SharedNames"/>
/// order), then each row's values (in <see cref="MultiRowInsert.RowParameters"/> order), row after row.
/// </summary>
internal sealed record RowSet(MultiRowInsert Table, object?[] Values, int Rows);
