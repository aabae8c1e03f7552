using TinySync.Client.Index;

namespace TinySync.Client.Engine.Commit;

/// <summary>
/// The remote and base trees as commits update them. Moves and deletes need the whole trees (subtrees): those are
/// loaded once per upload phase (not per batch), on the first batch that holds one. Puts and mkdirs only need the
/// live path with the same key and its version: until the trees are loaded, a <see cref="KeyMap"/> per tree stands
/// in for each and their rows go straight to the index, so an upload of new files holds no items (decision 0414).
/// Each batch writes its rows before the next one starts, so trees loaded later from the index are the same.
/// </summary>
internal sealed class CommitModels(LinkIndex index, int upserts)
{
    RemoteTreeModel? _remote, _base;
    KeyMap? _remoteKeys, _baseKeys;

    public bool TreesLoaded => _remote is not null;

    public RemoteTreeModel Remote
    {
        get
        {
            if (_remote is null)
            {
                _remoteKeys = _baseKeys = null;
                _remote = new RemoteTreeModel(index.LoadRemote());
            }
            return _remote;
        }
    }

    public RemoteTreeModel Base => _base ??= new RemoteTreeModel(index.LoadBase(Remote.Items));

    public KeyMap RemoteKeys => _remoteKeys ??= new KeyMap(index.RemoteVersions(), upserts);

    /// <summary>The remote map itself when the base holds the same paths and versions (a synced folder): the same
    /// upserts then give both trees the same rows.</summary>
    public KeyMap BaseKeys => _baseKeys ??= RemoteKeys.Holds(index.BaseVersions()) ? RemoteKeys : new KeyMap(index.BaseVersions(), upserts);
}
