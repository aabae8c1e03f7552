using TinySync.Client.Engine;
using TinySync.Client.Index;
using TinySync.Client.State;
using TinySync.Client.Status;

namespace TinySync.Client;

/// <summary>What <see cref="TinySyncClient.ChangeSelection"/> did.</summary>
/// <param name="From">The selection before.</param>
/// <param name="To">The selection asked for (saved unless <paramref name="Refused"/>).</param>
/// <param name="Refused">The unsynced item that made the change refused (nothing was changed), or null.</param>
public sealed record SelectionOutcome(Selection From, Selection To, UnsyncedItem? Refused);

public sealed partial class TinySyncClient
{
    /// <summary>The selection of a link (decision 0453).</summary>
    public Selection GetSelection(Link link) => Selection.Load(State.LinkStateDirectory(link));

    /// <summary>
    /// Saves a new selection for <paramref name="link"/> once nothing it leaves out is unsynced on disk; otherwise
    /// changes nothing and names the first such item (decision 0454). The engine applies it at its next round.
    /// </summary>
    public SelectionOutcome ChangeSelection(Link link, Selection to, CancellationToken ct = default)
    {
        var dir = State.LinkStateDirectory(link);
        var from = Selection.Load(dir);
        var refused = SelectionCheck.FirstUnsynced(link, dir, from, to, fs, ct);
        if (refused is not null) return new SelectionOutcome(from, to, refused);
        State.EnsureWritable();
        to.Save(dir);
        return new SelectionOutcome(from, to, null);
    }

    /// <summary>Syncs one link until converged (or the round limit), recording the cycle like <c>sync</c> does.</summary>
    public async Task<LinkResult> SyncLinkAsync(Link link, ISyncObserver observer, CancellationToken ct = default)
    {
        var identity = State.RequireIdentity();
        using var api = Api(identity);
        api.Retrying += observer.Retrying;
        return await RunLinkAsync(link, api, identity.DisplayName, observer, null, ct).ConfigureAwait(false);
    }

    // One link's cycle with its activity record (what `status` shows), for `sync` and `select`.
    async Task<LinkResult> RunLinkAsync(Link link, Api.DeviceApiClient api, string deviceName, ISyncObserver observer, SyncStats? stats, CancellationToken ct)
    {
        var activity = new LinkActivity(observer);
        using var engine = new LinkSync(link, State.LinkStateDirectory(link), api, deviceName, fs, activity, stats);
        activity.Begin();
        LinkResult result;
        try
        {
            result = await engine.SyncAsync(ct: ct).ConfigureAwait(false);
        }
        catch (ClientException e) when (e is ServerUnavailableException or ServerInconsistentException or IndexUnavailableException)
        {
            State.SaveLastSync(link, activity.Failed(e.Message));
            throw;
        }
        State.RecordCycle(link, engine, activity.Complete(result));
        return result;
    }
}
