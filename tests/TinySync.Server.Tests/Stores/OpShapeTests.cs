using TinySync.Core.Contracts;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Tests.Stores;

/// <summary>
/// <see cref="OpShape"/> alone, without a database: each rule it enforces, a valid op of each kind passing, and the
/// rejection naming the rule (code and detail) so a client can fix its op.
/// </summary>
public sealed class OpShapeTests
{
    static readonly string Hash = new('a', 64);

    static Op Put(string path = "dir/f.txt") => new()
    {
        OpId = Guid.NewGuid(), Kind = OpKind.Put, Path = path, Base = 0, Size = 3, Chunks = [Hash], Executable = false,
        Mtime = DateTimeOffset.UnixEpoch,
    };

    static Op Of(OpKind kind, string path = "dir/x", long @base = 7) => new() { OpId = Guid.NewGuid(), Kind = kind, Path = path, Base = @base };

    public static TheoryData<string, Op, string, string> Malformed => new()
    {
        { "an invalid path", Put("../up"), RejectCodes.InvalidPath, "path: " },
        { "a negative base", Put() with { Base = -1 }, RejectCodes.InvalidOp, "base must be 0" },
        { "a size on a mkdir", Of(OpKind.Mkdir, @base: 0) with { Size = 1 }, RejectCodes.InvalidOp, "belong to put ops only" },
        { "chunks on a delete", Of(OpKind.Delete) with { Chunks = [] }, RejectCodes.InvalidOp, "belong to put ops only" },
        { "an executable bit on a move", Of(OpKind.Move) with { NewPath = "y", Executable = true }, RejectCodes.InvalidOp, "belong to put ops only" },
        { "an mtime on a mkdir", Of(OpKind.Mkdir, @base: 0) with { Mtime = DateTimeOffset.UnixEpoch }, RejectCodes.InvalidOp, "belong to put ops only" },
        { "a move without new_path", Of(OpKind.Move), RejectCodes.InvalidOp, "a move needs new_path" },
        { "a move to an invalid path", Of(OpKind.Move) with { NewPath = "a//b" }, RejectCodes.InvalidPath, "new_path: " },
        { "new_path on a put", Put() with { NewPath = "y" }, RejectCodes.InvalidOp, "new_path belongs to move ops only" },
        { "seen on a put", Put() with { Seen = 3 }, RejectCodes.InvalidOp, "seen belongs to delete ops only" },
        { "a negative seen", Of(OpKind.Delete) with { Seen = -1 }, RejectCodes.InvalidOp, "seen must be 0 or more" },
        { "a delete of nothing (base 0)", Of(OpKind.Delete, @base: 0), RejectCodes.InvalidOp, "a delete needs base" },
        { "a move of nothing (base 0)", Of(OpKind.Move, @base: 0) with { NewPath = "y" }, RejectCodes.InvalidOp, "a move needs base" },
        { "a put without size", Put() with { Size = null }, RejectCodes.InvalidOp, "a put needs size" },
        { "a put with a negative size", Put() with { Size = -5 }, RejectCodes.InvalidOp, "a put needs size" },
        { "a put without chunks", Put() with { Chunks = null }, RejectCodes.InvalidOp, "a put needs chunks" },
        { "an uppercase chunk hash", Put() with { Chunks = [Hash.ToUpperInvariant()] }, RejectCodes.InvalidOp, "is not a chunk hash" },
        { "a short chunk hash", Put() with { Chunks = ["abc"] }, RejectCodes.InvalidOp, "is not a chunk hash" },
        { "a null chunk hash", Put() with { Chunks = [null!] }, RejectCodes.InvalidOp, "'null' is not a chunk hash" },
        { "a put of a Windows device name", Put("dir/CON.txt"), RejectCodes.NameNotPortable, "path: " },
        { "a mkdir ending in a dot", Of(OpKind.Mkdir, "dir/name.", 0), RejectCodes.NameNotPortable, "path: " },
        { "a move to a name with a colon", Of(OpKind.Move) with { NewPath = "a:b" }, RejectCodes.NameNotPortable, "new_path: " },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_op_is_rejected_with_the_rule_it_breaks(string what, Op op, string code, string detail)
    {
        var result = OpShape.Check(op).ShouldNotBeNull(what);
        result.OpId.ShouldBe(op.OpId);
        result.Status.ShouldBe(OpStatus.Rejected);
        result.Code.ShouldBe(code, what);
        result.Detail.ShouldNotBeNull().ShouldContain(detail, Case.Sensitive, what);
        result.Seq.ShouldBeNull();
    }

    [Fact]
    public void A_long_bad_chunk_hash_is_quoted_cut_short()
    {
        var detail = OpShape.Check(Put() with { Chunks = [new string('z', 500)] }).ShouldNotBeNull().Detail.ShouldNotBeNull();
        detail.ShouldContain(new string('z', 80) + "…");
        detail.ShouldNotContain(new string('z', 81));
    }

    public static TheoryData<string, Op> WellFormed => new()
    {
        { "a put", Put() },
        { "an empty file", Put() with { Size = 0, Chunks = [], Executable = null, Mtime = null } },
        { "a mkdir", Of(OpKind.Mkdir, @base: 0) },
        { "a mkdir over a live directory", Of(OpKind.Mkdir, @base: 4) },
        { "a delete", Of(OpKind.Delete) },
        { "a delete with the client's view", Of(OpKind.Delete) with { Seen = 0 } },
        { "a delete of a name other platforms cannot hold", Of(OpKind.Delete, "CON") },
        { "a move away from such a name", Of(OpKind.Move, "a:b") with { NewPath = "ab" } },
        { "a move", Of(OpKind.Move) with { NewPath = "other/y" } },
    };

    [Theory]
    [MemberData(nameof(WellFormed))]
    public void A_well_formed_op_passes(string what, Op op) => OpShape.Check(op).ShouldBeNull(what);
}
