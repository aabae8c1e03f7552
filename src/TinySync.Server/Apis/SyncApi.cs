using System.Globalization;
using System.Text;
using TinySync.Core.Contracts;
using TinySync.Core.Identity;
using TinySync.Core.Paths;
using TinySync.Server.Auth;
using TinySync.Server.Hosting;
using TinySync.Server.Http;
using TinySync.Server.Observability;
using TinySync.Server.Signals;
using TinySync.Server.Storage;
using TinySync.Server.Storage.Sql;

namespace TinySync.Server.Apis;

/// <summary>
/// The change log, mutations, the live tree, the history of an item and the deleted files (docs/protocol.md#device-api). Device token, and only for vaults
/// the device reaches (404 otherwise, the same as for unknown vaults).
/// </summary>
public static class SyncApi
{
    /// <summary>Largest ops body: 1000 ops with long paths and many chunks fit.</summary>
    public const long MaxOpsBodyBytes = 16 * 1024 * 1024;

    /// <summary>Default and largest page of the log and the tree.</summary>
    public const int DefaultPage = 1000, MaxPage = 10_000;

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapSyncApi(this IEndpointRouteBuilder app)
    {
        var vault = app.MapGroup("/v1/vaults/{vid}").RequireDevice().RequireVaultAccess().WithTags("Sync");
        vault.MapPost("/ops", Commit).WithName("commitOps").WithSummary("Commit a batch of ops (idempotent by op id)").Accepts<OpsRequest>("application/json").Produces<OpsResponse>();
        vault.MapGet("/log", ReadLog).WithName("readLog").WithSummary("Read the change log after a cursor").Produces<LogPage>();
        vault.MapGet("/tree", ReadTree).WithName("readTree").WithSummary("Read the live tree of a container, page by page").Produces<TreePage>();
        vault.MapGet("/history", ReadHistory).WithName("readHistory").Produces<HistoryPage>()
            .WithSummary("The retained versions of an item, newest first, followed back across moves of the item and of its folders")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        vault.MapGet("/deleted", ReadDeleted).WithName("readDeleted").Produces<DeletedPage>()
            .WithSummary("The deleted files still restorable within the retention window, in path order, optionally under a folder")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    static async Task<IResult> Commit(HttpContext http, IStore store, ISignalBus signals, TimeProvider clock, ServerMetrics metrics, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<OpsRequest>(http, ct, MaxOpsBodyBytes);
        if (problem is not null) return problem;
        if (body!.Ops.Count > SqlStore.MaxBatchOps)
            return Problems.BadRequest(ProblemCodes.BatchTooLarge, $"the batch has {body.Ops.Count} ops; send at most {SqlStore.MaxBatchOps} per request");
        for (var i = 0; i < body.Ops.Count; i++)
        {
            if (body.Ops[i] is null) return Problems.BadRequest(ProblemCodes.InvalidJson, $"ops[{i}] is null; send an op object");
        }
        if (SqlStore.FirstRepeatedOpId(body.Ops) is { } repeated)
            return Problems.BadRequest(ProblemCodes.DuplicateOpId, $"op_id {repeated} appears more than once in the batch; nothing was applied: give every op its own op_id");
        var vaultId = http.VaultId();
        var outcome = await store.CommitAsync(vaultId, http.Device().DeviceId, body.Ops, clock.GetUtcNow(), ct);
        if (outcome is null) return VaultAccess.NotFound(vaultId);
        if (outcome.Advanced) signals.PublishCommit(vaultId, outcome.Head);
        metrics.Committed(outcome.Results);
        return TypedResults.Ok(new OpsResponse(outcome.Results, outcome.Head));
    }

    static async Task<IResult> ReadLog(string? after, string? limit, HttpContext http, IStore store, CancellationToken ct)
    {
        long from = 0;
        if (after is not null && !long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out from))
            return Problems.BadRequest(ProblemCodes.InvalidArgument, "after must be a non-negative integer: the last seq you applied (0 for the start)");
        if (!TryPage(limit, out var n, out var problem)) return problem!;
        var vaultId = http.VaultId();
        // Written straight from the database reader to the response (decision 0309); nothing is written when the
        // vault is unknown or the cursor is ahead, so those still answer with a problem.
        http.Response.ContentType = "application/json; charset=utf-8";
        var head = await store.WriteLogJsonAsync(vaultId, from, n, http.Response.BodyWriter, ct);
        if (head is null) return VaultAccess.NotFound(vaultId);
        if (from > head)
        {
            return Problems.BadRequest(ProblemCodes.CursorAhead,
                $"after={from} is beyond this vault's head ({head}): the server does not know that state; forget the local cursor and bootstrap again from GET /v1/vaults/{vaultId}/tree");
        }
        return Results.Empty;
    }

