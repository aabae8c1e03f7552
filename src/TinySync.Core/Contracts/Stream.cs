namespace TinySync.Core.Contracts;

// Wake-hint stream messages (docs/protocol.md#stream). Hints carry no data: the client reacts by reading the log.

/// <summary>Client → server: subscribe to vaults.</summary>
public sealed record SubscribeMessage(IReadOnlyList<Guid> Subscribe);

/// <summary>Server → client: which subscriptions were accepted.</summary>
public sealed record SubscribedMessage(IReadOnlyList<Guid> Subscribed, IReadOnlyList<Guid> Denied);

/// <summary>Server → client: vault <c>Vault</c> has reached <c>Head</c>.</summary>
public sealed record HintMessage(Guid Vault, long Head);

/// <summary>WebSocket close codes used by the stream.</summary>
public static class StreamCloseCodes
{
    /// <summary>The device was revoked (or its token is no longer valid).</summary>
    public const int Revoked = 4401;
}
