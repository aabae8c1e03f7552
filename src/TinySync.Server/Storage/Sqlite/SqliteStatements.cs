using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Sqlite;

/// <summary>
/// The statements of every authenticated request (credential lookup, <c>/v1/me</c>) on one pooled connection,
/// prepared once and driven through SQLite's C API (decision 0219). Through Microsoft.Data.Sqlite each column read
/// costs two calls into SQLite (type, then value), and each call takes and releases the statement's SafeHandle (two
/// interlocked operations): about a tenth of the server's CPU per request went there. Here the statement is held by
/// its raw pointer for as long as the connection lives, and a column is one call. The connection is used by one
/// request at a time (the dialect's pool), so nothing here locks.
/// </summary>
internal sealed unsafe partial class SqliteStatements(SqliteConnection connection)
{
    // A handful of statements (the callers pass constant SQL texts): a list searched by reference first is cheaper than
    // hashing a statement of a thousand characters on every call.
    readonly List<Prepared> _prepared = [];
    readonly Row _row = new();

    /// <summary>Runs <paramref name="sql"/> with the id bound to <paramref name="parameter"/>; each row to <paramref name="row"/> until it returns false.</summary>
    public void Each(string sql, string parameter, Guid id, Func<SqlRow, bool> row)
    {
        var db = Db();
        var prepared = Find(sql, parameter) ?? Prepare(db, sql, parameter);
        var statement = prepared.Statement;
        // Ids are lowercase hyphenated text in SQLite (SqliteDialect.Id): the same 36 bytes, bound as a copy.
        var text = stackalloc byte[36];
        if (!Utf8Formatter.TryFormat(id, new Span<byte>(text, 36), out var written, 'D') || written != 36)
            throw new InvalidOperationException("a UUID did not format as 36 characters");
        Check(db, sqlite3_bind_text(statement, prepared.Index, text, 36, Transient));
        try
        {
            _row.Statement = statement;
            int rc;
            while ((rc = sqlite3_step(statement)) == SqliteRow)
            {
                if (!row(_row)) break;
            }
            if (rc is not (SqliteRow or SqliteDone)) throw Error(db, rc);
        }
        finally
        {
            _row.Statement = 0;
            sqlite3_reset(statement); // repeats the step's error code, already thrown
        }
    }

    /// <summary>Finalizes every statement; called before the connection closes.</summary>
    public void Release()
    {
        foreach (var prepared in _prepared) sqlite3_finalize(prepared.Statement);
        _prepared.Clear();
    }

    sealed record Prepared(string Sql, string Parameter, nint Statement, int Index);

    Prepared? Find(string sql, string parameter)
    {
        foreach (var p in _prepared)
        {
            if (ReferenceEquals(p.Sql, sql) && ReferenceEquals(p.Parameter, parameter)) return p;
        }
        foreach (var p in _prepared)
        {
            if (string.Equals(p.Sql, sql, StringComparison.Ordinal) && string.Equals(p.Parameter, parameter, StringComparison.Ordinal)) return p;
        }
        return null;
    }

    nint Db() => connection.Handle?.DangerousGetHandle() is { } db && db != 0
        ? db
        : throw new InvalidOperationException("the SQLite connection is not open");

    Prepared Prepare(nint db, string sql, string parameter)
    {
        nint statement;
        var utf8 = Encoding.UTF8.GetBytes(sql);
        fixed (byte* p = utf8)
            Check(db, sqlite3_prepare_v3(db, p, utf8.Length, PreparePersistent, &statement, null));
        var name = Encoding.UTF8.GetBytes(parameter + "\0");
        int index;
        fixed (byte* n = name) index = sqlite3_bind_parameter_index(statement, n);
        if (index <= 0)
        {
            sqlite3_finalize(statement);
            throw new InvalidOperationException($"the statement has no parameter {parameter}");
        }
        var prepared = new Prepared(sql, parameter, statement, index);
        _prepared.Add(prepared);
        return prepared;
    }

