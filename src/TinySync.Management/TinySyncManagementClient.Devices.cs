using System.Runtime.CompilerServices;
using TinySync.Core.Contracts;

namespace TinySync.Management;

public sealed partial class TinySyncManagementClient
{
    /// <summary>
    /// <c>POST /v1/devices</c>: registers a device. The answer holds the raw device token, returned this once;
    /// hand it to the device and do not store it. Observers see it redacted. Not idempotent: retried only when the
    /// request certainly did not reach the server; on <see cref="TinySyncUnavailableException"/> a device may have
    /// been registered without the caller learning its token (it reaches nothing until added to a group).
    /// </summary>
    /// <param name="displayName">A display name, 1–200 characters, e.g. "Ada's laptop".</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DeviceRegistered> RegisterDeviceAsync(string displayName, CancellationToken cancellationToken = default) =>
        SendAsync<DeviceRegistered>(HttpMethod.Post, "/v1/devices", new RegisterDeviceRequest(displayName), idempotent: false, cancellationToken);

    /// <summary><c>GET /v1/devices</c>: one page of devices, oldest registration first.</summary>
    /// <param name="after">The <see cref="DevicePage.Next"/> of the previous page; null for the first.</param>
    /// <param name="limit">Page size, 1–1000; null for the server's default (100).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<DevicePage> ListDevicesAsync(Guid? after = null, int? limit = null, CancellationToken cancellationToken = default) =>
        SendAsync<DevicePage>(HttpMethod.Get, "/v1/devices" + Query(("after", after?.ToString("D")), ("limit", limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            null, idempotent: true, cancellationToken);

    /// <summary>Every device, page by page.</summary>
    /// <param name="pageSize">Page size, 1–1000.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<DeviceView> ListAllDevicesAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Guid? after = null;
        do
        {
            var page = await ListDevicesAsync(after, pageSize, cancellationToken).ConfigureAwait(false);
            foreach (var d in page.Devices) yield return d;
            after = page.Next;
        } while (after is not null);
    }

    /// <summary><c>GET /v1/devices/{did}</c>: one device with its groups, <c>last_seen_at</c> and <c>revoked_at</c>.</summary>
    /// <exception cref="TinySyncNotFoundException">No such device (<c>device_not_found</c>).</exception>
    public Task<DeviceView> GetDeviceAsync(Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync<DeviceView>(HttpMethod.Get, $"/v1/devices/{Id(deviceId)}", null, idempotent: true, cancellationToken);

    /// <summary>
    /// <c>POST /v1/devices/{did}/revoke</c>: revokes the device for good; its token fails with 401 from the next
    /// request on. Idempotent (revoking a revoked device changes nothing), so it is retried.
    /// </summary>
    /// <exception cref="TinySyncNotFoundException">No such device (<c>device_not_found</c>).</exception>
    public Task<DeviceView> RevokeDeviceAsync(Guid deviceId, CancellationToken cancellationToken = default) =>
        SendAsync<DeviceView>(HttpMethod.Post, $"/v1/devices/{Id(deviceId)}/revoke", null, idempotent: true, cancellationToken);
}
