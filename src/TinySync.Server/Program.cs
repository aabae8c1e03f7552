using TinySync.Server.Hosting;

// tinysync-server: all configuration is TINYSYNC_* environment variables (or --TINYSYNC_*=value) and --urls.
try
{
    var app = await TinySyncServer.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (InvalidOperationException e)
{
    // Configuration errors: one line that names the setting, no stack trace.
    await Console.Error.WriteLineAsync($"tinysync-server: {e.Message}");
    return 2;
}
