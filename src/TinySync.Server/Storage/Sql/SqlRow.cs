using System.Data.Common;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// One row of a query run through <see cref="SqlDialect.EachRowAsync"/>: typed reads by ordinal, ids and times in the
/// dialect's representation. Valid only inside the callback that received it.
/// </summary>
internal abstract class SqlRow
{
    public abstract bool IsNull(int ordinal);

    public abstract long GetInt64(int ordinal);

    public virtual int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    public abstract bool GetBoolean(int ordinal);

    public abstract string GetString(int ordinal);

    public abstract byte[] GetBytes(int ordinal);

    public abstract Guid GetId(int ordinal);

    public abstract DateTimeOffset GetTime(int ordinal);

    public long? NullableInt64(int ordinal) => IsNull(ordinal) ? null : GetInt64(ordinal);
}

/// <summary>A <see cref="SqlRow"/> over an ADO.NET reader (every dialect; the default).</summary>
internal sealed class ReaderRow(DbDataReader reader, SqlDialect dialect) : SqlRow
{
    public override bool IsNull(int ordinal) => reader.IsDBNull(ordinal);

    public override long GetInt64(int ordinal) => reader.GetInt64(ordinal);

    public override int GetInt32(int ordinal) => reader.GetInt32(ordinal);

    public override bool GetBoolean(int ordinal) => reader.GetBoolean(ordinal);

    public override string GetString(int ordinal) => reader.GetString(ordinal);

    public override byte[] GetBytes(int ordinal) => (byte[])reader.GetValue(ordinal);

    public override Guid GetId(int ordinal) => dialect.ReadId(reader, ordinal);

    public override DateTimeOffset GetTime(int ordinal) => dialect.ReadTime(reader, ordinal);
}
