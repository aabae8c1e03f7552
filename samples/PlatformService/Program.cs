using PlatformService.Hosting;

// platform-service: the TinySync Platform Service playground. Configuration: PLATFORM_TINYSYNC_URL,
// PLATFORM_TINYSYNC_ADMIN_TOKEN or --admin-token-file, PLATFORM_DATA_DIR or --data-dir, --urls (docs/platform-service.md).
try
{
    var app = await PlatformServiceApp.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync($"platform-service: {e.Message}");
    return 2;
}
