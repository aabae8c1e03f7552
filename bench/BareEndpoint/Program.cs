using System.Text.Json;

// Same host shape as tinysync-server: slim builder, framework logs at Warning, no Server header, snake_case JSON.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
var app = builder.Build();

var registered = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero);
Vault V(string id, string name) => new(Guid.Parse(id), name, 0, [new Container("default", "default", new Policy(null, false))]);
// A device in two groups reaching three vaults: the shape the seeded "small device" answers with.
var me = new Me(Guid.Parse("00000000-0000-7000-8000-00000000beef"), "device -1", registered, ["small-a", "small-b"],
[
    V("00000000-0000-7000-8000-00000000a001", "small vault 0"),
    V("00000000-0000-7000-8000-00000000a002", "small vault 1"),
    V("00000000-0000-7000-8000-00000000a003", "small vault 2"),
]);

// Built per request, like a handler that computes its answer, then serialized by the framework.
app.MapGet("/v1/me", () => TypedResults.Ok(me with { Vaults = [.. me.Vaults] }));
app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" }));
app.Run();

sealed record Policy(long? MaxFileBytes, bool ReadOnly);
sealed record Container(string Name, string Namespace, Policy Policy);
sealed record Vault(Guid VaultId, string Name, long Head, IReadOnlyList<Container> Containers);
sealed record Me(Guid DeviceId, string DisplayName, DateTimeOffset RegisteredAt, IReadOnlyList<string> Groups, IReadOnlyList<Vault> Vaults);
