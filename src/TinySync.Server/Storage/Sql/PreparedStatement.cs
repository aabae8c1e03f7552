using System.Data.Common;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// A statement prepared once on one connection and run many times: the one kind of thing a <see cref="StatementCache"/>
/// holds. <see cref="CommandStatement"/> is the portable one (an ADO.NET command, parameters by name); SQLite's
/// <c>SqliteStatement</c> drives SQLite's C API and binds by position (decisions 0219, 0313).
/// </summary>
internal abstract class PreparedStatement(string sql) : IDisposable
{
    /// <summary>The statement's text: its key in the connection's cache.</summary>
    public string Sql { get; } = sql;

    /// <summary>
    /// Runs the statement once, inside <paramref name="tx"/> (null outside a transaction), with every parameter's value
    /// (null for SQL NULL) in the order of the names it was prepared with.
    /// </summary>
    public abstract Task ExecuteAsync(DbTransaction? tx, object?[] values, CancellationToken ct);

    /// <inheritdoc />
    public abstract void Dispose();
}

/// <summary>The portable <see cref="PreparedStatement"/>: one ADO.NET command, reused with new bindings.</summary>
internal sealed class CommandStatement : PreparedStatement
{
    public CommandStatement(DbConnection connection, string sql, IReadOnlyList<string> names) : base(sql)
    {
        Command = connection.CreateCommand();
        Command.CommandText = sql;
        foreach (var name in names)
        {
            var p = Command.CreateParameter();
            p.ParameterName = name;
            Command.Parameters.Add(p);
        }
    }

    /// <summary>The command; <see cref="Bind"/> it before running it directly.</summary>
    public DbCommand Command { get; }

    /// <summary>Sets the transaction and the parameters (any names: the prepared statement survives a change of bindings).</summary>
    public DbCommand Bind(DbTransaction? tx, (string Name, object? Value)[] parameters)
    {
        Command.Transaction = tx;
        var same = Command.Parameters.Count == parameters.Length;
        for (var i = 0; same && i < parameters.Length; i++) same = Command.Parameters[i].ParameterName == parameters[i].Name;
        if (!same)
        {
            Command.Parameters.Clear();
            foreach (var (name, _) in parameters)
            {
                var p = Command.CreateParameter();
                p.ParameterName = name;
                Command.Parameters.Add(p);
            }
        }
        for (var i = 0; i < parameters.Length; i++) Command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
        return Command;
    }

    /// <inheritdoc />
    public override Task ExecuteAsync(DbTransaction? tx, object?[] values, CancellationToken ct)
    {
        Command.Transaction = tx;
        for (var i = 0; i < values.Length; i++) Command.Parameters[i].Value = values[i] ?? DBNull.Value;
        return Command.ExecuteNonQueryAsync(ct);
    }

    /// <inheritdoc />
    public override void Dispose() => Command.Dispose();
}
