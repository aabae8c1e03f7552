using TinySync.Core.Durability;

namespace TinySync.Testing;

/// <summary>
/// A durability batch over a real one (decision 0015's seam) that calls <paramref name="before"/> ahead of each barrier
/// and move (throw there to inject a failing disk) and <paramref name="after"/> once the real step succeeded (to record
/// the order). The step names are <c>flushfiles</c>, <c>move</c> (with the target) and <c>flushdirs</c>.
/// </summary>
/// <param name="inner">The real batch.</param>
/// <param name="before">Called with the step and its paths before it runs.</param>
/// <param name="after">Called with the step and its paths after it succeeded.</param>
public sealed class HookedDurabilityBatch(IDurabilityBatch inner, Action<string, IReadOnlyList<string>>? before = null,
    Action<string, IReadOnlyList<string>>? after = null) : IDurabilityBatch
{
    /// <inheritdoc/>
    public void StartWriteback(FileStream file, long offset, long count) => inner.StartWriteback(file, offset, count);

    /// <inheritdoc/>
    public void FlushFiles(IReadOnlyList<string> files, CancellationToken ct) => Step("flushfiles", files, () => inner.FlushFiles(files, ct));

    /// <inheritdoc/>
    public void Move(string from, string to) => Step("move", [to], () => inner.Move(from, to));

    /// <inheritdoc/>
    public void FlushDirectories(IReadOnlyList<string> directories, CancellationToken ct) =>
        Step("flushdirs", directories, () => inner.FlushDirectories(directories, ct));

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();

    void Step(string step, IReadOnlyList<string> paths, Action run)
    {
        before?.Invoke(step, paths);
        run();
        after?.Invoke(step, paths);
    }
}
