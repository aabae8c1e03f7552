using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

public partial class SqlStore
{
    /// <inheritdoc />
    public async Task<AuditPage> ReadAuditAsync(long after, int limit, CancellationToken ct)
    {
        await using var c = await ReadAsync(ct).ConfigureAwait(false);
        var rows = await Sql.ListAsync(c, null,
            "SELECT seq, at, action, target, detail FROM audit_log WHERE seq > @after ORDER BY seq LIMIT @limit",
            r => new AuditEntry(r.GetInt64(0), Dialect.ReadTime(r, 1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : System.Text.Json.JsonDocument.Parse(r.GetString(4)).RootElement.Clone()),
            ct, ("@after", after), ("@limit", limit + 1)).ConfigureAwait(false);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(rows.Count - 1);
        var head = await Sql.ScalarAsync(c, null, "SELECT COALESCE(MAX(seq), 0) FROM audit_log", ct).ConfigureAwait(false);
        return new AuditPage(rows, Convert.ToInt64(head, System.Globalization.CultureInfo.InvariantCulture), more);
    }
}
