using TinySync.Core.Chunking;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;
using static TinySync.Server.Storage.Sql.OpResults;

namespace TinySync.Server.Storage.Sql;

/// <summary>
/// Where an op is checked on its own, before the database is asked anything: the fields its kind needs and only those,
/// valid paths, chunk hashes and counts (docs/protocol.md#operations), and names other platforms can hold (decision
/// 0318). Pure: the same op always gets the same answer. The rules that need the vault's state (containers, versions,
/// parents, chunks held) are <see cref="SyncBatch"/>'s.
/// </summary>
internal static class OpShape
{
    /// <summary>The rejection of a malformed op, or null when its shape is valid.</summary>
    public static OpResult? Check(Op op)
    {
        ArgumentNullException.ThrowIfNull(op);
        return CheckFields(op) ?? CheckPortable(op);
    }

    static OpResult? CheckFields(Op op)
    {
        if (!VaultPath.TryValidate(op.Path, out var error)) return Reject(op, RejectCodes.InvalidPath, $"path: {error}");
        if (op.Base < 0) return Reject(op, RejectCodes.InvalidOp, "base must be 0 (must not exist) or the item's version");
        var isPut = op.Kind == OpKind.Put;
        if (!isPut && (op.Size is not null || op.Chunks is not null || op.Executable is not null || op.Mtime is not null))
            return Reject(op, RejectCodes.InvalidOp, "size, chunks, executable and mtime belong to put ops only");
        if (op.Kind == OpKind.Move)
        {
            if (op.NewPath is null) return Reject(op, RejectCodes.InvalidOp, "a move needs new_path");
            if (!VaultPath.TryValidate(op.NewPath, out error)) return Reject(op, RejectCodes.InvalidPath, $"new_path: {error}");
        }
        else if (op.NewPath is not null)
        {
            return Reject(op, RejectCodes.InvalidOp, "new_path belongs to move ops only");
        }
        if (op.Seen is { } seen)
        {
            if (op.Kind != OpKind.Delete) return Reject(op, RejectCodes.InvalidOp, "seen belongs to delete ops only");
            if (seen < 0) return Reject(op, RejectCodes.InvalidOp, "seen must be 0 or more (the log seq through which the client's view is complete)");
        }
        if (op.Kind is OpKind.Delete or OpKind.Move && op.Base == 0)
            return Reject(op, RejectCodes.InvalidOp, $"a {(op.Kind == OpKind.Move ? "move" : "delete")} needs base = the item's current version");
        if (isPut)
        {
            if (op.Size is not { } size || size < 0) return Reject(op, RejectCodes.InvalidOp, "a put needs size (0 or more bytes)");
            if (op.Chunks is null) return Reject(op, RejectCodes.InvalidOp, "a put needs chunks (an empty list for an empty file)");
            foreach (var h in op.Chunks)
            {
                if (!ChunkHash.IsValid(h))
                    return Reject(op, RejectCodes.InvalidOp, $"'{Trunc(h ?? "null")}' is not a chunk hash: 64 lowercase hex characters of SHA-256");
            }
        }
        return null;
    }

    /// <summary>A name the op would create that other platforms cannot hold; deletes and move sources stay allowed, so old names can be cleaned up.</summary>
    static OpResult? CheckPortable(Op op)
    {
        var created = op.Kind switch
        {
            OpKind.Put or OpKind.Mkdir => op.Path,
            OpKind.Move => op.NewPath,
            _ => null,
        };
        if (created is null || PortableName.Check(created) is not { } rule) return null;
        return Reject(op, RejectCodes.NameNotPortable, $"{(op.Kind == OpKind.Move ? "new_path" : "path")}: {rule}; rename it to sync it");
    }
}
