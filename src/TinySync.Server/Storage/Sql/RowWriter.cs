namespace TinySync.Server.Storage.Sql;

/// <summary>A statement run after the rows, in the same round trip where the dialect allows (e.g. the head update).</summary>
internal sealed record SqlStep(string Sql, (string Name, object? Value)[] Parameters);

/// <summary>
/// Writes a commit's buffered rows. Where the dialect writes arrays (PostgreSQL), every table's rows and the trailing
/// statement go to the database in one round trip (decision 0505); otherwise each table is written in statements of
/// <see cref="RowGroups"/> rows, prepared once per connection (its <see cref="StatementCache"/>, decisions 0308, 0313).
/// </summary>
internal sealed class RowWriter(SqlDialect dialect, WriteScope w, Func<string, object?> shared)
{
    // Rows per multi-row INSERT, largest first; a remainder goes in smaller statements, so only these few statement
    // texts are ever prepared. Chosen when Microsoft.Data.Sqlite bound each parameter by name, a linear search in
    // SQLite whose cost grows with the square of a statement's parameters (32-row statements spent more in strncmp
    // than they saved); SQLite now binds these by position (dialect.PrepareRows, decision 0313).
    static readonly int[] RowGroups = [8, 1];

    /// <summary>Builds a <see cref="RowSet"/> from rows, with <paramref name="fill"/> writing one row's values at an index.</summary>
    public RowSet Rows<T>(MultiRowInsert table, IReadOnlyList<T> rows, Action<T, object?[], int> fill)
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
                using var lease = StatementCache.Rent(w.Connection, sql, (c, text) => dialect.PrepareRows(c, text, names));
                await lease.Statement.ExecuteAsync(w.Transaction, values, ct).ConfigureAwait(false);
            }
        }
    }
}