    static void Check(nint db, int rc)
    {
        if (rc != SqliteOk) throw Error(db, rc);
    }

    // The same exception Microsoft.Data.Sqlite throws, so SqliteDialect.IsTransient classifies it alike (503 on BUSY).
    static SqliteException Error(nint db, int rc) =>
        new($"SQLite Error {rc}: '{Marshal.PtrToStringUTF8(sqlite3_errmsg(db))}'.", rc, sqlite3_extended_errcode(db));

    /// <summary>The current row of a statement this class steps.</summary>
    sealed class Row : SqlRow
    {
        public nint Statement;

        public override bool IsNull(int ordinal) => sqlite3_column_type(Statement, ordinal) == SqliteNull;

        // The statements read here never ask for a number from a NULL column (they check IsNull first).
        public override long GetInt64(int ordinal) => sqlite3_column_int64(Statement, ordinal);

        public override bool GetBoolean(int ordinal) => sqlite3_column_int64(Statement, ordinal) != 0;

        public override string GetString(int ordinal) => Encoding.UTF8.GetString(Text(ordinal));

        public override byte[] GetBytes(int ordinal)
        {
            var blob = sqlite3_column_blob(Statement, ordinal);
            if (blob == null && sqlite3_column_type(Statement, ordinal) == SqliteNull) throw Null(ordinal);
            return new ReadOnlySpan<byte>(blob, sqlite3_column_bytes(Statement, ordinal)).ToArray();
        }

        public override Guid GetId(int ordinal) =>
            Utf8Parser.TryParse(Text(ordinal), out Guid id, out var consumed, 'D') && consumed == 36
                ? id
                : throw new FormatException($"column {ordinal} is not a UUID");

        public override DateTimeOffset GetTime(int ordinal) => SqliteDialect.TimeFrom(sqlite3_column_int64(Statement, ordinal));

        ReadOnlySpan<byte> Text(int ordinal)
        {
            var text = sqlite3_column_text(Statement, ordinal);
            if (text == null) throw Null(ordinal);
            return new ReadOnlySpan<byte>(text, sqlite3_column_bytes(Statement, ordinal));
        }

        static InvalidCastException Null(int ordinal) => new($"column {ordinal} is NULL");
    }

    const int SqliteOk = 0, SqliteRow = 100, SqliteDone = 101, SqliteNull = 5;
    const uint PreparePersistent = 0x01;
    static readonly nint Transient = -1; // SQLITE_TRANSIENT: SQLite copies the bound bytes

    // The library Microsoft.Data.Sqlite loaded (SQLitePCLRaw's e_sqlite3): the same file, so the same instance.
    const string Lib = "e_sqlite3";

    [LibraryImport(Lib)] private static partial int sqlite3_prepare_v3(nint db, byte* sql, int bytes, uint flags, nint* statement, byte** tail);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_parameter_index(nint statement, byte* name);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_text(nint statement, int index, byte* text, int bytes, nint destructor);
    [LibraryImport(Lib)] private static partial int sqlite3_step(nint statement);
    [LibraryImport(Lib)] private static partial int sqlite3_reset(nint statement);
    [LibraryImport(Lib)] private static partial int sqlite3_finalize(nint statement);
    [LibraryImport(Lib)] private static partial int sqlite3_column_type(nint statement, int column);
    [LibraryImport(Lib)] private static partial long sqlite3_column_int64(nint statement, int column);
    [LibraryImport(Lib)] private static partial byte* sqlite3_column_text(nint statement, int column);
    [LibraryImport(Lib)] private static partial byte* sqlite3_column_blob(nint statement, int column);
    [LibraryImport(Lib)] private static partial int sqlite3_column_bytes(nint statement, int column);
    [LibraryImport(Lib)] private static partial nint sqlite3_errmsg(nint db);
    [LibraryImport(Lib)] private static partial int sqlite3_extended_errcode(nint db);
}