    static async Task<IResult> ReadTree(string? container, string? cursor, string? limit, HttpContext http, IStore store, CancellationToken ct)
    {
        container ??= ContainerName.Default;
        if (!ContainerName.IsValid(container))
            return Problems.BadRequest(ProblemCodes.InvalidContainerName, $"'{Problems.Truncate(container)}' is not a valid container name");
        if (!TryPage(limit, out var n, out var problem)) return problem!;
        string? afterKey = null;
        if (cursor is not null && !TryDecodeCursor(cursor, out afterKey))
            return Problems.BadRequest(ProblemCodes.InvalidArgument, "cursor is not one this server issued; pass the 'next' value of the previous page unchanged");
        var vaultId = http.VaultId();
        var page = await store.ReadTreeAsync(vaultId, container, afterKey, n, ct);
        if (page is null) return ContainerNotFound(vaultId, container);
        return TypedResults.Ok(new TreePage(page.Seq, page.Items, page.LastKey is { } k ? EncodeCursor(k) : null));
    }

    static async Task<IResult> ReadHistory(string? container, string? path, HttpContext http, IStore store, TinySyncOptions options,
        TimeProvider clock, CancellationToken ct)
    {
        container ??= ContainerName.Default;
        if (!ContainerName.IsValid(container))
            return Problems.BadRequest(ProblemCodes.InvalidContainerName, $"'{Problems.Truncate(container)}' is not a valid container name");
        if (!VaultPath.TryValidate(path, out var error)) return Problems.BadRequest(ProblemCodes.InvalidPath, $"path: {error}");
        var vaultId = http.VaultId();
        var versions = await store.ReadHistoryAsync(vaultId, container, path!, clock.GetUtcNow() - options.HistoryRetention, ct);
        if (versions is null) return ContainerNotFound(vaultId, container);
        return TypedResults.Ok(new HistoryPage(path!, versions));
    }

    static async Task<IResult> ReadDeleted(string? container, string? under, string? cursor, string? limit, HttpContext http, IStore store,
        TinySyncOptions options, TimeProvider clock, CancellationToken ct)
    {
        container ??= ContainerName.Default;
        if (!ContainerName.IsValid(container))
            return Problems.BadRequest(ProblemCodes.InvalidContainerName, $"'{Problems.Truncate(container)}' is not a valid container name");
        if (under is not null && !VaultPath.TryValidate(under, out var error)) return Problems.BadRequest(ProblemCodes.InvalidPath, $"under: {error}");
        if (!TryPage(limit, out var n, out var problem)) return problem!;
        string? afterKey = null;
        if (cursor is not null && !TryDecodeCursor(cursor, out afterKey))
            return Problems.BadRequest(ProblemCodes.InvalidArgument, "cursor is not one this server issued; pass the 'next' value of the previous page unchanged");
        var vaultId = http.VaultId();
        var page = await store.ReadDeletedAsync(vaultId, container, under, afterKey, n, clock.GetUtcNow() - options.HistoryRetention, ct);
        if (page is null) return ContainerNotFound(vaultId, container);
        return TypedResults.Ok(new DeletedPage(page.Entries, page.LastKey is { } k ? EncodeCursor(k) : null));
    }

    static IResult ContainerNotFound(Guid vaultId, string container) =>
        Problems.NotFound(ProblemCodes.ContainerNotFound, $"vault {vaultId} has no container '{container}'; GET /v1/me lists its containers");

    static bool TryPage(string? value, out int limit, out IResult? problem)
    {
        problem = null;
        limit = DefaultPage;
        if (value is null) return true;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxPage) return true;
        problem = Problems.BadRequest(ProblemCodes.InvalidArgument, $"limit must be an integer from 1 to {MaxPage}");
        return false;
    }

    // The cursor is the last path key of the page, opaque to clients (base64url of its UTF-8).
    static string EncodeCursor(string key) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(key));

    static bool TryDecodeCursor(string cursor, out string? key)
    {
        key = null;
        try
        {
            key = StrictUtf8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
            return key.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    static readonly UTF8Encoding StrictUtf8 = new(false, true);
}
