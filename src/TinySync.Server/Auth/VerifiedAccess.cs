using System.Collections.Concurrent;
using System.Security.Cryptography;
using TinySync.Server.Signals;

namespace TinySync.Server.Auth;

/// <summary>
/// Endpoint metadata: the route's write transaction checks the device and its reach again and answers what the
/// filters would (decision 0220), so its filters may take a recent positive answer instead of asking the database
/// (decision 0507). Only <c>POST /v1/vaults/{vid}/ops</c> carries it.
/// </summary>
public sealed class AccessCheckedAtWrite
{
    /// <summary>The one instance.</summary>
    public static readonly AccessCheckedAtWrite Instance = new();

    AccessCheckedAtWrite()
    {
    }
}

/// <summary>
/// Recent positive answers of the checks in front of a vault route: this device's token hash was verified against the
/// database, the device was live and reached this vault. Never an authorization on its own: only routes marked
/// <see cref="AccessCheckedAtWrite"/> use it, to skip the database round trip before reading the body; their write
/// transaction decides. Entries go on every revocation and access change this node hears (its own and other nodes'
/// through the signal bus), after <see cref="Lifetime"/> at most, and all at once past <see cref="MaxEntries"/>.
/// A token whose hash differs from the remembered one is never confirmed here.
/// </summary>
public sealed class VerifiedAccess
{
    /// <summary>How long a positive answer is used at most (a backstop: signals evict it sooner).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>Entries kept at most; past it every entry is dropped.</summary>
    public const int MaxEntries = 10_000;

    readonly ConcurrentDictionary<(Guid Device, Guid Vault), (byte[] Hash, long At)> _entries = new();
    readonly TimeProvider _clock;
    long _generation;

    /// <summary>Subscribes to the revocations and access changes of <paramref name="signals"/>.</summary>
    public VerifiedAccess(ISignalBus signals, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(signals);
        _clock = clock;
        signals.Revoked += ForgetDevice;
        signals.AccessChanged += ForgetAll;
    }

    /// <summary>The value to pass to <see cref="Remember"/>, read before the database was asked.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>True when the device presenting <paramref name="presentedHash"/> was recently verified for the vault.</summary>
    public bool Confirms(Guid deviceId, Guid vaultId, ReadOnlySpan<byte> presentedHash)
    {
        if (!_entries.TryGetValue((deviceId, vaultId), out var e)) return false;
        if (_clock.GetTimestamp() - e.At > Lifetime.TotalSeconds * _clock.TimestampFrequency) return false;
        return CryptographicOperations.FixedTimeEquals(e.Hash, presentedHash);
    }

    /// <summary>
    /// Remembers a positive answer the database gave, unless a revocation or an access change was heard since
    /// <paramref name="generation"/> was read (the answer may predate it).
    /// </summary>
    public void Remember(Guid deviceId, Guid vaultId, byte[] hash, long generation)
    {
        if (_entries.Count >= MaxEntries) ForgetAll();
        var at = _clock.GetTimestamp();
        _entries[(deviceId, vaultId)] = (hash, at);
        // A signal that arrived between the database's answer and this line must win: undo, it may have missed it.
        if (Generation != generation) _entries.TryRemove((deviceId, vaultId), out _);
    }

    void ForgetDevice(Guid deviceId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var key in _entries.Keys)
        {
            if (key.Device == deviceId) _entries.TryRemove(key, out _);
        }
    }

    void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
