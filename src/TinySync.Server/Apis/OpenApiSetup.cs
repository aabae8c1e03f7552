using System.Text.RegularExpressions;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;
using TinySync.Server.Auth;

namespace TinySync.Server.Apis;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c> and its reference page at <c>/docs</c> (Scalar). The endpoints
/// carry their operation ids, summaries and body types; this adds what endpoint filters hide from the generator:
/// path parameters consumed by a group's filter, the bearer token each route takes, and the problem responses
/// every route can give (decision 0012). The document is linted by <c>redocly</c> in the tests.
/// </summary>
public static partial class OpenApiSetup
{
    const string ProblemSchema = "Problem";
    const string ProblemMedia = "application/problem+json";

    /// <summary>Registers the document and its transformers.</summary>
    public static IServiceCollection AddTinySyncOpenApi(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddOperationTransformer(DescribeOperation);
        o.AddDocumentTransformer(DescribeDocument);
    });

    /// <summary>Maps the document and the reference page.</summary>
    public static WebApplication MapTinySyncOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("TinySync API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }

    static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "TinySync",
            Version = "v1",
            Description = "Device identity, group authorization, per-vault change logs and content-addressed chunks (SPEC §5). " +
                "Errors are RFC 9457 problem details with a stable `code`.",
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };
        document.Servers = [new OpenApiServer { Url = "/", Description = "The server that serves this document" }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[RequiredToken.Device.Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "tsdev_<device_id>_<secret>",
            Description = "A device token, returned once by POST /v1/devices (or issued by a Platform Service).",
        };
        document.Components.SecuritySchemes[RequiredToken.Admin.Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http, Scheme = "bearer",
            Description = "The admin token: TinySync:AdminToken, or the admin-token file in the server's data directory.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details; `code` is stable and meant for programs, `detail` says what to do next.",
            Required = new HashSet<string> { "status", "code" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["code"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
            },
        };
        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Devices", Description = "Registration (device token) and device management (admin token)." },
            new() { Name = "Me", Description = "The calling device." },
            new() { Name = "Vaults", Description = "Vaults and their containers (admin token)." },
            new() { Name = "Groups", Description = "Groups and their device and vault edges: who reaches what (admin token)." },
            new() { Name = "Audit", Description = "The record of management actions (admin token)." },
            new() { Name = "Sync", Description = "Change log, commits, live tree and history of a vault (device token)." },
            new() { Name = "Chunks", Description = "Content-addressed chunks of a vault (device token)." },
            new() { Name = "Stream", Description = "The wake-hint WebSocket (device token)." },
        };
        return Task.CompletedTask;
    }

    static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var document = context.Document!;
        var path = context.Description.RelativePath ?? "";
        operation.Parameters ??= [];
        foreach (Match m in RouteParameter().Matches(path))
        {
            var name = m.Groups[1].Value;
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name)) continue;
            operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Schema = PathSchema(name), Description = PathDescription(name) });
        }
        foreach (var p in operation.Parameters.OfType<OpenApiParameter>())
        {
            // cursors and page sizes are parsed as non-negative integers: say so instead of "string"
            if (p.In == ParameterLocation.Query && p.Name is "after" or "limit")
                p.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Minimum = "0" };
        }

        var token = context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredToken>().LastOrDefault();
        operation.Responses ??= [];
        if (token is not null)
        {
            var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(token.Scheme, document)] = [] };
            operation.Security = token.Optional ? [new OpenApiSecurityRequirement(), requirement] : [requirement];
            if (!token.Optional)
            {
                Problem(operation, document, "401", "Missing, invalid or revoked token");
                Problem(operation, document, "403", "The wrong kind of token for this route");
            }
            else
            {
                Problem(operation, document, "401", "Registration is closed and the admin token is missing or invalid");
            }
        }
        Problem(operation, document, "400", "Invalid input; `code` says which rule and `detail` what to send instead");
        if (path.Contains('{', StringComparison.Ordinal)) Problem(operation, document, "404", "No such resource, or one this token does not reach");
        Problem(operation, document, "503", "The database or chunk store is unavailable; retry after the Retry-After header");
        return Task.CompletedTask;
    }

    static void Problem(OpenApiOperation operation, OpenApiDocument document, string status, string description)
    {
        if (operation.Responses!.TryGetValue(status, out var existing) && existing.Content is { Count: > 0 }) return;
        operation.Responses[status] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemMedia] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) } },
        };
    }

    static OpenApiSchema PathSchema(string name) => name switch
    {
        "vid" or "did" => new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" },
        "hash" => new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9a-f]{64}$" },
        _ => new OpenApiSchema { Type = JsonSchemaType.String },
    };

    static string PathDescription(string name) => name switch
    {
        "vid" => "Vault id",
        "did" => "Device id",
        "gid" => "Group id",
        "hash" => "SHA-256 of the chunk, 64 lowercase hex characters",
        "name" => "Container name",
        _ => name,
    };

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?][^}]*)?\}")]
    private static partial Regex RouteParameter();
}
