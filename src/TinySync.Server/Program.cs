using Microsoft.Extensions.Options;
using TinySync.Server.Hosting;

// tinysync-server: settings bind from the TinySync section (appsettings.json, TinySync__* environment variables,
// --TinySync:Key=value) with the TINYSYNC_* names as aliases; --urls, --help, --version.
if (ServerCommandLine.TryAnswer(args, Console.Out) is { } exit) return exit;
try
{
    var app = await TinySyncServer.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OptionsValidationException)
{
    // Configuration errors: one line that names the setting, no stack trace.
    await Console.Error.WriteLineAsync($"tinysync-server: {e.Message.ReplaceLineEndings(" ")}");
    return 2;
}
