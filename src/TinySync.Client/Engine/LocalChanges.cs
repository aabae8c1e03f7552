using TinySync.Client.FileSystem;
using TinySync.Core.Contracts;
using TinySync.Core.Paths;

namespace TinySync.Client.Engine;

/// <summary>
/// Changes to the folder that write no file content: conflict copies (a rename aside), new folders, moves of a file
/// the server renamed, deletes, and the cleanup of temp files an interrupted download left. Each acts only when the
/// disk still holds what was scanned, is made durable, and only then is recorded in the index.
/// </summary>
internal sealed class LocalChanges(LinkContext cx)
{
    /// <summary>Deletes temp files an interrupted download left (the old file is in place).</summary>
    public void DeleteLeftoverTemps(IEnumerable<string> temps)
    {
        foreach (var temp in temps) cx.TryDelete(temp);
    }

    /// <summary>Renames the local version aside under its conflict name; the next round uploads it as a new file.</summary>
    public void ConflictCopy(ConflictRename c)
    {
        try
        {
            if (!cx.Fs.Stat(c.Path).SameAs(LinkContext.StatOf(c.Expected)) && c.Expected.Kind == ItemKind.File)
            {
                cx.Pending($"{c.Path} changed again while resolving a conflict; will retry");
                return;
            }
            cx.Fs.Rename(c.Path, c.NewPath, overwrite: false);
            cx.Fs.FlushParent(c.NewPath); // the copy's name durable before the index says where the local version went
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cx.Observer.Message(MessageLevel.Warning, $"cannot rename {cx.Abs(c.Path)} to keep a conflict copy ({e.Message}); will retry");
            cx.Pending($"conflict on {c.Path} not resolved yet");
            return;
        }
        using var batch = cx.Index.Begin();
        batch.DeleteLocal(c.Path);
        batch.PutLocal(c.Expected with { Path = c.NewPath });
        batch.Commit();
        cx.Stats.Conflict();
        cx.Observer.Message(MessageLevel.Warning, $"conflict: {c.Reason}; kept both, your version is now '{c.NewPath}'");
        cx.Observer.Done(new SyncEvent(SyncEventKind.Conflict, c.Path, 0, c.NewPath));
    }

    /// <summary>Creates a folder the server has (each new level durable in its parent before the index records it).</summary>
    public void MakeDirectory(LocalMkdir m)
    {
        var abs = cx.Abs(m.Path);
        try
        {
            var st = cx.Fs.Stat(m.Path);
            if (st.Kind is not (EntryKind.Missing or EntryKind.Directory))
            {
                cx.Pending($"{m.Path}: a {(st.Kind == EntryKind.Symlink ? "symbolic link" : "file")} is in the way of a directory; will retry");
                return;
            }
            cx.Fs.CreateDirectory(m.Path);
            st = cx.Fs.Stat(m.Path);
            using var batch = cx.Index.Begin();
            batch.PutLocal(new Index.LocalState { Path = m.Path, Kind = ItemKind.Dir, Inode = st.Inode, MtimeNs = st.MtimeNs });
            batch.PutBase(m.Remote);
            batch.Commit();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            cx.Observer.Message(MessageLevel.Warning, $"cannot create the folder {abs} ({e.Message}); will retry");
            cx.Pending($"{m.Path}: cannot create folder");
        }
    }

    /// <summary>
    /// Carries out a remote rename on disk. False when the source changed or the target is taken: then the caller
    /// downloads the new name and deletes the old one instead.
    /// </summary>
    public bool TryMove(LocalMove m)
    {
        string from = m.Path, to = m.NewPath;
        try
        {
            if (!cx.Fs.Stat(from).SameAs(LinkContext.StatOf(m.Expected)) || cx.Fs.Stat(to).Kind != EntryKind.Missing) return false;
            if (VaultPath.Parent(to) is { } parent) cx.Fs.CreateDirectory(parent);
            cx.Index.RecordPlacing([m.Remote]); // before the rename (0721)
            cx.Fs.Rename(from, to, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        try
        {
            if (m.Remote.Executable != m.Expected.Executable) cx.Fs.SetExecutable(to, m.Remote.Executable);
            // both names durable before the index records the move (a lost rename would read as a delete plus a new file)
            cx.Fs.FlushParent(to);
            if (!string.Equals(VaultPath.Parent(to), VaultPath.Parent(from), StringComparison.Ordinal)) cx.Fs.FlushParent(from);
            var st = cx.Fs.Stat(to);
            using var batch = cx.Index.Begin();
            batch.DeleteLocal(from);
            batch.DeleteBase(from);
            batch.PutLocal(m.Expected with { Path = to, MtimeNs = st.MtimeNs, Inode = st.Inode, Executable = st.Executable });
            batch.PutBase(m.Remote);
            batch.DeletePlacing(to);
            batch.Commit();
            cx.Observer.Done(new SyncEvent(SyncEventKind.Moved, from, 0, to));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // moved but not recorded: the next round finds the file at its new name and settles it with the server
            cx.Observer.Message(MessageLevel.Warning, $"cannot finish moving {cx.Abs(from)} to {cx.Abs(to)} ({e.Message}); will retry");
            cx.Pending($"{to}: move not yet durable; will retry");
            return true;
        }
    }

    /// <summary>
    /// Deletes what the server deleted, if it is still what was scanned (edit beats delete): files first, then
    /// folders deepest-first, and only empty ones (a folder with something new inside is kept and re-created remotely).
    /// </summary>
    public void Delete(IReadOnlyList<LocalDelete> deletes)
    {
        if (deletes.Count == 0) return;
        using var batch = cx.Index.Begin();
        foreach (var d in deletes.Where(d => d.Expected.Kind == ItemKind.File))
        {
            var abs = cx.Abs(d.Path);
            try
            {
                var st = cx.Fs.Stat(d.Path);
                if (st.Kind == EntryKind.Missing) { batch.DeleteLocal(d.Path); batch.DeleteBase(d.Path); continue; }
                if (!st.SameAs(LinkContext.StatOf(d.Expected)))
                {
                    cx.Pending(d.Unselected ? $"{d.Path} changed locally; kept (it is outside the selection and will not be uploaded)"
                        : $"{d.Path} changed locally; it will be kept (edit beats delete)");
                    continue;
                }
                cx.Fs.DeleteFile(d.Path);
                batch.DeleteLocal(d.Path);
                batch.DeleteBase(d.Path);
                cx.Observer.Done(new SyncEvent(d.Unselected ? SyncEventKind.Unselected : SyncEventKind.Deleted, d.Path, 0));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                cx.Observer.Message(MessageLevel.Warning, $"cannot delete {abs} ({e.Message}); will retry");
                cx.Pending($"{d.Path}: cannot delete");
            }
        }
        foreach (var d in deletes.Where(d => d.Expected.Kind == ItemKind.Dir).OrderByDescending(d => LinkContext.Depth(d.Path)))
        {
            var abs = cx.Abs(d.Path);
            try
            {
                if (cx.Fs.DeleteEmptyDirectory(d.Path))
                {
                    batch.DeleteLocal(d.Path);
                    batch.DeleteBase(d.Path);
                }
                else
                {
                    // something appeared inside (or ignored files live there): keep the folder, re-create it remotely
                    batch.DeleteBase(d.Path);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                cx.Observer.Message(MessageLevel.Warning, $"cannot delete the folder {abs} ({e.Message}); will retry");
            }
        }
        batch.Commit();
    }
}
