namespace TinySync.Server.Health;

/// <summary>
/// Whether the database has its schema: false only while a node that started without a reachable PostgreSQL waits
/// for it (<see cref="DeferredMigration"/>). Until then <see cref="ReadinessGate"/> answers API requests with 503.
/// </summary>
public sealed class StorageReadiness(bool migrated)
{
    volatile bool _migrated = migrated;
    volatile string? _problem;

    /// <summary>True once migrations are applied.</summary>
    public bool Migrated => _migrated;

    /// <summary>Why the node is not ready yet (names the setting, never a password).</summary>
    public string? Problem => _problem;

    /// <summary>Migrations applied: the node can serve.</summary>
    public void MarkMigrated()
    {
        _migrated = true;
        _problem = null;
    }

    /// <summary>Records why the database is not usable yet.</summary>
    public void Waiting(string problem) => _problem = problem;
}
