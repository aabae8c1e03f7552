using System.Buffers;
using System.Buffers.Text;
using System.Data.Common;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Storage.Sqlite;

/// <summary>
/// SQLite's <see cref="PreparedStatement"/>: a statement prepared once and driven through SQLite's C API, held by its
/// raw pointer for as long as it lives in its connection's <see cref="StatementCache"/>. Parameters are bound by
/// position, each name looked up once when the statement is prepared (decision 0313: Microsoft.Data.Sqlite looks every
/// name up at every execution, a linear search in SQLite); a column read is one call (decision 0219: through
/// Microsoft.Data.Sqlite it is two, each taking and releasing a SafeHandle). It runs on the connection it was prepared
/// on, inside whatever transaction that connection is in, and is reset after every run so nothing is left in progress.
/// </summary>
internal sealed unsafe partial class SqliteStatement : PreparedStatement
{
    readonly nint _db;
    readonly int[] _index;
    readonly Row _row = new();
    nint _statement;

    SqliteStatement(nint db, string sql, nint statement, int[] index) : base(sql)
    {
        _db = db;
        _statement = statement;
        _index = index;
    }

    /// <summary>Prepares <paramref name="sql"/> on <paramref name="connection"/>; its parameters are <paramref name="names"/>, in that order.</summary>
    public static SqliteStatement Prepare(DbConnection connection, string sql, IReadOnlyList<string> names)
    {
        var db = ((SqliteConnection)connection).Handle?.DangerousGetHandle() is { } h && h != 0
            ? h
            : throw new InvalidOperationException("the SQLite connection is not open");
        nint statement;
        var utf8 = Encoding.UTF8.GetBytes(sql);
        fixed (byte* p = utf8)
            Check(db, sqlite3_prepare_v3(db, p, utf8.Length, PreparePersistent, &statement, null));
        try
        {
            if (sqlite3_bind_parameter_count(statement) != names.Count)
                throw new InvalidOperationException($"the statement has {sqlite3_bind_parameter_count(statement)} parameters, not {names.Count}");
            var index = new int[names.Count];
            for (var i = 0; i < names.Count; i++)
            {
                fixed (byte* n = Encoding.UTF8.GetBytes(names[i] + "\0")) index[i] = sqlite3_bind_parameter_index(statement, n);
                if (index[i] <= 0) throw new InvalidOperationException($"the statement has no parameter {names[i]}");
            }
            return new SqliteStatement(db, sql, statement, index);
        }
        catch
        {
            sqlite3_finalize(statement);
            throw;
        }
    }

    /// <inheritdoc />
    public override Task ExecuteAsync(DbTransaction? tx, object?[] values, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            for (var i = 0; i < values.Length; i++) Bind(_index[i], values[i]);
            var rc = sqlite3_step(_statement);
            if (rc != SqliteDone) throw Error(_db, rc == SqliteRow ? SqliteMisuse : rc);
        }
        finally
        {
            sqlite3_reset(_statement); // its error, if any, was the step's, already thrown
        }
        return Task.CompletedTask; // SQLite runs synchronously whatever the API says
    }

    /// <summary>
    /// Runs the statement with the id as its one parameter (lowercase hyphenated text, as <see cref="SqliteDialect.Id"/>
    /// stores ids) and hands each row to <paramref name="row"/> until it returns false.
    /// </summary>
    public void Each(Guid id, Func<SqlRow, bool> row)
    {
        var text = stackalloc byte[36];
        if (!Utf8Formatter.TryFormat(id, new Span<byte>(text, 36), out var written, 'D') || written != 36)
            throw new InvalidOperationException("a UUID did not format as 36 characters");
        Check(_db, sqlite3_bind_text(_statement, _index[0], text, 36, Transient));
        try
        {
            _row.Statement = _statement;
            int rc;
            while ((rc = sqlite3_step(_statement)) == SqliteRow)
            {
                if (!row(_row)) break;
            }
            if (rc is not (SqliteRow or SqliteDone)) throw Error(_db, rc);
        }
        finally
        {
            _row.Statement = 0;
            sqlite3_reset(_statement);
        }
    }

    void Bind(int at, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                Check(_db, sqlite3_bind_null(_statement, at));
                break;
            case string s:
                BindText(at, s);
                break;
            case long l:
                Check(_db, sqlite3_bind_int64(_statement, at, l));
                break;
            case int n:
                Check(_db, sqlite3_bind_int64(_statement, at, n));
                break;
            case bool b:
                Check(_db, sqlite3_bind_int64(_statement, at, b ? 1 : 0)); // as Microsoft.Data.Sqlite binds a bool
                break;
            default:
                throw new ArgumentException($"no SQLite binding for a {value.GetType().Name}", nameof(value));
        }
    }

    // UTF-8 as Microsoft.Data.Sqlite encodes it (Encoding.UTF8), copied by SQLite (SQLITE_TRANSIENT).
    void BindText(int at, string s)
    {
        var max = Encoding.UTF8.GetMaxByteCount(s.Length) + 1;
        byte[]? rented = null;
        Span<byte> buffer = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            var n = Encoding.UTF8.GetBytes(s, buffer);
            fixed (byte* p = buffer) Check(_db, sqlite3_bind_text(_statement, at, p, n, Transient));
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (_statement == 0) return;
        sqlite3_finalize(_statement);
        _statement = 0;
    }

    static void Check(nint db, int rc)
    {
        if (rc != SqliteOk) throw Error(db, rc);
    }

    // The same exception Microsoft.Data.Sqlite throws, so SqliteDialect.IsTransient and IsUniqueViolation classify it alike.
    static SqliteException Error(nint db, int rc) =>
        new($"SQLite Error {rc}: '{Marshal.PtrToStringUTF8(sqlite3_errmsg(db))}'.", rc, sqlite3_extended_errcode(db));

    /// <summary>The current row of a statement <see cref="Each"/> steps.</summary>
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

    const int SqliteOk = 0, SqliteMisuse = 21, SqliteRow = 100, SqliteDone = 101, SqliteNull = 5;
    const uint PreparePersistent = 0x01;
    static readonly nint Transient = -1; // SQLITE_TRANSIENT: SQLite copies the bound bytes

    // The library Microsoft.Data.Sqlite loaded (SQLitePCLRaw's e_sqlite3): the same file, so the same instance.
    const string Lib = "e_sqlite3";

    [LibraryImport(Lib)] private static partial int sqlite3_prepare_v3(nint db, byte* sql, int bytes, uint flags, nint* statement, byte** tail);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_parameter_count(nint statement);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_parameter_index(nint statement, byte* name);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_text(nint statement, int index, byte* text, int bytes, nint destructor);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_int64(nint statement, int index, long value);
    [LibraryImport(Lib)] private static partial int sqlite3_bind_null(nint statement, int index);
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
