using TinySync.Core.Contracts;

namespace TinySync.Server.Storage.Sql;

/// <summary>The results an op can get from a commit (docs/protocol.md#operations), built in one place.</summary>
internal static class OpResults
{
    public static OpResult Committed(Op op, long seq) => new() { OpId = op.OpId, Status = OpStatus.Committed, Seq = seq };

    public static OpResult Conflict(Op op, Item? current) => new() { OpId = op.OpId, Status = OpStatus.Conflict, Current = current };

    public static OpResult Reject(Op op, string code, string detail) => new() { OpId = op.OpId, Status = OpStatus.Rejected, Code = code, Detail = detail };

    /// <summary>A value quoted in a detail, cut at 80 characters.</summary>
    public static string Trunc(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
